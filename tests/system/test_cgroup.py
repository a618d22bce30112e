"""Each container in a cgroup of its own, outside its starter's.

An agent that embeds the library is often a systemd service, and stopping (or restarting) a
service kills every process of its cgroup.  A container's monitor, its init and its exec'd
commands live in <hierarchy>/ctrlink/<16 hex>/<id>, in the unified (cgroup2) hierarchy and,
on a hybrid host, in the v1 name=systemd one (what systemd kills a unit by there), so that
killing the starter's cgroup leaves them running.  Where cgroupfs cannot be written the start
still works, in the starter's cgroup, and `info` says why.

Each test runs in a cgroup of its own (tests/cgroups.py), seen as the top of each hierarchy:
the "agent" cgroup a test makes, and the library's ctrlink/..., are under it and go with it.
"""
import json
import os
import signal
import subprocess

import pytest

from cgroups import host_hierarchies
from conftest import CTRLINK, PY, ctl, inspect, server_container, sh, tcp_try, wait_for

STATE = "/run/ctrlink"


def hierarchies():
    """{"unified": mount point, "systemd": mount point or None}, as the test sees them."""
    h = {fs: mp for mp, fs, _ in host_hierarchies()}
    if "cgroup2" not in h:
        pytest.skip("no writable cgroup2 file system")
    return {"unified": h["cgroup2"], "systemd": h.get("cgroup")}


def proc_cgroups(pid):
    """{"unified": path, "systemd": path or None} of a process (/proc/<pid>/cgroup)."""
    out = {"unified": None, "systemd": None}
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            hid, ctrl, path = line.rstrip("\n").split(":", 2)
            if hid == "0" and ctrl == "":
                out["unified"] = path
            elif ctrl == "name=systemd":
                out["systemd"] = path
    return out


class Agent:
    """A fake agent's cgroup ("/agent" in each hierarchy), with a long-lived process in it,
    from which containers are started; killed the way systemd stops a unit."""

    def __init__(self, h):
        self.h = h
        self.dirs = [os.path.join(mp, "agent") for mp in h.values() if mp]
        for d in self.dirs:
            os.mkdir(d)
        self.proc = subprocess.Popen(["sleep", "1000"], preexec_fn=self.join)

    def join(self):
        for d in self.dirs:
            with open(os.path.join(d, "cgroup.procs"), "w") as f:
                f.write("0")

    def ctl(self, *args):
        """ctrlink, run from inside the agent's cgroup."""
        p = subprocess.run([CTRLINK, *args], capture_output=True, text=True, timeout=60,
                           preexec_fn=self.join)
        assert p.returncode == 0, (args, p.stderr)
        return p.stdout

    def pids(self):
        out = set()
        for d in self.dirs:
            with open(os.path.join(d, "cgroup.procs")) as f:
                out |= {int(x) for x in f.read().split()}
        return out

    def kill(self):
        """As systemd stops a unit: cgroup.kill in the unified hierarchy, and SIGKILL to each
        process the name=systemd cgroup lists; until the cgroup is empty."""
        with open(os.path.join(self.dirs[0], "cgroup.kill"), "w") as f:
            f.write("1")
        def empty():
            for pid in self.pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.proc.poll()
            return not self.pids()
        wait_for(empty, what="the agent's cgroup to be empty")
        self.proc.wait()


def record(cid):
    with open(f"{STATE}/containers/{cid}/config.json") as f:
        return json.load(f)


def cgroup_dirs(h, rel):
    return [os.path.join(mp, rel.lstrip("/")) for mp in h.values() if mp]


def ours(h):
    """The container cgroups of every state directory, as paths: /ctrlink/<hash>/<id>."""
    out = set()
    for mp in (m for m in h.values() if m):
        top = os.path.join(mp, "ctrlink")
        for par in os.listdir(top) if os.path.isdir(top) else []:
            if os.path.isdir(os.path.join(top, par)):
                out |= {f"/ctrlink/{par}/{c}" for c in os.listdir(os.path.join(top, par))
                        if os.path.isdir(os.path.join(top, par, c))}
    return out


