// Subscribe: the calendar feed of exactly the week's filters (and zone),
// as a webcal: link that calendar apps open, and the https address to paste
// into those that ask for one. The feed has no dates: it follows the days as
// they come (the server's default window); "this week" is the same feed
// for the days on screen, as a file.
//
// A followed-show list (made with an API key, which the app never holds)
// has a feed of its own, /feeds/<token>.ics, whose token is its only
// credential: the viewer pastes the feed link or token they were given, the
// app checks that the feed answers, keeps the token in this browser's
// localStorage (the dialog says so, and can forget it) and offers the
// list's feed with the same filters and zone.

import { apiUrl, getJSON } from '../api.js';
import { h, announce } from '../dom.js';

export const FEED_PATH = '/api/v1/calendar.ics';
const LIST_KEY = 'tvshows.list-token';
// what a feed token can be (the server's are "tvf_" and 43 more): anything
// else is refused before it is sent anywhere
const TOKEN_RE = /^[A-Za-z0-9_-]{8,128}$/;

export function feedLinks(params, week) {
  const https = new URL(apiUrl(FEED_PATH, params), location.origin).href;
  return {
    https,
    webcal: https.replace(/^https?:/, 'webcal:'),
    week: new URL(apiUrl(FEED_PATH, { ...params, date_from: week.from, date_to: week.to }), location.origin).href,
  };
}

async function copy(text, input, button) {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
    announce('Link copied');
  } catch {
    // no clipboard here (a plain-http origin): select it for Ctrl+C
    input.focus();
    input.select();
    announce('Link selected: press Ctrl+C to copy it');
  }
  setTimeout(() => { button.textContent = 'Copy'; }, 2000);
}

/** The feed token in what was pasted (a token, or a feed link: https,
 * webcal or a path, .ics or .json), or null. */
export function tokenOf(text) {
  const t = String(text || '').trim();
  if (TOKEN_RE.test(t)) return t;
  let url;
  try {
    url = new URL(t, location.origin);
  } catch {
    return null;
  }
  const m = /^\/feeds\/([^/]+)\.(ics|json)$/.exec(url.pathname);
  return m && TOKEN_RE.test(m[1]) ? m[1] : null;
}

/** The list's feed links with params (the filters and zone). */
export function listFeedLinks(token, params) {
  const https = new URL(apiUrl(`/feeds/${token}.ics`, params), location.origin).href;
  return { https, webcal: https.replace(/^https?:/, 'webcal:') };
}

function storedToken() {
  try {
    const t = localStorage.getItem(LIST_KEY);
    return t && TOKEN_RE.test(t) ? t : null;
  } catch {
    return null;
  }
}

function storeToken(token) {
  try {
    if (token) localStorage.setItem(LIST_KEY, token);
    else localStorage.removeItem(LIST_KEY);
    return true;
  } catch {
    return false; // storage refused (private mode, policy)
  }
}

/** Resolves when the list's feed answers; throws the API's error (a 404
 * for a token no list has) otherwise. */
function checkFeed(token) {
  return getJSON(`/feeds/${token}.json`, { per_page: 1 });
}

function feedProblem(e) {
  if (e.status === 404) {
    return `The server answered 404 (${e.message}): no list has this feed token. Check that the link was copied whole; `
      + 'a list’s old links stop working when it is deleted or its feed token is renewed.';
  }
  return e.status ? `The server answered ${e.status}: ${e.message}` : e.message;
}

/** The dialog's part for a followed-show list: a form to paste its feed
 * link or token, or, once it is known, the list's links. */
