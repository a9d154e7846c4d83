'use strict';
// Policy checks of deploy/cloudformation/main.yaml, parsed with its short
// intrinsic tags and evaluated for each value of the Environment parameter.

const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { loadTemplate, Evaluator } = require('./lib/cfn');

const FILE = path.resolve(__dirname, '..', '..', 'deploy', 'cloudformation', 'main.yaml');
const ENVS = ['dev', 'staging', 'production'];
const t = loadTemplate(FILE);
const ev = (env) => new Evaluator(t, { Environment: env, ImageUri: 'example:tag', CertificateArn: 'arn:cert' });

describe('cloudformation: template', () => {
  test('parses with short-form tags; Environment parameter and IsProduction condition', () => {
    assert.equal(t.AWSTemplateFormatVersion, '2010-09-09');
    assert.deepEqual(t.Parameters.Environment.AllowedValues, ENVS);
    assert.deepEqual(t.Conditions.IsProduction, { 'Fn::Equals': [{ Ref: 'Environment' }, 'production'] });
    assert.equal(ev('production').condition('IsProduction'), true);
    assert.equal(ev('staging').condition('IsProduction'), false);
  });

  test('uses the short intrinsic tags (!Ref, !Sub, !If, !GetAtt)', () => {
    const text = require('node:fs').readFileSync(FILE, 'utf8');
    for (const tag of ['!Ref', '!Sub', '!If', '!GetAtt']) assert.ok(text.includes(`${tag} `), tag);
  });

  test('every Ref, GetAtt, Sub variable, DependsOn and Condition points at something defined', () => {
    const names = new Set([...Object.keys(t.Resources), ...Object.keys(t.Parameters || {})]);
    const problems = [];
    const visit = (v, where) => {
      if (Array.isArray(v)) return v.forEach((x) => visit(x, where));
      if (!v || typeof v !== 'object') return;
      for (const [k, x] of Object.entries(v)) {
        if (k === 'Ref' && typeof x === 'string' && !x.startsWith('AWS::') && !names.has(x)) problems.push(`${where}: Ref ${x}`);
        if (k === 'Fn::GetAtt' && !t.Resources[x[0]]) problems.push(`${where}: GetAtt ${x[0]}`);
        if (k === 'Fn::Sub') {
          const [str, vars] = Array.isArray(x) ? x : [x, {}];
          for (const [, ref] of String(str).matchAll(/\$\{([^}!]+)\}/g)) {
            const base = ref.split('.')[0];
            if (!base.startsWith('AWS::') && !names.has(base) && !(vars && base in vars)) problems.push(`${where}: Sub \${${ref}}`);
          }
        }
        if (k === 'Fn::If' && !(x[0] in (t.Conditions || {}))) problems.push(`${where}: If ${x[0]}`);
        visit(x, where);
      }
    };
    for (const [name, r] of Object.entries(t.Resources)) {
      visit(r.Properties, name);
      for (const d of [].concat(r.DependsOn || [])) if (!t.Resources[d]) problems.push(`${name}: DependsOn ${d}`);
      if (r.Condition && !(r.Condition in t.Conditions)) problems.push(`${name}: Condition ${r.Condition}`);
    }
    visit(t.Outputs, 'Outputs');
    assert.deepEqual(problems, []);
  });

  test('has the core resources', () => {
    const types = new Set(Object.values(t.Resources).map((r) => r.Type));
    for (const type of ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::ECS::Cluster', 'AWS::ECS::Service', 'AWS::ECS::TaskDefinition',
      'AWS::RDS::DBInstance', 'AWS::ElastiCache::ReplicationGroup', 'AWS::ElasticLoadBalancingV2::LoadBalancer',
      'AWS::ElasticLoadBalancingV2::Listener', 'AWS::ElasticLoadBalancingV2::TargetGroup', 'AWS::CloudWatch::Alarm'])
      assert.ok(types.has(type), type);
  });
});

