// The week view's state and its URL. Everything that decides what the week
// shows is in the query string, so a view can be bookmarked, shared and
// reloaded: week (its Monday; absent = the current week), tz, and the
// filters under the API's own parameter names and forms, so a filter means
// exactly what the API means by it.

import { isDate, mondayOf, chooseZone, localParts, weekDays } from './time.js';

// in the order they are written to the URL
export const FILTERS = [
  { key: 'country', list: false },
  { key: 'distributor', list: true },
  { key: 'genre', list: true },
  { key: 'exclude_genre', list: true },
  { key: 'language', list: false },
  { key: 'rating', list: false },
  { key: 'kind', list: false },
  { key: 'premieres', list: false },
  { key: 'type', list: false },
  { key: 'status', list: false },
  { key: 'new_shows', list: false },
];

export function emptyFilters() {
  const f = {};
  for (const { key, list } of FILTERS) f[key] = list ? [] : '';
  return f;
}

function splitList(value) {
  return value.split(',').filter((v) => v.trim());
}

/** {week, tz, filters} from a query string; unknown or malformed values are
 * kept as they are for the API to judge (and its message to be shown). */
export function readState(search) {
  const q = new URLSearchParams(search);
  const filters = emptyFilters();
  for (const { key, list } of FILTERS) {
    const v = (q.get(key) || '').trim();
    filters[key] = list ? splitList(v) : v;
  }
  const week = q.get('week');
  return {
    week: isDate(week) ? mondayOf(week) : null,
    tz: q.get('tz') || null,
    filters,
  };
}

/** What a query string shows: its state (with the zone chosen), the
 * week's Monday and its seven days. */
export function weekOf(search) {
  const state = readState(search);
  state.tz = chooseZone(state.tz);
  const monday = state.week || mondayOf(localParts(state.tz).date);
  return { state, monday, days: weekDays(monday) };
}

function filterEntries(filters) {
  const out = [];
  for (const { key, list } of FILTERS) {
    const v = list ? filters[key].join(',') : filters[key];
    if (v) out.push([key, v]);
  }
  return out;
}

/** The query string of a state (no leading "?"). */
export function writeQuery(state) {
  const q = new URLSearchParams();
  if (state.week) q.set('week', state.week);
  if (state.tz) q.set('tz', state.tz);
  for (const [k, v] of filterEntries(state.filters)) q.set(k, v);
  return q.toString();
}

/** /api/v1/tvshows parameters for the week starting on monday. */
export function scheduleParams(state, monday, sunday) {
  return { date_from: monday, date_to: sunday, tz: state.tz, ...Object.fromEntries(filterEntries(state.filters)) };
}

/** The calendar feed's parameters: the same filters and zone, no dates (a
 * subscription follows the days as they come). */
export function feedParams(state) {
  return { tz: state.tz, ...Object.fromEntries(filterEntries(state.filters)) };
}

export function activeFilters(filters) {
  return filterEntries(filters).length;
}
