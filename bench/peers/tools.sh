# shellcheck shell=bash
# Per-tool drivers of the benchmarks (sourced after lib.sh, inside the private namespaces).
# Every tool T provides:
#   T_init            start daemons / import image / create bridge (untimed)
#   T_prepare I SPEC  per-container work that is not the measured setup (untimed)
#   T_setup I SPEC    create + start container I with published ports SPEC (TIMED)
#   T_teardown I      undo T_setup (TIMED)
#   T_cleanup I       undo T_prepare (untimed)
#   T_target I SPEC   sets TGT_HOST TGT_PORT: where a TCP client checks the container (untimed)
#   T_fini            stop daemons, remove what is left (untimed)
# The timed setup always ends when a TCP client through the published host port (the
# "public" host address 10.250.0.1, last host port of SPEC) reads "hello" from tinysrv
# running in the container (see run_setup below): the same definition for every tool.
# SPEC is "HP:CP", "HP1-HP2:CP1-CP2" (equal-length range) or "none".
# Containers are numbered from 1; container I gets bridge address .(I+1).

# parse SPEC -> globals SP_HP SP_CP SP_N (N=0 for none), SP_LHP SP_LCP (last ports)
parse_spec() {
    SP_HP=0 SP_CP=0 SP_N=0 SP_LHP=0 SP_LCP=80
    [ "$1" = none ] && return 0
    local h=${1%%:*} c=${1#*:}
    SP_HP=${h%%-*}; SP_CP=${c%%-*}
    if [ "$h" != "$SP_HP" ]; then SP_N=$(( ${h#*-} - SP_HP + 1 )); else SP_N=1; fi
    SP_LHP=$((SP_HP + SP_N - 1)); SP_LCP=$((SP_CP + SP_N - 1))
}
# the ports tinysrv listens on in the container: the last port of SPEC (the one checked)
srv_ports() { parse_spec "$1"; echo "$SP_LCP"; }
default_target() { parse_spec "$2"; TGT_HOST=$HOST_ADDR; TGT_PORT=$SP_LHP; }

# netns-only tools (netavark, CNI): a tinysrv in the container netns, started untimed
# before the network exists (it listens on 0.0.0.0, so it answers as soon as eth0 is up)
declare -A NS_SRV
netns_with_server() { # I SPEC
    ip netns add "c$1"
    ip netns exec "c$1" ip link set lo up
    # shellcheck disable=SC2046
    ip netns exec "c$1" "$TINYSRV" $(srv_ports "$2") &
    NS_SRV[$1]=$!
}
netns_remove() { # I
    [ -n "${NS_SRV[$1]:-}" ] && { kill "${NS_SRV[$1]}" 2>/dev/null; wait "${NS_SRV[$1]}" 2>/dev/null; unset "NS_SRV[$1]"; }
    ip netns del "c$1" 2>/dev/null
    return 0
}

# ======================================================================
# ctrlink (this project): the CLI, one process per command, state on the private /run.
# A real container (own net, mount, UTS, IPC and PID namespaces, on the host filesystem)
# running tinysrv; its ctr-monitor outlives the command.  ctrlink uses the default NAT
# backend (auto); ctrlink_ipt and ctrlink_nft name one (--nat-backend iptables|nftables),
# and are skipped where that backend does not work.
# ======================================================================
ctrlink_cmd() { "$CTRLINK" ${CTRLINK_BACKEND:+--nat-backend "$CTRLINK_BACKEND"} "$@"; }
ctrlink_init() {
    [ -x "$CTRLINK" ] && [ -x "$TINYSRV" ] || { echo "ctrlink: build it first (bench/run.sh does)" >&2; return 1; }
    if [ -n "${CTRLINK_BACKEND:-}" ]; then
        ctrlink_cmd info >/dev/null 2>&1 || { echo "ctrlink --nat-backend $CTRLINK_BACKEND info fails" >&2; return 1; }
        # info may accept a backend that cannot set a network up yet: try one container
        local out
        if ! out=$(ctrlink_cmd run -d --name bkprobe -p 65123:80 "$TINYSRV" 80 2>&1) ||
           ! "$NETPROBE" wait "$HOST_ADDR" 65123 hello 5000 >/dev/null; then
            echo "ctrlink --nat-backend $CTRLINK_BACKEND does not work in this build: ${out:-no answer}" >&2
            ctrlink_cmd rm -f bkprobe >/dev/null 2>&1
            return 1
        fi
        ctrlink_cmd rm -f bkprobe >/dev/null
    fi
    return 0
}
ctrlink_prepare() { :; }
ctrlink_setup() { # I SPEC [EXTRA -p ...]
    local i=$1 spec=$2 p=()
    [ "$spec" != none ] && p=(-p "$spec")
    # shellcheck disable=SC2046
    ctrlink_cmd run -d --name "c$i" "${p[@]}" "$TINYSRV" $(srv_ports "$spec") >/dev/null
}
ctrlink_teardown() { ctrlink_cmd rm -f "c$1" >/dev/null; }
ctrlink_cleanup() { :; }
ctrlink_target() { default_target "$@"; }
ctrlink_fini() {
    local ids; ids=$(ctrlink_cmd ps -aq 2>/dev/null)
    # shellcheck disable=SC2086
    [ -n "$ids" ] && ctrlink_cmd rm -f $ids >/dev/null 2>&1
    return 0
}

# ======================================================================
# netavark (podman's network backend, driven directly): network only, no container process
# of its own (tinysrv runs in the netns, started untimed).  One bridge network "podman"
# 10.88.0.0/16, firewall driver iptables (= iptables-nft on Debian 12).
# ======================================================================
NV_NETID=2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9
netavark_init() { mkdir -p "$WORK/netavark/cfg" "$WORK/netavark/opts"; }
netavark_opts() { # I SPEC [MAPPINGS-JSON] -> writes the options json
    local i=$1 f="$WORK/netavark/opts/c$1.json" pm=${3:-}
    parse_spec "$2"
    if [ -z "$pm" ] && [ "$SP_N" -gt 0 ]; then
        pm="{\"host_ip\":\"\",\"container_port\":$SP_CP,\"host_port\":$SP_HP,\"range\":$SP_N,\"protocol\":\"tcp\"}"
    fi
    cat > "$f" <<EOF
{"container_id":"$(hexid "$i")","container_name":"c$i",
 "port_mappings":[${pm}],
 "networks":{"podman":{"static_ips":["$(ip_of 10.88 $((i+1)))"],"interface_name":"eth0"}},
 "network_info":{"podman":{"name":"podman","id":"$NV_NETID","driver":"bridge","network_interface":"podman0",
   "subnets":[{"subnet":"10.88.0.0/16","gateway":"10.88.0.1"}],
   "ipv6_enabled":false,"internal":false,"dns_enabled":false,"ipam_options":{"driver":"host-local"}}}}
EOF
}
netavark_prepare() { netns_with_server "$1" "$2"; netavark_opts "$1" "$2" "${NV_MAPPINGS:-}"; }
netavark_setup() {
    "$NETAVARK" --config "$WORK/netavark/cfg" setup "/run/netns/c$1" < "$WORK/netavark/opts/c$1.json" >/dev/null
}
netavark_teardown() {
    "$NETAVARK" --config "$WORK/netavark/cfg" teardown "/run/netns/c$1" < "$WORK/netavark/opts/c$1.json" >/dev/null
}
netavark_cleanup() { netns_remove "$1"; }
netavark_target() { default_target "$@"; }
netavark_fini() { local n; for n in "${!NS_SRV[@]}"; do netns_remove "$n"; done; return 0; }

# ======================================================================
# CNI plugins: conflist bridge -> portmap -> firewall (podman-3 style), driven like libcni
# does (name/cniVersion/runtimeConfig/prevResult injected).  Network only, like netavark.
# ======================================================================
cni_init() { mkdir -p "$WORK/cni/ipam" "$WORK/cni/results"; }
cni_portmappings() { # SPEC -> JSON array (CNI has no ranges: one entry per port)
    parse_spec "$1"
    local k out="" sep=""
    for ((k = 0; k < SP_N; k++)); do
        out+="$sep{\"hostPort\":$((SP_HP + k)),\"containerPort\":$((SP_CP + k)),\"protocol\":\"tcp\"}"; sep=,
    done
    echo "[$out]"
}
cni_conf() { # PLUGIN -> plugin config body (without braces)
    case $1 in
    bridge) echo '"type":"bridge","bridge":"cni0","isGateway":true,"ipMasq":true,"hairpinMode":true,"ipam":{"type":"host-local","routes":[{"dst":"0.0.0.0/0"}],"ranges":[[{"subnet":"10.89.0.0/16","gateway":"10.89.0.1"}]],"dataDir":"'"$WORK/cni/ipam"'"}' ;;
    portmap) echo '"type":"portmap","capabilities":{"portMappings":true},"snat":true' ;;
    firewall) echo '"type":"firewall","backend":"iptables"' ;;
    esac
}
cni_exec() { # CMD I PLUGIN EXTRA
    CNI_COMMAND=$1 CNI_NETNS=/run/netns/c$2 CNI_IFNAME=eth0 CNI_CONTAINERID=c$2 CNI_PATH=$CNI_PATH_DIR \
        "$CNI_PATH_DIR/$3" <<< "{\"cniVersion\":\"1.0.0\",\"name\":\"bench\",$(cni_conf "$3")$4}"
}
cni_prepare() { netns_with_server "$1" "$2"; cni_portmappings "$2" > "$WORK/cni/results/c$1.pm"; }
cni_setup() {
    local i=$1 pm r
    pm=$(< "$WORK/cni/results/c$i.pm")
    r=$(cni_exec ADD "$i" bridge "") || { echo "$r" >&2; return 1; }
    if [ "$pm" != "[]" ]; then
        r=$(cni_exec ADD "$i" portmap ",\"runtimeConfig\":{\"portMappings\":$pm},\"prevResult\":$r") || { echo "$r" >&2; return 1; }
    fi
    r=$(cni_exec ADD "$i" firewall ",\"prevResult\":$r") || { echo "$r" >&2; return 1; }
    printf '%s' "$r" > "$WORK/cni/results/c$i.json"
}
cni_teardown() {
    local i=$1 r pm
    r=$(< "$WORK/cni/results/c$i.json"); pm=$(< "$WORK/cni/results/c$i.pm")
    cni_exec DEL "$i" firewall ",\"prevResult\":$r" >/dev/null || return 1
    if [ "$pm" != "[]" ]; then
        cni_exec DEL "$i" portmap ",\"runtimeConfig\":{\"portMappings\":$pm},\"prevResult\":$r" >/dev/null || return 1
    fi
    cni_exec DEL "$i" bridge ",\"prevResult\":$r" >/dev/null || return 1
}
cni_cleanup() { netns_remove "$1"; rm -f "$WORK/cni/results/c$1".*; }
cni_target() { default_target "$@"; }
cni_fini() { local n; for n in "${!NS_SRV[@]}"; do netns_remove "$n"; done; return 0; }

# ======================================================================
# podman (rootful, netavark backend): the whole "podman run -d -p" is timed, with tinysrv
# from the busybox image.  podman_nonet (--network none) and podman_noport (bridge, no -p)
# give the decomposition.  Needs: runc (crun refuses hybrid cgroups here), and ulimits <=
# the hard limits of this sandbox (no CAP_SYS_RESOURCE).
# ======================================================================
podman_cmd() {
    podman --root "$WORK/podman/root" --runroot "$WORK/podman/runroot" --tmpdir "$WORK/podman/tmp" \
        --storage-driver overlay --cgroup-manager cgroupfs --events-backend file \
        --network-backend "${PODMAN_NET_BACKEND:-netavark}" --network-config-dir "$WORK/podman/networks" \
        --runtime runc "$@"
}
PODMAN_RUN_OPTS="--ulimit nofile=1024:1024 --ulimit nproc=4096:4096"
podman_init() {
    mkdir -p "$WORK/podman/networks"
    podman_cmd import -q "$ROOTFS_TAR" localhost/bb:latest >/dev/null
}
podman_prepare() { :; }
podman_setup() { # I SPEC [EXTRA-ARGS...]
    local net=() i=$1 spec=$2; shift 2
    case ${PODMAN_MODE:-port} in
        port) [ "$spec" != none ] && net=(-p "$spec") ;;
        noport) ;;
        nonet) net=(--network none) ;;
    esac
    # shellcheck disable=SC2086,SC2046
    podman_cmd run -d -q --name "c$i" $PODMAN_RUN_OPTS "${net[@]}" "$@" localhost/bb:latest /bin/tinysrv $(srv_ports "$spec") >/dev/null
}
podman_teardown() { podman_cmd rm -f -t 0 "c$1" >/dev/null; }
podman_cleanup() { :; }
podman_target() {
    default_target "$@"
    if [ "${PODMAN_MODE:-port}" != port ]; then  # no published port: the container address
        TGT_HOST=$(podman_cmd inspect -f '{{.NetworkSettings.IPAddress}}' "c$1"); TGT_PORT=$SP_LCP
    fi
}
podman_fini() { podman_cmd rm -a -f -t 0 >/dev/null 2>&1; return 0; }

