#!/bin/bash
# (c) (a) again with N containers already running, each with its own published port
#     (30000+i -> 80, tinysrv answering): setup of one more container until a client through
#     its host port gets an answer, and its teardown.
# For each level L in LEVELS the tool is filled up to L running containers (the fill time per
# container is recorded too), then the probe container (8080 -> 80) is set up and torn down
# REPS times.  At each level the first and the last filled container must still answer
# through their published ports.
# ctrlink's repetitions are split: half before the peers, half after them.
# Usage: c_scale.sh [REPS] [TOOLS...]    env LEVELS (default "1 100 500"), PEER_REPS
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
. "$PEERS_DIR/tools.sh"

REPS=${1:-10}; shift || true
PEER_REPS=${PEER_REPS:-$REPS}
TOOLS=${*:-ctrlink ctrlink_ipt ctrlink_nft netavark cni podman docker_noproxy}
LEVELS=${LEVELS:-1 100 500}
PROBE=60000          # container numbers of the probes (distinct addresses/ids)
SCENARIO=c_scale
add_host_addr
start_waiter

ours=() peers=()
for t in $TOOLS; do case $t in ctrlink*) ours+=("$t") ;; *) peers+=("$t") ;; esac; done

measure() { # TOOL REPS
    local t=$1 n=$2 have=0 k=0 L lv r i p
    [ "$n" -gt 0 ] || return 0
    start_tool "$t" || return 0
    echo "== $t ($DRV) levels: $LEVELS, x$n" >&2
    if ! check_cycle "$t" 8080:80 "$PROBE"; then stop_tool; return 0; fi
    for L in $LEVELS; do
        lv=$(printf %04d "$L")
        while [ $have -lt "$L" ]; do
            i=$((have + 1))
            "${DRV}_prepare" $i "$((30000 + i)):80"
            run_setup "$t" $i "$((30000 + i)):80" "fill_ms_upto_$lv" || { note "$t" fill "fill $i failed"; stop_tool; return 0; }
            have=$i
        done
        for i in 1 "$have"; do
            await "$HOST_ADDR" $((30000 + i)) 5000 || note "$t" "level $L" "FAIL: existing container $i no longer answers ($AW_REPLY)"
        done
        for ((r = 1; r <= n; r++)); do
            # a new probe number (name, address) each time: see a_single.sh
            p=$((PROBE + 100 * k + r))
            "${DRV}_prepare" $p 8080:80
            if ! run_setup "$t" $p 8080:80 "setup_ms_at_$lv"; then "${DRV}_teardown" $p >/dev/null 2>&1; "${DRV}_cleanup" $p; stop_tool; return 0; fi
            run_teardown "$t" $p "teardown_ms_at_$lv" || { "${DRV}_cleanup" $p; stop_tool; return 0; }
            "${DRV}_cleanup" $p
        done
        k=$((k + 1))
        echo "   $t level $L: setup median $(median_of "$t" "setup_ms_at_$lv") ms, teardown $(median_of "$t" "teardown_ms_at_$lv") ms" >&2
    done
    stop_tool
}

for t in "${ours[@]}"; do measure "$t" $(( (REPS + 1) / 2 )); done
for t in "${peers[@]}"; do measure "$t" "$PEER_REPS"; done
for t in "${ours[@]}"; do measure "$t" $(( REPS / 2 )); done

report "c_scale: probe container setup (until answer) / teardown with N running containers (one port each); ctrlink reps=$REPS, peers reps=$PEER_REPS; ms" \
    "$RESULTS_DIR/c_scale.txt"
