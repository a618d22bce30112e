# shellcheck shell=bash
# Common helpers of the benchmark scenarios (sourced, not run).
#
# Safety model.  Every scenario script re-executes itself inside
#   unshare --net --mount --propagation private --pid --fork --mount-proc
# so that every interface, route, iptables/nft rule, /run/netns entry and state directory
# lives in namespaces that die with the script: a fresh tmpfs is mounted on /run (so
# /run/netns, /run/ctrlink, /run/docker, /run/containers, /run/lxc, /run/xtables.lock ... are
# private), and the script is PID 1 of its own PID namespace, so that when it ends the kernel
# ends every process it started, daemons that double-forked away (ctr-monitor, conmon,
# containerd-shim, the LXC monitor) included.  As a second line of defence the wrapper then
# ends anything still living in the script's network namespace, and removes the cgroup
# directories (docker/, libpod_parent/, lxc.*, payload/, supervisor/) and the on-disk state
# directories (/var/lib/containers, /var/lib/cni, ...) that the run created.
# Nothing here touches the host's own interfaces or firewall: all traffic goes to addresses
# inside these namespaces.

set -u
PEERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_DIR=$(cd "$PEERS_DIR/.." && pwd)
BENCH_BUILD=${BENCH_BUILD:-$BENCH_DIR/build}
RESULTS_DIR=${RESULTS_DIR:-$BENCH_DIR/results/manual}
NETAVARK=${NETAVARK:-/usr/lib/podman/netavark}
CNI_PATH_DIR=${CNI_PATH_DIR:-/usr/lib/cni}
ROOTFS_TAR=${ROOTFS_TAR:-$BENCH_BUILD/extra/rootfs.tar}
CTRLINK=${CTRLINK:-$BENCH_BUILD/examples/ctrlink/ctrlink}
TINYSRV=${TINYSRV:-$BENCH_BUILD/bench/tinysrv}
NETPROBE=${NETPROBE:-$BENCH_BUILD/bench/netprobe}

# state dirs some tools create on the real filesystem despite private dirs;
# removed after the run if they did not exist before it
HOST_STATE_DIRS="/var/lib/containers /var/lib/cni /var/lib/docker /var/lib/lxc/lock /etc/cni/net.d"

# ---------------------------------------------------------------- namespaces
# enter_private_ns "$@": call at the top of a script; re-execs it in fresh namespaces, then
# (outside) sweeps leftovers and exits with the script's status.
enter_private_ns() {
    if [ "${PEERS_IN_NS:-}" = 1 ]; then
        ns_prepare
        return 0
    fi
    local script; script=$(readlink -f "$0")
    local before; before=$(cgroup_snapshot)
    local mark; mark=$(mktemp /tmp/ctrlink-bench-nsmark.XXXXXX)
    local p created=()
    for p in $HOST_STATE_DIRS; do [ -e "$p" ] || created+=("$p"); done
    local work; work=$(mktemp -d /tmp/ctrlink-bench.XXXXXX)
    mkdir -p "$RESULTS_DIR"
    PEERS_IN_NS=1 PEERS_NSMARK=$mark WORK=$work RESULTS_DIR=$RESULTS_DIR \
        unshare --net --mount --propagation private --pid --fork --mount-proc bash "$script" "$@"
    local rc=$?
    sweep_leftovers "$mark" "$before"
    for p in "${created[@]}"; do [ -e "$p" ] && { echo "sweep: removing $p (created by the run)" >&2; rm -rf "$p"; }; done
    rm -f "$mark"
    [ -n "${PEERS_KEEP_WORK:-}" ] || rm -rf --one-file-system "$work"
    exit $rc
}

