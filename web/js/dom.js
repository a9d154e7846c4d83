// Building DOM nodes. Text from the API is only ever set as text (a text
// node or textContent), never parsed as HTML; the build refuses innerHTML.

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'value' || key === 'checked' || key === 'selected') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** h('a', {href: '/', class: 'x'}, 'text', node, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** The same for SVG elements. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

/** Says something to screen readers through the page's live region. */
export function announce(message) {
  const region = document.getElementById('announce');
  if (!region) return;
  region.textContent = '';
  // a new text node after a tick is announced even when it repeats
  setTimeout(() => { region.textContent = message; }, 30);
}

let uid = 0;
export function uniqueId(prefix) {
  uid += 1;
  return `${prefix}-${uid}`;
}

/** The states a view shows while it has no data of its own. */
export function loadingState(text) {
  return h('p', { class: 'state state-loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), text);
}

export function errorState(error, retry) {
  return h('div', { class: 'state state-error', role: 'alert' },
    h('p', { class: 'state-title' }, error.status ? `The server answered ${error.status}` : 'Something went wrong'),
    h('p', { class: 'state-message' }, error.message),
    retry ? h('button', { type: 'button', class: 'button', onclick: retry }, 'Try again') : null);
}

export function emptyState(title, advice, ...actions) {
  return h('div', { class: 'state state-empty', role: 'status' },
    h('p', { class: 'state-title' }, title),
    advice ? h('p', { class: 'state-message' }, advice) : null,
    actions.length ? h('p', { class: 'state-actions' }, actions) : null);
}
