'use strict';
// GitHub Actions workflows: schema validation (the SchemaStore workflow
// schema bundled, with its validator, in @action-validator/core's
// WebAssembly module: nothing is downloaded) and the steps the deployment
// plan requires.

const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');
const { validateWorkflow } = require('@action-validator/core');

const REPO = path.resolve(__dirname, '..', '..');
const WF = path.join(REPO, '.github', 'workflows');
const read = (f) => fs.readFileSync(path.join(WF, f), 'utf8');
const load = (f) => YAML.parse(read(f));
const steps = (job) => (job.steps || []).map((s, i) => ({ ...s, i, text: `${s.name || ''}\n${s.uses || ''}\n${s.run || ''}` }));

describe('workflows: schema', () => {
  for (const file of ['ci.yml', 'deploy.yml']) {
    test(`${file} is a valid workflow`, () => {
      const state = validateWorkflow(read(file));
      assert.deepEqual(state.errors, [], JSON.stringify(state.errors, null, 1));
    });
  }

  test('the validator does reject an invalid workflow (self-check)', () => {
    const bad = 'on: push\njobs:\n  a:\n    runs-onn: ubuntu-latest\n    steps: []\n';
    assert.ok(validateWorkflow(bad).errors.length > 0);
  });

  test('every workflow in .github/workflows is one of the checked ones', () => {
    const files = fs.readdirSync(WF).filter((f) => /\.ya?ml$/.test(f)).sort();
    assert.deepEqual(files, ['ci.yml', 'deploy.yml']);
  });
});

describe('workflows: ci.yml', () => {
  const ci = load('ci.yml');
  const all = Object.values(ci.jobs).flatMap(steps);
  const has = (re, what) => assert.ok(all.some((s) => re.test(s.text)), what);

  test('runs on push and pull request', () => {
    assert.ok('push' in ci.on && 'pull_request' in ci.on);
  });

  test('builds, runs scripts/test, fuzzes, lints and builds the image', () => {
    has(/ninja -C build\/release/, 'release build');
    has(/\.\/scripts\/test\b/, './scripts/test');
    has(/\.\/scripts\/fuzz --seconds 60/, 'fuzz smoke');
    has(/clang-tidy/, 'clang-tidy');
    has(/cppcheck/, 'cppcheck');
    has(/docker\/build-push-action|docker build/, 'docker build');
  });

  test('a job with PostgreSQL 15 and Redis 7 service containers sets the test URLs', () => {
    const job = Object.values(ci.jobs).find((j) => j.services && j.services.postgres && j.services.redis);
    assert.ok(job, 'job with services');
    assert.equal(job.services.postgres.image, 'postgres:15');
    assert.match(job.services.redis.image, /^redis:7/);
    const env = { ...(job.env || {}), ...Object.assign({}, ...steps(job).map((s) => s.env || {})) };
    assert.match(env.TVSHOWS_TEST_PG_URL, /^postgres(ql)?:\/\//);
    assert.match(env.TVSHOWS_TEST_REDIS_URL, /^redis:\/\//);
    assert.ok(steps(job).some((s) => /scripts\/test/.test(s.text)));
  });
});

describe('workflows: deploy.yml', () => {
  const wf = load('deploy.yml');
  const deploy = Object.values(wf.jobs).find((j) => j.environment);
  const st = steps(deploy);
  const find = (re, what) => {
    const s = st.find((x) => re.test(x.text));
    assert.ok(s, `deploy.yml: no step that ${what}`);
    return s;
  };

  test('push to main deploys production, push to staging deploys staging', () => {
    assert.deepEqual([...wf.on.push.branches].sort(), ['main', 'staging']);
    const env = JSON.stringify(deploy.environment);
    assert.match(env, /'main' && 'production' \|\| 'staging'/);
    assert.ok(wf.permissions['id-token'] === 'write', 'OIDC for AWS credentials');
    assert.ok(wf.concurrency && wf.concurrency['cancel-in-progress'] === false, 'deployments are never cancelled halfway');
  });

  test('tests gate the deployment', () => {
    const needs = [].concat(deploy.needs || []);
    assert.ok(needs.length > 0);
    for (const n of needs) assert.ok(steps(wf.jobs[n]).some((s) => /scripts\/test/.test(s.text)));
  });

  test('builds and pushes to ECR', () => {
    find(/amazon-ecr-login/, 'logs in to ECR');
    find(/docker push/, 'pushes the image');
  });

  test('runs the migrate task, waits for it and checks its exit code', () => {
    const s = find(/aws ecs run-task/, 'runs the migrate task');
    assert.match(s.text, /migrate/);
    assert.match(s.text, /aws ecs wait tasks-stopped/);
    assert.match(s.text, /exitCode/);
    assert.match(s.text, /exit 1/);
  });

  test('updates the services with the new task definitions, then waits for them to be stable', () => {
    const reg = find(/register-task-definition/, 'registers task definitions');
    const migrate = find(/aws ecs run-task/, 'migrates');
    const update = st.find((x) => /aws ecs update-service/.test(x.text) && !x.if);
    assert.ok(update, 'updates the services');
    assert.match(update.text, /--task-definition/);
    const stable = find(/aws ecs wait services-stable/, 'waits for services-stable');
    const verify = find(/\/api\/v1\/tvshows\?date_from=.*date_to=/, 'checks /api/v1/tvshows');
    assert.match(verify.text, /\/up\b/);
    assert.match(verify.text, /200/);
    assert.ok(reg.i < migrate.i && migrate.i < update.i && update.i <= stable.i && stable.i < verify.i,
      'order: register, migrate, update, wait, verify');
  });

  test('rolls back to the previous task definitions on failure', () => {
    const rb = st.find((x) => x.if && /failure\(\)/.test(x.if) && /update-service/.test(x.text));
    assert.ok(rb, 'a rollback step that runs on failure');
    assert.match(rb.text, /--task-definition "\$PREVIOUS_/);
    assert.match(rb.text, /services-stable/);
    assert.ok(rb.i === st.length - 1, 'rollback is the last step');
    const prev = find(/describe-services[\s\S]*taskDefinition/, 'records the running task definitions');
    assert.ok(prev.i < st.findIndex((x) => /aws ecs update-service/.test(x.text)), 'recorded before the update');
  });
});

describe('buildspec.yml', () => {
  test('CodeBuild spec builds, pushes and writes image definitions', () => {
    const b = YAML.parse(fs.readFileSync(path.join(REPO, 'buildspec.yml'), 'utf8'));
    assert.equal(String(b.version), '0.2');
    const cmds = Object.values(b.phases).flatMap((p) => p.commands).join('\n');
    assert.match(cmds, /docker build/);
    assert.match(cmds, /docker push/);
    assert.match(cmds, /imagedefinitions/);
    assert.ok(b.artifacts.files.some((f) => /imagedefinitions/.test(f)));
  });
});
