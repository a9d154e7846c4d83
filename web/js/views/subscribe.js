// Subscribe: the calendar feed of exactly the week's filters (and zone),
// as a webcal: link that calendar apps open, and the https address to paste
// into those that ask for one. The feed has no dates: it follows the days as
// they come (the server's default window); "this week" is the same feed
// for the days on screen, as a file.

import { apiUrl } from '../api.js';
import { h, announce } from '../dom.js';

export const FEED_PATH = '/api/v1/calendar.ics';

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
    h('p', null, h('a', { class: 'button button-primary', href: links.webcal, id: 'subscribe-webcal' }, 'Open in your calendar app')),
    linkRow('subscribe-https', 'Feed address (https)', links.https),
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
