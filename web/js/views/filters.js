// The week's filters: one control per parameter of /api/v1/tvshows, its
// value exactly the API's. Any change calls onChange with the new filters;
// the week view puts them in the URL and asks the API again.

import { h, clear, announce } from '../dom.js';
import { combobox } from '../combobox.js';
import { activeFilters, emptyFilters } from '../state.js';

const RATINGS = ['5', '6', '7', '7.5', '8', '8.5', '9'];
const KINDS = [['', 'TV and streaming'], ['network', 'TV networks only'], ['web', 'Streaming only']];
const PREMIERES = [['', 'All episodes'], ['any', 'Premieres only'], ['series', 'Series premieres'], ['season', 'Season premieres']];
const TYPES = ['Scripted', 'Animation', 'Reality', 'Talk Show', 'Documentary', 'Game Show', 'News', 'Sports', 'Variety', 'Award Show', 'Panel Show'];
const STATUSES = ['Running', 'Ended', 'To Be Determined', 'In Development'];
const LANGUAGES = ['English', 'Spanish', 'French', 'German', 'Italian', 'Portuguese', 'Dutch', 'Swedish', 'Norwegian', 'Danish',
  'Finnish', 'Polish', 'Russian', 'Turkish', 'Arabic', 'Hindi', 'Japanese', 'Korean', 'Chinese', 'Thai'];
const SUGGESTIONS = 8;

function select(id, label, value, options, onchange) {
  const known = options.some(([v]) => v === value);
  const all = known || !value ? options : [...options, [value, value]];
  const el = h('select', { id, onchange: (e) => onchange(e.target.value) },
    all.map(([v, text]) => h('option', { value: v }, text)));
  el.value = value;
  return h('div', { class: 'field' }, h('label', { for: id }, label), el);
}

function checkboxes(name, legend, names, chosen, onchange) {
  const set = new Set(chosen.map((g) => g.toLowerCase()));
  return h('fieldset', { class: 'checks' },
    h('legend', { class: 'sr-only' }, legend),
    names.map((g) => h('label', { class: 'check' },
      h('input', {
        type: 'checkbox', id: `f-${name}-${g.replace(/\W+/g, '-')}`, value: g, checked: set.has(g.toLowerCase()),
        onchange: (e) => {
          const next = chosen.filter((c) => c.toLowerCase() !== g.toLowerCase());
          if (e.target.checked) next.push(g);
          onchange(next);
        },
      }),
      g)));
}

function disclosure(id, title, count, body) {
  return h('details', { class: 'disclosure', id },
    h('summary', null, title, count ? h('span', { class: 'count' }, ` (${count})`) : null),
    body);
}

function suggest(names, chosen, query) {
  const q = query.toLowerCase();
  const taken = new Set(chosen.map((c) => c.toLowerCase()));
  const free = names.filter((n) => !taken.has(n.toLowerCase()));
  const starts = free.filter((n) => n.toLowerCase().startsWith(q));
  const contains = free.filter((n) => !n.toLowerCase().startsWith(q) && n.toLowerCase().includes(q));
  return starts.concat(contains).slice(0, SUGGESTIONS);
}

function distributorField(names, chosen, onchange) {
  const input = h('input', { id: 'f-distributor', type: 'text', placeholder: 'Add a network or service', spellcheck: 'false' });
  const list = h('ul', { id: 'f-distributor-list', class: 'combobox-list', 'aria-label': 'Networks and services' });
  const chips = chosen.length
    ? h('ul', { class: 'chips', 'aria-label': 'Chosen networks and services' },
      chosen.map((name) => h('li', { class: 'chip' },
        h('span', null, name),
        h('button', {
          type: 'button', class: 'chip-remove', 'aria-label': `Remove ${name}`, id: `f-remove-${name.replace(/\W+/g, '-')}`,
          onclick: () => onchange(chosen.filter((c) => c !== name)),
        }, '×'))))
    : null;
  combobox({
    input,
    list,
    delay: 0,
    search: async (q) => suggest(names, chosen, q),
    renderOption: (name) => name,
    noMatch: (q) => `No network or service matches “${q}”`,
    pick(name, text) {
      const exact = name || names.find((n) => n.toLowerCase() === text.trim().toLowerCase());
      if (!exact) {
        announce(`No network or service is called “${text.trim()}”`);
        return;
      }
      if (!chosen.includes(exact)) onchange([...chosen, exact], 'f-distributor');
    },
  });
  return h('div', { class: 'field field-wide' },
    h('label', { for: 'f-distributor' }, 'Network or service'),
    chips,
    h('div', { class: 'combobox' }, input, list));
}

