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
const ev = (env, more = {}) => new Evaluator(t, { Environment: env, ImageUri: 'example:tag', CertificateArn: 'arn:cert', ...more });

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
      assert.equal(replicas.length, env === 'production' ? 2 : 0, `${env}: read replicas`);
      // RDS keeps and rotates the master password; TLS is required
      assert.equal(primary.props.ManageMasterUserPassword, true);
      assert.equal(primary.props.MasterUserPassword, undefined);
      const pg = ev(env).resources('AWS::RDS::DBParameterGroup').find((g) => g.name === primary.props.DBParameterGroupName.Ref);
      assert.equal(pg.props.Parameters['rds.force_ssl'], '1');
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

  test('the plan\'s alarms per environment (Environment/Service dimensions), and alarms that see an outage', () => {
    const alarms = ev('production').resources('AWS::CloudWatch::Alarm').map((a) => a.props);
    const stats = (a) => (a.Metrics || []).filter((q) => q.MetricStat).map((q) => q.MetricStat.Metric)
      .concat(a.MetricName ? [{ MetricName: a.MetricName, Namespace: a.Namespace, Dimensions: a.Dimensions }] : []);
    const find = (name) => {
      const a = alarms.find((x) => stats(x).some((m) => m.MetricName === name));
      assert.ok(a, `alarm on ${name}`);
      return a;
    };
    const dims = (m) => Object.fromEntries((m.Dimensions || []).map((d) => [d.Name, d.Value]));
    const err = find('Error5xxCount');
    assert.equal(err.Threshold, 5);
    assert.equal(err.TreatMissingData, 'breaching', 'no API metrics means no API');
    for (const m of stats(err)) assert.deepEqual(dims(m), { Environment: 'production', Service: 'api' });
    const lat = find('TargetResponseTime');
    assert.equal(lat.ExtendedStatistic, 'p99', 'latency on a percentile');
    assert.equal(lat.Statistic, undefined);
    assert.equal(lat.Threshold, 2);
    assert.equal(find('DbConnectionErrors').Threshold, 0);
    const q = find('QueueDepth');
    assert.equal(q.Threshold, 100);
    assert.equal(q.TreatMissingData, 'breaching');
    assert.deepEqual(dims(stats(q)[0]), { Environment: 'production', Service: 'worker' });
    const healthy = find('HealthyHostCount');
    assert.equal(healthy.ComparisonOperator, 'LessThanThreshold');
    assert.equal(healthy.Threshold, 1);
    assert.equal(healthy.TreatMissingData, 'breaching');
    assert.ok(stats(find('HTTPCode_ELB_5XX_Count')).length === 2, 'load balancer 5xx as a share of its requests');
    const running = alarms.filter((a) => a.MetricName === 'RunningTaskCount');
    assert.equal(running.length, 2, 'running task count of the API and the worker');
    for (const a of running) assert.equal(a.TreatMissingData, 'breaching');
    for (const a of alarms) {
      assert.ok(a.AlarmActions && a.AlarmActions.length, `${a.AlarmName}: actions`);
      for (const m of stats(a)) if (m.Namespace === 'TvShows') assert.equal(dims(m).Environment, 'production', `${a.AlarmName}: Environment dimension`);
    }
  });

  test('first deployment: Bootstrap=true creates the services with no task, then false runs them', () => {
    const boot = ev('production', { Bootstrap: 'true' });
    for (const svc of boot.resources('AWS::ECS::Service')) assert.equal(svc.props.DesiredCount, 0, svc.name);
    const [target] = boot.resources('AWS::ApplicationAutoScaling::ScalableTarget');
    assert.deepEqual([target.props.MinCapacity, target.props.MaxCapacity], [0, 0]);
    const silent = boot.resources('AWS::CloudWatch::Alarm').filter((a) => a.props.TreatMissingData === 'breaching');
    assert.ok(silent.length >= 4);
    for (const a of silent) assert.equal(a.props.ActionsEnabled, false, `${a.name} notifies nobody while bootstrapping`);
    const run = ev('production');
    assert.deepEqual(run.resources('AWS::ECS::Service').map((s) => s.props.DesiredCount), [2, 1]);
    for (const a of run.resources('AWS::CloudWatch::Alarm')) assert.notEqual(a.props.ActionsEnabled, false, a.name);
    assert.equal(t.Parameters.Bootstrap.Default, 'false');
  });

  test('tasks: database URLs verify the server and carry no password; who gets which password', () => {
    const e = ev('production');
    const td = Object.fromEntries(e.resources('AWS::ECS::TaskDefinition').map((r) => [r.name, r.props.ContainerDefinitions[0]]));
    const envOf = (c) => Object.fromEntries(c.Environment.map((x) => [x.Name, x.Value]));
    const secretOf = (c) => Object.fromEntries(c.Secrets.map((x) => [x.Name, x.ValueFrom]));
    for (const [name, c] of Object.entries(td)) {
      const env = envOf(c);
      const urls = [env.DATABASE_URL, ...env.DATABASE_REPLICA_URL['Fn::Sub'].split(',')].map((u) => (u['Fn::Sub'] || u));
      assert.equal(urls.length, 3, `${name}: primary and two replicas`);
      for (const u of urls)
        assert.match(u, /^postgres:\/\/[a-z_]+@\$\{[A-Za-z0-9]+\.Endpoint\.Address\}:5432\/tvshows\?sslmode=verify-full&sslrootcert=\/etc\/tvshows\/rds-ca-bundle\.pem$/, `${name}: ${u}`);
      assert.equal(env.METRICS_ENVIRONMENT, 'production');
      assert.ok(['api', 'worker', 'migrate'].includes(env.METRICS_SERVICE), name);
    }
    assert.match(envOf(td.ApiTaskDefinition).DATABASE_URL['Fn::Sub'], /^postgres:\/\/tvshows_app@/);
    assert.match(envOf(td.MigrateTaskDefinition).DATABASE_URL['Fn::Sub'], /^postgres:\/\/tvshows@/);
    assert.deepEqual(secretOf(td.ApiTaskDefinition).PGPASSWORD, { 'Fn::Sub': '${AppDbSecret}:DATABASE_APP_PASSWORD::' });
    assert.deepEqual(secretOf(td.MigrateTaskDefinition).PGPASSWORD, { 'Fn::Sub': '${Database.MasterUserSecret.SecretArn}:password::' });
    assert.ok(!('DATABASE_APP_PASSWORD' in secretOf(td.ApiTaskDefinition)));
    assert.equal(ev('staging').resources('AWS::ECS::TaskDefinition')[0].props.ContainerDefinitions[0].Environment
      .find((x) => x.Name === 'DATABASE_REPLICA_URL').Value, '');
  });

  test('WAF: a geo-match rule only when BlockedCountries is set', () => {
    const rules = (more) => ev('production', more).resources('AWS::WAFv2::WebACL')[0].props.Rules;
    assert.ok(!rules({}).some((r) => r.Name === 'blocked-countries'));
    const geo = rules({ BlockedCountries: ['KP', 'IR'] }).find((r) => r.Name === 'blocked-countries');
    assert.ok(geo, 'geo rule');
    assert.deepEqual(geo.Statement.GeoMatchStatement.CountryCodes, ['KP', 'IR']);
  });

  test('IAM: GetSecretValue only on the application\'s secret, no wildcard actions', () => {
    for (const role of ev('production').resources('AWS::IAM::Role')) {
      for (const pol of role.props.Policies || []) {
        for (const st of pol.PolicyDocument.Statement) {
          const actions = [].concat(st.Action);
          for (const a of actions) assert.doesNotMatch(a, /(^\*$|:\*$)/, `${role.name}: ${a}`);
          if (actions.includes('secretsmanager:GetSecretValue'))
            assert.ok([].concat(st.Resource).every((r) => r && (r.Ref || r['Fn::GetAtt'])), `${role.name}: GetSecretValue on a specific secret`);
          if ([].concat(st.Resource).includes('*')) assert.deepEqual(actions, ['ecr:GetAuthorizationToken'], `${role.name}: * resource`);
        }
      }
    }
  });
});
