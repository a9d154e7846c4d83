// The web app in Debian's Chromium against a real tvshows with the recorded
// fixtures (and those derived from them, tests/browser/fixtures.py)
// imported: every view loads cleanly, shows what the API returns for the
// same parameters, keeps its state in the URL, works from the keyboard and
// passes axe-core; screenshots of each view go to build/test-results/browser
// and the README's is made from them (that of the subscribe dialog with a
// list, docs/screenshots/subscribe-list.png, is subscribe-list-1440.png of
// a run: its link holds the run's port and token, so it is not rewritten
// by every run).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, startServer, launchBrowser, openPage, writeFixtures, axe, apiAll, apiJSON } from './lib/harness.mjs';

const RESULTS = path.join(ROOT, 'build/test-results/browser');
const SCREENSHOT = path.join(ROOT, 'docs/screenshots/week.png');
const BUSY_WEEK = '2020-11-30'; // US networks and web channels of many countries (recorded)
const SHOWCASE_WEEK = '2026-07-13'; // the recorded GB week spread over seven days
const SHOWCASE_NOW = '2026-07-15T18:40:00Z'; // Wednesday, 19:40 in London
const ZONE = 'Europe/London';

let server;
let browser;
const axeLog = [];

before(async () => {
  fs.mkdirSync(RESULTS, { recursive: true });
  const files = writeFixtures(fs.mkdtempSync(path.join(os.tmpdir(), 'tvshows-web-fixtures-')));
  server = await startServer({ files });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

// ---- helpers ----

const base = () => server.url;

function addDays(date, n) {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10);
}

async function loads(page) {
  return page.evaluate(() => Number(document.getElementById('week-body')?.dataset.loads || 0));
}

/** Runs action and waits for the week to finish the load it starts. */
async function afterLoad(page, action) {
  const n = await loads(page);
  // a navigation draws a new week whose count starts again: the old one is marked
  await page.evaluate(() => { const b = document.getElementById('week-body'); if (b) b.dataset.old = ''; });
  await action();
  await page.waitForFunction((k) => {
    const b = document.getElementById('week-body');
    const count = Number(b?.dataset.loads || 0);
    return b && (b.hasAttribute('data-old') ? count > k : count > 0);
  }, n);
}

async function openWeek(query, options = {}) {
  const { context, page } = await openPage(browser, base(), options);
  await page.goto(`${base()}/?${query}`);
  await page.waitForFunction(() => Number(document.getElementById('week-body')?.dataset.loads || 0) > 0);
  return { context, page };
}

function cardIds(page) {
  return page.$$eval('#week-body .card', (els) => els.map((e) => Number(e.dataset.episodeId)));
}

/** /api/v1/tvshows parameters for what the page's URL says it shows. */
function apiParamsOf(pageUrl) {
  const q = new URL(pageUrl).searchParams;
  const params = Object.fromEntries(q.entries());
  const week = params.week;
  delete params.week;
  return { ...params, date_from: week, date_to: addDays(week, 6) };
}

async function assertCardsMatchApi(page, what) {
  const params = apiParamsOf(page.url());
  const expected = (await apiAll(base(), '/api/v1/tvshows', params)).map((e) => e.id);
  const shown = await cardIds(page);
  assert.deepEqual(shown, expected, `${what}: the cards are not the API's episodes for ${JSON.stringify(params)}`);
  return shown;
}

function assertClean(page, what, allow = []) {
  const problems = page.problems().filter((p) => !allow.some((rx) => rx.test(p)));
  assert.deepEqual(problems, [], `${what}: console errors or failed requests`);
}

async function runAxe(page, view) {
  const violations = await axe(page);
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  axeLog.push({ view, serious: serious.length, other: violations.length - serious.length, violations });
  assert.deepEqual(serious, [], `axe: serious or critical violations on ${view}`);
}

async function shot(page, name) {
  // the page settled: no transition under way, idle work (the zone list) done
  await page.evaluate(() => new Promise((r) => requestIdleCallback(() => requestAnimationFrame(() => r()))));
  await page.screenshot({ path: path.join(RESULTS, `${name}-${page.viewportSize().width}.png`), animations: 'disabled', caret: 'hide' });
}

// ---- the week ----

test('the week loads with no console error or failed request and shows exactly the API episodes, by local day and part of the day', async () => {
  const { context, page } = await openWeek(`week=${BUSY_WEEK}&tz=${ZONE}`);
  const shown = await assertCardsMatchApi(page, 'unfiltered week');
  assert.ok(shown.length > 150, `a busy week, got ${shown.length}`);
  const api = await apiAll(base(), '/api/v1/tvshows', { date_from: BUSY_WEEK, date_to: addDays(BUSY_WEEK, 6), tz: ZONE });
  // every card in the column of its local day and the row of its local time
  const placed = await page.$$eval('#week-body .card', (els) => els.map((e) => ({
    id: Number(e.dataset.episodeId), day: e.closest('.day').dataset.date, band: e.closest('.band').dataset.band,
    time: e.querySelector('.card-time').textContent,
  })));
  const band = (t) => (t === null ? 'unknown' : ['night', 'morning', 'afternoon', 'evening'][Math.floor(Number(t.slice(0, 2)) / 6)]);
  for (const [i, e] of api.entries()) {
    assert.equal(placed[i].day, e.local_date, `episode ${e.id}: day`);
    assert.equal(placed[i].band, band(e.local_time), `episode ${e.id}: part of the day`);
    assert.equal(placed[i].time, e.local_time ?? 'Time TBA', `episode ${e.id}: time`);
  }
  assert.match(await page.textContent('#week-status'), new RegExp(`^${api.length} episodes · times in Europe/London`));
  assert.equal(await page.textContent('h1'), '30 November – 6 December 2020');
  assertClean(page, 'week');
  await context.close();
});

test('today is highlighted and now is marked between the cards before and after it', async () => {
  const { context, page } = await openPage(browser, base());
  await page.clock.setFixedTime(new Date(SHOWCASE_NOW));
  await page.goto(`${base()}/`);
  await page.waitForFunction(() => Number(document.getElementById('week-body')?.dataset.loads || 0) > 0);
  assert.equal(new URL(page.url()).searchParams.get('tz'), ZONE, 'the zone shown is put in the URL');
  const today = page.locator('.day.today');
  assert.equal(await today.count(), 1);
  assert.equal(await today.getAttribute('data-date'), '2026-07-15');
  assert.equal(await today.locator('h2').getAttribute('aria-current'), 'date');
  const marker = today.locator('.now-marker');
  assert.match(await marker.textContent(), /19:40/);
  const around = await marker.evaluate((m) => {
    const times = (el) => (el ? el.querySelector('.card-time').textContent : null);
    return { before: times(m.previousElementSibling), after: times(m.nextElementSibling) };
  });
  assert.ok(!around.before || around.before <= '19:40', JSON.stringify(around));
  assert.ok(!around.after || around.after > '19:40', JSON.stringify(around));
  assertClean(page, 'this week');
  await context.close();
});

test('each filter changes the cards to exactly what the API returns for the same parameters, and clear empties them', async () => {
  const { context, page } = await openWeek(`week=${BUSY_WEEK}&tz=${ZONE}`);
  const all = await cardIds(page);
  const q = () => new URL(page.url()).searchParams;

  await afterLoad(page, () => page.selectOption('#f-country', 'United States'));
  assert.equal(q().get('country'), 'United States');
  const us = await assertCardsMatchApi(page, 'country');
  assert.ok(us.length > 0 && us.length < all.length);
  await afterLoad(page, () => page.selectOption('#f-country', ''));
  assert.equal(q().get('country'), null);

  // a network by type-ahead, then a second, then one removed by its chip
  const week = await apiAll(base(), '/api/v1/tvshows', { date_from: BUSY_WEEK, date_to: addDays(BUSY_WEEK, 6), tz: ZONE });
  const names = [...new Set(week.map((e) => e.show.distributor?.name).filter(Boolean))].sort();
  const web = week.find((e) => e.show.distributor?.kind === 'web').show.distributor.name;
  const other = names.find((n) => n !== web && n.length > 3);
  await page.fill('#f-distributor', web.slice(0, 4));
  await page.waitForSelector('#f-distributor-list [role="option"]');
  const offered = await page.$$eval('#f-distributor-list [role="option"]', (els) => els.map((e) => e.textContent));
  assert.ok(offered.includes(web), `${web} offered for "${web.slice(0, 4)}": ${offered}`);
  for (let i = 0; i <= offered.indexOf(web); i++) await page.keyboard.press('ArrowDown');
  await afterLoad(page, () => page.keyboard.press('Enter'));
  assert.equal(q().get('distributor'), web);
  await assertCardsMatchApi(page, 'one distributor');
  await page.fill('#f-distributor', other);
  await page.waitForSelector('#f-distributor-list [role="option"]');
  await afterLoad(page, () => page.keyboard.press('Enter'));
  assert.equal(q().get('distributor'), `${web},${other}`);
  await assertCardsMatchApi(page, 'two distributors');
  await afterLoad(page, () => page.click(`button[aria-label="Remove ${web}"]`));
  assert.equal(q().get('distributor'), other);
  await assertCardsMatchApi(page, 'a distributor removed');
  await afterLoad(page, () => page.click(`button[aria-label="Remove ${other}"]`));

  await page.click('#f-genres summary');
  await afterLoad(page, () => page.check('#f-genre-Drama'));
  assert.equal(q().get('genre'), 'Drama');
  const drama = await assertCardsMatchApi(page, 'genre');
  await afterLoad(page, () => page.check('#f-genre-Comedy'));
  assert.equal(q().get('genre'), 'Drama,Comedy');
  const either = await assertCardsMatchApi(page, 'two genres');
  assert.ok(either.length > drama.length);
  await afterLoad(page, () => page.selectOption('#f-kind', 'web'));
  await assertCardsMatchApi(page, 'genres and web only');
  await afterLoad(page, () => page.selectOption('#f-rating', '7'));
  assert.equal(q().get('rating'), '7');
  await assertCardsMatchApi(page, 'genres, web, rating');
  await afterLoad(page, () => page.click('#f-clear'));
  assert.deepEqual([...q().keys()].sort(), ['tz', 'week']);
  assert.deepEqual(await cardIds(page), all, 'clear shows the whole week again');

  await afterLoad(page, () => page.selectOption('#f-premieres', 'series'));
  const premieres = await assertCardsMatchApi(page, 'series premieres');
  assert.ok(premieres.length > 0);
  assert.equal(await page.locator('#week-body .card .badge-series').count(), premieres.length);
  await afterLoad(page, () => page.selectOption('#f-premieres', ''));
  await page.fill('#f-language', 'norwegian');
  await afterLoad(page, () => page.press('#f-language', 'Enter'));
  assert.equal(q().get('language'), 'norwegian');
  assert.ok((await assertCardsMatchApi(page, 'language')).length > 0);
  await page.fill('#f-language', '');
  await afterLoad(page, () => page.press('#f-language', 'Enter'));

  await page.click('#f-more summary');
  await afterLoad(page, () => page.selectOption('#f-type', 'Animation'));
  assert.ok((await assertCardsMatchApi(page, 'type')).length > 0);
  await afterLoad(page, () => page.selectOption('#f-type', ''));
  await afterLoad(page, () => page.selectOption('#f-status', 'Ended'));
  await assertCardsMatchApi(page, 'status');
  await afterLoad(page, () => page.selectOption('#f-status', ''));
  await afterLoad(page, () => page.check('#f-exclude-Comedy'));
  assert.equal(q().get('exclude_genre'), 'Comedy');
  const noComedy = await assertCardsMatchApi(page, 'exclude_genre');
  assert.ok(noComedy.length < all.length);
  await afterLoad(page, () => page.check('#f-new-shows'));
  assert.equal(q().get('new_shows'), 'true');
  await assertCardsMatchApi(page, 'new shows, no comedy');
  assert.match(await page.textContent('#f-clear'), /Clear filters \(2\)/);
  await afterLoad(page, () => page.click('#f-clear'));
  assert.deepEqual(await cardIds(page), all);
  assert.ok(await page.isDisabled('#f-clear'), 'nothing left to clear');
  assertClean(page, 'filters', [/net::ERR_ABORTED/]);
  await context.close();
});

test('the week is one request; a filter is then asked for by ids alone, keeps the cards it shares, and going back asks nothing', async () => {
  const { context, page } = await openPage(browser, base());
  const asked = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith('/api/v1/') && !['/api/v1/countries', '/api/v1/networks', '/api/v1/genres'].includes(url.pathname)) {
      asked.push(url.pathname + url.search);
    }
  });
  await page.goto(`${base()}/?week=${BUSY_WEEK}&tz=${ZONE}`);
  await page.waitForFunction(() => Number(document.getElementById('week-body')?.dataset.loads || 0) > 0);
  const all = await assertCardsMatchApi(page, 'unfiltered week');
  assert.deepEqual(asked, [`/api/v1/week?date_from=${BUSY_WEEK}&date_to=${addDays(BUSY_WEEK, 6)}&tz=${encodeURIComponent(ZONE)}`],
    'the whole week in one request');

  // every card element is marked: a filter must move the cards it keeps, not rebuild them
  await page.$$eval('#week-body .card', (els) => { for (const el of els) el.dataset.seen = ''; });
  asked.length = 0;
  await afterLoad(page, () => page.selectOption('#f-country', 'United States'));
  const us = await assertCardsMatchApi(page, 'country, drawn from ids');
  assert.ok(us.length > 0 && us.length < all.length);
  assert.equal(asked.length, 1);
  assert.match(asked[0], /^\/api\/v1\/week\?.*country=United\+States.*&fields=id$/);
  assert.equal(await page.locator('#week-body .card:not([data-seen])').count(), 0, 'cards rebuilt for a filter');

  asked.length = 0;
  await afterLoad(page, () => page.selectOption('#f-kind', 'web'));
  await assertCardsMatchApi(page, 'country and kind, drawn from ids');
  await afterLoad(page, () => page.click('#f-clear'));
  assert.deepEqual(await cardIds(page), all, 'clear shows the whole week again');
  assert.equal(await page.locator('#week-body .card:not([data-seen])').count(), 0, 'cards rebuilt going back');
  assert.equal(asked.length, 1, `going back to the week asks nothing: ${asked}`);
  assertClean(page, 'one request');
  await context.close();
});