def test_the_container_and_exec_are_in_a_cgroup_of_their_own_the_monitor_in_the_parent():
    """The init is born in the container's cgroup and the monitor in the state directory's
    (clone3 into a cgroup on cgroup2: no process moves there, and the container's cgroup is
    empty as soon as the container is dead); both outside the caller's."""
    h = hierarchies()
    agent = Agent(h)
    cid = agent.ctl("run", "-d", "--name", "web", "sleep", "1000").strip()
    r = inspect("web")
    rel = r["State"]["CgroupPath"]
    info = json.loads(ctl("info").out)["Cgroups"]
    assert info["Enabled"] is True and info["Reason"] == "", info
    assert info["Parent"].startswith("/ctrlink/") and len(info["Parent"]) == len("/ctrlink/") + 16
    assert rel == f"{info['Parent']}/{cid}"
    assert r["HostConfig"]["CgroupParent"] == info["Parent"]
    want = {"unified": rel, "systemd": rel if h["systemd"] else None}
    mon = record(cid)["mon_pid"]
    assert proc_cgroups(r["State"]["Pid"]) == want  # the init
    par = info["Parent"]
    assert proc_cgroups(mon) == {"unified": par, "systemd": par if h["systemd"] else None}
    assert proc_cgroups(os.getpid())["unified"] == "/"  # the test itself did not move
    assert proc_cgroups(agent.proc.pid)["unified"] == "/agent"
    # an exec'd command, and every process of the container, is in it too
    out = ctl("exec", "web", "cat", "/proc/self/cgroup").out
    assert f"0::{rel}\n" in out
    if h["systemd"]:
        assert f"name=systemd:{rel}\n" in out
    with open(os.path.join(h["unified"], rel.lstrip("/"), "cgroup.procs")) as f:
        procs = {int(x) for x in f.read().split()}
    assert r["State"]["Pid"] in procs and mon not in procs and not procs & agent.pids()
    agent.kill()


def test_killing_the_callers_cgroup_leaves_the_container_running_and_reachable():
    h = hierarchies()
    agent = Agent(h)
    # started from the agent's cgroup, as an embedding agent would
    agent.ctl("run", "-d", "--name", "db", "-p", "8080:7000", PY,
              os.path.join(os.path.dirname(__file__), "srv.py"), "tcp", "7000")
    ip = inspect("db")["NetworkSettings"]["IPAddress"]
    wait_for(lambda: tcp_try(ip, 7000), what="db listening")
    agent.kill()
    assert agent.proc.returncode == -signal.SIGKILL  # the agent is gone
    assert ctl("ps", "-q", "--no-trunc").out.split() == [inspect("db")["Id"]]
    assert inspect("db")["State"]["Running"] is True
    assert "7000" in (tcp_try(ip, 7000) or "")
    assert "7000" in (tcp_try("127.0.0.1", 8080) or "")  # its published port too
    # and it is still managed: stop removes its cgroup (its monitor does, as it goes)
    rel = inspect("db")["State"]["CgroupPath"]
    ctl("stop", "-t", "1", "db")
    assert not any(os.path.exists(d) for d in cgroup_dirs(h, rel))
    assert inspect("db")["State"]["CgroupPath"] == ""
    ctl("rm", "db")
    assert ours(h) == set()


def test_rm_force_removes_the_cgroup_and_the_state_directorys_parent():
    h = hierarchies()
    server_container("one", 7000)
    cid2 = ctl("run", "-d", "--name", "two", "sleep", "1000").out.strip()
    rel1 = inspect("one")["State"]["CgroupPath"]
    rel2 = inspect("two")["State"]["CgroupPath"]
    assert ours(h) == {rel1, rel2}
    ctl("rm", "-f", "one")
    assert ours(h) == {rel2}
    # an exec'd command that is still running when the container is removed
    ex = subprocess.Popen([CTRLINK, "exec", "two", "sleep", "1000"])
    wait_for(lambda: len(open(os.path.join(h["unified"], rel2.lstrip("/"),
                                           "cgroup.procs")).read().split()) >= 2,
             what="the exec in the container's cgroup")
    ctl("rm", "-f", cid2)
    ex.wait(timeout=30)
    assert ours(h) == set()
    # the parent goes with the last monitor in it, which exits just after the rm
    for mp in (m for m in h.values() if m):
        wait_for(lambda: not os.path.exists(os.path.join(mp, rel2.lstrip("/")).rsplit("/", 1)[0]),
                 what="the state directory's cgroup to go with its last monitor")


