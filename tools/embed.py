"""Turns files into a C source defining their bytes, at build time.

    embed.py SRC OUT NAME
        NAME[] holds SRC's bytes and a NUL, NAME_len their count
        (docs/openapi.json).
    embed.py --gzip OUT NAME FILE...
        each FILE gzipped (level 9, no timestamp: the output depends on the
        inputs only), and a table of them: NAME_count entries of
        NAME_names[] (base names), NAME_data[], NAME_sizes[] (gzipped) and
        NAME_inflated[] (their sizes once inflated) (the demo data).
"""
import gzip
import os
import sys


def c_bytes(f, ident, data, terminate):
    f.write("static const unsigned char %s[] = {\n" % ident if not terminate else
            "const char %s[] = {\n" % ident)
    for i in range(0, len(data), 16):
        f.write("    " + ", ".join("0x%02x" % b for b in data[i:i + 16]) + ",\n")
    f.write("    0x00};\n" if terminate else "};\n")


def embed_one(src, out, name):
    data = open(src, "rb").read()
    with open(out, "w") as f:
        f.write("/* generated from %s at build time; do not edit */\n" % os.path.basename(src))
        f.write("#include <stddef.h>\n")
        c_bytes(f, name, data, True)
        f.write("const size_t %s_len = %d;\n" % (name, len(data)))


def embed_gzip(out, name, files):
    with open(out, "w") as f:
        f.write("/* generated from %d files at build time; do not edit */\n" % len(files))
        f.write("#include <stddef.h>\n")
        sizes, inflated = [], []
        for i, path in enumerate(files):
            raw = open(path, "rb").read()
            packed = gzip.compress(raw, compresslevel=9, mtime=0)
            c_bytes(f, "%s_%d" % (name, i), packed, False)
            sizes.append(len(packed))
            inflated.append(len(raw))
        f.write("const size_t %s_count = %d;\n" % (name, len(files)))
        f.write("const char *const %s_names[] = {\n" % name)
        for path in files:
            f.write('    "%s",\n' % os.path.basename(path))
        f.write("};\nconst unsigned char *const %s_data[] = {\n" % name)
        for i in range(len(files)):
            f.write("    %s_%d,\n" % (name, i))
        f.write("};\nconst size_t %s_sizes[] = {%s};\n" % (name, ", ".join(map(str, sizes))))
        f.write("const size_t %s_inflated[] = {%s};\n" % (name, ", ".join(map(str, inflated))))


if __name__ == "__main__":
    if sys.argv[1] == "--gzip":
        embed_gzip(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        embed_one(sys.argv[1], sys.argv[2], sys.argv[3])