test('the URL round-trips: a reload and a fresh browser elsewhere show the same view', async () => {
  const query = `week=${BUSY_WEEK}&tz=America%2FNew_York&genre=Drama%2CComedy&kind=network&rating=6`;
  const { context, page } = await openWeek(query);
  const ids = await assertCardsMatchApi(page, 'from the URL');
  const controls = (p) => p.evaluate(() => ({
    tz: document.getElementById('tz').value,
    kind: document.getElementById('f-kind').value,
    rating: document.getElementById('f-rating').value,
    genres: [...document.querySelectorAll('[id^="f-genre-"]:checked')].map((e) => e.value).sort(),
    title: document.querySelector('h1').textContent,
  }));
  await page.waitForFunction(() => document.getElementById('f-genre-Drama'));
  const before = await controls(page);
  assert.deepEqual(before, { tz: 'America/New_York', kind: 'network', rating: '6', genres: ['Comedy', 'Drama'], title: before.title });
  await page.reload();
  await page.waitForFunction(() => Number(document.getElementById('week-body')?.dataset.loads || 0) > 0 && document.getElementById('f-genre-Drama'));
  assert.equal(page.url(), `${base()}/?${query}`);
  assert.deepEqual(await cardIds(page), ids);
  assert.deepEqual(await controls(page), before);
  // a fresh browser in another zone, with nothing remembered
  const other = await openWeek(query, { zone: 'Asia/Tokyo', locale: 'en-GB' });
  await other.page.waitForFunction(() => document.getElementById('f-genre-Drama'));
  assert.deepEqual(await cardIds(other.page), ids);
  assert.deepEqual(await controls(other.page), before);
  // the week buttons keep the filters and the zone
  await afterLoad(page, () => page.click('a[rel="next"]'));
  const next = new URL(page.url()).searchParams;
  assert.equal(next.get('week'), addDays(BUSY_WEEK, 7));
  assert.equal(next.get('genre'), 'Drama,Comedy');
  await assertCardsMatchApi(page, 'next week');
  await page.goBack();
  await page.waitForFunction(() => document.querySelector('h1')?.textContent.startsWith('30 November'));
  assert.equal(page.url(), `${base()}/?${query}`);
  assertClean(page, 'round trip');
  assertClean(other.page, 'round trip elsewhere');
  await other.context.close();
  await context.close();
});

