"""Embeds the web app (web/) into the binary: writes a C source holding every
file under a content-hashed name, its gzip form and its ETag (the table of
src/web/web.h).

    embed_web.py WEB_DIR OUT.c DEPFILE

- Every file but the page (index.html) is served as /assets/<stem>.<hash>.<ext>,
  so the names are flat: two files with the same name in different folders
  are refused.
- ES module imports between the files ("./views/week.js") are rewritten to
  the hashed names; a module's hash covers its rewritten text, so a change
  in a module renames every module that imports it, directly or not (an
  import cycle is refused: it would have no such order).
- The page's stylesheets are served as one file (styles.<hash>.css), so
  that the first paint waits for one request, not one per file.
- url(...) in CSS and src/href in the page that name a file of web/ are
  rewritten; the page gets a modulepreload link for every module its entry
  scripts import with import statements, so the browser fetches them at
  once instead of one level of imports at a time (a module loaded by
  import(), a view other than the first page's, is fetched when used).
- What the Content-Security-Policy forbids is refused at build time: inline
  scripts, style elements and attributes, event-handler attributes; so is
  building HTML from strings in scripts (innerHTML and its kind), which the
  app never does with the API's text.
- gzip (level 9, no timestamp: the output depends on the input alone) is
  kept when it is smaller.
"""
import gzip
import hashlib
import os
import re
import sys

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
}
PAGE = "index.html"
HASH_LEN = 8

