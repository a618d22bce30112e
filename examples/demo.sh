#!/bin/bash
# The demo: Docker's classic links scenario with real servers, on ctrlink.
#   db   PostgreSQL (Debian's), exposing 5432
#   web  a small Python web app started with -P --link db:db; it reads DB_PORT_5432_TCP_ADDR
#        and DB_PORT_5432_TCP_PORT and answers HTTP with a row it queries from db by alias
# It runs in a private network and mount namespace, so the host's interfaces and firewall stay
# untouched and nothing is left behind; pass --host to run it on the host itself.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
if [ "${1:-}" != "--host" ] && [ -z "${CTRLINK_DEMO_INSIDE:-}" ]; then
	exec env CTRLINK_DEMO_INSIDE=1 unshare --net --mount --propagation private "$0" "$@"
fi
WORK=$(mktemp -d /tmp/ctrlink-demo.XXXXXX)
if [ -n "${CTRLINK_DEMO_INSIDE:-}" ]; then
	# a fresh /run; a checkout that lives there stays visible where it is
	CTRLINK_BUILD=$BUILD /usr/bin/python3 "$TOP/tests/private.py" /run
	ip link set lo up
fi
export PATH="$BUILD/examples/ctrlink:$PATH"
export CTRLINK_STATE_DIR=/run/ctrlink-demo
PG=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
cleanup() { ctrlink rm -f web db >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

# A database cluster of the demo's own, reachable from the containers' network.
chown postgres "$WORK"
runuser -u postgres -- "$PG/initdb" -D "$WORK/pg" -A trust >/dev/null
echo "host all all 0.0.0.0/0 trust" >> "$WORK/pg/pg_hba.conf"
printf "listen_addresses = '*'\nunix_socket_directories = '%s'\n" "$WORK" >> "$WORK/pg/postgresql.conf"

step ctrlink run -d --name db -u postgres --expose 5432 "$PG/postgres" -D "$WORK/pg"
until ctrlink exec -u postgres db "$PG/pg_isready" -q -h "$WORK"; do sleep 0.1; done
step ctrlink exec -u postgres db psql -q -h "$WORK" -c \
	"CREATE TABLE greetings (id serial, msg text); INSERT INTO greetings (msg) VALUES ('hello from PostgreSQL, through a link');"
step ctrlink run -d --name web -P --expose 5000 --link db:db /usr/bin/python3 "$TOP/examples/webapp/app.py"
step ctrlink ps
step ctrlink port web
step ctrlink inspect -f "{{ .HostConfig.Links }}" web
step ctrlink exec web sh -c 'env | grep ^DB_ | sort; grep -w db /etc/hosts'
PORT=$(ctrlink port web 5000 | head -1 | sed 's/.*://')
printf '\n\033[1m$ HTTP GET http://127.0.0.1:%s/\033[0m\n' "$PORT"
/usr/bin/python3 - "$PORT" <<'PY'
import sys, time, urllib.request
for _ in range(100):
    try:
        print(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/", timeout=5).read().decode(), end="")
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("the web app did not answer")
PY
step ctrlink rm -f web db
step ctrlink ps -a
# a veth goes with its container's network namespace, which the kernel removes just after rm
for _ in $(seq 40); do
    [ "$(ip -o link | grep -c ' ctl' || true)" = 0 ] && break
    sleep 0.05
done
printf '\nleft behind: %s veth, %s rules\n' "$(ip -o link | grep -c ' ctl' || true)" \
	"$(iptables-legacy-save | grep -c 'ctrlink:' || true)"