test('the zone’s offset is the shown week’s: summer time in July, winter time in November, both in the week the clocks change', async () => {
  const { context, page } = await openWeek(`week=${SHOWCASE_WEEK}&tz=${ZONE}`);
  assert.equal(await page.textContent('#tz-offset'), 'UTC+01:00');
  await afterLoad(page, () => page.goto(`${base()}/?week=2026-11-23&tz=${ZONE}`));
  assert.equal(await page.textContent('#tz-offset'), 'UTC+00:00');
  // the clocks go back on Sunday 25 October 2026
  await afterLoad(page, () => page.goto(`${base()}/?week=2026-10-19&tz=${ZONE}`));
  assert.equal(await page.textContent('#tz-offset'), 'UTC+01:00, then UTC+00:00');
  // another zone, chosen on the page, says its own offset for the same week
  await page.selectOption('#tz', 'America/New_York');
  await page.waitForFunction(() => document.getElementById('tz-offset').textContent !== 'UTC+01:00, then UTC+00:00');
  assert.equal(await page.textContent('#tz-offset'), 'UTC-04:00'); // New York's clocks go back a week later
  assertClean(page, 'zone offset');
  await context.close();
});

test('the zone is detected, and switching it moves an episode to the local day and time the API gives for that zone, and is remembered', async () => {
  const detected = await openWeek('week=2026-07-06', { zone: 'Asia/Tokyo' });
  assert.equal(await detected.page.inputValue('#tz'), 'Asia/Tokyo');
  assert.equal(new URL(detected.page.url()).searchParams.get('tz'), 'Asia/Tokyo');
  await detected.context.close();

  const week = '2026-07-06';
  const london = await apiAll(base(), '/api/v1/tvshows', { date_from: '2026-07-07', date_to: '2026-07-07', tz: ZONE });
  const ep = london.find((e) => e.show.name === 'EastEnders');
  assert.ok(ep, 'EastEnders on Tuesday 7 July in London');
  const { context, page } = await openWeek(`week=${week}&tz=${ZONE}`);
  const where = async (id) => page.$eval(`.card[data-episode-id="${id}"]`, (c) => ({
    day: c.closest('.day').dataset.date, band: c.closest('.band').dataset.band, time: c.querySelector('.card-time').textContent,
  }));
  assert.deepEqual(await where(ep.id), { day: '2026-07-07', band: 'morning', time: ep.local_time });
  await afterLoad(page, () => page.selectOption('#tz', 'America/Los_Angeles'));
  assert.equal(new URL(page.url()).searchParams.get('tz'), 'America/Los_Angeles');
  const la = (await apiAll(base(), '/api/v1/tvshows', { date_from: week, date_to: addDays(week, 6), tz: 'America/Los_Angeles' }))
    .find((e) => e.id === ep.id);
  assert.equal(la.local_date, '2026-07-06', 'the API: the evening before in Los Angeles');
  assert.deepEqual(await where(ep.id), { day: la.local_date, band: 'evening', time: la.local_time });
  assert.equal(la.local_time, '22:00');
  await assertCardsMatchApi(page, 'Los Angeles');
  // remembered: the same browser, a link without tz
  const again = await context.newPage();
  await again.goto(`${base()}/?week=${week}`);
  await again.waitForFunction(() => Number(document.getElementById('week-body')?.dataset.loads || 0) > 0);
  assert.equal(await again.inputValue('#tz'), 'America/Los_Angeles');
  assert.equal(new URL(again.url()).searchParams.get('tz'), 'America/Los_Angeles');
  assertClean(page, 'zone switch');
  await context.close();
});

// ---- search and the show page ----

