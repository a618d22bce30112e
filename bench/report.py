#!/usr/bin/python3
"""Tables (and, with --doc, doc/performance.md and its plots) from one benchmark run.

    report.py RESULTS_DIR [--doc DOC.md --plots DIR]

RESULTS_DIR holds what bench/run.sh and the scenario scripts wrote: samples.tsv (scenario,
tool, metric, value, unit), checks.tsv (scenario, tool, what, text), meta.txt and the
per-scenario .txt files.  Times are medians with p10/p90 in ms; "x ours" is the ratio of a
peer's median to ctrlink's median for the same metric, measured in the same run.
Standard library only (Debian's python3).
"""
import argparse
import collections
import math
import os
import re
import subprocess
import sys

# Peers' figures from shared/peers/FINDINGS.md (a machine like this one, an earlier day):
# what the targets were set against.
FINDINGS_A = {"docker": 705, "docker_noproxy": 683, "podman": 451, "cni": 299,
              "nspawn": 178, "netavark": 187, "lxc": 38}
FINDINGS_B = {"docker_noproxy": 48822, "cni": 68770, "podman": 499, "nspawn": 327,
              "netavark": 189}
FINDINGS_C = {"docker_noproxy": 1.34, "podman": 1.80, "netavark": 2.08, "cni": 2.45}

TOOL_NAMES = {
    "ctrlink": "ctrlink (ours, CLI, default backend)",
    "ctrlink_ipt": "ctrlink --nat-backend iptables",
    "ctrlink_nft": "ctrlink --nat-backend nftables",
    "netavark": "netavark (network only)",
    "cni": "CNI bridge+portmap+firewall (network only)",
    "podman": "podman run -d -p",
    "docker": "docker run -d -p (userland proxy)",
    "docker_noproxy": "docker, --userland-proxy=false",
    "nspawn": "systemd-nspawn --network-veth --port",
    "lxc": "lxc-start (no port publishing)",
    "floor": "floor",
}
ORDER = ["ctrlink", "ctrlink_ipt", "ctrlink_nft", "lxc", "netavark", "nspawn", "cni", "podman",
         "docker_noproxy", "docker", "floor"]


def tool_key(t):
    return (ORDER.index(t) if t in ORDER else len(ORDER), t)


def stats(vals):
    """n, median, p10, p90 of a list (same index rule as peers/lib.sh)."""
    v = sorted(vals)
    n = len(v)
    if n == 0:
        return None
    med = v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2
    i10 = int(0.1 * (n - 1))
    i90 = min(n - 1, int(math.ceil(0.9 * (n - 1))))
    return n, med, v[i10], v[i90]


class Run:
    def __init__(self, d):
        self.dir = d
        self.samples = collections.defaultdict(list)   # (scen, tool, metric) -> [values]
        self.units = {}
        self.summ = {}                                  # (scen, tool, metric) -> (n, med, p10, p90)
        self.checks = []
        p = os.path.join(d, "samples.tsv")
        if os.path.exists(p):
            for line in open(p):
                f = line.rstrip("\n").split("\t")
                if len(f) != 5:
                    continue
                scen, tool, metric, val, unit = f
                key = (scen, tool, metric)
                if unit == "ms_stats":
                    m, a, b, n = val.split()
                    self.summ[key] = (int(n), float(m), float(a), float(b))
                    self.units[key] = "ms"
                    continue
                try:
                    x = float(val)
                except ValueError:
                    continue
                if unit == "us":
                    x /= 1000.0
                    unit = "ms"
                self.samples[key].append(x)
                self.units[key] = unit
        for key, vals in self.samples.items():
            self.summ[key] = stats(vals)
        p = os.path.join(d, "checks.tsv")
        if os.path.exists(p):
            self.checks = [line.rstrip("\n").split("\t") for line in open(p) if line.strip()]
        self.meta = open(os.path.join(d, "meta.txt")).read() if os.path.exists(
            os.path.join(d, "meta.txt")) else ""

    def get(self, scen, tool, metric):
        return self.summ.get((scen, tool, metric))

    def med(self, scen, tool, metric):
        s = self.get(scen, tool, metric)
        return s[1] if s else None

    def tools(self, scen):
        return sorted({k[1] for k in self.summ if k[0] == scen}, key=tool_key)

    def metrics(self, scen, tool=None):
        return sorted({k[2] for k in self.summ if k[0] == scen and (tool is None or k[1] == tool)})

    def scenarios(self):
        return {k[0] for k in self.summ}