# ======================================================================
# docker (dockerd 20.10 in the private namespaces, own data and exec root).
# DOCKER_PROXY=true (docker's default: docker-proxy processes per port and address family)
# or false (--userland-proxy=false: iptables only).
# ======================================================================
DOCKER_SOCK=
docker_cmd() { docker -H "unix://$DOCKER_SOCK" "$@"; }
docker_init() {
    local d=$WORK/docker
    mkdir -p "$d/data" "$d/exec"
    DOCKER_SOCK=$d/docker.sock
    dockerd --data-root "$d/data" --exec-root "$d/exec" --pidfile "$d/dockerd.pid" -H "unix://$DOCKER_SOCK" \
        --containerd-namespace ctrlinkbench --containerd-plugins-namespace ctrlinkbench-p \
        --exec-opt native.cgroupdriver=cgroupfs --storage-driver overlay2 \
        --default-ulimit nofile=1024:1024 --default-ulimit nproc=4096:4096 \
        --userland-proxy="${DOCKER_PROXY:-true}" > "$d/dockerd.log" 2>&1 &
    DOCKERD_PID=$!
    local k
    for k in $(seq 1 150); do docker_cmd info >/dev/null 2>&1 && break; sleep 0.2; done
    docker_cmd import "$ROOTFS_TAR" bb:latest >/dev/null
}
docker_prepare() { :; }
docker_setup() { # I SPEC [EXTRA-ARGS...]
    local net=() i=$1 spec=$2; shift 2
    case ${DOCKER_MODE:-port} in
        port) [ "$spec" != none ] && net=(-p "$spec") ;;
        noport) ;;
        nonet) net=(--network none) ;;
    esac
    # shellcheck disable=SC2046
    docker_cmd run -d --name "c$i" "${net[@]}" "$@" bb:latest /bin/tinysrv $(srv_ports "$spec") >/dev/null
}
docker_teardown() { docker_cmd rm -f "c$1" >/dev/null; }
docker_cleanup() { :; }
docker_target() {
    default_target "$@"
    if [ "${DOCKER_MODE:-port}" != port ]; then
        TGT_HOST=$(docker_cmd inspect -f '{{.NetworkSettings.IPAddress}}' "c$1"); TGT_PORT=$SP_LCP
    fi
}
docker_fini() {
    [ -n "${DOCKERD_PID:-}" ] || return 0
    local ids; ids=$(docker_cmd ps -aq 2>/dev/null)
    # shellcheck disable=SC2086
    [ -n "$ids" ] && docker_cmd rm -f $ids >/dev/null 2>&1
    kill "$DOCKERD_PID" 2>/dev/null; wait "$DOCKERD_PID" 2>/dev/null
    DOCKERD_PID=
    return 0
}

