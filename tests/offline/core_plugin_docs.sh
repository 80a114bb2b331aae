#!/bin/bash
# The plugin docs agree with the code: every C block of doc/writing-plugins.md that quotes the
# example plugin (it names an ex_ identifier) is in plugins/example/example.c word for word (each
# part between blank lines), and
# every NW_ name the docs and plugin.h's comments mention is defined in plugin.h.
source "$NW_SRC/tests/lib.sh"
python3 - "$NW_SRC" <<'EOF' || nw_fail "plugin docs and code disagree (above)"
import re, sys
src = sys.argv[1]
read = lambda p: open(f"{src}/{p}").read()
example = read("plugins/example/example.c")
header = read("include/natwarden/plugin.h")
bad = 0

def norm(text):
    return "\n".join(l.rstrip() for l in text.strip("\n").split("\n"))

# a block may quote several places of the file: each part between blank lines is checked
for i, block in enumerate(re.findall(r"```c\n(.*?)```", read("doc/writing-plugins.md"), re.S)):
    if not re.search(r"\bex_", block):
        continue
    for part in re.split(r"\n\s*\n", block.strip("\n")):
        if norm(part) not in norm(example):
            first = part.strip().split("\n")[0]
            print(f"writing-plugins.md: C block {i + 1}: {first!r}... is not in example.c")
            bad += 1

defined = set(re.findall(r"#define\s+(NW_[A-Z0-9_]+)", header))
defined |= set(re.findall(r"^\s*(NW_[A-Z0-9_]+)\s*[=,]", header, re.M))
defined.add("NW_PLUGIN_LDFLAGS")  # the automake variable of writing-plugins.md
for doc in ("doc/writing-plugins.md", "doc/natwarden-plugin.3", "plugins/example/README.md",
            "include/natwarden/plugin.h"):
    for name in sorted(set(re.findall(r"\bNW_[A-Z0-9_]*[A-Z0-9]\b", read(doc)))):
        if name not in defined:
            print(f"{doc}: {name} is not defined in plugin.h")
            bad += 1
sys.exit(1 if bad else 0)
EOF
echo ok