def fms(x, digits=None):
    if x is None:
        return "–"
    if digits is None:
        digits = 2 if x < 10 else 1 if x < 100 else 0
    s = f"{x:,.{digits}f}"
    return s


def cell(s):
    """median (p10–p90)"""
    if not s:
        return "–"
    return f"**{fms(s[1])}** ({fms(s[2])}–{fms(s[3])})"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    r = a / b
    return f"{r:.1f}×" if r >= 10 else f"{r:.2f}×"


def table(head, rows, align=None):
    out = ["| " + " | ".join(head) + " |"]
    align = align or (["---"] + ["---:"] * (len(head) - 1))
    out.append("| " + " | ".join(align) + " |")
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# ------------------------------------------------------------------------------- sections
def sec_a(run, scen="a_single", ref=FINDINGS_A, what="(a)"):
    tools = [t for t in run.tools(scen) if t != "floor"]
    if not tools:
        return None
    ours = run.med(scen, "ctrlink", "setup_ms")
    ours_t = run.med(scen, "ctrlink", "teardown_ms")
    rows = []
    for t in tools:
        s, d = run.get(scen, t, "setup_ms"), run.get(scen, t, "teardown_ms")
        rows.append([TOOL_NAMES.get(t, t), s[0] if s else 0, cell(s),
                     ratio(s[1], ours) if s and t != "ctrlink" else "1" if s else "–",
                     cell(d), ratio(d[1], ours_t) if d and t != "ctrlink" else "1" if d else "–",
                     fms(ref.get(t)) if ref.get(t) else "–"])
    txt = table(["tool", "n", "setup ms: median (p10–p90)", "× ours", "teardown ms", "× ours",
                 "FINDINGS setup"], rows)
    for t in ("ctrlink", "ctrlink_ipt", "ctrlink_nft"):
        pr, ur = run.get(scen, t, "publish_running_ms"), run.get(scen, t, "unpublish_running_ms")
        if pr:
            txt += (f"\n\n{TOOL_NAMES.get(t, t)}, the same ports on a container that is already running "
                    f"(`ctrlink publish NAME SPEC`, which the peers cannot do): publish {cell(pr)} ms, "
                    f"unpublish {cell(ur)} ms (n={pr[0]}).")
    fl = [(m, run.get(scen, "floor", m)) for m in ("exec_true_ms", "ctrlink_version_ms")]
    if any(s for _, s in fl):
        txt += "\n\nFloor of any command-line tool in this run: fork+exec of `/bin/true` from bash " \
               f"{cell(fl[0][1])} ms; `ctrlink version` (our CLI doing nothing) {cell(fl[1][1])} ms."
    return txt


def sec_c(run):
    scen = "c_scale"
    tools = run.tools(scen)
    if not tools:
        return None
    levels = sorted({int(m.rsplit("_", 1)[1]) for m in run.metrics(scen) if m.startswith("setup_ms_at_")})
    rows = []
    for t in tools:
        r = [TOOL_NAMES.get(t, t)]
        meds = {}
        for L in levels:
            s = run.get(scen, t, f"setup_ms_at_{L:04d}")
            meds[L] = s[1] if s else None
            r.append(cell(s))
        lo, hi = meds.get(levels[0]), meds.get(levels[-1])
        r.append(ratio(hi, lo))
        r.append(f"{FINDINGS_C[t]:.2f}×" if t in FINDINGS_C else "–")
        for L in levels:
            r.append(fms(run.med(scen, t, f"teardown_ms_at_{L:04d}")))
        fills = [m for m in run.metrics(scen, t) if m.startswith("fill_ms_upto_")]
        r.append(" / ".join(fms(run.med(scen, t, m)) for m in sorted(fills)))
        rows.append(r)
    head = (["tool"] + [f"setup @{L}" for L in levels] + [f"@{levels[-1]} / @{levels[0]}", "FINDINGS ratio"]
            + [f"teardown @{L}" for L in levels] + ["fill ms/container (per level)"])
    ours = {L: run.med(scen, "ctrlink", f"setup_ms_at_{L:04d}") for L in levels}
    txt = table(head, rows)
    rr = []
    for t in tools:
        if t.startswith("ctrlink"):
            continue
        rr.append([TOOL_NAMES.get(t, t)] + [ratio(run.med(scen, t, f"setup_ms_at_{L:04d}"), ours[L]) for L in levels])
    if rr and ours.get(levels[0]):
        txt += "\n\nSetup, peer ÷ ours, same run:\n\n" + table(["tool"] + [f"@{L}" for L in levels], rr)
    return txt


