// The week: seven local days of the viewer's time zone, each divided into
// parts of the day, each episode a compact card. Columns on a wide screen,
// one day after another on a phone (the same markup; week.css decides).
// Days and times are the API's local_date and local_time for the chosen
// zone (tz=); an episode without an announced time sits in its own row at
// the end of its day, as the API orders it.

import { apiUrl, getAllPages, getList } from '../api.js';
import { h, clear, announce, loadingState, errorState, emptyState } from '../dom.js';
import { readState, writeQuery, scheduleParams, feedParams, activeFilters, emptyFilters } from '../state.js';
import { chooseZone, rememberZone, allZones, offsetLabel, localParts, mondayOf, addDays, weekDays, formatDay, formatWeek, minutesOf } from '../time.js';
import { filtersForm } from './filters.js';
import { openSubscribe } from './subscribe.js';

export const BANDS = [
  { id: 'night', title: 'Early hours', range: '00–06', until: 6 * 60 },
  { id: 'morning', title: 'Morning', range: '06–12', until: 12 * 60 },
  { id: 'afternoon', title: 'Afternoon', range: '12–18', until: 18 * 60 },
  { id: 'evening', title: 'Evening', range: '18–24', until: 24 * 60 },
  { id: 'unknown', title: 'Time not announced', range: '', until: Infinity },
];

function bandOf(minutes) {
  if (minutes === null) return BANDS.length - 1;
  return BANDS.findIndex((b) => minutes < b.until);
}

function episodeCode(e) {
  if (e.episode_number === null || e.episode_number === undefined) return e.season ? `S${e.season} special` : 'Special';
  return `S${String(e.season).padStart(2, '0')}E${String(e.episode_number).padStart(2, '0')}`;
}

const PREMIERE_TEXT = { series: 'Series premiere', season: 'Season premiere' };

function span(className, text) {
  const el = document.createElement('span');
  el.className = className;
  el.textContent = text;
  return el;
}

// A card is built by hand rather than with h(): a busy week has thousands,
// and each is redrawn on every filter change.
function card(e) {
  const show = e.show || {};
  const dist = show.distributor || show.network || show.web_channel;
  const premiere = PREMIERE_TEXT[e.premiere];
  const time = e.local_time || null;
  const a = document.createElement('a');
  a.className = premiere ? 'card card-premiere' : 'card';
  a.href = `/shows/${show.id}`;
  a.dataset.episodeId = e.id;
  a.dataset.showId = show.id;
  a.dataset.localDate = e.local_date || e.airdate;
  a.dataset.localTime = time || '';
  if (time) {
    const t = document.createElement('time');
    t.className = 'card-time';
    t.dateTime = e.airstamp;
    t.textContent = time;
    a.append(t);
  } else {
    a.append(span('card-time card-time-unknown', 'Time TBA'));
  }
  a.append(span('card-show', show.name), span('card-ep', e.name ? `${episodeCode(e)} · ${e.name}` : episodeCode(e)));
  if (dist) a.append(span('card-dist', dist.name));
  if (premiere) a.append(span(`badge badge-${e.premiere}`, premiere));
  const li = document.createElement('li');
  li.append(a);
  return li;
}

function nowMarker(now) {
  return h('li', { class: 'now-marker', dataset: { minutes: now.minutes } },
    h('span', { class: 'now-label' }, h('span', { class: 'sr-only' }, 'Now, '), now.time));
}

/** Puts the "now" line among today's cards, before the first that is later. */
function placeNow(grid, zone) {
  grid.querySelector('.now-marker')?.remove();
  const now = localParts(zone);
  const day = grid.querySelector(`.day[data-date="${now.date}"]`);
  if (!day) return;
  const band = day.querySelector(`.band[data-band="${BANDS[bandOf(now.minutes)].id}"]`);
  let list = band.querySelector('.cards');
  if (!list) {
    list = h('ul', { class: 'cards' });
    band.append(list);
  }
  const later = [...list.querySelectorAll('.card')].find((c) => minutesOf(c.dataset.localTime) > now.minutes);
  list.insertBefore(nowMarker(now), later ? later.parentElement : null);
}

