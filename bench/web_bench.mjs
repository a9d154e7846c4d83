#!/usr/bin/env node
// The web app's figures in headless Chromium on loopback, against a real
// tvshows (the release build unless --bin) with imported data:
//
//   - a week of the recorded fixtures (a typical week of one country's TV
//     and its streaming: 116 episodes) and a generated week of ~2,000
//     episodes (bench/gen_dataset.py, US + GB + web);
//   - cold loads (a fresh browser profile each, nothing cached): first
//     contentful paint, the time until the cards are painted, and the bytes
//     transferred without images (encoded, headers included), requests;
//   - a warm load (the hashed assets cached, the page revalidated);
//   - filter changes on the big week (country, kind, rating, genre, on and
//     off): from the change to the cards painted, and the part of it that is
//     drawing (from the data's arrival);
//   - the references of the same run: the first paint of a one-paragraph
//     page (the browser's own cost of a fresh page) and the API alone
//     answering the app's request for the week (/api/v1/week) to node, so
//     that the figures can be read as differences and ratios on another
//     machine.
//
//   node bench/web_bench.mjs [--bin PATH] [--runs N] [--episodes N] [--json FILE]
//
// Needs the npm packages of tests/browser (npm ci there) and Chromium.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, startServer, launchBrowser, writeFixtures } from '../tests/browser/lib/harness.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const RUNS = Number(opt('runs', 7));
const EPISODES = Number(opt('episodes', 2000));
const BIN = opt('bin', path.join(ROOT, 'build/release/tvshows'));
const SMALL_WEEK = '2026-07-13'; // the recorded GB week over seven days (tests/browser/fixtures.py)
const BIG_WEEK = '2027-03-01'; // generated; a Monday, far from every fixture
const ZONE = 'UTC';

const median = (xs) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => `${Math.round(x)} ms`;
const kb = (x) => `${(x / 1024).toFixed(1)} KB`;

// Runs in the page before its scripts: the time the cards are painted (two
// animation frames after a load finishes, so layout and paint are in).
// data-drawn: the first cards of each part of each day are in; data-loads:
// all of them are.
const PAINT_PROBE = `
  window.__painted = [];
  window.__firstPainted = [];
  new MutationObserver((records) => {
    for (const r of records) {
      const into = r.attributeName === 'data-loads' ? window.__painted : window.__firstPainted;
      requestAnimationFrame(() => requestAnimationFrame(() => into.push(performance.now())));
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-loads', 'data-drawn'] });`;

async function coldLoad(browser, url, { context: reuse } = {}) {
  const context = reuse || await browser.newContext({ viewport: { width: 1440, height: 900 }, timezoneId: 'UTC', locale: 'en-GB' });
  const page = await context.newPage();
  await page.addInitScript(PAINT_PROBE);
  let bytes = 0;
  let requests = 0;
  const pending = [];
  page.on('requestfinished', (req) => {
    if (req.resourceType() === 'image') return;
    requests += 1;
    pending.push(req.sizes().then((s) => { bytes += s.responseBodySize + s.responseHeadersSize; }));
  });
  await page.goto(url);
  await page.waitForFunction(() => window.__painted && window.__painted.length > 0, null, { timeout: 60000 });
  await Promise.all(pending);
  const t = await page.evaluate(() => ({
    fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
    cards: window.__painted[0],
    firstCards: window.__firstPainted[0] ?? window.__painted[0],
    count: document.querySelectorAll('#week-body .card').length,
  }));
  return { ...t, bytes, requests, page, context };
}

async function filterChanges(page) {
  // each filter is new to the page (asked of the API), and taking it off
  // again goes back to the week it has seen
  const steps = [
    ['#f-country', 'United States'], ['#f-country', ''], ['#f-kind', 'web'], ['#f-kind', ''],
    ['#f-rating', '7'], ['#f-rating', ''], ['#f-premieres', 'any'], ['#f-premieres', ''],
    ['#f-country', 'United Kingdom'], ['#f-country', ''],
  ];
  const out = [];
  for (const [i, [sel, value]] of steps.entries()) {
    const before = await page.evaluate(() => window.__painted.length);
    await page.evaluate(() => performance.clearMarks());
    await page.selectOption(sel, value);
    await page.waitForFunction((n) => window.__painted.length > n, before, { timeout: 60000 });
    out.push(await page.evaluate((seenBefore) => {
      const change = performance.getEntriesByName('tvshows:filter-change').at(-1).startTime;
      const data = performance.getEntriesByName('tvshows:data').at(-1).startTime;
      const painted = window.__painted.at(-1);
      const first = window.__firstPainted.filter((t) => t > change)[0] ?? painted;
      return { seenBefore, total: painted - change, first: first - change, drawing: painted - data, cards: document.querySelectorAll('#week-body .card').length };
    }, i % 2 === 1));
  }
  return out;
}

