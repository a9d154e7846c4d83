'use strict';
// Dockerfile policy, and the runtime package list checked against the
// shared libraries of the real release binary (ldd + dpkg -S).

const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const { parseDockerfile, argv, aptPackages } = require('./lib/dockerfile');

const REPO = path.resolve(__dirname, '..', '..');
const df = parseDockerfile(fs.readFileSync(path.join(REPO, 'Dockerfile'), 'utf8'));
const final = df.stages[df.stages.length - 1];
const finalOf = (cmd) => final.instructions.filter((i) => i.cmd === cmd);
const last = (cmd) => {
  const all = finalOf(cmd);
  assert.ok(all.length, `final stage has no ${cmd}`);
  return all[all.length - 1];
};

describe('Dockerfile', () => {
  test('multi-stage: builds on debian:12, runs on debian:12-slim', () => {
    assert.ok(df.stages.length >= 2, 'multi-stage');
    assert.equal(df.stages[0].image, 'debian:12');
    assert.equal(final.image, 'debian:12-slim');
    const copies = finalOf('COPY').filter((c) => /--from=/.test(c.args));
    assert.ok(copies.length >= 1, 'final stage copies the binary from the build stage');
    const build = df.stages[0].instructions.filter((i) => i.cmd === 'RUN').map((i) => i.args).join('\n');
    assert.match(build, /meson setup build\/release --buildtype=release -Dtests=false/);
    assert.match(build, /ninja -C build\/release/);
  });

  test('runtime stage installs no compiler or -dev package', () => {
    for (const p of aptPackages(final)) {
      assert.doesNotMatch(p, /-dev$/, p);
      assert.ok(!['build-essential', 'gcc', 'clang', 'meson', 'ninja-build', 'curl'].includes(p), p);
    }
  });

  test('runs as a non-root user', () => {
    const user = last('USER').args.split(':')[0];
    assert.ok(!['root', '0', ''].includes(user), `USER ${user}`);
    assert.equal(user, 'tvshows');
    const run = finalOf('RUN').map((i) => i.args).join('\n');
    assert.match(run, /useradd[^\n]*\btvshows\b/, 'the user is created');
  });

  test('HEALTHCHECK runs tvshows healthcheck', () => {
    const hc = last('HEALTHCHECK').args;
    const m = /\bCMD\s+(.*)$/.exec(hc);
    assert.ok(m, 'HEALTHCHECK CMD');
    assert.deepEqual(argv(m[1]), ['tvshows', 'healthcheck']);
  });

  test('ENTRYPOINT ["tvshows"], CMD ["serve"], HOST/PORT and EXPOSE 3000', () => {
    assert.deepEqual(JSON.parse(last('ENTRYPOINT').args), ['tvshows']);
    assert.deepEqual(JSON.parse(last('CMD').args), ['serve']);
    const env = finalOf('ENV').map((e) => e.args).join(' ');
    assert.match(env, /(^|\s)HOST=0\.0\.0\.0(\s|$)/);
    assert.match(env, /(^|\s)PORT=3000(\s|$)/);
    assert.ok(finalOf('EXPOSE').some((e) => e.args.split(/\s+/).includes('3000')));
  });

  test('the RDS CA bundle is in the image where the database URLs point (Terraform, CloudFormation)', () => {
    const copy = finalOf('COPY').find((c) => /rds-ca-bundle\.pem/.test(c.args));
    assert.ok(copy, 'the runtime stage copies the RDS CA bundle');
    const [, dest] = /(\/\S+)\s*$/.exec(copy.args);
    assert.match(copy.args, /--chmod=0?644/, 'readable by the tvshows user');
    const stage = df.stages.find((st) => new RegExp(`--from=${st.name}\\b`).test(copy.args));
    assert.ok(stage, 'the bundle comes from a stage of this Dockerfile');
    const run = stage.instructions.filter((i) => i.cmd === 'RUN').map((i) => i.args).join('\n');
    assert.match(run, /curl -fsS --proto '=https'/, 'fetched over HTTPS only, failing on HTTP errors');
    assert.match(run, /Amazon RDS/, 'checked to hold RDS CA certificates');
    const tf = fs.readFileSync(path.join(REPO, 'deploy', 'terraform', 'main.tf'), 'utf8');
    assert.equal(/rds_ca_bundle\s*=\s*"([^"]+)"/.exec(tf)[1], dest, 'Terraform sslrootcert');
    const cfn = fs.readFileSync(path.join(REPO, 'deploy', 'cloudformation', 'main.yaml'), 'utf8');
    const roots = [...cfn.matchAll(/sslrootcert=([^&,'\s]+)/g)].map((m) => m[1]);
    assert.ok(roots.length >= 3 && roots.every((r) => r === dest), `CloudFormation sslrootcert ${[...new Set(roots)]}`);
  });

  test('the build stage copies every file the build reads, and .dockerignore keeps them', () => {
    // what src/meson.build reads outside src/: files('../x/…') and source_root / 'x'
    const mb = fs.readFileSync(path.join(REPO, 'src', 'meson.build'), 'utf8');
    const read = new Set();
    for (const m of mb.matchAll(/files\('\.\.\/([^']+)'\)/g)) read.add(m[1]);
    for (const m of mb.matchAll(/project_source_root\(\)\s*\/\s*'([^']+)'/g)) read.add(m[1]);
    assert.ok(read.size >= 3, `what the build reads: ${[...read]}`);
    const copied = df.stages[0].instructions.filter((i) => i.cmd === 'COPY')
      .flatMap((c) => argv(c.args).slice(0, -1));
    const ig = fs.readFileSync(path.join(REPO, '.dockerignore'), 'utf8').split('\n')
      .map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    // .dockerignore's rule: the last pattern that matches decides
    const ignored = (f) => {
      let out = false;
      for (const pat of ig) {
        const neg = pat.startsWith('!');
        const body = (neg ? pat.slice(1) : pat).replace(/\/$/, '');
        const re = new RegExp(`^${body.replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*\//g, '(.*/)?').replace(/\*/g, '[^/]*')}(/|$)`);
        if (re.test(f)) out = !neg;
      }
      return out;
    };
    for (const f of read) {
      assert.ok(copied.some((c) => f === c || f.startsWith(`${c.replace(/\/$/, '')}/`)),
        `${f} is read by the build but not copied into the build stage`);
      assert.ok(!ignored(f), `${f} is read by the build but .dockerignore leaves it out`);
    }
  });

  test('.dockerignore keeps the build context small', () => {
    const ig = fs.readFileSync(path.join(REPO, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['.git', 'build*/', '**/node_modules']) assert.ok(ig.includes(p), p);
  });
});

// ---------------------------------------------------------------- ldd

function sh(cmd, args) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function hasCommand(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch (_) {
    return false;
  }
}

// /lib/x → /usr/lib/x and back (merged /usr), and the resolved path
function candidates(p) {
  const out = [p];
  try { out.push(fs.realpathSync(p)); } catch (_) { /* keep p */ }
  for (const q of [...out]) {
    if (q.startsWith('/usr/')) out.push(q.slice(4));
    else out.push(`/usr${q}`);
  }
  return [...new Set(out)];
}

// { path: package } for every path dpkg knows, in one dpkg -S call per
// round of candidates
function owners(files) {
  const found = {};
  const ask = (paths) => {
    if (!paths.length) return;
    const r = spawnSync('dpkg', ['-S', ...paths], { encoding: 'utf8' });
    for (const line of (r.stdout || '').split('\n')) {
      if (line.startsWith('diversion')) continue;
      const m = /^([^:]+)(?::[a-z0-9]+)?: (.+)$/.exec(line);
      if (m) found[m[2]] = m[1];
    }
  };
  ask(files);
  const result = {};
  const retry = [];
  for (const f of files) {
    if (found[f]) result[f] = found[f];
    else retry.push(f);
  }
  ask([...new Set(retry.flatMap(candidates))]);
  for (const f of retry) {
    const hit = candidates(f).find((c) => found[c]);
    result[f] = hit ? found[hit] : null;
  }
  return result;
}

// Installed packages: dependencies (incl. Pre-Depends, alternatives and
// virtual packages), and whether Debian's slim image always has them.
function packageDb() {
  const fmt = '${Package}\\t${Essential}\\t${Priority}\\t${Depends}\\t${Pre-Depends}\\t${Provides}\\t${db:Status-Abbrev}\\n';
  const db = {};
  const provides = {};
  for (const line of sh('dpkg-query', ['-W', `-f=${fmt}`]).split('\n')) {
    if (!line) continue;
    const [name, essential, priority, dep, pre, prov, status] = line.split('\t');
    if (!/^.i/.test(status)) continue;
    const names = (s) => s.split(',').map((x) => x.split('|').map((y) => y.trim().split(/[\s:(]/)[0]).filter(Boolean))
      .filter((x) => x.length);
    db[name] = { base: essential === 'yes' || priority === 'required', deps: [...names(dep || ''), ...names(pre || '')] };
    for (const [p] of names(prov || '')) (provides[p] = provides[p] || []).push(name);
  }
  return { db, provides };
}

function closure(roots, { db, provides }) {
  const seen = new Set();
  const stack = [...roots];
  while (stack.length) {
    const p = stack.pop();
    if (seen.has(p)) continue;
    seen.add(p);
    const entry = db[p];
    if (!entry) continue;
    for (const alts of entry.deps) {
      // an alternative is satisfied by whichever choice is installed here
      const real = alts.flatMap((a) => (db[a] ? [a] : provides[a] || []));
      stack.push(...real);
    }
  }
  return seen;
}

describe('runtime libraries', () => {
  const bin = process.env.TVSHOWS_RELEASE_BIN || path.join(REPO, 'build', 'release', 'tvshows');
  const why = !fs.existsSync(bin)
    ? `build/release/tvshows does not exist: build it first (meson setup build/release --buildtype=release -Dtests=false && ninja -C build/release)`
    : !hasCommand('ldd') || !hasCommand('dpkg')
      ? 'ldd or dpkg is not available (not a Debian system)'
      : false;

  test('the runtime image installs a package for every shared library of the release binary', { skip: why }, () => {
    const libs = [];
    for (const line of sh('ldd', [bin]).split('\n')) {
      let m;
      if ((m = /^\s*(\S+) => (\/\S+)/.exec(line))) libs.push({ name: m[1], file: m[2] });
      else if ((m = /^\s*(\/\S+) \(/.exec(line))) libs.push({ name: path.basename(m[1]), file: m[1] });
      else if (/not found/.test(line)) assert.fail(`ldd: ${line.trim()}`);
    }
    assert.ok(libs.length > 0, 'ldd reported no library');
    const runtime = aptPackages(final);
    const pdb = packageDb();
    for (const p of runtime) assert.ok(pdb.db[p] || pdb.provides[p], `runtime package ${p} is unknown to dpkg here`);
    const base = Object.keys(pdb.db).filter((p) => pdb.db[p].base);
    const available = closure([...runtime, ...base], pdb);
    const missing = [];
    const own = owners(libs.map((l) => l.file));
    for (const lib of libs) {
      const pkg = own[lib.file];
      if (!pkg) missing.push(`${lib.name} (${lib.file}): no Debian package owns it`);
      else if (!available.has(pkg)) missing.push(`${lib.name}: package ${pkg} is not installed by the runtime stage`);
    }
    assert.deepEqual(missing, [], `add to the runtime stage's apt-get install:\n${missing.join('\n')}`);
  });
});
