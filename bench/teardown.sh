#!/bin/sh
# bench/teardown.sh BUILD_DIR [BACKEND] [ROUNDS]: medians of `ctrlink run -d -p 18080:80` and of
# `ctrlink rm -f` (ROUNDS rounds, default 20) and the mean of `ctrlink version`, in a private
# network and mount namespace (PAUSE=seconds between a rm -f and the next run).  A quick A/B
# tool: run two builds taking turns.
set -e
here=$(cd "$(dirname "$0")" && pwd)
exec unshare -nm --propagation private sh -c \
    'mount -t tmpfs tmpfs /run && ip link set lo up && exec /usr/bin/python3 "$@"' \
    sh "$here/teardown.py" "$1" "${2:-nftables}" "${3:-20}"