def sec_d(run):
    scen = "d_throughput"
    paths = run.tools(scen)
    if not paths:
        return None
    order = ["host_veth_direct", "host_bridge_direct", "host_ctrlink_direct", "host_ctrlink_dnat",
             "host_ctrlinknft_direct", "host_ctrlinknft_dnat", "host_docker_proxy", "cli_routed_direct",
             "cli_ctrlink_dnat", "cli_ctrlinknft_dnat", "cli_docker_proxy"]
    desc = {
        "host_veth_direct": "host → plain veth peer, no bridge, no NAT (absolute limit)",
        "host_bridge_direct": "host → netns on a bridge, no NAT (limit)",
        "host_ctrlink_direct": "host → our (iptables-backend) container's address, no NAT (limit)",
        "host_ctrlink_dnat": "host → 10.250.0.1:8080, **our DNAT, iptables backend** (nat OUTPUT)",
        "host_ctrlinknft_direct": "host → our nftables-backend container's address, no NAT (limit)",
        "host_ctrlinknft_dnat": "host → 10.250.0.1:8180, **our DNAT, nftables backend**",
        "host_docker_proxy": "host → 10.250.0.1:8082, docker-proxy (Docker's userland proxy)",
        "cli_routed_direct": "client netns → routed to a container, no NAT (limit)",
        "cli_ctrlink_dnat": "client netns → host:8080, **our DNAT, iptables backend** (PREROUTING + forward)",
        "cli_ctrlinknft_dnat": "client netns → host:8180, **our DNAT, nftables backend**",
        "cli_docker_proxy": "client netns → host:8082, docker-proxy",
    }
    lim = {"host_ctrlink_dnat": "host_ctrlink_direct", "host_docker_proxy": "host_bridge_direct",
           "host_ctrlinknft_dnat": "host_ctrlinknft_direct", "host_ctrlinknft_direct": "host_bridge_direct",
           "cli_ctrlinknft_dnat": "cli_routed_direct",
           "host_bridge_direct": "host_bridge_direct", "host_veth_direct": "host_bridge_direct",
           "host_ctrlink_direct": "host_bridge_direct",
           "cli_ctrlink_dnat": "cli_routed_direct", "cli_docker_proxy": "cli_routed_direct",
           "cli_routed_direct": "cli_routed_direct"}
    rows = []
    for p in sorted(paths, key=lambda x: order.index(x) if x in order else 99):
        tp, cr = run.get(scen, p, "throughput"), run.get(scen, p, "connrate")
        l = lim.get(p, p)
        tpl, crl = run.med(scen, l, "throughput"), run.med(scen, l, "connrate")
        rows.append([f"`{p}`: {desc.get(p, p)}", tp[0] if tp else 0,
                     f"**{tp[1]:.2f}** ({tp[2]:.2f}–{tp[3]:.2f})" if tp else "–",
                     f"{tp[1] / tpl * 100:.0f}% of `{l}`" if tp and tpl else "–",
                     f"**{cr[1]:,.0f}** ({cr[2]:,.0f}–{cr[3]:,.0f})" if cr else "–",
                     f"{cr[1] / crl * 100:.0f}%" if cr and crl else "–"])
    return table(["path", "n", "Gbit/s median (p10–p90)", "vs limit", "connections/s", "vs limit"], rows)


