'use strict';
// docker-compose.yml: its structure, and `docker-compose config -q` (the
// Compose implementation's own validation; it only parses, no engine needed).

const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const YAML = require('yaml');

const REPO = path.resolve(__dirname, '..', '..');
const FILE = path.join(REPO, 'docker-compose.yml');
const doc = YAML.parse(fs.readFileSync(FILE, 'utf8'), { merge: true });
const svc = doc.services;
const cmd = (s) => [].concat(svc[s].command || []);

function composeCommand() {
  const v1 = spawnSync('docker-compose', ['version'], { stdio: 'ignore' });
  if (!v1.error && v1.status === 0) return ['docker-compose'];
  const v2 = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' });
  if (!v2.error && v2.status === 0) return ['docker', 'compose'];
  return null;
}

describe('docker-compose.yml', () => {
  const compose = composeCommand();
  test('docker-compose config -q accepts it', {
    skip: compose ? false : 'neither docker-compose nor docker compose is installed (Debian package docker-compose)',
  }, () => {
    const [bin, ...pre] = compose;
    const r = spawnSync(bin, [...pre, '-f', FILE, 'config', '-q'], { cwd: REPO, encoding: 'utf8', timeout: 60000 });
    assert.equal(r.status, 0, `${compose.join(' ')} config -q:\n${r.stdout}${r.stderr}`);
  });

  test('postgres:15 and redis:7 with health checks', () => {
    assert.equal(svc.postgres.image, 'postgres:15');
    assert.match(svc.redis.image, /^redis:7/);
    for (const s of ['postgres', 'redis']) assert.ok(svc[s].healthcheck && svc[s].healthcheck.test, `${s} healthcheck`);
  });

  test('one-shot migrate; api (serve --no-worker) and worker wait for it to succeed', () => {
    assert.deepEqual(cmd('migrate'), ['migrate']);
    assert.equal(String(svc.migrate.restart), 'no');
    assert.equal(svc.migrate.depends_on.postgres.condition, 'service_healthy');
    assert.deepEqual(cmd('api'), ['serve', '--no-worker']);
    assert.deepEqual(cmd('worker'), ['worker']);
    for (const s of ['api', 'worker']) {
      assert.equal(svc[s].depends_on.migrate.condition, 'service_completed_successfully', `${s} after migrate`);
      assert.equal(svc[s].environment.DATABASE_URL, svc.migrate.environment.DATABASE_URL, `${s}: same database`);
      assert.match(svc[s].environment.REDIS_URL, /^redis:\/\/redis:6379/);
    }
    assert.ok((svc.api.ports || []).some((p) => /3000$/.test(String(p))), 'API published on 3000');
  });

  test('an import profile runs a first import', () => {
    assert.deepEqual(svc.import.profiles, ['import']);
    assert.equal(cmd('import')[0], 'import');
    assert.equal(svc.import.depends_on.migrate.condition, 'service_completed_successfully');
  });

  test('services other than the API do not inherit the HTTP health check', () => {
    for (const s of ['migrate', 'worker', 'import']) assert.equal(svc[s].healthcheck && svc[s].healthcheck.disable, true, s);
  });
});
