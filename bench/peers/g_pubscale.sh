#!/bin/bash
# (g) publish cost as the number of ports already published grows (issue 8): LEVELS of
#     10, 1000, 10000 and 50000 ports already published by "filler" containers (each a real
#     container with up to 10000 ports), in two fill modes:
#       ranges   1000-port ranges with offsets that differ from range to range (and from the
#                previous one), so that no two ranges coalesce: N/1000 rules
#       singles  one port per mapping, HOST:80: N rules (ctrlink's worst case)
#     Host ports of the fill: 1100 .. 1100+N-1 (51099 at most).  Timed at each level:
#   ctrlink_ipt, ctrlink_nft (each backend that works; ctrlink, the default, on request):
#     publish1       `ctrlink publish probe 65000:80` on a running container with no port, and
#     unpublish1     its `unpublish` (the marginal cost of one more port)
#     publish1own    the same on the last filler container (it holds up to 10000 ports)
#     unpublish1own
#     publish10k     `ctrlink publish probe 52000-61999:52000-61999`: 10,000 ports, one call
#     unpublish10k
#     run1           a new container with one port until a client gets an answer, and rm1
#   peers (netavark, podman, docker_noproxy: they cannot publish on a running container):
#     run1 / rm1     a new container with one port (65002:80) until a client gets an answer
#     run10k / rm10k a new container publishing 52000-61999 (netavark, podman)
#   Every published port is checked once per level (a client through it gets the answer)
#   before it is timed, and checked closed after its unpublish.
# Usage: g_pubscale.sh [REPS] [TOOLS...]  env LEVELS, FILLS (default "ranges singles" for
#        ctrlink, ranges only for peers), PEER_REPS, MAXPORTS_<tool> (docker_noproxy: 1000)
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
. "$PEERS_DIR/tools.sh"

REPS=${1:-7}; shift || true
PEER_REPS=${PEER_REPS:-$REPS}
TOOLS=${*:-ctrlink_ipt ctrlink_nft netavark podman docker_noproxy}
LEVELS=${LEVELS:-10 1000 10000 50000}
FILLS=${FILLS:-ranges singles}
MAXPORTS_docker_noproxy=${MAXPORTS_docker_noproxy:-1000}
BASE=1100 CHUNK=10000
SCENARIO=g_pubscale
add_host_addr
start_waiter

# gen_specs MODE FROM COUNT: the -p specs for host ports BASE+FROM .. BASE+FROM+COUNT-1
gen_specs() {
    local mode=$1 from=$2 count=$3 h e o c
    h=$((BASE + from)); e=$((h + count))
    if [ "$mode" = singles ]; then
        for ((; h < e; h++)); do echo "$h:80"; done
        return
    fi
    while [ $h -lt $e ]; do
        o=$((h - BASE))
        c=$(( (o / 1000 + 1) * 1000 + BASE )); [ $c -gt $e ] && c=$e      # end of this 1000-block
        local c0=$(( o % 1000 + 1 + o / 1000 ))                              # container port of h
        if [ $((c - h)) -eq 1 ]; then echo "$h:$c0"; else echo "$h-$((c - 1)):$c0-$((c0 + c - h - 1))"; fi
        h=$c
    done
}
# fill TOOL MODE FROM COUNT: filler containers (numbers 1001...) holding the ports
fill() {
    local t=$1 mode=$2 from=$3 count=$4 n specs s a js h0 c0
    while [ "$count" -gt 0 ]; do
        n=$count; [ $n -gt $CHUNK ] && n=$CHUNK
        mapfile -t specs < <(gen_specs "$mode" "$from" "$n")
        FK=$((FK + 1))
        h0=${specs[0]%%[-:]*}; c0=${specs[0]#*:}; c0=${c0%%-*}
        a=()
        tick
        case $DRV in
            ctrlink)
                for s in "${specs[@]}"; do a+=(-p "$s"); done
                # shellcheck disable=SC2046
                ctrlink_cmd run -d --name "f$FK" "${a[@]}" "$TINYSRV" $(printf '%s\n' 80 "$c0" | sort -u) >/dev/null || return 1 ;;
            netavark)
                js=""
                for s in "${specs[@]}"; do
                    parse_spec "$s"
                    js+="${js:+,}{\"host_ip\":\"\",\"container_port\":$SP_CP,\"host_port\":$SP_HP,\"range\":$SP_N,\"protocol\":\"tcp\"}"
                done
                NV_MAPPINGS=$js netavark_prepare $((1000 + FK)) "$h0:$c0"
                netavark_setup $((1000 + FK)) || return 1 ;;
            podman|docker)  # the first spec as it is: tinysrv listens on its last port
                for s in "${specs[@]:1}"; do a+=(-p "$s"); done
                parse_spec "${specs[0]}"; h0=$SP_LHP
                "${DRV}_setup" $((1000 + FK)) "${specs[0]}" "${a[@]}" || return 1 ;;
        esac
        await "$HOST_ADDR" "$h0" 60000 || { note "$t" fill "FAIL: filler $FK does not answer on $h0 ($AW_REPLY)"; return 1; }
        tock "$t" "fill_${mode}_upto_$(printf %05d "$((from + n))")"
        from=$((from + n)); count=$((count - n))
    done
}
# timed CMD...: one sample of a command for metric $M of tool $T
timed() { tick; "$@" >/dev/null || { note "$T" "$M" "command failed: $*"; return 1; }; tock "$T" "$M"; }

