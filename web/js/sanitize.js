// TVmaze summaries are HTML ("<p>…<b>…</b></p>"). They are parsed into an
// inert document (DOMParser runs no script and loads nothing) and copied
// into new nodes, element by element, keeping only a few formatting
// elements and no attribute at all; everything else becomes its text.

const KEEP = new Set(['P', 'BR', 'B', 'STRONG', 'I', 'EM', 'U', 'UL', 'OL', 'LI']);
const DROP = new Set(['SCRIPT', 'STYLE', 'TEMPLATE', 'NOSCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'SVG', 'MATH', 'HEAD', 'TITLE']);
const MAX_DEPTH = 20;

function copy(node, into, depth) {
  for (const child of node.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) {
      into.append(document.createTextNode(child.nodeValue));
    } else if (child.nodeType === Node.ELEMENT_NODE && !DROP.has(child.nodeName) && depth < MAX_DEPTH) {
      if (KEEP.has(child.nodeName)) {
        const el = document.createElement(child.nodeName.toLowerCase());
        copy(child, el, depth + 1);
        into.append(el);
      } else {
        copy(child, into, depth + 1); // its text, without the element
      }
    }
  }
}

/** A fragment holding the allowed part of html (a string from the API). */
export function sanitizedSummary(html) {
  const fragment = document.createDocumentFragment();
  if (typeof html !== 'string' || !html) return fragment;
  const doc = new DOMParser().parseFromString(html, 'text/html');
  copy(doc.body, fragment, 0);
  return fragment;
}
