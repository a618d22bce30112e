#!/bin/bash
# Everything the benchmarks need, idempotent:
#   1. Debian packages: the peers (docker.io, podman, netavark, CNI plugins, systemd-nspawn,
#      LXC), the load and measuring tools, our build dependencies.  Services shipped by the
#      packages (docker, containerd, lxc-net, ...) are NOT started: a policy-rc.d that denies
#      starts is put in place during the install if none exists.
#   2. our release build in bench/build (meson --buildtype=release)
#      (with the benchmark programs: bench_ops, cg_ops, netprobe, tinysrv in bench/build/bench)
#   3. bench/build/extra: the root filesystem tarball (busybox-static + tinysrv) that
#      podman/docker import and nspawn runs (no registry is reachable here).
# Usage: setup.sh [--no-install] [--no-build]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bench=$(cd "$here/.." && pwd)
top=$(cd "$bench/.." && pwd)
BENCH_BUILD=${BENCH_BUILD:-$bench/build}
install=1 build=1
for a in "$@"; do
    case $a in
        --no-install) install= ;;
        --no-build) build= ;;
        *) echo "usage: $0 [--no-install] [--no-build]" >&2; exit 2 ;;
    esac
done

PKGS="docker.io containerd runc podman conmon netavark aardvark-dns containernetworking-plugins
      systemd-container lxc iperf3 socat hyperfine gnuplot-nox valgrind busybox-static jq strace
      iproute2 iptables nftables procps python3 gcc meson ninja-build pkg-config
      libmnl-dev libcap-ng-dev libcjson-dev libiptc-dev"
if [ -n "$install" ]; then
    missing=$(for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
    if [ -n "$missing" ]; then
        tmp_policy=
        if [ ! -e /usr/sbin/policy-rc.d ]; then
            printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; tmp_policy=1
        fi
        echo "setup: installing $(echo $missing)" >&2
        apt-get update -qq
        # shellcheck disable=SC2086
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
        [ -n "$tmp_policy" ] && rm -f /usr/sbin/policy-rc.d
    fi
fi

if [ -n "$build" ]; then
    if [ ! -e "$BENCH_BUILD/build.ninja" ]; then
        meson setup "$BENCH_BUILD" "$top" --buildtype=release -Dpython_bindings=disabled >/dev/null
    fi
    bt=$(meson introspect --buildoptions "$BENCH_BUILD" | jq -r '.[] | select(.name == "buildtype") | .value')
    [ "$bt" = release ] || meson configure "$BENCH_BUILD" --buildtype=release >/dev/null
    ninja -C "$BENCH_BUILD" >/dev/null
fi

extra=$BENCH_BUILD/extra
mkdir -p "$extra"

TAR=$extra/rootfs.tar
if [ ! -s "$TAR" ] || [ "$BENCH_BUILD/bench/tinysrv" -nt "$TAR" ]; then
    d=$(mktemp -d)
    mkdir -p "$d"/{bin,sbin,etc,proc,sys,dev,tmp,root,run,usr/bin,usr/sbin}
    cp /bin/busybox "$d/bin/busybox"
    for a in $("$d/bin/busybox" --list); do [ -e "$d/bin/$a" ] || ln -s busybox "$d/bin/$a"; done
    cp "$BENCH_BUILD/bench/tinysrv" "$d/bin/tinysrv"
    echo 'root:x:0:0:root:/root:/bin/sh' > "$d/etc/passwd"
    echo 'root:x:0:' > "$d/etc/group"
    tar -C "$d" -cf "$TAR" .
    rm -rf "$d"
fi
echo "setup ok: $(dpkg-query -W -f '${Package}=${Version} ' docker.io podman netavark containernetworking-plugins systemd-container lxc iperf3 2>/dev/null)" >&2
