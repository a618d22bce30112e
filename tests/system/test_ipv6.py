"""IPv6 parity (nftables backend): container addresses, outbound, published ports on IPv6 host
addresses and ::, links with IPv6 hosts lines and channels."""
import json
import os
import subprocess

import pytest

from conftest import BACKEND, PY, SRV, ctl, inspect, sh, wait_for

pytestmark = pytest.mark.skipif(BACKEND != "nftables", reason="IPv6 needs the nftables backend")

CLIENT = os.path.join(os.path.dirname(SRV), "client.py")
SUB6 = "fd00:c7::/64"
ENV = {"CTRLINK_SUBNET6": SUB6}

SRV6 = r"""
import socket, sys, threading
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::", port)); s.listen(64)
while True:
    c, a = s.accept()
    c.sendall(f"hello from {socket.gethostname()} port {port} peer {a[0]}\n".encode()); c.close()
"""


def c6(*args, **kw):
    return ctl(*args, env=ENV, **kw)


def srv6(name, *ports, opts=()):
    args = []
    for p in ports:
        args += [PY, "-c", SRV6, str(p)]
    c6("run", "-d", "--name", name, *opts, PY, "-c", SRV6, str(ports[0]))
    i = json.loads(c6("inspect", name).out)[0]["NetworkSettings"]
    wait_for(lambda: tcp6(i["GlobalIPv6Address"], ports[0]), what=f"{name} listening")
    return i


def tcp6(host, port, timeout=2):
    import socket
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            return s.recv(200).decode()
    except OSError:
        return None


class Outside6:
    """Another host, reached over IPv6: we are fd99::1 there, it is fd99::2."""

    def __init__(self):
        sh("ip netns add out && ip link add vout type veth peer name vin netns out && "
           "ip addr add fd99::1/64 dev vout nodad && ip link set vout up && "
           "ip -n out addr add fd99::2/64 dev vin nodad && ip -n out link set vin up && "
           "ip -n out link set lo up && ip -n out -6 route add default via fd99::1")

    def tcp(self, host, port):
        p = subprocess.run(["ip", "netns", "exec", "out", PY, "-c",
                            f"import socket; s=socket.create_connection(({host!r},{port}),timeout=3);"
                            "print(s.recv(200).decode(), end='')"], capture_output=True, text=True)
        return p.stdout if p.returncode == 0 else None


def test_container_addresses_and_route():
    c6("run", "-d", "--name", "web", "sleep", "1000")
    ns = inspect("web")["NetworkSettings"]
    ip4 = ns["IPAddress"]
    assert ns["GlobalIPv6Address"] == "fd00:c7::" + ip4.split(".")[3]  # subnet + host number
    assert ns["GlobalIPv6PrefixLen"] == 64 and ns["IPv6Gateway"] == "fd00:c7::1"
    assert ns["Networks"]["bridge"]["GlobalIPv6Address"] == ns["GlobalIPv6Address"]
    out = c6("exec", "web", "sh", "-c", "ip -6 addr show eth0; ip -6 route").out
    assert f"inet6 {ns['GlobalIPv6Address']}/64" in out and "tentative" not in out.split("global")[1][:40]
    assert "default via fd00:c7::1 dev eth0" in out
    hosts = c6("exec", "web", "cat", "/etc/hosts").out
    assert hosts.endswith(f"{ip4}\t{ns['Networks']['bridge']['EndpointID'][:12]}\n"
                          f"{ns['GlobalIPv6Address']}\t{inspect('web')['Config']['Hostname']}\n")
    info = json.loads(c6("info").out)
    assert info["NatBackend"] == "nftables"


def test_publish_on_ipv6_and_dual_stack():
    out = Outside6()
    i = srv6("web", 80, opts=("-p", "8080:80", "-p", "[fd99::1]:8081:80"))
    ports = inspect("web")["NetworkSettings"]["Ports"]["80/tcp"]
    assert {"HostIp": "0.0.0.0", "HostPort": "8080"} in ports
    assert {"HostIp": "::", "HostPort": "8080"} in ports  # one host port for both families
    assert {"HostIp": "fd99::1", "HostPort": "8081"} in ports
    line = c6("ps").out.splitlines()[1]
    assert "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp, [fd99::1]:8081->80/tcp" in line
    assert c6("port", "web", "80").out == "0.0.0.0:8080\n[::]:8080\n[fd99::1]:8081\n"
    # from another host over IPv6, with its real address
    r = out.tcp("fd99::1", 8080)
    assert r and "peer fd99::2" in r
    assert "peer fd99::2" in out.tcp("fd99::1", 8081)
    # from the host, on its IPv6 addresses; and IPv4 still
    assert tcp6("fd99::1", 8080) and tcp6("fd00:c7::1", 8080)
    assert tcp6("127.0.0.1", 8080)
    # a specific address answers only there
    assert tcp6("fd00:c7::1", 8081) is None
    # from a second container (hairpin over IPv6)
    c6("run", "-d", "--name", "other", "sleep", "1000")
    r = c6("exec", "other", PY, "-c", "import socket; s=socket.create_connection(('fd99::1',8080),"
           "timeout=3); print(s.recv(200).decode(), end='')")
    assert r.out.startswith("hello from")


