#!/bin/bash
# (f) our library's calls timed in-process: bench/bench_ops (built with the project), which
#     isolates itself in private network, mount and PID namespaces; run here inside ours too.
#     Its lines "NAME median M p10 A p90 B ms (n=N)" go to samples.tsv (unit ms_stats).
# Usage: f_inproc.sh [REPS] [SCENARIOS...]   (bench_ops scenarios; default single calls range publish own scale)
. "$(dirname "$0")/lib.sh"
enter_private_ns "$@"
set -o pipefail
REPS=${1:-10}; shift || true
SCEN=${*:-single calls range publish own scale}
SCENARIO=f_inproc
BENCH_OPS=${BENCH_OPS:-$BENCH_BUILD/bench/bench_ops}
need "$BENCH_OPS"
args=(-r "$REPS"); for s in $SCEN; do args+=(-s "$s"); done
{
    echo "# f_inproc: bench_ops ${args[*]} (in-process library calls; ms)"
    echo "# host: $(uname -r), $(nproc) cpus, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
    "$BENCH_OPS" "${args[@]}"
} | tee "$RESULTS_DIR/f_inproc.txt" | tee /dev/stderr |
    sed -n 's/^\(.*[^ ]\) *median *\([0-9.]*\) *p10 *\([0-9.]*\) *p90 *\([0-9.]*\) *ms *(n=\([0-9]*\)).*/\1\t\2 \3 \4 \5/p' |
    while IFS=$'\t' read -r name st; do
        printf '%s\t%s\t%s\t%s\t%s\n' "$SCENARIO" ctrlink "$name" "$st" ms_stats >> "$RESULTS_DIR/samples.tsv"
    done