def sec_e(run):
    scen = "e_perport"
    tools = run.tools(scen)
    if not tools:
        return None
    lis = {c[1]: c[3] for c in run.checks if c[0] == scen and c[2] == "listeners"}
    rows = []
    for t in tools:
        g = lambda m: run.med(scen, t, m)
        lst = lis.get(t, "")
        lst = re.sub(r"^with \d+ ports: ", "", lst).replace(" (host netns, ss -ltnp)", "")
        rows.append([TOOL_NAMES.get(t, t), f"{g('procs_per_port'):.2f}" if g('procs_per_port') is not None else "–",
                     f"{g('listen_per_port'):.2f}" if g('listen_per_port') is not None else "–",
                     f"{abs(g('rss_kb_per_port')) if abs(g('rss_kb_per_port')) < 0.5 else g('rss_kb_per_port'):,.0f}"
                     if g('rss_kb_per_port') is not None else "–", lst or "none"])
    return table(["tool", "processes / port", "listening sockets / port", "resident kB / port",
                  "listeners with 101 ports"], rows)


def sec_f(run):
    out = []
    names = [k[2] for k in run.summ if k[0] == "f_inproc"]
    if names:
        seen = []
        for k in run.summ:
            if k[0] == "f_inproc" and k[2] not in seen:
                seen.append(k[2])
        rows = [[n, cell(run.get("f_inproc", "ctrlink", n)), run.get("f_inproc", "ctrlink", n)[0]] for n in seen]
        out.append("In-process (`bench_ops`, the library called from C, no CLI):\n\n" +
                   table(["measurement", "ms: median (p10–p90)", "n"], rows))
    cg = run.metrics("f_callgrind")
    if cg:
        order = ["ctr_create", "ctr_start", "ctr_inspect", "ctr_list", "ctr_publish_1", "ctr_unpublish_1",
                 "ctr_publish_range1000", "ctr_unpublish_range1000", "ctr_link", "ctr_unlink", "ctr_stop",
                 "ctr_remove"]
        label = {"ctr_publish_1": "ctr_publish_port, 1 port", "ctr_unpublish_1": "ctr_unpublish_port, 1 port",
                 "ctr_publish_range1000": "ctr_publish_port, 1000-port range",
                 "ctr_unpublish_range1000": "ctr_unpublish_port, 1000-port range"}
        others = [t for t in run.tools("f_callgrind") if t.startswith("ctrlink_k")]
        rows = []
        for m in sorted(cg, key=lambda x: order.index(x) if x in order else 99):
            a = run.med("f_callgrind", "ctrlink", m)
            r = [label.get(m, m), f"{a:,.0f}" if a is not None else "–"]
            for o in others:
                b = run.med("f_callgrind", o, m)
                r += [f"{b:,.0f}" if b is not None else "–", ratio(b, a)]
            rows.append(r)
        head = ["call", "instructions (Ir), alone"]
        for o in others:
            head += [f"with {o[len('ctrlink_k'):]} other containers running", "×"]
        out.append("Instructions per call (callgrind, inclusive, this process only; deterministic, so "
                   "a regression shows even on a noisy machine):\n\n" + table(head, rows))
        p = os.path.join(run.dir, "f_callgrind.txt")
        if os.path.exists(p):
            top = open(p).read().split("# where they go", 1)
            if len(top) == 2:
                lines = [l for l in top[1].splitlines()[1:] if re.match(r"\s*[\d,]+ \(", l)][:10]
                if lines:
                    out.append("Where those instructions go (self cost, all the calls above together):\n\n```\n"
                               + "\n".join(lines) + "\n```")
    return "\n\n".join(out) if out else None


def g_levels(run, scen="g_pubscale"):
    return sorted({int(m.rsplit("_", 1)[1]) for m in run.metrics(scen) if "_at_" in m})


