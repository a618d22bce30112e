"""Bounded state in the state directory (issue 18): log limits and rotation as Docker's
json-file driver (`--log-opt max-size=… max-file=…`, the bounded default), `logs` across the
rotated files in order (also while following), the container's /etc files on a tmpfs of their
own (a container cannot fill the state directory through them, live updates still reach it),
stop and `rm -f` on a full file system, and the refusals of bad log options.

Upstream references: moby daemon/logger/jsonfilelog/jsonfilelog.go (New, ValidateLogOpt),
daemon/logger/loggerutils/logfile.go (rotate), docker/go-units size.go (FromHumanSize).

The state directory lives on a small tmpfs mounted inside the test's private mount namespace
(nsplugin), never on the host."""
import json
import os
import subprocess
import time

import pytest

from conftest import CTRLINK, ctl, inspect, sh, wait_for

SMALL = "/run/small"
STATE = SMALL + "/ctrlink"


@pytest.fixture
def small_state():
    """A state directory on a 4 MiB tmpfs (in the test's private mount namespace)."""
    os.makedirs(SMALL, exist_ok=True)
    sh(f"mount -t tmpfs -o size=4m,mode=700 tmpfs {SMALL}")
    os.environ["CTRLINK_STATE_DIR"] = STATE
    yield STATE
    del os.environ["CTRLINK_STATE_DIR"]


def cdir(cid):
    return os.path.join(os.environ.get("CTRLINK_STATE_DIR", "/run/ctrlink"), "containers", cid)


def log_files(cid):
    return sorted(f for f in os.listdir(cdir(cid)) if f.startswith("log.json"))


def used_kib(path):
    st = os.statvfs(path)
    return (st.f_blocks - st.f_bfree) * st.f_frsize // 1024


def numbered(out):
    """The numbers of lines "line <n> ..." in order."""
    return [int(l.split()[1]) for l in out.splitlines()]


# 80-character lines: 2000 of them are ~ 300 kB of log (JSON framing included)
WRITER = ["sh", "-c", 'i=0; while [ $i -lt 2000 ]; do '
          'echo "line $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; '
          'i=$((i+1)); done']


def test_rotation_stays_within_max_size_times_max_file():
    cid = ctl("run", "-d", "--name", "wr", "--log-opt", "max-size=20k", "--log-opt",
              "max-file=3", *WRITER).out.strip()
    assert ctl("wait", "wr").out.strip() == "0"
    files = log_files(cid)
    assert files == ["log.json", "log.json.1", "log.json.2"]
    sizes = [os.path.getsize(os.path.join(cdir(cid), f)) for f in files]
    assert all(0 < s <= 20000 for s in sizes), sizes
    # every file holds whole JSON lines
    for f in files:
        with open(os.path.join(cdir(cid), f)) as fh:
            for l in fh:
                json.loads(l)
    # logs: the latest lines, in order, without a gap, ending with the last one
    n = numbered(ctl("logs", "wr").out)
    assert n[-1] == 1999 and n == list(range(n[0], 2000)) and n[0] > 0
    i = inspect("wr")
    assert i["HostConfig"]["LogConfig"] == {"Type": "json-file",
                                            "Config": {"max-file": "3", "max-size": "20k"}}


def test_one_file_is_emptied_in_place():
    cid = ctl("run", "-d", "--name", "one", "--log-opt", "max-size=4k", *WRITER).out.strip()
    assert ctl("wait", "one").out.strip() == "0"
    assert log_files(cid) == ["log.json"]
    assert os.path.getsize(os.path.join(cdir(cid), "log.json")) <= 4000
    n = numbered(ctl("logs", "one").out)
    assert n[-1] == 1999 and n == list(range(n[0], 2000))
    assert inspect("one")["HostConfig"]["LogConfig"]["Config"] == {"max-file": "1",
                                                                   "max-size": "4k"}