# ======================================================================
# LXC 5 (busybox template).  LXC has no port publishing: what is timed is lxc-start (veth
# on a bridge + static IPv4, container init, tinysrv from rcS) until a client reaches
# tinysrv at the container's address, and lxc-stop -k.
# LXC_MODE=nonet uses lxc.net.0.type=empty (no answer awaited).  The MAC address is fixed:
# the same address comes back at every start on a bridge that stays (no stale ARP entry).
# ======================================================================
lxc_init() {
    local d=$WORK/lxc n
    [ -e "$d/bbnet" ] && return 0
    mkdir -p "$d"
    ip link add lxbr0 type bridge; ip addr add 10.90.0.1/16 dev lxbr0; ip link set lxbr0 up
    printf '%s\n' 'lxc.net.0.type = veth' 'lxc.net.0.link = lxbr0' 'lxc.net.0.flags = up' \
        'lxc.net.0.ipv4.address = 10.90.0.2/16' 'lxc.net.0.ipv4.gateway = 10.90.0.1' \
        'lxc.net.0.hwaddr = 02:42:0a:5a:00:02' > "$d/net.conf"
    printf '%s\n' 'lxc.net.0.type = empty' > "$d/nonet.conf"
    lxc-create -P "$d" -n bbnet -t busybox -f "$d/net.conf" >/dev/null 2>&1 || return 1
    lxc-create -P "$d" -n bbnonet -t busybox -f "$d/nonet.conf" >/dev/null 2>&1 || return 1
    for n in bbnet bbnonet; do
        cp "$TINYSRV" "$d/$n/rootfs/bin/tinysrv"
        # the template's rcS runs udhcpc, which deconfigures the static address: run tinysrv
        sed -i 's#^/bin/udhcpc#/bin/tinysrv 80 \&#' "$d/$n/rootfs/etc/init.d/rcS"
    done
}
lxc_name() { [ "${LXC_MODE:-net}" = nonet ] && echo bbnonet || echo bbnet; }
lxc_prepare() { :; }
lxc_setup() { lxc-start -P "$WORK/lxc" -n "$(lxc_name)"; }
lxc_teardown() { lxc-stop -P "$WORK/lxc" -n "$(lxc_name)" -k; }
lxc_cleanup() { :; }
lxc_target() { TGT_HOST=10.90.0.2; TGT_PORT=80; [ "${LXC_MODE:-net}" = nonet ] && TGT_HOST=; return 0; }
lxc_fini() { lxc-stop -P "$WORK/lxc" -n bbnet -k >/dev/null 2>&1; lxc-stop -P "$WORK/lxc" -n bbnonet -k >/dev/null 2>&1; return 0; }