def sec_g(run):
    scen = "g_pubscale"
    tools = run.tools(scen)
    if not tools:
        return None
    levels = g_levels(run)
    ops = ["publish1", "unpublish1", "publish1own", "unpublish1own", "publish10k", "unpublish10k",
           "run1", "rm1", "run10k", "rm10k"]
    label = {"publish1": "publish 1 port (`ctrlink publish probe 65000:80`)",
             "unpublish1": "unpublish it",
             "publish1own": "publish 1 port on the last filler (≤10,000 ports of its own)",
             "unpublish1own": "unpublish it",
             "publish10k": "publish 10,000 ports in one call (52000-61999)",
             "unpublish10k": "unpublish them",
             "run1": "new container with 1 port, until an answer",
             "rm1": "remove it",
             "run10k": "new container with 10,000 ports (one range), until an answer",
             "rm10k": "remove it"}
    rows = []
    for t in tools:
        for fill in ("ranges", "singles"):
            for op in ops:
                meds = [run.get(scen, t, f"{op}_{fill}_at_{L:05d}") for L in levels]
                if not any(meds):
                    continue
                first = next((m[1] for m in meds if m), None)
                last = meds[-1][1] if meds[-1] else None
                rows.append([TOOL_NAMES.get(t, t), fill, label[op]] + [cell(m) for m in meds] +
                            [ratio(last, first)])
    return table(["tool", "fill", "operation"] + [f"N={L:,}" for L in levels] + ["last / first"], rows,
                 ["---", "---", "---"] + ["---:"] * (len(levels) + 1))


# ------------------------------------------------------------------------------- targets
def verdict(ok):
    if ok is None:
        return "not measured"
    return "**met**" if ok else "**not met**"


