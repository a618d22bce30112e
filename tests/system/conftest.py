"""Shared helpers for the system tests.  Every test runs in private namespaces (nsplugin)."""
import json
import os
import re
import socket
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
pytest_plugins = ["nsplugin"]

BUILD = os.path.abspath(os.environ.get("CTRLINK_BUILD", os.path.join(
    os.path.dirname(__file__), "..", "..", "build")))
CTRLINK = os.path.join(BUILD, "examples", "ctrlink", "ctrlink")
HERE = os.path.dirname(os.path.abspath(__file__))
SRV = os.path.join(HERE, "srv.py")
PY = "/usr/bin/python3"


class Result:
    def __init__(self, p):
        self.rc = p.returncode
        self.out = p.stdout
        self.err = p.stderr

    def __repr__(self):
        return f"<rc={self.rc} out={self.out!r} err={self.err!r}>"


def ctl(*args, check=True, input=None, timeout=60, env=None):
    """Run ctrlink; with check, a non-zero exit fails the test with its stderr."""
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run([CTRLINK, *map(str, args)], capture_output=True, text=True,
                       input=input, timeout=timeout, env=e)
    r = Result(p)
    if check and r.rc != 0:
        pytest.fail(f"ctrlink {' '.join(map(str, args))} failed: {r}")
    return r


def inspect(ref):
    return json.loads(ctl("inspect", ref).out)[0]


def wait_for(cond, timeout=20, what="condition"):
    """Poll until cond() is truthy (readiness of a server, ...); fail after timeout."""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def sh(cmd, check=True):
    """A shell command of the test itself (the library never runs any)."""
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=60)
    if check and p.returncode != 0:
        pytest.fail(f"{cmd!r} failed: {p.stderr}")
    return p.stdout


def container_cgroups():
    """The IDs of the containers that have a cgroup (<top>/ctrlink/<hash>/<id>, of any state
    directory, in any hierarchy); None where the test cannot see a writable cgroup2."""
    from cgroups import host_hierarchies
    tops = [mp for mp, _, _ in host_hierarchies()]
    if not tops:
        return None
    out = set()
    for top in (os.path.join(mp, "ctrlink") for mp in tops):
        for par in os.listdir(top) if os.path.isdir(top) else []:
            if os.path.isdir(os.path.join(top, par)):
                out |= {c for c in os.listdir(os.path.join(top, par))
                        if os.path.isdir(os.path.join(top, par, c))}
    return out


BACKEND = os.environ.get("CTRLINK_NAT_BACKEND") or "iptables"  # the runner sets it


def ruleset():
    """The whole firewall of the backend in use, as comparable text (no counters, no
    time stamps, no handles): what "nothing changed" is checked against."""
    if BACKEND == "iptables":
        return iptables_save()
    return sh("nft list ruleset")


def our_rules():
    """Every per-container rule (iptables: a rule in our chains; nftables: an element of one
    of our maps or sets, prefixed by the map's name), as text naming its container IDs."""
    if BACKEND == "iptables":
        return [l for l in iptables_save().splitlines() if "ctrlink:" in l]
    out = []
    for o in json.loads(sh("nft -j list ruleset"))["nftables"]:
        for kind in ("set", "map"):
            m = o.get(kind)
            if m and m["table"].startswith("ctrlink_"):
                for e in m.get("elem", []):
                    out.append(m["name"] + " " + json.dumps(e, sort_keys=True))
    return out


def rules_naming(cid):
    return [r for r in our_rules() if cid in r]


def dnat_rules(cid=None):
    """Published-port rules (iptables) or map elements (nftables), of one container or all."""
    return [r for r in our_rules()
            if (r.startswith("-A CTRLINK-DNAT-") or r.startswith("dnat")) and
            (cid is None or cid in r)]


def link_rules():
    return [r for r in our_rules() if r.startswith("-A CTRLINK-LINK-") or r.startswith("links")]


def iptables_save():
    """The legacy ruleset, without its time-stamped comment lines and chain counters."""
    return "".join(re.sub(r" \[\d+:\d+\]$", "", l) + "\n"
                   for l in sh("iptables-legacy-save").splitlines() if not l.startswith("#"))


def tcp_request(host, port, data=b"ping\n", timeout=5, source=None):
    """Connect, send a line, return the answer (the server's greeting and echo)."""
    with socket.create_connection((host, port), timeout=timeout,
                                  source_address=(source, 0) if source else None) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks).decode()


def tcp_try(host, port, timeout=2):
    try:
        return tcp_request(host, port, timeout=timeout)
    except OSError:
        return None


def udp_request(host, port, data=b"ping", timeout=3):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(data, (host, port))
        return s.recvfrom(65536)[0].decode()


def udp_try(host, port, timeout=1):
    try:
        return udp_request(host, port, timeout=timeout)
    except OSError:
        return None


class Outside:
    """A separate network namespace standing in for another host, wired to ours by a veth:
    we are 10.250.0.1 there, it is 10.250.0.2."""
    HOST_IP = "10.250.0.1"
    IP = "10.250.0.2"

    def __init__(self):
        sh("ip netns add out && ip link add vout type veth peer name vin netns out && "
           "ip addr add 10.250.0.1/24 dev vout && ip link set vout up && "
           "ip -n out addr add 10.250.0.2/24 dev vin && ip -n out link set vin up && "
           "ip -n out link set lo up && ip -n out route add default via 10.250.0.1")

    def run(self, *args, check=True, timeout=30):
        p = subprocess.run(["ip", "netns", "exec", "out", *args], capture_output=True, text=True,
                           timeout=timeout)
        if check and p.returncode != 0:
            pytest.fail(f"in the outside namespace, {args} failed: {p.stderr}")
        return p

    def tcp(self, host, port, timeout=5):
        p = self.run(PY, os.path.join(HERE, "client.py"), "tcp", host, str(port), str(timeout),
                     check=False, timeout=timeout + 10)
        return p.stdout if p.returncode == 0 else None

    def udp(self, host, port, timeout=2):
        p = self.run(PY, os.path.join(HERE, "client.py"), "udp", host, str(port), str(timeout),
                     check=False, timeout=timeout + 10)
        return p.stdout if p.returncode == 0 else None

    def listen_tcp(self, port):
        """A server in the outside world; returns the Popen."""
        return subprocess.Popen(["ip", "netns", "exec", "out", PY, SRV, "tcp", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.fixture
def outside():
    return Outside()


def server_container(name, *ports, opts=(), udp=False):
    """A detached container running srv.py on the given ports; waits until it listens."""
    cid = ctl("run", "-d", "--name", name, *opts, PY, SRV, "udp" if udp else "tcp",
              *map(str, ports)).out.strip()
    ip = inspect(name)["NetworkSettings"]["IPAddress"]
    if not udp:
        for p in ports:
            wait_for(lambda: tcp_try(ip, p), what=f"{name} listening on {p}")
    else:
        wait_for(lambda: udp_try(ip, ports[0]), what=f"{name} listening on udp {ports[0]}")
    return cid, ip