IMPORT_RE = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"\n]+)\2""")
CSS_URL_RE = re.compile(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""")
HTML_REF_RE = re.compile(r"""\b(href|src)=(['"])(/[^'"#?]*)([^'"]*)\2""")
HTML_SCRIPT_RE = re.compile(r"<script\b([^>]*)>", re.I)
STYLE_LINK_RE = re.compile(r"""[ \t]*<link rel="stylesheet" href="(/[^"]+\.css)">\n?""")
STYLES = "styles.css"
HTML_FORBIDDEN = [
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an event-handler attribute"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]
JS_FORBIDDEN = [
    (re.compile(r"\.(innerHTML|outerHTML)\b"), "innerHTML/outerHTML"),
    (re.compile(r"\binsertAdjacentHTML\b"), "insertAdjacentHTML"),
    (re.compile(r"\bdocument\.write"), "document.write"),
    (re.compile(r"\beval\s*\("), "eval"),
    (re.compile(r"\bnew\s+Function\b"), "new Function"),
    (re.compile(r"\bsetAttribute\(\s*['\"](style|on[a-z]+)['\"]"), "an inline style or handler"),
]


class BuildError(Exception):
    pass


def read_tree(root):
    files = {}
    for dirpath, dirnames, names in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            if os.path.splitext(name)[1] not in TYPES:
                raise BuildError("%s: no content type for this extension" % rel)
            with open(full, "rb") as f:
                files[rel] = f.read()
    if PAGE not in files:
        raise BuildError("%s is missing" % PAGE)
    seen = {}
    for rel in files:
        base = rel.rsplit("/", 1)[-1]
        if rel != PAGE and base in seen:
            raise BuildError("%s and %s: assets are served flat, names must differ"
                             % (seen[base], rel))
        seen[base] = rel
    return files


def resolve(files, importer, spec):
    """The file of web/ that a reference from importer names, or None."""
    if spec.startswith("/"):
        rel = spec[1:]
    elif spec.startswith("./") or spec.startswith("../"):
        rel = os.path.normpath(os.path.join(os.path.dirname(importer), spec)).replace(os.sep, "/")
    else:
        return None
    return rel if rel in files else None


def js_imports(files, rel, dynamic=True):
    """The files rel imports; without dynamic, only those of its import
    statements (what must be loaded before it runs), not of import()."""
    text = files[rel].decode("utf-8")
    out = []
    for m in IMPORT_RE.finditer(text):
        target = resolve(files, rel, m.group(3))
        if target is None:
            raise BuildError("%s: import of %r, which is not a file of web/" % (rel, m.group(3)))
        if dynamic or "(" not in m.group(1):
            out.append(target)
    return out


def check_js(rel, text):
    for rx, what in JS_FORBIDDEN:
        m = rx.search(text)
        if m:
            line = text.count("\n", 0, m.start()) + 1
            raise BuildError("%s:%d: %s is not allowed (build DOM nodes)" % (rel, line, what))


def check_page(text):
    for m in HTML_SCRIPT_RE.finditer(text):
        if "src=" not in m.group(1):
            raise BuildError("%s: an inline <script> (the CSP refuses it)" % PAGE)
    for rx, what in HTML_FORBIDDEN:
        if rx.search(text):
            raise BuildError("%s: %s (the CSP refuses it)" % (PAGE, what))


def module_order(files):
    """The JS files, each after everything it imports; refuses cycles."""
    order, state = [], {}

    def visit(rel, chain):
        if state.get(rel) == "done":
            return
        if state.get(rel) == "open":
            raise BuildError("import cycle: %s" % " -> ".join(chain + [rel]))
        state[rel] = "open"
        for dep in js_imports(files, rel):
            visit(dep, chain + [rel])
        state[rel] = "done"
        order.append(rel)

    for rel in sorted(files):
        if rel.endswith((".js", ".mjs")):
            visit(rel, [])
    return order


def combine_styles(files, names, out, page):
    """The page's stylesheets as one file (styles.<hash>.css, their texts in
    the page's order) linked where the first was: one request instead of
    several, every one of them blocking the first paint. The files it
    combines are not served on their own."""
    links = list(STYLE_LINK_RE.finditer(page))
    targets = [resolve(files, PAGE, m.group(1)) for m in links]
    if len(links) < 2 or None in targets:
        return page
    if any(rel.rsplit("/", 1)[-1] == STYLES for rel in files):
        raise BuildError("%s: the name of the page's combined stylesheet is taken" % STYLES)
    data = b"\n".join(out[t] for t in targets)
    name = hashed_name(STYLES, data)
    for t in targets:
        del out[t]
    out[STYLES] = data
    names[STYLES] = name
    combined = '  <link rel="stylesheet" href="/assets/%s">\n' % name
    for m in reversed(links):
        page = page[:m.start()] + (combined if m is links[0] else "") + page[m.end():]
    return page


def hashed_name(rel, data):
    base = rel.rsplit("/", 1)[-1]
    stem, ext = os.path.splitext(base)
    return "%s.%s%s" % (stem, hashlib.sha256(data).hexdigest()[:HASH_LEN], ext)


def build(root):
    files = read_tree(root)
    names, out = {}, {}  # rel -> hashed name; rel -> served bytes

    def rewrite_js(rel):
        text = files[rel].decode("utf-8")
        check_js(rel, text)

        def sub(m):
            return "%s%s./%s%s" % (m.group(1), m.group(2), names[resolve(files, rel, m.group(3))],
                                   m.group(2))
        return IMPORT_RE.sub(sub, text).encode("utf-8")

    def rewrite_css(rel):
        text = files[rel].decode("utf-8")

        def sub(m):
            target = resolve(files, rel, m.group(2))
            if target is None:
                if m.group(2).startswith(("data:", "#")):
                    return m.group(0)
                raise BuildError("%s: url(%s) is not a file of web/" % (rel, m.group(2)))
            return "url(/assets/%s)" % names[target]
        return CSS_URL_RE.sub(sub, text).encode("utf-8")

    # plain files first (CSS may name them), then CSS, then modules in
    # dependency order
    for rel in sorted(files):
        if rel != PAGE and not rel.endswith((".css", ".js", ".mjs")):
            out[rel] = files[rel]
            names[rel] = hashed_name(rel, out[rel])
    for rel in sorted(files):
        if rel.endswith(".css"):
            out[rel] = rewrite_css(rel)
            names[rel] = hashed_name(rel, out[rel])
    modules = module_order(files)
    for rel in modules:
        out[rel] = rewrite_js(rel)
        names[rel] = hashed_name(rel, out[rel])

    page = files[PAGE].decode("utf-8")
    check_page(page)
    page = combine_styles(files, names, out, page)
    entries = []

    def sub_ref(m):
        target = resolve(files, PAGE, m.group(3))
        if target is None:
            return m.group(0)  # an app route such as /insights
        if target.endswith((".js", ".mjs")):
            entries.append(target)
        return "%s=%s/assets/%s%s%s" % (m.group(1), m.group(2), names[target], m.group(4),
                                        m.group(2))
    page = HTML_REF_RE.sub(sub_ref, page)
    preload, seen = [], set(entries)

    def walk(rel):
        for dep in js_imports(files, rel, dynamic=False):
            if dep not in seen:
                seen.add(dep)
                preload.append(dep)
                walk(dep)
    for e in entries:
        walk(e)
    links = "".join('  <link rel="modulepreload" href="/assets/%s">\n' % names[r] for r in preload)
    if "</head>" not in page:
        raise BuildError("%s: no </head>" % PAGE)
    page = page.replace("</head>", links + "</head>", 1)

    table = [("/", TYPES[".html"], page.encode("utf-8"))]
    for rel in sorted(out, key=lambda r: names[r]):
        table.append(("/assets/" + names[rel], TYPES[os.path.splitext(rel)[1]], out[rel]))
    paths = [p for p, _, _ in table[1:]]
    if paths != sorted(paths, key=lambda p: p.encode()):
        raise BuildError("assets not in byte order")  # web.c searches them
    return table, sorted(files)


def c_bytes(name, data):
    lines = ["static const unsigned char %s[] = {" % name]
    for i in range(0, len(data), 20):
        lines.append("    " + ",".join("%d" % b for b in data[i:i + 20]) + ",")
    lines.append("    0};")
    return "\n".join(lines) + "\n"


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def emit(table, out):
    parts = ["/* generated from web/ by tools/embed_web.py at build time; do not edit */\n",
             '#include "web/web.h"\n\n']
    rows = []
    for i, (path, ctype, data) in enumerate(table):
        parts.append(c_bytes("f%d" % i, data))
        gz = gzip.compress(data, compresslevel=9, mtime=0)
        etag = '"%s"' % hashlib.sha256(data).hexdigest()[:32]
        if len(gz) < len(data):
            parts.append(c_bytes("f%d_gz" % i, gz))
            gzs = "f%d_gz, %d" % (i, len(gz))
        else:
            gzs = "NULL, 0"
        rows.append("    {%s, %s, f%d, %d, %s, %s}," % (c_string(path), c_string(ctype), i,
                                                       len(data), gzs, c_string(etag)))
    parts.append("\nconst web_file web_files[] = {\n" + "\n".join(rows) + "\n};\n")
    parts.append("const size_t web_nfiles = %d;\n" % len(table))
    text = "".join(parts)
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, out)


def main():
    if len(sys.argv) != 4:
        sys.stderr.write("usage: embed_web.py WEB_DIR OUT.c DEPFILE\n")
        sys.exit(2)
    root, out, depfile = sys.argv[1:]
    try:
        table, read = build(root)
    except (BuildError, UnicodeDecodeError) as e:
        sys.stderr.write("embed_web.py: %s\n" % e)
        sys.exit(1)
    emit(table, out)
    deps = [os.path.join(root, r) for r in read] + [os.path.abspath(__file__)]
    with open(depfile, "w") as f:
        f.write("%s: %s\n" % (out.replace(" ", "\\ "),
                              " ".join(d.replace(" ", "\\ ") for d in deps)))


main()