def targets(run):
    out = []
    a_cli = run.med("a_single", "ctrlink", "setup_ms")
    a_lib = run.med("f_inproc", "ctrlink", "single: create+start+answer")
    if a_cli is not None or a_lib is not None:
        peers = [(t, run.med("a_single", t, "setup_ms")) for t in run.tools("a_single")
                 if not t.startswith("ctrlink") and t != "floor"]
        peers = ", ".join(f"{t} {fms(m)} ms ({ratio(m, a_cli)})" for t, m in peers if m)
        more = "".join(f", {TOOL_NAMES[t]} {fms(m)} ms" for t in ("ctrlink_ipt", "ctrlink_nft")
                       for m in [run.med("a_single", t, "setup_ms")] if m)
        out.append(f"- **(a) under 10 ms** for create + start + answer through the published port: "
                   f"CLI {fms(a_cli)} ms ({verdict(None if a_cli is None else a_cli < 10)}{more}), "
                   f"in-process {fms(a_lib)} ms ({verdict(None if a_lib is None else a_lib < 10)}). "
                   f"Peers in the same run: {peers or 'none ran'}.")
    b_cli = run.med("b_range", "ctrlink", "setup_ms")
    b_lib = run.med("f_inproc", "ctrlink", "publish a 1000-port range (running)")
    if b_cli is not None or b_lib is not None:
        peers = [(t, run.med(s, t, "setup_ms")) for s in ("b_range", "b_range_slow")
                 for t in run.tools(s) if not t.startswith("ctrlink")]
        peers = ", ".join(f"{t} {fms(m)} ms" for t, m in peers if m)
        b_run = run.med("b_range", "ctrlink", "publish_running_ms")
        out.append(f"- **(b) under 5 ms** to publish a 1000-port range: in-process `ctr_publish_port` on a "
                   f"running container {fms(b_lib)} ms ({verdict(None if b_lib is None else b_lib < 5)}); "
                   f"`ctrlink publish` (CLI) on a running container {fms(b_run)} ms; a whole "
                   f"container with the range through the CLI, until an answer on its last port: {fms(b_cli)} ms. "
                   f"Peers (whole container or network setup with the range): {peers or 'none ran'}.")
    cl = sorted({int(m.rsplit("_", 1)[1]) for m in run.metrics("c_scale") if m.startswith("setup_ms_at_")})
    top = f"{cl[-1]:04d}" if cl else "0500"
    c1 = run.med("c_scale", "ctrlink", "setup_ms_at_0001")
    c5 = run.med("c_scale", "ctrlink", f"setup_ms_at_{top}")
    l1 = run.med("f_inproc", "ctrlink", "with 1 running: create+start+answer")
    l5 = run.med("f_inproc", "ctrlink", "with 500 running: create+start+answer")
    if c1 and c5 or l1 and l5:
        parts = []
        for t in ("ctrlink", "ctrlink_ipt", "ctrlink_nft"):
            a, b = run.med("c_scale", t, "setup_ms_at_0001"), run.med("c_scale", t, f"setup_ms_at_{top}")
            if a and b:
                parts.append(f"{'CLI' if t == 'ctrlink' else TOOL_NAMES[t]} {fms(a)} → {fms(b)} ms at "
                             f"{int(top)} = {ratio(b, a)} ({verdict(b / a <= 1.2 and b < 10)})")
        if l1 and l5:
            parts.append(f"in-process {fms(l1)} → {fms(l5)} ms at 500 = {ratio(l5, l1)} "
                         f"({verdict(l5 / l1 <= 1.2 and l5 < 10)})")
        peers = []
        for t in run.tools("c_scale"):
            if t.startswith("ctrlink"):
                continue
            a, b = run.med("c_scale", t, "setup_ms_at_0001"), run.med("c_scale", t, f"setup_ms_at_{top}")
            if a and b:
                peers.append(f"{t} {ratio(b, a)} ({fms(a)} → {fms(b)} ms)")
        out.append("- **(c) within 1.2× at 500 running containers, and under 10 ms**: " + "; ".join(parts) +
                   f". Peers' ratio in the same run: {', '.join(peers) or 'none ran'}.")
    d = run.med("d_throughput", "cli_ctrlink_dnat", "throughput")
    dl = run.med("d_throughput", "cli_routed_direct", "throughput")
    h = run.med("d_throughput", "host_ctrlink_dnat", "throughput")
    hl = run.med("d_throughput", "host_ctrlink_direct", "throughput")
    dp = run.med("d_throughput", "cli_docker_proxy", "throughput")
    if d and dl:
        dn = run.med("d_throughput", "cli_ctrlinknft_dnat", "throughput")
        hn = run.med("d_throughput", "host_ctrlinknft_dnat", "throughput")
        hnl = run.med("d_throughput", "host_ctrlinknft_direct", "throughput")
        out.append(f"- **(d) at least 97%** of the no-NAT throughput: iptables backend, forwarded path "
                   f"{d / dl * 100:.0f}% ({verdict(d / dl >= 0.97)}), from the host itself "
                   + (f"{h / hl * 100:.0f}% ({verdict(h / hl >= 0.97)})" if h and hl else "–")
                   + (f"; nftables backend, forwarded {dn / dl * 100:.0f}% ({verdict(dn / dl >= 0.97)})" if dn else "")
                   + (f", from the host {hn / hnl * 100:.0f}% ({verdict(hn / hnl >= 0.97)})" if hn and hnl else "")
                   + (f"; docker-proxy on the forwarded path {dp / dl * 100:.0f}%" if dp else "")
                   + ". Single-stream iperf3 on this VM varies by ±10% from run to run: see the p10–p90.")
    pp = run.med("e_perport", "ctrlink", "procs_per_port")
    lp = run.med("e_perport", "ctrlink", "listen_per_port")
    if pp is not None:
        out.append(f"- **(e) zero processes and zero sockets per published port**: {pp:.2f} processes, "
                   f"{lp:.2f} listening sockets per port ({verdict(pp == 0 and lp == 0)}).")
    levels = g_levels(run)
    for t in ("ctrlink", "ctrlink_ipt", "ctrlink_nft"):
        for fill in ("ranges", "singles"):
            ms = [(L, run.med("g_pubscale", t, f"publish1_{fill}_at_{L:05d}")) for L in levels]
            ms = [(L, m) for L, m in ms if m]
            if len(ms) >= 2:
                out.append(f"- **(issue 8) marginal cost of one more port** ({t}, {fill}): " +
                           ", ".join(f"{fms(m)} ms at {L:,}" for L, m in ms) +
                           f" — {ratio(ms[-1][1], ms[0][1])} from {ms[0][0]:,} to {ms[-1][0]:,}.")
    if any(c[1] == "ctrlink_nft" and c[2] == "init" and "failed" in c[3] for c in run.checks) and \
            not any(k[1] == "ctrlink_nft" for k in run.summ):
        out.append("- The nftables backend (`--nat-backend nftables`) did not work in this build "
                   "(`ctrlink --nat-backend nftables` failed the probe), so it was skipped; the harness "
                   "measures it as `ctrlink_nft` as soon as it does.")
    return "\n".join(out)


