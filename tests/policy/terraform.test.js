'use strict';
// Policy checks of deploy/terraform that Terraform itself does not make.
// Terraform checks the rest (scripts/check-infra): `terraform validate`
// that every reference, variable and module call is sound, and `terraform
// test` (deploy/terraform/tests) the deployment plan's values in the plan
// of each environment. Here every .tf file is parsed with a real HCL2
// parser and the rules are checked across the whole configuration: the
// security-group graph, least-privilege IAM, bucket hygiene, descriptions,
// provider pinning and the lock file.

const { test, describe, before } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { loadTerraform, findBlocks } = require('./lib/hcl');

const TF = path.resolve(__dirname, '..', '..', 'deploy', 'terraform');

let m;
before(async () => {
  m = await loadTerraform();
});

const ENVS = ['dev', 'staging', 'production'];
const one = (blocks, what) => {
  assert.ok(Array.isArray(blocks) && blocks.length === 1, `expected exactly one ${what}`);
  return blocks[0];
};

// ------------------------------------------------------------------ structure

describe('terraform: structure', () => {
  test('every .tf file parses as HCL2', () => {
    assert.ok(m.files.length >= 30, `only ${m.files.length} .tf files found`);
  });

  test('root has main.tf, variables.tf, outputs.tf, versions.tf, backend.tf', () => {
    const names = m.rootModule.files.map((f) => f.split('/').pop());
    for (const f of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf', 'backend.tf'])
      assert.ok(names.includes(f), `deploy/terraform/${f} missing`);
  });

  test('remote state: S3 backend, encrypted, DynamoDB lock table', () => {
    const backends = m.rootModule.terraform.flatMap((t) => findBlocks(t, 'backend'));
    const s3 = one(backends.map((b) => b.s3).filter(Boolean).flat(), 'backend "s3"');
    assert.ok(s3.bucket, 'backend bucket');
    assert.ok(s3.dynamodb_table, 'backend dynamodb_table (state lock)');
    assert.equal(s3.encrypt, true, 'backend encrypt = true');
  });

  test('AWS provider pinned to 5.x', () => {
    const rp = m.rootModule.terraform.flatMap((t) => t.required_providers || [])[0];
    assert.ok(rp && rp.aws, 'required_providers.aws');
    assert.equal(rp.aws.source, 'hashicorp/aws');
    assert.match(rp.aws.version, /5\./);
  });

  test('every module declares its providers; no provider but hashicorp/aws', () => {
    for (const mod of Object.values(m.modules)) {
      const rp = mod.terraform.flatMap((t) => t.required_providers || []);
      assert.ok(rp.length === 1 && rp[0].aws, `${mod.dir}: terraform { required_providers { aws } }`);
      assert.equal(rp[0].aws.source, 'hashicorp/aws', mod.dir);
      for (const name of Object.keys(rp[0])) assert.equal(name, 'aws', `${mod.dir}: provider ${name}`);
      for (const r of [...mod.resources, ...mod.data])
        assert.ok(/^aws_/.test(r.type) || r.type === 'terraform_data', `${mod.dir}: ${r.type}.${r.name} (no random or other provider)`);
    }
  });

  test('.terraform.lock.hcl is committed and pins hashicorp/aws inside the constraint', () => {
    const lock = fs.readFileSync(path.join(TF, '.terraform.lock.hcl'), 'utf8');
    const providers = [...lock.matchAll(/^provider "([^"]+)"/gm)].map((x) => x[1]);
    assert.deepEqual(providers, ['registry.terraform.io/hashicorp/aws']);
    const version = /^\s*version\s*=\s*"(\d+)\.(\d+)\.(\d+)"/m.exec(lock);
    assert.ok(version, 'locked version');
    const [maj, min] = [Number(version[1]), Number(version[2])];
    assert.ok(maj === 5 && min >= 60, `locked aws ${version.slice(1).join('.')} is inside ">= 5.60.0, < 6.0.0"`);
    assert.match(lock, /h1:[A-Za-z0-9+/=]+/, 'a package hash');
  });

  test('the plan\'s modules exist and are called', () => {
    const dirs = new Set(m.calls().map((c) => c.dir));
    for (const mod of ['vpc', 'rds', 'elasticache', 'ecs', 'alb', 'waf', 'cloudfront', 'secrets', 'iam',
      'cloudwatch', 's3', 'dr', 'baseline', 'cognito']) {
      assert.ok(m.modules[`modules/${mod}`], `modules/${mod} missing`);
      assert.ok(dirs.has(`modules/${mod}`), `modules/${mod} is never called`);
    }
  });

  test('every variable and output has a description', () => {
    const missing = [];
    for (const mod of Object.values(m.modules)) {
      for (const [n, v] of Object.entries(mod.variables)) if (!v.description) missing.push(`${mod.dir} var ${n}`);
      for (const [n, o] of Object.entries(mod.outputs)) if (!o.description) missing.push(`${mod.dir} output ${n}`);
    }
    assert.deepEqual(missing, []);
  });

  test('environment files exist, name their environment and set only declared variables', () => {
    assert.deepEqual(m.environments(), [...ENVS].sort());
    for (const env of ENVS) {
      const vars = m.tfvars[env];
      assert.equal(vars.environment, env, `${env}.tfvars: environment`);
      for (const k of Object.keys(vars)) assert.ok(k in m.rootModule.variables, `${env}.tfvars: ${k} is not a variable`);
      // every root variable without a default (except the image tag, given on
      // the command line) has a value
      for (const [k, v] of Object.entries(m.rootModule.variables))
        if (!('default' in v) && k !== 'image_tag') assert.ok(k in vars, `${env}.tfvars: ${k} missing`);
    }
  });
});

// ------------------------------------------------------------------ network

describe('terraform: network', () => {
  // All ingress rules in any of the three forms Terraform allows.
  function ingressRules() {
    const rules = [];
    for (const mod of Object.values(m.modules)) {
      for (const r of mod.resources) {
        const where = `${mod.dir}:${r.type}.${r.name}`;
        if (r.type === 'aws_security_group') {
          for (const ing of r.body.ingress || [])
            rules.push({ where, sg: { resource: `${mod.dir}:aws_security_group.${r.name}` }, from: ing.from_port,
              to: ing.to_port, proto: ing.protocol, cidrs: [...(ing.cidr_blocks || []), ...(ing.ipv6_cidr_blocks || [])],
              source: ing.security_groups, dir: mod.dir });
        } else if (r.type === 'aws_security_group_rule' && r.body.type === 'ingress') {
          rules.push({ where, sg: m.trace(r.body.security_group_id, mod.dir), from: r.body.from_port, to: r.body.to_port,
            proto: r.body.protocol, cidrs: [...(r.body.cidr_blocks || []), ...(r.body.ipv6_cidr_blocks || [])],
            source: r.body.source_security_group_id, dir: mod.dir });
        } else if (r.type === 'aws_vpc_security_group_ingress_rule') {
          rules.push({ where, sg: m.trace(r.body.security_group_id, mod.dir), from: r.body.from_port, to: r.body.to_port,
            proto: r.body.ip_protocol, cidrs: [r.body.cidr_ipv4, r.body.cidr_ipv6].filter((x) => x !== undefined),
            source: r.body.referenced_security_group_id, dir: mod.dir });
        }
      }
    }
    return rules;
  }

  const sgOf = (dir, type, name, attr) => {
    const r = m.resource(dir, type, name);
    const t = m.trace(r.body[attr], dir);
    const first = Array.isArray(t) ? t[0] : t;
    assert.ok(first && first.resource, `cannot trace ${dir} ${type}.${name}.${attr} to a security group`);
    return first.resource;
  };

  test('only the ALB is open to the world, and only on 443 and 80', () => {
    const albSg = sgOf('modules/alb', 'aws_lb', 'this', 'security_groups');
    const rules = ingressRules();
    assert.ok(rules.length > 0, 'no ingress rules found');
    for (const r of rules) {
      for (const c of r.cidrs) {
        assert.equal(typeof c, 'string', `${r.where}: CIDR is not a literal`);
        assert.doesNotMatch(c, /^\$\{/, `${r.where}: CIDR ${c} must be a literal to be checked`);
        if (c !== '0.0.0.0/0' && c !== '::/0') continue;
        assert.equal(r.sg.resource, albSg, `${r.where}: ${c} ingress on a security group other than the ALB's`);
        assert.equal(r.proto, 'tcp', `${r.where}: protocol`);
        assert.ok(r.from === r.to && (r.from === 443 || r.from === 80), `${r.where}: world-open port ${r.from}-${r.to}`);
      }
    }
    const worldPorts = rules.filter((r) => r.cidrs.includes('0.0.0.0/0')).map((r) => r.from).sort();
    assert.deepEqual(worldPorts, [443, 80].sort(), 'ALB accepts 443 and 80 from anywhere');
  });

  test('tasks accept traffic only from the ALB; RDS and Redis only from the tasks', () => {
    const albSg = sgOf('modules/alb', 'aws_lb', 'this', 'security_groups');
    const appSg = one(m.resource('modules/ecs', 'aws_ecs_service', 'api').body.network_configuration, 'network_configuration');
    const appTrace = m.trace(appSg.security_groups, 'modules/ecs')[0].resource;
    const dbSg = sgOf('modules/rds', 'aws_db_instance', 'primary', 'vpc_security_group_ids');
    const cacheSg = sgOf('modules/elasticache', 'aws_elasticache_replication_group', 'this', 'security_group_ids');
    assert.ok(appTrace && dbSg && cacheSg);
    const rules = ingressRules();
    const expect = [
      [appTrace, albSg, 'tasks'],
      [dbSg, appTrace, 'RDS'],
      [cacheSg, appTrace, 'Redis'],
    ];
    for (const [sg, from, what] of expect) {
      const mine = rules.filter((r) => r.sg.resource === sg);
      assert.ok(mine.length > 0, `${what}: no ingress rule at all`);
      for (const r of mine) {
        assert.deepEqual(r.cidrs, [], `${r.where}: ${what} must not accept CIDR sources`);
        const src = m.trace(r.source, r.dir);
        assert.equal((Array.isArray(src) ? src[0] : src).resource, from, `${r.where}: ${what} ingress from the wrong group`);
      }
    }
    const dbPorts = rules.filter((r) => r.sg.resource === dbSg).map((r) => r.from);
    assert.deepEqual(dbPorts, [5432]);
    const cachePorts = rules.filter((r) => r.sg.resource === cacheSg).map((r) => r.from);
    assert.deepEqual(cachePorts, [6379]);
  });

  test('the default security group is emptied', () => {
    const d = m.resource('modules/vpc', 'aws_default_security_group', 'this');
    assert.equal(d.body.ingress, undefined);
    assert.equal(d.body.egress, undefined);
  });
});

// ------------------------------------------------------------------ data stores

describe('terraform: S3', () => {
  test('every bucket is encrypted, versioned and blocks all public access', () => {
    const all = Object.values(m.modules).flatMap((mod) => mod.resources.map((r) => ({ ...r, dir: mod.dir })));
    const buckets = all.filter((r) => r.type === 'aws_s3_bucket');
    assert.ok(buckets.length >= 1, 'no bucket');
    const about = (type, b) => all.filter((r) => r.type === type && r.dir === b.dir &&
      new RegExp(`aws_s3_bucket\\.${b.name}(\\[[^\\]]+\\])?\\.(id|bucket)`).test(String(r.body.bucket)));
    for (const b of buckets) {
      const where = `${b.dir}:${b.name}`;
      const enc = about('aws_s3_bucket_server_side_encryption_configuration', b);
      assert.equal(enc.length, 1, `${where}: server-side encryption configuration`);
      const algo = findBlocks(enc[0].body, 'apply_server_side_encryption_by_default')[0].sse_algorithm;
      assert.ok(['aws:kms', 'AES256', 'aws:kms:dsse'].includes(algo), `${where}: algorithm ${algo}`);
      const pab = about('aws_s3_bucket_public_access_block', b);
      assert.equal(pab.length, 1, `${where}: public access block`);
      for (const k of ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'])
        assert.equal(pab[0].body[k], true, `${where}: ${k}`);
      const ver = about('aws_s3_bucket_versioning', b);
      assert.equal(ver.length, 1, `${where}: versioning`);
      assert.equal(ver[0].body.versioning_configuration[0].status, 'Enabled', `${where}: versioning status`);
    }
  });
});

// ------------------------------------------------------------------ edge

// ------------------------------------------------------------------ ECS

// ------------------------------------------------------------------ IAM

describe('terraform: IAM', () => {
  // Documents used as a KMS key policy: there "*" means "this key" and the
  // account root administering the key is the default statement.
  const keyPolicies = (mod) => new Set(mod.resources.filter((r) => r.type === 'aws_kms_key')
    .map((r) => (/data\.aws_iam_policy_document\.([\w-]+)\.json/.exec(String(r.body.policy)) || [])[1]).filter(Boolean));
  const all = () => Object.values(m.modules).flatMap((mod) => mod.data
    .filter((d) => d.type === 'aws_iam_policy_document')
    .flatMap((d) => (d.body.statement || []).map((s) => ({ ...s, where: `${mod.dir}:${d.name}`,
      keyPolicy: keyPolicies(mod).has(d.name) }))));
  const statements = () => all().filter((s) => !s.keyPolicy);

  test('KMS key policies: only the account root administers, services get named actions', () => {
    const kp = all().filter((s) => s.keyPolicy);
    assert.ok(kp.length > 0, 'the alarm topic key has a key policy');
    for (const s of kp) {
      const principals = (s.principals || []).flatMap((p) => p.identifiers.map((id) => ({ type: p.type, id })));
      if ((s.actions || []).includes('kms:*'))
        assert.ok(principals.length > 0 && principals.every((p) => p.type === 'AWS' && /:root$/.test(p.id)),
          `${s.where}: kms:* for ${JSON.stringify(principals)}`);
      else
        for (const a of s.actions) assert.match(a, /^kms:(Decrypt|GenerateDataKey\*?|Encrypt|DescribeKey)$/, `${s.where}: ${a}`);
    }
  });

  test('no wildcard actions; GetSecretValue only on the application\'s secrets', () => {
    const st = statements();
    assert.ok(st.length > 0);
    for (const s of st) {
      if (s.effect === 'Deny') continue;
      for (const a of s.actions || []) {
        assert.notEqual(a, '*', `${s.where}: Action *`);
        assert.doesNotMatch(a, /^[a-z0-9-]+:\*$/, `${s.where}: ${a}`);
      }
      if ((s.actions || []).includes('secretsmanager:GetSecretValue')) {
        assert.equal(s.resources, '${var.secret_arns}', `${s.where}: GetSecretValue must be limited to the app's secrets`);
      }
    }
    const iam = m.calls().find((c) => c.name === 'iam');
    assert.equal(iam.body.secret_arns, '${module.secrets.secret_arns}');
  });

  test('resource "*" only for actions without resource-level permissions', () => {
    const allowed = new Set(['ecr:GetAuthorizationToken', 'ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition',
      'xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets',
      'xray:GetSamplingStatisticSummaries']);
    for (const s of statements()) {
      if (s.effect === 'Deny') continue;
      if (!(Array.isArray(s.resources) ? s.resources.includes('*') : s.resources === '*')) continue;
      for (const a of s.actions) assert.ok(allowed.has(a), `${s.where}: ${a} on "*"`);
    }
  });

  test('execution and task roles are assumable by ECS tasks only', () => {
    const assume = m.modules['modules/iam'].data.find((d) => d.name === 'ecs_tasks_assume').body;
    const p = one(assume.statement, 'statement').principals[0];
    assert.deepEqual(p.identifiers, ['ecs-tasks.amazonaws.com']);
  });
});

// ------------------------------------------------------------------ CloudWatch

