// Insights: the three reports of /api/v1/analytics as charts, each with its
// numbers as a table.

import { getJSON } from '../api.js';
import { h, clear, loadingState, errorState, emptyState } from '../dom.js';
import { barChart, heatMap, dataTable } from '../charts.js';

const PARTS = [
  { key: 'morning', label: 'Morning' },
  { key: 'afternoon', label: 'Afternoon' },
  { key: 'prime_time', label: 'Prime time' },
  { key: 'late_night', label: 'Late night' },
  { key: 'unknown', label: 'No time' },
];
const DAY_TYPES = [{ key: 'weekday', label: 'Weekdays' }, { key: 'weekend', label: 'Weekends' }];
const pct = (x) => `${(x * 100).toFixed(x >= 0.1 ? 0 : 1)}%`;
const num = (x) => (x === null || x === undefined ? '–' : x.toLocaleString());

function figure(id, title, lead, chart, table) {
  return h('section', { class: 'insight', 'aria-labelledby': id },
    h('h2', { id }, title),
    h('p', { class: 'lead' }, lead),
    h('figure', null, chart, table));
}

function networks(rows) {
  const total = rows.reduce((n, r) => n + r.episodes, 0);
  const lead = 'The ten networks and streaming services with the most episodes from 30 days ago to 90 days ahead, and their share of those ten’s episodes.';
  if (!rows.length) return figure('i-networks', 'Who airs the most', lead, emptyState('No episodes in this window.', 'Import the schedule (tvshows import) to see this report.'));
  return figure('i-networks', 'Who airs the most', lead,
    barChart({
      label: `Bar chart of episodes by distributor. Most: ${rows[0].distributor}, ${rows[0].episodes} episodes.`,
      rows: rows.map((r) => ({ label: `${r.rank}. ${r.distributor}${r.kind === 'web' ? ' (streaming)' : ''}`, value: r.episodes, text: `${num(r.episodes)} · ${pct(r.episodes / total)}` })),
    }),
    dataTable({
      caption: 'Episodes by distributor',
      columns: [
        { key: 'distributor', title: 'Distributor' }, { key: 'kind', title: 'Kind', format: (v) => (v === 'web' ? 'Streaming' : 'TV network') },
        { key: 'country', title: 'Country' }, { key: 'episodes', title: 'Episodes', numeric: true, format: num },
        { key: 'episodes', title: 'Share of the ten', numeric: true, format: (v) => pct(v / total) },
        { key: 'peak_7d', title: 'Busiest 7 days', numeric: true, format: num }, { key: 'avg_7d', title: 'Average 7 days', numeric: true, format: num },
      ],
      rows,
    }));
}

function genres(rows) {
  const lead = 'Genres with at least three shows: how many shows each has, and their average rating.';
  if (!rows.length) return figure('i-genres', 'Genres', lead, emptyState('No genre has three shows yet.', 'Import the schedule (tvshows import) to see this report.'));
  const sorted = rows.slice().sort((a, b) => b.shows - a.shows || a.genre.localeCompare(b.genre));
  return figure('i-genres', 'Genres', lead,
    barChart({
      label: `Bar chart of shows by genre. Most: ${sorted[0].genre}, ${sorted[0].shows} shows.`,
      rows: sorted.map((r) => ({ label: r.genre, value: r.shows, text: `${num(r.shows)} shows${r.avg_show_rating !== null ? ` · ★ ${r.avg_show_rating}` : ''}` })),
    }),
    dataTable({
      caption: 'Shows and episodes by genre',
      columns: [
        { key: 'genre', title: 'Genre' }, { key: 'shows', title: 'Shows', numeric: true, format: num },
        { key: 'episodes', title: 'Episodes', numeric: true, format: num }, { key: 'upcoming_episodes', title: 'Upcoming', numeric: true, format: num },
        { key: 'upcoming_share', title: 'Shows with one upcoming', numeric: true, format: pct },
        { key: 'avg_show_rating', title: 'Show rating', numeric: true, format: num }, { key: 'avg_episode_rating', title: 'Episode rating', numeric: true, format: num },
        { key: 'rating_quartile', title: 'Rating quartile', numeric: true, format: num },
      ],
      rows: sorted,
    }));
}

function density(rows) {
  const lead = 'Episodes per day over the next 30 days, by weekday or weekend and part of the day, at the times the networks announce (morning 06–12, afternoon 12–18, prime time 18–23, late night 23–06). The busiest slot is outlined.';
  const find = (t, p) => rows.find((r) => r.day_type === t && r.day_part === p) || { episodes: 0, per_day: 0, busiest: false };
  if (!rows.some((r) => r.episodes)) return figure('i-density', 'When episodes air', lead, emptyState('No episodes in the next 30 days.', 'Import the schedule (tvshows import) to see this report.'));
  const busiest = rows.find((r) => r.busiest);
  return figure('i-density', 'When episodes air', lead,
    heatMap({
      label: `Heat map of episodes per day by day type and part of the day.${busiest ? ` Busiest: ${busiest.day_type}s, ${busiest.day_part.replace('_', ' ')}, ${busiest.per_day} a day.` : ''}`,
      rows: DAY_TYPES,
      cols: PARTS,
      cell: (t, p) => {
        const r = find(t, p);
        return { value: r.per_day, text: num(r.per_day), mark: r.busiest };
      },
    }),
    dataTable({
      caption: 'Episodes by day type and part of the day',
      columns: [
        { key: 'slot', title: 'Slot' }, { key: 'episodes', title: 'Episodes', numeric: true, format: num },
        { key: 'per_day', title: 'Per day', numeric: true, format: num }, { key: 'busiest', title: 'Busiest', format: (v) => (v ? 'Yes' : '') },
      ],
      rows: rows.map((r) => ({ ...r, slot: `${r.day_type === 'weekday' ? 'Weekdays' : 'Weekends'}, ${(PARTS.find((p) => p.key === r.day_part) || { label: r.day_part }).label.toLowerCase()}` })),
    }));
}

export function renderInsights(main, { setTitle }) {
  const controller = new AbortController();
  const section = h('section', { class: 'insights', 'aria-labelledby': 'insights-title' });
  const body = h('div', { class: 'insights-body' });
  setTitle('Insights');
  section.append(h('h1', { id: 'insights-title', tabindex: '-1' }, 'Insights'), body);
  main.append(section);

  async function load() {
    clear(body);
    body.setAttribute('aria-busy', 'true');
    body.append(loadingState('Loading the reports…'));
    try {
      const [n, g, d] = await Promise.all(['networks', 'genres', 'schedule-density']
        .map((r) => getJSON(`/api/v1/analytics/${r}`, null, { signal: controller.signal })));
      clear(body);
      body.removeAttribute('aria-busy');
      body.append(networks(n.data), density(d.data), genres(g.data),
        h('p', { class: 'muted generated' }, `Computed ${new Date(n.generated_at).toLocaleString()}.`));
    } catch (e) {
      if (e.name === 'AbortError') return;
      clear(body);
      body.removeAttribute('aria-busy');
      body.append(errorState(e, load));
    }
  }

  load();
  return () => controller.abort();
}
