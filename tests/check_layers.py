#!/usr/bin/python3
"""One-way layers of lib/ (doc/architecture.md, "Layers"), checked on the sources and on the
objects of a build:

  check_layers.py SOURCE_ROOT BUILD_DIR
  check_layers.py --self-test     (a small tree with one fault of each kind: each is found)

The folders rank core (0) < sys (1) < ops (2) < helper, api (3).  It fails when
 1. a file of lib/ includes a header of a higher folder, or of the other folder of its rank
    (helper and api include nothing of each other);
 2. a symbol defined in the object of one lib/*.c is used by the object of a file in a lower
    folder, or in the other folder of the same rank (calls go down only);
 3. the files (objects) or the folders call each other in a cycle;
 4. a lib/core/*.c object uses a function outside core that is not on the allowlist of pure
    library functions below (core makes no system call, reads no clock, draws no randomness).

The objects are found through BUILD_DIR/compile_commands.json, the symbols with nm; a lib/*.c
without an object, a missing nm or an empty result is a failure, never a skip.
"""
import collections
import json
import os
import re
import shutil
import subprocess
import sys

RANK = {"core": 0, "sys": 1, "ops": 2, "helper": 3, "api": 3}

# What lib/core/*.c may call outside core: allocation, strings and memory, formatting and
# parsing of text and numbers, sorting, address text, JSON (cJSON, pure), and what the
# compiler and C library need for these (errno, ctype tables, thread-local storage).
CORE_ALLOWED = {
    "malloc", "calloc", "realloc", "free", "strdup", "strndup",
    "memcpy", "memmove", "memset", "memcmp", "memchr", "memrchr", "memmem",
    "strlen", "strnlen", "strcmp", "strncmp", "strcasecmp", "strncasecmp", "strcpy",
    "strncpy", "strcat", "strncat", "strchr", "strrchr", "strchrnul", "strstr", "strspn",
    "strcspn", "strpbrk", "strtok_r", "strsep", "strerror",
    "snprintf", "vsnprintf", "sprintf", "vsprintf", "sscanf", "__isoc99_sscanf",
    "__isoc23_sscanf", "strtol", "strtoul", "strtoll", "strtoull", "__isoc23_strtol",
    "__isoc23_strtoul", "__isoc23_strtoll", "__isoc23_strtoull", "strtod",
    "qsort", "bsearch", "abs", "labs",
    "inet_pton", "inet_ntop", "htonl", "htons", "ntohl", "ntohs",
    "gmtime_r", "strftime", "timegm",  # formatting of a time given, never the clock
    "tolower", "toupper", "isalnum", "isalpha", "isdigit", "isspace", "isxdigit",
    "__ctype_b_loc", "__ctype_tolower_loc", "__ctype_toupper_loc", "__errno_location",
    "__tls_get_addr", "_GLOBAL_OFFSET_TABLE_", "__stack_chk_fail", "__assert_fail",
    "__memcpy_chk", "__memmove_chk", "__memset_chk", "__snprintf_chk", "__vsnprintf_chk",
    "__sprintf_chk", "__vsprintf_chk", "__strcpy_chk", "__strncpy_chk", "__strcat_chk",
    "__strncat_chk", "__fprintf_chk",
}
CORE_ALLOWED_PREFIXES = ("cJSON_",
                         # sanitizer and coverage instrumentation of -Db_sanitize builds
                         "__asan_", "__ubsan_", "__sanitizer_", "__lsan_", "__sancov_")

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def fail_now(msg):
    print("check_layers: " + msg)
    sys.exit(1)


def folder(rel):
    """'lib/ops/run.c' -> 'ops'"""
    return rel.split("/")[1]


def allowed_edge(src, dst):
    """May a file of folder src use (include, call) one of folder dst?"""
    return src == dst or RANK[dst] < RANK[src]


def lib_files(root, exts):
    out = []
    for d, _, names in os.walk(os.path.join(root, "lib")):
        for n in names:
            if n.endswith(exts):
                rel = os.path.relpath(os.path.join(d, n), root).replace(os.sep, "/")
                out.append(rel)
    return sorted(out)


def check_folders(files, errors):
    for f in files:
        parts = f.split("/")
        if len(parts) != 3 or parts[1] not in RANK:
            errors.append(f"{f}: not in one of the folders lib/{{{','.join(RANK)}}}/ "
                          "(add the folder to tests/check_layers.py with its rank)")


def check_includes(root, files, errors):
    for f in files:
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for m in INCLUDE_RE.finditer(text):
            inc = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            if os.path.exists(os.path.join(root, "include", inc)):
                continue  # the public header: below every folder
            here = os.path.join(root, os.path.dirname(f), inc)
            under_lib = os.path.join(root, "lib", inc)
            if os.path.exists(under_lib):
                target = "lib/" + inc
            elif os.path.exists(here):
                target = os.path.relpath(here, root).replace(os.sep, "/")
            else:
                errors.append(f"{f}:{line}: includes \"{inc}\", found neither in lib/ nor in "
                              "include/")
                continue
            if not target.startswith("lib/") or target.count("/") != 2:
                errors.append(f"{f}:{line}: includes \"{inc}\" ({target}), outside the folders "
                              "of lib/")
                continue
            src, dst = folder(f), folder(target)
            if dst not in RANK:
                continue  # reported by check_folders
            if not allowed_edge(src, dst):
                errors.append(f"{f}:{line}: includes {target}: lib/{src}/ (rank {RANK[src]}) "
                              f"may not include a header of lib/{dst}/ (rank {RANK[dst]})")


