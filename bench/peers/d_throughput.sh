#!/bin/bash
# (d) data path through a published port: TCP throughput (iperf3, 1 stream) and connection
#     rate (sequential connect + read "hello" + close, netprobe connrate), against the same
#     path without NAT (the physical limit) and through a userland proxy (docker-proxy,
#     Docker's default, run standalone).  All inside namespaces this script creates:
#
#   cli netns --veth-- [host netns: lo has 10.250.0.1 "public"] --br0------ ctr netns (iperf3 -s, tinysrv)
#     10.200.0.2      10.200.0.1                          10.201.0.1      10.201.0.2
#                                                      --ctrlink0-- our container "tp" (iperf3 -s, tinysrv)
#                                                      --veth------ peer netns 10.202.0.2 (iperf3 -s)
#
# Paths (client -> server), each ROUNDS times, interleaved round-robin:
#   host_veth_direct     host -> plain veth peer (no bridge, no NAT)             [absolute limit]
#   host_bridge_direct   host -> 10.201.0.2 over br0, no NAT                      [limit]
#   host_ctrlink_direct  host -> our container's address over ctrlink0, no NAT    [limit, same container]
#   host_ctrlink_dnat    host -> 10.250.0.1:8080 (iperf) / :8090 (tinysrv), our DNAT (nat OUTPUT),
#                        iptables backend (container "tp" on ctrlink0)
#   host_ctrlinknft_*    the same with our nftables backend (container "tpn" on ctrlinknft0), if it works
#   host_docker_proxy    host -> 10.250.0.1:8082 / :8083, docker-proxy -> 10.201.0.2
#   cli_routed_direct    cli  -> 10.201.0.2 routed through the host, no NAT      [limit, forwarded]
#   cli_ctrlink_dnat     cli  -> 10.200.0.1:8080 / :8090, our DNAT (PREROUTING) + forward
#   cli_ctrlinknft_dnat  cli  -> 10.200.0.1:8180 / :8190, the same with the nftables backend
#   cli_docker_proxy     cli  -> 10.200.0.1:8082 / :8083, docker-proxy
# Usage: d_throughput.sh [ROUNDS] [SECONDS] [CONNRATE_SECONDS]   (default 4 x 4 s, 2 s)
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
. "$PEERS_DIR/tools.sh"
set -e

ROUNDS=${1:-4}; SECS=${2:-4}; CSECS=${3:-2}
PATHS=${PATHS:-host_veth_direct host_bridge_direct host_ctrlink_direct host_ctrlink_dnat host_ctrlinknft_direct host_ctrlinknft_dnat host_docker_proxy cli_routed_direct cli_ctrlink_dnat cli_ctrlinknft_dnat cli_docker_proxy}
SCENARIO=d_throughput
need iperf3; need jq
sysctl -qw net.ipv4.ip_forward=1
add_host_addr
start_waiter
ip netns add ctr; ip netns add cli; ip netns add peer
for n in ctr cli peer; do ip netns exec $n ip link set lo up; done
ip link add br0 type bridge; ip addr add 10.201.0.1/24 dev br0; ip link set br0 up
ip link add vc0 type veth peer name eth0 netns ctr
ip link set vc0 master br0 up
ip netns exec ctr ip addr add 10.201.0.2/24 dev eth0
ip netns exec ctr ip link set eth0 up
ip netns exec ctr ip route add default via 10.201.0.1
ip link add vx0 type veth peer name eth0 netns cli
ip addr add 10.200.0.1/24 dev vx0; ip link set vx0 up
ip netns exec cli ip addr add 10.200.0.2/24 dev eth0
ip netns exec cli ip link set eth0 up
ip netns exec cli ip route add default via 10.200.0.1
ip link add vp0 type veth peer name eth0 netns peer
ip addr add 10.202.0.1/24 dev vp0; ip link set vp0 up
ip netns exec peer ip addr add 10.202.0.2/24 dev eth0
ip netns exec peer ip link set eth0 up

