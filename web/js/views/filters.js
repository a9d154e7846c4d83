// The week's filters: one control per parameter of /api/v1/tvshows, its
// value exactly the API's. Any change calls onChange with the new filters;
// the week view puts them in the URL and asks the API again.

import { h, announce } from '../dom.js';
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

function select(id, label, options, onchange) {
  const el = h('select', { id, onchange: (e) => onchange(e.target.value) }, options.map(([v, text]) => h('option', { value: v }, text)));
  return { field: h('div', { class: 'field' }, h('label', { for: id }, label), el), el };
}

/** Shows value in a select; a value it does not offer (from a URL) gets an
 * option of its own, for the API to judge. */
function setSelect(el, value) {
  el.querySelector('option[data-extra]')?.remove();
  if (value && ![...el.options].some((o) => o.value === value)) el.append(h('option', { value, dataset: { extra: '' } }, value));
  el.value = value;
}

function checkboxes(name, legend, names, chosen) {
  const boxes = names.map((g) => h('input', {
    type: 'checkbox', id: `f-${name}-${g.replace(/\W+/g, '-')}`, value: g,
    onchange: (e) => {
      const list = chosen();
      const next = list.filter((c) => c.toLowerCase() !== g.toLowerCase());
      if (e.target.checked) next.push(g);
      e.target.dispatchEvent(new CustomEvent('pick', { bubbles: true, detail: next }));
    },
  }));
  return {
    field: h('fieldset', { class: 'checks' }, h('legend', { class: 'sr-only' }, legend),
      boxes.map((box, i) => h('label', { class: 'check' }, box, names[i]))),
    /** Checks the boxes of values (compared without case). */
    update(values) {
      const set = new Set(values.map((g) => g.toLowerCase()));
      for (const box of boxes) box.checked = set.has(box.value.toLowerCase());
    },
  };
}

function disclosure(id, title, body) {
  const count = h('span', { class: 'count' });
  return {
    field: h('details', { class: 'disclosure', id }, h('summary', null, title, count), body),
    setCount(n) {
      count.textContent = n ? ` (${n})` : '';
    },
  };
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
  const chips = h('ul', { class: 'chips', 'aria-label': 'Chosen networks and services' });
  const box = combobox({
    input,
    list,
    delay: 0,
    search: async (q) => suggest(names, chosen(), q),
    renderOption: (name) => name,
    noMatch: (q) => `No network or service matches “${q}”`,
    pick(name, text) {
      const exact = name || names.find((n) => n.toLowerCase() === text.trim().toLowerCase());
      if (!exact) {
        announce(`No network or service is called “${text.trim()}”`);
        return;
      }
      if (chosen().includes(exact)) return;
      box.reset();
      onchange([...chosen(), exact], 'f-distributor');
    },
  });
  return {
    field: h('div', { class: 'field field-wide' }, h('label', { for: 'f-distributor' }, 'Network or service'), chips, h('div', { class: 'combobox' }, input, list)),
    /** The chips of the chosen names, each with its remove button. */
    update(values) {
      chips.replaceChildren(...values.map((name) => h('li', { class: 'chip' },
        h('span', null, name),
        h('button', {
          type: 'button', class: 'chip-remove', 'aria-label': `Remove ${name}`, id: `f-remove-${name.replace(/\W+/g, '-')}`,
          onclick: () => onchange(chosen().filter((c) => c !== name)),
        }, '×'))));
      chips.hidden = !values.length;
    },
  };
}

/**
 * The filter form. lists: {countries, networks, genres} (arrays of names; empty
 * while unknown). onChange(filters, focusId) is called with the new filters.
 * The form is built when the lists change; showing other filters (render)
 * changes the controls' values in place, so that a filter change costs the
 * page little besides its cards.
 */
