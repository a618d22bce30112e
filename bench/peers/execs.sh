#!/bin/bash
# (extra, not run by default) where the time goes: processes exec'd by each tool to set up / tear down
#     one container with one published port (warm: one other container exists).
#     strace -f -e trace=execve; counts per program.
# Usage: execs.sh [TOOLS...]   (default: ctrlink netavark cni podman docker_noproxy)
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
. "$PEERS_DIR/tools.sh"
command -v strace >/dev/null || { echo "needs strace (apt-get install strace)" >&2; exit 1; }
SCENARIO=x_execs
TOOLS=${*:-ctrlink netavark cni podman docker_noproxy}
add_host_addr
out=$RESULTS_DIR/x_execs.txt
: > "$out"
count() { # STRACE-FILE -> "N execs: prog xK, ..."  (successful execve only;
           # execvp's failed PATH probes are not counted)
    grep 'execve(' "$1" | grep ' = 0$' | grep -o 'execve("[^"]*"' | sed 's/execve("//; s/"$//' | xargs -r -n1 basename | sort | uniq -c | sort -rn |
        awk '{t+=$1; s=s sprintf("%s x%d, ", $2, $1)} END{printf "%d execs: %s\n", t, s}'
}
for t in $TOOLS; do
    use_variant "$t" || continue
    CUR_DRV=$DRV
    "${DRV}_init"
    "${DRV}_prepare" 1 30001:80; "${DRV}_setup" 1 30001:80        # the "existing" container
    "${DRV}_prepare" 2 8080:80
    if [ "$DRV" = docker ]; then
        strace -f -qq -e trace=execve -o "$WORK/st.setup" -p "$DOCKERD_PID" & sp=$!; sleep 1
        "${DRV}_setup" 2 8080:80; sleep 0.5; kill $sp; wait $sp 2>/dev/null
        strace -f -qq -e trace=execve -o "$WORK/st.teardown" -p "$DOCKERD_PID" & sp=$!; sleep 1
        "${DRV}_teardown" 2; sleep 0.5; kill $sp; wait $sp 2>/dev/null
    else
        # strace -f would also follow daemons that stay (conmon), so it is
        # stopped once the driver call has returned
        for ph in setup teardown; do
            rm -f "$WORK/done"
            arg=""; [ $ph = setup ] && arg="8080:80"
            strace -f -qq -e trace=execve -o "$WORK/st.$ph" bash -c ". $PEERS_DIR/lib.sh; . $PEERS_DIR/tools.sh; use_variant $t; WORK=$WORK; NETPROBE=$NETPROBE; ${DRV}_$ph 2 $arg; touch $WORK/done" &
            sp=$!
            while [ ! -e "$WORK/done" ] && kill -0 $sp 2>/dev/null; do sleep 0.1; done
            sleep 0.3; kill -9 $sp 2>/dev/null; wait $sp 2>/dev/null
        done
    fi
    echo "$t setup:    $(count "$WORK/st.setup")" | tee -a "$out"
    echo "$t teardown: $(count "$WORK/st.teardown")" | tee -a "$out"
    "${DRV}_cleanup" 2
    "${DRV}_fini"; CUR_DRV=
    reset_net_state
done
