#!/bin/bash
# (b) one container publishing a RANGE of 1000 ports (20000-20999 -> 20000-20999), until a
#     client through the last port of the range gets an answer; and teardown.  Same loop as
#     a_single.sh.  netavark/podman pass it as one mapping with range=1000; CNI portmap gets
#     1000 portMappings entries (CNI has no ranges); docker expands it to 1000 mappings (with
#     its userland proxy that would be 2000 docker-proxy processes, so only
#     docker_noproxy runs here); nspawn gets 1000 --port options.  ctrlink makes it one rule.
# Usage: b_range.sh [REPS] [TOOLS...]   env PEER_REPS
here=$(dirname "$(readlink -f "$0")")
REPS=${1:-15}; shift || true
TOOLS=${*:-ctrlink ctrlink_ipt ctrlink_nft netavark podman nspawn}
SPEC=${SPEC:-20000-20999:20000-20999} NAME=${NAME:-b_range} exec "$here/a_single.sh" "$REPS" $TOOLS
