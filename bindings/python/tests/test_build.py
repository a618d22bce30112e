"""The build's check of the header against the API the bindings cover (build_ffi.py)."""
import os
import subprocess

from conftest import TOP

BUILD_FFI = os.path.join(TOP, "bindings", "python", "build_ffi.py")
HEADER = os.path.join(TOP, "include", "container-link.h")
LOCK = os.path.join(TOP, "bindings", "python", "container-link.api")
PY = "/usr/bin/python3"


def gen(header, out="/tmp/native.c"):
    return subprocess.run([PY, BUILD_FFI, header, LOCK, out], capture_output=True, text=True)


def test_the_lock_matches_the_header():
    r = subprocess.run([PY, BUILD_FFI, HEADER, "--print-api"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with open(LOCK) as f:
        assert r.stdout.strip() == f.read().strip()
    r = gen(HEADER)
    assert r.returncode == 0, r.stderr
    with open("/tmp/native.c") as f:
        c = f.read()
    assert '#include "container-link.h"' in c
    assert "static int ctrpy_create(ctr_ctx *ctx, const ctr_create_options *opts, " \
           "char *id_out, char **err_out)" in c
    assert "*err_out = rc < 0 ? strdup(ctr_last_error()) : NULL;" in c


def changed(old, new):
    with open(HEADER) as f:
        text = f.read()
    assert old in text
    with open("/tmp/changed.h", "w") as f:
        f.write(text.replace(old, new, 1))
    return gen("/tmp/changed.h", "/tmp/changed.c")


def test_a_header_change_the_bindings_miss_fails_the_build():
    r = changed("CTR_API int ctr_unlink(", "CTR_API int ctr_relabel(ctr_ctx *ctx, const char *ref, "
                "const char *label);\nCTR_API int ctr_unlink(")
    assert r.returncode == 1 and not os.path.exists("/tmp/changed.c")
    assert "the Python bindings do not cover the change" in r.stderr
    assert "+function int ctr_relabel(ctr_ctx *, const char *, const char *)" in r.stderr
    r = changed("\tint publish_all;", "\tint publish_all;\n\tint privileged;")
    assert r.returncode == 1 and "int privileged;" in r.stderr
    r = changed("int ctr_stop(ctr_ctx *ctx, const char *ref, int timeout_s)",
                "int ctr_stop(ctr_ctx *ctx, const char *ref, unsigned timeout_ms)")
    assert r.returncode == 1 and "+function int ctr_stop(ctr_ctx *, const char *, unsigned)" \
        in r.stderr
    r = changed("#define CTR_CREATE_OPTIONS_VERSION 6", "#define CTR_CREATE_OPTIONS_VERSION 7")
    assert r.returncode == 1 and "+macro CTR_CREATE_OPTIONS_VERSION 7" in r.stderr
    # comments and parameter names are not the API
    r = changed("int ctr_kill(ctr_ctx *ctx, const char *ref, int signo)",
                "int ctr_kill(ctr_ctx *c, const char *name, int sig /* a signal */)")
    assert r.returncode == 0, r.stderr


def test_what_the_generator_cannot_bind_is_an_error():
    r = changed("#define CTR_SHORT_ID_LEN 12", "#define CTR_SHORT_ID_LEN (CTR_ID_LEN / 5)")
    assert r.returncode == 1 and "is not an integer constant" in r.stderr
    r = changed("#define CTR_SHORT_ID_LEN 12", "#define CTR_SHORT_ID_LEN 12\n#if FOO\n#endif")
    assert r.returncode == 1 and "unknown condition" in r.stderr
