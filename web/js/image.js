// Posters from TVmaze's image host, loaded lazily. When one has no image or
// it cannot be loaded (the host unreachable, offline), a placeholder of the
// same size shows the show's initials instead of a broken image.

import { h } from './dom.js';

function initials(name) {
  const words = String(name || '?').split(/\s+/).filter((w) => /\p{L}|\p{N}/u.test(w));
  return words.slice(0, 2).map((w) => Array.from(w.replace(/^[^\p{L}\p{N}]+/u, ''))[0] || '').join('').toUpperCase() || '?';
}

function placeholder(name) {
  return h('span', { class: 'poster-fallback', 'aria-hidden': 'true' }, initials(name));
}

/** A poster box for a show: {src, name, size: 'small'|'large', decorative}
 * (a decorative one, next to the show's name, is hidden from screen readers). */
export function poster({ src, name, size = 'large', decorative = false }) {
  const label = decorative ? { 'aria-hidden': 'true' } : { role: 'img', 'aria-label': `Poster of ${name}` };
  const box = h('span', { class: ['poster', `poster-${size}`], ...label });
  if (!src || !/^https:\/\/static\.tvmaze\.com\//.test(src)) {
    box.append(placeholder(name));
    box.classList.add('poster-missing');
    return box;
  }
  const img = h('img', { src, alt: '', loading: 'lazy', decoding: 'async' });
  img.addEventListener('error', () => {
    img.remove();
    box.classList.add('poster-missing');
    box.append(placeholder(name));
  }, { once: true });
  img.addEventListener('load', () => box.classList.add('poster-loaded'), { once: true });
  box.append(img);
  return box;
}