def test_ipv6_loopback_and_missing_subnet_are_refused():
    r = c6("run", "-d", "-p", "[::1]:8080:80", "sleep", "1000", check=False)
    assert r.rc == 125 and "cannot publish on ::1" in r.err
    r = ctl("--state-dir", "/run/v4", "run", "-d", "-p", "[fd99::1]:8080:80", "sleep", "1000",
            check=False)
    assert r.rc == 125 and "the containers have no IPv6 address" in r.err
    r = ctl("--state-dir", "/run/ipt", "--nat-backend", "iptables", "--subnet6", SUB6, "ps",
            check=False)
    assert r.rc == 125 and "needs the nftables NAT backend" in r.err


def test_outbound_ipv6_is_masqueraded():
    Outside6()
    p = subprocess.Popen(["ip", "netns", "exec", "out", PY, "-c", SRV6, "9000"])
    try:
        wait_for(lambda: subprocess.run(["ip", "netns", "exec", "out", "ss", "-ltn"],
                                        capture_output=True, text=True).stdout.count(":9000"))
        c6("run", "-d", "--name", "c1", "sleep", "1000")
        r = c6("exec", "c1", PY, "-c", "import socket; s=socket.create_connection(('fd99::2',9000),"
               "timeout=3); print(s.recv(200).decode(), end='')")
        assert "peer fd99::1" in r.out  # the outside sees the host
    finally:
        p.kill()


def test_links_give_ipv6_hosts_lines_and_channel():
    db = srv6("db", 5432, opts=("--expose", "5432"))
    c6("run", "-d", "--name", "web", "--link", "db:db", "sleep", "1000")
    hosts = c6("exec", "web", "cat", "/etc/hosts").out
    host = inspect("db")["Config"]["Hostname"]
    assert f"{db['IPAddress']}\tdb {host}\n" in hosts
    assert f"{db['GlobalIPv6Address']}\tdb {host}\n" in hosts
    r = c6("exec", "web", PY, "-c", "import socket; s=socket.create_connection(('%s',5432),"
           "timeout=3); print(s.recv(200).decode(), end='')" % db["GlobalIPv6Address"])
    assert r.out.startswith("hello from") and "peer fd00:c7::" in r.out
    # an unlinked container cannot, over IPv6 either
    c6("run", "-d", "--name", "stranger", "sleep", "1000")
    r = c6("exec", "stranger", PY, "-c", "import socket; socket.create_connection(('%s',5432),"
           "timeout=2)" % db["GlobalIPv6Address"], check=False)
    assert r.rc != 0
    # a restart of db moves both of its lines in web's hosts file
    c6("stop", "-t", "0", "db")
    c6("run", "-d", "--name", "filler", "sleep", "1000")
    c6("start", "db")
    new = inspect("db")["NetworkSettings"]
    hosts = c6("exec", "web", "cat", "/etc/hosts").out
    assert f"{new['IPAddress']}\tdb {host}\n" in hosts
    assert f"{new['GlobalIPv6Address']}\tdb {host}\n" in hosts


def test_isolation_holds_over_ipv6_whatever_the_global_sysctl():
    """The bridge itself asks for bridged IPv6 to go through the firewall (br_netfilter's
    per-bridge switch), so isolation does not depend on net.bridge.bridge-nf-call-ip6tables."""
    sh("sysctl -qw net.bridge.bridge-nf-call-ip6tables=0 net.bridge.bridge-nf-call-iptables=0")
    db = srv6("db", 5432, opts=("--expose", "5432"))
    c6("run", "-d", "--name", "stranger", "sleep", "1000")
    for addr in (db["GlobalIPv6Address"], db["IPAddress"]):
        r = c6("exec", "stranger", PY, "-c", "import socket; socket.create_connection(('%s',5432),"
               "timeout=2)" % addr, check=False)
        assert r.rc != 0, addr


def test_unpublish_takes_both_halves_of_a_dual_binding():
    srv6("web", 80, opts=("-p", "8083:80"))
    assert len(inspect("web")["NetworkSettings"]["Ports"]["80/tcp"]) == 2
    c6("unpublish", "web", "8083:80")
    assert inspect("web")["NetworkSettings"]["Ports"]["80/tcp"] is None
    assert tcp6("fd00:c7::1", 8083) is None and tcp6("127.0.0.1", 8083) is None
    # the port is free again on both families
    c6("run", "-d", "--name", "other", "-p", "8083:80", "sleep", "1000")


def test_ipv6_can_be_turned_off_and_loopback_refused_early():
    r = c6("create", "-p", "[::1]:8080:80", "true", check=False)
    assert r.rc == 125 and "cannot publish on ::1" in r.err
    c6("run", "-d", "--name", "v6", "sleep", "1000")
    assert inspect("v6")["NetworkSettings"]["GlobalIPv6Address"]
    c6("rm", "-f", "v6")
    ctl("--subnet6", "none", "run", "-d", "--name", "v4", "sleep", "1000")
    assert inspect("v4")["NetworkSettings"]["GlobalIPv6Address"] == ""
    assert json.loads(ctl("info").out)["Subnet6"] == ""
    for bad in ("ff02::/64", "fe80::/64", "fd00::/40", "fd00::1/64"):
        r = ctl("--subnet6", bad, "ps", check=False)
        assert r.rc == 125 and "invalid IPv6 subnet" in r.err, bad
