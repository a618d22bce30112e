#!/bin/bash
# The benchmark's one entry point: installs what it needs, builds us in release mode in
# bench/build, runs every scenario for us (ctrlink) and for each peer that is present, inside
# namespaces that each scenario creates and removes, prints the tables, keeps the raw
# results in bench/results/<UTC time>/ and, after a full run, regenerates
# doc/performance.md and doc/perf-*.png.  Never run by CI.  Run as root.
#
#   bench/run.sh [options]
#     -s "a b c d e f g"  scenarios (default all):
#                         a  one container + one published port, until an answer; teardown
#                         b  a 1000-port range (c slow peers: CNI, docker without proxy, 1 rep)
#                         c  (a) with 1, 100 and 500 containers already running
#                         d  throughput and connection rate through a published port
#                         e  processes, listening sockets and memory per published port
#                         f  our calls in-process (bench_ops) + callgrind instruction counts
#                         g  publish cost with 10 .. 50,000 ports already published (issue 8)
#                         x  extras, not in the default: the cost of one DNAT rule with the
#                            system's tools (rules.sh), programs each tool execs (execs.sh)
#     -t "TOOLS"          only these tools (default: each scenario's own list; names:
#                         ctrlink ctrlink_ipt ctrlink_nft netavark cni podman docker
#                         docker_noproxy nspawn lxc; ctrlink is the default NAT backend,
#                         ctrlink_ipt / ctrlink_nft name one)
#     -r N / -p N         repetitions for ctrlink / for the peers (default: per scenario)
#     --quick             a few repetitions and small levels: checks the harness (~5 min)
#     --no-install        do not apt-get anything
#     --doc / --no-doc    regenerate doc/performance.md (default: only after a full run)
#     -o DIR              results directory (default bench/results/<UTC time>)
#
# Defaults take about 30-45 minutes on the 2-core VM; most of it is the peers filling up to
# 500 containers in (c).  Run it when the machine is otherwise quiet (load well under 1):
# the load before and after each scenario is recorded with the results.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH_DIR/.." && pwd)
PEERS=$BENCH_DIR/peers

ARGS="$*"
SCEN="a b c d e f g" TOOLS_ONLY="" R="" P="" QUICK="" INSTALL=1 DOC=auto OUT=""
while [ $# -gt 0 ]; do
    case $1 in
        -s) SCEN=$2; shift 2 ;;
        -t) TOOLS_ONLY=$2; shift 2 ;;
        -r) R=$2; shift 2 ;;
        -p) P=$2; shift 2 ;;
        -o) OUT=$2; shift 2 ;;
        --quick) QUICK=1; shift ;;
        --no-install) INSTALL=""; shift ;;
        --doc) DOC=1; shift ;;
        --no-doc) DOC=""; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "run.sh: run as root (namespaces, iptables)" >&2; exit 1; }
full=1
[ "$SCEN" = "a b c d e f g" ] && [ -z "$TOOLS_ONLY" ] && [ -z "$QUICK" ] || full=""
[ "$DOC" = auto ] && DOC=$full

stamp=$(date -u +%Y%m%dT%H%M%SZ)
export RESULTS_DIR=${OUT:-$BENCH_DIR/results/$stamp}
mkdir -p "$RESULTS_DIR/logs"
ln -sfn "$RESULTS_DIR" "$BENCH_DIR/results/latest" 2>/dev/null || true
: > "$RESULTS_DIR/samples.tsv"; : > "$RESULTS_DIR/checks.tsv"

# ---- the host's own state, compared after the run (nothing here may change it)
host_state() {
    set +o pipefail
    {
        echo "## iptables-legacy"; iptables-legacy-save 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
        echo "## iptables-nft"; iptables-nft-save 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//'
        echo "## nft"; nft list ruleset 2>/dev/null
        echo "## links"; ip -o link | sed 's/ *link\/.*//'
        echo "## addresses"; ip -o addr | awk '{print $2, $3, $4}'
        echo "## routes"; ip route
    } || true
    set -o pipefail
}
host_state > "$RESULTS_DIR/host.before"

