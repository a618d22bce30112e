#!/bin/bash
# (extra, not run by default) cost of adding (and deleting) ONE DNAT rule when N rules
# already exist, with the system's tools (the kernel interfaces the peers and we use):
#   iptables-legacy   -A / -D              (libiptc: fetch whole table, replace whole table)
#   iptables-legacy-restore --noflush      (same kernel interface, one commit)
#   iptables-nft      -A / -D              (nf_tables backend, incremental in kernel, but
#                                           the tool builds a cache of the table first)
#   iptables-nft-restore --noflush
#   nft add rule / delete rule handle      (native nftables rule in a chain of N rules)
#   nft add element / delete element       (one element in a verdict-less DNAT map of N)
# Each backend is measured alone in a fresh netns state (flushed between
# backends).  The N existing rules are DNAT rules of the same shape.
# Usage: rules.sh [REPS]    env LEVELS (default "10 1000 10000")
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
SCENARIO=x_rules

REPS=${1:-25}
LEVELS=${LEVELS:-10 1000 10000}
lvl() { printf %05d "$1"; }

# N DNAT rules for chain BENCH in iptables-restore syntax
gen_ipt() {
    local n=$1 k
    echo "*nat"; echo ":BENCH - [0:0]"
    echo "-A PREROUTING -m addrtype --dst-type LOCAL -j BENCH"
    for ((k = 0; k < n; k++)); do
        echo "-A BENCH -p tcp -m tcp --dport $((1000 + k)) -j DNAT --to-destination 10.88.$(( (k >> 8) & 255 )).$(( k & 255 )):80"
    done
    echo "COMMIT"
}
RULE="BENCH -p tcp -m tcp --dport 65000 -j DNAT --to-destination 10.99.0.1:80"
RESTORE_ADD=$(printf '*nat\n-A %s\nCOMMIT' "$RULE")
RESTORE_DEL=$(printf '*nat\n-D %s\nCOMMIT' "$RULE")

bench_ipt() { # FLAVOR(legacy|nft) N
    local f=$1 n=$2 ipt="iptables-$1" r ln; ln=$(lvl "$2")
    gen_ipt "$n" > "$WORK/rules.txt"
    "$ipt-restore" < "$WORK/rules.txt"
    [ "$("$ipt" -t nat -S BENCH | grep -c DNAT)" = "$n" ] || echo "warn: $ipt has $("$ipt" -t nat -S BENCH | grep -c DNAT) rules, wanted $n" >&2
    for ((r = 0; r < REPS; r++)); do
        tick; "$ipt" -w -t nat -A $RULE; tock "iptables-$f" "append_ms_N$ln"
        tick; "$ipt" -w -t nat -D $RULE; tock "iptables-$f" "delete_ms_N$ln"
        tick; "$ipt-restore" --noflush <<< "$RESTORE_ADD"; tock "ipt-$f-restore" "append_ms_N$ln"
        tick; "$ipt-restore" --noflush <<< "$RESTORE_DEL"; tock "ipt-$f-restore" "delete_ms_N$ln"
    done
    # flush everything this flavour created
    "$ipt" -t nat -F; "$ipt" -t nat -X
}

bench_nft_rule() { # N
    local n=$1 k r h ln; ln=$(lvl "$1")
    {
        echo "table ip bench {"
        echo " chain pre { type nat hook prerouting priority dstnat; policy accept;"
        for ((k = 0; k < n; k++)); do
            echo "  tcp dport $((1000 + k)) dnat to 10.88.$(( (k >> 8) & 255 )).$(( k & 255 )):80"
        done
        echo " }"; echo "}"
    } > "$WORK/nft.txt"
    nft -f "$WORK/nft.txt"
    for ((r = 0; r < REPS; r++)); do
        tick; nft -e -a add rule ip bench pre tcp dport 65000 dnat to 10.99.0.1:80 > "$WORK/h"
        tock nft-rule "append_ms_N$ln"
        h=$(cat "$WORK/h"); h=${h##*handle }
        tick; nft delete rule ip bench pre handle "$h"; tock nft-rule "delete_ms_N$ln"
    done
    nft delete table ip bench
}

bench_nft_map() { # N
    local n=$1 k r ln; ln=$(lvl "$1")
    {
        echo "table ip bench {"
        echo " map pm { type inet_service : ipv4_addr . inet_service;"
        if [ "$n" -gt 0 ]; then
            printf '  elements = { '
            for ((k = 0; k < n; k++)); do
                [ $k -gt 0 ] && printf ', '
                printf '%d : 10.88.%d.%d . 80' $((1000 + k)) $(( (k >> 8) & 255 )) $(( k & 255 ))
            done
            echo ' }'
        fi
        echo " }"
        echo " chain pre { type nat hook prerouting priority dstnat; policy accept;"
        echo "  fib daddr type local dnat ip to tcp dport map @pm"
        echo " }"; echo "}"
    } > "$WORK/nftmap.txt"
    nft -f "$WORK/nftmap.txt"
    for ((r = 0; r < REPS; r++)); do
        tick; nft add element ip bench pm '{ 65000 : 10.99.0.1 . 80 }'; tock nft-map-elem "add_ms_N$ln"
        tick; nft delete element ip bench pm '{ 65000 }'; tock nft-map-elem "delete_ms_N$ln"
    done
    nft delete table ip bench
}

# process start-up floor for comparison
for ((r = 0; r < REPS; r++)); do tick; /bin/true; tock exec-floor true_ms; done

for n in $LEVELS; do
    echo "== N=$n" >&2
    bench_ipt legacy "$n"
    bench_ipt nft "$n"
    bench_nft_rule "$n"
    bench_nft_map "$n"
done

report "x_rules: add/delete one DNAT rule with N existing (reps=$REPS), ms" "$RESULTS_DIR/x_rules.txt"
