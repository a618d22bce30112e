#!/usr/bin/python3
"""Generate the C source of the cffi extension `container_link._native` (API mode).

    build_ffi.py HEADER API_LOCK OUTPUT.c      write the extension's C source
    build_ffi.py HEADER --print-api            print the API as this script reads it

The cdef is generated from the public header itself: comments, include guards, `extern "C"`,
`CTR_API` and the other preprocessor lines are stripped; integer macros become `#define X ...`
(their values then come from the C compiler); struct layouts, enums and prototypes are kept as
they are.  The generated C includes the real header, so the compiler checks every declaration.

The header is also compared, declaration by declaration, with API_LOCK (container-link.api):
the C API that the Python layer (container_link/*.py) was written for.  Any difference — a
function added, removed or changed, a field added to an options struct, a new version number,
a new default — fails the build with a diff, so that a header change the bindings miss cannot
go unnoticed.  After updating the Python layer, refresh the lock with --print-api.

For every function that returns an int (0 or a negative errno) the extension also has a
wrapper `ctrpy_<name>(..., char **err_out)` that, on failure, copies ctr_last_error() into a
malloc'd string (freed by the caller with free()) in C, on the calling thread, right after the
call: no Python code can run between the failure and the reading of its message.
"""
import contextlib
import copy
import difflib
import io
import re
import sys

from pycparser import CParser, c_ast, c_generator

MODULE = "container_link._native"

# Types of <stddef.h>/<sys/types.h>/<stdint.h> the header may use: pycparser needs them
# declared; cffi knows some natively and takes the others as "some integer type".
STD_TYPES = {
    "size_t": "unsigned long", "ssize_t": "long", "uint8_t": "unsigned char",
    "uint16_t": "unsigned short", "uint32_t": "unsigned int", "uint64_t": "unsigned long",
    "int8_t": "signed char", "int16_t": "short", "int32_t": "int", "int64_t": "long",
    "pid_t": "int", "uid_t": "unsigned int", "gid_t": "unsigned int", "mode_t": "unsigned int",
    "off_t": "long", "bool": "_Bool",
}
CFFI_UNKNOWN_TYPES = {"pid_t", "uid_t", "gid_t", "mode_t", "off_t"}

INT_LITERAL = re.compile(r"^-?(0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]*$")


class HeaderError(Exception):
    pass


def strip_comments(text):
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise HeaderError("unterminated comment")
            out.append(" " + "\n" * text.count("\n", i, j))
            i = j + 2
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text[i] in "\"'":
            q, j = text[i], i + 1
            while j < n and text[j] != q:
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def preprocess(text):
    """The header without comments and preprocessor lines, plus its macros.

    Returns (declarations, int_macros {name: value}, initializers {name: value}).
    """
    text = strip_comments(text).replace("\\\n", " ")
    decls, int_macros, inits = [], {}, {}
    # one entry per open conditional: is the branch being read taken?  Only the conditionals
    # a public header has are known: the include guard, C++ wrappers, the compiler test.
    taken = []
    for lineno, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s.startswith("#"):
            if all(taken):
                decls.append(line)
            continue
        d = re.match(r"#\s*(\w+)\s*(.*)$", s)
        kw, rest = d.group(1), " ".join(d.group(2).split())
        if kw in ("ifdef", "ifndef", "if"):
            if kw == "ifdef" and rest == "__cplusplus":
                taken.append(False)
            elif kw == "ifndef" and rest.endswith("_H"):
                taken.append(True)   # the include guard
            elif kw == "if" and rest in ("defined(__GNUC__)", "defined __GNUC__"):
                taken.append(True)   # the extension is built by gcc or clang
            else:
                raise HeaderError(f"line {lineno}: unknown condition {s!r}; teach build_ffi.py")
        elif kw == "else":
            if not taken:
                raise HeaderError(f"line {lineno}: #else without #if")
            taken[-1] = not taken[-1]
        elif kw == "endif":
            if not taken:
                raise HeaderError(f"line {lineno}: #endif without #if")
            taken.pop()
        elif kw in ("include", "pragma", "undef", "error", "warning"):
            pass
        elif not all(taken):
            continue
        elif kw == "define":
            m = re.match(r"(\w+)(\([^)]*\))?\s*(.*)$", rest)
            name, params, value = m.group(1), m.group(2), m.group(3).strip()
            if name == "CTR_API" or (not value and not params):
                continue  # the export attribute, the include guard
            if params:
                raise HeaderError(f"line {lineno}: function-like macro {name} cannot be bound;"
                                  " teach build_ffi.py how")
            if name.endswith("_INIT") and value.startswith("{"):
                inits[name] = " ".join(value.split())
            elif INT_LITERAL.match(value):
                int_macros[name] = value
            else:
                raise HeaderError(f"line {lineno}: macro {name} ({value}) is not an integer "
                                  "constant; teach build_ffi.py how to bind it")
        else:
            raise HeaderError(f"line {lineno}: unexpected preprocessor line {s!r}")
    if taken:
        raise HeaderError("unterminated #if")
    body = "\n".join(decls)
    body = re.sub(r"\bCTR_API\b", "", body)
    return body, int_macros, inits


