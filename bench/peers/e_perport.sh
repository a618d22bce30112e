#!/bin/bash
# (e) what a published port costs while it is published: processes, listening TCP sockets
#     and resident memory, per port.  For each tool: a container publishing 1 port
#     (20000 -> 20000) and then one publishing 101 ports (20000-20100 -> same) are set up
#     (each until a client through its last port gets an answer); after each, the processes
#     of this PID namespace (daemons, proxies, monitors, containers: everything the tool
#     runs), the listening TCP sockets of the host network namespace (ss -ltn) and the sum
#     of their resident memory are counted.  Per port = (101-port count - 1-port count) / 100.
# Usage: e_perport.sh [TOOLS...]
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
. "$PEERS_DIR/tools.sh"

TOOLS=${*:-ctrlink docker docker_noproxy podman netavark cni nspawn}
SCENARIO=e_perport
NPORTS=${NPORTS:-101}
add_host_addr
start_waiter
out=$RESULTS_DIR/e_perport.txt
{
    echo "# e_perport: per published port, from a container with 1 port and one with $NPORTS ports"
    echo "# host: $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
    printf '%-16s %8s %8s %10s %8s %8s %10s %10s %10s %12s\n' tool procs@1 listen@1 rss_kB@1 \
        "procs@$NPORTS" "lsn@$NPORTS" "rss@$NPORTS" procs/port listen/port rss_kB/port
} > "$WORK/e.txt"
snap() { sleep 1; ps -e --no-headers -o rss,comm > "$WORK/ps.$1"; echo "$(ns_procs) $(ns_listen) $(ns_rss_kb)"; }
for t in $TOOLS; do
    start_tool "$t" || continue
    echo "== $t ($DRV)" >&2
    if ! check_cycle "$t" 20000:20000 999; then stop_tool; continue; fi
    ok=1
    "${DRV}_prepare" 1 20000:20000
    run_setup "$t" 1 20000:20000 setup1_ms || ok=0
    read -r p1 l1 r1 < <(snap 1)
    ss -Hltnp > "$WORK/ss1.$t"
    "${DRV}_teardown" 1 >/dev/null 2>&1; "${DRV}_cleanup" 1
    spec="20000-$((20000 + NPORTS - 1)):20000-$((20000 + NPORTS - 1))"
    "${DRV}_prepare" 2 "$spec"
    run_setup "$t" 2 "$spec" "setup${NPORTS}_ms" || ok=0
    read -r pn ln rn < <(snap n)
    ss -Hltnp > "$WORK/ssn.$t"
    owners=$(grep -o 'users:(("[^"]*"' "$WORK/ssn.$t" | sed 's/users:(("//; s/"$//' | sort | uniq -c | awk '{printf "%s%s x%d", s, $2, $1; s=", "}')
    "${DRV}_teardown" 2 >/dev/null 2>&1; "${DRV}_cleanup" 2
    if [ $ok = 1 ]; then
        d=$((NPORTS - 1))
        pp=$(awk -v a="$p1" -v b="$pn" -v d=$d 'BEGIN{printf "%.2f", (b-a)/d}')
        lp=$(awk -v a="$l1" -v b="$ln" -v d=$d 'BEGIN{printf "%.2f", (b-a)/d}')
        rp=$(awk -v a="$r1" -v b="$rn" -v d=$d 'BEGIN{printf "%.1f", (b-a)/d}')
        printf '%-16s %8s %8s %10s %8s %8s %10s %10s %10s %12s\n' "$t" "$p1" "$l1" "$r1" "$pn" "$ln" "$rn" "$pp" "$lp" "$rp" >> "$WORK/e.txt"
        printf '%s\t%s\t%s\t%s\t%s\n' "$SCENARIO" "$t" procs_per_port "$pp" procs "$SCENARIO" "$t" listen_per_port "$lp" sockets \
            "$SCENARIO" "$t" rss_kb_per_port "$rp" kB >> "$RESULTS_DIR/samples.tsv"
        note "$t" listeners "with $NPORTS ports: ${owners:-none} (host netns, ss -ltnp)"
    else
        note "$t" perport "FAIL: a setup did not answer; not counted"
    fi
    stop_tool
done
tee "$out" < "$WORK/e.txt"