function listSection(params) {
  const body = h('div', { class: 'list-feed', id: 'subscribe-list' });
  const section = h('section', { class: 'feed-section', 'aria-labelledby': 'subscribe-list-title' },
    h('h3', { id: 'subscribe-list-title' }, 'A list of shows you follow'),
    body);

  function showForm(problem, value = '') {
    const input = h('input', {
      id: 'subscribe-list-token', type: 'text', class: 'feed-url', spellcheck: 'false', autocomplete: 'off',
      value, 'aria-describedby': problem ? 'subscribe-list-error subscribe-list-help' : 'subscribe-list-help',
      'aria-invalid': problem ? 'true' : null,
    });
    const use = h('button', { type: 'submit', class: 'button', id: 'subscribe-list-use' }, 'Use this list');
    const form = h('form', { class: 'list-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); submit(input, use); } },
      h('div', { class: 'field feed-row' },
        h('label', { for: 'subscribe-list-token' }, 'Feed link or feed token of your list'),
        h('span', { class: 'feed-line' }, input, use)));
    body.replaceChildren(form);
    if (problem) body.append(h('p', { class: 'form-error', id: 'subscribe-list-error', role: 'alert' }, problem));
    body.append(
      h('p', { class: 'note', id: 'subscribe-list-help' },
        'Lists are made with an API key (POST /api/v1/lists); the answer’s feed_ics or feed_token is the list’s only credential. '
        + 'Paste either here: this browser keeps it (in localStorage) so that the link is here next time, until you forget it.'));
    return input;
  }

  function showLinks(token) {
    const links = listFeedLinks(token, params);
    body.replaceChildren(
      h('p', null, 'The calendar of your list’s shows, with the same filters and time zone as the all-shows feed above.'),
      h('p', null, h('a', { class: 'button button-primary', href: links.webcal, id: 'subscribe-list-webcal' }, 'Open your list in your calendar app')),
      linkRow('subscribe-list-https', 'Your list’s feed address (https)', links.https),
      h('p', { class: 'note', id: 'subscribe-list-kept' },
        `Kept in this browser’s localStorage (feed token ${token.slice(0, 12)}…). Anyone with the link can read the list’s feed. `,
        h('button', { type: 'button', class: 'button', id: 'subscribe-list-forget', onclick: forget }, 'Forget this list')));
  }

  function forget() {
    storeToken(null);
    showForm(null).focus();
    announce('The list is forgotten: this browser no longer keeps its feed token');
  }

  async function submit(input, use) {
    const token = tokenOf(input.value);
    if (!token) {
      showForm(input.value.trim() ? 'That is not a feed link or a feed token: paste the feed_ics link (/feeds/….ics) or the feed_token the API gave when the list was made.'
        : 'Paste the feed link or the feed token of your list first.', input.value).focus();
      return;
    }
    use.disabled = true;
    use.textContent = 'Checking…';
    try {
      await checkFeed(token);
    } catch (e) {
      showForm(feedProblem(e), input.value).focus();
      return;
    }
    const kept = storeToken(token);
    showLinks(token);
    if (!kept) {
      body.append(h('p', { class: 'form-error', role: 'alert' }, 'This browser refused to keep the token (its storage is off): the link is here until the dialog closes.'));
    }
    document.getElementById('subscribe-list-webcal').focus();
    announce('Your list’s calendar links are ready');
  }

  const token = storedToken();
  if (!token) {
    showForm(null);
  } else {
    showLinks(token);
    // a token kept from before is checked again: the list may be gone (a
    // 404: the token is forgotten); any other failure leaves it kept
    checkFeed(token).catch((e) => {
      if (!section.isConnected || e.name === 'AbortError') return;
      if (e.status === 404) {
        storeToken(null);
        showForm(`${feedProblem(e)} The token this browser kept has been forgotten.`);
      } else {
        body.append(h('p', { class: 'form-error', id: 'subscribe-list-error', role: 'alert' },
          `This list’s feed could not be checked just now (${feedProblem(e)}); its token is still kept.`));
      }
    });
  }
  return section;
}

function linkRow(id, label, value) {
  const input = h('input', { id, type: 'text', readonly: true, value, class: 'feed-url', spellcheck: 'false' });
  const button = h('button', { type: 'button', class: 'button', onclick: () => copy(value, input, button), 'aria-describedby': id }, 'Copy');
  return h('div', { class: 'field feed-row' }, h('label', { for: id }, label), h('span', { class: 'feed-line' }, input, button));
}

/** Opens the dialog for the feed of params; week: {from, to} on screen. */
export function openSubscribe(params, week) {
  const links = feedLinks(params, week);
  const opener = document.activeElement;
  const dialog = h('dialog', { class: 'subscribe', 'aria-labelledby': 'subscribe-title', 'aria-describedby': 'subscribe-lead' },
    h('div', { class: 'dialog-head' },
      h('h2', { id: 'subscribe-title' }, 'Subscribe to this schedule'),
      h('button', { type: 'button', class: 'button button-icon', 'aria-label': 'Close', onclick: () => dialog.close() }, '×')),
    h('p', { id: 'subscribe-lead' }, 'A calendar of the episodes these filters show, kept up to date by your calendar app. Times are exact instants, so every calendar shows them in its own time zone.'),
    h('section', { class: 'feed-section', 'aria-labelledby': 'subscribe-all-title' },
      h('h3', { id: 'subscribe-all-title' }, 'All shows'),
      h('p', null, h('a', { class: 'button button-primary', href: links.webcal, id: 'subscribe-webcal' }, 'Open in your calendar app')),
      linkRow('subscribe-https', 'Feed address (https)', links.https)),
    listSection(params),
    h('ul', { class: 'help' },
      h('li', null, h('strong', null, 'Google Calendar: '), 'Other calendars → From URL, paste the address.'),
      h('li', null, h('strong', null, 'Apple Calendar: '), 'File → New Calendar Subscription, paste the address.'),
      h('li', null, h('strong', null, 'Thunderbird: '), 'New Calendar → On the Network, paste the address.')),
    h('p', null, h('a', { href: links.week, id: 'subscribe-week', download: 'tvshows-week.ics' }, 'Download the week on screen (.ics)')));
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener && opener.isConnected) opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}