/**
 * The filter form. lists: {countries, networks, genres} (arrays of names; empty
 * while unknown). onChange(filters, focusId) is called with the new filters.
 */
export function filtersForm({ lists: initial, onChange }) {
  let lists = initial;
  const form = h('form', { class: 'filters', 'aria-label': 'Filters', onsubmit: (e) => e.preventDefault() });
  let current = emptyFilters();

  function set(key, value, focusId) {
    onChange({ ...current, [key]: value }, focusId);
  }

  /** Shows filters; focusId names the control to focus afterwards. */
  function render(filters, focusId) {
    const focused = document.activeElement && form.contains(document.activeElement) ? document.activeElement.id : null;
    const open = new Set([...form.querySelectorAll('details[open]')].map((d) => d.id));
    current = filters;
    clear(form);
    const countries = lists.countries.map((c) => [c, c]);
    const language = h('input', {
      id: 'f-language', type: 'text', list: 'f-language-list', value: filters.language, placeholder: 'Any', spellcheck: 'false',
      onchange: (e) => set('language', e.target.value.trim()),
    });
    form.append(
      select('f-country', 'Country', filters.country, [['', 'Any country'], ...countries], (v) => set('country', v)),
      distributorField(lists.networks, filters.distributor, (v, focusId) => set('distributor', v, focusId)),
      select('f-kind', 'Where', filters.kind, KINDS, (v) => set('kind', v)),
      select('f-rating', 'Rating', filters.rating, [['', 'Any rating'], ...RATINGS.map((r) => [r, `${r} or more`])], (v) => set('rating', v)),
      select('f-premieres', 'Premieres', filters.premieres, PREMIERES, (v) => set('premieres', v)),
      h('div', { class: 'field' }, h('label', { for: 'f-language' }, 'Language'), language,
        h('datalist', { id: 'f-language-list' }, LANGUAGES.map((l) => h('option', { value: l })))),
      disclosure('f-genres', 'Genres', filters.genre.length,
        checkboxes('genre', 'Only these genres', lists.genres, filters.genre, (v) => set('genre', v))),
      disclosure('f-more', 'More filters', (filters.type ? 1 : 0) + (filters.status ? 1 : 0) + filters.exclude_genre.length + (filters.new_shows ? 1 : 0),
        h('div', { class: 'more' },
          select('f-type', 'Show type', filters.type, [['', 'Any type'], ...TYPES.map((t) => [t, t])], (v) => set('type', v)),
          select('f-status', 'Show status', filters.status, [['', 'Any status'], ...STATUSES.map((t) => [t, t])], (v) => set('status', v)),
          h('label', { class: 'check' },
            h('input', { type: 'checkbox', id: 'f-new-shows', checked: filters.new_shows === 'true', onchange: (e) => set('new_shows', e.target.checked ? 'true' : '') }),
            'New shows only'),
          h('p', { class: 'field-title', id: 'f-exclude-title' }, 'Hide genres'),
          checkboxes('exclude', 'Hide these genres', lists.genres, filters.exclude_genre, (v) => set('exclude_genre', v)))),
      h('div', { class: 'field field-actions' },
        h('button', {
          type: 'button', id: 'f-clear', class: 'button button-clear', disabled: !activeFilters(filters),
          onclick: () => onChange(emptyFilters(), 'f-country'),
        }, activeFilters(filters) ? `Clear filters (${activeFilters(filters)})` : 'Clear filters')),
    );
    for (const id of open) form.querySelector(`#${id}`)?.setAttribute('open', '');
    const target = focusId || focused;
    if (target) {
      // the control that had the focus, rebuilt; else (a chip removed) the
      // distributor input; else the first control
      const el = form.querySelector(`#${CSS.escape(target)}`) || form.querySelector(target.startsWith('f-remove-') ? '#f-distributor' : '#f-country');
      el?.focus();
    }
  }

  /** New lists of names (they arrive after the form is first shown). */
  function setLists(next) {
    lists = next;
    render(current);
  }

  return { element: form, render, setLists };
}