# inside the namespaces: private /run, a sysfs that shows this netns' interfaces (LXC and
# docker read /sys/class/net), loopback up, the "public" host address, the answer waiter.
ns_prepare() {
    # (a checkout under /run stays visible where it is: tests/private.py)
    /usr/bin/python3 "$BENCH_DIR/../tests/private.py" --source bench-run /run "" \
        "$BENCH_BUILD" "$RESULTS_DIR"
    mkdir -p /run/netns /run/lock /run/bench-sysfs
    mount -t sysfs bench-sysfs /run/bench-sysfs
    mount --bind /run/bench-sysfs/class/net /sys/class/net
    mount --bind /run/bench-sysfs/devices/virtual/net /sys/devices/virtual/net
    ip link set lo up
    readlink /proc/self/ns/net > "$PEERS_NSMARK"
    export WORK RESULTS_DIR
    mkdir -p "$RESULTS_DIR"
    # if interrupted, stop the tool that is running (containers, daemons); the PID
    # namespace then ends whatever is left when this script (its PID 1) exits
    trap '[ -n "${CUR_DRV:-}" ] && { "${CUR_DRV}_fini" >/dev/null 2>&1; CUR_DRV=; }' EXIT
    trap 'exit 143' TERM INT
}

# reset_net_state: make the private netns clean between tools (all of this is inside our
# own namespaces): drop container netns, bridges, all rules.
reset_net_state() {
    local n b t
    for n in $(ip netns list 2>/dev/null | awk '{print $1}'); do ip netns del "$n" 2>/dev/null; done
    for b in podman0 cni0 docker0 lxbr0 br0 ctrlink0; do ip link del "$b" 2>/dev/null; done
    nft flush ruleset 2>/dev/null
    for t in nat filter mangle raw; do iptables-legacy -t $t -F 2>/dev/null; iptables-legacy -t $t -X 2>/dev/null; done
    rm -rf /run/ctrlink
    return 0
}

cgroup_snapshot() {
    find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -type d 2>/dev/null | sort
}

# outside the namespaces, after the script: end processes still living in our (now
# otherwise unused) netns, remove cgroup dirs that appeared during the run.
sweep_leftovers() {
    local mark=$1 before=$2 nsid pid p
    nsid=$(cat "$mark" 2>/dev/null)
    if [ -n "$nsid" ]; then
        for p in /proc/[0-9]*; do
            pid=${p#/proc/}
            [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$nsid" ] || continue
            echo "sweep: ending leftover pid $pid ($(tr '\0' ' ' < "$p/cmdline" 2>/dev/null | cut -c1-80))" >&2
            kill -9 "$pid" 2>/dev/null
        done
    fi
    local after d
    after=$(cgroup_snapshot)
    while read -r d; do
        [ -n "$d" ] || continue
        case "$d" in
            */docker|*/libpod_parent|*/lxc.pivot|*/lxc.payload*|*/lxc.monitor*|*/payload|*/supervisor) ;;
            *) continue ;;
        esac
        # container payloads still in a cgroup that this run created: they are ours
        for pid in $(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null | sort -u); do
            echo "sweep: ending leftover pid $pid in $d ($(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-60))" >&2
            kill -9 "$pid" 2>/dev/null
        done
        sleep 0.2
        find "$d" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
        rmdir "$d" 2>/dev/null || echo "sweep: could not remove cgroup $d" >&2
    done < <(comm -13 <(echo "$before") <(echo "$after"))
}

# ---------------------------------------------------------------- timing
# tick; COMMAND; tock TOOL METRIC   -- no fork inside the timed region apart from the
# command itself (fork+exec costs 1-5 ms on this VM, so $(date +%s%N) style timing would
# add it)
tick() { T0=${EPOCHREALTIME/./}; }
tock() { local t=${EPOCHREALTIME/./}; record "$1" "$2" "$(( t - T0 ))"; }

# record TOOL METRIC VALUE [UNIT]: one sample (default unit us) to $WORK/samples/TOOL__METRIC
# and to $RESULTS_DIR/samples.tsv (scenario, tool, metric, value, unit)
record() {
    [ -d "$WORK/samples" ] || mkdir -p "$WORK/samples"
    echo "$3" >> "$WORK/samples/$1__$2"
    printf '%s\t%s\t%s\t%s\t%s\n' "${SCENARIO:-x}" "$1" "$2" "$3" "${4:-us}" >> "$RESULTS_DIR/samples.tsv"
}

# note TOOL WHAT TEXT: a check result or remark, to $RESULTS_DIR/checks.tsv and stderr
note() {
    printf '%s\t%s\t%s\t%s\n' "${SCENARIO:-x}" "$1" "$2" "$3" >> "$RESULTS_DIR/checks.tsv"
    echo "   [$1] $2: $3" >&2
}

