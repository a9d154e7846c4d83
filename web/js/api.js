// The JSON API of the same origin. Errors carry the API's own message
// ({"error": …, "details": …}), which the views show as it is.

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

const PER_PAGE = 100; // the API's largest page
const PARALLEL = 6; // a browser's connections to one HTTP/1.1 origin

export function apiUrl(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== '') query.set(key, value);
  }
  const qs = query.toString();
  return qs ? `${path}?${qs}` : path;
}

// Requests started before the view that wants them is loaded (prefetch),
// by URL: the view's getJSON takes the answer over. A URL the page has
// already asked for is not asked for early.
const early = new Map();
const asked = new Set();

/** Asks for path now; the first getJSON of the same path and params gets
 * the answer instead of asking again. */
export function prefetch(path, params) {
  const url = apiUrl(path, params);
  if (early.has(url) || asked.has(url)) return;
  const p = fetch(url, { headers: { Accept: 'application/json' } });
  p.catch(() => {}); // the view that takes it over sees the failure
  early.set(url, p);
}

export async function getJSON(path, params, { signal } = {}) {
  const url = apiUrl(path, params);
  const pending = early.get(url);
  early.delete(url);
  asked.add(url);
  let res;
  try {
    res = await (pending || fetch(url, { headers: { Accept: 'application/json' }, signal }));
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'The server could not be reached. Check that tvshows is running, then try again.');
  }
  let body = null;
  try {
    body = await res.json();
  } catch (e) {
    if (e.name === 'AbortError') throw e;
  }
  if (!res.ok) {
    const message = body && typeof body.error === 'string'
      ? (body.details ? `${body.error}: ${body.details}` : body.error)
      : `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, message);
  }
  if (body === null) throw new ApiError(res.status, 'The server sent a response that is not JSON.');
  return body;
}

/**
 * Every page of a paginated list, in the API's order. How many pages there
 * are is known from the first answer; with a guess (guess: the page count of
 * a similar list, such as the same week's last load) the first few pages are
 * asked for at once instead of waiting for it. Pages past the end are empty.
 */
export async function getAllPages(path, params, { signal, maxPages = 50, guess = 1 } = {}) {
  const ask = (page) => getJSON(path, { ...params, page, per_page: PER_PAGE }, { signal });
  const early = Math.max(1, Math.min(guess, PARALLEL, maxPages));
  const answers = Array.from({ length: early }, (_, i) => ask(i + 1));
  // a guessed page past the end is not awaited: its failure (an abort) is not an error
  for (const a of answers) a.catch(() => {});
  const first = await answers[0];
  const pages = Math.min(first.pagination.total_pages, maxPages);
  for (let page = early + 1; page <= pages; page++) answers.push(null);
  let next = early + 1;
  async function worker() {
    while (next <= pages) {
      const page = next++;
      answers[page - 1] = ask(page);
      await answers[page - 1];
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL, Math.max(pages - early, 0)) }, worker));
  const bodies = await Promise.all(answers.slice(0, Math.max(pages, 1)));
  return {
    data: [].concat(...bodies.map((r) => r.data)),
    total: first.pagination.total_count,
    pages: first.pagination.total_pages,
    truncated: first.pagination.total_pages > pages,
    show: first.show,
  };
}

const lists = new Map();
/** The filter values (/networks, /countries, /genres), asked once a page load. */
export function getList(name) {
  if (!lists.has(name)) {
    const p = getJSON(`/api/v1/${name}`).then((r) => r.data);
    p.catch(() => lists.delete(name));
    lists.set(name, p);
  }
  return lists.get(name);
}
