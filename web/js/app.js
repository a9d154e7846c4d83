// The app: a client-side router over the server's page routes (/,
// /shows/:id, /insights: the server answers each with this same page),
// the search box and the views.

import { h, clear, emptyState, loadingState, errorState } from './dom.js';
import { setupSearch } from './views/search.js';
import { renderWeek } from './views/week.js';

/** A view whose module is loaded when it is first shown: the week, the
 * page most loads open, does not wait for the others' modules. */
function later(load, name) {
  return (container, context) => {
    let cleanup = null;
    let gone = false;
    const waiting = loadingState('Loading…');
    container.append(waiting);
    const show = () => load().then((m) => {
      if (gone) return;
      waiting.remove();
      cleanup = m[name](container, context) || null;
    }, (e) => {
      if (gone) return;
      waiting.remove();
      // the module could not be fetched (the server went away): the same
      // state as an unreachable API, with a retry
      const error = errorState({ message: `This page could not be loaded (${e.message}). Check that tvshows is running, then try again.` },
        () => { clear(container); container.append(waiting); show(); });
      container.append(h('h1', { tabindex: '-1' }, 'Page not loaded'), error);
    });
    show();
    return () => {
      gone = true;
      if (cleanup) cleanup();
    };
  };
}

const ROUTES = [
  { pattern: /^\/$/, view: renderWeek, nav: '/' },
  { pattern: /^\/shows\/([^/]+)$/, view: later(() => import('./views/show.js'), 'renderShow'), nav: null },
  { pattern: /^\/insights$/, view: later(() => import('./views/insights.js'), 'renderInsights'), nav: '/insights' },
];

const main = document.getElementById('main');
let cleanup = null;
let first = true;

function setTitle(text) {
  document.title = `${text} · tvshows`;
}

function notFound(container) {
  setTitle('Not found');
  container.append(h('h1', { tabindex: '-1' }, 'Page not found'),
    emptyState('There is no page at this address.', null, h('a', { class: 'button', href: '/' }, 'Go to this week')));
}

function render() {
  if (cleanup) cleanup();
  cleanup = null;
  clear(main);
  const path = location.pathname;
  const route = ROUTES.find((r) => r.pattern.test(path));
  for (const a of document.querySelectorAll('.top-nav a')) {
    if (route && a.getAttribute('href') === route.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (!route) notFound(main);
  else cleanup = route.view(main, { params: path.match(route.pattern).slice(1), navigate, setTitle }) || null;
  // after a navigation (not the first load) the focus goes to the new
  // page's heading, so screen readers and keyboards start there; a view
  // that loads first gets its heading a moment later
  if (!first) focusHeading();
  first = false;
}

function focusHeading() {
  const h1 = main.querySelector('h1');
  if (h1) {
    h1.focus();
    return;
  }
  main.focus();
  const watch = new MutationObserver(() => {
    const later = main.querySelector('h1');
    if (!later) return;
    watch.disconnect();
    if (document.activeElement === main) later.focus();
  });
  watch.observe(main, { childList: true, subtree: true });
  setTimeout(() => watch.disconnect(), 10000);
}

export function navigate(href, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  window.scrollTo(0, 0);
  render();
}

function isAppLink(a, event) {
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return false;
  if (a.target || a.hasAttribute('download')) return false;
  const url = new URL(a.href, location.href);
  return url.origin === location.origin && ROUTES.some((r) => r.pattern.test(url.pathname));
}

document.addEventListener('click', (event) => {
  const a = event.target.closest('a[href]');
  if (!isAppLink(a, event)) return;
  event.preventDefault();
  const url = new URL(a.href, location.href);
  navigate(url.pathname + url.search);
});

window.addEventListener('popstate', render);

setupSearch({
  input: document.getElementById('search-input'),
  list: document.getElementById('search-list'),
  navigate,
});

render();
