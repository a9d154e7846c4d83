// The search box in the header: suggestions as you type (the API forgives
// typos and accents), Enter or a click opens the show's page.

import { getJSON } from '../api.js';
import { combobox } from '../combobox.js';
import { h, announce } from '../dom.js';
import { poster } from '../image.js';

const LIMIT = 8;

function searchShows(q, signal) {
  return getJSON('/api/v1/search/shows', { q, limit: LIMIT }, { signal }).then((r) => r.data);
}

function option(show) {
  const where = show.distributor ? show.distributor.name : null;
  const year = show.premiered ? show.premiered.slice(0, 4) : null;
  return [
    poster({ src: show.image_medium, name: show.name, size: 'small', decorative: true }),
    h('span', { class: 'option-text' },
      h('span', { class: 'option-name' }, show.name),
      h('span', { class: 'option-meta' }, [where, show.type, year].filter(Boolean).join(' · '))),
  ];
}

export function setupSearch({ input, list, navigate }) {
  const box = combobox({
    input,
    list,
    minLength: 2,
    search: searchShows,
    renderOption: option,
    noMatch: (q) => `No show matches “${q}”`,
    async pick(show, text) {
      let target = show;
      if (!target) {
        try {
          [target] = await searchShows(text.trim());
        } catch (e) {
          announce(e.message);
          return;
        }
      }
      if (!target) {
        announce(`No show matches “${text.trim()}”`);
        return;
      }
      box.reset();
      navigate(`/shows/${target.id}`);
    },
  });
  return box;
}