# ======================================================================
# systemd-nspawn --network-veth --port (nft map io.systemd.nat).  nspawn adds the DNAT map
# element only once the container has an IPv4 address, so the container sets one itself
# (no networkd here), then runs tinysrv.  Links are set up before addresses are added: a
# packet sent to an address whose link is still down waits a whole ARP retransmit (1 s).  The host side of the veth (ve-nI) would be
# configured by systemd-networkd; here the timed setup does it (one `ip -batch`) as soon as
# the interface appears.  Teardown = SIGTERM until nspawn has exited.
# Needs --register=no --keep-unit (no systemd/dbus here).
# ======================================================================
nspawn_init() {
    mkdir -p "$WORK/nspawn/root"
    tar -C "$WORK/nspawn/root" -xf "$ROOTFS_TAR"
}
nspawn_prepare() { :; }
nspawn_setup() {
    local i=$1 ports=() k
    parse_spec "$2"
    for ((k = 0; k < SP_N; k++)); do ports+=(--port "tcp:$((SP_HP + k)):$((SP_CP + k))"); done
    local net=(--network-veth) sh="ip link set host0 up; ip addr add 10.91.0.2/24 dev host0; ip route add default via 10.91.0.1; exec /bin/tinysrv $SP_LCP"
    case ${NSPAWN_MODE:-port} in
        nonet) net=(); ports=(); sh="exec /bin/tinysrv $SP_LCP" ;;
        veth) ports=() ;;
    esac
    systemd-nspawn -q -D "$WORK/nspawn/root" --register=no --keep-unit --kill-signal=SIGKILL \
        -M "n$i" "${net[@]}" "${ports[@]}" /bin/sh -c "$sh" > "$WORK/nspawn/n$i.log" 2>&1 &
    NSPAWN_PID=$!
    [ "${NSPAWN_MODE:-port}" = nonet ] && return 0
    while [ ! -e "/sys/class/net/ve-n$i" ]; do
        kill -0 $NSPAWN_PID 2>/dev/null || { cat "$WORK/nspawn/n$i.log" >&2; return 1; }
        sleep 0.001
    done
    ip -batch - <<< "link set ve-n$i up
