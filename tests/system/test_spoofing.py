"""The port guard (issue 18, anti-spoofing): a container sends only as itself, from its own
bridge port, whatever it crafts with NET_RAW (which it is given here on purpose).

The secure channel of a link admits the parent's address; without the guard, any container
could send from that address (or with the parent's MAC, taking the parent's traffic on the
bridge, or poison a neighbour table with ARP).  Each attack below has a control: the same
frame, built by the same code, sent by the container whose addresses it bears, arrives.  The
order of frames on one path is kept, so a control sent after an attack that arrives shows the
attack had its chance."""
import json

import pytest

from conftest import BACKEND, PY, ctl, inspect, sh, wait_for

# Raw frames (AF_PACKET): udp <src mac> <src ip> <dst mac> <dst ip> <port> <text>, or
# arp <src mac> <src ip> <target ip> (an ARP request: the sender's entry goes into the
# target's neighbour table).
SEND = r"""
import socket, struct, sys
mac = lambda m: bytes.fromhex(m.replace(":", ""))
ip = socket.inet_aton
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
kind, smac, sip = sys.argv[1:4]
if kind == "udp":
    dmac, dip, port, text = sys.argv[4:8]
    data = text.encode()
    udp = struct.pack("!HHHH", 40000, int(port), 8 + len(data), 0) + data
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, ip(sip), ip(dip))
    c = sum(struct.unpack("!10H", hdr))
    c = (c & 0xffff) + (c >> 16)
    c = (c & 0xffff) + (c >> 16)
    hdr = hdr[:10] + struct.pack("!H", ~c & 0xffff) + hdr[12:]
    frame = mac(dmac) + mac(smac) + b"\x08\x00" + hdr + udp
elif kind == "udp6":
    dmac, dip, port, text = sys.argv[4:8]
    src, dst = socket.inet_pton(socket.AF_INET6, sip), socket.inet_pton(socket.AF_INET6, dip)
    data = text.encode()
    udp = struct.pack("!HHHH", 40000, int(port), 8 + len(data), 0) + data
    pseudo = src + dst + struct.pack("!I3xB", len(udp), 17) + udp + bytes(len(udp) % 2)
    c = sum(struct.unpack("!%dH" % (len(pseudo) // 2), pseudo))
    while c >> 16:
        c = (c & 0xffff) + (c >> 16)
    udp = udp[:6] + struct.pack("!H", (~c & 0xffff) or 0xffff) + udp[8:]
    ip6 = struct.pack("!IHBB", 6 << 28, len(udp), 17, 64) + src + dst
    frame = mac(dmac) + mac(smac) + b"\x86\xdd" + ip6 + udp
else:
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac(smac) + ip(sip) + bytes(6) + \
        ip(sys.argv[4])
    frame = b"\xff" * 6 + mac(smac) + b"\x08\x06" + arp
for i in range(3):
    s.send(frame)
print("sent")
"""

RECV = r"""
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", 9999))
print("ready", flush=True)
while True:
    d, a = s.recvfrom(2000)
    print(a[0].removeprefix("::ffff:"), d.decode(errors="replace"), flush=True)
"""


def net(name):
    return inspect(name)["NetworkSettings"]


def send(name, *args):
    r = ctl("exec", name, PY, "-c", SEND, *args)
    assert r.out.strip() == "sent", r


def three(env=None):
    """db receives on 9999/udp; web is linked to it (the channel admits web's address only,
    icc being off); evil is a stranger.  web and evil hold NET_RAW."""
    ctl("run", "-d", "--name", "db", "--expose", "9999/udp", PY, "-u", "-c", RECV, env=env)
    wait_for(lambda: "ready" in ctl("logs", "db").out, what="db listening")
    ctl("run", "-d", "--name", "web", "--cap-add", "NET_RAW", "--link", "db:db", "sleep", "1000",
        env=env)
    ctl("run", "-d", "--name", "evil", "--cap-add", "NET_RAW", "sleep", "1000", env=env)
    return net("db"), net("web"), net("evil")