for T in $TOOLS; do
    start_tool "$T" || continue
    stop_tool
    for mode in $FILLS; do
        [[ $T != ctrlink* ]] && [ "$mode" != ranges ] && continue
        start_tool "$T" || continue
        echo "== $T ($DRV) fill=$mode levels: $LEVELS" >&2
        if ! check_cycle "$T" 65002:80 999; then stop_tool; continue; fi
        max=$(eval echo "\${MAXPORTS_$T:-999999}")
        n=$REPS; [[ $T == ctrlink* ]] || n=$PEER_REPS
        n10=$n; [ $n10 -gt 3 ] && n10=3
        have=0 FK=0 k=0
        if [ "$DRV" = ctrlink ]; then
            ctrlink_cmd run -d --name probe "$TINYSRV" 80 61999 >/dev/null || { note "$T" probe "FAIL: probe container"; stop_tool; continue; }
        fi
        for L in $LEVELS; do
            [ "$L" -gt "$max" ] && { note "$T" "level $L" "skipped (MAXPORTS_$T=$max)"; continue; }
            fill "$T" "$mode" $have $((L - have)) || { note "$T" fill "FAIL at level $L"; break; }
            have=$L; lv=$(printf %05d "$L")
            echo "   $T $mode: $have ports published by $FK fillers" >&2
            if [ "$DRV" = ctrlink ]; then
                # check each, untimed (a second try after 2 s), then time; a level whose check
                # fails is not timed, and what the kernel had is logged
                okp=1
                for spec in 65000:80 52000-61999:52000-61999; do
                    parse_spec "$spec"
                    for try in 1 2; do
                        if ctrlink_cmd publish probe "$spec" >/dev/null && await "$HOST_ADDR" "$SP_LHP" 5000; then
                            ctrlink_cmd unpublish probe "$spec" >/dev/null
                            closed "$HOST_ADDR" "$SP_LHP" || note "$T" "level $L" "FAIL: $SP_LHP still answers after unpublish"
                            [ $try = 2 ] && note "$T" "level $L" "warning: $spec answered at the second try only"
                            break
                        fi
                        note "$T" "level $L" "FAIL (try $try): published $SP_LHP does not answer ($AW_REPLY)"
                        {
                            echo "--- $T $mode level $L: $spec does not answer; probe: $(ctrlink_cmd inspect -f '{{.State.Status}} {{.NetworkSettings.IPAddress}}' probe)"
                            nft list ruleset 2>/dev/null | grep -n " $SP_LHP\b" | head -5
                            iptables-legacy-save -t nat 2>/dev/null | grep -- "--dport $SP_LHP\b" | head -5
                            conntrack -L -p tcp --orig-port-dst "$SP_LHP" 2>/dev/null | head -5
                            ip neigh show dev ctrlink0 | head -5
                        } >&2
                        ctrlink_cmd unpublish probe "$spec" >/dev/null 2>&1
                        [ $try = 2 ] && okp=0
                        sleep 2
                    done
                done
                if [ $okp = 0 ]; then note "$T" "level $L" "not timed: the check failed twice"; k=$((k + 1)); continue; fi
                for ((r = 1; r <= n; r++)); do
                    M=publish1_${mode}_at_$lv timed ctrlink_cmd publish probe 65000:80 || break
                    M=unpublish1_${mode}_at_$lv timed ctrlink_cmd unpublish probe 65000:80 || break
                    M=publish1own_${mode}_at_$lv timed ctrlink_cmd publish "f$FK" 65001:80 || break
                    M=unpublish1own_${mode}_at_$lv timed ctrlink_cmd unpublish "f$FK" 65001:80 || break
                done
                for ((r = 1; r <= n10; r++)); do
                    M=publish10k_${mode}_at_$lv timed ctrlink_cmd publish probe 52000-61999:52000-61999 || break
                    M=unpublish10k_${mode}_at_$lv timed ctrlink_cmd unpublish probe 52000-61999:52000-61999 || break
                done
            fi
            for ((r = 1; r <= n; r++)); do
                p=$((60000 + 100 * k + r))
                "${DRV}_prepare" $p 65002:80
                if ! run_setup "$T" $p 65002:80 "run1_${mode}_at_$lv"; then "${DRV}_teardown" $p >/dev/null 2>&1; "${DRV}_cleanup" $p; break; fi
                run_teardown "$T" $p "rm1_${mode}_at_$lv"; "${DRV}_cleanup" $p
            done
            if [ "$DRV" = netavark ] || [ "$DRV" = podman ]; then
                for ((r = 1; r <= n10; r++)); do
                    p=$((60050 + 100 * k + r))
                    "${DRV}_prepare" $p 52000-61999:52000-61999
                    if ! run_setup "$T" $p 52000-61999:52000-61999 "run10k_${mode}_at_$lv"; then "${DRV}_teardown" $p >/dev/null 2>&1; "${DRV}_cleanup" $p; break; fi
                    run_teardown "$T" $p "rm10k_${mode}_at_$lv"; "${DRV}_cleanup" $p
                done
            fi
            k=$((k + 1))
            for m in publish1 publish1own publish10k run1; do
                f=$WORK/samples/${T}__${m}_${mode}_at_$lv
                [ -e "$f" ] && echo "   $T $mode @$L: $m median $(stats "$f" | awk '{print $2}') ms" >&2
            done
        done
        stop_tool
    done
done

report "g_pubscale: publish cost with N ports already published (fill: $FILLS); ctrlink reps=$REPS, peers reps=$PEER_REPS; ms" "$RESULTS_DIR/g_pubscale.txt"