addr add 10.91.0.1/24 dev ve-n$i"
}
nspawn_teardown() { kill -TERM "$NSPAWN_PID"; wait "$NSPAWN_PID" 2>/dev/null; return 0; }
nspawn_cleanup() { :; }
nspawn_target() {
    default_target "$@"
    case ${NSPAWN_MODE:-port} in
        nonet) TGT_HOST=127.0.0.1; TGT_PORT=$SP_LCP ;;
        veth) TGT_HOST=10.91.0.2; TGT_PORT=$SP_LCP ;;
    esac
}
nspawn_fini() { [ -n "${NSPAWN_PID:-}" ] && kill -9 "$NSPAWN_PID" 2>/dev/null; return 0; }

# tool variants: NAME -> "driver ENV=VALUE..."
variant_driver() {
    case $1 in
        ctrlink|netavark|cni|podman|docker|lxc|nspawn) echo "$1" ;;
        ctrlink_nft) echo "ctrlink CTRLINK_BACKEND=nftables" ;;
        ctrlink_ipt) echo "ctrlink CTRLINK_BACKEND=iptables" ;;
        podman_noport) echo "podman PODMAN_MODE=noport" ;;
        podman_nonet) echo "podman PODMAN_MODE=nonet" ;;
        podman_cni) echo "podman PODMAN_NET_BACKEND=cni" ;;
        docker_noproxy) echo "docker DOCKER_PROXY=false" ;;
        docker_noport) echo "docker DOCKER_MODE=noport" ;;
        docker_nonet) echo "docker DOCKER_MODE=nonet" ;;
        lxc_nonet) echo "lxc LXC_MODE=nonet" ;;
        nspawn_veth) echo "nspawn NSPAWN_MODE=veth" ;;
        nspawn_nonet) echo "nspawn NSPAWN_MODE=nonet" ;;
        *) return 1 ;;
    esac
}
# is the tool installed here?  (a tool that is absent is skipped, not failed)
tool_present() {
    case $1 in
        ctrlink*) [ -x "$CTRLINK" ] ;;
        netavark) [ -x "$NETAVARK" ] ;;
        cni) [ -x "$CNI_PATH_DIR/bridge" ] && [ -x "$CNI_PATH_DIR/portmap" ] ;;
        podman*) command -v podman >/dev/null && command -v runc >/dev/null && [ -x "$NETAVARK" ] ;;
        docker*) command -v dockerd >/dev/null && command -v docker >/dev/null ;;
        lxc*) command -v lxc-start >/dev/null ;;
        nspawn*) command -v systemd-nspawn >/dev/null ;;
        *) return 1 ;;
    esac
}
# use_variant NAME: sets DRV and exports the variant's environment
use_variant() {
    local spec kv
    spec=$(variant_driver "$1") || { echo "unknown tool $1" >&2; return 1; }
    unset PODMAN_MODE PODMAN_NET_BACKEND DOCKER_PROXY DOCKER_MODE LXC_MODE NSPAWN_MODE CTRLINK_BACKEND
    # shellcheck disable=SC2086
    set -- $spec
    DRV=$1; shift
    for kv in "$@"; do export "${kv?}"; done
}