def find_objects(root, build, sources, errors):
    cc = os.path.join(build, "compile_commands.json")
    if not os.path.exists(cc):
        fail_now(f"{cc} not found: is {build} a meson build directory?")
    with open(cc, encoding="utf-8") as fh:
        entries = json.load(fh)
    cands = collections.defaultdict(list)
    for e in entries:
        d = e.get("directory", build)
        src = os.path.realpath(os.path.join(d, e["file"]))
        out = e.get("output")
        if not out:
            m = re.search(r"(?:^|\s)-o\s*(\S+)", e.get("command", ""))
            out = m.group(1) if m else None
        if out:
            cands[src].append(os.path.join(d, out))
    objs = {}
    for f in sources:
        real = os.path.realpath(os.path.join(root, f))
        have = [o for o in cands.get(real, []) if os.path.exists(o)]
        if not have:
            errors.append(f"{f}: no object in {build} (not in a meson.build, or not built: run "
                          "ninja)")
            continue
        # the library's own object rather than another target's copy (fuzzing)
        have.sort(key=lambda o: ("libctr_internal.a.p" not in o, "ctr-monitor.p" not in o, o))
        objs[f] = have[0]
    return objs


def nm(tool, obj, *flags):
    r = subprocess.run([tool, *flags, obj], capture_output=True, text=True)
    if r.returncode != 0:
        fail_now(f"{tool} {' '.join(flags)} {obj} failed: {r.stderr.strip()}")
    return r.stdout


def read_symbols(tool, objs):
    defs, undef = {}, {}
    where = collections.defaultdict(list)
    for f, o in objs.items():
        for line in nm(tool, o, "--defined-only", "-g").splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in "TDBRVWGSC":
                where[p[2]].append(f)
        undef[f] = {line.split()[-1] for line in nm(tool, o, "-u").splitlines() if line.split()}
    for sym, fs in where.items():
        defs[sym] = fs[0]
    return defs, undef, {s: fs for s, fs in where.items() if len(fs) > 1}


