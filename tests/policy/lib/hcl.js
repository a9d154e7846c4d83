'use strict';
// Loads deploy/terraform with a real HCL2 parser (@cdktf/hcl2json, a
// WebAssembly build of hashicorp/hcl shipped inside the npm package) and
// evaluates the small subset of Terraform expressions that the policy
// checks need: literals, var.*, local.*, operators, conditionals and a few
// functions. Anything the evaluator cannot know at plan time (resource
// attributes, module outputs) becomes an Unknown that remembers its source
// text, so that references can still be traced (e.g. which security group
// an ALB uses).

const fs = require('node:fs');
const path = require('node:path');
const { parse } = require('@cdktf/hcl2json');

const REPO = path.resolve(__dirname, '..', '..', '..');
const TF_ROOT = path.join(REPO, 'deploy', 'terraform');

class Unknown {
  constructor(ref) {
    this.ref = ref;
  }
  toString() {
    return `<unknown ${this.ref}>`;
  }
}
const isUnknown = (v) => v instanceof Unknown;

// ---------------------------------------------------------------- loading

function listFiles(dir, ext) {
  const out = [];
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    if (ent.name.startsWith('.')) continue;
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) out.push(...listFiles(p, ext));
    else if (ent.name.endsWith(ext)) out.push(p);
  }
  return out.sort();
}

function emptyModule(dir) {
  return {
    dir,
    files: [],
    resources: [], // { type, name, body, file }
    data: [],
    variables: {},
    locals: {},
    modules: {}, // call name -> body
    outputs: {},
    terraform: [],
    providers: {},
  };
}

function mergeFile(mod, file, json) {
  mod.files.push(file);
  for (const [type, byName] of Object.entries(json.resource || {}))
    for (const [name, bodies] of Object.entries(byName))
      for (const body of bodies) mod.resources.push({ type, name, body, file });
  for (const [type, byName] of Object.entries(json.data || {}))
    for (const [name, bodies] of Object.entries(byName))
      for (const body of bodies) mod.data.push({ type, name, body, file });
  for (const [name, bodies] of Object.entries(json.variable || {})) mod.variables[name] = bodies[0];
  for (const block of json.locals || []) Object.assign(mod.locals, block);
  for (const [name, bodies] of Object.entries(json.module || {})) mod.modules[name] = bodies[0];
  for (const [name, bodies] of Object.entries(json.output || {})) mod.outputs[name] = bodies[0];
  for (const block of json.terraform || []) mod.terraform.push(block);
  for (const [name, bodies] of Object.entries(json.provider || {}))
    mod.providers[name] = (mod.providers[name] || []).concat(bodies);
}

async function parseFile(file) {
  const text = fs.readFileSync(file, 'utf8');
  try {
    return await parse(path.basename(file), text);
  } catch (e) {
    throw new Error(`${path.relative(REPO, file)}: ${e.message}`);
  }
}

// Every .tf file under deploy/terraform, grouped by directory (= module),
// plus every environments/*.tfvars file.
async function loadTerraform(root = TF_ROOT) {
  const tfFiles = listFiles(root, '.tf');
  const modules = {};
  for (const file of tfFiles) {
    const dir = path.relative(root, path.dirname(file)) || '.';
    modules[dir] = modules[dir] || emptyModule(dir);
    mergeFile(modules[dir], path.relative(REPO, file), await parseFile(file));
  }
  const tfvars = {};
  const envDir = path.join(root, 'environments');
  if (fs.existsSync(envDir))
    for (const file of listFiles(envDir, '.tfvars'))
      tfvars[path.basename(file, '.tfvars')] = await parseFile(file);
  return new Model(root, modules, tfvars, tfFiles.map((f) => path.relative(REPO, f)));
}

// ---------------------------------------------------------------- lexer

const PUNCT = ['==', '!=', '<=', '>=', '&&', '||', '=>', '...', '?', ':', '!', '<', '>', '+', '-', '*', '/', '%',
  '(', ')', '[', ']', '{', '}', ',', '.', '='];