test('search finds a show by a typo and opens its page', async () => {
  const { context, page } = await openWeek(`week=${SHOWCASE_WEEK}&tz=${ZONE}`);
  const expected = (await apiJSON(base(), '/api/v1/search/shows?q=estenders')).body.data[0];
  assert.equal(expected.name, 'EastEnders');
  await page.click('#search-input');
  await page.keyboard.type('estenders');
  await page.waitForSelector('#search-list [role="option"]');
  assert.equal(await page.getAttribute('#search-input', 'aria-expanded'), 'true');
  assert.match(await page.textContent('#search-list [role="option"]'), /EastEnders/);
  await page.keyboard.press('ArrowDown');
  const active = await page.getAttribute('#search-input', 'aria-activedescendant');
  assert.equal(await page.getAttribute(`#${active}`, 'aria-selected'), 'true');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base()}/shows/${expected.id}`);
  await page.waitForSelector('.show h1');
  assert.equal(await page.textContent('.show h1'), 'EastEnders');
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1', 'the focus moves to the new page');
  // a second typo, Enter straight away: the best match opens
  await page.fill('#search-input', 'expert witnes');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.show h1:text("Expert Witness")');
  assertClean(page, 'search');
  await context.close();
});

test('the show page: poster, sanitised summary, genres, distributor, next episode countdown and the episodes by season', async () => {
  const show = (await apiJSON(base(), '/api/v1/search/shows?q=EastEnders')).body.data[0];
  const detail = (await apiJSON(base(), `/api/v1/shows/${show.id}`)).body.data;
  const episodes = await apiAll(base(), `/api/v1/shows/${show.id}/episodes`, {});
  const { context, page } = await openPage(browser, base());
  await page.goto(`${base()}/shows/${show.id}`);
  await page.waitForSelector('.show-episodes');
  assert.equal(await page.title(), 'EastEnders · tvshows');
  await page.waitForFunction(() => document.querySelector('.poster img')?.complete);
  assert.ok(await page.$eval('.poster img', (i) => i.naturalWidth > 0), 'the poster loaded');
  assert.match(await page.textContent('.show-dist'), new RegExp(`${detail.distributor.name}.*streaming service`));
  assert.deepEqual(await page.$$eval('.tags .tag', (t) => t.map((x) => x.textContent)), detail.genres);
  assert.ok(detail.next_episode, 'the derived week gives EastEnders a next episode');
  assert.match(await page.textContent('.next'), new RegExp(`S${detail.next_episode.season}E${detail.next_episode.number}`));
  assert.match(await page.textContent('#countdown'), /\(in \d+ (day|hour|minute)s?/);
  assert.equal(await page.$$eval('.summary p', (p) => p.length), 1);
  assert.equal(await page.$$eval('.summary br', (b) => b.length), 2);
  const seasons = [...new Set(episodes.map((e) => e.season))];
  assert.equal(await page.locator('details.season').count(), seasons.length);
  assert.equal(await page.locator('table.episodes tbody tr').count(), episodes.length);
  assert.match(await page.textContent('.show-episodes h2'), new RegExp(`\\(${episodes.length}\\)`));
  assertClean(page, 'show');
  await context.close();
});

test('a hostile summary keeps its formatting and nothing else: no script, handler, link, style or frame', async () => {
  const hostile = (await apiJSON(base(), '/api/v1/search/shows?q=Summary%20Sanitiser%20Test')).body.data[0];
  assert.equal(hostile.name, 'Summary Sanitiser Test');
  const { context, page } = await openPage(browser, base());
  page.on('dialog', (d) => d.dismiss());
  await page.goto(`${base()}/shows/${hostile.id}`);
  await page.waitForSelector('.summary');
  assert.equal(await page.textContent('.summary b'), 'bold');
  assert.equal(await page.textContent('.summary i'), 'brave');
  assert.equal(await page.locator('.summary script, .summary img, .summary a, .summary style, .summary iframe').count(), 0);
  assert.equal(await page.locator('.summary [onclick], .summary [onerror], .summary [style], .summary [href]').count(), 0);
  assert.match(await page.textContent('.summary'), /a link end\./);
  assert.match(await page.textContent('.summary'), /summary of Tom & Jerry’s <b>\./, 'character references decoded, as text');
  await page.click('.summary p:last-child');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.isVisible('body'), true);
  // no image: the placeholder, with the initials
  assert.equal(await page.textContent('.poster-missing .poster-fallback'), 'SS');
  assertClean(page, 'hostile summary');
  await context.close();
});

test('posters that cannot be loaded (offline) become a tidy placeholder', async () => {
  const show = (await apiJSON(base(), '/api/v1/search/shows?q=EastEnders')).body.data[0];
  const { context, page } = await openPage(browser, base(), { images: 'fail' });
  await page.goto(`${base()}/shows/${show.id}`);
  await page.waitForSelector('.poster-missing .poster-fallback');
  assert.equal(await page.textContent('.poster-fallback'), 'E');
  assert.equal(await page.locator('.poster img').count(), 0);
  const box = await page.locator('.poster').boundingBox();
  assert.ok(box.width >= 150 && box.height >= 200, 'the placeholder keeps the poster size');
  assertClean(page, 'offline posters', [/static\.tvmaze\.com/, /Failed to load resource/]);
  await context.close();
});

// ---- subscribe ----

function icsEvents(text) {
  const lines = text.replace(/\r\n[ \t]/g, '').split(/\r\n/);
  const events = [];
  let cur = null;
  for (const line of lines) {
    if (line === 'BEGIN:VEVENT') cur = {};
    else if (line === 'END:VEVENT') { events.push(cur); cur = null; } else if (cur) {
      const i = line.indexOf(':');
      cur[line.slice(0, i).split(';')[0]] = line.slice(i + 1);
    }
  }
  return events;
}

test('subscribe gives the webcal and https links of exactly the current filters, and the feed has the episodes on screen', async () => {
  const query = `week=${BUSY_WEEK}&tz=America%2FNew_York&genre=Drama%2CComedy&kind=network`;
  const { context, page } = await openWeek(query);
  await page.click('#subscribe');
  await page.waitForSelector('dialog.subscribe[open]');
  const https = new URL(await page.inputValue('#subscribe-https'));
  const webcal = await page.getAttribute('#subscribe-webcal', 'href');
  const weekLink = new URL(await page.getAttribute('#subscribe-week', 'href'));
  assert.equal(https.origin + https.pathname, `${base()}/api/v1/calendar.ics`);
  assert.deepEqual(Object.fromEntries(https.searchParams), { tz: 'America/New_York', genre: 'Drama,Comedy', kind: 'network' });
  assert.equal(webcal, https.href.replace(/^http:/, 'webcal:'));
  assert.deepEqual(Object.fromEntries(weekLink.searchParams),
    { ...Object.fromEntries(https.searchParams), date_from: BUSY_WEEK, date_to: addDays(BUSY_WEEK, 6) });

  const feed = await fetch(https.href);
  assert.equal(feed.status, 200, 'the subscribed feed answers');
  assert.match(feed.headers.get('content-type'), /^text\/calendar/);
  const res = await fetch(weekLink.href);
  assert.equal(res.status, 200);
  const events = icsEvents(await res.text());
  const shown = await cardIds(page);
  const byId = new Map((await apiAll(base(), '/api/v1/tvshows', apiParamsOf(page.url()))).map((e) => [e.id, e]));
  const onScreen = shown.map((id) => byId.get(id));
  assert.ok(onScreen.length > 10);
  assert.deepEqual(events.map((e) => e.URL).sort(), onScreen.map((e) => e.url).sort(), 'the feed holds the episodes on screen');
  for (const e of onScreen.filter((x) => x.time_known)) {
    const ev = events.find((x) => x.URL === e.url);
    assert.equal(ev.DTSTART, e.airstamp.replace(/[-:]/g, ''), `episode ${e.id}: the feed's instant`);
  }
  await page.keyboard.press('Escape');
  await page.waitForSelector('dialog.subscribe', { state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'subscribe', 'the focus returns to the button');
  assertClean(page, 'subscribe');
  await context.close();
});

