'use strict';
// The decisions the deploy pipeline takes from what AWS reports, run for
// real (bash and jq) on recorded shapes of that output: whether a rollback
// across a migration is safe (deploy/bin/schema-verdict, from
// `tvshows migrate --status --format json`), and the ECR scan gate
// (deploy/bin/scan-verdict). shellcheck checks every deploy script.

const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const REPO = path.resolve(__dirname, '..', '..');
const BIN = path.join(REPO, 'deploy', 'bin');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tvshows-deploy-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

let n = 0;
const file = (text) => {
  const f = path.join(tmp, `log${n++}`);
  fs.writeFileSync(f, text);
  return f;
};
const status = (database, binary, oldest, pending = 0) =>
  JSON.stringify({ database, binary, oldest_compatible_binary: oldest, pending });
// what oneoff prints: the task's log lines, JSON logs among them
const logOf = (...lines) => file(['{"ts":"2025-06-10T02:00:00Z","level":"info","msg":"starting"}', ...lines, ''].join('\n'));

function verdict(prev, after) {
  const r = spawnSync(path.join(BIN, 'schema-verdict'), [prev, after], { encoding: 'utf8' });
  const out = Object.fromEntries(r.stdout.trim().split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return { code: r.status, out, stderr: r.stderr };
}

describe('deploy/bin/schema-verdict', () => {
  test('a compatible migration: the previous binary accepts the new schema', () => {
    const v = verdict(logOf(status(7, 7, 7)), logOf(status(8, 8, 7)));
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.out.rollback_safe, 'true');
    assert.equal(v.out.database, '8');
  });

  test('an incompatible migration refuses the rollback', () => {
    const v = verdict(logOf(status(7, 7, 7)), logOf(status(8, 8, 8)));
    assert.equal(v.code, 0);
    assert.equal(v.out.rollback_safe, 'false');
    assert.match(v.out.reason, /needs a binary of schema 8 or newer; the previous one is 7/);
  });

  test('no migration: rolling back is as safe as before', () => {
    const v = verdict(logOf(status(8, 8, 7)), logOf(status(8, 8, 7)));
    assert.equal(v.out.rollback_safe, 'true');
  });

  test('an unknown previous version is unsafe: no output, an old binary without --status, garbage', () => {
    for (const prev of [file(''), logOf('tvshows: unknown option --status'), logOf('{"database":7}'),
      logOf('{"database":7,"binary":"7","oldest_compatible_binary":7,"pending":0}'),
      logOf('{"database":7,"binary":-1,"oldest_compatible_binary":7,"pending":0}'),
      logOf('{"database":7,"binary":7.5,"oldest_compatible_binary":7,"pending":0}'), path.join(tmp, 'missing')]) {
      const v = verdict(prev, logOf(status(8, 8, 7)));
      assert.equal(v.code, 0);
      assert.equal(v.out.rollback_safe, 'false', fs.existsSync(prev) ? fs.readFileSync(prev, 'utf8') : prev);
      assert.match(v.out.reason, /unknown/);
    }
  });

  test('the new image\'s status must exist and show a complete schema, or the deploy stops', () => {
    for (const after of [file(''), logOf('migration failed'), logOf(status(7, 8, 7, 1)), logOf(status(9, 8, 9))]) {
      const v = verdict(logOf(status(7, 7, 7)), after);
      assert.equal(v.code, 1, fs.readFileSync(after, 'utf8'));
      assert.equal(v.out.rollback_safe, 'false');
    }
  });

  test('a newer schema the new binary accepts (one version ahead, compatible) is fine', () => {
    const v = verdict(logOf(status(8, 8, 8)), logOf(status(9, 8, 8)));
    assert.equal(v.code, 0, v.stderr);
    assert.equal(v.out.rollback_safe, 'true');
  });

  test('the last status line counts', () => {
    const v = verdict(logOf(status(7, 7, 7)), logOf(status(7, 8, 7, 1), status(8, 8, 8)));
    assert.equal(v.code, 0);
    assert.equal(v.out.database, '8');
    assert.equal(v.out.rollback_safe, 'false');
  });
});

describe('deploy/bin/scan-verdict', () => {
  const run = (findings, args = []) => spawnSync(path.join(BIN, 'scan-verdict'), args,
    { input: JSON.stringify(findings), encoding: 'utf8' });
  const scan = (counts, st = 'COMPLETE') => ({ imageScanStatus: { status: st }, imageScanFindings: { findingSeverityCounts: counts } });

  test('passes an image without refused findings', () => {
    assert.equal(run(scan({ HIGH: 3, MEDIUM: 10 })).status, 0);
    assert.equal(run(scan({})).status, 0);
  });

  test('refuses critical findings by default, and what --fail-on names', () => {
    const r = run(scan({ CRITICAL: 1, LOW: 2 }));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /1 CRITICAL/);
    assert.equal(run(scan({ HIGH: 2 }), ['--fail-on', 'CRITICAL,HIGH']).status, 1);
    assert.equal(run(scan({ HIGH: 2 }), ['--fail-on', 'critical']).status, 0);
  });

  test('an unfinished, failed or missing scan is not a clean one', () => {
    assert.equal(run(scan({}, 'IN_PROGRESS')).status, 1);
    assert.equal(run(scan({}, 'FAILED')).status, 1);
    assert.equal(run({}).status, 1);
    const r = spawnSync(path.join(BIN, 'scan-verdict'), [], { input: 'not json', encoding: 'utf8' });
    assert.equal(r.status, 1);
  });
});

describe('deploy scripts', () => {
  test('shellcheck finds nothing', () => {
    const scripts = [...fs.readdirSync(BIN).map((f) => path.join(BIN, f)), path.join(REPO, 'scripts', 'check-infra')];
    const r = spawnSync('shellcheck', scripts, { encoding: 'utf8' });
    assert.ok(!r.error, 'shellcheck is not installed (Debian package shellcheck, scripts/deps test)');
    assert.equal(r.status, 0, r.stdout + r.stderr);
  });

  test('oneoff refuses an unknown environment before calling AWS', () => {
    const r = spawnSync(path.join(BIN, 'oneoff'), ['prod', 'migrate'], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown environment prod/);
  });
});
