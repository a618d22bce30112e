#!/usr/bin/python3
"""Build and run the whole test suite; the last line printed is "N passed, N failed".

  tests/run_tests.py [--builds normal,asan] [--no-fuzz] [--fuzz-seconds N] [-k PATTERN]
                     [--incremental]

For each build (normal: build/, asan: build-asan/ with AddressSanitizer and
UndefinedBehaviorSanitizer) it runs the unit tests (TAP), the C system tests and the pytest
system tests, once for each NAT backend (iptables, nftables) on the normal build and with one
(nftables) on the sanitizer build, in shards side by side (the tests mostly wait, on processes,
sockets and the kernel, so each next build compiles beside them too); the Python bindings'
tests run against the normal build; a short libFuzzer run of every parser (build-fuzz/,
clang, two targets at a time) closes it.  Every test that touches the kernel runs in its own
network + mount (+ PID) namespaces.  A compiler warning in a build fails it: a build directory
that already exists (the README's first command makes build/) is compiled again from clean so
that every warning is seen, unless --incremental.  Exit status: 0 if nothing failed.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PY = "/usr/bin/python3"

passed = failed = 0
failures = []
incremental = False


T0 = time.monotonic()


def say(msg):
    if msg.startswith("== "):
        msg += f" [at {time.monotonic() - T0:.0f}s]"
    print(msg, flush=True)


def count(ok, name, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        failures.append(name)
        say(f"FAILED: {name}")
        if detail:
            say("    " + detail.strip().replace("\n", "\n    ")[-4000:])


def start_build(dirname, *opts, env=None):
    """Configure (first time) or clean the build directory and start ninja in the background;
    finish_build() collects it.  The system tests mostly wait (on processes, sockets, the
    kernel), so a build runs beside them."""
    path = os.path.join(TOP, dirname)
    if not os.path.exists(os.path.join(path, "build.ninja")):
        subprocess.run(["meson", "setup", path, TOP, *opts], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    elif not incremental:
        # made earlier: only a full compile shows all of its warnings
        subprocess.run(["ninja", "-C", path, "-t", "clean"], check=True, env=env,
                       stdout=subprocess.DEVNULL)
    out = open(f"/tmp/ctrlink-build-{os.getpid()}-{dirname}.out", "w+")
    p = subprocess.Popen(["ninja", "-C", path], stdout=out, stderr=subprocess.STDOUT, text=True,
                         errors="replace", env=env)
    return (p, out, dirname, path)


def finish_build(b):
    p, out, dirname, path = b
    p.wait()
    out.seek(0)
    text = out.read()
    out.close()
    os.unlink(out.name)
    if p.returncode != 0:
        say(text[-9000:])
        count(False, f"build {dirname}", "the build failed")
        return None
    warnings = [l for l in text.splitlines() if "warning:" in l.lower()]
    count(not warnings, f"build {dirname} warning-free", "\n".join(warnings))
    return path


ASAN_OPTS = ("-Db_sanitize=address,undefined", "-Db_lundef=false", "-Dpython_bindings=disabled",
             "-Dfault_injection=true")
FUZZ_OPTS = ("-Dfuzzing=true", "-Db_lundef=false", "-Dpython_bindings=disabled")


def start_tap(exe, label, env):
    """Start one TAP test program in the background; finish_tap() collects it."""
    name = f"/tmp/ctrlink-tap-{os.getpid()}-{label.replace('/', '_')}.out"
    out = open(name, "w+", errors="replace")  # its output may hold any byte
    err = open(f"{name}.err", "w+", errors="replace")
    p = subprocess.Popen([exe], stdout=out, stderr=err, env=env, cwd=TOP)
    return (p, out, err, label, time.monotonic())


def finish_tap(run, timeout=600):
    p, out, err, label, t0 = run
    try:
        p.wait(timeout=max(1, timeout - (time.monotonic() - t0)))
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        count(False, f"{label}: timed out")
        return
    finally:
        texts = []
        for f in (out, err):
            f.seek(0)
            texts.append(f.read())
            f.close()
            os.unlink(f.name)
    stdout, stderr = texts
    n_ok = n_fail = 0
    lines = stdout.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"(not ok|ok) \d+ - (.*)", line)
        if not m:
            continue
        if m.group(1) == "ok":
            n_ok += 1
            count(True, label)
        else:
            n_fail += 1
            diag = "\n".join(l for l in lines[i + 1:i + 6] if l.startswith("#"))
            count(False, f"{label}: {m.group(2)}", diag)
    plan = re.search(r"^1\.\.(\d+)$", stdout, re.M)
    sanitizer = re.search(r"(ERROR: (AddressSanitizer|LeakSanitizer).*|runtime error:.*)",
                          stderr)
    if p.returncode != 0 and n_fail == 0 or not plan or sanitizer:
        count(False, f"{label}: exit status {p.returncode}",
              (sanitizer.group(0) + "\n" if sanitizer else "") + stderr[-3000:])
    say(f"  {label}: {n_ok} ok, {n_fail} not ok ({time.monotonic() - t0:.1f}s)")


def run_tap(exe, label, env):
    finish_tap(start_tap(exe, label, env))


def start_pytest(paths, label, env, extra=()):
    """Start one pytest run in the background (every test is in namespaces of its own, so runs
    do not see each other); finish_pytest() collects it."""
    if not paths:
        return None
    xml = f"/tmp/ctrlink-junit-{os.getpid()}-{label.replace('/', '_')}.xml"
    out = open(f"{xml}.out", "w+")
    p = subprocess.Popen([PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={xml}",
                          "-o", "junit_family=xunit1", *extra, *paths],
                         stdout=out, stderr=subprocess.STDOUT, text=True, env=env, cwd=TOP)
    return (p, xml, out, label, time.monotonic())


def finish_pytest(run):
    if run is None:
        return
    p, xml, out, label, t0 = run
    p.wait()
    out.seek(0)
    text = out.read()
    out.close()
    os.unlink(out.name)
    n_ok = n_fail = 0
    try:
        root = ET.parse(xml).getroot()
        for case in root.iter("testcase"):
            name = f"{label}: {case.get('classname')}.{case.get('name')}"
            bad = case.find("failure") if case.find("failure") is not None else case.find("error")
            if case.find("skipped") is not None:
                continue
            if bad is not None:
                n_fail += 1
                count(False, name, (bad.get("message") or "") + "\n" + (bad.text or ""))
            else:
                n_ok += 1
                count(True, name)
        os.unlink(xml)
    except (OSError, ET.ParseError):
        count(False, f"{label}: pytest did not report", text[-6000:])
    sanitizer = re.findall(r"(ERROR: (?:AddressSanitizer|LeakSanitizer)[^\n]*|runtime error:[^\n]*)",
                           text)
    if sanitizer:
        count(False, f"{label}: sanitizer reports", "\n".join(sanitizer[:10]))
    say(f"  {label}: {n_ok} passed, {n_fail} failed ({time.monotonic() - t0:.1f}s)")


def shards(paths, n, env, extra=()):
    """The tests of `paths` (pytest node IDs, as collected) dealt out to n groups in turn: the
    tests of one file spread over every group, so no group waits for a whole slow file."""
    p = subprocess.run([PY, "-m", "pytest", "-q", "--collect-only", "-p", "no:cacheprovider",
                        *extra, *paths], capture_output=True, text=True, env=env, cwd=TOP)
    ids = [l.strip() for l in p.stdout.splitlines() if "::" in l]
    if p.returncode not in (0, 5) or not ids:  # 5: nothing selected
        return [paths] if p.returncode != 5 else []
    groups = [ids[i::n] for i in range(n)]
    return [g for g in groups if g]


def suite(path, label, args, bindings, beside=None):
    env = dict(os.environ)
    env["CTRLINK_BUILD"] = path
    env.pop("CTRLINK_STATE_DIR", None)
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:halt_on_error=1"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    say(f"== {label}: unit tests")
    for exe in sorted(glob.glob(os.path.join(path, "tests", "test_*"))):
        name = os.path.basename(exe)
        if not os.access(exe, os.X_OK) or os.path.isdir(exe):
            continue
        if name in ("test_rtnl", "test_nat_iptc", "test_nat_nft", "test_embed"):
            continue
        run_tap(exe, f"{label}/unit/{name}", env)
    say(f"== {label}: layers of lib/ (tests/check_layers.py)")
    for what, argv in (("layers", [TOP, path]), ("layers-selftest", ["--self-test"])):
        r = subprocess.run([PY, os.path.join(TOP, "tests", "check_layers.py"), *argv],
                           capture_output=True, text=True, errors="replace", cwd=TOP)
        count(r.returncode == 0, f"{label}/{what}", r.stdout + r.stderr)
        say(f"  {label}/{what}: {'ok' if r.returncode == 0 else 'FAILED'}")
    # the C system tests, started now, run beside the pytest runs (each in namespaces of its
    # own) and are collected before them
    taps = []
    for name in ("test_rtnl", "test_nat_iptc", "test_nat_nft", "test_embed"):
        exe = os.path.join(path, "tests", name)
        if os.path.exists(exe):
            taps.append(start_tap(exe, f"{label}/system/{name}", env))
    extra = ["-k", args.k] if args.k else []
    system = sorted(glob.glob(os.path.join(TOP, "tests", "system", "test_*.py")))
    backends = args.backends.split(",")
    runs = []
    if bindings:
        # the normal build: every backend in two shards, and the bindings, side by side
        for backend in backends:
            benv = dict(env, CTRLINK_NAT_BACKEND=backend)
            for i, group in enumerate(shards(system, 2, benv, extra)):
                runs.append(start_pytest(group, f"{label}/system-{backend}-{i + 1}", benv, extra))
        tests = sorted(glob.glob(os.path.join(TOP, "bindings", "python", "tests", "test_*.py")))
        benv = dict(env, CTRLINK_NAT_BACKEND=backends[0])
        benv["PYTHONPATH"] = os.path.join(path, "bindings", "python")
        runs.append(start_pytest(tests, f"{label}/bindings", benv, extra))
        say(f"== {label}: system tests (pytest) with NAT backends {', '.join(backends)}, two "
            "shards each, and the Python bindings, side by side")
    else:
        # the sanitizer build: one backend (the last given; the C system tests ran both), in
        # three shards side by side
        backend = backends[-1]
        benv = dict(env, CTRLINK_NAT_BACKEND=backend)
        say(f"== {label}: system tests (pytest), NAT backend {backend}, in three shards")
        for i, group in enumerate(shards(system, 3, benv, extra)):
            runs.append(start_pytest(group, f"{label}/system-{backend}-{i + 1}", benv, extra))
    if beside:
        beside()  # work of its own while the tests run (they mostly wait)
    say(f"== {label}: system tests (C), beside them")
    for t in taps:
        finish_tap(t)
    for r in runs:
        finish_pytest(r)


def fuzz(path, seconds):
    """A short libFuzzer run of every parser, two targets at a time (one core each); a crash
    or sanitizer report fails."""
    targets = sorted(glob.glob(os.path.join(path, "tests", "fuzz_*")))
    targets = [t for t in targets if os.access(t, os.X_OK) and not os.path.isdir(t)]
    each = max(2, seconds // max(1, len(targets)))
    say(f"== fuzzing ({len(targets)} targets, {each}s each, two at a time: {seconds}s of CPU in all)")
    running = []

    def collect(t, p, err):
        p.wait()
        err.seek(0)
        text = err.read()
        err.close()
        os.unlink(err.name)
        name = os.path.basename(t)
        execs = re.search(r"stat::number_of_executed_units:\s*(\d+)", text)
        ok = p.returncode == 0
        count(ok, f"fuzz/{name}", text[-3000:])
        say(f"  fuzz/{name}: {'ok' if ok else 'FOUND A CRASH'}, "
            f"{execs.group(1) if execs else '?'} executions in {each}s")

    for t in targets:
        name = os.path.basename(t)
        corpus = os.path.join(TOP, "tests", "fuzz", "corpus", name.replace("fuzz_", ""))
        work = f"/tmp/ctrlink-{name}-corpus"
        os.makedirs(work, exist_ok=True)
        dirs = [work] + ([corpus] if os.path.isdir(corpus) else [])
        err = open(f"/tmp/ctrlink-{os.getpid()}-{name}.err", "w+")
        p = subprocess.Popen([t, f"-max_total_time={each}", "-max_len=4200", "-print_final_stats=1",
                              *dirs], stdout=subprocess.DEVNULL, stderr=err, text=True,
                             errors="replace", env=dict(os.environ, UBSAN_OPTIONS="halt_on_error=1"))
        running.append((t, p, err))
        if len(running) == 2:
            collect(*running.pop(0))
    while running:
        collect(*running.pop(0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builds", default="normal,asan")
    ap.add_argument("--no-fuzz", action="store_true")
    ap.add_argument("--fuzz-seconds", type=int, default=60)
    ap.add_argument("-k", default=None, help="only pytest tests matching this expression")
    ap.add_argument("--backends", default="iptables,nftables",
                    help="the NAT backends the system tests run with, each in turn")
    ap.add_argument("--incremental", action="store_true",
                    help="reuse what existing build directories already compiled (their "
                    "earlier warnings go unseen)")
    args = ap.parse_args()
    global incremental
    incremental = args.incremental
    t0 = time.monotonic()
    builds = args.builds.split(",")
    # each build, and what runs on it; each next build compiles while the tests of the one
    # before run (they mostly wait)
    stages = []
    if "normal" in builds:
        stages.append((lambda: start_build("build"),
                       lambda path, beside: suite(path, "normal", args, True, beside)))
    if "asan" in builds:
        stages.append((lambda: start_build("build-asan", *ASAN_OPTS),
                       lambda path, beside: suite(path, "asan", args, False, beside)))
    if not args.no_fuzz and shutil.which("clang"):
        stages.append((lambda: start_build("build-fuzz", *FUZZ_OPTS,
                                           env=dict(os.environ, CC="clang")),
                       lambda path, beside: fuzz(path, args.fuzz_seconds)))
    started = stages[0][0]() if stages else None
    for i, (_, run) in enumerate(stages):
        path = finish_build(started)
        started = None
        nxt = stages[i + 1][0] if i + 1 < len(stages) else None

        def beside(nxt=nxt):
            nonlocal started
            if nxt:
                started = nxt()
        if path:
            run(path, beside)
        if started is None and nxt:
            started = nxt()  # the tests did not run (a failed build): compile it now
    say(f"== done in {time.monotonic() - t0:.0f}s")
    if failures:
        say("failed: " + ", ".join(failures[:50]) + (" ..." if len(failures) > 50 else ""))
    say(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