ip netns exec ctr iperf3 -s -p 5201 >/dev/null 2>&1 &
ip netns exec ctr "$TINYSRV" 80 &
ip netns exec peer iperf3 -s -p 5201 >/dev/null 2>&1 &
ip netns exec peer "$TINYSRV" 80 &
DP=()
if command -v docker-proxy >/dev/null || [ -x /usr/sbin/docker-proxy ]; then
    # docker-proxy needs fd 3 open (its parent's pipe); without it, it closes its listener
    /usr/sbin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 8082 -container-ip 10.201.0.2 -container-port 5201 3>/dev/null & DP+=($!)
    /usr/sbin/docker-proxy -proto tcp -host-ip 0.0.0.0 -host-port 8083 -container-ip 10.201.0.2 -container-port 80 3>/dev/null & DP+=($!)
else
    PATHS=$(echo "$PATHS" | tr ' ' '\n' | grep -v docker_proxy | tr '\n' ' ')
    note docker-proxy init "not installed: its paths are skipped"
fi
use_variant ctrlink_ipt; CUR_DRV=ctrlink
ctrlink_cmd run -d --name tp -p 8080:5201 -p 8090:80 /bin/sh -c "$TINYSRV 80 & exec iperf3 -s -p 5201" >/dev/null
TP_IP=$(ctrlink_cmd inspect -f '{{.NetworkSettings.IPAddress}}' tp)
# the same with the nftables backend, where it works: its own state dir, bridge and subnet
NFT=(--state-dir /run/ctrlink-nft --bridge ctrlinknft0 --subnet 10.210.0.0/24 --nat-backend nftables)
TPN_IP=
if "$CTRLINK" "${NFT[@]}" run -d --name tpn -p 8180:5201 -p 8190:80 /bin/sh -c "$TINYSRV 80 & exec iperf3 -s -p 5201" >/dev/null 2>"$WORK/nft.err"; then
    TPN_IP=$("$CTRLINK" "${NFT[@]}" inspect -f '{{.NetworkSettings.IPAddress}}' tpn)
else
    note ctrlink_nft init "the nftables backend does not work here: its paths are skipped ($(head -c 200 "$WORK/nft.err"))"
    PATHS=$(echo "$PATHS" | tr ' ' '\n' | grep -v ctrlinknft | tr '\n' ' ')
fi
sleep 1

# where each path goes: "CLIENT-PREFIX HOST IPERF-PORT TINYSRV-PORT"
path_of() {
    case $1 in
        host_veth_direct)    echo "- 10.202.0.2 5201 80" ;;
        host_bridge_direct)  echo "- 10.201.0.2 5201 80" ;;
        host_ctrlink_direct) echo "- $TP_IP 5201 80" ;;
        host_ctrlink_dnat)   echo "- $HOST_ADDR 8080 8090" ;;
        host_ctrlinknft_direct) echo "- $TPN_IP 5201 80" ;;
        host_ctrlinknft_dnat) echo "- $HOST_ADDR 8180 8190" ;;
        host_docker_proxy)   echo "- $HOST_ADDR 8082 8083" ;;
        cli_routed_direct)   echo "cli 10.201.0.2 5201 80" ;;
        cli_ctrlink_dnat)    echo "cli 10.200.0.1 8080 8090" ;;
        cli_ctrlinknft_dnat) echo "cli 10.200.0.1 8180 8190" ;;
        cli_docker_proxy)    echo "cli 10.200.0.1 8082 8083" ;;
    esac
}
# check every path before timing it: the tinysrv port must answer, iperf3 must connect
set +e
for p in $PATHS; do
    read -r pre h ip tp < <(path_of "$p")
    pfx=(); [ "$pre" = cli ] && pfx=(ip netns exec cli)
    if [ "$tp" != - ] && ! "${pfx[@]}" "$NETPROBE" wait "$h" "$tp" hello 3000 >/dev/null; then
        note "$p" check "FAIL: $h:$tp does not answer: path skipped"; PATHS=${PATHS/$p/}; continue
    fi
    if ! "${pfx[@]}" iperf3 -c "$h" -p "$ip" -t 1 -J > "$WORK/iperf.json" 2>&1; then
        note "$p" check "FAIL: iperf3 to $h:$ip: path skipped"; PATHS=${PATHS/$p/}; continue
    fi
    note "$p" check "ok: $h:$ip (iperf3) and $h:$tp (tinysrv) answer"