def parse(header_text):
    body, int_macros, inits = preprocess(header_text)
    std = "".join(f"typedef {c} {t};\n" for t, c in STD_TYPES.items())
    src = std + body
    try:
        ast = CParser().parse(src, "container-link.h")
    except Exception as e:  # pycparser's ParseError
        raise HeaderError(f"cannot parse the header's declarations: {e}") from None
    ext = ast.ext[len(STD_TYPES):]
    return ext, int_macros, inits


GEN = c_generator.CGenerator()


def one_line(s):
    s = " ".join(s.split())
    return s.replace("( ", "(").replace(" )", ")").replace("{ ", "{ ").replace(" ;", ";")


def _strip_names(node):
    """A copy of a declaration's type with parameter names removed (for the lock)."""
    node = copy.deepcopy(node)
    for n in _walk(node):
        if isinstance(n, c_ast.FuncDecl) and n.args:
            for p in n.args.params:
                if isinstance(p, c_ast.Decl):
                    p.name = None
                    t = p.type
                    while not isinstance(t, (c_ast.TypeDecl, c_ast.IdentifierType)):
                        t = getattr(t, "type", None)
                        if t is None:
                            break
                    if isinstance(t, c_ast.TypeDecl):
                        t.declname = None
    return node


def _walk(node):
    yield node
    for _, child in node.children():
        yield from _walk(child)


def _decay_arrays(funcdecl):
    """Array parameters are pointers: say so (cffi's cdef cannot size them with macros)."""
    if not funcdecl.args:
        return
    for p in funcdecl.args.params:
        if isinstance(p, c_ast.Decl) and isinstance(p.type, c_ast.ArrayDecl):
            p.type = c_ast.PtrDecl(quals=[], type=p.type.type)


def _sized_fields(node):
    """Struct fields with an array size: let the C compiler give it ([...])."""
    for n in _walk(node):
        if isinstance(n, c_ast.ArrayDecl) and n.dim is not None:
            n.dim = c_ast.ID("...")