# ---- install, build
if [ -n "$INSTALL" ]; then "$PEERS/setup.sh"; else "$PEERS/setup.sh" --no-install; fi

load() { cut -d' ' -f1-3 /proc/loadavg; }
{
    echo "results:  bench/results/$(basename "$RESULTS_DIR")"
    echo "started:  $(date -u +%FT%TZ)"
    echo "command:  bench/run.sh${ARGS:+ $ARGS}"
    echo "machine:  $(nproc) CPUs ($(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)), $(free -g | awk '/Mem:/{print $2}') GiB, kernel $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME")"
    echo "load:     $(load) at the start (1, 5, 15 min)"
    echo "ours:     default NAT backend $(CTRLINK_BUILD="$BENCH_DIR/build" unshare --net --mount --propagation private sh -c '/usr/bin/python3 "$1" /run && "$0" info -f "{{.NatBackend}}"' "$BENCH_DIR/build/examples/ctrlink/ctrlink" "$TOP/tests/private.py" 2>/dev/null || echo '?') (ctrlink); ctrlink_ipt / ctrlink_nft: --nat-backend iptables / nftables"
    echo "us:       $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$TOP" diff --quiet HEAD -- lib include examples 2>/dev/null || echo ' + uncommitted changes in lib/include/examples'), meson --buildtype=release in bench/build"
    echo "peers:    $(dpkg-query -W -f '${Package} ${Version}, ' docker.io podman netavark containernetworking-plugins systemd-container lxc runc iperf3 2>/dev/null | sed 's/, $//')"
} > "$RESULTS_DIR/meta.txt"
cat "$RESULTS_DIR/meta.txt"
l1=$(cut -d' ' -f1 /proc/loadavg)
if awk -v l="$l1" 'BEGIN{exit !(l > 1.0)}'; then
    echo "run.sh: WARNING: load average $l1: the machine is busy, figures will be noisy" | tee -a "$RESULTS_DIR/meta.txt" >&2
fi

# only TOOLS from a scenario's default list (all of it without -t)
pick() { local t out=""; for t in "$@"; do if [ -z "$TOOLS_ONLY" ] || [[ " $TOOLS_ONLY " == *" $t "* ]]; then out+="$t "; fi; done; echo "$out"; }
# settle: before a scenario, wait (at most 5 min) until the CPUs are >= 85% idle over 5 s:
# the kernel's deferred cleanup after hundreds of containers (netns, cgroups) must not be
# measured as the next scenario's noise
idle_pct() {
    local a b
    read -ra a < /proc/stat; sleep 5; read -ra b < /proc/stat
    local ta=0 tb=0 i
    for i in 1 2 3 4 5 6 7 8; do ta=$((ta + a[i])); tb=$((tb + b[i])); done
    echo $(( 100 * ((b[4] + b[5]) - (a[4] + a[5])) / (tb - ta > 0 ? tb - ta : 1) ))
}
settle() {
    local t0 p; t0=$(date +%s)
    while p=$(idle_pct) && [ "$p" -lt 85 ] && [ $(( $(date +%s) - t0 )) -lt 300 ]; do :; done
    echo "    (settled: ${p}% idle after $(( $(date +%s) - t0 )) s)" | tee -a "$RESULTS_DIR/meta.txt"
}
scen() { # NAME CMD...: run one scenario script, log, time it
    local name=$1 t0 rc=0; shift
    settle
    t0=$(date +%s)
    echo "### $(date -u +%T) $name: $* (load $(load))" | tee -a "$RESULTS_DIR/meta.txt"
    "$@" 2> >(tee "$RESULTS_DIR/logs/$name.log" >&2) > "$RESULTS_DIR/logs/$name.out" || rc=$?
    echo "    $name: $(( $(date +%s) - t0 )) s, exit $rc, load after $(load)" | tee -a "$RESULTS_DIR/meta.txt"
}
has() { [[ " $SCEN " == *" $1 "* ]]; }
q() { if [ -n "$QUICK" ]; then echo "$1"; else echo "$2"; fi; }   # q QUICK-VALUE FULL-VALUE

