// TVmaze summaries are HTML ("<p>…<b>…</b></p>"). They are never handed to
// an HTML parser: a small tokenizer reads tags and text, and new nodes are
// built for a few formatting elements without any attribute; every other
// tag is dropped (its text kept), and so is everything inside script,
// style and the like. Character references are decoded by a table.

const KEEP = new Set(['p', 'br', 'b', 'strong', 'i', 'em', 'u', 'ul', 'ol', 'li']);
const VOID = new Set(['br', 'img', 'hr', 'wbr', 'input', 'meta', 'link', 'source', 'area', 'base', 'col', 'embed', 'param', 'track']);
const SKIP_CONTENT = new Set(['script', 'style', 'template', 'noscript', 'iframe', 'object', 'svg', 'math', 'textarea', 'title', 'head', 'select']);
const ENTITIES = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', hellip: '…', mdash: '—', ndash: '–',
  lsquo: '‘', rsquo: '’', ldquo: '“', rdquo: '”', laquo: '«', raquo: '»', copy: '©', reg: '®', trade: '™',
  eacute: 'é', egrave: 'è', aacute: 'á', agrave: 'à', iacute: 'í', oacute: 'ó', uacute: 'ú', ntilde: 'ñ',
  ouml: 'ö', uuml: 'ü', auml: 'ä', szlig: 'ß', ccedil: 'ç', euro: '€', pound: '£', middot: '·', bull: '•',
};
const MAX_DEPTH = 20;
const TOKEN = /<!--[\s\S]*?(?:-->|$)|<\/?([a-zA-Z][a-zA-Z0-9]*)\b(?:[^>"']|"[^"]*"|'[^']*')*>?|<!?[^>]*>?|[^<]+|</g;

export function decodeEntities(text) {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (whole, ref) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '\ufffd';
    }
    return Object.hasOwn(ENTITIES, ref.toLowerCase()) ? ENTITIES[ref.toLowerCase()] : whole;
  });
}

/** A fragment holding the allowed part of html (a string from the API). */
export function sanitizedSummary(html) {
  const root = document.createDocumentFragment();
  if (typeof html !== 'string' || !html) return root;
  const stack = [{ name: null, node: root }];
  let skipping = null; // inside <script> … </script>: the name to wait for
  for (const m of html.matchAll(TOKEN)) {
    const token = m[0];
    const name = m[1] ? m[1].toLowerCase() : null;
    const closing = token.startsWith('</');
    if (skipping) {
      if (closing && name === skipping) skipping = null;
    } else if (!token.startsWith('<') || token === '<') {
      stack[stack.length - 1].node.append(document.createTextNode(decodeEntities(token)));
    } else if (name && SKIP_CONTENT.has(name) && !closing) {
      skipping = token.endsWith('/>') ? null : name;
    } else if (name && KEEP.has(name)) {
      if (closing) {
        const at = stack.map((e) => e.name).lastIndexOf(name);
        if (at > 0) stack.length = at;
      } else {
        const el = document.createElement(name);
        stack[stack.length - 1].node.append(el);
        if (!VOID.has(name) && stack.length < MAX_DEPTH) stack.push({ name, node: el });
      }
    }
    // any other tag, comment or declaration: dropped, its text kept
  }
  return root;
}