# ------------------------------------------------------------------------------- plots
def plot(run, plotdir, tag=""):
    made = []
    pdir = os.path.join(run.dir, "plots")
    os.makedirs(pdir, exist_ok=True)
    # (c) setup vs containers running
    series = []
    for t in run.tools("c_scale"):
        pts = []
        for m in run.metrics("c_scale", t):
            if m.startswith("setup_ms_at_"):
                s = run.get("c_scale", t, m)
                pts.append((int(m.rsplit("_", 1)[1]), s[1], s[2], s[3]))
        if pts:
            series.append((TOOL_NAMES.get(t, t), sorted(pts)))
    lib = []
    for L in (1, 100, 500):
        s = run.get("f_inproc", "ctrlink", f"with {L} running: create+start+answer")
        if s:
            lib.append((L, s[1], s[2], s[3]))
    if lib:
        series.insert(1, ("ctrlink library, in-process (bench_ops)", lib))
    if series:
        made.append(gnuplot(series, os.path.join(plotdir, "perf-scale.png"), pdir, "scale",
                            "Create + start + answer with N containers already running (median, p10–p90)",
                            "containers already running", "ms (log scale)", logx=False))
    # (g) publish cost vs ports published
    series = []
    for t in run.tools("g_pubscale"):
        for fill in ("ranges", "singles"):
            for op, lab in (("publish1", "publish 1 port on a running container"),
                            ("publish1own", "publish 1 port on the container holding ≤10,000"),
                            ("run1", "new container with 1 port")):
                # ours: keep the plot readable (every series is in table (g))
                if t.startswith("ctrlink") and (op, fill) in (("publish1own", "ranges"), ("run1", "singles")):
                    continue
                pts = []
                for L in g_levels(run):
                    s = run.get("g_pubscale", t, f"{op}_{fill}_at_{L:05d}")
                    if s:
                        pts.append((L, s[1], s[2], s[3]))
                if pts:
                    series.append((f"{t}: {lab} ({fill})", pts))
    if series:
        made.append(gnuplot(series, os.path.join(plotdir, "perf-publish.png"), pdir, "publish",
                            "Cost of one more published port with N ports already published (median, p10–p90)",
                            "ports already published", "ms (log scale)", logx=True))
    return [m for m in made if m]


def gnuplot(series, png, pdir, name, title, xl, yl, logx):
    script = [f'set terminal pngcairo noenhanced size 1000,720 font "DejaVu Sans,10"',
              f'set output "{png}"', f'set title "{title}"', f'set xlabel "{xl}"', f'set ylabel "{yl}"',
              "set logscale y", "set grid", "set key below left Left reverse spacing 1.1",
              "set pointsize 1.2"]
    if logx:
        script.append("set logscale x")
    else:
        script.append("set xrange [-20:520]")
    plots = []
    for i, (lab, pts) in enumerate(series):
        f = os.path.join(pdir, f"{name}_{i}.dat")
        with open(f, "w") as fh:
            for x, m, lo, hi in pts:
                fh.write(f"{x} {m} {lo} {hi}\n")
        lab = lab.replace('"', "'")
        colors = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
                  "#666666", "#1f78b4", "#b2182b", "#000000", "#6a3d9a"]
        dash = 2 if "singles" in lab else 1
        plots.append(f'"{f}" using 1:2:3:4 with yerrorlines lw 2 dt {dash} pt {i % 12 + 1} '
                     f'lc rgb "{colors[i % len(colors)]}" title "{lab}"')
    script.append("plot " + ", ".join(plots))
    try:
        subprocess.run(["gnuplot"], input="\n".join(script), text=True, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return png
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"report: gnuplot failed for {png}: {getattr(e, 'stderr', e)}", file=sys.stderr)
        return None


# ------------------------------------------------------------------------------- output
SECTIONS = [
    ("a", "(a) One container, one published port: create + start until a client through the host port gets an answer; teardown", lambda r: sec_a(r)),
    ("b", "(b) One container publishing a 1000-port range (20000-20999), until an answer on its last port", lambda r: "\n\n".join(x for x in (sec_a(r, "b_range", FINDINGS_B), sec_a(r, "b_range_slow", FINDINGS_B)) if x) or None),
    ("c", "(c) (a) again with 1, 100 and 500 containers already running (each with its own published port)", sec_c),
    ("d", "(d) Data path through a published port: TCP throughput (iperf3, 1 stream) and connection rate", sec_d),
    ("e", "(e) Processes, listening sockets and memory per published port", sec_e),
    ("f", "(f) Our library's calls, in-process: time and instruction counts", sec_f),
    ("g", "(g) Publish cost as the number of ports already published grows (issue 8)", sec_g),
]


