// The week: seven local days of the viewer's time zone, each divided into
// parts of the day, each episode a compact card. Columns on a wide screen,
// one day after another on a phone (the same markup; week.css decides).
// Days and times are the API's local_date and local_time for the chosen
// zone (tz=); an episode without an announced time sits in its own row at
// the end of its day, as the API orders it.

import { apiUrl, getJSON, getList } from '../api.js';
import { h, clear, announce, loadingState, errorState, emptyState } from '../dom.js';
import { weekOf, writeQuery, scheduleParams, feedParams, activeFilters, emptyFilters } from '../state.js';
import { rememberZone, allZones, weekOffsetLabel, localParts, mondayOf, addDays, formatDay, formatWeek, minutesOf } from '../time.js';
import { filtersForm } from './filters.js';

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

// What every card has, built once and cloned: cloning a small tree costs
// the browser less than building it node by node, and a busy week has
// thousands of cards. Each element holds its text node, whose data a card
// sets.
function tag(name, className, text = '') {
  const el = document.createElement(name);
  el.className = className;
  el.append(document.createTextNode(text));
  return el;
}

function cardPrototype(timed) {
  const li = document.createElement('li');
  const a = document.createElement('a');
  a.append(timed ? tag('time', 'card-time') : tag('span', 'card-time card-time-unknown', 'Time TBA'),
    tag('span', 'card-show'), tag('span', 'card-ep'));
  li.append(a);
  return li;
}

let protos = null;

// An episode of /api/v1/week as a card: {e, show} (the show from the
// answer's "shows"). What the card shows, as one string: a card is rebuilt
// only when that changes.
function cardText(e, show) {
  return [show.name, show.distributor, e.name, e.season, e.episode_number, e.local_date, e.local_time, e.airstamp, e.premiere].join('\u0001');
}

function card(e, show) {
  if (!protos) protos = { timed: cardPrototype(true), untimed: cardPrototype(false), dist: tag('span', 'card-dist'), badge: tag('span', 'badge') };
  const premiere = PREMIERE_TEXT[e.premiere];
  const time = e.local_time || null;
  const li = (time ? protos.timed : protos.untimed).cloneNode(true);
  const a = li.firstChild;
  a.className = premiere ? 'card card-premiere' : 'card';
  a.href = `/shows/${show.id}`;
  a.setAttribute('data-episode-id', e.id);
  a.setAttribute('data-show-id', show.id);
  const t = a.firstChild;
  if (time) {
    t.dateTime = e.airstamp;
    t.firstChild.data = time;
  }
  t.nextSibling.firstChild.data = show.name;
  a.lastChild.firstChild.data = e.name ? `${episodeCode(e)} · ${e.name}` : episodeCode(e);
  if (show.distributor) {
    const d = protos.dist.cloneNode(true);
    d.firstChild.data = show.distributor;
    a.append(d);
  }
  if (premiere) {
    const b = protos.badge.cloneNode(true);
    b.className = `badge badge-${e.premiere}`;
    b.firstChild.data = premiere;
    a.append(b);
  }
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
  const later = [...list.querySelectorAll('.card-time')].find((t) => minutesOf(t.textContent) > now.minutes);
  list.insertBefore(nowMarker(now), later ? later.closest('li') : null);
}

// The first cards of a day that are new to the page (a screen's height of
// its column, or of a phone) are drawn at once; the rest follow a frame
// later, so that a busy week's first screen is painted without waiting for
// the thousands of cards below it.
const FIRST_CARDS = 12;

/** Makes list's children exactly nodes, in order, moving only what differs:
 * a card kept stays where it is. */
function mergeInto(list, nodes) {
  const keep = new Set(nodes);
  for (let c = list.firstChild; c;) {
    const next = c.nextSibling;
    if (!keep.has(c)) c.remove();
    c = next;
  }
  let at = list.firstChild;
  for (const node of nodes) {
    if (node === at) at = at.nextSibling;
    else list.insertBefore(node, at);
  }
}

/**
 * The week's grid: seven days of five parts each, built once, whose cards
 * are then changed in place (draw): a filter or a redraw moves only the
 * cards that come or go, and reuses every card it has built before.
 */
