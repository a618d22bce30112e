#!/bin/sh
# bench/unpublish_cli.sh BUILD_DIR... : times `ctrlink publish` and `ctrlink unpublish` of one
# port on a running container, ROUNDS rounds (default 9) with a 50 ms pause before each, for
# each build in turn, in a private network and mount namespace (NAT backend from
# CTRLINK_NAT_BACKEND, default nftables).  Prints each build's times in microseconds.
set -e
export CTRLINK_NAT_BACKEND=${CTRLINK_NAT_BACKEND:-nftables}
exec unshare -nm --propagation private sh -c '
mount -t tmpfs tmpfs /run && ip link set lo up
for B in "$@"; do
    C="$B/examples/ctrlink/ctrlink"
    "$C" run -d --name cc sleep 100 >/dev/null
    P=""; U=""; i=0
    while [ $i -lt "${ROUNDS:-9}" ]; do
        i=$((i + 1)); port=$((18080 + i))
        sleep 0.05; t0=$(date +%s%N); "$C" publish cc $port:80; t1=$(date +%s%N)
        sleep 0.05; t2=$(date +%s%N); "$C" unpublish cc $port:80; t3=$(date +%s%N)
        P="$P $(( (t1 - t0) / 1000 ))"; U="$U $(( (t3 - t2) / 1000 ))"
    done
    echo "$B publish:$P"
    echo "$B unpublish:$U"
    "$C" rm -f cc >/dev/null
done' sh "$@"