// The cards of a part of the day drawn at once; the rest follow a moment
// later (rest), so that a busy week's first screen is redrawn without
// waiting for the thousands of cards below it.
const FIRST_CARDS = 8;

function daySection(date, cells, today, rest) {
  const isToday = date === today;
  const total = cells.reduce((n, c) => n + c.length, 0);
  const id = `day-${date}`;
  return h('section', { class: ['day', isToday && 'today', !total && 'day-empty'], dataset: { date }, 'aria-labelledby': id },
    h('h2', { class: 'day-head', id, 'aria-current': isToday ? 'date' : null },
      h('span', { class: 'day-name' }, formatDay(date, 'short')),
      h('span', { class: 'day-date' }, formatDay(date, 'dayMonth')),
      isToday ? h('span', { class: 'today-tag' }, 'Today') : null,
      h('span', { class: 'sr-only' }, `, ${total} episode${total === 1 ? '' : 's'}`)),
    BANDS.map((band, i) => h('div', { class: ['band', `band-${band.id}`, !cells[i].length && 'band-empty'], dataset: { band: band.id } },
      cells[i].length ? [
        h('h3', { class: 'band-title' }, band.title, band.range ? h('span', { class: 'band-range' }, ` ${band.range}`) : null),
        cardList(cells[i], rest),
      ] : null)),
    total ? null : h('p', { class: 'day-nothing' }, 'Nothing on'));
}

function cardList(episodes, rest) {
  const list = h('ul', { class: 'cards' }, episodes.slice(0, FIRST_CARDS).map(card));
  if (episodes.length > FIRST_CARDS) rest.push([list, episodes.slice(FIRST_CARDS)]);
  return list;
}

/** The rest of the cards of renderGrid(), appended list by list. */
export function drawRest(rest) {
  for (const [list, episodes] of rest) {
    const fragment = document.createDocumentFragment();
    for (const e of episodes) fragment.append(card(e));
    list.append(fragment);
  }
}

/** The grid of the week's episodes, with the first cards of each part of
 * each day; rest receives [list, episodes] pairs still to draw (drawRest). */
export function renderGrid(days, episodes, zone, rest) {
  const cells = new Map(days.map((d) => [d, BANDS.map(() => [])]));
  for (const e of episodes) {
    const date = e.local_date || e.airdate;
    const day = cells.get(date);
    if (day) day[bandOf(minutesOf(e.local_time))].push(e);
  }
  const today = localParts(zone).date;
  const grid = h('div', { class: 'grid' },
    BANDS.map((band, i) => h('div', { class: 'band-label', 'aria-hidden': 'true', dataset: { row: i } },
      h('span', null, band.title), band.range ? h('span', { class: 'band-range' }, band.range) : null)),
    days.map((d) => daySection(d, cells.get(d), today, rest)));
  return grid;
}

// The weeks this page has shown, by their API parameters: going back to a
// filter or a week seen a moment ago redraws at once instead of asking for
// and parsing every page again. The browser's HTTP cache would answer those
// requests for as long (Cache-Control: max-age, an hour by default); this
// keeps a few for minutes.
const SEEN_MAX = 8;
const SEEN_MS = 5 * 60 * 1000;
const seen = new Map();

function remembered(key) {
  const hit = seen.get(key);
  if (!hit || Date.now() - hit.at > SEEN_MS) {
    seen.delete(key);
    return null;
  }
  seen.delete(key); // most recent last
  seen.set(key, hit);
  return hit.answer;
}

function remember(key, answer) {
  seen.set(key, { answer, at: Date.now() });
  while (seen.size > SEEN_MAX) seen.delete(seen.keys().next().value);
}

function weekLink(state, monday) {
  return `/?${writeQuery({ ...state, week: monday })}`;
}