tools_a=$(pick ctrlink ctrlink_ipt ctrlink_nft netavark cni podman docker docker_noproxy nspawn lxc)
tools_b=$(pick ctrlink ctrlink_ipt ctrlink_nft netavark podman nspawn)
tools_b_slow=$(pick cni docker_noproxy)
tools_c=$(pick ctrlink ctrlink_ipt ctrlink_nft netavark cni podman docker_noproxy)
tools_e=$(pick ctrlink docker docker_noproxy podman netavark cni nspawn)
tools_g=$(pick ctrlink_ipt ctrlink_nft netavark podman docker_noproxy)

if has a && [ -n "$tools_a" ]; then
    PEER_REPS=${P:-$(q 2 10)} scen a_single "$PEERS/a_single.sh" "${R:-$(q 4 25)}" $tools_a
fi
if has b; then
    [ -n "$tools_b" ] && PEER_REPS=${P:-$(q 1 5)} scen b_range "$PEERS/b_range.sh" "${R:-$(q 2 15)}" $tools_b
    if [ -z "$QUICK" ] && [ -n "$tools_b_slow" ]; then
        NO_WARMUP=1 NAME=b_range_slow SPEC=20000-20999:20000-20999 PEER_REPS=1 \
            scen b_range_slow "$PEERS/a_single.sh" 1 $tools_b_slow
    fi
fi
if has c && [ -n "$tools_c" ]; then
    LEVELS=$(q "1 20" "1 100 500") PEER_REPS=${P:-$(q 1 5)} scen c_scale "$PEERS/c_scale.sh" "${R:-$(q 2 10)}" $tools_c
fi
# shellcheck disable=SC2046  # (word splitting intended: lists of arguments)
has d && scen d_throughput "$PEERS/d_throughput.sh" $(q "1 2 1" "4 4 2")
if has e && [ -n "$tools_e" ]; then scen e_perport "$PEERS/e_perport.sh" $tools_e; fi
if has f; then
    scen f_inproc "$PEERS/f_inproc.sh" "${R:-$(q 2 10)}" single calls range publish own scale
    scen f_callgrind "$BENCH_DIR/callgrind.sh" "$(q 1 5)"
fi
if has g && [ -n "$tools_g" ]; then
    LEVELS=$(q "10 1000" "10 1000 10000 50000") PEER_REPS=${P:-$(q 1 3)} \
        scen g_pubscale "$PEERS/g_pubscale.sh" "${R:-$(q 2 7)}" $tools_g
fi
if has x; then
    scen x_rules "$PEERS/rules.sh" "$(q 3 25)"
    # shellcheck disable=SC2046
    scen x_execs "$PEERS/execs.sh" $(pick ctrlink netavark cni podman docker_noproxy)
fi
echo "finished: $(date -u +%FT%TZ), load $(load)" >> "$RESULTS_DIR/meta.txt"

# ---- the host must be as it was
host_state > "$RESULTS_DIR/host.after"
if diff -u "$RESULTS_DIR/host.before" "$RESULTS_DIR/host.after" > "$RESULTS_DIR/host.diff"; then
    echo "host:     links, addresses, routes, iptables-legacy, iptables-nft and nft rulesets unchanged by the run" | tee -a "$RESULTS_DIR/meta.txt"
else
    echo "host:     WARNING: the host's state differs after the run (another process, or a leak): see host.diff" | tee -a "$RESULTS_DIR/meta.txt" >&2
fi

echo
/usr/bin/python3 "$BENCH_DIR/report.py" "$RESULTS_DIR" | tee "$RESULTS_DIR/report.md"
if [ -n "$DOC" ]; then
    /usr/bin/python3 "$BENCH_DIR/report.py" "$RESULTS_DIR" --doc "$TOP/doc/performance.md" --plots "$TOP/doc" >/dev/null
fi
echo "results in $RESULTS_DIR"
