'use strict';
// Reads a CloudFormation YAML template with the `yaml` package, turning the
// short-form intrinsic tags (!Ref, !Sub, !If, !GetAtt, …) into their long
// JSON forms ({ "Ref": … }, { "Fn::Sub": … }, …), the shape CloudFormation
// itself works on. Also evaluates conditions and !If/!FindInMap/!Ref for a
// given parameter set, so that policies can be checked per environment.

const fs = require('node:fs');
const YAML = require('yaml');

const FUNCS = ['And', 'Base64', 'Cidr', 'Equals', 'FindInMap', 'GetAtt', 'GetAZs', 'If', 'ImportValue', 'Join',
  'Not', 'Or', 'Select', 'Split', 'Sub', 'Transform', 'Length', 'ToJsonString'];

function longName(short) {
  return short === 'Ref' || short === 'Condition' ? short : `Fn::${short}`;
}

function plain(node) {
  // yaml collections → plain JS (their items are already resolved)
  return node && typeof node.toJSON === 'function' ? node.toJSON() : node;
}

const customTags = [];
for (const short of ['Ref', 'Condition', ...FUNCS]) {
  const key = longName(short);
  const tag = `!${short}`;
  customTags.push({
    tag,
    resolve(str) {
      if (short === 'GetAtt') {
        const i = str.indexOf('.');
        return { [key]: [str.slice(0, i), str.slice(i + 1)] };
      }
      return { [key]: str };
    },
  });
  customTags.push({ tag, collection: 'seq', resolve: (seq) => ({ [key]: plain(seq) }) });
  customTags.push({ tag, collection: 'map', resolve: (map) => ({ [key]: plain(map) }) });
}

function loadTemplate(file) {
  const text = fs.readFileSync(file, 'utf8');
  const doc = YAML.parseDocument(text, { customTags, merge: true, uniqueKeys: true });
  if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
  if (doc.warnings.length) throw new Error(`${file}: ${doc.warnings.map((e) => e.message).join('; ')}`);
  return doc.toJS({ maxAliasCount: 1000 });
}

// Evaluates intrinsics that depend only on parameters, mappings and
// conditions. Resource references stay as they are.
class Evaluator {
  constructor(template, params) {
    this.t = template;
    const defaults = {};
    for (const [k, p] of Object.entries(template.Parameters || {})) if ('Default' in p) defaults[k] = p.Default;
    this.params = { 'AWS::Region': 'us-east-1', 'AWS::AccountId': '123456789012', 'AWS::Partition': 'aws',
      ...defaults, ...params };
    this.condCache = {};
  }

  condition(name) {
    if (!(name in this.condCache)) {
      const c = (this.t.Conditions || {})[name];
      if (c === undefined) throw new Error(`condition ${name} is not defined`);
      this.condCache[name] = this.value(c);
    }
    return this.condCache[name];
  }

  value(v) {
    // AWS::NoValue removes the list item (or property) it stands for
    const none = (x) => x && typeof x === 'object' && x.Ref === 'AWS::NoValue';
    if (Array.isArray(v)) return v.map((x) => this.value(x)).filter((x) => !none(x));
    if (!v || typeof v !== 'object') return v;
    const keys = Object.keys(v);
    if (keys.length === 1) {
      const [k] = keys;
      const a = v[k];
      switch (k) {
        case 'Ref':
          return a in this.params ? this.params[a] : v;
        case 'Condition':
          return this.condition(a);
        case 'Fn::Equals': {
          const [x, y] = this.value(a);
          return JSON.stringify(x) === JSON.stringify(y);
        }
        case 'Fn::Not':
          return !this.value(a[0]);
        case 'Fn::And':
          return a.every((x) => this.value(x));
        case 'Fn::Or':
          return a.some((x) => this.value(x));
        case 'Fn::If':
          return this.condition(a[0]) ? this.value(a[1]) : this.value(a[2]);
        case 'Fn::Join': {
          const [sep, list] = this.value(a);
          const items = Array.isArray(list) ? list : [list];
          return items.every((x) => typeof x === 'string' || typeof x === 'number') ? items.join(sep) : v;
        }
        case 'Fn::FindInMap': {
          const [map, k1, k2] = this.value(a);
          const m = (this.t.Mappings || {})[map];
          if (!m || !m[k1] || !(k2 in m[k1])) throw new Error(`FindInMap ${map}/${k1}/${k2} not found`);
          return m[k1][k2];
        }
        default:
          break;
      }
    }
    const o = {};
    for (const [k, x] of Object.entries(v)) {
      const y = this.value(x);
      if (!none(y)) o[k] = y;
    }
    return o;
  }

  // resources that exist for these parameters, properties evaluated
  resources(type) {
    return Object.entries(this.t.Resources || {})
      .filter(([, r]) => (!type || r.Type === type) && (!r.Condition || this.condition(r.Condition)))
      .map(([name, r]) => ({ name, type: r.Type, props: this.value(r.Properties || {}), raw: r }));
  }
}

module.exports = { loadTemplate, Evaluator, customTags };