# ---------------------------------------------------------------- the measured cycle
# run_setup TOOL I SPEC METRIC: timed T_setup + wait until a TCP client through the
# published port reads tinysrv's answer.  Returns non-zero (and records nothing) if the
# setup fails or no answer comes: a broken setup is never timed.
run_setup() {
    local t=$1 i=$2 spec=$3 metric=$4
    "${DRV}_target" "$i" "$spec"
    tick
    if ! "${DRV}_setup" "$i" "$spec"; then note "$t" "$metric" "setup command failed"; return 1; fi
    if [ -n "$TGT_HOST" ] && ! await "$TGT_HOST" "$TGT_PORT"; then
        note "$t" "$metric" "no answer from $TGT_HOST:$TGT_PORT ($AW_REPLY)"; return 1
    fi
    tock "$t" "$metric"
}
run_teardown() { # TOOL I METRIC
    tick
    if ! "${DRV}_teardown" "$2"; then note "$1" "$3" "teardown failed"; return 1; fi
    tock "$1" "$3"
}
# start_tool NAME: use_variant + init; 0 if the tool can be measured
start_tool() {
    tool_present "$1" || { note "$1" init "not installed: skipped"; return 1; }
    use_variant "$1" || return 1
    CUR_DRV=$DRV
    if ! "${DRV}_init"; then
        note "$1" init "init failed: skipped"; "${DRV}_fini" >/dev/null 2>&1; CUR_DRV=; reset_net_state; return 1
    fi
}
stop_tool() { "${DRV}_fini" >/dev/null 2>&1; CUR_DRV=; reset_net_state; }

