"""Reliability: an operation killed at any step is finished or undone by the next one;
reconcile repairs the firewall; concurrency; coexistence with the iptables command."""
import glob
import json
import os
import re
import shlex
import signal
import subprocess
import threading
import time

import pytest

from conftest import (BACKEND, BUILD, CTRLINK, PY, SRV, container_cgroups, ctl, inspect,
                      iptables_save, our_rules, rules_naming, ruleset, sh, tcp_try, wait_for)

STATE = "/run/ctrlink"


def fault_injection_built():
    try:
        with open(os.path.join(BUILD, "meson-info", "intro-buildoptions.json")) as f:
            opts = json.load(f)
    except OSError:
        return False
    return any(o["name"] == "fault_injection" and o["value"] is True for o in opts)


needs_faults = pytest.mark.skipif(not fault_injection_built(),
                                  reason="this build has no fault injection points")


def live_pids(pattern):
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if re.search(pattern, cmd):
            out.append(int(pid))
    return out


def veths():
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    return sorted(l.split(":")[1].strip().split("@")[0] for l in out.splitlines()
                  if l.split(":")[1].strip().startswith("ctl"))


def check_host(where):
    """The invariants that must hold after recovery: state, processes, interfaces, rules."""
    ctl("ps", "-a")  # opening a context recovers what a killed operation left
    assert os.listdir(f"{STATE}/pending") == [], where
    tmp = [p for p in glob.glob(f"{STATE}/**/*.tmp.*", recursive=True)]
    assert tmp == [], where
    # a container that a crashed stop killed is running until its monitor records the end
    def alive(pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                return pid > 0 and f.read().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    def settled():
        recs = {i: inspect(i) for i in ctl("ps", "-a", "-q", "--no-trunc").out.split()}
        run = [i for i, r in recs.items() if r["State"]["Running"]]
        return (run, recs) if all(alive(recs[i]["State"]["Pid"]) for i in run) else None
    running, recs = wait_for(settled, what=f"the containers' states to settle ({where})")
    assert sorted(running) == sorted(ctl("ps", "-q", "--no-trunc").out.split()), where
    for i, r in recs.items():
        assert r["State"]["Status"] in ("created", "running", "exited"), (where, r["State"])
    # a stop returns once the end is recorded; the monitor, which then holds nothing, exits by
    # itself (closing its netfilter sockets may wait for the kernel's RCU grace period)
    wait_for(lambda: len(live_pids(r"^\S*ctr-monitor start")) == len(running),
             what=f"one monitor per running container ({where})")
    assert len(live_pids(r"^sleep 1000")) == len(running), where
    # a veth's host end goes with its container's network namespace, just after the stop
    wait_for(lambda: len(veths()) == len(running), what=f"one veth per running container ({where})")
    for d in os.listdir(f"{STATE}/containers"):
        assert os.path.exists(f"{STATE}/containers/{d}/config.json"), where
    for n in os.listdir(f"{STATE}/names"):
        assert os.readlink(f"{STATE}/names/{n}") in recs, (where, n)
    rep = json.loads(ctl("gc").out)
    assert rep["ContainersFoundDead"] == [], (where, rep)
    assert rep["RulesAdded"] == 0 and rep["RulesRemoved"] == 0, (where, rep)
    assert rep["IndexEntriesPruned"] == 0 and rep["IndexEntriesRestored"] == 0, (where, rep)
    assert rep["NameConflicts"] == [], (where, rep)
    # every running container has its cgroup, and after gc no other is left
    cgs = container_cgroups()
    assert cgs is None or cgs == set(running), (where, cgs, running)


def clean():
    ids = ctl("ps", "-a", "-q", "--no-trunc").out.split()
    if ids:
        ctl("rm", "-f", *ids)
    assert our_rules() == []
    wait_for(lambda: veths() == [], what="the veths to go with their namespaces")


def killed_at_each_step(setup, op, redo, min_steps=3, label=""):
    """Run op with a crash at step 1, 2, ... until it runs through; after each crash, check
    the host, redo the operation without a crash, check again, start from scratch."""
    steps = 0
    for n in range(1, 200):
        clean()
        setup()
        r = op({"CTRLINK_FAULT": str(n)})
        if r.rc != -signal.SIGKILL:
            break
        steps += 1
        check_host(f"{label}: after a crash at step {n}")
        redo()
        check_host(f"{label}: after redoing, crash at step {n}")
    else:
        pytest.fail("the operation never ran through")
    assert steps >= min_steps  # the operation does have steps to kill
    print(f"crash test: {label or 'operation'} killed at each of its {steps} steps")
    return steps


def srv(name, *opts):
    ctl("create", "--name", name, *opts, "sleep", "1000")


@needs_faults
def test_crash_in_create():
    def setup():
        ctl("run", "-d", "--name", "db", "--expose", "5432", "sleep", "1000")
    killed_at_each_step(
        setup,
        label="create",
        op=lambda env: ctl("create", "--name", "web", "--link", "db:db", "-p", "8080:80", "sleep",
                        "1000", check=False, env=env),
        # finished or undone: either is fine, but a consistent one
        redo=lambda: ctl("rm", "-f", "web", check=False) and
        ctl("create", "--name", "web", "--link", "db:db", "sleep", "1000"))


@needs_faults
def test_crash_in_start():
    def setup():
        ctl("run", "-d", "--name", "db", "--expose", "5432", "sleep", "1000")
        ctl("create", "--name", "web", "--link", "db:db", "-p", "8080:80", "-P", "--expose", "99",
            "sleep", "1000")
    killed_at_each_step(setup, lambda env: ctl("start", "web", check=False, env=env),
                        lambda: ctl("start", "web"), label="start")


def renamed_once(old, new):
    """Redo a rename the crash may have finished: exactly one of the names is taken, and
    the running parent's hosts file names the child by it."""
    names = {n for n in (old, new) if ctl("inspect", n, check=False).rc == 0}
    assert len(names) == 1, names
    if names == {old}:
        ctl("rename", old, new)
    hosts = ctl("exec", "web", "cat", "/etc/hosts").out
    assert f" {new}\n" in hosts or f"\t{new} " in hosts, hosts
    assert f" {old}\n" not in hosts, hosts


@needs_faults
def test_crash_in_stop_rm_publish_unpublish_link_unlink():
    def setup():
        ctl("run", "-d", "--name", "db", "--expose", "5432", "sleep", "1000")
        ctl("run", "-d", "--name", "web", "--link", "db:db", "-p", "8080:80", "sleep", "1000")
    ops = [
        ("stop", lambda env: ctl("stop", "-t", "0", "web", check=False, env=env),
         lambda: ctl("stop", "-t", "0", "web")),
        ("rm web", lambda env: ctl("rm", "-f", "web", check=False, env=env),
         lambda: ctl("rm", "-f", "web", check=False)),
        ("rm db", lambda env: ctl("rm", "-f", "db", check=False, env=env),
         lambda: ctl("rm", "-f", "db", check=False)),
        ("publish", lambda env: ctl("publish", "web", "9000-9010:9000-9010", check=False, env=env),
         lambda: ctl("publish", "web", "9100:91")),
        ("unpublish", lambda env: ctl("unpublish", "web", "8080:80", check=False, env=env),
         lambda: ctl("unpublish", "web", "80", check=False)),
        ("link", lambda env: ctl("link", "web", "db:other", check=False, env=env),
         lambda: ctl("link", "web", "db:third")),
        ("unlink", lambda env: ctl("unlink", "web", "db", check=False, env=env),
         lambda: ctl("unlink", "web", "db", check=False)),
        ("rename", lambda env: ctl("rename", "db", "db2", check=False, env=env),
         lambda: renamed_once("db", "db2")),
        ("restart", lambda env: ctl("restart", "-t", "0", "db", check=False, env=env),
         lambda: ctl("restart", "-t", "0", "db")),
    ]
    for label, op, redo in ops:
        killed_at_each_step(setup, op, redo, min_steps=1, label=label)


@needs_faults
def test_crash_of_the_monitor_while_it_records_the_end():
    # the monitor's own steps are the ones of recording the end: kill it at each
    for n in range(1, 16):
        clean()
        ctl("run", "-d", "--name", "db", "--expose", "5432", "sleep", "1000")
        ctl("run", "-d", "--name", "web", "--link", "db:db", "-p", "8080:80", "sleep", "1000",
            env={"CTRLINK_FAULT_MONITOR": str(n)})
        ctl("stop", "-t", "0", "web")  # returns once the end is recorded, by whoever
        st = inspect("web")["State"]
        assert st["Running"] is False and st["Status"] == "exited", n
        check_host(f"monitor killed at its step {n}")
        ctl("start", "web")
        check_host(f"restart after a monitor crash at step {n}")


@needs_faults
def test_crash_of_the_monitor_while_its_policy_restarts():
    """The monitor records the end, waits, and starts the next run: kill it at each of its
    steps. A restart it did not make is lost (the container stays exited), nothing leaks, and
    a start by hand works."""
    # the init ends (7) at SIGUSR1; "sleep 1000" is what check_host counts per container
    trapped = ["sh", "-c", 'trap "exit 7" USR1; sleep 1000 & wait']
    steps = 0
    for n in range(1, 200):
        clean()
        ctl("run", "-d", "--name", "db", "--expose", "5432", "sleep", "1000")
        ctl("run", "-d", "--name", "web", "--restart", "always", "--link", "db:db",
            "-p", "8080:80", *trapped, env={"CTRLINK_FAULT_MONITOR": str(n)})
        pid = inspect("web")["State"]["Pid"]
        ctl("kill", "-s", "USR1", "web")

        def settled():
            st = inspect("web")["State"]
            if st["Restarting"] or (st["Running"] and st["Pid"] == pid):
                return None
            running = ctl("ps", "-q").out.split()
            return st if len(live_pids(r"^\S*ctr-monitor start")) == len(running) else None
        st = wait_for(settled, timeout=60, what=f"web to settle (monitor step {n})")
        check_host(f"policy restart, monitor killed at its step {n}")
        if st["Running"] and inspect("web")["RestartCount"] == 1:
            break  # the restart ran through
        steps += 1
        assert st["Status"] in ("exited", "created"), (n, st)
        ctl("start", "web")
        assert inspect("web")["RestartCount"] == 0
        check_host(f"started by hand after a policy restart's crash at step {n}")
    else:
        pytest.fail("the policy restart never ran through")
    assert steps >= 3
    hosts = ctl("exec", "web", "cat", "/etc/hosts").out
    assert f"{inspect('db')['NetworkSettings']['IPAddress']}\tdb" in hosts
    print(f"crash test: policy restart: the monitor killed at each of its {steps} steps")


def test_a_killed_monitor_is_noticed():
    ctl("run", "-d", "--name", "web", "-p", "8080:80", "sleep", "1000")
    pid = inspect("web")["State"]["Pid"]
    mon = [p for p in live_pids(r"^\S*ctr-monitor start")]
    assert len(mon) == 1
    os.kill(mon[0], signal.SIGKILL)
    # the container dies with its monitor; reading the state records its end and cleans up
    wait_for(lambda: not os.path.exists(f"/proc/{pid}/cmdline") or
             open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z",
             what="the container to die")
    st = inspect("web")["State"]
    assert st["Running"] is False and st["ExitCode"] == 137
    assert veths() == [] and our_rules() == []
    ctl("start", "web")
    assert inspect("web")["State"]["Running"] is True


def test_reconcile_restores_flushed_rules_and_removes_unknown_ones():
    ctl("run", "-d", "--name", "db", "--expose", "5432", PY, SRV, "tcp", "5432")
    ctl("run", "-d", "--name", "web", "--link", "db:db", "-p", "8080:80", PY, SRV, "tcp", "80")
    wait_for(lambda: tcp_try("127.0.0.1", 8080))
    before = ruleset()
    # a firewall reload wipes everything
    if BACKEND == "iptables":
        for t in ("nat", "filter", "raw"):
            sh(f"iptables-legacy -t {t} -F && iptables-legacy -t {t} -X")
    else:
        sh("nft flush ruleset")
    assert tcp_try("127.0.0.1", 8080) is None
    rep = json.loads(ctl("gc").out)
    assert rep["RulesAdded"] == 2
    norm = lambda s: sorted(l.strip() for l in s.splitlines() if not l.startswith(":") or
                            l.startswith(":CTRL"))
    assert norm(ruleset()) == norm(before)
    wait_for(lambda: tcp_try("127.0.0.1", 8080))
    # a stale rule of ours that no container owns goes
    if BACKEND == "iptables":
        sh("iptables-legacy -t nat -A CTRLINK-DNAT-ctrlink0 -p tcp --dport 7777 -m comment "
           "--comment ctrlink:" + "a" * 64 + " -j DNAT --to-destination 172.17.0.99:80")
    else:
        sh("nft add element inet ctrlink_ctrlink0 dnat4_any '{ tcp . 7777 comment "
           "\"ctrlink:" + "a" * 64 + "\" : 172.17.0.99 . 80 }'")
    assert any("7777" in r for r in our_rules())
    rep = json.loads(ctl("gc").out)
    assert rep["RulesRemoved"] == 1 and not any("7777" in r for r in our_rules())
    assert json.loads(ctl("gc").out)["RulesAdded"] == 0


def test_gc_rebuilds_the_indexes():
    ctl("run", "-d", "--name", "db", "--expose", "5432", "sleep", "1000")
    ctl("create", "--name", "web", "--link", "db:db", "true")
    dbid = inspect("db")["Id"]
    os.unlink(f"{STATE}/names/db")
    for f in os.listdir(f"{STATE}/rlinks/{dbid}"):
        os.unlink(f"{STATE}/rlinks/{dbid}/{f}")
    os.symlink("f" * 64, f"{STATE}/names/ghost")
    rep = json.loads(ctl("gc").out)
    assert rep["IndexEntriesRestored"] == 2 and rep["IndexEntriesPruned"] == 1
    assert inspect("db")["Id"] == dbid  # the name works again
    r = ctl("create", "--name", "db", "true", check=False)
    assert r.rc == 125 and "Conflict." in r.err
    ctl("stop", "-t", "0", "db")
    r = ctl("rm", "db", check=False)  # the reverse link is back: linked to, refused
    assert r.rc == 1 and "linked to" in r.err
    ctl("start", "db")
    check_host("after gc")


def test_concurrent_processes_stress():
    """8 processes × 25 containers at once: create, start, publish, link, remove."""
    script = f"""
set -e
C={shlex.quote(CTRLINK)}
w=$1
"$C" run -d --name base$w --expose 80 sleep 1000 >/dev/null
for i in $(seq 25); do
  n=w$w-$i
  "$C" run -d --name $n --link base$w:base -P --expose 80 sleep 1000 >/dev/null
  "$C" publish $n $((20000 + w * 100 + i)):81
  "$C" inspect -f '{{{{.NetworkSettings.IPAddress}}}}' $n >> /tmp/ips
  "$C" port $n >> /tmp/ports
done
for i in $(seq 25); do "$C" rm -f w$w-$i >/dev/null; done
"$C" rm -f base$w >/dev/null
"""
    with open("/tmp/stress.sh", "w") as f:
        f.write(script)
    procs = [subprocess.Popen(["bash", "/tmp/stress.sh", str(w)], stderr=subprocess.PIPE,
                              text=True) for w in range(8)]
    errs = [p.communicate()[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 8, errs
    ips = open("/tmp/ips").read().split()
    assert len(ips) == 200 and len(set(ips)) == 200  # round robin over a /16: never reused
    ports = [l.split("->")[1].strip() for l in open("/tmp/ports").read().splitlines()]
    assert len(ports) == 400 and len(set(ports)) == 400
    assert ctl("ps", "-a", "-q").out == ""
    assert our_rules() == []
    wait_for(lambda: veths() == [], what="the veths to go with their namespaces")
    check_host("after the stress")


def test_concurrent_processes_never_share_an_address_or_port():
    c = shlex.quote(CTRLINK)
    script = f"""
set -e
for i in $(seq 10); do {c} run -d -P --expose 80 --expose 81/udp sleep 1000 >/dev/null; done
"""
    procs = [subprocess.Popen(["bash", "-c", script]) for _ in range(6)]
    assert [p.wait() for p in procs] == [0] * 6
    ids = ctl("ps", "-q", "--no-trunc").out.split()
    recs = [inspect(i) for i in ids]
    ips = [r["NetworkSettings"]["IPAddress"] for r in recs]
    tcp = [r["NetworkSettings"]["Ports"]["80/tcp"][0]["HostPort"] for r in recs]
    udp = [r["NetworkSettings"]["Ports"]["81/udp"][0]["HostPort"] for r in recs]
    assert len(set(ips)) == 60 and len(set(tcp)) == 60 and len(set(udp)) == 60
    for r in recs:
        assert rules_naming(r["Id"])
    check_host("after the concurrent starts")


@pytest.mark.skipif(BACKEND != "iptables", reason="the xtables lock is the iptables backend's")
def test_iptables_command_in_parallel_loses_nothing():
    """The xtables lock: rules the iptables-legacy command adds while we commit survive."""
    stop = threading.Event()

    def user():
        i = 0
        while not stop.is_set():
            sh(f"iptables-legacy -w -t nat -A PREROUTING -p tcp --dport {30000 + i} -j RETURN")
            i += 1
        return i

    sh("iptables-legacy -t nat -N USERCHAIN && iptables-legacy -t filter -I FORWARD -j ACCEPT "
       "-m comment --comment user-rule")
    result = []
    t = threading.Thread(target=lambda: result.append(user()))
    t.start()
    try:
        for i in range(15):
            ctl("run", "-d", "--name", f"c{i}", "-p", f"{8000 + i}:80", "sleep", "1000")
        for i in range(15):
            ctl("rm", "-f", f"c{i}")
    finally:
        stop.set()
        t.join()
    n = sh("iptables-legacy -t nat -S PREROUTING").count("-j RETURN")
    assert n > 0 and n == sum(1 for l in sh("iptables-legacy -t nat -S PREROUTING").splitlines()
                              if "--dport" in l and "RETURN" in l)
    save = iptables_save()
    assert ":USERCHAIN" in save and "user-rule" in save
    for i in range(n):
        assert f"--dport {30000 + i} -j RETURN" in save


@pytest.mark.skipif(BACKEND != "nftables", reason="the nftables backend's coexistence")
def test_other_nft_tables_in_parallel_are_untouched():
    """Our table is ours alone: another program's tables, chains and set elements, changed
    while we commit, all survive; ours never shows in theirs."""
    stop = threading.Event()
    sh("nft add table inet user && nft add chain inet user userfwd '{ type filter hook forward "
       "priority 10; }' && nft add set inet user ports '{ type inet_service; }'")

    def user():
        i = 0
        while not stop.is_set():
            sh(f"nft add element inet user ports '{{ {30000 + i} }}'")
            i += 1
        return i

    result = []
    t = threading.Thread(target=lambda: result.append(user()))
    t.start()
    try:
        for i in range(15):
            ctl("run", "-d", "--name", f"c{i}", "-p", f"{8000 + i}:80", "sleep", "1000")
        for i in range(15):
            ctl("rm", "-f", f"c{i}")
    finally:
        stop.set()
        t.join()
    listed = sh("nft list set inet user ports")
    for i in range(result[0]):
        assert str(30000 + i) in listed
    assert "chain userfwd" in sh("nft list table inet user")
    assert our_rules() == []


@pytest.mark.parametrize("bad", ["a\nb", "a\tb", "x" * 4096, "../../etc", "$(id)", "a;b", "-1",
                                 "ab/cd", "é"])
def test_hostile_input_everywhere(bad):
    ctl("run", "-d", "--name", "db", "--expose", "5432", "sleep", "1000")
    before = ruleset()
    cases = [
        ["create", "--name", bad, "true"],
        ["create", "--hostname", bad, "true"],
        ["create", "--link", f"db:{bad}", "true"],
        ["create", "-e", f"A={bad}" if any(c < " " for c in bad) else "A\nB=1", "true"],
        ["create", "-p", bad, "true"],
        ["create", "-p", f"{bad}:80", "true"],
        ["create", "--expose", bad, "true"],
        ["create", "-u", f"{bad}\n", "true"],
        ["create", "--domainname", bad, "true"],
        ["create", "--cap-add", bad, "true"],
        ["create", "-w", bad if not bad.startswith("/") else "rel", "true"],
    ]
    for c in cases:
        r = ctl(*c, check=False)
        assert r.rc == 125, (c, r)
        assert r.err.startswith("ctrlink: ") and r.err.count("\n") == 1, (c, r)
        assert len(r.err) < 2500
    assert ctl("ps", "-a", "-q").out.count("\n") == 1
    assert ruleset() == before
    assert sorted(os.listdir(f"{STATE}/containers")) == [inspect("db")["Id"]]
    hosts = ctl("exec", "db", "cat", "/etc/hosts").out
    assert bad not in hosts
    for ref in (bad, f"../{bad}", "/etc/passwd"):
        r = ctl("inspect", "--", ref, check=False)
        assert r.rc == 1 and "No such container" in r.err


def test_state_dir_is_private():
    ctl("run", "-d", "--name", "web", "sleep", "1000")
    for root, dirs, files in os.walk(STATE):
        for d in dirs:
            assert os.stat(os.path.join(root, d)).st_mode & 0o077 == 0, d
        for f in files:
            st = os.lstat(os.path.join(root, f))
            if not os.path.islink(os.path.join(root, f)) and f not in ("hosts", "hostname",
                                                                        "resolv.conf"):
                assert st.st_mode & 0o077 == 0, f
    assert os.stat(STATE).st_mode & 0o777 == 0o700


def rewrite_record(cid, edit):
    path = f"{STATE}/containers/{cid}/config.json"
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(edit(text))


def test_a_record_of_a_newer_version_keeps_what_it_holds_and_is_removed_only_by_force():
    ctl("run", "-d", "--name", "db", "--expose", "5432", PY, SRV, "tcp", "5432")
    ctl("run", "-d", "--name", "newer", "--link", "db:db", "-p", "8080:80", PY, SRV, "tcp", "80")
    wait_for(lambda: tcp_try("127.0.0.1", 8080))
    info = inspect("newer")
    cid, ip, pid = info["Id"], info["NetworkSettings"]["IPAddress"], info["State"]["Pid"]
    rules = sorted(rules_naming(cid))
    # what a newer library would write: another version, a field this one does not know
    rewrite_record(cid, lambda t: json.dumps(dict(json.loads(t), v=3, future={"x": 1})))
    r = ctl("inspect", "newer", check=False)
    assert r.rc == 1 and "the record is version 3, newer than this library reads (2)" in r.err
    ps = ctl("ps", "-a", "--format", "{{.Names}} {{.State}}").out.split("\n")
    assert "newer dead" in ps
    assert "newer" not in ctl("ps", "--format", "{{.Names}}").out.split()
    # gc rebuilds the indexes and the rules from the records: it keeps the container's own
    json.loads(ctl("gc").out)
    assert sorted(rules_naming(cid)) == rules
    assert tcp_try("127.0.0.1", 8080) is not None
    # its address and port are still its own
    r = ctl("run", "-d", "--name", "other", "-p", "8080:80", "sleep", "1000", check=False)
    assert r.rc == 125 and "port is already allocated" in r.err
    ctl("run", "-d", "--name", "third", "sleep", "1000")
    assert inspect("third")["NetworkSettings"]["IPAddress"] != ip
    # not removed without force, and that changes nothing
    r = ctl("rm", "newer", check=False)
    assert r.rc == 1 and f"cannot remove the container {cid}" in r.err
    assert "version 3" in r.err and "force the removal" in r.err
    assert os.path.exists(f"/proc/{pid}") and sorted(rules_naming(cid)) == rules
    # forced: its processes, veth, rules, name and address go
    ctl("rm", "-f", "newer")
    wait_for(lambda: not os.path.exists(f"/proc/{pid}/cmdline") or
             open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z",
             what="the container to die")
    assert rules_naming(cid) == [] and not os.path.exists(f"{STATE}/containers/{cid}")
    assert tcp_try("127.0.0.1", 8080) is None
    ctl("rm", "-f", "other", "third")
    ctl("run", "-d", "--name", "newer", "-p", "8080:80", PY, SRV, "tcp", "80")
    wait_for(lambda: tcp_try("127.0.0.1", 8080))
    ctl("rm", "-f", "newer")
    ctl("stop", "-t", "0", "db")
    check_host("after the newer record")


def test_a_damaged_record_is_listed_and_removed_by_force_with_its_name():
    ctl("run", "-d", "--name", "db", "--expose", "5432", "sleep", "1000")
    ctl("create", "--name", "broken", "--link", "db:db", "true")
    cid = inspect("broken")["Id"]
    rewrite_record(cid, lambda t: t[: len(t) // 2])
    assert "broken dead" in ctl("ps", "-a", "--format", "{{.Names}} {{.State}}").out.split("\n")
    r = ctl("inspect", "broken", check=False)
    assert r.rc == 1 and "not valid JSON" in r.err
    rep = json.loads(ctl("gc").out)  # keeps its name: nothing says it is stale
    assert rep["IndexEntriesPruned"] == 0
    r = ctl("rm", "broken", check=False)
    assert r.rc == 1 and "not valid JSON" in r.err and os.path.lexists(f"{STATE}/names/broken")
    ctl("rm", "-f", "broken")
    assert not os.path.lexists(f"{STATE}/names/broken")
    assert not os.path.exists(f"{STATE}/containers/{cid}")
    ctl("create", "--name", "broken", "true")
    ctl("rm", "broken")
    ctl("stop", "-t", "0", "db")
    check_host("after the damaged record")


@pytest.mark.skipif(BACKEND != "iptables", reason="the xtables lock is the iptables backend's")
def test_a_teardown_that_cannot_delete_its_rules_keeps_the_address_and_ports():
    """Another program holds the xtables lock past our wait while a container stops: its rules
    stay, so its address and host port are not given to the next container; the next
    teardown deletes every rule naming it and gives them back."""
    ctl("run", "-d", "--name", "held", "-p", "8080:80", PY, SRV, "tcp", "80")
    wait_for(lambda: tcp_try("127.0.0.1", 8080))
    info = inspect("held")
    cid, ip = info["Id"], info["NetworkSettings"]["IPAddress"]
    locker = subprocess.Popen(
        [PY, "-c", "import fcntl, sys\nf = open('/run/xtables.lock', 'a')\n"
         "fcntl.flock(f, fcntl.LOCK_EX)\nprint('locked', flush=True)\nsys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout.readline() == "locked\n"
        ctl("stop", "-t", "0", "held", check=False, timeout=120)
    finally:
        locker.stdin.close()
        locker.wait()
    assert inspect("held")["State"]["Running"] is False
    assert rules_naming(cid) != [] and os.path.exists(f"{STATE}/held/{cid}")
    r = ctl("run", "-d", "--name", "next", "-p", "8080:80", "sleep", "1000", check=False)
    assert r.rc == 125 and "port is already allocated" in r.err
    ctl("rm", "next")
    ctl("run", "-d", "--name", "other", "sleep", "1000")
    assert inspect("other")["NetworkSettings"]["IPAddress"] != ip
    # a teardown that works takes the stale rules with it and frees what they held
    ctl("rm", "-f", "other")
    assert rules_naming(cid) == [] and not os.path.exists(f"{STATE}/held/{cid}")
    ctl("rm", "held")
    ctl("run", "-d", "--name", "next", "-p", "8080:80", PY, SRV, "tcp", "80")
    wait_for(lambda: tcp_try("127.0.0.1", 8080))
    ctl("rm", "-f", "next")
    check_host("after a held teardown")
