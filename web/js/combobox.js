// An editable combobox with a list of suggestions (WAI-ARIA 1.2 pattern):
// focus stays in the input; ArrowDown/ArrowUp move through the options
// (aria-activedescendant), Enter picks the highlighted one (or the first),
// Escape closes the list and, pressed again, clears the input.

import { h, clear, uniqueId } from './dom.js';

export function combobox({ input, list, search, renderOption, pick, minLength = 1, delay = 120, noMatch }) {
  let items = [];
  let active = -1;
  let timer = 0;
  let seq = 0;
  let controller = null;
  let shownFor = null; // the query the options answer

  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('aria-controls', list.id);
  input.setAttribute('autocomplete', 'off');
  list.setAttribute('role', 'listbox');
  list.hidden = true;

  function setActive(i) {
    const options = list.querySelectorAll('[role="option"]:not([aria-disabled])');
    options.forEach((o, k) => o.setAttribute('aria-selected', String(k === i)));
    active = i;
    if (i >= 0 && options[i]) {
      input.setAttribute('aria-activedescendant', options[i].id);
      options[i].scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  }

  function close() {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    setActive(-1);
  }

  function open() {
    if (!list.childElementCount) return;
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
  }

  function show(results, query) {
    items = results;
    shownFor = query;
    clear(list);
    results.forEach((item, i) => {
      list.append(h('li', {
        role: 'option', id: uniqueId('option'), 'aria-selected': 'false', class: 'combobox-option',
        onmousedown: (e) => e.preventDefault(), // keep the focus in the input
        onclick: () => choose(i),
      }, renderOption(item)));
    });
    if (!results.length && noMatch) {
      list.append(h('li', { role: 'option', 'aria-disabled': 'true', id: uniqueId('option'), class: 'combobox-empty' }, noMatch(query)));
    }
    setActive(-1);
    open();
  }

  function choose(i) {
    const item = i >= 0 ? items[i] : null;
    close();
    pick(item, input.value);
  }

  /** The options of query, as {results} or {error}; null when a newer
   * question replaced this one (it alone counts). */
  async function ask(query) {
    const mine = ++seq;
    if (controller) controller.abort();
    controller = new AbortController();
    let answer;
    try {
      answer = { results: await search(query, controller.signal) };
    } catch (e) {
      answer = e.name === 'AbortError' ? null : { error: e };
    }
    return mine === seq ? answer : null;
  }

  async function run(query) {
    const answer = await ask(query);
    if (!answer) return;
    if (answer.results) {
      if (document.activeElement === input) show(answer.results, query);
      return;
    }
    items = [];
    clear(list);
    list.append(h('li', { role: 'option', 'aria-disabled': 'true', id: uniqueId('option'), class: 'combobox-empty' }, answer.error.message));
    open();
  }

  // Enter before the options caught up with the text (typed faster than
  // they are drawn, or a slow answer): the options shown are another text's,
  // so the text's own are asked for and the first picked, as Enter on them
  // would have. None, or no answer: pick gets the text alone.
  async function pickFirst(query) {
    const answer = await ask(query);
    if (!answer) return;
    items = answer.results || [];
    close();
    pick(items[0] ?? null, input.value);
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    const query = input.value.trim();
    if (query.length < minLength) {
      seq++;
      shownFor = null;
      items = [];
      clear(list);
      close();
      return;
    }
    timer = setTimeout(() => run(query), delay);
  });

  input.addEventListener('keydown', (e) => {
    const count = items.length;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (!count) return;
      e.preventDefault();
      if (list.hidden) open();
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setActive(active < 0 ? (step > 0 ? 0 : count - 1) : (active + step + count) % count);
    } else if (e.key === 'Enter') {
      const query = input.value.trim();
      if (!query) return;
      e.preventDefault();
      clearTimeout(timer);
      if (shownFor !== query) pickFirst(query);
      else if (!list.hidden && count) choose(active >= 0 ? active : 0);
      else pick(null, input.value);
    } else if (e.key === 'Escape') {
      if (!list.hidden) {
        e.preventDefault();
        e.stopPropagation();
        close();
      } else if (input.value) {
        e.preventDefault();
        e.stopPropagation();
        input.value = '';
        items = [];
        clear(list);
      }
    } else if (e.key === 'Tab') {
      close();
    }
  });

  input.addEventListener('blur', () => setTimeout(() => {
    if (document.activeElement !== input) close();
  }, 100));
  input.addEventListener('focus', () => {
    if (items.length) open();
  });

  return { close, reset() { input.value = ''; items = []; shownFor = null; clear(list); close(); } };
}