describe('cloudformation: policies', () => {
  test('VPC CIDRs per the plan', () => {
    const e = ev('production');
    assert.equal(e.resources('AWS::EC2::VPC')[0].props.CidrBlock, '10.0.0.0/16');
    const cidrs = e.resources('AWS::EC2::Subnet').map((s) => s.props.CidrBlock).sort();
    assert.deepEqual(cidrs, ['10.0.1.0/24', '10.0.10.0/24', '10.0.2.0/24', '10.0.20.0/24', '10.0.30.0/24']);
  });

  test('RDS: encrypted, backups 7 days, Multi-AZ and deletion protection in production only, replica in production', () => {
    for (const env of ENVS) {
      const dbs = ev(env).resources('AWS::RDS::DBInstance');
      const primary = dbs.find((d) => !d.props.SourceDBInstanceIdentifier);
      assert.equal(primary.props.StorageEncrypted, true);
      assert.ok(primary.props.KmsKeyId, 'KMS key');
      assert.equal(primary.props.Engine, 'postgres');
      assert.match(String(primary.props.EngineVersion), /^15/);
      assert.equal(primary.props.BackupRetentionPeriod, 7);
      assert.equal(primary.props.PreferredBackupWindow, '03:00-04:00');
      assert.equal(primary.props.PreferredMaintenanceWindow, 'sun:04:00-sun:05:00');
      assert.equal(primary.props.EnablePerformanceInsights, true);
      assert.equal(primary.props.PubliclyAccessible, false);
      assert.equal(primary.props.MultiAZ, env === 'production', `${env}: MultiAZ`);
      assert.equal(primary.props.DeletionProtection, env === 'production', `${env}: DeletionProtection`);
      const replicas = dbs.filter((d) => d.props.SourceDBInstanceIdentifier);
      assert.equal(replicas.length, env === 'production' ? 1 : 0, `${env}: read replicas`);
      for (const r of replicas) assert.deepEqual(r.props.SourceDBInstanceIdentifier, { Ref: primary.name });
    }
    assert.equal(ev('production').resources('AWS::RDS::DBInstance')[0].props.DBInstanceClass, 'db.t3.medium');
    assert.equal(ev('dev').resources('AWS::RDS::DBInstance')[0].props.DBInstanceClass, 'db.t3.micro');
  });

  test('ElastiCache: encryption at rest and in transit, Redis 7, node types', () => {
    const want = { dev: 'cache.t3.micro', staging: 'cache.t3.small', production: 'cache.r6g.large' };
    for (const env of ENVS) {
      const [c] = ev(env).resources('AWS::ElastiCache::ReplicationGroup');
      assert.equal(c.props.AtRestEncryptionEnabled, true);
      assert.equal(c.props.TransitEncryptionEnabled, true);
      assert.match(String(c.props.EngineVersion), /^7/);
      assert.equal(c.props.CacheNodeType, want[env]);
      assert.equal(c.props.AutomaticFailoverEnabled, c.props.NumCacheClusters > 1);
    }
  });

  test('ALB: target group health check /up, HTTPS 443 with a certificate, 80 redirects to 443', () => {
    const e = ev('production');
    const [tg] = e.resources('AWS::ElasticLoadBalancingV2::TargetGroup');
    assert.equal(tg.props.HealthCheckPath, '/up');
    const listeners = e.resources('AWS::ElasticLoadBalancingV2::Listener').map((l) => l.props);
    const https = listeners.find((l) => l.Port === 443);
    assert.equal(https.Protocol, 'HTTPS');
    assert.ok(https.Certificates && https.Certificates[0].CertificateArn);
    const http = listeners.find((l) => l.Port === 80);
    const rc = http.DefaultActions[0].RedirectConfig;
    assert.equal(http.DefaultActions[0].Type, 'redirect');
    assert.equal(rc.Protocol, 'HTTPS');
    assert.equal(String(rc.Port), '443');
    assert.equal(rc.StatusCode, 'HTTP_301');
  });

  test('security groups: only the ALB is open to the world, on 443 and 80', () => {
    const e = ev('production');
    const albSg = e.resources('AWS::ElasticLoadBalancingV2::LoadBalancer')[0].props.SecurityGroups[0].Ref;
    const rules = [];
    for (const sg of e.resources('AWS::EC2::SecurityGroup'))
      for (const r of sg.props.SecurityGroupIngress || []) rules.push({ sg: sg.name, ...r });
    for (const r of e.resources('AWS::EC2::SecurityGroupIngress')) rules.push({ sg: r.props.GroupId.Ref, ...r.props });
    for (const r of rules) {
      if (r.CidrIp === '0.0.0.0/0' || r.CidrIpv6 === '::/0') {
        assert.equal(r.sg, albSg, `${r.sg}: open to the world`);
        assert.ok(r.FromPort === r.ToPort && [443, 80].includes(r.FromPort), `${r.sg}: port ${r.FromPort}`);
      } else {
        assert.ok(r.SourceSecurityGroupId, `${r.sg}: CIDR ${r.CidrIp || r.CidrIpv6}; only security-group sources expected`);
      }
    }
    const svc = e.resources('AWS::ECS::Service').find((s) => s.props.LoadBalancers);
    const appSg = svc.props.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups[0].Ref;
    const from = (sg) => rules.filter((r) => r.sg === sg).map((r) => r.SourceSecurityGroupId && r.SourceSecurityGroupId.Ref);
    assert.deepEqual(from(appSg), [albSg], 'tasks only from the ALB');
    const dbSg = e.resources('AWS::RDS::DBInstance')[0].props.VPCSecurityGroups[0].Ref;
    assert.deepEqual(from(dbSg), [appSg], 'RDS only from the tasks');
    const cacheSg = e.resources('AWS::ElastiCache::ReplicationGroup')[0].props.SecurityGroupIds[0].Ref;
    assert.deepEqual(from(cacheSg), [appSg], 'Redis only from the tasks');
  });

  test('WAF: 100 requests per 60 s per IP, SQLi and common rule sets, associated with the ALB', () => {
    const e = ev('production');
    const [acl] = e.resources('AWS::WAFv2::WebACL');
    const rate = acl.props.Rules.map((r) => r.Statement.RateBasedStatement).filter(Boolean);
    assert.equal(rate.length, 1);
    assert.equal(rate[0].Limit, 100);
    assert.equal(rate[0].EvaluationWindowSec, 60);
    assert.equal(rate[0].AggregateKeyType, 'IP');
    const managed = acl.props.Rules.map((r) => r.Statement.ManagedRuleGroupStatement).filter(Boolean).map((s) => s.Name);
    assert.ok(managed.includes('AWSManagedRulesSQLiRuleSet'));
    assert.ok(managed.includes('AWSManagedRulesCommonRuleSet'));
    const [assoc] = e.resources('AWS::WAFv2::WebACLAssociation');
    assert.deepEqual(assoc.props.ResourceArn, { Ref: 'LoadBalancer' });
  });

  test('ECS task sizes per environment and API scaling 2..20 in production', () => {
    const want = { dev: ['256', '512', '256', '512'], staging: ['512', '1024', '512', '1024'], production: ['1024', '2048', '512', '1024'] };
    for (const env of ENVS) {
      const e = ev(env);
      const td = Object.fromEntries(e.resources('AWS::ECS::TaskDefinition').map((r) => [r.name, r.props]));
      assert.deepEqual([td.ApiTaskDefinition.Cpu, td.ApiTaskDefinition.Memory, td.WorkerTaskDefinition.Cpu,
        td.WorkerTaskDefinition.Memory].map(String), want[env], env);
      assert.deepEqual(td.ApiTaskDefinition.ContainerDefinitions[0].HealthCheck.Command, ['CMD', 'tvshows', 'healthcheck']);
      assert.deepEqual(td.MigrateTaskDefinition.ContainerDefinitions[0].Command, ['migrate']);
    }
    const p = ev('production');
    const [target] = p.resources('AWS::ApplicationAutoScaling::ScalableTarget');
    assert.equal(target.props.MinCapacity, 2);
    assert.equal(target.props.MaxCapacity, 20);
    const targets = Object.fromEntries(p.resources('AWS::ApplicationAutoScaling::ScalingPolicy').map((s) => {
      const c = s.props.TargetTrackingScalingPolicyConfiguration;
      return [c.PredefinedMetricSpecification.PredefinedMetricType, c.TargetValue];
    }));
    assert.deepEqual(targets, { ECSServiceAverageCPUUtilization: 70, ECSServiceAverageMemoryUtilization: 80, ALBRequestCountPerTarget: 1000 });
  });

  test('log retention 30 days in production, 7 in staging', () => {
    for (const [env, days] of [['production', 30], ['staging', 7]])
      for (const lg of ev(env).resources('AWS::Logs::LogGroup')) assert.equal(lg.props.RetentionInDays, days, `${env} ${lg.name}`);
    const names = ev('production').resources('AWS::Logs::LogGroup').map((l) => l.props.LogGroupName).sort();
    assert.deepEqual(names, ['/aws/ecs/tv-shows-api', '/aws/ecs/tv-shows-worker']);
  });

  test('the four alarms with the plan\'s thresholds', () => {
    const alarms = ev('production').resources('AWS::CloudWatch::Alarm').map((a) => a.props);
    const metricsOf = (a) => (a.Metrics || []).filter((q) => q.MetricStat).map((q) => q.MetricStat.Metric.MetricName)
      .concat(a.MetricName ? [a.MetricName] : []);
    const find = (name) => {
      const a = alarms.find((x) => metricsOf(x).includes(name));
      assert.ok(a, `alarm on ${name}`);
      return a;
    };
    const err = find('Error5xxCount');
    assert.ok(metricsOf(err).includes('RequestCount'));
    assert.equal(err.Threshold, 5);
    assert.ok(err.Metrics.every((q) => !q.MetricStat || (q.MetricStat.Period === 300 && q.MetricStat.Metric.Namespace === 'TvShows')));
    const lat = find('Latency');
    assert.equal(lat.Threshold, 2000);
    assert.equal(lat.Statistic, 'Average');
    assert.equal(lat.Period, 300);
    assert.equal(find('DbConnectionErrors').Threshold, 0);
    assert.equal(find('DbConnectionErrors').ComparisonOperator, 'GreaterThanThreshold');
    assert.equal(find('QueueDepth').Threshold, 100);
    for (const a of alarms) assert.ok(a.AlarmActions && a.AlarmActions.length, `${a.AlarmName}: actions`);
  });

  test('IAM: GetSecretValue only on the application\'s secret, no wildcard actions', () => {
    for (const role of ev('production').resources('AWS::IAM::Role')) {
      for (const pol of role.props.Policies || []) {
        for (const st of pol.PolicyDocument.Statement) {
          const actions = [].concat(st.Action);
          for (const a of actions) assert.doesNotMatch(a, /(^\*$|:\*$)/, `${role.name}: ${a}`);
          if (actions.includes('secretsmanager:GetSecretValue'))
            assert.ok([].concat(st.Resource).every((r) => r && r.Ref), `${role.name}: GetSecretValue on a specific secret`);
          if ([].concat(st.Resource).includes('*')) assert.deepEqual(actions, ['ecr:GetAuthorizationToken'], `${role.name}: * resource`);
        }
      }
    }
  });
});