export function weekGrid(days, zone) {
  const today = localParts(zone).date;
  const built = new Map(); // episode id -> {text, li}
  const cells = [];
  const daySections = days.map((date) => {
    const isToday = date === today;
    const id = `day-${date}`;
    const count = h('span', { class: 'sr-only' });
    const nothing = h('p', { class: 'day-nothing' }, 'Nothing on');
    const bands = BANDS.map((band) => {
      const el = h('div', { class: ['band', `band-${band.id}`], dataset: { band: band.id } });
      const title = h('h3', { class: 'band-title' }, band.title, band.range ? h('span', { class: 'band-range' }, ` ${band.range}`) : null);
      return { el, title, list: h('ul', { class: 'cards' }), shown: null };
    });
    const section = h('section', { class: ['day', isToday && 'today'], dataset: { date }, 'aria-labelledby': id },
      h('h2', { class: 'day-head', id, 'aria-current': isToday ? 'date' : null },
        h('span', { class: 'day-name' }, formatDay(date, 'short')),
        h('span', { class: 'day-date' }, formatDay(date, 'dayMonth')),
        isToday ? h('span', { class: 'today-tag' }, 'Today') : null,
        count),
      bands.map((b) => b.el));
    cells.push(bands);
    return { date, section, count, nothing, total: null };
  });
  const element = h('div', { class: 'grid' },
    BANDS.map((band, i) => h('div', { class: 'band-label', 'aria-hidden': 'true', dataset: { row: i } },
      h('span', null, band.title), band.range ? h('span', { class: 'band-range' }, band.range) : null)),
    daySections.map((d) => d.section));
  const dayIndex = new Map(days.map((d, i) => [d, i]));

  // whether the card built for episode id shows x: the same object the
  // page was sent (a filter drawn from the week held), else the same text
  // (worked out when first compared: most cards never are)
  function isBuilt(b, x) {
    if (!b) return false;
    if (b.e === x.e) return true;
    b.text ??= cardText(b.e, b.show);
    return b.text === cardText(x.e, x.show);
  }

  function node(x) {
    let b = built.get(x.e.id);
    if (!isBuilt(b, x)) {
      b = { e: x.e, show: x.show, text: null, li: card(x.e, x.show) };
      built.set(x.e.id, b);
    }
    return b.li;
  }

  // the height a part of a day off screen is given until it is drawn:
  // about what its cards need
  const CARD_HEIGHT = 72;

  function setBand(cell, nodes) {
    if (nodes.length) {
      if (cell.shown !== true) {
        cell.el.classList.remove('band-empty');
        cell.el.append(cell.title, cell.list);
        cell.shown = true;
      }
      mergeInto(cell.list, nodes);
    } else if (cell.shown !== false) {
      cell.el.classList.add('band-empty');
      cell.title.remove();
      cell.list.remove();
      cell.shown = false;
    }
  }

  function setDay(d, total) {
    if (d.total === total) return;
    d.total = total;
    d.count.textContent = `, ${total} episode${total === 1 ? '' : 's'}`;
    d.section.classList.toggle('day-empty', !total);
    if (total) d.nothing.remove();
    else d.section.append(d.nothing);
  }

  /**
   * Shows episodes ({e, show}, in the API's order) and nothing else. The
   * cards already built and the first new ones of each part of each day are
   * in place when it returns; it returns a function that draws the rest, or
   * null when there is none.
   */
  function draw(episodes) {
    element.querySelector('.now-marker')?.remove();
    const wanted = cells.map((bands) => bands.map(() => []));
    for (const x of episodes) {
      const i = dayIndex.get(x.e.local_date || x.e.airdate);
      if (i !== undefined) wanted[i][bandOf(minutesOf(x.e.local_time))].push(x);
    }
    let later = false;
    daySections.forEach((d, i) => {
      setDay(d, wanted[i].reduce((n, c) => n + c.length, 0));
      let fresh = 0; // counted over the day's parts, in order: the top of its column
      const first = (x) => {
        if (isBuilt(built.get(x.e.id), x)) return true;
        if (fresh++ < FIRST_CARDS) return true;
        later = true;
        return false;
      };
      cells[i].forEach((cell, k) => {
        cell.el.style.containIntrinsicBlockSize = `auto ${wanted[i][k].length * CARD_HEIGHT + 12}px`;
        setBand(cell, wanted[i][k].filter(first).map(node));
      });
    });
    if (!later) return null;
    return () => cells.forEach((bands, i) => bands.forEach((cell, k) => setBand(cell, wanted[i][k].map(node))));
  }

  return { element, draw };
}