# check_cycle TOOL SPEC: one untimed setup, answer, teardown, and a check that the port is
# closed again; warms caches.  0 if the tool works here.
check_cycle() {
    local t=$1 spec=$2 i=${3:-1}
    if [ -n "${NO_WARMUP:-}" ]; then  # slow tools: the timed runs are checked by their answer
        note "$t" check "ok: no separate check cycle (NO_WARMUP); every timed setup ended with an answer"
        return 0
    fi
    "${DRV}_prepare" "$i" "$spec"
    "${DRV}_target" "$i" "$spec"
    if ! "${DRV}_setup" "$i" "$spec"; then note "$t" check "setup failed"; "${DRV}_cleanup" "$i"; return 1; fi
    if [ -n "$TGT_HOST" ] && ! await "$TGT_HOST" "$TGT_PORT"; then
        note "$t" check "FAIL: no answer through $TGT_HOST:$TGT_PORT ($AW_REPLY)"
        "${DRV}_teardown" "$i" >/dev/null 2>&1; "${DRV}_cleanup" "$i"; return 1
    fi
    [ -n "$TGT_HOST" ] && note "$t" check "ok: $TGT_HOST:$TGT_PORT answers (spec $spec)"
    "${DRV}_teardown" "$i" || { note "$t" check "teardown failed"; "${DRV}_cleanup" "$i"; return 1; }
    if [ -n "$TGT_HOST" ] && ! closed "$TGT_HOST" "$TGT_PORT"; then
        note "$t" check "warning: $TGT_HOST:$TGT_PORT still answers after teardown"
    fi
    "${DRV}_cleanup" "$i"
    return 0
}
