#!/bin/bash
# The demo: containers with ctrlink.  Runs in a private network and mount namespace (so the
# host's interfaces and firewall are untouched and nothing is left behind); pass --host to run
# it on the host itself.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
if [ "${1:-}" != "--host" ] && [ -z "${CTRLINK_DEMO_INSIDE:-}" ]; then
	exec env CTRLINK_DEMO_INSIDE=1 unshare --net --mount --propagation private "$0" "$@"
fi
if [ -n "${CTRLINK_DEMO_INSIDE:-}" ]; then
	mount -t tmpfs tmpfs /run
	ip link set lo up
fi
export PATH="$BUILD/examples/ctrlink:$PATH"
export CTRLINK_STATE_DIR=/run/ctrlink-demo
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step ctrlink run -d --name web sleep 1000
step ctrlink run -d sleep 1000
step ctrlink ps
step ctrlink inspect -f '{{.Name}} {{.State.Status}} pid {{.State.Pid}} ip {{.NetworkSettings.IPAddress}}' web
step ctrlink run --rm --name web2 sh -c 'echo "hello from $(hostname)"; exit 3' || echo "(exit status $?)"
step ctrlink stop -t 1 web
step ctrlink rm -f $(ctrlink ps -a -q)
step ctrlink ps -a