// The answers this page has had, by their URL: going back to a filter or a
// week seen a moment ago redraws at once instead of asking and parsing
// again. The browser's HTTP cache would answer those requests for as long
// (Cache-Control: max-age, an hour by default); this keeps a few for
// minutes.
const SEEN_MAX = 16;
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
  const { state, monday, days } = weekOf(location.search);
  let zone = state.tz;
  const current = () => mondayOf(localParts(zone).date);
  const title = formatWeek(monday);
  let seq = 0;
  let controller = null;
  let timer = 0;
  let grid = null; // weekGrid() of the zone shown, while it is in the page
  // every episode of the zone's week the page has been sent, by id ({e,
  // show}), and since when it holds the whole unfiltered week: until then
  // a filter is asked for with its episodes, after it by their ids alone
  let known = new Map();
  let wholeWeekAt = 0;

  setTitle(state.week ? `Week of ${title}` : 'This week');
  // the URL names the zone shown, so that a reload or a shared link shows
  // the same days even where the browser's zone is another
  if (new URLSearchParams(location.search).get('tz') !== zone) history.replaceState(null, '', `/?${writeQuery(state)}`);
  const status = h('p', { class: 'week-status', role: 'status', id: 'week-status' });
  const body = h('div', { class: 'week-body', id: 'week-body' });
  // the episodes are asked for first: the rest of the view is built while
  // they travel
  const firstLoad = load();
  // the filters' lists of names are asked for once the first cards are
  // painted: each request started costs the page's thread time, and the
  // cards come first
  const painted = firstLoad.then(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0))));
  const lists = painted.then(() => Promise.all(['countries', 'networks', 'genres'].map((n) => getList(n).catch(() => []))));
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
  // the offset of the week shown, not of today: July's evenings in London
  // are an hour ahead of UTC whenever they are looked at
  const zoneNote = h('span', { class: 'zone-offset', id: 'tz-offset' }, weekOffsetLabel(zone, days));
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
      h('button', { type: 'button', class: 'button button-primary', id: 'subscribe', onclick: () => subscribe() },
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
  // the dialog's module is loaded when it is first asked for: the week's
  // first paint does not wait for it
  async function subscribe() {
    if (document.querySelector('dialog.subscribe')) return;
    try {
      const { openSubscribe } = await import('./subscribe.js');
      if (!document.querySelector('dialog.subscribe')) openSubscribe(feedParams(state), { from: days[0], to: days[6] });
    } catch (e) {
      announce(`The subscribe dialog could not be loaded (${e.message}). Check that tvshows is running, then try again.`);
    }
  }

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

  lists.then(([countries, networks, genres]) => filters.setLists({ countries, networks, genres }));

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
    load(); // asked first: the form is rebuilt while the answer travels
    filters.render(next, focusId);
  }

  function changeZone(next) {
    zone = next;
    state.tz = next;
    rememberZone(next);
    zoneNote.textContent = weekOffsetLabel(next, days);
    if (!state.week && current() !== monday) {
      navigate(`/?${writeQuery(state)}`, { replace: true });
      return;
    }
    writeUrl(false);
    // the cards and the days are the zone's: another zone starts afresh
    grid = null;
    known = new Map();
    wholeWeekAt = 0;
    load();
  }

  function showEpisodes(episodes, total) {
    const n = activeFilters(state.filters);
    if (!episodes.length) {
      grid = null;
      body.replaceChildren(n
        ? emptyState('No episode this week matches these filters.', 'Clear the filters, or look at another week.',
          h('button', { type: 'button', class: 'button', onclick: () => changeFilters(emptyFilters(), 'f-country') }, 'Clear filters'))
        : emptyState('Nothing is scheduled this week.', 'Look at another week, or import the schedule with "tvshows import".',
          h('a', { class: 'button', href: `/?${writeQuery({ ...state, week: null })}` }, 'Go to this week')));
      status.textContent = 'No episodes';
      finish(episodes);
      return;
    }
    if (!grid || !grid.element.isConnected) {
      grid = weekGrid(days, zone);
      body.replaceChildren(grid.element);
    }
    const rest = grid.draw(episodes);
    performance.mark('tvshows:first-cards');
    body.dataset.drawn = String(Number(body.dataset.drawn || 0) + 1);
    if (rest) {
      // after the first cards are painted (a frame), unless a newer load came
      const mine = seq;
      const drawing = grid;
      requestAnimationFrame(() => setTimeout(() => {
        if (mine !== seq || drawing !== grid || !drawing.element.isConnected) return;
        rest();
        finish(episodes);
      }, 0));
    } else {
      finish(episodes);
    }
    status.textContent = `${total.toLocaleString()} episode${total === 1 ? '' : 's'}${n ? ` matching ${n} filter${n === 1 ? '' : 's'}` : ''} · times in ${zone.replaceAll('_', ' ')}`
      + (total > episodes.length ? ` · showing the first ${episodes.length.toLocaleString()}: narrow the filters to see the rest` : '');
  }

  // every card drawn: the "now" line placed, the load counted
  function finish(episodes) {
    if (grid && episodes.length) placeNow(grid.element, zone);
    body.dataset.count = String(episodes.length);
    loaded();
    performance.mark('tvshows:cards');
  }

  // each finished load is counted (data-loads), so that a test or a
  // benchmark can tell the answer to its change from an earlier one
  function loaded() {
    body.removeAttribute('aria-busy');
    body.dataset.loads = String(Number(body.dataset.loads || 0) + 1);
  }

  /** The answer of /api/v1/week, remembered for a while. */
  async function ask(params, signal) {
    const key = apiUrl('/api/v1/week', params);
    let r = remembered(key);
    if (!r) {
      r = await getJSON('/api/v1/week', params, { signal });
      remember(key, r);
    }
    return r;
  }

  /** A whole answer's episodes as {e, show}, added to those known. */
  function absorb(r, filtered) {
    const shows = new Map(r.shows.map((x) => [x.id, x]));
    const out = r.data.map((e) => {
      const x = { e, show: shows.get(e.show_id) || { id: e.show_id, name: '', distributor: null } };
      known.set(e.id, x);
      return x;
    });
    if (!filtered && r.total_count === r.data.length) wholeWeekAt = Date.now();
    return out;
  }

  // The episodes of the state's week and filters, in the API's order. A
  // filter's episodes are a part of the whole week's, in the same order:
  // with the week known (for minutes), the API is asked for their ids only
  // and the page draws them from what it has (an id it has not seen, from
  // an import since, makes it ask for everything).
  async function episodesOf(params, signal) {
    const filtered = activeFilters(state.filters) > 0;
    if (filtered && Date.now() - wholeWeekAt < SEEN_MS) {
      const r = await ask({ ...params, fields: 'id' }, signal);
      const out = r.ids.map((id) => known.get(id));
      if (!out.includes(undefined)) return { episodes: out, total: r.total_count };
      wholeWeekAt = 0;
    }
    const r = await ask(params, signal);
    return { episodes: absorb(r, filtered), total: r.total_count };
  }

  async function load() {
    const mine = ++seq;
    if (controller) controller.abort();
    controller = new AbortController();
    body.setAttribute('aria-busy', 'true');
    if (!body.firstChild || body.querySelector('.state')) {
      grid = null;
      clear(body);
      body.append(loadingState('Loading the week’s episodes…'));
    }
    status.textContent = 'Loading…';
    try {
      const { episodes, total } = await episodesOf(scheduleParams(state, days[0], days[6]), controller.signal);
      if (mine !== seq) return;
      performance.mark('tvshows:data');
      showEpisodes(episodes, total);
    } catch (e) {
      if (e.name === 'AbortError' || mine !== seq) return;
      grid = null;
      clear(body);
      body.append(errorState(e, load));
      loaded();
      status.textContent = 'The episodes could not be loaded.';
      announce(e.message);
    }
  }

  timer = setInterval(() => {
    if (grid && grid.element.isConnected && body.querySelector('.card')) placeNow(grid.element, zone);
  }, 30000);

  return () => {
    clearInterval(timer);
    if (controller) controller.abort();
  };
}