export function filtersForm({ lists: initial, onChange }) {
  let lists = initial;
  const form = h('form', { class: 'filters', 'aria-label': 'Filters', onsubmit: (e) => e.preventDefault() });
  let current = emptyFilters();
  let controls = null;

  function set(key, value, focusId) {
    onChange({ ...current, [key]: value }, focusId);
  }

  function build() {
    const c = {
      country: select('f-country', 'Country', [['', 'Any country'], ...lists.countries.map((x) => [x, x])], (v) => set('country', v)),
      distributor: distributorField(lists.networks, () => current.distributor, (v, focusId) => set('distributor', v, focusId)),
      kind: select('f-kind', 'Where', KINDS, (v) => set('kind', v)),
      rating: select('f-rating', 'Rating', [['', 'Any rating'], ...RATINGS.map((r) => [r, `${r} or more`])], (v) => set('rating', v)),
      premieres: select('f-premieres', 'Premieres', PREMIERES, (v) => set('premieres', v)),
      language: h('input', {
        id: 'f-language', type: 'text', list: 'f-language-list', placeholder: 'Any', spellcheck: 'false',
        onchange: (e) => set('language', e.target.value.trim()),
      }),
      genre: checkboxes('genre', 'Only these genres', lists.genres, () => current.genre),
      type: select('f-type', 'Show type', [['', 'Any type'], ...TYPES.map((t) => [t, t])], (v) => set('type', v)),
      status: select('f-status', 'Show status', [['', 'Any status'], ...STATUSES.map((t) => [t, t])], (v) => set('status', v)),
      newShows: h('input', { type: 'checkbox', id: 'f-new-shows', onchange: (e) => set('new_shows', e.target.checked ? 'true' : '') }),
      exclude: checkboxes('exclude', 'Hide these genres', lists.genres, () => current.exclude_genre),
      clear: h('button', { type: 'button', id: 'f-clear', class: 'button button-clear', onclick: () => onChange(emptyFilters(), 'f-country') }),
    };
    c.genre.field.addEventListener('pick', (e) => set('genre', e.detail));
    c.exclude.field.addEventListener('pick', (e) => set('exclude_genre', e.detail));
    c.genres = disclosure('f-genres', 'Genres', c.genre.field);
    c.more = disclosure('f-more', 'More filters',
      h('div', { class: 'more' },
        c.type.field,
        c.status.field,
        h('label', { class: 'check' }, c.newShows, 'New shows only'),
        h('p', { class: 'field-title', id: 'f-exclude-title' }, 'Hide genres'),
        c.exclude.field));
    const open = new Set([...form.querySelectorAll('details[open]')].map((d) => d.id));
    form.replaceChildren(
      c.country.field,
      c.distributor.field,
      c.kind.field,
      c.rating.field,
      c.premieres.field,
      h('div', { class: 'field' }, h('label', { for: 'f-language' }, 'Language'), c.language,
        h('datalist', { id: 'f-language-list' }, LANGUAGES.map((l) => h('option', { value: l })))),
      c.genres.field,
      c.more.field,
      h('div', { class: 'field field-actions' }, c.clear));
    for (const id of open) form.querySelector(`#${id}`)?.setAttribute('open', '');
    return c;
  }

  /** Shows filters; focusId names the control to focus afterwards. */
  function render(filters, focusId) {
    const focused = document.activeElement && form.contains(document.activeElement) ? document.activeElement.id : null;
    current = filters;
    if (!controls) controls = build();
    const c = controls;
    setSelect(c.country.el, filters.country);
    c.distributor.update(filters.distributor);
    setSelect(c.kind.el, filters.kind);
    setSelect(c.rating.el, filters.rating);
    setSelect(c.premieres.el, filters.premieres);
    if (c.language.value.trim() !== filters.language) c.language.value = filters.language;
    c.genre.update(filters.genre);
    c.genres.setCount(filters.genre.length);
    setSelect(c.type.el, filters.type);
    setSelect(c.status.el, filters.status);
    c.newShows.checked = filters.new_shows === 'true';
    c.exclude.update(filters.exclude_genre);
    c.more.setCount((filters.type ? 1 : 0) + (filters.status ? 1 : 0) + filters.exclude_genre.length + (filters.new_shows ? 1 : 0));
    const n = activeFilters(filters);
    c.clear.disabled = !n;
    c.clear.textContent = n ? `Clear filters (${n})` : 'Clear filters';
    const target = focusId || focused;
    if (target) {
      // the control that had the focus; else (a chip removed) the
      // distributor input; else the first control
      const el = form.querySelector(`#${CSS.escape(target)}`) || form.querySelector(target.startsWith('f-remove-') ? '#f-distributor' : '#f-country');
      if (el && document.activeElement !== el) el.focus();
    }
  }

  /** New lists of names (they arrive after the form is first shown). */
  function setLists(next) {
    lists = next;
    controls = null;
    render(current);
  }

  return { element: form, render, setLists };
}
