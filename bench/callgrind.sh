#!/bin/bash
# (f) instruction counts of the library's hot calls: bench/cg_ops under
#     valgrind --tool=callgrind, in private network, mount and PID namespaces.
#     Counts are inclusive (the call and everything it calls) and per call, in-process only:
#     the ctr-monitor helper and the container are other processes (not followed), and time
#     spent blocked waiting for them costs no instructions.  Instruction counts do not depend
#     on the machine's load, so a regression shows even on a noisy machine.
# Usage: bench/callgrind.sh [REPS]    (default 5 calls of each); env CG_OTHERS (default 500):
#        the second series runs with that many other containers (each with a port) running
. "$(dirname "$0")/peers/lib.sh"
enter_private_ns "$@"
set -eo pipefail
REPS=${1:-5}
SCENARIO=f_callgrind
CG_OPS=${CG_OPS:-$BENCH_BUILD/bench/cg_ops}
need valgrind; need callgrind_annotate; need "$CG_OPS"
K=${CG_OTHERS:-500}
# run PREFIX OTHERS: cg_ops under callgrind with OTHERS other containers running
run_cg() {
    local out=$WORK/callgrind.$1.out
    valgrind --tool=callgrind --callgrind-out-file="$out" --collect-atstart=no --toggle-collect='cgop_*' \
        --trace-children=no "$CG_OPS" "$TINYSRV" -n "$REPS" -k "$2" > "$WORK/cg.$1.log" 2>&1 ||
        { cat "$WORK/cg.$1.log" >&2; exit 1; }
    cp "$out" "$RESULTS_DIR/callgrind.$1.out"
    callgrind_annotate --inclusive=yes --threshold=100 "$out" > "$WORK/incl.$1.txt"
}
run_cg k0 0
run_cg k$K "$K"
callgrind_annotate --inclusive=no --threshold=95 "$WORK/callgrind.k0.out" > "$RESULTS_DIR/callgrind_self.txt"
ir_of() { grep -E ":cgop_$2( |\\.)" "$WORK/incl.$1.txt" | head -1 | awk '{gsub(",","",$1); print $1}'; }
{
    echo "# f_callgrind: instructions per call (inclusive, in-process only), $REPS calls each; valgrind $(valgrind --version | sed 's/valgrind-//')"
    printf '%-26s %16s %16s\n' call "alone" "with $K others"
    for op in create start inspect list publish_1 unpublish_1 publish_range1000 unpublish_range1000 link unlink stop remove; do
        a=$(ir_of k0 "$op"); b=$(ir_of "k$K" "$op")
        [ -n "$a" ] || continue
        printf '%-26s %16s %16s\n' "ctr_$op" $((a / REPS)) $(( ${b:-0} / REPS ))
        printf '%s\t%s\t%s\t%s\t%s\n' "$SCENARIO" ctrlink "ctr_$op" $((a / REPS)) Ir >> "$RESULTS_DIR/samples.tsv"
        [ -n "$b" ] && printf '%s\t%s\t%s\t%s\t%s\n' "$SCENARIO" "ctrlink_k$K" "ctr_$op" $((b / REPS)) Ir >> "$RESULTS_DIR/samples.tsv"
    done
    echo "# where they go (self cost over all the calls above, alone, top functions):"
    sed -n '/^Ir/,$p' "$RESULTS_DIR/callgrind_self.txt" | grep -v '^-' | sed -n '2,16p'
} | tee "$RESULTS_DIR/f_callgrind.txt"
