"""ctrlink-portmap, the CNI plugin, driven as a runtime drives it (environment + stdin) in a
chain with Debian's reference plugins (bridge, host-local): pods in network namespaces of
their own, their ports published through the chain, reached from another host, from the
host, from 127.0.0.1 and from another pod (hairpin)."""
import concurrent.futures
import json
import os
import shutil
import socket
import subprocess

import pytest

from conftest import (BACKEND, BUILD, HERE, PY, SRV, dnat_rules, our_rules, sh, tcp_try,
                      wait_for)

REF = "/usr/lib/cni"
PLUGIN = os.path.join(BUILD, "cni", "ctrlink-portmap")
NET = "podnet"
SUBNET = "10.88.0.0/16"
BRIDGE_IP = "10.88.0.1"

pytestmark = pytest.mark.skipif(not os.path.exists(os.path.join(REF, "bridge")),
                                reason="Debian's containernetworking-plugins are not installed")


def bridge_conf():
    return {"type": "bridge", "bridge": "cni0", "isGateway": True, "ipMasq": True,
            "hairpinMode": True,
            "ipam": {"type": "host-local", "dataDir": "/run/cni-ipam",
                     "ranges": [[{"subnet": SUBNET, "gateway": BRIDGE_IP}]],
                     "routes": [{"dst": "0.0.0.0/0"}]}}


def portmap_conf(**extra):
    return dict({"type": "ctrlink-portmap", "capabilities": {"portMappings": True},
                 "backend": BACKEND}, **extra)


def run_plugin(path, command, conf, cid, netns, ifname="eth0", version="1.0.0"):
    """One plugin call: (exit code, parsed stdout)."""
    doc = dict(conf, cniVersion=version, name=NET)
    env = {"CNI_COMMAND": command, "CNI_CONTAINERID": cid, "CNI_NETNS": netns,
           "CNI_IFNAME": ifname, "CNI_PATH": f"{os.path.dirname(PLUGIN)}:{REF}",
           "PATH": os.environ["PATH"]}
    p = subprocess.run([path], input=json.dumps(doc), capture_output=True, text=True, env=env,
                       timeout=60)
    out = p.stdout.strip()
    return p.returncode, (json.loads(out) if out else None)


