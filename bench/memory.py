"""Memory per running container: bench/memory.sh BUILD_DIR [BACKEND] [LEVELS].

For each level N (default 1 100 500) it starts N containers (`ctrlink run -d -p`, one port
each, `sleep`), then reads, per container, the monitor's and the init's resident memory from
/proc/PID/smaps_rollup (Rss, Pss: shared pages divided among their users, and Private), and
the host's MemAvailable, Slab and page tables before and after, divided by N: what the kernel
holds for each (network namespace, veth pair, cgroup, rules).  Run in a private network and
mount namespace (memory.sh does that)."""
import os, re, signal, statistics, subprocess, sys, time

B = sys.argv[1]
os.environ["CTRLINK_NAT_BACKEND"] = sys.argv[2] if len(sys.argv) > 2 else "nftables"
levels = [int(x) for x in (sys.argv[3] if len(sys.argv) > 3 else "1 100 500").split()]
CTL = [f"{B}/examples/ctrlink/ctrlink"]


def ctl(*a):
    return subprocess.run(CTL + list(a), check=True, capture_output=True, text=True).stdout


def meminfo():
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":")
            out[k] = int(v.split()[0])
    return out


def rollup(pid):
    """None if the process is gone."""
    out = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            text = f.read()
    except OSError:
        return None
    for m in re.finditer(r"^(\w+):\s+(\d+) kB", text, re.M):
        out[m[1]] = int(m[2])
    out["Private"] = out.get("Private_Clean", 0) + out.get("Private_Dirty", 0)
    return out


def parent(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^PPid:\s+(\d+)", f.read(), re.M)[1])


def settle():
    time.sleep(2)
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3")
    time.sleep(1)


def remove_all():
    ids = ctl("ps", "-a", "-q", "--no-trunc").split()
    for k in range(0, len(ids), 100):
        ctl("rm", "-f", *ids[k:k + 100])


signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # `timeout` too runs the finally below
print(f"build {B}, backend {os.environ['CTRLINK_NAT_BACKEND']}")
print("| running | monitor Rss | monitor Pss | monitor Private | init Pss | "
      "MemAvailable drop / container | Slab / container | page tables / container |")
print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
# a failure or a timeout must not leave containers behind in a namespace that goes with us
try:
    for n in levels:
        settle()
        before = meminfo()
        for i in range(n):
            ctl("run", "-d", "-p", f"{20000 + i}:80", "sleep", "10000")
        settle()
        after = meminfo()
        inits = [int(ctl("inspect", "-f", "{{.State.Pid}}", x)) for x in ctl("ps", "-q").split()]
        mons = [parent(p) for p in inits]  # each init's parent is its monitor
        mr = [r for r in map(rollup, mons) if r]
        ir = [r for r in map(rollup, inits) if r]
        med = lambda rs, k: statistics.median(r[k] for r in rs)
        per = lambda k: (before[k] - after[k]) / n if k == "MemAvailable" else (after[k] - before[k]) / n
        print(f"| {n} | {med(mr, 'Rss'):,.0f} kB | {med(mr, 'Pss'):,.0f} kB | "
              f"{med(mr, 'Private'):,.0f} kB | {med(ir, 'Pss'):,.0f} kB | {per('MemAvailable'):,.0f} kB "
              f"| {per('Slab'):,.0f} kB | {per('PageTables'):,.0f} kB |", flush=True)
        remove_all()
        while any(os.path.exists(f"/proc/{p}") for p in mons):  # they exit just after the rm
            time.sleep(0.1)
finally:
    remove_all()