// The reference of the browser's own cost: a page of one paragraph from a
// bare node server, its first contentful paint in a fresh context.
async function blankPage(browser) {
  const http = await import('node:http');
  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><html lang="en"><title>x</title><p>A paragraph.</p></html>');
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const out = [];
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${srv.address().port}/`);
    await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0);
    out.push(await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0].startTime));
    await context.close();
  }
  srv.close();
  return median(out);
}

async function apiAlone(base, week) {
  const t0 = performance.now();
  const res = await fetch(`${base}/api/v1/week?date_from=${week}&date_to=${addDays(week, 6)}&tz=${ZONE}`, { headers: { 'Accept-Encoding': 'gzip' } });
  await res.json();
  return performance.now() - t0;
}

function addDays(date, n) {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10);
}

async function measureWeek(browser, base, week, label) {
  const url = `${base}/?week=${week}&tz=${ZONE}`;
  const cold = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await coldLoad(browser, url);
    cold.push(r);
    if (i < RUNS - 1) await r.context.close();
  }
  const last = cold.at(-1);
  // warm: the same profile again (assets cached by name, the page revalidated)
  const warm = await coldLoad(browser, url, { context: last.context });
  const api = [];
  for (let i = 0; i < RUNS; i++) api.push(await apiAlone(base, week));
  const result = {
    label,
    episodes: last.count,
    fcp: median(cold.map((r) => r.fcp)),
    cards: median(cold.map((r) => r.cards)),
    firstCards: median(cold.map((r) => r.firstCards)),
    bytes: median(cold.map((r) => r.bytes)),
    requests: median(cold.map((r) => r.requests)),
    warmCards: warm.cards,
    warmFirstCards: warm.firstCards,
    warmBytes: warm.bytes,
    apiAlone: median(api),
  };
  return { result, page: warm.page, context: last.context };
}

async function main() {
  if (!fs.existsSync(BIN)) throw new Error(`no binary at ${BIN}: ninja -C build/release`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tvshows-web-bench-'));
  const fixtures = writeFixtures(path.join(work, 'fixtures'));
  const gen = spawnSync('/usr/bin/python3', [path.join(ROOT, 'bench/gen_dataset.py'), '--out', path.join(work, 'big'),
    '--start', BIG_WEEK, '--days', '7', '--episodes', String(EPISODES), '--countries', 'US,GB'], { encoding: 'utf8' });
  if (gen.status !== 0) throw new Error(gen.stderr);
  const big = fs.readdirSync(path.join(work, 'big')).filter((f) => f.endsWith('.json')).map((f) => path.join(work, 'big', f));
  process.env.TVSHOWS_BIN = BIN;
  const server = await startServer({ files: [...fixtures, ...big], dir: work });
  const browser = await launchBrowser();
  try {
    const blank = await blankPage(browser);
    const small = await measureWeek(browser, server.url, SMALL_WEEK, 'recorded week');
    await small.context.close();
    const large = await measureWeek(browser, server.url, BIG_WEEK, `generated week`);
    const changes = await filterChanges(large.page);
    await large.context.close();
    const report = {
      machine: `${os.cpus().length} × ${os.cpus()[0].model}`,
      chromium: browser.version(),
      runs: RUNS,
      load: os.loadavg()[0],
      blankPageFcp: blank,
      weeks: [small.result, large.result],
      filterChange: Object.fromEntries([['asked', false], ['seen', true]].map(([name, seenBefore]) => {
        const c = changes.filter((x) => x.seenBefore === seenBefore);
        return [name, {
          steps: c.length,
          firstScreen: median(c.map((x) => x.first)),
          all: median(c.map((x) => x.total)),
          slowest: Math.max(...c.map((x) => x.total)),
          drawing: median(c.map((x) => x.drawing)),
          cards: c.map((x) => x.cards),
        }];
      })),
    };
    console.log(`web_bench: Chromium ${report.chromium}, ${report.machine} (load average ${report.load.toFixed(1)}), median of ${RUNS} cold loads`);
    console.log(`reference: a one-paragraph page from a bare server paints first at ${ms(blank)}; the API alone answers the week (/api/v1/week) to node in the last column`);
    console.log('| week | episodes | first contentful paint | first screen of cards painted | all cards painted | transferred (no images) | requests | warm: first screen | warm: all | warm: transferred | API alone (node) |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const w of report.weeks) {
      console.log(`| ${w.label} | ${w.episodes} | ${ms(w.fcp)} | ${ms(w.firstCards)} | ${ms(w.cards)} | ${kb(w.bytes)} | ${w.requests} | ${ms(w.warmFirstCards)} | ${ms(w.warmCards)} | ${kb(w.warmBytes)} | ${ms(w.apiAlone)} |`);
    }
    for (const [name, f] of Object.entries(report.filterChange)) {
      console.log(`filter change on the generated week, ${name === 'asked' ? 'a filter new to the page' : 'back to a week the page has seen'} (${f.steps} changes, ${Math.min(...f.cards)}–${Math.max(...f.cards)} cards after): `
        + `first screen painted ${ms(f.firstScreen)}, all cards ${ms(f.all)} (median; slowest ${ms(f.slowest)}); drawing, from the data to all painted, ${ms(f.drawing)}`);
    }
    const out = opt('json', null);
    if (out) fs.writeFileSync(out, JSON.stringify(report, null, 1));
  } finally {
    await browser.close();
    await server.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