def received(text):
    return [l for l in ctl("logs", "db").out.splitlines() if l.endswith(" " + text)]


def test_a_container_cannot_send_from_a_linked_parents_address():
    db, web, evil = three()
    to_db = (db["MacAddress"], db["IPAddress"], "9999")
    # control: web's own frame reaches db over the link
    send("web", "udp", web["MacAddress"], web["IPAddress"], *to_db, "from-web")
    wait_for(lambda: received("from-web"), what="web's own frame")
    assert received("from-web")[0].startswith(web["IPAddress"] + " ")
    # evil poses as web: with its own MAC, then with web's too
    send("evil", "udp", evil["MacAddress"], web["IPAddress"], *to_db, "spoofed-ip")
    send("evil", "udp", web["MacAddress"], web["IPAddress"], *to_db, "spoofed-mac")
    send("web", "udp", web["MacAddress"], web["IPAddress"], *to_db, "after")
    wait_for(lambda: received("after"), what="web's frame after the attack")
    assert not received("spoofed-ip") and not received("spoofed-mac"), ctl("logs", "db").out
    # and web still talks over the link, as itself
    r = ctl("exec", "web", PY, "-c", "import socket; s=socket.socket(socket.AF_INET, "
            "socket.SOCK_DGRAM); s.sendto(b'plain', ('db', 9999))")
    assert r.rc == 0
    wait_for(lambda: received("plain"), what="an ordinary datagram over the link")
    ctl("rm", "-f", "db", "web", "evil")


def fdb_ports(mac):
    """The bridge ports on which the bridge has learnt `mac`."""
    out = json.loads(sh("bridge -j fdb show br ctrlink0") or "[]")
    return {e.get("ifname") for e in out if e.get("mac") == mac.lower()}


def veth(name):
    ident = inspect(name)["Id"]
    links = json.loads(sh("ip -j link show master ctrlink0"))
    (v,) = [l["ifname"] for l in links if l["ifname"].startswith("ctl" + ident[:8])]
    return v


def test_a_container_cannot_take_another_ones_mac_on_the_bridge():
    """Frames with web's MAC from evil's port would teach the bridge to send web's traffic to
    evil; they are dropped before the bridge learns anything from them."""
    db, web, evil = three()
    wv, ev = veth("web"), veth("evil")
    send("web", "udp", web["MacAddress"], web["IPAddress"], db["MacAddress"], db["IPAddress"],
         "9999", "learn")
    wait_for(lambda: received("learn"), what="web's frame")
    assert wv in fdb_ports(web["MacAddress"])
    send("evil", "udp", web["MacAddress"], evil["IPAddress"], db["MacAddress"],
         db["IPAddress"], "9999", "stolen")
    send("evil", "arp", evil["MacAddress"], evil["IPAddress"], db["IPAddress"])  # a marker
    wait_for(lambda: ev in fdb_ports(evil["MacAddress"]), what="evil's own frame learnt")
    assert ev not in fdb_ports(web["MacAddress"]), fdb_ports(web["MacAddress"])
    ctl("rm", "-f", "db", "web", "evil")


def arp_entry(name, ip):
    for l in ctl("exec", name, "cat", "/proc/net/arp").out.splitlines()[1:]:
        f = l.split()
        if f[0] == ip and f[3] != "00:00:00:00:00:00":
            return f[3]
    return None