def failures(run):
    bad = [c for c in run.checks if "FAIL" in c[3] or "failed" in c[3] or "skipped" in c[3] or "warning" in c[3]]
    out = []
    for c in bad:
        line = f"- {c[0]} / {c[1]} / {c[2]}: {c[3]}"
        if line not in out:
            out.append(line)
    return out


def console(run):
    for key, title, fn in SECTIONS:
        t = fn(run)
        if t:
            print(f"\n## {title}\n\n{t}")
    t = targets(run)
    if t:
        print("\n## Targets\n\n" + t)
    f = failures(run)
    if f:
        print("\n## Checks that failed or were skipped\n\n" + "\n".join(f))


def doc(run, path, plotdir, notes):
    os.makedirs(plotdir, exist_ok=True)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    plots = plot(run, plotdir)
    rel = lambda p: os.path.relpath(p, os.path.dirname(os.path.abspath(path)))
    parts = ["# Performance", "",
             "<!-- Generated by bench/run.sh (bench/report.py) from the run named below; "
             "edit bench/perf-notes.md, not this file. -->", ""]
    parts.append("## The run these figures come from\n\n```\n" + run.meta.strip() + "\n```\n")
    loads = [float(x) for x in re.findall(r"load(?: after)? ([0-9.]+) [0-9.]+ [0-9.]+", run.meta)]
    warn = []
    if "--quick" in run.meta:
        warn.append("it is a `--quick` run (a few repetitions and small levels, to check the harness): "
                    "rerun `bench/run.sh` for the figures")
    idle = [int(x) for x in re.findall(r"settled: (\d+)% idle", run.meta)]
    if idle:  # the CPUs' idle share just before each scenario (the load average lags behind
        # and counts the benchmark's own work)
        if min(idle) < 85:
            warn.append(f"the CPUs were only {min(idle)}% idle before one of its scenarios: another "
                        "program was running, so times are noisier than on a quiet machine; the ratios "
                        "to ours, measured in the same run, suffer less, and the instruction counts "
                        "not at all")
    elif loads and max(loads) > 1.0:
        warn.append(f"the machine was busy with other work during it (1-minute load average up to "
                    f"{max(loads):.1f} on 2 CPUs), so times are noisier and slower than on a quiet machine; "
                    "the ratios to ours, measured in the same run, suffer less, and the instruction counts "
                    "not at all")
    if warn:
        parts.append("**Caveat: " + "; ".join(warn) + ".**\n")
    parts.append("## Where we stand against the targets (issue 9)\n\n" + targets(run) + "\n")
    if notes and os.path.exists(notes):
        parts.append(open(notes).read().strip() + "\n")
    for key, title, fn in SECTIONS:
        t = fn(run)
        if t:
            parts.append(f"## {title}\n\n{t}\n")
    if plots:
        parts.append("## Plots\n\n" + "\n\n".join(f"![{os.path.basename(p)}]({rel(p)})" for p in plots) + "\n")
    f = failures(run)
    if f:
        parts.append("## Checks that failed or were skipped in this run\n\n" + "\n".join(f) + "\n")
    ok = [c for c in run.checks if c[2] == "check" and c[3].startswith("ok")]
    if ok:
        parts.append("## Checks that passed (every timed setup also ended with an answer)\n\n" +
                     "\n".join(f"- {c[0]} / {c[1]}: {c[3]}" for c in ok) + "\n")
    with open(path, "w") as fh:
        fh.write("\n".join(parts))
    print(f"report: wrote {path}" + (f" and {', '.join(plots)}" if plots else ""), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--doc")
    ap.add_argument("--plots", default=None)
    ap.add_argument("--notes", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "perf-notes.md"))
    a = ap.parse_args()
    run = Run(a.results)
    console(run)
    if a.doc:
        doc(run, a.doc, a.plots or os.path.dirname(os.path.abspath(a.doc)), a.notes)


if __name__ == "__main__":
    main()