class Api:
    def __init__(self, header_text):
        self.ext, self.int_macros, self.inits = parse(header_text)
        self.functions = []   # (name, Decl)
        for e in self.ext:
            if isinstance(e, c_ast.Decl) and isinstance(e.type, c_ast.FuncDecl):
                self.functions.append((e.name, e))
            elif isinstance(e, c_ast.Typedef):
                pass
            elif isinstance(e, c_ast.Decl) and e.name is None:
                pass  # a tagged struct/enum declaration
            else:
                raise HeaderError(f"unexpected declaration {GEN.visit(e)!r}: teach build_ffi.py")

    def lock_lines(self):
        """The API in canonical form, one declaration a line (parameter names left out)."""
        lines = []
        for k, v in self.int_macros.items():
            lines.append(f"macro {k} {v}")
        for k, v in self.inits.items():
            lines.append(f"initializer {k} {v}")
        for e in self.ext:
            if isinstance(e, c_ast.Decl) and isinstance(e.type, c_ast.FuncDecl):
                lines.append("function " + one_line(GEN.visit(_strip_names(e))))
            elif isinstance(e, c_ast.Typedef):
                lines.append(one_line(GEN.visit(e)))
            else:
                lines.append(one_line(GEN.visit(e)))
        return lines

    def cdef(self):
        out = []
        for t in sorted(CFFI_UNKNOWN_TYPES):
            out.append(f"typedef int... {t};")
        for k in self.int_macros:
            out.append(f"#define {k} ...")
        for e in self.ext:
            e = copy.deepcopy(e)
            if isinstance(e, c_ast.Decl) and isinstance(e.type, c_ast.FuncDecl):
                _decay_arrays(e.type)
            else:
                _sized_fields(e)
            out.append(GEN.visit(e) + ";")
        out.append("void free(void *);")
        for name, decl in self.functions:
            w = self._wrapper_decl(name, decl)
            if w:
                out.append(GEN.visit(w) + ";")
        return "\n".join(out) + "\n"

    @staticmethod
    def _returns_int(decl):
        t = decl.type.type
        return (isinstance(t, c_ast.TypeDecl) and isinstance(t.type, c_ast.IdentifierType)
                and t.type.names == ["int"])

    def _wrapper_decl(self, name, decl):
        if not self._returns_int(decl):
            return None
        w = copy.deepcopy(decl)
        wname = "ctrpy_" + (name[4:] if name.startswith("ctr_") else name)
        w.name = wname
        w.type.type.declname = wname
        w.storage = ["static"]
        _decay_arrays(w.type)
        params = [] if w.type.args is None else list(w.type.args.params)
        if len(params) == 1 and isinstance(params[0], c_ast.Typename):  # (void)
            params = []
        for i, p in enumerate(params):
            if not p.name:
                p.name = f"a{i}"
                t = p.type
                while not isinstance(t, c_ast.TypeDecl):
                    t = t.type
                t.declname = p.name
        err = c_ast.Decl("err_out", [], [], [], [], c_ast.PtrDecl([], c_ast.PtrDecl(
            [], c_ast.TypeDecl("err_out", [], None, c_ast.IdentifierType(["char"])))),
            None, None)
        w.type.args = c_ast.ParamList(params + [err])
        return w

    def wrappers_c(self):
        out = []
        for name, decl in self.functions:
            w = self._wrapper_decl(name, decl)
            if not w:
                continue
            args = ", ".join(p.name for p in w.type.args.params[:-1])
            out.append(GEN.visit(w) + "\n{\n"
                       f"\tint rc = {name}({args});\n"
                       "\t*err_out = rc < 0 ? strdup(ctr_last_error()) : NULL;\n"
                       "\treturn rc;\n}\n")
        return "\n".join(out)


LOCK_HEAD = """\
# The C API that the Python layer (container_link/*.py) covers, as build_ffi.py reads it from
# include/container-link.h.  The build compares the header with this file and fails on any
# difference.  After updating the Python layer for a header change, refresh it with
#   /usr/bin/python3 bindings/python/build_ffi.py include/container-link.h --print-api \\
#       > bindings/python/container-link.api
"""


def read_lock(path):
    with open(path) as f:
        return [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]


def main(argv):
    if len(argv) == 3 and argv[2] == "--print-api":
        with open(argv[1]) as f:
            api = Api(f.read())
        print(LOCK_HEAD + "\n".join(api.lock_lines()))
        return 0
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    header, lock, output = argv[1:]
    try:
        with open(header) as f:
            api = Api(f.read())
    except HeaderError as e:
        print(f"build_ffi.py: {header}: {e}", file=sys.stderr)
        return 1
    got, want = api.lock_lines(), read_lock(lock)
    if got != want:
        diff = "\n".join(difflib.unified_diff(want, got, "container-link.api (what the Python "
                                              "bindings cover)", "container-link.h (the header)",
                                              lineterm=""))
        print(f"build_ffi.py: error: include/container-link.h changed and the Python bindings "
              f"do not cover the change:\n{diff}\n"
              "Update bindings/python/container_link/ for it, then refresh "
              "bindings/python/container-link.api with\n"
              "    /usr/bin/python3 bindings/python/build_ffi.py include/container-link.h "
              "--print-api > bindings/python/container-link.api",
              file=sys.stderr)
        return 1

    import cffi  # only needed from here on
    ffibuilder = cffi.FFI()
    ffibuilder.cdef(api.cdef())
    init = "PyInit_" + MODULE.rsplit(".", 1)[1]
    ffibuilder.set_source(MODULE, '#include <stdlib.h>\n#include <string.h>\n'
                          '#include "container-link.h"\n\n'
                          f'PyMODINIT_FUNC {init}(void);  /* for -Wmissing-prototypes */\n\n'
                          + api.wrappers_c())
    with contextlib.redirect_stdout(io.StringIO()):  # cffi says "generating ..."
        ffibuilder.emit_c_code(output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