def sccs(nodes, graph):
    """Tarjan's strongly connected components, iteratively."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def topo_order(nodes, graph):
    """Files from the bottom up: each after every file it uses (the graph has no cycle)."""
    done, order = set(), []

    def visit(v):
        if v in done:
            return
        done.add(v)
        for w in sorted(graph.get(v, ())):
            visit(w)
        order.append(v)

    for v in nodes:
        visit(v)
    return order



# ---- self-test: a tree with one fault of each kind, compiled here; each must be reported -----

SELF_TREE = {
    "lib/core/a.c": '#include "ops/x.h"\n#include <time.h>\n'
                    'int core_a(void) { return (int)time(0); }\n',
    "lib/ops/x.h": "int ops_x(void);\n",
    "lib/sys/b.c": "int ops_x(void); int core_a(void);\n"
                   "int sys_b(void) { return ops_x() + core_a(); }\n",
    "lib/ops/x.c": "int sys_b(void); int ops_y(void);\n"
                   "int ops_x(void) { return sys_b() + ops_y(); }\n",
    "lib/ops/y.c": "int ops_x(void); int api_z(void);\n"
                   "int ops_y(void) { return ops_x() + api_z(); }\n",
    "lib/api/z.c": "int helper_m(void);\nint api_z(void) { return helper_m(); }\n",
    "lib/helper/m.c": "int helper_m(void) { return 1; }\n",
}
SELF_EXPECT = [
    "lib/core/a.c:1: includes lib/ops/x.h",
    "lib/sys/b.c uses ops_x of lib/ops/x.c: a call up",
    "lib/ops/y.c uses api_z of lib/api/z.c: a call up",
    "lib/api/z.c uses helper_m of lib/helper/m.c: a call sideways",
    "a cycle among the files lib/ops/x.c, lib/ops/y.c, lib/sys/b.c",
    "lib/ops/x.c -> lib/ops/y.c: ops_y",
    "a cycle among the folders ops, sys",
    "lib/core/a.c uses time: lib/core/ is pure",
]


def self_test():
    import tempfile
    cc = os.environ.get("CC") or shutil.which("cc")
    if not cc:
        fail_now("--self-test: no C compiler (cc)")
    with tempfile.TemporaryDirectory(prefix="check_layers.") as top:
        build = os.path.join(top, "build")
        os.makedirs(build)
        entries = []
        for rel, text in SELF_TREE.items():
            os.makedirs(os.path.join(top, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(top, rel), "w", encoding="utf-8") as fh:
                fh.write(text)
        for rel in SELF_TREE:
            if rel.endswith(".c"):
                out = os.path.join(build, rel.replace("/", "_") + ".o")
                subprocess.run([cc, "-c", "-I", os.path.join(top, "lib"), rel, "-o", out],
                               check=True, cwd=top)
                entries.append({"directory": top, "file": rel, "output": out,
                                "command": f"{cc} -c {rel}"})
        with open(os.path.join(build, "compile_commands.json"), "w", encoding="utf-8") as fh:
            json.dump(entries, fh)
        r = subprocess.run([sys.executable, os.path.abspath(__file__), top, build],
                           capture_output=True, text=True)
    missing = [e for e in SELF_EXPECT if e not in r.stdout]
    if r.returncode != 1 or missing:
        print(r.stdout + r.stderr)
        for e in missing:
            print(f"check_layers --self-test: not reported: {e}")
        print(f"check_layers --self-test: exit status {r.returncode} (1 expected)")
        return 1
    print(f"check_layers --self-test: all {len(SELF_EXPECT)} faults of the test tree reported")
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) != 3:
        print(__doc__)
        return 2
    root, build = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    tool = os.environ.get("NM") or shutil.which("nm")
    if not tool:
        fail_now("nm not found (binutils)")
    errors = []
    sources = lib_files(root, (".c",))
    headers = lib_files(root, (".h",))
    if not sources:
        fail_now(f"no lib/**/*.c under {root}")
    check_folders(sources + headers, errors)
    check_includes(root, sources + headers, errors)
    sources = [f for f in sources if f.split("/")[1] in RANK]
    objs = find_objects(root, build, sources, errors)
    defs, undef, dups = read_symbols(tool, objs)
    if not defs:
        fail_now("nm found no symbol defined in the objects of lib/")
    for sym, fs in sorted(dups.items()):
        errors.append(f"{sym}: defined in more than one object: {', '.join(fs)}")

    # 2. every use of another file's symbol goes down (or stays in the folder)
    edges = collections.defaultdict(lambda: collections.defaultdict(set))
    for f in objs:
        for sym in sorted(undef[f]):
            g = defs.get(sym)
            if g is None or g == f:
                continue
            edges[f][g].add(sym)
            src, dst = folder(f), folder(g)
            if not allowed_edge(src, dst):
                kind = "up" if RANK[dst] > RANK[src] else "sideways"
                errors.append(f"{f} uses {sym} of {g}: a call {kind}, from lib/{src}/ (rank "
                              f"{RANK[src]}) to lib/{dst}/ (rank {RANK[dst]})")

    # 3. no cycle among files, nor among folders
    graph = {f: set(edges[f]) for f in objs}
    for comp in sccs(sorted(objs), graph):
        if len(comp) > 1:
            lines = [f"  {a} -> {b}: {', '.join(sorted(edges[a][b]))}"
                     for a in comp for b in sorted(edges[a]) if b in comp]
            errors.append(f"a cycle among the files {', '.join(comp)}:\n" + "\n".join(lines))
    fgraph = collections.defaultdict(set)
    fedge = collections.defaultdict(list)
    for a in edges:
        for b in edges[a]:
            if folder(a) != folder(b):
                fgraph[folder(a)].add(folder(b))
                fedge[(folder(a), folder(b))].append(f"{a} -> {b}")
    for comp in sccs(sorted(RANK), fgraph):
        if len(comp) > 1:
            lines = [f"  lib/{a}/ -> lib/{b}/: {fedge[(a, b)][0]}"
                     for a in comp for b in sorted(fgraph[a]) if b in comp]
            errors.append(f"a cycle among the folders {', '.join(comp)}:\n" + "\n".join(lines))

    # 4. core is pure
    for f in objs:
        if folder(f) != "core":
            continue
        for sym in sorted(undef[f]):
            g = defs.get(sym)
            if g is not None and folder(g) == "core":
                continue
            if g is not None:
                continue  # a call out of core: reported above
            if sym in CORE_ALLOWED or sym.startswith(CORE_ALLOWED_PREFIXES):
                continue
            errors.append(f"{f} uses {sym}: lib/core/ is pure (no system call, clock, "
                          "randomness or I/O); if the function is pure, add it to "
                          "CORE_ALLOWED in tests/check_layers.py")

    if errors:
        print(f"check_layers: {len(errors)} problem(s) in the layers of lib/ "
              "(doc/architecture.md, \"Layers\"):")
        for e in errors:
            print("FAIL " + e)
        return 1
    n_edges = sum(len(v) for v in edges.values())
    order = topo_order(sorted(objs), graph)
    print(f"check_layers: {len(objs)} objects, {len(defs)} symbols, {n_edges} file edges: "
          "no upward or sideways use, no cycle, core pure; headers included one way")
    for fo in sorted(RANK, key=lambda x: (RANK[x], x)):
        print(f"  lib/{fo}/: " + " < ".join(os.path.basename(f) for f in order
                                            if folder(f) == fo))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
