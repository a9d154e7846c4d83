// What the browser tests and the web benchmark share: a real tvshows on a
// free loopback port with schedule files imported into a fresh SQLite
// database, Debian's Chromium driven by playwright-core, pages that record
// every console error and failed request, and axe-core.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..', '..');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
// no sandbox (containers and root), no GPU, and nothing that reaches the
// network by itself: the machine may be offline and the tests must not wait
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export function tvshowsBinary() {
  const candidates = [process.env.TVSHOWS_BIN, path.join(ROOT, 'build/asan/tvshows'), path.join(ROOT, 'build/release/tvshows')];
  const bin = candidates.find((p) => p && fs.existsSync(p));
  if (!bin) throw new Error('no tvshows binary: build it (ninja -C build/asan) or set TVSHOWS_BIN');
  return bin;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function run(bin, args, env) {
  const r = spawnSync(bin, args, { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`tvshows ${args.join(' ')} failed (${r.status}): ${(r.stderr || '').slice(-2000)}`);
  return r;
}

/** The schedule files of tests/browser/fixtures.py, written into dir. */
export function writeFixtures(dir) {
  const r = spawnSync('python3', [path.join(ROOT, 'tests/browser/fixtures.py'), dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fixtures.py failed: ${r.stderr}`);
  return fs.readdirSync(dir).filter((f) => /^schedule-.*\.json$/.test(f)).sort().map((f) => path.join(dir, f));
}

/**
 * Starts tvshows: migrate, import files, serve on a free port.
 * Returns {url, port, cli(args), stop()}: cli runs a tvshows command on the
 * same database and returns its standard output; stop() resolves to
 * {code, stderr}.
 */
export async function startServer({ files, env: extra = {}, dir } = {}) {
  const bin = tvshowsBinary();
  const work = dir || fs.mkdtempSync(path.join(os.tmpdir(), 'tvshows-web-'));
  const port = await freePort();
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite:${path.join(work, 'tvshows.db')}`,
    HOST: '127.0.0.1',
    PORT: String(port),
    THREADS: '2',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_IP_PER_MIN: '0',
    TVMAZE_BASE_URL: 'http://127.0.0.1:9', // never asked: the data is imported from files
    ...extra,
  };
  delete env.REDIS_URL;
  run(bin, ['migrate'], env);
  if (files && files.length) run(bin, ['import', '--file', ...files], env);
  const child = spawn(bin, ['serve', '--no-worker'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      if ((await fetch(`${url}/up`)).ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`tvshows did not start: ${stderr.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    work,
    cli: (args) => run(bin, args, env).stdout,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const { code, signal } = await exited;
      return { code, signal, stderr };
    },
  };
}

export async function launchBrowser() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  // launch() gives the browser a fresh temporary profile (--user-data-dir)
  // of its own and removes it on close
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

/** An SVG poster standing in for TVmaze's images (the machine may be offline). */
const POSTER = '<svg xmlns="http://www.w3.org/2000/svg" width="210" height="295"><rect width="210" height="295" fill="#3b5b92"/><circle cx="105" cy="120" r="50" fill="#9fb7e0"/></svg>';

/**
 * A browser context and page against base: locale, zone and viewport as
 * given; images from TVmaze's host answered locally (or refused, with
 * images: 'fail'); every other outside request refused and recorded.
 * page.problems() lists console errors, page errors, failed requests and
 * 4xx/5xx answers.
 */
export async function openPage(browser, base, { width = 1440, height = 900, zone = 'Europe/London', locale = 'en-GB', images = 'ok', scheme = 'light', ...options } = {}) {
  const context = await browser.newContext({
    viewport: { width, height }, timezoneId: zone, locale, colorScheme: scheme, reducedMotion: 'reduce', ...options,
  });
  const problems = [];
  const origin = new URL(base).origin;
  await context.route((url) => url.origin !== origin, async (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === 'static.tvmaze.com' && images === 'ok') {
      await route.fulfill({ status: 200, contentType: 'image/svg+xml', body: POSTER });
    } else if (url.hostname === 'static.tvmaze.com') {
      await route.abort('internetdisconnected');
    } else {
      problems.push(`outside request: ${url.href}`);
      await route.abort('blockedbyclient');
    }
  });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.problems = () => problems.slice();
  page.clearProblems = () => { problems.length = 0; };
  return { context, page };
}

const AXE = fs.readFileSync(path.join(ROOT, 'tests/browser/node_modules/axe-core/axe.min.js'), 'utf8');
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/** axe-core's violations on the page as it is ({id, impact, nodes}). */
export async function axe(page) {
  // evaluated through the DevTools protocol, which the page's CSP does not
  // govern (a <script> tag would be refused, as it should be)
  await page.evaluate(`${AXE}\n;0`);
  return page.evaluate(async (tags) => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
  }, AXE_TAGS);
}

/** Every page of an API list, as the app asks for it. */
export async function apiAll(base, route, params) {
  const out = [];
  for (let page = 1; ; page++) {
    const q = new URLSearchParams({ ...params, page: String(page), per_page: '100' });
    const r = await fetch(`${base}${route}?${q}`);
    const body = await r.json();
    if (!r.ok) throw new Error(`${route}: ${r.status} ${JSON.stringify(body)}`);
    out.push(...body.data);
    if (page >= body.pagination.total_pages) return out;
  }
}

export async function apiJSON(base, pathAndQuery) {
  const r = await fetch(`${base}${pathAndQuery}`);
  return { status: r.status, body: await r.json() };
}