// ---- a followed-show list ----

let listMade = null;
/** A followed-show list made through the HTTP API with a key of its own
 * (tvshows keys create): two TV shows and one streaming show of the GB
 * week. {token, feedIcs, network: [show], web: show, key} */
function followedList() {
  listMade ||= (async () => {
    const key = server.cli(['keys', 'create', 'browser-lists']).trim();
    // the key set reaches the API within a second
    for (let i = 0; i < 50; i++) {
      if ((await fetch(`${base()}/api/v1/lists`, { headers: { 'X-API-Key': key } })).status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const made = await fetch(`${base()}/api/v1/lists`, {
      method: 'POST', headers: { 'X-API-Key': key, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'Followed' }),
    });
    assert.equal(made.status, 201, await made.clone().text());
    const list = (await made.json()).data;
    const week = await apiAll(base(), '/api/v1/tvshows', { date_from: SHOWCASE_WEEK, date_to: addDays(SHOWCASE_WEEK, 6), tz: ZONE });
    const shows = (kind) => [...new Map(week.filter((e) => e.show.distributor?.kind === kind).map((e) => [e.show.id, e.show])).values()];
    const network = shows('network').slice(0, 2);
    const web = shows('web')[0];
    assert.equal(network.length, 2);
    assert.ok(web);
    for (const show of [...network, web]) {
      const put = await fetch(`${base()}/api/v1/lists/${list.id}/shows/${show.id}`, { method: 'PUT', headers: { 'X-API-Key': key } });
      assert.equal(put.status, 204);
    }
    return { token: list.feed_token, feedIcs: list.feed_ics, network, web, key };
  })();
  return listMade;
}

/** Every episode of a list's JSON feed for params, as the API pages it. */
function feedEpisodes(token, params) {
  return apiAll(base(), `/feeds/${token}.json`, params);
}

test('subscribe to a followed-show list: the pasted feed link gives the list’s calendar with the filters and zone on screen, kept until forgotten', async () => {
  const list = await followedList();
  const query = `week=${SHOWCASE_WEEK}&tz=America%2FNew_York&kind=network`;
  const { context, page } = await openWeek(query);
  await page.click('#subscribe');
  await page.waitForSelector('dialog.subscribe[open] #subscribe-list-token');
  assert.match(await page.textContent('#subscribe-list-help'), /localStorage/);
  assert.doesNotMatch(await page.textContent('#subscribe-list'), /null|undefined/);

  // the link the API gave when the list was made, as a calendar app would get it
  await page.fill('#subscribe-list-token', `webcal://${new URL(base()).host}${list.feedIcs}`);
  await page.click('#subscribe-list-use');
  await page.waitForSelector('#subscribe-list-https');
  const https = new URL(await page.inputValue('#subscribe-list-https'));
  assert.equal(https.origin + https.pathname, `${base()}/feeds/${list.token}.ics`);
  const params = { tz: 'America/New_York', kind: 'network' };
  assert.deepEqual(Object.fromEntries(https.searchParams), params, 'the list’s feed has exactly the filters and zone on screen');
  assert.equal(await page.getAttribute('#subscribe-list-webcal', 'href'), https.href.replace(/^http:/, 'webcal:'));
  assert.equal(new URL(await page.inputValue('#subscribe-https')).pathname, '/api/v1/calendar.ics', 'beside the all-shows feed');
  assert.equal(await page.evaluate(() => localStorage.getItem('tvshows.list-token')), list.token);
  assert.match(await page.textContent('#subscribe-list-kept'), /localStorage/);

  // the feed behind the link holds the episodes of the list's feed for the same filters: the
  // days it follows (around today), and a week of the screen's asked for with dates
  const res = await fetch(https.href);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/calendar/);
  const events = icsEvents(await res.text());
  const direct = await feedEpisodes(list.token, params);
  assert.ok(direct.length > 0, 'the list has episodes around today');
  assert.deepEqual(events.map((e) => e.URL).sort(), direct.map((e) => e.url).sort(), 'the linked feed holds the list’s episodes');
  const dates = { date_from: SHOWCASE_WEEK, date_to: addDays(SHOWCASE_WEEK, 6) };
  const dated = new URL(https.href);
  for (const [k, v] of Object.entries(dates)) dated.searchParams.set(k, v);
  const weekEvents = icsEvents(await (await fetch(dated.href)).text());
  const weekDirect = await feedEpisodes(list.token, { ...params, ...dates });
  assert.ok(weekDirect.length > 0);
  assert.deepEqual(weekEvents.map((e) => e.URL).sort(), weekDirect.map((e) => e.url).sort());
  // only the list's shows, and the filter holds: its streaming show is not in a TV-only feed
  const ids = new Set(list.network.map((x) => x.id));
  assert.ok(weekDirect.every((e) => ids.has(e.show.id)), 'only the list’s TV shows');
  assert.ok((await feedEpisodes(list.token, { tz: 'America/New_York', ...dates })).some((e) => e.show.id === list.web.id),
    'without the filter the streaming show is in the list’s feed');

  // kept: a reload offers the link again without pasting; forgotten, it is gone
  await page.keyboard.press('Escape');
  await page.reload();
  await page.waitForFunction(() => Number(document.getElementById('week-body')?.dataset.loads || 0) > 0);
  await page.click('#subscribe');
  await page.waitForSelector('dialog.subscribe[open] #subscribe-list-https');
  assert.equal(await page.inputValue('#subscribe-list-https'), https.href);
  await page.click('#subscribe-list-forget');
  await page.waitForSelector('#subscribe-list-token');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'subscribe-list-token');
  assert.equal(await page.evaluate(() => localStorage.getItem('tvshows.list-token')), null);
  assert.equal(await page.locator('#subscribe-list-https').count(), 0);
  assertClean(page, 'list subscribe');
  await context.close();
});