def test_a_container_cannot_poison_a_neighbour_table():
    """An ARP request from evil claiming web's address would point db's entry for web at
    evil (a request for db's own address always updates the sender's entry)."""
    db, web, evil = three()
    send("web", "arp", web["MacAddress"], web["IPAddress"], db["IPAddress"])
    wait_for(lambda: arp_entry("db", web["IPAddress"]), what="db's entry for web")
    assert arp_entry("db", web["IPAddress"]) == web["MacAddress"].lower()
    send("evil", "arp", evil["MacAddress"], web["IPAddress"], db["IPAddress"])
    send("evil", "arp", evil["MacAddress"], evil["IPAddress"], db["IPAddress"])  # control
    wait_for(lambda: arp_entry("db", evil["IPAddress"]), what="db's entry for evil")
    assert arp_entry("db", evil["IPAddress"]) == evil["MacAddress"].lower()
    assert arp_entry("db", web["IPAddress"]) == web["MacAddress"].lower()
    ctl("rm", "-f", "db", "web", "evil")


def guarded_ports():
    out = json.loads(sh("nft -j list set bridge ctrlink_ctrlink0 ip4"))
    for o in out["nftables"]:
        if "set" in o:
            return {e["concat"][0] for e in o["set"].get("elem", [])}
    return set()


def test_the_guard_follows_containers_and_comes_back_with_gc():
    """The guard holds the ports of running containers only; a ruleset flushed by someone
    else gets it back at the next gc (ctr_reconcile), and the next start heals it too."""
    ctl("run", "-d", "--name", "aa", "sleep", "1000")
    ctl("run", "-d", "--name", "bb", "sleep", "1000")
    assert guarded_ports() == {veth("aa"), veth("bb")}
    assert json.loads(ctl("info").out)["KernelFeatures"]["PortGuard"] is True
    ctl("rm", "-f", "aa")
    assert guarded_ports() == {veth("bb")}
    sh("nft flush ruleset")
    if BACKEND == "iptables":
        sh("nft delete table bridge ctrlink_ctrlink0", check=False)
    ctl("gc")
    assert guarded_ports() == {veth("bb")}
    sh("nft delete table bridge ctrlink_ctrlink0")
    ctl("run", "-d", "--name", "cc", "sleep", "1000")
    assert guarded_ports() == {veth("cc")}  # bb's comes back at the next gc
    ctl("gc")
    assert guarded_ports() == {veth("bb"), veth("cc")}
    ctl("rm", "-f", "bb", "cc")
    assert guarded_ports() == set()


@pytest.mark.skipif(BACKEND != "nftables", reason="IPv6 networks need the nftables backend")
def test_a_container_cannot_send_from_another_ones_ipv6_address():
    """On an IPv6 network: IPv6 from the parent's global address, from its link-local address,
    or from evil's own with another's MAC, is dropped; IPv6 neighbour discovery (link-local
    and :: sources) keeps working, as the datagrams between web and db show."""
    env = {"CTRLINK_SUBNET6": "fd00:c8::/64"}
    db, web, evil = three(env)
    to_db = (db["MacAddress"], db["GlobalIPv6Address"], "9999")
    send("web", "udp6", web["MacAddress"], web["GlobalIPv6Address"], *to_db, "from-web")
    wait_for(lambda: received("from-web"), what="web's own IPv6 frame")
    for src, mac_ in ((web["GlobalIPv6Address"], evil["MacAddress"]),
                      (web["GlobalIPv6Address"], web["MacAddress"]),
                      ("fe80::1", evil["MacAddress"])):
        send("evil", "udp6", mac_, src, *to_db, "spoofed")
    send("web", "udp6", web["MacAddress"], web["GlobalIPv6Address"], *to_db, "after")
    wait_for(lambda: received("after"), what="web's frame after the attack")
    assert not received("spoofed"), ctl("logs", "db").out
    r = ctl("exec", "web", PY, "-c", "import socket; s=socket.socket(socket.AF_INET6, "
            "socket.SOCK_DGRAM); s.sendto(b'plain6', ('%s', 9999))" % db["GlobalIPv6Address"])
    assert r.rc == 0
    wait_for(lambda: received("plain6"), what="an ordinary IPv6 datagram over the link")
    ctl("rm", "-f", "db", "web", "evil")
