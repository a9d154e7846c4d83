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

export async function getJSON(path, params, { signal } = {}) {
  let res;
  try {
    res = await fetch(apiUrl(path, params), { headers: { Accept: 'application/json' }, signal });
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

/** Every page of a paginated list, the first alone (it tells how many there
 * are) and then the rest, a few at once, in the API's order. */
export async function getAllPages(path, params, { signal, maxPages = 50 } = {}) {
  const first = await getJSON(path, { ...params, page: 1, per_page: PER_PAGE }, { signal });
  const pages = Math.min(first.pagination.total_pages, maxPages);
  const rest = new Array(Math.max(pages - 1, 0));
  let next = 2;
  async function worker() {
    while (next <= pages) {
      const page = next++;
      rest[page - 2] = await getJSON(path, { ...params, page, per_page: PER_PAGE }, { signal });
    }
  }
  await Promise.all(Array.from({ length: Math.min(PARALLEL, rest.length) }, worker));
  return {
    data: first.data.concat(...rest.map((r) => r.data)),
    total: first.pagination.total_count,
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