export function renderWeek(main, { navigate, setTitle }) {
  const state = readState(location.search);
  state.tz = chooseZone(state.tz);
  let zone = state.tz;
  const current = () => mondayOf(localParts(zone).date);
  const monday = state.week || current();
  const days = weekDays(monday);
  const title = formatWeek(monday);
  let seq = 0;
  let controller = null;
  let timer = 0;
  let pagesSeen = 1; // pages of the last load: how many to ask for at once next time

  setTitle(state.week ? `Week of ${title}` : 'This week');
  // the URL names the zone shown, so that a reload or a shared link shows
  // the same days even where the browser's zone is another
  if (new URLSearchParams(location.search).get('tz') !== zone) history.replaceState(null, '', `/?${writeQuery(state)}`);
  const status = h('p', { class: 'week-status', role: 'status', id: 'week-status' });
  const body = h('div', { class: 'week-body', id: 'week-body' });
  // the episodes and the filter values are asked for first: the rest of the
  // view is built while they travel
  const firstLoad = load();
  const lists = Promise.all(['countries', 'networks', 'genres'].map((n) => getList(n).catch(() => [])));
  const filters = filtersForm({ lists: { countries: [], networks: [], genres: [] }, onChange: changeFilters });
  // the ~430 zones are listed when the control is first used: until then
  // it holds the one shown (they would be a sixth of the page's nodes)
  const zoneOption = (z) => h('option', { value: z }, z.replaceAll('_', ' '));
  const zoneSelect = h('select', { id: 'tz', onchange: (e) => changeZone(e.target.value) }, zoneOption(zone));
  const listZones = () => {
    if (zoneSelect.options.length > 1) return;
    zoneSelect.replaceChildren(...allZones(zone).map(zoneOption));
    zoneSelect.value = zone;
  };
  for (const type of ['focus', 'pointerdown', 'mouseover']) zoneSelect.addEventListener(type, listZones);
  firstLoad.then(() => (window.requestIdleCallback || setTimeout)(listZones));
  const zoneNote = h('span', { class: 'zone-offset', id: 'tz-offset' }, offsetLabel(zone));
  zoneSelect.setAttribute('aria-describedby', 'tz-offset');

  const prev = addDays(monday, -7);
  const next = addDays(monday, 7);
  const thisWeek = current();
  main.append(h('section', { class: 'week', 'aria-labelledby': 'week-title' },
    h('div', { class: 'week-bar' },
      h('h1', { id: 'week-title', tabindex: '-1' }, title),
      h('nav', { class: 'week-nav', 'aria-label': 'Weeks' },
        h('a', { class: 'button', href: weekLink(state, prev), rel: 'prev', 'aria-label': `Previous week, ${formatWeek(prev)}` }, '‹ Previous'),
        monday === thisWeek ? h('span', { class: 'button button-current', 'aria-current': 'page' }, 'This week')
          : h('a', { class: 'button', href: `/?${writeQuery({ ...state, week: null })}` }, 'This week'),
        h('a', { class: 'button', href: weekLink(state, next), rel: 'next', 'aria-label': `Next week, ${formatWeek(next)}` }, 'Next ›')),
      h('div', { class: 'field field-zone' }, h('label', { for: 'tz' }, 'Time zone'), h('span', { class: 'zone-row' }, zoneSelect, zoneNote)),
      h('button', { type: 'button', class: 'button button-primary', id: 'subscribe', onclick: () => openSubscribe(feedParams(state), { from: days[0], to: days[6] }) },
        'Subscribe')),
    h('button', {
      type: 'button', class: 'button filters-toggle', id: 'filters-toggle', 'aria-controls': 'filters', 'aria-expanded': 'false',
      onclick: () => toggleFilters(),
    }, 'Filters', activeFilters(state.filters) ? ` (${activeFilters(state.filters)})` : ''),
    filters.element,
    status,
    body));
  filters.element.id = 'filters';
  filters.element.dataset.collapsed = '';
  filters.render(state.filters);
  // on a phone the filters fold away behind their button; Escape folds them
  function toggleFilters(open = filters.element.hasAttribute('data-collapsed')) {
    const toggle = document.getElementById('filters-toggle');
    filters.element.toggleAttribute('data-collapsed', !open);
    toggle.setAttribute('aria-expanded', String(open));
    if (open) filters.element.querySelector('select, input, button')?.focus();
    else toggle.focus();
  }
  filters.element.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !e.defaultPrevented && getComputedStyle(document.getElementById('filters-toggle')).display !== 'none') {
      toggleFilters(false);
    }
  });

  // the filters' lists are drawn once the first cards are (they wait behind them)
  Promise.all([lists, firstLoad]).then(([[countries, networks, genres]]) => filters.setLists({ countries, networks, genres }));

  function writeUrl(push) {
    const url = `/?${writeQuery(state)}`;
    if (push) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
  }

  function changeFilters(next, focusId) {
    performance.mark('tvshows:filter-change');
    state.filters = next;
    const n = activeFilters(next);
    document.getElementById('filters-toggle').textContent = n ? `Filters (${n})` : 'Filters';
    writeUrl(false);
    filters.render(next, focusId);
    load();
  }

  function changeZone(next) {
    zone = next;
    state.tz = next;
    rememberZone(next);
    zoneNote.textContent = offsetLabel(next);
    if (!state.week && current() !== monday) {
      navigate(`/?${writeQuery(state)}`, { replace: true });
      return;
    }
    writeUrl(false);
    load();
  }

  function showEpisodes(data, total, truncated) {
    const n = activeFilters(state.filters);
    if (!data.length) {
      body.replaceChildren(n
        ? emptyState('No episode this week matches these filters.', 'Clear the filters, or look at another week.',
          h('button', { type: 'button', class: 'button', onclick: () => changeFilters(emptyFilters(), 'f-country') }, 'Clear filters'))
        : emptyState('Nothing is scheduled this week.', 'Look at another week, or import the schedule with "tvshows import".',
          h('a', { class: 'button', href: `/?${writeQuery({ ...state, week: null })}` }, 'Go to this week')));
      status.textContent = 'No episodes';
    } else {
      const rest = [];
      const grid = renderGrid(days, data, zone, rest);
      body.replaceChildren(grid);
      performance.mark('tvshows:first-cards');
      body.dataset.drawn = String(Number(body.dataset.drawn || 0) + 1);
      if (rest.length) {
        // after the first cards are painted (a frame), unless a newer load came
        const mine = seq;
        requestAnimationFrame(() => setTimeout(() => {
          if (mine !== seq || !grid.isConnected) return;
          drawRest(rest);
          finish(grid, data);
        }, 0));
      } else {
        finish(grid, data);
      }
      status.textContent = `${total.toLocaleString()} episode${total === 1 ? '' : 's'}${n ? ` matching ${n} filter${n === 1 ? '' : 's'}` : ''} · times in ${zone.replaceAll('_', ' ')}`
        + (truncated ? ` · showing the first ${data.length.toLocaleString()}: narrow the filters to see the rest` : '');
      return;
    }
    finish(null, data);
  }

  // every card drawn: the "now" line placed, the load counted
  function finish(grid, data) {
    if (grid) placeNow(grid, zone);
    body.dataset.count = String(data.length);
    loaded();
    performance.mark('tvshows:cards');
  }

  // each finished load is counted (data-loads), so that a test or a
  // benchmark can tell the answer to its change from an earlier one
  function loaded() {
    body.removeAttribute('aria-busy');
    body.dataset.loads = String(Number(body.dataset.loads || 0) + 1);
  }

  async function load() {
    const mine = ++seq;
    if (controller) controller.abort();
    controller = new AbortController();
    body.setAttribute('aria-busy', 'true');
    if (!body.firstChild || body.querySelector('.state')) {
      clear(body);
      body.append(loadingState('Loading the week’s episodes…'));
    }
    status.textContent = 'Loading…';
    try {
      const params = scheduleParams(state, days[0], days[6]);
      const key = apiUrl('/api/v1/tvshows', params);
      let r = remembered(key);
      if (!r) {
        r = await getAllPages('/api/v1/tvshows', params, { signal: controller.signal, guess: pagesSeen });
        remember(key, r);
      }
      pagesSeen = r.pages;
      if (mine !== seq) return;
      performance.mark('tvshows:data');
      showEpisodes(r.data, r.total, r.truncated);
    } catch (e) {
      if (e.name === 'AbortError' || mine !== seq) return;
      clear(body);
      body.append(errorState(e, load));
      loaded();
      status.textContent = 'The episodes could not be loaded.';
      announce(e.message);
    }
  }

  timer = setInterval(() => {
    const grid = body.querySelector('.grid');
    if (grid) placeNow(grid, zone);
  }, 30000);

  return () => {
    clearInterval(timer);
    if (controller) controller.abort();
  };
}