function lex(src) {
  const toks = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) { i++; continue; }
    if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(i));
      toks.push({ t: 'num', v: Number(m[0]) });
      i += m[0].length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i));
      toks.push({ t: 'id', v: m[0] });
      i += m[0].length;
      continue;
    }
    if (c === '"') {
      // string literal, possibly a template: keep the raw inner text
      let j = i + 1;
      let depth = 0;
      while (j < src.length) {
        if (src[j] === '\\') { j += 2; continue; }
        if (src[j] === '$' && src[j + 1] === '{') { depth++; j += 2; continue; }
        if (depth > 0 && src[j] === '}') { depth--; j++; continue; }
        if (depth === 0 && src[j] === '"') break;
        j++;
      }
      toks.push({ t: 'str', v: src.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    const p = PUNCT.find((q) => src.startsWith(q, i));
    if (!p) throw new Error(`cannot read expression at "${src.slice(i, i + 20)}" in ${src}`);
    toks.push({ t: 'p', v: p });
    i += p.length;
  }
  toks.push({ t: 'eof' });
  return toks;
}

// ---------------------------------------------------------------- parser (to AST)

function parseExpr(src) {
  const toks = lex(src);
  let k = 0;
  const peek = () => toks[k];
  const isP = (v) => toks[k].t === 'p' && toks[k].v === v;
  const eat = (v) => {
    if (!isP(v)) throw new Error(`expected "${v}" in ${src}`);
    k++;
  };

  function expr() {
    const c = binary(0);
    if (isP('?')) {
      k++;
      const a = expr();
      eat(':');
      const b = expr();
      return { k: 'cond', c, a, b };
    }
    return c;
  }
  const LEVELS = [['||'], ['&&'], ['==', '!='], ['<', '>', '<=', '>='], ['+', '-'], ['*', '/', '%']];
  function binary(level) {
    if (level === LEVELS.length) return unary();
    let left = binary(level + 1);
    while (peek().t === 'p' && LEVELS[level].includes(peek().v)) {
      const op = toks[k++].v;
      left = { k: 'bin', op, l: left, r: binary(level + 1) };
    }
    return left;
  }
  function unary() {
    if (isP('!')) { k++; return { k: 'not', e: unary() }; }
    if (isP('-')) { k++; return { k: 'neg', e: unary() }; }
    return postfix(primary());
  }
  function postfix(e) {
    for (;;) {
      if (isP('.')) {
        k++;
        const t = toks[k++];
        if (t.t === 'p' && t.v === '*') e = { k: 'splat', e };
        else e = { k: 'attr', e, name: String(t.v) };
      } else if (isP('[')) {
        k++;
        if (isP('*')) { k++; eat(']'); e = { k: 'splat', e }; continue; }
        const i = expr();
        eat(']');
        e = { k: 'index', e, i };
      } else return e;
    }
  }
  function primary() {
    const t = toks[k++];
    if (t.t === 'num') return { k: 'lit', v: t.v };
    if (t.t === 'str') return { k: 'tmpl', v: t.v };
    if (t.t === 'id') {
      if (t.v === 'true') return { k: 'lit', v: true };
      if (t.v === 'false') return { k: 'lit', v: false };
      if (t.v === 'null') return { k: 'lit', v: null };
      if (isP('(')) {
        k++;
        const args = [];
        while (!isP(')')) {
          args.push(expr());
          if (isP('...')) k++;
          if (isP(',')) k++;
        }
        k++;
        return { k: 'call', name: t.v, args };
      }
      return { k: 'ref', name: t.v };
    }
    if (t.t === 'p' && t.v === '(') {
      const e = expr();
      eat(')');
      return e;
    }
    if (t.t === 'p' && t.v === '[') {
      if (peek().t === 'id' && peek().v === 'for') return skipFor(']');
      const items = [];
      while (!isP(']')) {
        items.push(expr());
        if (isP(',')) k++;
      }
      k++;
      return { k: 'list', items };
    }
    if (t.t === 'p' && t.v === '{') {
      if (peek().t === 'id' && peek().v === 'for') return skipFor('}');
      const entries = [];
      while (!isP('}')) {
        const key = peek().t === 'id' ? { k: 'lit', v: toks[k++].v } : expr();
        if (isP('=') || isP(':')) k++;
        else throw new Error(`expected = in object in ${src}`);
        entries.push([key, expr()]);
        if (isP(',')) k++;
      }
      k++;
      return { k: 'obj', entries };
    }
    throw new Error(`unexpected token ${JSON.stringify(t)} in ${src}`);
  }
  // for-expressions are not evaluated: their value is unknown
  function skipFor(close) {
    const open = close === ']' ? '[' : '{';
    let depth = 1;
    while (depth > 0) {
      const t = toks[k++];
      if (t.t === 'eof') throw new Error(`unterminated for expression in ${src}`);
      if (t.t === 'p' && t.v === open) depth++;
      if (t.t === 'p' && t.v === close) depth--;
    }
    return { k: 'unknown', ref: 'for-expression' };
  }

  const e = expr();
  if (peek().t !== 'eof') throw new Error(`trailing tokens in ${src}`);
  return e;
}

// Splits a template ("a-${x}-b") into literal strings and expression sources.
function splitTemplate(s) {
  const parts = [];
  let i = 0;
  let lit = '';
  while (i < s.length) {
    if (s[i] === '$' && s[i + 1] === '$' && s[i + 2] === '{') { lit += '${'; i += 3; continue; }
    if (s[i] === '$' && s[i + 1] === '{') {
      let depth = 1;
      let j = i + 2;
      let inStr = false;
      while (j < s.length && depth > 0) {
        const c = s[j];
        if (inStr) {
          if (c === '\\') j++;
          else if (c === '"') inStr = false;
        } else if (c === '"') inStr = true;
        else if (c === '{') depth++;
        else if (c === '}') depth--;
        j++;
      }
      if (lit) parts.push(lit);
      lit = '';
      parts.push({ expr: s.slice(i + 2, j - 1) });
      i = j;
      continue;
    }
    if (s[i] === '\\' && i + 1 < s.length) {
      const n = s[i + 1];
      lit += n === 'n' ? '\n' : n === 't' ? '\t' : n;
      i += 2;
      continue;
    }
    lit += s[i++];
  }
  if (lit || parts.length === 0) parts.push(lit);
  return parts;
}

// ---------------------------------------------------------------- evaluation

function truthy(v) {
  if (typeof v !== 'boolean') throw new Error(`condition is not a bool: ${JSON.stringify(v)}`);
  return v;
}

const FUNCS = {
  min: (...a) => Math.min(...a.flat()),
  max: (...a) => Math.max(...a.flat()),
  length: (x) => (typeof x === 'string' ? x.length : Array.isArray(x) ? x.length : Object.keys(x).length),
  tostring: (x) => (x === null ? null : String(x)),
  tonumber: (x) => Number(x),
  tobool: (x) => x === true || x === 'true',
  contains: (list, v) => list.includes(v),
  lookup: (m, key, def) => (key in m ? m[key] : def),
  join: (sep, list) => list.join(sep),
  concat: (...lists) => [].concat(...lists),
  coalesce: (...a) => a.find((x) => x !== null && x !== ''),
  one: (list) => (list.length ? list[0] : null),
  keys: (m) => Object.keys(m).sort(),
  sort: (l) => [...l].sort(),
  merge: (...ms) => Object.assign({}, ...ms),
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  format: (f, ...a) => { let i = 0; return f.replace(/%[sd]/g, () => String(a[i++])); },
};

class Scope {
  // vars(name) -> value; locals: { name: raw }; countIndex: number | undefined
  constructor(model, mod, vars, label) {
    this.model = model;
    this.mod = mod;
    this.vars = vars;
    this.label = label;
    this.localCache = {};
  }

  local(name) {
    if (!(name in this.mod.locals)) throw new Error(`${this.label}: local.${name} is not declared`);
    if (!(name in this.localCache)) this.localCache[name] = this.value(this.mod.locals[name]);
    return this.localCache[name];
  }

  // value of an attribute as hcl2json returns it (JSON value or "${...}" text)
  value(raw) {
    if (typeof raw === 'string') return this.template(raw);
    if (Array.isArray(raw)) return raw.map((x) => this.value(x));
    if (raw && typeof raw === 'object') {
      const o = {};
      for (const [k, v] of Object.entries(raw)) o[k] = this.value(v);
      return o;
    }
    return raw;
  }

  template(s) {
    const parts = splitTemplate(s);
    if (parts.length === 1 && typeof parts[0] === 'object') return this.expr(parts[0].expr);
    let out = '';
    for (const p of parts) {
      if (typeof p === 'string') { out += p; continue; }
      const v = this.expr(p.expr);
      if (isUnknown(v)) return new Unknown(s);
      out += String(v);
    }
    return out;
  }

  expr(src) {
    return this.evalAst(parseExpr(src), src);
  }

  evalAst(n, src) {
    switch (n.k) {
      case 'lit': return n.v;
      case 'unknown': return new Unknown(n.ref);
      case 'tmpl': return this.template(n.v);
      case 'list': {
        const items = n.items.map((x) => this.evalAst(x, src));
        return items;
      }
      case 'obj': {
        const o = {};
        for (const [kn, vn] of n.entries) {
          const key = this.evalAst(kn, src);
          if (isUnknown(key)) return new Unknown(src);
          o[key] = this.evalAst(vn, src);
        }
        return o;
      }
      case 'cond': {
        const c = this.evalAst(n.c, src);
        if (isUnknown(c)) return new Unknown(src);
        return truthy(c) ? this.evalAst(n.a, src) : this.evalAst(n.b, src);
      }
      case 'not': {
        const v = this.evalAst(n.e, src);
        return isUnknown(v) ? v : !truthy(v);
      }
      case 'neg': {
        const v = this.evalAst(n.e, src);
        return isUnknown(v) ? v : -v;
      }
      case 'bin': {
        const l = this.evalAst(n.l, src);
        // short-circuit on known booleans
        if (n.op === '||' && l === true) return true;
        if (n.op === '&&' && l === false) return false;
        const r = this.evalAst(n.r, src);
        if (n.op === '||' && r === true) return true;
        if (n.op === '&&' && r === false) return false;
        if (isUnknown(l) || isUnknown(r)) return new Unknown(src);
        switch (n.op) {
          case '||': return truthy(l) || truthy(r);
          case '&&': return truthy(l) && truthy(r);
          case '==': return JSON.stringify(l) === JSON.stringify(r);
          case '!=': return JSON.stringify(l) !== JSON.stringify(r);
          case '<': return l < r;
          case '>': return l > r;
          case '<=': return l <= r;
          case '>=': return l >= r;
          case '+': return l + r;
          case '-': return l - r;
          case '*': return l * r;
          case '/': return l / r;
          case '%': return l % r;
        }
        throw new Error(`operator ${n.op}`);
      }
      case 'call': {
        if (n.name === 'try') {
          for (const a of n.args) {
            try {
              const v = this.evalAst(a, src);
              if (!isUnknown(v)) return v;
            } catch (_) { /* next */ }
          }
          return new Unknown(src);
        }
        const fn = FUNCS[n.name];
        const args = n.args.map((a) => this.evalAst(a, src));
        if (!fn || args.some(isUnknown)) return new Unknown(src);
        return fn(...args);
      }
      case 'ref':
        return new Unknown(n.name);
      case 'attr':
      case 'index':
      case 'splat':
        return this.evalPath(n, src);
    }
    throw new Error(`cannot evaluate ${src}`);
  }

  evalPath(n, src) {
    // flatten the access chain
    const chain = [];
    let cur = n;
    while (cur.k === 'attr' || cur.k === 'index' || cur.k === 'splat') {
      chain.unshift(cur);
      cur = cur.e;
    }
    if (cur.k !== 'ref') {
      let v = this.evalAst(cur, src);
      return this.walk(v, chain, src);
    }
    const root = cur.name;
    if (root === 'var' || root === 'local') {
      const first = chain.shift();
      if (!first || first.k !== 'attr') throw new Error(`bad reference in ${src}`);
      const v = root === 'var' ? this.vars(first.name) : this.local(first.name);
      return this.walk(v, chain, src);
    }
    if (root === 'count' && chain[0] && chain[0].name === 'index' && this.countIndex !== undefined)
      return this.countIndex;
    return new Unknown(src.trim());
  }

  walk(v, chain, src) {
    for (const step of chain) {
      if (isUnknown(v)) return v;
      if (step.k === 'attr') {
        if (v === null || typeof v !== 'object' || !(step.name in v)) return new Unknown(src);
        v = v[step.name];
      } else if (step.k === 'index') {
        const i = this.evalAst(step.i, src);
        if (isUnknown(i) || v === null || typeof v !== 'object') return new Unknown(src);
        v = v[i];
        if (v === undefined) throw new Error(`index ${i} out of range in ${src}`);
      } else return new Unknown(src);
    }
    return v;
  }
}

// ---------------------------------------------------------------- model

class Model {
  constructor(root, modules, tfvars, files) {
    this.root = root;
    this.modules = modules;
    this.tfvars = tfvars;
    this.files = files;
  }

  get rootModule() {
    return this.modules['.'];
  }

  environments() {
    return Object.keys(this.tfvars).sort();
  }

  // module calls of the root: [{ name, dir, body }]
  calls() {
    return Object.entries(this.rootModule.modules).map(([name, body]) => ({
      name,
      body,
      dir: path.normalize(String(body.source).replace(/^\.\//, '')),
    }));
  }

  callsOf(dir) {
    return this.calls().filter((c) => c.dir === dir);
  }

  rootScope(env) {
    const vars = this.tfvars[env];
    if (!vars) throw new Error(`no environments/${env}.tfvars`);
    const mod = this.rootModule;
    return new Scope(this, mod, (name) => {
      if (!(name in mod.variables)) throw new Error(`root: var.${name} is not declared`);
      if (name in vars) return vars[name];
      if ('default' in mod.variables[name]) return mod.variables[name].default;
      // passed on the command line (-var image_tag=<sha>), never in tfvars
      if (name === 'image_tag') return 'policy-test';
      throw new Error(`${env}: var.${name} has no value (no default, not in ${env}.tfvars)`);
    }, `root (${env})`);
  }

  // Scope of a module instance: its variables come from the call's
  // arguments, evaluated in the root scope of the environment.
  callScope(env, callName) {
    const call = this.calls().find((c) => c.name === callName);
    if (!call) throw new Error(`no module call ${callName}`);
    const mod = this.modules[call.dir];
    const root = this.rootScope(env);
    const cache = {};
    return new Scope(this, mod, (name) => {
      if (!(name in mod.variables)) throw new Error(`${call.dir}: var.${name} is not declared`);
      if (!(name in cache)) {
        if (name in call.body) cache[name] = root.value(call.body[name]);
        else if ('default' in mod.variables[name]) cache[name] = mod.variables[name].default;
        else throw new Error(`module.${callName}: required variable ${name} not passed`);
      }
      return cache[name];
    }, `module.${callName} (${env})`);
  }

  // Is the module call instantiated in this environment (count = 0 → no)?
  callActive(env, callName) {
    const call = this.calls().find((c) => c.name === callName);
    if (!('count' in call.body)) return true;
    const n = this.rootScope(env).value(call.body.count);
    if (isUnknown(n)) throw new Error(`count of module.${callName} is not known from the tfvars`);
    return n > 0;
  }

  resources(dir, type) {
    const mod = this.modules[dir];
    if (!mod) throw new Error(`no module directory ${dir}`);
    return mod.resources.filter((r) => !type || r.type === type);
  }

  resource(dir, type, name) {
    const r = this.resources(dir, type).find((x) => x.name === name);
    if (!r) throw new Error(`${dir}: no ${type}.${name}`);
    return r;
  }

  // "${aws_security_group.alb.id}" in module dir → "dir:aws_security_group.alb";
  // follows var.* to the module call argument and module.x.y to outputs.
  // callName picks the instance when a module is called more than once.
  trace(raw, dir, callName) {
    if (Array.isArray(raw)) return raw.map((x) => this.trace(x, dir, callName));
    const m = /^\$\{\s*([^}]+?)\s*\}$/.exec(String(raw));
    if (!m) return { literal: raw };
    const ref = m[1];
    let r;
    if ((r = /^var\.([\w-]+)$/.exec(ref))) {
      const call = callName
        ? this.calls().find((c) => c.name === callName)
        : this.calls().find((c) => c.dir === dir);
      if (!call || !(r[1] in call.body)) return { unresolved: ref };
      return this.trace(call.body[r[1]], '.', null);
    }
    if ((r = /^module\.([\w-]+)(\[\d+\])?\.([\w-]+)$/.exec(ref))) {
      const call = this.calls().find((c) => c.name === r[1]);
      const out = call && this.modules[call.dir].outputs[r[3]];
      if (!out) return { unresolved: ref };
      return this.trace(out.value, call.dir, call.name);
    }
    if ((r = /^(aws_[\w]+|random_[\w]+)\.([\w-]+)(\[[^\]]+\])?\.([\w]+)$/.exec(ref)))
      return { resource: `${dir}:${r[1]}.${r[2]}`, attr: r[4] };
    return { unresolved: ref };
  }
}

// Every nested block named `name` anywhere below `body` (blocks are arrays
// of objects in hcl2json's output; dynamic blocks keep their content).
function findBlocks(body, name) {
  const out = [];
  const visit = (v) => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === name) (Array.isArray(x) ? x : [x]).forEach((b) => out.push(b));
        visit(x);
      }
    }
  };
  visit(body);
  return out;
}

module.exports = { loadTerraform, parseExpr, splitTemplate, findBlocks, Unknown, isUnknown, REPO, TF_ROOT };