def test_gc_clears_the_cgroup_of_a_container_whose_monitor_was_killed():
    h = hierarchies()
    cid = ctl("run", "-d", "--name", "lost", "sleep", "1000").out.strip()
    keep = ctl("run", "-d", "--name", "kept", "sleep", "1000").out.strip()
    rel = inspect("lost")["State"]["CgroupPath"]
    pid = inspect("lost")["State"]["Pid"]
    os.kill(record(cid)["mon_pid"], signal.SIGKILL)
    wait_for(lambda: not os.path.exists(f"/proc/{pid}") or
             open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z",
             what="the container to die with its monitor")
    assert rel in ours(h)  # nobody removed it: the monitor was killed
    rep = json.loads(ctl("gc").out)
    assert rep["ContainersFoundDead"] == [cid]
    assert rep["CgroupsRemoved"] == 1
    assert ours(h) == {inspect("kept")["State"]["CgroupPath"]}
    assert json.loads(ctl("gc").out)["CgroupsRemoved"] == 0  # the running one stays
    ctl("rm", "-f", keep, cid)
    assert ours(h) == set()


def test_gc_clears_a_stale_cgroup_of_its_own_state_directory_only():
    h = hierarchies()
    info = json.loads(ctl("info").out)["Cgroups"]
    cid = ctl("create", "--name", "idle", "sleep", "1000").out.strip()
    # as a start killed after its monitor entered the cgroup leaves it: empty, not running
    stale = os.path.join(h["unified"], info["Parent"].lstrip("/"), cid)
    other = os.path.join(h["unified"], "ctrlink", "0123456789abcdef", "f" * 64)
    os.makedirs(stale)
    os.makedirs(other)
    rep = json.loads(ctl("gc").out)
    assert rep["CgroupsRemoved"] == 1
    assert not os.path.exists(stale) and not os.path.exists(os.path.dirname(stale))
    assert os.path.isdir(other)  # another state directory's: not ours to judge
    os.rmdir(other)
    os.rmdir(os.path.dirname(other))
    ctl("rm", cid)


def test_without_a_writable_cgroupfs_the_container_starts_in_the_callers_cgroup():
    h = hierarchies()
    agent = Agent(h)
    # the test keeps a writable view of its own (to start ctrlink in the agent's cgroup);
    # the places the library looks at become read-only
    agent.dirs = []
    for i, mp in enumerate(m for m in h.values() if m):
        os.mkdir(f"/tmp/rw{i}")
        sh(f"mount --bind {mp} /tmp/rw{i} && mount -o remount,bind,ro {mp}")
        agent.dirs.append(f"/tmp/rw{i}/agent")
    info = json.loads(ctl("info").out)["Cgroups"]
    assert info["Enabled"] is False
    assert h["unified"] in info["Reason"] and "not writable" in info["Reason"], info
    agent.ctl("run", "-d", "--name", "plain", "sleep", "1000")
    r = inspect("plain")
    assert r["State"]["Running"] is True
    assert r["State"]["CgroupPath"] == "" and r["HostConfig"]["CgroupParent"] == ""
    assert proc_cgroups(r["State"]["Pid"])["unified"] == "/agent"  # as before
    assert ctl("exec", "plain", "true").rc == 0
    # and so it shares the agent's fate, as it did before cgroups
    agent.kill()
    wait_for(lambda: inspect("plain")["State"]["Status"] == "exited",
             what="the container to end with the agent")
    ctl("rm", "plain")
    assert ours(h) == set()


def test_a_policy_restart_runs_in_the_same_cgroup_and_stop_removes_it():
    h = hierarchies()
    ctl("run", "-d", "--name", "again", "--restart", "always", "sh", "-c", "sleep 0.5; exit 3")
    first = inspect("again")
    rel = first["State"]["CgroupPath"]
    def next_run():
        r = inspect("again")
        if r["RestartCount"] < 1 or not r["State"]["Running"]:
            return None
        try:
            return r, proc_cgroups(r["State"]["Pid"])
        except OSError:  # that run ended already
            return None
    r, cg = wait_for(next_run, what="a restart")
    assert r["State"]["CgroupPath"] == rel
    assert cg["unified"] == rel  # the next run is in it
    ctl("stop", "-t", "1", "again")
    assert ours(h) == set()
    ctl("rm", "again")