# stats FILE -> "n median p10 p90 min max" in ms of the microsecond samples in FILE
stats() {
    sort -g "$1" | awk '{v[NR]=$1/1000} END{
        if(NR==0){print "0 NA NA NA NA NA"; exit}
        m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2;
        i10=int(0.1*(NR-1))+1; i90=int(0.9*(NR-1)+0.999999)+1; if(i90>NR)i90=NR;
        printf "%d %.3f %.3f %.3f %.3f %.3f\n", NR, m, v[i10], v[i90], v[1], v[NR]}'
}

# report TITLE OUTFILE: print a table of the samples recorded by this script, with the ratio
# of each tool's median to ctrlink's median for the same metric (same run), and save it
report() {
    local title=$1 out=$2 f base tool metric ref
    {
        echo "# $title"
        echo "# host: $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
        printf '%-16s %-30s %4s %10s %10s %10s %9s\n' tool metric n median p10 p90 x_ctrlink
        for f in "$WORK"/samples/*; do
            [ -e "$f" ] || continue
            base=$(basename "$f"); tool=${base%%__*}; metric=${base#*__}
            read -r n med p10 p90 _ _ < <(stats "$f")
            ref=NA
            [ -e "$WORK/samples/ctrlink__$metric" ] && ref=$(stats "$WORK/samples/ctrlink__$metric" | awk '{print $2}')
            printf '%-16s %-30s %4s %10s %10s %10s %9s\n' "$tool" "$metric" "$n" "$med" "$p10" "$p90" \
                "$(awk -v a="$med" -v b="$ref" 'BEGIN{ if (b=="NA"||b==0||a=="NA") print "-"; else printf "%.1f", a/b }')"
        done
    } | tee "$out"
}

median_of() { stats "$WORK/samples/$1__$2" | awk '{print $2}'; }

# ---------------------------------------------------------------- the answer waiter
# A netprobe coprocess, started outside any timed region: asking it to wait for an answer
# costs two pipe writes/reads, no fork.
start_waiter() {
    [ -x "$NETPROBE" ] || { echo "missing $NETPROBE (run bench/peers/setup.sh)" >&2; return 1; }
    coproc NP { exec "$NETPROBE" serve; }
}
# await HOST PORT [TIMEOUT_MS]: 0 once a TCP client to HOST:PORT reads "hello" (tinysrv's
# answer); AW_REPLY holds "ok TRIES USEC" or "fail WHY"
await() {
    echo "wait $1 $2 hello ${3:-${AWAIT_TIMEOUT_MS:-30000}}" >&"${NP[1]}"
    read -r AW_REPLY <&"${NP[0]}"
    [[ $AW_REPLY == ok* ]]
}
# closed HOST PORT: 0 if nothing answers there any more
closed() {
    echo "closed $1 $2" >&"${NP[1]}"
    read -r AW_REPLY <&"${NP[0]}"
    [[ $AW_REPLY == ok* ]]
}

# ---------------------------------------------------------------- helpers
hexid() { printf '%064x' "$1"; }              # 64-hex container id from a number
ip_of() { echo "$1.$(( ($2 >> 8) & 255 )).$(( $2 & 255 ))"; }  # ip_of 10.88 n -> 10.88.x.y

# host-side "public" address that published ports are reached on
add_host_addr() {
    # (no dummy module in this kernel: the address goes on lo)
    ip addr add 10.250.0.1/32 dev lo
}
HOST_ADDR=10.250.0.1

# count the processes (and their resident memory) of this PID namespace, the benchmark's own
# (bash, ps, netprobe, ...) left out, and the listening TCP sockets of this network namespace
BENCH_COMMS='^(bash|ps|netprobe|ss|awk|sleep|wc|sort|grep|sed|cat|tee)$'
ns_procs() { ps -e --no-headers -o comm | grep -Evc "$BENCH_COMMS"; }
ns_listen() { ss -Hltn | wc -l; }
ns_rss_kb() { ps -e --no-headers -o rss=,comm= | awk -v re="$BENCH_COMMS" '$2 !~ re {s+=$1} END{print s+0}'; }

need() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ] || { echo "missing: $1 (run bench/peers/setup.sh)" >&2; return 1; }; }
