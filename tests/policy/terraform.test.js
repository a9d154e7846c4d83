'use strict';
// Policy checks of deploy/terraform: every .tf file is parsed with a real
// HCL2 parser and the deployment plan's values are asserted on the parsed
// configuration, evaluated per environment from environments/*.tfvars.

const { test, describe, before } = require('node:test');
const assert = require('node:assert/strict');
const { loadTerraform, findBlocks, isUnknown } = require('./lib/hcl');

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

  test('the plan\'s modules exist and are called', () => {
    const dirs = new Set(m.calls().map((c) => c.dir));
    for (const mod of ['vpc', 'rds', 'elasticache', 'ecs', 'alb', 'waf', 'cloudfront', 'secrets', 'iam',
      'cloudwatch', 's3']) {
      assert.ok(m.modules[`modules/${mod}`], `modules/${mod} missing`);
      assert.ok(dirs.has(`modules/${mod}`), `modules/${mod} is never called`);
    }
  });

  test('module calls pass only declared variables and every required one', () => {
    for (const call of m.calls()) {
      const mod = m.modules[call.dir];
      assert.ok(mod, `module.${call.name}: ${call.dir} does not exist`);
      const meta = new Set(['source', 'count', 'for_each', 'providers', 'depends_on', 'version']);
      for (const arg of Object.keys(call.body))
        if (!meta.has(arg)) assert.ok(arg in mod.variables, `module.${call.name}: ${arg} is not a variable of ${call.dir}`);
      for (const [name, v] of Object.entries(mod.variables))
        if (!('default' in v)) assert.ok(name in call.body, `module.${call.name}: required ${name} not passed`);
    }
  });

  test('references resolve: var.*, local.*, module.*.*, resources and data sources', () => {
    const problems = [];
    for (const mod of Object.values(m.modules)) {
      const declared = new Set(mod.resources.map((r) => `${r.type}.${r.name}`));
      const data = new Set(mod.data.map((r) => `${r.type}.${r.name}`));
      const bodies = [
        ...mod.resources.map((r) => r.body), ...mod.data.map((r) => r.body),
        mod.locals, ...Object.values(mod.outputs), ...Object.values(mod.modules),
        ...Object.values(mod.providers).flat(),
      ];
      // variable validations may reference their own variable
      for (const v of Object.values(mod.variables)) if (v.validation) bodies.push(v.validation);
      const text = JSON.stringify(bodies);
      for (const [, name] of text.matchAll(/(?<![\w.])var\.([A-Za-z_][\w-]*)/g))
        if (!(name in mod.variables)) problems.push(`${mod.dir}: var.${name} not declared`);
      for (const [, name] of text.matchAll(/(?<![\w.])local\.([A-Za-z_][\w-]*)/g))
        if (!(name in mod.locals)) problems.push(`${mod.dir}: local.${name} not declared`);
      for (const [, call, out] of text.matchAll(/(?<![\w.])module\.([\w-]+)(?:\[\d+\])?\.([\w-]+)/g)) {
        const c = mod.modules[call];
        if (!c) { problems.push(`${mod.dir}: module.${call} not declared`); continue; }
        const target = m.modules[String(c.source).replace(/^\.\//, '')];
        if (!target || !(out in target.outputs)) problems.push(`${mod.dir}: module.${call}.${out} is not an output`);
      }
      for (const [, type, name] of text.matchAll(/(?<![\w.-])((?:aws|random)_[a-z0-9_]+)\.([a-z0-9_-]+)(?=[.\[])/g))
        if (!declared.has(`${type}.${name}`)) problems.push(`${mod.dir}: ${type}.${name} not declared`);
      for (const [, type, name] of text.matchAll(/(?<![\w.])data\.([a-z0-9_]+)\.([a-z0-9_-]+)/g))
        if (!data.has(`${type}.${name}`)) problems.push(`${mod.dir}: data.${type}.${name} not declared`);
    }
    assert.deepEqual(problems, []);
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
  test('VPC CIDRs per the plan', () => {
    for (const env of ENVS) {
      const s = m.callScope(env, 'vpc');
      const vpc = m.resource('modules/vpc', 'aws_vpc', 'this');
      assert.equal(s.value(vpc.body.cidr_block), '10.0.0.0/16', env);
      assert.deepEqual(s.vars('public_subnet_cidrs'), ['10.0.1.0/24', '10.0.2.0/24'], env);
      assert.deepEqual(s.vars('private_subnet_cidrs'), ['10.0.10.0/24', '10.0.20.0/24', '10.0.30.0/24'], env);
    }
  });

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

describe('terraform: RDS PostgreSQL', () => {
  test('every instance is encrypted with the KMS key and private', () => {
    const dbs = m.resources('modules/rds', 'aws_db_instance');
    assert.ok(dbs.length >= 2, 'primary and replica');
    for (const db of dbs) {
      assert.equal(db.body.storage_encrypted, true, `${db.name}: storage_encrypted`);
      assert.ok(db.body.kms_key_id, `${db.name}: kms_key_id`);
      assert.equal(db.body.publicly_accessible, false, `${db.name}: publicly_accessible`);
      assert.equal(db.body.performance_insights_enabled, true, `${db.name}: Performance Insights`);
    }
  });

  test('primary: PostgreSQL 15, gp3, backups 7 days 03:00-04:00, maintenance Sun 04:00-05:00', () => {
    const db = m.resource('modules/rds', 'aws_db_instance', 'primary').body;
    for (const env of ENVS) {
      const s = m.callScope(env, 'database');
      assert.equal(s.value(db.engine), 'postgres');
      assert.match(String(s.value(db.engine_version)), /^15(\.|$)/);
      assert.equal(db.storage_type, 'gp3');
      assert.equal(s.value(db.backup_retention_period), 7, `${env}: backup_retention_period`);
      assert.equal(db.backup_window, '03:00-04:00');
      assert.equal(db.maintenance_window, 'sun:04:00-sun:05:00');
    }
    const p = m.callScope('production', 'database');
    assert.equal(p.value(db.allocated_storage), 100);
    assert.equal(p.value(db.max_allocated_storage), 1000);
  });

  test('Multi-AZ and deletion protection are on in production', () => {
    const db = m.resource('modules/rds', 'aws_db_instance', 'primary').body;
    const s = m.callScope('production', 'database');
    assert.equal(s.value(db.multi_az), true, 'multi_az in production');
    assert.equal(s.value(db.deletion_protection), true, 'deletion_protection in production');
    // and they stay on even if production.tfvars said otherwise
    const call = m.calls().find((c) => c.name === 'database');
    for (const attr of ['multi_az', 'deletion_protection'])
      assert.match(call.body[attr], /local\.is_production \|\|/, `${attr} is forced on in production`);
    assert.equal(m.tfvars.production.db_multi_az, true);
    assert.equal(m.tfvars.production.db_deletion_protection, true);
    assert.equal(m.rootScope('production').local('is_production'), true);
    assert.equal(m.rootScope('staging').local('is_production'), false);
  });

  test('instance classes and the production read replica', () => {
    const db = m.resource('modules/rds', 'aws_db_instance', 'primary').body;
    const replica = m.resource('modules/rds', 'aws_db_instance', 'replica').body;
    const want = { dev: 'db.t3.micro', staging: 'db.t3.small', production: 'db.t3.medium' };
    for (const env of ENVS) {
      const s = m.callScope(env, 'database');
      assert.equal(s.value(db.instance_class), want[env], `${env}: instance class`);
    }
    assert.ok(m.callScope('production', 'database').value(replica.count) >= 1, 'production has a read replica');
    assert.match(replica.replicate_source_db, /aws_db_instance\.primary/);
  });
});

describe('terraform: ElastiCache Redis', () => {
  test('Redis 7, encrypted at rest and in transit', () => {
    const groups = m.resources('modules/elasticache', 'aws_elasticache_replication_group');
    assert.equal(groups.length, 1);
    const g = groups[0].body;
    assert.equal(g.engine, 'redis');
    assert.equal(g.at_rest_encryption_enabled, true);
    assert.equal(g.transit_encryption_enabled, true);
    assert.ok(g.kms_key_id, 'at-rest KMS key');
    for (const env of ENVS) assert.match(String(m.callScope(env, 'cache').value(g.engine_version)), /^7(\.|$)/);
    assert.equal(m.resources('modules/elasticache', 'aws_elasticache_cluster').length, 0, 'no unencrypted single clusters');
  });

  test('node types per environment; failover and Multi-AZ where there are replicas', () => {
    const g = m.resource('modules/elasticache', 'aws_elasticache_replication_group', 'this').body;
    const want = { dev: 'cache.t3.micro', staging: 'cache.t3.small', production: 'cache.r6g.large' };
    for (const env of ENVS) {
      const s = m.callScope(env, 'cache');
      assert.equal(s.value(g.node_type), want[env], `${env}: node type`);
      const nodes = s.value(g.num_cache_clusters);
      assert.equal(s.value(g.automatic_failover_enabled), nodes > 1, `${env}: automatic failover`);
      assert.equal(s.value(g.multi_az_enabled), nodes > 1, `${env}: multi-AZ`);
    }
    assert.equal(m.callScope('production', 'cache').value(g.num_cache_clusters), 3, 'production: 3 nodes');
    assert.equal(g.snapshot_window, '05:00-06:00');
    assert.equal(g.maintenance_window, 'sun:06:00-sun:07:00');
  });
});

describe('terraform: S3', () => {
  test('every bucket is encrypted, versioned and blocks all public access', () => {
    const all = Object.values(m.modules).flatMap((mod) => mod.resources.map((r) => ({ ...r, dir: mod.dir })));
    const buckets = all.filter((r) => r.type === 'aws_s3_bucket');
    assert.ok(buckets.length >= 1, 'no bucket');
    const about = (type, b) => all.filter((r) => r.type === type && r.dir === b.dir &&
      new RegExp(`aws_s3_bucket\\.${b.name}\\.(id|bucket)`).test(String(r.body.bucket)));
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

describe('terraform: ALB, WAF, CloudFront', () => {
  test('target group health check GET /up; HTTPS 443 with ACM; 80 redirects to 443', () => {
    const tg = m.resource('modules/alb', 'aws_lb_target_group', 'api').body;
    const hc = one(tg.health_check, 'health_check');
    for (const env of ENVS) assert.equal(m.callScope(env, 'alb').value(hc.path), '/up', `${env}: health check path`);
    assert.equal(String(hc.matcher), '200');
    assert.equal(tg.target_type, 'ip');

    const listeners = m.resources('modules/alb', 'aws_lb_listener').map((l) => l.body);
    const https = listeners.find((l) => l.port === 443);
    assert.ok(https, 'listener on 443');
    assert.equal(https.protocol, 'HTTPS');
    assert.ok(https.certificate_arn, 'HTTPS certificate');
    assert.match(https.ssl_policy, /TLS13|TLS-1-2/, 'modern TLS policy');
    const http = listeners.find((l) => l.port === 80);
    assert.ok(http, 'listener on 80');
    const action = one(http.default_action, 'default_action');
    assert.equal(action.type, 'redirect');
    const redirect = one(action.redirect, 'redirect');
    assert.equal(String(redirect.port), '443');
    assert.equal(redirect.protocol, 'HTTPS');
    assert.equal(redirect.status_code, 'HTTP_301');
    assert.equal(listeners.length, 2, 'no other listener');
  });

  test('WAF: 100 requests per 60 s per client IP, SQLi, common and XSS rules', () => {
    const acl = m.resource('modules/waf', 'aws_wafv2_web_acl', 'this').body;
    const rate = one(findBlocks(acl, 'rate_based_statement'), 'rate_based_statement');
    const managed = findBlocks(acl, 'managed_rule_group_statement').map((s) => s.name);
    for (const name of ['AWSManagedRulesSQLiRuleSet', 'AWSManagedRulesCommonRuleSet'])
      assert.ok(managed.includes(name), `managed rule group ${name}`);
    assert.ok(findBlocks(acl, 'xss_match_statement').length > 0, 'XSS match rule');
    const rateRule = findBlocks(acl, 'rule').find((r) => findBlocks(r, 'rate_based_statement').length);
    assert.ok(findBlocks(rateRule.action, 'block').length, 'rate rule blocks');

    for (const env of ENVS) {
      const instances = m.callsOf('modules/waf').filter((c) => m.callActive(env, c.name));
      assert.ok(instances.length >= 1, `${env}: no WAF`);
      const byIp = [];
      for (const c of instances) {
        const s = m.callScope(env, c.name);
        assert.equal(s.value(rate.limit), 100, `${env} ${c.name}: limit`);
        assert.equal(s.value(rate.evaluation_window_sec), 60, `${env} ${c.name}: evaluation_window_sec`);
        const key = s.value(rate.aggregate_key_type);
        assert.ok(['IP', 'FORWARDED_IP'].includes(key), `${env} ${c.name}: aggregate_key_type ${key}`);
        if (key === 'IP') byIp.push(c.name);
      }
      assert.ok(byIp.length >= 1, `${env}: no WAF instance counts per client IP`);
      // the instance that sees real client addresses counts per IP: the
      // edge (CloudFront) one when CloudFront is on, the ALB one otherwise
      const cf = m.rootScope(env).vars('enable_cloudfront');
      const edge = m.callsOf('modules/waf').find((c) => m.callScope(env, c.name).vars('scope') === 'CLOUDFRONT');
      const regional = m.callsOf('modules/waf').find((c) => m.callScope(env, c.name).vars('scope') === 'REGIONAL');
      assert.ok(byIp.includes(cf ? edge.name : regional.name), `${env}: the client-facing WAF must count per IP`);
    }
  });

  test('the regional WAF protects the ALB', () => {
    const assoc = m.resource('modules/waf', 'aws_wafv2_web_acl_association', 'this').body;
    const regional = m.callsOf('modules/waf').find((c) => c.body.scope === 'REGIONAL');
    assert.ok(regional, 'a REGIONAL WAF instance');
    for (const env of ENVS) assert.equal(m.callScope(env, regional.name).value(assoc.count), 1, env);
    assert.match(regional.body.associated_resource_arn, /module\.alb\.alb_arn/);
  });

  test('CloudFront: HTTPS only, edge WAF, default TTL 1 hour', () => {
    const d = m.resource('modules/cloudfront', 'aws_cloudfront_distribution', 'this').body;
    assert.equal(one(d.default_cache_behavior, 'default_cache_behavior').viewer_protocol_policy, 'redirect-to-https');
    assert.ok(d.web_acl_id, 'web_acl_id');
    assert.equal(one(findBlocks(d, 'custom_origin_config'), 'origin').origin_protocol_policy, 'https-only');
    const cp = m.resource('modules/cloudfront', 'aws_cloudfront_cache_policy', 'api').body;
    assert.equal(m.callScope('production', 'cloudfront').value(cp.default_ttl), 3600);
  });
});

// ------------------------------------------------------------------ ECS

describe('terraform: ECS', () => {
  const SIZES = {
    dev: { api: [256, 512], worker: [256, 512] },
    staging: { api: [512, 1024], worker: [512, 1024] },
    production: { api: [1024, 2048], worker: [512, 1024] },
  };

  test('task CPU and memory per environment (plan: Resource Sizing)', () => {
    for (const env of ENVS) {
      const s = m.callScope(env, 'ecs');
      for (const [name, size] of [['api', 'api'], ['worker', 'worker'], ['migrate', 'worker']]) {
        const td = m.resource('modules/ecs', 'aws_ecs_task_definition', name).body;
        assert.equal(Number(s.value(td.cpu)), SIZES[env][size][0], `${env} ${name}: cpu`);
        assert.equal(Number(s.value(td.memory)), SIZES[env][size][1], `${env} ${name}: memory`);
        assert.deepEqual(td.requires_compatibilities, ['FARGATE']);
        assert.equal(td.network_mode, 'awsvpc');
      }
    }
  });

  test('containers run the right commands; the API has a health check on tvshows healthcheck', () => {
    const defs = Object.fromEntries(['api', 'worker', 'migrate'].map((n) => [n,
      m.resource('modules/ecs', 'aws_ecs_task_definition', n).body.container_definitions]));
    assert.match(defs.api, /"serve",\s*"--no-worker"/);
    assert.match(defs.api, /"CMD",\s*"tvshows",\s*"healthcheck"/);
    assert.match(defs.worker, /command\s*=\s*\["worker"\]/);
    assert.match(defs.migrate, /command\s*=\s*\["migrate"\]/);
  });

  test('services on Fargate in private subnets, circuit breaker on, API behind the ALB', () => {
    for (const name of ['api', 'worker']) {
      const svc = m.resource('modules/ecs', 'aws_ecs_service', name).body;
      assert.equal(svc.launch_type, 'FARGATE');
      assert.equal(one(svc.network_configuration, 'network_configuration').assign_public_ip, false);
      const cb = one(svc.deployment_circuit_breaker, 'circuit breaker');
      assert.equal(cb.enable, true);
      assert.equal(cb.rollback, true);
    }
    const api = m.resource('modules/ecs', 'aws_ecs_service', 'api').body;
    assert.equal(one(api.load_balancer, 'load_balancer').container_name, 'tv-shows-api');
  });

  test('auto scaling: CPU 70 %, memory 80 %, 1000 requests per target; production 2..20', () => {
    const target = m.resource('modules/ecs', 'aws_appautoscaling_target', 'api').body;
    const p = m.callScope('production', 'ecs');
    assert.equal(p.value(target.min_capacity), 2);
    assert.equal(p.value(target.max_capacity), 20);
    const want = {
      ECSServiceAverageCPUUtilization: 70,
      ECSServiceAverageMemoryUtilization: 80,
      ALBRequestCountPerTarget: 1000,
    };
    const found = {};
    for (const pol of m.resources('modules/ecs', 'aws_appautoscaling_policy')) {
      if (!/aws_appautoscaling_target\.api\./.test(pol.body.resource_id)) continue;
      const cfg = one(pol.body.target_tracking_scaling_policy_configuration, 'target tracking');
      const type = one(cfg.predefined_metric_specification, 'metric').predefined_metric_type;
      found[type] = p.value(cfg.target_value);
      assert.equal(p.value(cfg.scale_out_cooldown), 300, `${type}: scale-out cooldown`);
      assert.equal(p.value(cfg.scale_in_cooldown), 900, `${type}: scale-in cooldown`);
    }
    assert.deepEqual(found, want);
  });

  test('containers get their secrets from Secrets Manager, not plain environment', () => {
    const env = m.rootScope('production').local('app_environment');
    for (const secret of ['DATABASE_URL', 'DATABASE_REPLICA_URL', 'REDIS_URL', 'API_KEYS_SHA256'])
      assert.ok(!(secret in env), `${secret} must not be a plain environment variable`);
    assert.equal(env.HOST, '0.0.0.0');
    assert.equal(env.PORT, '3000');
    assert.equal(env.LOG_EMF, 'true', 'EMF metrics feed the alarms');
    const keys = m.modules['modules/secrets'].locals;
    const all = [...m.rootScope('production').value(keys.connection_keys), ...m.rootScope('production').value(keys.auth_keys)];
    for (const k of ['DATABASE_URL', 'DATABASE_REPLICA_URL', 'REDIS_URL', 'API_KEYS_SHA256', 'JWT_ISSUER', 'JWT_AUDIENCE'])
      assert.ok(all.includes(k), `secret ${k}`);
  });
});

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
    const allowed = new Set(['ecr:GetAuthorizationToken', 'ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition']);
    for (const s of statements()) {
      if (s.effect === 'Deny') continue;
      if (!(s.resources || []).includes('*')) continue;
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

describe('terraform: CloudWatch', () => {
  test('log groups /aws/ecs/tv-shows-api and -worker: 30 days in production, 7 in staging', () => {
    const want = { production: 30, staging: 7, dev: 7 };
    for (const env of ENVS) {
      const s = m.callScope(env, 'cloudwatch');
      for (const name of ['api', 'worker']) {
        const lg = m.resource('modules/cloudwatch', 'aws_cloudwatch_log_group', name).body;
        assert.equal(s.value(lg.retention_in_days), want[env], `${env} ${name}: retention`);
        const n = s.value(lg.name);
        assert.ok(n.startsWith(`/aws/ecs/tv-shows-${name}`), `${env}: ${n}`);
        if (env === 'production') assert.equal(n, `/aws/ecs/tv-shows-${name}`);
      }
    }
  });

  function alarms(env) {
    const s = m.callScope(env, 'cloudwatch');
    return m.resources('modules/cloudwatch', 'aws_cloudwatch_metric_alarm').map((a) => {
      const queries = a.body.metric_query || [];
      const metrics = queries.flatMap((q) => (q.metric || []).map((mm) => ({
        name: s.value(mm.metric_name), ns: s.value(mm.namespace), period: s.value(mm.period), stat: s.value(mm.stat) })));
      if (a.body.metric_name) metrics.push({ name: s.value(a.body.metric_name), ns: s.value(a.body.namespace),
        period: s.value(a.body.period), stat: s.value(a.body.statistic) });
      return { name: a.name, body: a.body, s, metrics, names: metrics.map((x) => x.name),
        threshold: s.value(a.body.threshold), op: a.body.comparison_operator,
        exprs: queries.map((q) => q.expression).filter(Boolean) };
    });
  }

  test('the four alarms of the plan, on the application\'s EMF metrics', () => {
    for (const env of ENVS) {
      const all = alarms(env);
      const find = (metric) => {
        const hits = all.filter((a) => a.names.includes(metric));
        assert.ok(hits.length >= 1, `${env}: no alarm on ${metric}`);
        return hits[0];
      };
      // error rate > 5 % over 5 minutes
      const err = find('Error5xxCount');
      assert.ok(err.names.includes('RequestCount'), 'error rate divides by RequestCount');
      assert.ok(err.exprs.some((e) => /100\s*\*/.test(e) && /errors/.test(e) && /requests/.test(e)), 'percentage expression');
      assert.equal(err.threshold, 5);
      assert.equal(err.op, 'GreaterThanThreshold');
      assert.ok(err.metrics.every((x) => x.period === 300 && x.stat === 'Sum' && x.ns === 'TvShows'));
      assert.equal(err.body.evaluation_periods, 1);
      // average latency > 2 s over 5 minutes
      const lat = find('Latency');
      assert.equal(lat.threshold, 2000);
      assert.equal(lat.op, 'GreaterThanThreshold');
      assert.deepEqual(lat.metrics[0], { name: 'Latency', ns: 'TvShows', period: 300, stat: 'Average' });
      assert.equal(lat.body.evaluation_periods, 1);
      // database connection failures
      const db = find('DbConnectionErrors');
      assert.equal(db.threshold, 0);
      assert.equal(db.op, 'GreaterThanThreshold');
      assert.equal(db.metrics[0].ns, 'TvShows');
      // queue backlog > 100 jobs
      const q = find('QueueDepth');
      assert.equal(q.threshold, 100);
      assert.equal(q.op, 'GreaterThanThreshold');
      assert.equal(q.metrics[0].ns, 'TvShows');
      for (const a of [err, lat, db, q]) assert.ok(a.body.alarm_actions, `${a.name}: alarm_actions`);
    }
  });

  test('EMF metric names used by alarms are the ones the application emits', () => {
    const emitted = new Set(['RequestCount', 'Error5xxCount', 'Latency', 'DbConnectionErrors', 'QueueDepth', 'ImportFailures']);
    for (const a of alarms('production'))
      for (const x of a.metrics) if (x.ns === 'TvShows') assert.ok(emitted.has(x.name), `${a.name}: unknown metric ${x.name}`);
  });

  test('no unknown values in policy-relevant settings', () => {
    // a guard for the evaluator itself: these must all be concrete
    for (const env of ENVS) {
      const s = m.callScope(env, 'ecs');
      for (const v of ['api_cpu', 'api_memory', 'api_min_count', 'api_max_count']) assert.ok(!isUnknown(s.vars(v)), v);
    }
  });
});