class Pod:
    """A pod: a network namespace of its own, attached by the bridge plugin."""

    def __init__(self, name, ports=(), server=None, conf=None, add=True):
        self.name, self.cid = name, f"cid-{name}"
        self.netns = f"/run/netns/{name}"
        self.ports = [dict(p) for p in ports]
        self.conf = conf or portmap_conf()
        sh(f"ip netns add {name}")
        rc, res = run_plugin(os.path.join(REF, "bridge"), "ADD", bridge_conf(), self.cid,
                             self.netns)
        assert rc == 0, res
        self.bridge_result = res
        self.ip = res["ips"][0]["address"].split("/")[0]
        self.procs = []
        if server:
            kind, port = server
            self.procs.append(subprocess.Popen(
                ["ip", "netns", "exec", name, PY, SRV, kind, str(port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            if kind == "tcp":
                wait_for(lambda: tcp_try(self.ip, port), what=f"{name} listening")
        if add:
            self.rc, self.result = self.portmap("ADD")

    def portmap(self, command, conf=None, ports=None, version="1.0.0"):
        doc = dict(conf or self.conf)
        doc["runtimeConfig"] = {"portMappings": self.ports if ports is None else ports}
        if command in ("ADD", "CHECK"):
            doc["prevResult"] = self.bridge_result
        return run_plugin(PLUGIN, command, doc, self.cid, self.netns, version=version)

    def run(self, *args, timeout=30):
        return subprocess.run(["ip", "netns", "exec", self.name, *args], capture_output=True,
                              text=True, timeout=timeout)

    def tcp(self, host, port, timeout=5):
        p = self.run(PY, os.path.join(HERE, "client.py"), "tcp", host, str(port), str(timeout))
        return p.stdout if p.returncode == 0 else None


TCP80 = {"hostPort": 8080, "containerPort": 80, "protocol": "tcp", "hostIP": ""}


def test_cni_chain_reaches_the_pod_from_everywhere(outside):
    a = Pod("pa", [TCP80], server=("tcp", 80))
    assert a.rc == 0, a.result
    # the result is the chain's prevResult, passed through
    assert a.result["ips"] == a.bridge_result["ips"]
    assert a.result["cniVersion"] == "1.0.0"
    # from another host: the server sees that host's own address (no SNAT)
    got = outside.tcp(outside.HOST_IP, 8080)
    assert got and f"peer {outside.IP}" in got, got
    # from the host, on one of its addresses, and from 127.0.0.1
    assert "hello from" in (tcp_try(BRIDGE_IP, 8080) or ""), "host -> bridge address"
    got = tcp_try("127.0.0.1", 8080)
    assert got and "hello from" in got, "127.0.0.1 -> pod"
    # hairpin: another pod through the host port, and the pod to itself
    b = Pod("pb")
    got = b.tcp(outside.HOST_IP, 8080)
    assert got and "hello from" in got, "pod b -> host port -> pod a"
    got = a.tcp(outside.HOST_IP, 8080)
    assert got and "hello from" in got, "pod a -> host port -> pod a"


def test_cni_udp_and_del(outside):
    a = Pod("pu", [{"hostPort": 5353, "containerPort": 53, "protocol": "udp"}],
            server=("udp", 53))
    assert a.rc == 0, a.result
    wait_for(lambda: outside.udp(outside.HOST_IP, 5353), what="UDP through the host port")
    assert our_rules(), "rules were written"
    rc, out = a.portmap("DEL")
    assert rc == 0 and out is None, out
    assert our_rules() == [], "DEL leaves no rule"
    assert outside.udp(outside.HOST_IP, 5353) is None, "DEL closed the port"
    rc, out = a.portmap("DEL")
    assert rc == 0, "DEL twice is fine"


def test_cni_del_without_state_and_without_ports():
    a = Pod("pn", add=False)
    rc, out = a.portmap("DEL")
    assert rc == 0 and not os.path.exists(f"/run/ctrlink/cni/{NET}"), \
        "DEL on a network that never published anything touches nothing"
    rc, out = a.portmap("ADD", ports=[])
    assert rc == 0 and out["ips"] == a.bridge_result["ips"], out
    assert our_rules() == [], "a pod without host ports writes no rule"


def test_cni_check_fails_when_rules_are_gone_and_gc_restores(outside):
    a = Pod("pc", [TCP80], server=("tcp", 80))
    assert a.rc == 0, a.result
    rc, out = a.portmap("CHECK")
    assert rc == 0, out
    if BACKEND == "nftables":
        sh("nft flush ruleset")
    else:
        sh("iptables-legacy -t nat -F CTRLINK-DNAT-cni0")
    assert outside.tcp(outside.HOST_IP, 8080, timeout=2) is None
    rc, out = a.portmap("CHECK")
    assert rc != 0 and out["code"] and "8080" in out["msg"], out
    attachments = [{"containerID": a.cid, "ifname": "eth0"}]
    rc, out = run_plugin(PLUGIN, "GC", dict(portmap_conf(),
                                            **{"cni.dev/valid-attachments": attachments}),
                         a.cid, a.netns, version="1.1.0")
    assert rc == 0, out
    rc, out = a.portmap("CHECK")
    assert rc == 0, out
    assert "hello from" in (outside.tcp(outside.HOST_IP, 8080) or "")


def test_cni_gc_removes_pods_not_listed_and_dead_namespaces():
    a = Pod("pg1", [TCP80])
    b = Pod("pg2", [dict(TCP80, hostPort=8081)])
    assert a.rc == 0 and b.rc == 0
    rc, out = run_plugin(PLUGIN, "GC", dict(portmap_conf(), **{
        "cni.dev/valid-attachments": [{"containerID": a.cid, "ifname": "eth0"}]}),
        a.cid, a.netns, version="1.1.0")
    assert rc == 0, out
    rules = our_rules()
    assert rules and not any("8081" in r for r in rules), rules
    # a pod whose namespace is gone (no DEL ever came) is found dead by the next GC
    sh("ip netns del pg1")
    rc, out = run_plugin(PLUGIN, "GC", dict(portmap_conf(), **{
        "cni.dev/valid-attachments": [{"containerID": a.cid, "ifname": "eth0"}]}),
        a.cid, a.netns, version="1.1.0")
    assert rc == 0, out
    assert our_rules() == [], our_rules()


def test_cni_port_taken_by_another_pod_publishes_nothing():
    a = Pod("pt1", [TCP80])
    assert a.rc == 0
    before = our_rules()
    b = Pod("pt2", [dict(TCP80, hostPort=9090), TCP80])
    assert b.rc != 0 and b.result["code"] == 100, b.result
    assert "8080" in b.result["msg"], b.result["msg"]
    assert our_rules() == before, "nothing of pod 2 was published (not even 9090)"
    rc, out = b.portmap("DEL")
    assert rc == 0


@pytest.mark.parametrize("ports,field", [
    ([{"hostPort": 8080, "containerPort": 0}], "containerPort"),
    ([{"hostPort": 8080, "containerPort": 80, "protocol": "icmp"}], "protocol"),
    ([{"hostPort": 8080, "containerPort": 80, "hostIP": "300.1.1.1"}], "hostIP"),
])
def test_cni_bad_mapping_is_a_config_error_naming_the_field(ports, field):
    a = Pod("pe", ports, add=False)
    rc, out = a.portmap("ADD", ports=ports)
    assert rc != 0 and out["code"] == 7 and field in out["msg"], out
    assert our_rules() == []


def test_cni_version_and_unsupported_version():
    env = {"CNI_COMMAND": "VERSION", "PATH": os.environ["PATH"]}
    p = subprocess.run([PLUGIN], input='{"cniVersion": "1.1.0"}', capture_output=True,
                       text=True, env=env)
    assert p.returncode == 0
    assert json.loads(p.stdout)["supportedVersions"] == ["0.3.1", "0.4.0", "1.0.0", "1.1.0"]
    a = Pod("pv", [TCP80], add=False)
    rc, out = a.portmap("ADD", version="0.2.0")
    assert rc != 0 and out["code"] == 1, out


def test_cni_status_ready():
    rc, out = run_plugin(PLUGIN, "STATUS", portmap_conf(), "", "", version="1.1.0")
    assert rc == 0, out


# ---- podman with its CNI backend, ctrlink-portmap in place of portmap -----------------------

PODMAN = shutil.which("podman")
RUNC = shutil.which("runc")


class Podman:
    """podman with every path of its own under the test's private /run, CNI backend, and a
    network whose chain is bridge + host-local + ctrlink-portmap; the pods run busybox httpd
    from a rootfs directory (no image, no registry)."""

    def __init__(self):
        os.makedirs("/run/t-cni/net.d")
        os.makedirs("/run/t-rootfs/bin")
        os.makedirs("/run/t-rootfs/www")
        shutil.copy(shutil.which("busybox"), "/run/t-rootfs/bin/busybox")
        with open("/run/t-rootfs/www/index.html", "w") as f:
            f.write("hello from the pod\n")
        conflist = {"cniVersion": "1.0.0", "name": "podman", "plugins": [
            dict(bridge_conf(), bridge="cni-podman0"),
            {"type": "ctrlink-portmap", "capabilities": {"portMappings": True},
             "backend": BACKEND}]}
        with open("/run/t-cni/net.d/87-podman.conflist", "w") as f:
            json.dump(conflist, f)
        with open("/run/t-cni/containers.conf", "w") as f:
            f.write("[network]\nnetwork_backend = \"cni\"\n"
                    f"cni_plugin_dirs = [\"{os.path.dirname(PLUGIN)}\", \"{REF}\"]\n"
                    "network_config_dir = \"/run/t-cni/net.d\"\n")
        self.env = dict(os.environ, CONTAINERS_CONF="/run/t-cni/containers.conf")

    def __call__(self, *args, check=True, timeout=120):
        cmd = [PODMAN, "--root", "/run/t-podman/root", "--runroot", "/run/t-podman/runroot",
               "--tmpdir", "/run/t-podman/tmp", "--storage-driver", "vfs",
               "--cgroup-manager", "cgroupfs", "--events-backend", "file",
               "--network-backend", "cni", "--network-config-dir", "/run/t-cni/net.d",
               "--runtime", RUNC, *args]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=self.env)
        if check and p.returncode != 0:
            pytest.fail(f"podman {' '.join(args)} failed: {p.stderr}")
        return p

    def run_httpd(self, name, publish, check=True):
        """podman run -d of the busybox httpd pod: its ID (with check), else the process."""
        p = self("run", "-d", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096",
                 "--name", name, "-p", publish, "--rootfs", "/run/t-rootfs",
                 "/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/www", check=check)
        return p.stdout.strip() if check else p


def http_get(host, port, timeout=3):
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
            return data.decode(errors="replace")
    except OSError:
        return None


needs_podman = pytest.mark.skipif(not PODMAN or not RUNC or not shutil.which("busybox"),
                                  reason="podman, runc and busybox are needed")


@needs_podman
def test_podman_run_publishes_through_ctrlink_portmap(outside):
    pm = Podman()
    pm.run_httpd("web", "8080:80")
    assert "hello from the pod" in (wait_for(lambda: http_get("127.0.0.1", 8080),
                                             what="the pod through 127.0.0.1:8080") or "")
    got = outside.run(PY, "-c", "import urllib.request as u; print(u.urlopen("
                      f"'http://{outside.HOST_IP}:8080/', timeout=5).read().decode())",
                      check=False).stdout
    assert "hello from the pod" in got, "from another host"
    assert dnat_rules(), "the pod's port is one of our rules"
    pm("rm", "-f", "-t", "0", "web")
    assert our_rules() == [], "podman rm -f removed every rule"
    assert http_get("127.0.0.1", 8080, timeout=1) is None


@needs_podman
def test_podman_20_concurrent_pods_get_distinct_ports_and_keep_their_rules():
    pm = Podman()

    def start(i):
        # With "-p 80" podman picks the host port itself, and concurrent podman processes can
        # pick the same one: our plugin then refuses the second pod ("port is already
        # allocated"), which is the guarantee; that pod is started again (a new pick).
        for attempt in range(5):
            p = pm.run_httpd(f"p{i}", "80", check=False)
            if p.returncode == 0:
                return
            assert "port is already allocated" in p.stderr, p.stderr
            pm("rm", "-f", "-t", "0", f"p{i}", check=False)
        pytest.fail(f"p{i}: no free host port in 5 attempts")

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as ex:
        list(ex.map(start, range(20)))
    ports = []
    for i in range(20):
        out = pm("port", f"p{i}", "80/tcp").stdout.split()
        ports.append(int(out[0].rsplit(":", 1)[1]))
    assert len(set(ports)) == 20, f"duplicate host ports: {sorted(ports)}"
    assert len(dnat_rules()) >= 20, dnat_rules()
    for p in ports:
        assert "hello from the pod" in (wait_for(lambda: http_get("127.0.0.1", p),
                                                 what=f"pod on host port {p}") or "")
    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as ex:
        list(ex.map(lambda i: pm("rm", "-f", "-t", "0", f"p{i}"), range(20)))
    assert our_rules() == [], our_rules()


@pytest.mark.skipif(BACKEND != "nftables", reason="IPv6 publishing needs the nftables backend")
def test_cni_dual_stack_pod_is_published_on_ipv6_too():
    conf = bridge_conf()
    conf["ipam"]["ranges"] = [[{"subnet": SUBNET, "gateway": BRIDGE_IP}],
                              [{"subnet": "fd00:88::/64", "gateway": "fd00:88::1"}]]
    sh("ip netns add p6")
    rc, res = run_plugin(os.path.join(REF, "bridge"), "ADD", conf, "cid-p6", "/run/netns/p6")
    assert rc == 0, res
    ip6 = [a["address"].split("/")[0] for a in res["ips"] if ":" in a["address"]][0]
    srv = subprocess.Popen(["ip", "netns", "exec", "p6", PY, SRV, "tcp46", "80"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: tcp_try(ip6, 80), what="the pod on IPv6")
        doc = dict(portmap_conf(), runtimeConfig={"portMappings": [TCP80]}, prevResult=res)
        rc, out = run_plugin(PLUGIN, "ADD", doc, "cid-p6", "/run/netns/p6")
        assert rc == 0, out
        got = wait_for(lambda: tcp_try("fd00:88::1", 8080), what="[fd00:88::1]:8080 -> pod")
        assert "hello from" in got
        assert "hello from" in (tcp_try(BRIDGE_IP, 8080) or "")
        rc, out = run_plugin(PLUGIN, "DEL", doc, "cid-p6", "/run/netns/p6")
        assert rc == 0 and our_rules() == []
    finally:
        srv.kill()
