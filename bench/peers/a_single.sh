#!/bin/bash
# (a) one container with a network and one published port (host 8080 -> container 80):
#     create + start until a TCP client through the host port gets tinysrv's answer, and
#     teardown, per tool.  Every tool is checked first (an untimed cycle whose answer must
#     come through the published port, and whose port must be closed after teardown).
# "Cold" as far as the tool allows: netavark and CNI create the bridge and base rules in the
# first setup and remove them with the last container; podman/docker/lxc/ctrlink keep the
# bridge once created (ctrlink keeps its base rules too).
# ctrlink's repetitions are split: half before the peers, half after them, so that a drift
# in the machine's load shows in both.
# Usage: a_single.sh [REPS] [TOOLS...]   env: PEER_REPS (default REPS), SPEC (default 8080:80),
#        NAME (default a_single)
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
. "$PEERS_DIR/tools.sh"

REPS=${1:-25}; shift || true
PEER_REPS=${PEER_REPS:-$REPS}
TOOLS=${*:-ctrlink ctrlink_ipt ctrlink_nft netavark cni podman docker docker_noproxy nspawn lxc}
SPEC=${SPEC:-8080:80}
NAME=${NAME:-a_single}
SCENARIO=$NAME
add_host_addr
start_waiter

ours=() peers=()
for t in $TOOLS; do case $t in ctrlink*) ours+=("$t") ;; *) peers+=("$t") ;; esac; done

measure() { # TOOL REPS
    local t=$1 n=$2 r
    start_tool "$t" || return 0
    echo "== $t ($DRV) x$n spec $SPEC" >&2
    if ! check_cycle "$t" "$SPEC" 999; then stop_tool; return 0; fi
    # container number r: a new name and address each time (an address reused at once with
    # another MAC address would meet a stale ARP entry on a bridge that stays)
    for ((r = 1; r <= n; r++)); do
        "${DRV}_prepare" $r "$SPEC"
        if ! run_setup "$t" $r "$SPEC" setup_ms; then "${DRV}_teardown" $r >/dev/null 2>&1; "${DRV}_cleanup" $r; break; fi
        run_teardown "$t" $r teardown_ms || { "${DRV}_cleanup" $r; break; }
        "${DRV}_cleanup" $r
    done
    echo "   $t: setup median $(median_of "$t" setup_ms) ms, teardown $(median_of "$t" teardown_ms) ms" >&2
    # ours can also publish the ports on a running container: `ctrlink publish NAME SPEC`
    parse_spec "$SPEC"
    if [ "$DRV" = ctrlink ] && [ "$SP_N" -gt 1 ]; then
        ctrlink_cmd run -d --name pr "$TINYSRV" "$SP_LCP" >/dev/null
        if ctrlink_cmd publish pr "$SPEC" >/dev/null && await "$HOST_ADDR" "$SP_LHP" 5000 &&
           ctrlink_cmd unpublish pr "$SPEC" >/dev/null && closed "$HOST_ADDR" "$SP_LHP"; then
            note "$t" check "ok: publish/unpublish $SPEC on a running container: answers, then closed"
            for ((r = 1; r <= n; r++)); do
                tick; ctrlink_cmd publish pr "$SPEC" >/dev/null || break; tock "$t" publish_running_ms
                tick; ctrlink_cmd unpublish pr "$SPEC" >/dev/null || break; tock "$t" unpublish_running_ms
            done
        else
            note "$t" check "FAIL: publish $SPEC on a running container ($AW_REPLY)"
        fi
    fi
    stop_tool
}

# the floor of any CLI: a fork+exec from bash, and our CLI doing nothing (ctrlink version)
if [ "$NAME" = a_single ]; then
    for ((r = 1; r <= 20; r++)); do
        tick; /bin/true; tock floor exec_true_ms
        tick; "$CTRLINK" version >/dev/null; tock floor ctrlink_version_ms
    done
fi
for t in "${ours[@]}"; do measure "$t" $(( (REPS + 1) / 2 )); done
for t in "${peers[@]}"; do measure "$t" "$PEER_REPS"; done
for t in "${ours[@]}"; do measure "$t" $(( REPS / 2 )); done

report "$NAME: one container, published ports $SPEC, until a client through the host port gets an answer; ctrlink reps=$REPS, peers reps=$PEER_REPS; ms" "$RESULTS_DIR/$NAME.txt"
