#!/bin/sh
# bench/memory.sh BUILD_DIR [BACKEND] [LEVELS]: memory per running container (monitor
# included) at each level of running containers (default "1 100 500"), in a private network
# and mount namespace (see memory.py).
set -e
here=$(cd "$(dirname "$0")" && pwd)
exec unshare -nm --propagation private sh -c \
    'mount -t tmpfs tmpfs /run && ip link set lo up && exec /usr/bin/python3 "$@"' \
    sh "$here/memory.py" "$1" "${2:-nftables}" "${3:-1 100 500}"