test('a list’s feed token no list has shows the API’s message; text that is no feed link is refused before asking; a kept token is forgotten when its feed is gone, kept when it cannot be checked', async () => {
  const list = await followedList();
  const unknown = `tvf_${'A'.repeat(43)}`;
  const api = await apiJSON(base(), `/feeds/${unknown}.json`);
  assert.equal(api.status, 404);
  const { context, page } = await openWeek(`week=${SHOWCASE_WEEK}&tz=${ZONE}`);
  await page.click('#subscribe');
  await page.waitForSelector('#subscribe-list-token');
  await page.fill('#subscribe-list-token', `${base()}/feeds/${unknown}.ics`);
  await page.press('#subscribe-list-token', 'Enter');
  await page.waitForSelector('#subscribe-list-error');
  const message = await page.textContent('#subscribe-list-error');
  assert.doesNotMatch(await page.textContent('#subscribe-list'), /null|undefined/);
  assert.ok(message.includes(api.body.error) && message.includes('404'), message);
  assert.equal(await page.getAttribute('#subscribe-list-token', 'aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'subscribe-list-token', 'the focus stays on the field');
  assert.equal(await page.evaluate(() => localStorage.getItem('tvshows.list-token')), null, 'a token no list has is not kept');

  const asked = [];
  page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/feeds/')) asked.push(r.url()); });
  await page.fill('#subscribe-list-token', 'https://example.com/not a feed');
  await page.press('#subscribe-list-token', 'Enter');
  await page.waitForFunction(() => /not a feed link/.test(document.getElementById('subscribe-list-error')?.textContent || ''));
  assert.deepEqual(asked, [], 'nothing asked for text that holds no token');

  // a kept token whose feed cannot be checked (the server out of reach) stays kept
  await page.evaluate((t) => localStorage.setItem('tvshows.list-token', t), list.token);
  await page.keyboard.press('Escape');
  await page.route('**/feeds/**', (route) => route.abort('connectionrefused'));
  await page.click('#subscribe');
  await page.waitForSelector('#subscribe-list-error');
  assert.match(await page.textContent('#subscribe-list-error'), /could not be checked.*could not be reached.*still kept/s);
  assert.ok(await page.isVisible('#subscribe-list-https'));
  assert.equal(await page.evaluate(() => localStorage.getItem('tvshows.list-token')), list.token);
  await page.unroute('**/feeds/**');

  // a token kept from before whose list is gone (its token renewed): the dialog says so and forgets it
  await page.evaluate((t) => localStorage.setItem('tvshows.list-token', t), unknown);
  await page.keyboard.press('Escape');
  await page.click('#subscribe');
  await page.waitForSelector('#subscribe-list-error');
  assert.match(await page.textContent('#subscribe-list-error'), /404.*forgotten/s);
  assert.equal(await page.evaluate(() => localStorage.getItem('tvshows.list-token')), null);
  assert.ok(list.token !== unknown);
  assertClean(page, 'bad token', [/HTTP 404: .*\/feeds\/tvf_A+\.json/, /Failed to load resource/, /connectionrefused|ERR_CONNECTION_REFUSED/]);
  await context.close();
});

// ---- insights ----

test('insights: the three reports as SVG charts, with their numbers in tables', async () => {
  const [networks, genres, density] = await Promise.all(['networks', 'genres', 'schedule-density']
    .map(async (r) => (await apiJSON(base(), `/api/v1/analytics/${r}`)).body.data));
  assert.ok(networks.length && genres.length && density.some((r) => r.episodes), 'the reports have data (the derived week is around today)');
  const { context, page } = await openPage(browser, base());
  await page.goto(`${base()}/insights`);
  await page.waitForSelector('.insight svg');
  const sections = page.locator('.insight');
  assert.equal(await sections.count(), 3);
  const net = page.locator('#i-networks').locator('xpath=..');
  assert.equal(await net.locator('svg .chart-bar').count(), networks.length);
  assert.equal(await net.locator('table tbody tr').count(), networks.length);
  assert.equal(await net.locator('table tbody tr').first().locator('th').textContent(), networks[0].distributor);
  const gen = page.locator('#i-genres').locator('xpath=..');
  assert.equal(await gen.locator('svg .chart-bar').count(), genres.length);
  const den = page.locator('#i-density').locator('xpath=..');
  assert.equal(await den.locator('svg .chart-heat-cell').count(), 10);
  const busiest = density.find((r) => r.busiest);
  assert.equal(await den.locator('.chart-cell-mark').count(), busiest ? 1 : 0);
  for (const svg of await page.locator('.insight svg').all()) {
    assert.equal(await svg.getAttribute('role'), 'img');
    assert.ok((await svg.getAttribute('aria-label')).length > 20);
  }
  await page.click('#i-networks ~ figure summary');
  assert.ok(await net.locator('table').isVisible());
  assertClean(page, 'insights');
  await context.close();
});

// ---- states ----

test('errors show the API message; empty and loading states say what to do', async () => {
  const bad = `week=${BUSY_WEEK}&tz=${ZONE}&genre=Foo`;
  const api = await apiJSON(base(), `/api/v1/tvshows?date_from=${BUSY_WEEK}&date_to=${addDays(BUSY_WEEK, 6)}&tz=${ZONE}&genre=Foo`);
  assert.equal(api.status, 400);
  const { context, page } = await openWeek(bad);
  const alert = await page.textContent('#week-body [role="alert"]');
  assert.ok(alert.includes(api.body.error) && alert.includes(api.body.details), alert);
  assert.match(alert, /400/);

  await page.goto(`${base()}/?week=${BUSY_WEEK}&tz=${ZONE}&language=Klingon`);
  await page.waitForSelector('#week-body .state-empty');
  assert.match(await page.innerText('#week-body .state-empty'), /No episode this week matches these filters\.\s+Clear the filters/);
  await afterLoad(page, () => page.click('#week-body .state-empty button'));
  assert.ok((await cardIds(page)).length > 150);

  await page.route('**/api/v1/week?*', async (route) => {
    await new Promise((r) => setTimeout(r, 700));
    await route.continue();
  });
  await page.goto(`${base()}/?week=${SHOWCASE_WEEK}&tz=${ZONE}`);
  await page.waitForSelector('#week-body[aria-busy="true"] .state-loading');
  assert.match(await page.textContent('#week-body .state-loading'), /Loading the week’s episodes/);
  await page.waitForSelector('#week-body:not([aria-busy]) .card');
  await page.unroute('**/api/v1/week?*');

  await page.route('**/api/v1/week?*', (route) => route.abort('connectionrefused'));
  await page.goto(`${base()}/?week=${SHOWCASE_WEEK}&tz=${ZONE}`);
  await page.waitForSelector('#week-body [role="alert"]');
  assert.match(await page.textContent('#week-body [role="alert"]'), /could not be reached/);
  await page.unroute('**/api/v1/week?*');
  await afterLoad(page, () => page.click('#week-body [role="alert"] button'));
  assert.ok((await cardIds(page)).length > 0, 'try again works');

  await page.goto(`${base()}/shows/99999999`);
  await page.waitForSelector('.show [role="alert"]');
  assert.equal(await page.textContent('.show h1'), 'Show not found');
  assert.match(await page.textContent('.show [role="alert"]'), /Resource not found: Couldn't find TvShow with 'id'=99999999/);
  // the filters' lists are asked for after the first cards: a page left at
  // once (the test's next goto) cuts them off, which is no fault of the page
  assertClean(page, 'states', [/HTTP 400: .*genre=Foo/, /HTTP 404: .*\/api\/v1\/shows\/99999999/, /connectionrefused|ERR_CONNECTION_REFUSED/, /Failed to load resource/,
    /^failed: \S+\/api\/v1\/(countries|networks|genres) net::ERR_ABORTED$/]);
  await context.close();
});

// ---- keyboard ----

async function tabThrough(page, max = 400) {
  const seen = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      const visible = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2) || style.boxShadow !== 'none';
      return { key: el.id || el.dataset.episodeId || `${el.tagName}:${el.textContent.trim().slice(0, 30)}`, tag: el.tagName, visible };
    });
    if (!f) break;
    if (seen.length && f.key === seen[0].key) break;
    seen.push(f);
  }
  return seen;
}