done

mkdir -p "$WORK/tp" "$WORK/cr"
for ((r = 1; r <= ROUNDS; r++)); do
    for p in $PATHS; do
        read -r pre h ip tp < <(path_of "$p")
        pfx=(); [ "$pre" = cli ] && pfx=(ip netns exec cli)
        "${pfx[@]}" iperf3 -c "$h" -p "$ip" -t "$SECS" -O 1 -J > "$WORK/iperf.json" 2>&1
        g=$(jq -r '(.end.sum_received.bits_per_second // 0) / 1e9' "$WORK/iperf.json" 2>/dev/null || echo 0)
        echo "$g" >> "$WORK/tp/$p"
        printf '%s\t%s\t%s\t%s\t%s\n' "$SCENARIO" "$p" throughput "$g" Gbit/s >> "$RESULTS_DIR/samples.tsv"
        c=-
        if [ "$tp" != - ]; then
            c=$("${pfx[@]}" "$NETPROBE" connrate "$h" "$tp" hello "$CSECS" | awk '{print $2}')
            echo "$c" >> "$WORK/cr/$p"
            printf '%s\t%s\t%s\t%s\t%s\n' "$SCENARIO" "$p" connrate "$c" conn/s >> "$RESULTS_DIR/samples.tsv"
        fi
        echo "round $r $p: $g Gbit/s, $c conn/s" >&2
    done
done

med() { [ -s "$1" ] && sort -g "$1" | awk '{v[NR]=$1} END{printf "%.3f", (NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2}' || echo 0; }
{
    echo "# d_throughput: iperf3 -t $SECS -O 1, 1 TCP stream; connection rate over $CSECS s; $ROUNDS rounds interleaved"
    echo "# host: $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
    printf '%-22s %4s %10s %10s %10s %10s %12s %10s\n' path n Gbit/s min max vs_limit conn/s vs_limit
    lh=$(med "$WORK/tp/host_bridge_direct"); lc=$(med "$WORK/tp/cli_routed_direct"); lo=$(med "$WORK/tp/host_ctrlink_direct")
    ch=$(med "$WORK/cr/host_bridge_direct"); cc=$(med "$WORK/cr/cli_routed_direct"); co=$(med "$WORK/cr/host_ctrlink_direct")
    ln=$(med "$WORK/tp/host_ctrlinknft_direct"); cn=$(med "$WORK/cr/host_ctrlinknft_direct")
    for p in $PATHS; do
        l=$lh; c=$ch
        case $p in cli_*) l=$lc; c=$cc ;; host_ctrlink_*) l=$lo; c=$co ;; host_ctrlinknft_*) l=$ln; c=$cn ;; esac
        sort -g "$WORK/tp/$p" | awk -v p="$p" -v lim="$l" -v cr="$(med "$WORK/cr/$p")" -v clim="$c" '{v[NR]=$1} END{
            m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2;
            printf "%-22s %4d %10.2f %10.2f %10.2f %10s %12.0f %10s\n", p, NR, m, v[1], v[NR],
                (lim>0)?sprintf("%.3f",m/lim):"-", cr, (clim>0&&cr>0)?sprintf("%.3f",cr/clim):"-"}'
    done
} | tee "$RESULTS_DIR/d_throughput.txt"
ctrlink_cmd rm -f tp >/dev/null; CUR_DRV=
[ -n "$TPN_IP" ] && "$CTRLINK" "${NFT[@]}" rm -f tpn >/dev/null
for pid in "${DP[@]}"; do kill "$pid" 2>/dev/null; done
