// Days and times in the viewer's time zone. Dates are "YYYY-MM-DD" strings
// (calendar days, computed in UTC so no zone shifts them); what a local day
// or hour is comes from the API (local_date, local_time) and, for "today"
// and "now", from the browser's Intl with the chosen zone.

const STORAGE_KEY = 'tvshows.tz';
const DAY_MS = 86400000;

export function isZone(name) {
  if (typeof name !== 'string' || !name || name.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name }).format(0);
    return true;
  } catch {
    return false;
  }
}

export function detectedZone() {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return isZone(zone) ? zone : 'UTC';
}

export function storedZone() {
  try {
    const zone = localStorage.getItem(STORAGE_KEY);
    return isZone(zone) ? zone : null;
  } catch {
    return null; // storage refused (private mode, policy): detection then
  }
}

export function rememberZone(zone) {
  lastZone = zone;
  try {
    localStorage.setItem(STORAGE_KEY, zone);
  } catch {
    // not remembered; the URL still carries it
  }
}

let lastZone = null; // the zone the page last showed (a link's tz= is not remembered)

/** The zone to show: the one the URL names, else the one this page last
 * showed, else the one remembered, else the browser's. */
export function chooseZone(fromUrl) {
  lastZone = isZone(fromUrl) ? fromUrl : lastZone || storedZone() || detectedZone();
  return lastZone;
}

export function allZones(current) {
  let zones = [];
  try {
    zones = Intl.supportedValuesOf('timeZone');
  } catch {
    zones = [];
  }
  const set = new Set(zones);
  for (const z of ['UTC', current]) if (z && !set.has(z)) zones.push(z);
  return zones.sort();
}

/** The zone's UTC offset now, "UTC+02:00" style. */
function offsetLabel(zone, at = new Date()) {
  try {
    const part = new Intl.DateTimeFormat('en', { timeZone: zone, timeZoneName: 'longOffset' })
      .formatToParts(at).find((p) => p.type === 'timeZoneName');
    return part ? part.value.replace('GMT', 'UTC').replace(/^UTC$/, 'UTC+00:00') : '';
  } catch {
    return '';
  }
}

/** The zone's offset through a week (days: its seven dates): one, or the
 * two either side of a change of the clocks. Taken at noon UTC, which is
 * the same date in every zone but the few beyond UTC±12. */
export function weekOffsetLabel(zone, days) {
  const first = offsetLabel(zone, new Date(`${days[0]}T12:00:00Z`));
  const last = offsetLabel(zone, new Date(`${days[6]}T12:00:00Z`));
  return first === last ? first : `${first}, then ${last}`;
}

const partsFormat = new Map();
/** The date and time of an instant in a zone: {date: "YYYY-MM-DD", time: "HH:MM", minutes}. */
export function localParts(zone, at = new Date()) {
  if (!partsFormat.has(zone)) {
    partsFormat.set(zone, new Intl.DateTimeFormat('en-CA', {
      timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    }));
  }
  const p = Object.fromEntries(partsFormat.get(zone).formatToParts(at).map((x) => [x.type, x.value]));
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}`, minutes: Number(p.hour) * 60 + Number(p.minute) };
}

export function isDate(text) {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

function toUtc(date) {
  return new Date(`${date}T00:00:00Z`);
}

export function addDays(date, n) {
  return new Date(toUtc(date).getTime() + n * DAY_MS).toISOString().slice(0, 10);
}

/** The Monday of the week holding date (weeks start on Monday, ISO 8601). */
export function mondayOf(date) {
  const weekday = (toUtc(date).getUTCDay() + 6) % 7;
  return addDays(date, -weekday);
}

export function weekDays(monday) {
  return Array.from({ length: 7 }, (_, i) => addDays(monday, i));
}

const DAY_STYLES = {
  short: { weekday: 'short' },
  long: { weekday: 'long', day: 'numeric', month: 'long' },
  dayMonth: { day: 'numeric', month: 'short' },
  full: { day: 'numeric', month: 'long', year: 'numeric' },
  weekdayDate: { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' },
};
const dayFormats = new Map(); // made when first used: each costs the browser its locale data

export function formatDay(date, style = 'long') {
  if (!dayFormats.has(style)) dayFormats.set(style, new Intl.DateTimeFormat(undefined, { ...DAY_STYLES[style], timeZone: 'UTC' }));
  return dayFormats.get(style).format(toUtc(date));
}

/** "6 – 12 July 2026" */
export function formatWeek(monday) {
  const range = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  return range.formatRange ? range.formatRange(toUtc(monday), toUtc(addDays(monday, 6)))
    : `${formatDay(monday, 'full')} – ${formatDay(addDays(monday, 6), 'full')}`;
}

/** An instant as the viewer's date and time: "Mon, 6 Jul 2026, 21:00". */
export function formatInstant(iso, zone) {
  return new Intl.DateTimeFormat(undefined, {
    weekday: 'short', day: 'numeric', month: 'short', year: 'numeric',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: zone,
  }).format(new Date(iso));
}

/** "in 3 days 4 hours", "in 12 minutes", "now" */
export function countdown(ms) {
  if (ms <= 0) return 'now';
  const minutes = Math.ceil(ms / 60000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  const unit = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (days) return `in ${unit(days, 'day')}${hours ? ` ${unit(hours, 'hour')}` : ''}`;
  if (hours) return `in ${unit(hours, 'hour')}${mins ? ` ${unit(mins, 'minute')}` : ''}`;
  return `in ${unit(mins, 'minute')}`;
}

export function minutesOf(hhmm) {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm || '');
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}
