// A show: poster, summary (TVmaze's HTML, sanitised), genres, where it airs,
// the next episode with a countdown, and every episode by season.

import { getJSON, getAllPages } from '../api.js';
import { h, clear, loadingState, errorState, emptyState } from '../dom.js';
import { poster } from '../image.js';
import { sanitizedSummary } from '../sanitize.js';
import { chooseZone, formatInstant, countdown, formatDay } from '../time.js';

const MAX_PAGES = 20; // 2,000 episodes: more than any show has

function distributorText(d) {
  if (!d) return 'Unknown';
  const kind = d.kind === 'web' ? 'streaming service' : 'TV network';
  return [d.name, `${kind}${d.country ? `, ${d.country}` : ''}`];
}

function facts(show) {
  const rows = [
    ['Type', show.type],
    ['Language', show.language],
    ['Status', show.status],
    ['Premiered', show.premiered ? formatDay(show.premiered, 'full') : null],
    ['Ended', show.ended ? formatDay(show.ended, 'full') : null],
    ['Runtime', show.runtime ? `${show.runtime} minutes` : null],
    ['Rating', show.rating !== null && show.rating !== undefined ? `${show.rating} / 10` : null],
    ['Schedule', show.schedule && show.schedule.days && show.schedule.days.length
      ? `${show.schedule.days.join(', ')}${show.schedule.time ? ` at ${show.schedule.time} (${show.distributor?.timezone || 'local time'})` : ''}` : null],
  ].filter(([, v]) => v);
  return h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

function nextEpisode(next, zone) {
  if (!next) return h('p', { class: 'next next-none' }, 'No upcoming episode is announced.');
  const code = next.number !== null && next.number !== undefined ? `S${next.season}E${next.number}` : `Season ${next.season} special`;
  const when = next.airstamp ? formatInstant(next.airstamp, zone) : formatDay(next.airdate, 'full');
  const clock = h('span', { class: 'countdown', id: 'countdown' });
  const tick = () => {
    clock.textContent = next.airstamp ? ` (${countdown(Date.parse(next.airstamp) - Date.now())})` : ' (time not announced)';
  };
  tick();
  return {
    element: h('div', { class: 'next' },
      h('h2', null, 'Next episode'),
      h('p', null, h('strong', null, code), next.name ? ` “${next.name}”` : '', h('br'), when, clock)),
    tick,
  };
}

function seasons(episodes, zone) {
  const by = new Map();
  for (const e of episodes) {
    if (!by.has(e.season)) by.set(e.season, []);
    by.get(e.season).push(e);
  }
  const keys = [...by.keys()].sort((a, b) => (b ?? -1) - (a ?? -1));
  return keys.map((season, i) => {
    const list = by.get(season).slice().sort((a, b) => (a.episode_number ?? 1e9) - (b.episode_number ?? 1e9)
      || String(a.airdate).localeCompare(String(b.airdate)));
    return h('details', { class: 'season', open: i === 0 },
      h('summary', null, `Season ${season ?? '–'}`, h('span', { class: 'count' }, ` (${list.length} episode${list.length === 1 ? '' : 's'})`)),
      h('table', { class: 'episodes' },
        h('caption', { class: 'sr-only' }, `Season ${season ?? '–'}`),
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'Episode'), h('th', { scope: 'col' }, 'Title'), h('th', { scope: 'col' }, 'Airs'))),
        h('tbody', null, list.map((e) => h('tr', { dataset: { episodeId: e.id } },
          h('td', null, e.episode_number ?? 'Special'),
          h('td', null, e.name || '—', e.premiere ? h('span', { class: ['badge', `badge-${e.premiere}`] }, e.premiere === 'series' ? 'Series premiere' : 'Season premiere') : null),
          h('td', null, e.airstamp && e.airtime ? formatInstant(e.airstamp, zone) : (e.airdate ? `${formatDay(e.airdate, 'weekdayDate')}, time not announced` : 'Date not announced')))))));
  });
}

export function renderShow(main, { params, setTitle }) {
  const id = params[0];
  const zone = chooseZone(new URLSearchParams(location.search).get('tz'));
  const controller = new AbortController();
  let timer = 0;
  const section = h('section', { class: 'show', 'aria-busy': 'true' }, loadingState('Loading the show…'));
  main.append(section);
  setTitle('Show');

  async function load() {
    clear(section);
    section.setAttribute('aria-busy', 'true');
    section.append(loadingState('Loading the show…'));
    try {
      const [{ data: show }, episodes] = await Promise.all([
        getJSON(`/api/v1/shows/${encodeURIComponent(id)}`, null, { signal: controller.signal }),
        getAllPages(`/api/v1/shows/${encodeURIComponent(id)}/episodes`, null, { signal: controller.signal, maxPages: MAX_PAGES }),
      ]);
      setTitle(show.name);
      const next = nextEpisode(show.next_episode, zone);
      const summary = sanitizedSummary(show.summary);
      const dist = show.distributor || show.network || show.web_channel;
      clear(section);
      section.removeAttribute('aria-busy');
      section.append(
        h('div', { class: 'show-head' },
          poster({ src: show.image_medium, name: show.name, size: 'large' }),
          h('div', { class: 'show-info' },
            h('h1', { tabindex: '-1' }, show.name),
            h('p', { class: 'show-dist' }, distributorText(dist).map((t, i) => (i ? h('span', { class: 'muted' }, ` · ${t}`) : h('strong', null, t)))),
            show.genres && show.genres.length
              ? h('ul', { class: 'tags', 'aria-label': 'Genres' }, show.genres.map((g) => h('li', { class: 'tag' }, g))) : null,
            next.element || next,
            facts(show),
            h('p', { class: 'links' },
              show.official_site && /^https?:\/\//.test(show.official_site) ? h('a', { href: show.official_site, rel: 'noopener noreferrer external' }, 'Official site') : null,
              show.official_site ? ' · ' : null,
              h('a', { href: show.url, rel: 'noopener noreferrer external' }, 'This show on TVmaze')))),
        summary.childNodes.length ? h('div', { class: 'summary' }, h('h2', { class: 'sr-only' }, 'Summary'), summary) : null,
        h('section', { class: 'show-episodes', 'aria-labelledby': 'episodes-title' },
          h('h2', { id: 'episodes-title' }, 'Episodes', h('span', { class: 'count' }, ` (${episodes.total})`)),
          episodes.data.length ? seasons(episodes.data, zone)
            : emptyState('No episodes are stored for this show.', 'Episodes appear here once an import lists them.')),
      );
      if (next.tick) timer = setInterval(next.tick, 30000);
    } catch (e) {
      if (e.name === 'AbortError') return;
      clear(section);
      section.removeAttribute('aria-busy');
      setTitle(e.status === 404 ? 'Show not found' : 'Error');
      section.append(h('h1', { tabindex: '-1' }, e.status === 404 ? 'Show not found' : 'This show could not be loaded'), errorState(e, e.status === 404 ? null : load));
    }
  }

  load();
  return () => {
    clearInterval(timer);
    controller.abort();
  };
}
