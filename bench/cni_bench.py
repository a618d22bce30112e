#!/usr/bin/python3
"""CNI ADD and DEL time with one hostPort: ctrlink-portmap (nftables and iptables backends)
against the reference portmap plugin (Debian's containernetworking-plugins), with 1, 100 and
500 pods already published, in one run.

    bench/cni_bench.py [--build DIR] [--reps N] [--levels 1,100,500]

Each plugin runs in a private network + mount namespace of its own (tmpfs on /run), made by
re-executing this script under unshare: nothing is left on the host.  One real pod (a network
namespace attached by the bridge plugin) gives the bridge; the pods "already present" are
further ADDs of the plugin under test for other container IDs and addresses on that bridge
(their prevResult names the one real namespace), each with its own host port.  Then, per level,
N times: ADD of one more pod (timed), DEL of it (timed).  Medians are printed as a table and as
JSON (last line).  Run as root on a quiet machine; never run by CI.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REF = "/usr/lib/cni"
cpu = []  # CPU time (user + system) of each plugin call, children included


def run_plugin(path, command, conf, cid, netns, cni_path):
    env = {"CNI_COMMAND": command, "CNI_CONTAINERID": cid, "CNI_NETNS": netns,
           "CNI_IFNAME": "eth0", "CNI_PATH": cni_path, "PATH": os.environ["PATH"]}
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run([path], input=json.dumps(conf), capture_output=True, text=True, env=env)
    dt = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
    if p.returncode != 0:
        sys.exit(f"{os.path.basename(path)} {command} {cid} failed: {p.stdout} {p.stderr}")
    return dt, (json.loads(p.stdout) if p.stdout.strip() else None)


def inner(args):
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run"], check=True)
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    ours = os.path.join(args.build, "cni", "ctrlink-portmap")
    cni_path = f"{os.path.dirname(ours)}:{REF}"
    if args.plugin == "portmap":
        path, extra = os.path.join(REF, "portmap"), {}
    else:
        path, extra = ours, {"backend": args.plugin.split("_")[1]}
    base = {"cniVersion": "1.0.0", "name": "bench"}
    bridge = dict(base, type="bridge", bridge="cni0", isGateway=True, ipMasq=True,
                  hairpinMode=True,
                  ipam={"type": "host-local", "dataDir": "/run/ipam",
                        "ranges": [[{"subnet": "10.88.0.0/16", "gateway": "10.88.0.1"}]]})
    subprocess.run(["ip", "netns", "add", "pod"], check=True)
    netns = "/run/netns/pod"
    _, res = run_plugin(os.path.join(REF, "bridge"), "ADD", bridge, "real", netns, cni_path)

    def conf(i, port):
        prev = json.loads(json.dumps(res))
        prev["ips"][0]["address"] = f"10.88.{2 + i // 250}.{1 + i % 250}/16"
        return dict(base, type=os.path.basename(path), capabilities={"portMappings": True},
                    runtimeConfig={"portMappings": [{"hostPort": port, "containerPort": 80,
                                                     "protocol": "tcp"}]},
                    prevResult=prev, **extra)

    out = {}
    present = 0
    for level in args.levels:
        while present < level:
            run_plugin(path, "ADD", conf(present, 20000 + present), f"fill{present}", netns,
                       cni_path)
            present += 1
        adds, dels, add_cpu, del_cpu = [], [], [], []
        for r in range(args.reps):
            c = conf(1000, 30000)
            dt, _ = run_plugin(path, "ADD", c, "probe", netns, cni_path)
            adds.append(dt)
            add_cpu.append(cpu[-1])
            dt, _ = run_plugin(path, "DEL", c, "probe", netns, cni_path)
            dels.append(dt)
            del_cpu.append(cpu[-1])
        # instructions of one ADD and one DEL (callgrind: the same on a busy machine)
        ir = {}
        if args.callgrind:
            for cmd in ("ADD", "DEL"):
                env = {"CNI_COMMAND": cmd, "CNI_CONTAINERID": "probe", "CNI_NETNS": netns,
                       "CNI_IFNAME": "eth0", "CNI_PATH": cni_path, "PATH": os.environ["PATH"]}
                p = subprocess.run(["valgrind", "--tool=callgrind",
                                    "--callgrind-out-file=/dev/null", path],
                                   input=json.dumps(conf(1000, 30000)), capture_output=True,
                                   text=True, env=env)
                m = [l for l in p.stderr.splitlines() if "Collected :" in l]
                ir[cmd.lower() + "_ir"] = int(m[0].split()[-1]) if m and p.returncode == 0 \
                    else None
        out[level] = {**ir, "add_ms": statistics.median(adds) * 1000,
                      "del_ms": statistics.median(dels) * 1000,
                      "add_cpu_ms": statistics.median(add_cpu) * 1000,
                      "del_cpu_ms": statistics.median(del_cpu) * 1000}
    print(json.dumps(out))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"))
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--levels", default="1,100,500")
    ap.add_argument("--callgrind", action="store_true",
                    help="also count the instructions of one ADD and DEL per level")
    ap.add_argument("--plugin", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.build = os.path.abspath(args.build)
    args.levels = [int(x) for x in args.levels.split(",")]
    if args.inner:
        return inner(args)
    results = {}
    for plugin in ("ctrlink_nftables", "ctrlink_iptables", "portmap"):
        p = subprocess.run(["unshare", "-n", "-m", sys.executable, os.path.abspath(__file__),
                            "--inner", "--plugin", plugin, "--build", args.build,
                            "--reps", str(args.reps), *(["--callgrind"] if args.callgrind else []),
                            "--levels", ",".join(map(str, args.levels))],
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"{plugin}: {p.stdout}{p.stderr}")
        results[plugin] = {int(k): v for k, v in json.loads(p.stdout.splitlines()[-1]).items()}
    lv = args.levels
    print(f"CNI ADD / DEL with one hostPort, medians of {args.reps} (ms), pods already present:")
    print("| plugin | " + " | ".join(f"ADD @{n}" for n in lv) + " | ADD @" + str(lv[-1]) +
          " ÷ @" + str(lv[0]) + " | " + " | ".join(f"DEL @{n}" for n in lv) + " |")
    print("|---" * (2 * len(lv) + 2) + "|")
    for plugin, r in results.items():
        print(f"| {plugin} | " + " | ".join(f"{r[n]['add_ms']:.1f}" for n in lv) +
              f" | {r[lv[-1]]['add_ms'] / r[lv[0]]['add_ms']:.2f}× | " +
              " | ".join(f"{r[n]['del_ms']:.1f}" for n in lv) + " |")
    print("CPU time (user + system, the plugin and what it runs), medians (ms):")
    print("| plugin | " + " | ".join(f"ADD @{n}" for n in lv) + " | " +
          " | ".join(f"DEL @{n}" for n in lv) + " |")
    print("|---" * (2 * len(lv) + 1) + "|")
    for plugin, r in results.items():
        print(f"| {plugin} | " + " | ".join(f"{r[n]['add_cpu_ms']:.1f}" for n in lv) + " | " +
              " | ".join(f"{r[n]['del_cpu_ms']:.1f}" for n in lv) + " |")
    if args.callgrind:
        print("Instructions of one call (callgrind, the plugin process only), millions:")
        print("| plugin | " + " | ".join(f"ADD @{n}" for n in lv) + " | " +
              " | ".join(f"DEL @{n}" for n in lv) + " |")
        print("|---" * (2 * len(lv) + 1) + "|")
        for plugin, r in results.items():
            f = lambda v: f"{v / 1e6:.1f}" if v else "-"
            print(f"| {plugin} | " + " | ".join(f(r[n].get("add_ir")) for n in lv) + " | " +
                  " | ".join(f(r[n].get("del_ir")) for n in lv) + " |")
    pm = results["portmap"]
    for plugin in ("ctrlink_nftables", "ctrlink_iptables"):
        print(f"portmap ÷ {plugin}, ADD: " + ", ".join(
            f"@{n} {pm[n]['add_ms'] / results[plugin][n]['add_ms']:.1f}×" for n in lv))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