def test_follow_reads_across_rotations_in_order():
    ctl("create", "--name", "fo", "--log-opt", "max-size=4k", "--log-opt", "max-file=5",
        "sh", "-c", 'sleep 0.5; i=0; while [ $i -lt 600 ]; do echo "line $i"; i=$((i+1)); '
        '[ $((i % 20)) = 0 ] && sleep 0.05; done')
    ctl("start", "fo")
    p = subprocess.run([CTRLINK, "logs", "-f", "fo"], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert numbered(p.stdout) == list(range(600))


def test_default_is_bounded():
    # 4 MB of output against the default 1m x 3
    cid = ctl("run", "-d", "--name", "big", "/usr/bin/python3", "-c",
              "import sys\nfor i in range(4000): sys.stdout.write('line %d %s\\n' % "
              "(i, 'y' * 1000))").out.strip()
    assert ctl("wait", "big", timeout=120).out.strip() == "0"
    files = log_files(cid)
    assert files == ["log.json", "log.json.1", "log.json.2"]
    total = sum(os.path.getsize(os.path.join(cdir(cid), f)) for f in files)
    assert total <= 3 * 1000000
    assert numbered(ctl("logs", "big").out)[-1] == 3999
    assert inspect("big")["HostConfig"]["LogConfig"] == {
        "Type": "json-file", "Config": {"max-file": "3", "max-size": "1m"}}


@pytest.mark.parametrize("opts, msg", [
    (["--log-opt", "max-size=10x"], "invalid log opt max-size=10x: invalid size: '10x'"),
    (["--log-opt", "max-size=-1"], "invalid log opt max-size=-1: invalid size: '-1'"),
    (["--log-opt", "max-size="], "invalid log opt max-size=: invalid size: ''"),
    (["--log-opt", "max-size=0"], "max-size must be a positive number"),
    (["--log-opt", "max-file=3"], "max-file cannot be set without max-size"),
    (["--log-opt", "max-size=1m", "--log-opt", "max-file=0"], "max-file cannot be less than 1"),
    (["--log-opt", "max-size=1m", "--log-opt", "max-file=x"],
     "invalid log opt max-file=x: max-file must be an integer"),
    (["--log-opt", "max-size=1m", "--log-opt", "max-file=1001"],
     "max-file cannot be more than 1000"),
    (["--log-opt", "mode=non-blocking"], "unknown log opt 'mode' for json-file log driver"),
    (["--log-opt", "compress=true"], "log opt 'compress' of the json-file log driver is not "
                                     "supported"),
    (["--log-driver", "syslog"], 'logging driver "syslog" is not supported'),
])
def test_bad_log_options_are_refused_and_create_nothing(opts, msg):
    for cmd in ("create", "run"):
        r = ctl(cmd, "--name", "bad", *opts, "true", check=False)
        assert r.rc != 0 and msg in r.err, r
    assert ctl("ps", "-a", "-q").out == ""
    assert os.listdir("/run/ctrlink/containers") == []
    assert not os.path.exists("/run/ctrlink/names/bad")


def test_a_container_cannot_fill_the_state_dir_through_etc_hosts(small_state):
    ctl("run", "-d", "--name", "db", "sleep", "1000")
    ctl("run", "-d", "--name", "web", "--link", "db:dbalias", "sleep", "1000")
    before = used_kib(SMALL)
    # web writes to its /etc/hosts until it cannot: its own small tmpfs is full
    r = ctl("exec", "web", "sh", "-c", "cat /dev/zero > /etc/hosts; echo rc=$?", check=False)
    assert "rc=1" in r.out, r
    assert "No space left on device" in r.err
    size = int(ctl("exec", "web", "stat", "-c", "%s", "/etc/hosts").out)
    assert 0 < size <= 1024 * 1024
    assert used_kib(SMALL) - before < 256, "the state directory's tmpfs filled"
    # the library's updates still reach it: a rename of the linked container
    ctl("rename", "db", "db2")
    hosts = ctl("exec", "web", "cat", "/etc/hosts").out
    assert "\0" not in hosts
    ip = inspect("db2")["NetworkSettings"]["IPAddress"]
    assert any(l.split()[0] == ip and "dbalias" in l.split() and "db2" in l.split()
               for l in hosts.splitlines() if l.strip()), hosts
    # the container can still edit its own file, as in Docker
    ctl("exec", "web", "sh", "-c", "echo '10.9.9.9 extra' >> /etc/hosts")
    assert "10.9.9.9 extra" in ctl("exec", "web", "cat", "/etc/hosts").out
    # and an alias update keeps that edit (the line of the alias is rewritten in place)
    ctl("restart", "-t", "1", "db2")
    hosts = ctl("exec", "web", "cat", "/etc/hosts").out
    assert "10.9.9.9 extra" in hosts
    ip = inspect("db2")["NetworkSettings"]["IPAddress"]
    assert any(l.split()[0] == ip and "dbalias" in l.split() for l in hosts.splitlines()
               if l.strip()), hosts
    # the state directory's copy is the library's alone: the container's lines stay out
    web = inspect("web")["Id"]
    with open(os.path.join(STATE, "containers", web, "hosts")) as f:
        own = f.read()
    assert "extra" not in own and ip in own and len(own) < 4096


def fill(path):
    """Fill the file system of `path` (a file of the test's, beside the state directory)."""
    subprocess.run(["dd", "if=/dev/zero", f"of={path}", "bs=4k"], capture_output=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND)  # the last bytes of a partly free page
    try:
        while True:
            os.write(fd, b"\0")
    except OSError:
        pass
    finally:
        os.close(fd)


def test_stop_and_rm_force_work_on_a_full_disk(small_state):
    a = ctl("run", "-d", "--name", "aa", "-p", "8080:80", "sleep", "1000").out.strip()
    b = ctl("run", "-d", "--name", "bb", "--link", "aa:al", "sleep", "1000").out.strip()
    assert os.path.exists(os.path.join(STATE, "reserve"))
    fill(SMALL + "/filler")
    fd = os.open(SMALL + "/probe", os.O_WRONLY | os.O_CREAT)
    with pytest.raises(OSError):
        os.write(fd, b"x" * 8192)
    os.close(fd)
    ctl("stop", "-t", "1", "bb")
    assert inspect("bb")["State"]["Status"] == "exited"
    ctl("rm", "-f", "aa")
    ctl("rm", "-f", "bb")
    assert ctl("ps", "-a", "-q").out == ""
    assert os.listdir(os.path.join(STATE, "containers")) == []
    assert os.listdir(os.path.join(STATE, "names")) == []
    assert os.listdir(os.path.join(STATE, "pending")) == []
    # their monitors hold nothing any more and exit by themselves
    wait_for(lambda: a not in sh("ps -eo args") and b not in sh("ps -eo args"),
             what="the monitors to exit")
    assert "veth" not in sh("ip -o link")
    assert ctl("gc").rc == 0
    # space again: the next operation makes the reserve whole
    os.unlink(SMALL + "/filler")
    ctl("run", "-d", "--name", "cc", "true")
    assert os.path.getsize(os.path.join(STATE, "reserve")) >= 256 * 1024


def sanitized():
    return "asan" in os.path.basename(os.environ.get("CTRLINK_BUILD", ""))


@pytest.mark.skipif(not sanitized(), reason="needs the fault-injection (ASan) build")
def test_an_index_that_cannot_be_written_is_dropped_not_stale():
    # the index write of the first start fails as on a full disk; the start did its work
    # and says so, and the next start does not get the same address
    r = ctl("run", "-d", "--name", "x1", "sleep", "1000",
            env={"CTRLINK_FAULT_ENOSPC": "alloc"})
    assert r.rc == 0 and len(r.out.strip()) == 64
    assert not os.path.exists("/run/ctrlink/alloc")
    ctl("run", "-d", "--name", "x2", "sleep", "1000")
    ip1 = inspect("x1")["NetworkSettings"]["IPAddress"]
    ip2 = inspect("x2")["NetworkSettings"]["IPAddress"]
    assert ip1 and ip2 and ip1 != ip2
    assert os.path.exists("/run/ctrlink/alloc")