test('keyboard only: every control is reached with Tab, shows its focus, and works with Enter, Space and Escape', async () => {
  const { context, page } = await openWeek(`week=${SHOWCASE_WEEK}&tz=${ZONE}`);
  await page.waitForFunction(() => document.querySelectorAll('[id^="f-genre-"]').length > 0);
  // the skip link comes first and shows itself
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip');
  assert.ok((await page.locator('.skip').boundingBox()).y >= 0);
  await page.keyboard.press('Shift+Tab');
  const order = await tabThrough(page);
  const keys = order.map((f) => f.key);
  const focusable = await page.$$eval('a[href], button:not([disabled]), input, select, summary',
    (els) => els.filter((e) => e.checkVisibility())
      .map((el) => el.id || el.dataset.episodeId || `${el.tagName}:${el.textContent.trim().slice(0, 30)}`));
  assert.deepEqual(focusable.filter((k) => !keys.includes(k)), [], 'controls Tab does not reach');
  assert.deepEqual(order.filter((f) => !f.visible).map((f) => f.key), [], 'controls without a visible focus');
  for (const id of ['search-input', 'tz', 'subscribe', 'f-country', 'f-distributor', 'f-kind', 'f-rating', 'f-premieres', 'f-language']) {
    assert.ok(keys.includes(id), `${id} reached`);
  }

  // Genres open with Enter, a genre with Space
  await page.focus('#f-genres summary');
  await page.keyboard.press('Enter');
  assert.ok(await page.$eval('#f-genres', (d) => d.open));
  await page.focus('#f-genre-Drama');
  await afterLoad(page, () => page.keyboard.press('Space'));
  assert.equal(new URL(page.url()).searchParams.get('genre'), 'Drama');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'f-genre-Drama', 'the focus stays on the control');
  // a network by type-ahead and its chip removed, by keyboard alone
  await page.focus('#f-distributor');
  await page.keyboard.type('BBC T');
  await page.waitForSelector('#f-distributor-list [role="option"]');
  await page.keyboard.press('ArrowDown');
  await afterLoad(page, () => page.keyboard.press('Enter'));
  assert.equal(new URL(page.url()).searchParams.get('distributor'), 'BBC Two');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'f-distributor');
  await page.keyboard.press('Shift+Tab');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Remove BBC Two');
  await afterLoad(page, () => page.keyboard.press('Enter'));
  assert.equal(new URL(page.url()).searchParams.get('distributor'), null);
  // Enter pressed before the suggestions caught up with the text (here in the
  // same task as the keystroke) takes the first suggestion of the text typed,
  // not of the text the list was drawn for
  await page.focus('#f-distributor');
  await page.keyboard.type('BBC');
  await page.waitForSelector('#f-distributor-list:not([hidden]) [role="option"]');
  await afterLoad(page, () => page.evaluate(() => {
    const input = document.getElementById('f-distributor');
    input.value = 'BBC T';
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
  }));
  assert.equal(new URL(page.url()).searchParams.get('distributor'), 'BBC Two');
  await page.focus('#f-remove-BBC-Two');
  await afterLoad(page, () => page.keyboard.press('Enter'));
  assert.equal(new URL(page.url()).searchParams.get('distributor'), null);
  // the search list closes with Escape, and a second Escape empties the box
  await page.focus('#search-input');
  await page.keyboard.type('witness');
  await page.waitForSelector('#search-list:not([hidden]) [role="option"]');
  await page.keyboard.press('Escape');
  assert.equal(await page.getAttribute('#search-input', 'aria-expanded'), 'false');
  assert.ok(await page.isHidden('#search-list'));
  await page.keyboard.press('Escape');
  assert.equal(await page.inputValue('#search-input'), '');
  // the subscribe dialog opens with Enter, traps the focus, closes with Escape
  await page.focus('#subscribe');
  await page.keyboard.press('Enter');
  await page.waitForSelector('dialog[open]');
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab');
    assert.ok(await page.evaluate(() => !!document.activeElement.closest('dialog') || document.activeElement === document.body));
  }
  // the list's field is reached with Tab, Enter checks the pasted link,
  // and the list's controls follow in the dialog
  const list = await followedList();
  for (let i = 0; i < 12 && await page.evaluate(() => document.activeElement.id) !== 'subscribe-list-token'; i++) await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'subscribe-list-token');
  await page.keyboard.type(list.token);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#subscribe-list-https');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'subscribe-list-webcal', 'the focus moves to the list’s link');
  const listControls = [];
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press('Tab');
    listControls.push(await page.evaluate(() => document.activeElement.id || document.activeElement.textContent));
  }
  assert.ok(listControls.includes('subscribe-list-forget'), listControls.join(' '));
  await page.focus('#subscribe-list-forget');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#subscribe-list-token');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'subscribe-list-token');
  await page.keyboard.press('Escape');
  await page.waitForSelector('dialog', { state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'subscribe');
  // a card opens its show with Enter
  const card = page.locator('#week-body .card').first();
  const showId = await card.getAttribute('data-show-id');
  await card.focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(`${base()}/shows/${showId}`);
  await page.waitForSelector('.show h1');
  await page.goBack();
  await page.waitForSelector('#week-body .card');
  assertClean(page, 'keyboard', [/net::ERR_ABORTED/]);
  await context.close();
});

test('at 360 px: the filters fold behind a button that Enter opens and Escape closes, and nothing scrolls sideways', async () => {
  const { context, page } = await openWeek(`week=${SHOWCASE_WEEK}&tz=${ZONE}`, { width: 360, height: 740, isMobile: true, hasTouch: true });
  assert.ok(await page.isHidden('#filters'));
  assert.ok(await page.isVisible('#filters-toggle'));
  await page.focus('#filters-toggle');
  await page.keyboard.press('Enter');
  assert.ok(await page.isVisible('#filters'));
  assert.equal(await page.getAttribute('#filters-toggle', 'aria-expanded'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'f-country');
  await page.keyboard.press('Escape');
  assert.ok(await page.isHidden('#filters'));
  assert.equal(await page.evaluate(() => document.activeElement.id), 'filters-toggle');
  // one day after another, nothing wider than the screen
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('.grid')).display), 'block');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling at 360 px');
  await page.keyboard.press('Enter');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'nor with the filters open');
  for (const path of ['/insights', `/shows/${await page.getAttribute('#week-body .card', 'data-show-id')}`]) {
    await page.goto(`${base()}${path}`);
    await page.waitForSelector('main :is(.insight svg, .show-episodes)');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), `no sideways scrolling on ${path}`);
  }
  assertClean(page, 'phone');
  await context.close();
});

// ---- accessibility and screenshots ----

