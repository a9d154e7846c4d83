"""Turns a file into a C source defining its bytes (for docs/openapi.json)."""
import sys

src, out, name = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(src, "rb").read()
with open(out, "w") as f:
    f.write("/* generated from %s at build time; do not edit */\n" % src.split("/")[-1])
    f.write("#include <stddef.h>\n")
    f.write("const char %s[] = {\n" % name)
    for i in range(0, len(data), 16):
        f.write("    " + ", ".join("0x%02x" % b for b in data[i:i + 16]) + ",\n")
    f.write("    0x00};\n")
    f.write("const size_t %s_len = %d;\n" % (name, len(data)))