test('axe-core finds no serious or critical violation on any view, light and dark, wide and narrow', async () => {
  const hostile = (await apiJSON(base(), '/api/v1/search/shows?q=Summary%20Sanitiser%20Test')).body.data[0];
  const eastenders = (await apiJSON(base(), '/api/v1/search/shows?q=EastEnders')).body.data[0];
  const views = [
    ['week', `/?week=${SHOWCASE_WEEK}&tz=${ZONE}`, {}],
    ['week (375 px)', `/?week=${SHOWCASE_WEEK}&tz=${ZONE}`, { width: 375, height: 812, isMobile: true }],
    ['week (dark)', `/?week=${SHOWCASE_WEEK}&tz=${ZONE}`, { scheme: 'dark' }],
    ['week with filters open', `/?week=${BUSY_WEEK}&tz=${ZONE}&genre=Drama&distributor=CBS,NBC`, {}, async (p) => {
      await p.click('#f-genres summary');
      await p.click('#f-more summary');
    }],
    ['week, filters unfolded (375 px)', `/?week=${SHOWCASE_WEEK}&tz=${ZONE}`, { width: 375, height: 812, isMobile: true }, (p) => p.click('#filters-toggle')],
    ['search suggestions', `/?week=${SHOWCASE_WEEK}&tz=${ZONE}`, {}, async (p) => {
      await p.fill('#search-input', 'the');
      await p.waitForSelector('#search-list [role="option"]');
      await p.keyboard.press('ArrowDown');
    }],
    ['subscribe', `/?week=${SHOWCASE_WEEK}&tz=${ZONE}&kind=web`, {}, async (p) => {
      await p.click('#subscribe');
      await p.waitForSelector('dialog[open]');
    }],
    ['subscribe (dark)', `/?week=${SHOWCASE_WEEK}&tz=${ZONE}`, { scheme: 'dark' }, async (p) => {
      await p.click('#subscribe');
      await p.waitForSelector('dialog[open]');
    }],
    ['subscribe, a followed list kept', `/?week=${SHOWCASE_WEEK}&tz=${ZONE}&kind=network`, {}, async (p) => {
      await p.click('#subscribe');
      await p.fill('#subscribe-list-token', (await followedList()).token);
      await p.click('#subscribe-list-use');
      await p.waitForSelector('#subscribe-list-https');
    }],
    ['subscribe, a feed token no list has (dark)', `/?week=${SHOWCASE_WEEK}&tz=${ZONE}`, { scheme: 'dark' }, async (p) => {
      await p.click('#subscribe');
      await p.fill('#subscribe-list-token', `tvf_${'B'.repeat(43)}`);
      await p.click('#subscribe-list-use');
      await p.waitForSelector('#subscribe-list-error');
    }],
    ['empty week', `/?week=${BUSY_WEEK}&tz=${ZONE}&language=Klingon`, {}],
    ['error', `/?week=${BUSY_WEEK}&tz=${ZONE}&genre=Foo`, {}],
    ['show', `/shows/${eastenders.id}`, {}],
    ['show (dark, 375 px)', `/shows/${eastenders.id}`, { scheme: 'dark', width: 375, height: 812, isMobile: true }],
    ['show without poster', `/shows/${hostile.id}`, {}],
    ['show not found', '/shows/99999999', {}],
    ['insights, tables open', '/insights', {}, (p) => p.$$eval('details.numbers', (d) => d.forEach((x) => { x.open = true; }))],
    ['insights (dark)', '/insights', { scheme: 'dark' }],
  ];
  for (const [name, url, options, prepare] of views) {
    const { context, page } = await openPage(browser, base(), options);
    await page.goto(`${base()}${url}`);
    await page.waitForSelector('main :is(.card, .state, .insight svg, .show-episodes, [role="alert"])');
    await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
    if (prepare) await prepare(page);
    const t0 = Date.now();
    await runAxe(page, name);
    axeLog[axeLog.length - 1].ms = Date.now() - t0;
    await context.close();
  }
  const serious = axeLog.reduce((n, v) => n + v.serious, 0);
  const other = axeLog.reduce((n, v) => n + v.other, 0);
  const ids = [...new Set(axeLog.flatMap((v) => v.violations.map((x) => `${x.id} (${x.impact})`)))];
  const line = `axe-core: ${axeLog.length} views, ${serious} serious or critical violations, ${other} minor or moderate${ids.length ? `: ${ids.join(', ')}` : ''}`;
  fs.writeFileSync(path.join(RESULTS, 'axe.txt'), `${line}\n${JSON.stringify(axeLog, null, 1)}\n`);
  console.log(line);
  assert.equal(serious, 0);
});

test('screenshots of each view at 375 and 1,440 px; the README screenshot is the wide week', async () => {
  const eastenders = (await apiJSON(base(), '/api/v1/search/shows?q=EastEnders')).body.data[0];
  const views = [
    ['week', `/?week=${SHOWCASE_WEEK}&tz=${ZONE}`],
    ['week-filtered', `/?week=${BUSY_WEEK}&tz=${ZONE}&genre=Drama,Comedy&kind=network`],
    ['search', `/?week=${SHOWCASE_WEEK}&tz=${ZONE}`, async (p) => {
      await p.fill('#search-input', 'the');
      await p.waitForSelector('#search-list [role="option"]');
      await p.keyboard.press('ArrowDown');
    }],
    ['subscribe', `/?week=${SHOWCASE_WEEK}&tz=${ZONE}&kind=web`, async (p) => {
      await p.click('#subscribe');
      await p.waitForSelector('dialog[open]');
    }],
    ['subscribe-list', `/?week=${SHOWCASE_WEEK}&tz=${ZONE}&kind=network`, async (p) => {
      await p.click('#subscribe');
      await p.fill('#subscribe-list-token', (await followedList()).token);
      await p.click('#subscribe-list-use');
      await p.waitForSelector('#subscribe-list-https');
    }],
    ['show', `/shows/${eastenders.id}`],
    ['insights', '/insights'],
  ];
  for (const width of [375, 1440]) {
    for (const [name, url, prepare] of views) {
      const { context, page } = await openPage(browser, base(), { width, height: width < 500 ? 812 : 900, isMobile: width < 500 });
      await page.clock.setFixedTime(new Date(SHOWCASE_NOW));
      await page.goto(`${base()}${url}`);
      await page.waitForSelector('main :is(.card, .state, .insight svg, .show-episodes)');
      await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
      await page.waitForFunction(() => [...document.images].every((i) => i.complete));
      if (prepare) await prepare(page);
      await shot(page, name);
      assertClean(page, `${name} at ${width}`);
      await context.close();
    }
  }
  const made = fs.readdirSync(RESULTS).filter((f) => f.endsWith('.png'));
  assert.equal(made.length, views.length * 2, made.join(' '));
  fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  fs.copyFileSync(path.join(RESULTS, 'week-1440.png'), SCREENSHOT);
});

test('the server stops cleanly after all of it (no sanitizer report, exit 0)', async () => {
  const r = await server.stop();
  server = null;
  assert.doesNotMatch(r.stderr, /AddressSanitizer|runtime error|LeakSanitizer/);
  assert.equal(r.code, 0, r.stderr.slice(-2000));
});
