"""Containers: create, start, stop, remove, exec, logs, inspect, references, errors."""
import json
import os
import re
import shlex
import subprocess
import time

import pytest

from conftest import BUILD, PY, ctl, inspect, our_rules, sh, wait_for

STATE = "/run/ctrlink"


def container_dirs():
    d = os.path.join(STATE, "containers")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def procs_with(text):
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    continue
        except OSError:
            continue
        if text in cmd:
            out.append(cmd)
    return out


def veths():
    """Interfaces of our network namespace (/sys shows the host's: ask netlink)."""
    out = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True).stdout
    return [l.split(":")[1].strip().split("@")[0] for l in out.splitlines()]


# ---- the "done when" of the containers issue ------------------------------------------------

def test_run_rm_prints_env_and_exits_with_status():
    r = ctl("run", "--rm", "--name", "web2", "env")
    lines = r.out.splitlines()
    assert "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" in lines
    host = [l for l in lines if l.startswith("HOSTNAME=")]
    assert len(host) == 1 and re.fullmatch(r"HOSTNAME=[0-9a-f]{12}", host[0])
    assert "HOME=/root" in lines
    assert ctl("ps", "-a", "-q").out == ""  # removed
    r = ctl("run", "--rm", "sh", "-c", "echo out; echo err >&2; exit 3", check=False)
    assert (r.rc, r.out, r.err) == (3, "out\n", "err\n")


def test_run_detached_then_ps_shows_it_by_name():
    r = ctl("run", "-d", "--name", "web", "sleep", "1000")
    cid = r.out.strip()
    assert re.fullmatch(r"[0-9a-f]{64}", cid)
    ps = ctl("ps").out.splitlines()
    assert ps[0].split() == ["CONTAINER", "ID", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
    assert len(ps) == 2
    assert ps[1].startswith(cid[:12] + "   ")
    assert '"sleep 1000"' in ps[1] and " Up " in ps[1] and ps[1].endswith("   web")


def test_duplicate_name_is_docker_conflict_and_changes_nothing():
    cid = ctl("run", "-d", "--name", "web", "sleep", "1000").out.strip()
    before = container_dirs()
    r = ctl("run", "-d", "--name", "web", "sleep", "1000", check=False)
    assert r.rc == 125
    assert r.err == (f'ctrlink: Conflict. The container name "/web" is already in use by container '
                     f'"{cid}". You have to remove (or rename) that container to be able to reuse '
                     f'that name.\n')
    assert container_dirs() == before
    assert len(ctl("ps", "-a", "-q").out.split()) == 1
    r = ctl("create", "--name", "/web", "true", check=False)
    assert r.rc == 125 and "Conflict." in r.err


def test_stop_and_rm_leave_no_state_process_mount_or_rule():
    ctl("run", "-d", "--name", "web", "-p", "8080:80", "sleep", "1000")
    assert procs_with("sleep 1000")
    assert any(v.startswith("ctl") for v in veths())
    ctl("stop", "-t", "1", "web")
    ctl("rm", "web")
    assert container_dirs() == []
    assert os.listdir(os.path.join(STATE, "names")) == []
    assert procs_with("sleep 1000") == []
    assert our_rules() == []
    # the monitor has released everything when rm returns and exits by itself (the close of
    # its netfilter sockets may wait for the kernel's RCU grace period); the veth's host end
    # goes with the container's network namespace
    wait_for(lambda: procs_with("ctr-monitor") == [], what="the monitor to exit")
    wait_for(lambda: not any(v.startswith("ctl") for v in veths()), what="the veth to go")
    with open("/proc/self/mountinfo") as f:
        assert STATE not in f.read()


# ---- names and references -------------------------------------------------------------------

@pytest.mark.parametrize("name", ["a", "_x", ".x", "-x", "we b", "web\n", "web\tx", "../etc",
                                  "a/b", "$(reboot)", "x" * 4096, "é"])
def test_invalid_names_are_refused(name):
    r = ctl("create", "--name", name, "true", check=False)
    assert r.rc == 125
    assert "Invalid container name (" in r.err
    assert "\n" not in r.err.rstrip("\n")  # no raw control character echoed
    assert len(r.err) < 600
    assert container_dirs() == []


def test_valid_unusual_names():
    for n in ["ab", "a.", "A_b-c.d", "0x", "/slash"]:
        ctl("create", "--name", n, "true")
    assert inspect("slash")["Name"] == "/slash"
    assert inspect("/a.")["Name"] == "/a."


def test_generated_names_are_adjective_surname_and_unique():
    names = set()
    for _ in range(12):
        cid = ctl("create", "true").out.strip()
        n = inspect(cid)["Name"]
        assert re.fullmatch(r"/[a-z]+_[a-z]+[0-9]?", n), n
        names.add(n)
    assert len(names) == 12


def test_references_full_id_prefix_name():
    cid = ctl("create", "--name", "web", "true").out.strip()
    for ref in [cid, cid[:12], cid[:3], "web", "/web"]:
        assert inspect(ref)["Id"] == cid


def test_unknown_reference():
    for cmd in (["inspect"], ["stop"], ["rm"], ["start"], ["kill"], ["logs"], ["port"]):
        r = ctl(*cmd, "nosuch", check=False)
        assert r.rc == 1, cmd
        assert "No such container: nosuch" in r.err


def test_ambiguous_prefix_says_so():
    ids = [ctl("create", "true").out.strip() for _ in range(20)]
    first = {}
    for i in ids:
        first.setdefault(i[0], []).append(i)
    c = next(k for k, v in first.items() if len(v) > 1)  # 20 IDs, 16 digits: one repeats
    r = ctl("inspect", c, check=False)
    assert r.rc == 1
    assert f"multiple IDs found with provided prefix: {c}" in r.err


# ---- start errors ---------------------------------------------------------------------------

def test_missing_program_is_a_clear_error_and_nothing_runs():
    r = ctl("run", "--name", "xx", "-p", "8080:80", "nosuchcmd", check=False)
    assert r.rc == 127
    assert 'exec: "nosuchcmd": executable file not found in $PATH' in r.err
    st = inspect("xx")["State"]
    assert st["Running"] is False and st["Status"] == "created" and st["ExitCode"] == 127
    assert "executable file not found" in st["Error"]
    assert procs_with("ctr-monitor") == []
    assert not any(v.startswith("ctl") for v in veths())
    assert our_rules() == []
    r = ctl("run", "-d", "--name", "yy", "/no/such/file", check=False)
    assert r.rc == 127 and "no such file or directory" in r.err
    r = ctl("run", "-d", "--name", "zz", "/etc/passwd", check=False)
    assert r.rc == 126 and "permission denied" in r.err.lower()


def test_bad_working_directory_is_a_clear_error():
    r = ctl("run", "--name", "ww", "-w", "/nonexistent", "true", check=False)
    assert r.rc == 125
    assert 'working directory "/nonexistent"' in r.err
    assert inspect("ww")["State"]["Running"] is False
    r = ctl("create", "-w", "relative", "true", check=False)
    assert r.rc == 125 and "must be an absolute path" in r.err


def test_start_of_a_failed_container_again_after_fix_works():
    ctl("create", "--name", "xx", "-w", "/tmp/later", "pwd")
    assert ctl("start", "xx", check=False).rc == 1
    os.mkdir("/tmp/later")
    ctl("start", "xx")
    assert ctl("wait", "xx").out == "0\n"
    assert ctl("logs", "xx").out == "/tmp/later\n"


# ---- the container's world ------------------------------------------------------------------

def test_pid1_namespaces_hostname_and_files():
    with open("/etc/resolv.conf") as f:
        host_resolv = f.read()
    ctl("run", "-d", "--name", "web", "--hostname", "webhost", "sleep", "1000")
    r = ctl("exec", "web", "sh", "-c",
            "cat /proc/1/cmdline | tr '\\0' ' '; echo; hostname; cat /etc/hostname; "
            "readlink /proc/self/ns/net /proc/self/ns/pid /proc/self/ns/uts /proc/self/ns/ipc "
            "/proc/self/ns/mnt; ip -o link show up | cut -d: -f2")
    lines = r.out.splitlines()
    assert lines[0].strip() == "sleep 1000"
    assert lines[1] == "webhost" and lines[2] == "webhost"
    for ns in ("net", "pid", "uts", "ipc", "mnt"):
        mine = os.readlink(f"/proc/self/ns/{ns}")
        assert mine not in lines[3:8], ns
    assert "lo" in " ".join(lines[8:]) and "eth0" in " ".join(lines[8:])
    hosts = ctl("exec", "web", "cat", "/etc/hosts").out
    ip = inspect("web")["NetworkSettings"]["IPAddress"]
    assert hosts == ("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                     "fe00::\tip6-localnet\nff00::\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
                     f"ff02::2\tip6-allrouters\n{ip}\twebhost\n")
    with open("/etc/resolv.conf") as f:
        assert f.read() == host_resolv  # the host's file is untouched


def test_resolv_conf_drops_loopback_nameservers():
    with open("/tmp/resolv", "w") as f:
        f.write("search example.org\nnameserver 127.0.0.53\nnameserver 10.9.9.9\n"
                "nameserver ::1\noptions edns0\n")
    sh("mount --bind /tmp/resolv /etc/resolv.conf")
    out = ctl("run", "--rm", "cat", "/etc/resolv.conf").out
    assert out == "search example.org\nnameserver 10.9.9.9\noptions edns0\n"
    with open("/tmp/resolv", "w") as f:
        f.write("nameserver 127.0.0.1\n")
    out = ctl("run", "--rm", "cat", "/etc/resolv.conf").out
    assert out == "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"


def test_hostname_default_and_domainname():
    cid = ctl("run", "-d", "--name", "aa", "--hostname", "box", "--domainname", "example.org",
              "sleep", "1000").out.strip()
    ip = inspect("aa")["NetworkSettings"]["IPAddress"]
    assert ctl("exec", "aa", "tail", "-1", "/etc/hosts").out == f"{ip}\tbox.example.org box\n"
    ctl("run", "-d", "--name", "bb", "sleep", "1000")
    b = inspect("bb")
    assert b["Config"]["Hostname"] == b["Id"][:12]
    assert ctl("exec", "bb", "hostname").out.strip() == b["Id"][:12]
    r = ctl("create", "--hostname", "bad host\n", "true", check=False)
    assert r.rc == 125 and "invalid hostname" in r.err


CAP_DEFAULT = 0xa80405fb  # Docker's default set less NET_RAW


def cap_eff(*opts):
    out = ctl("run", "--rm", *opts, "grep", "CapEff", "/proc/self/status").out
    return int(out.split()[1], 16)


def test_capabilities_default_add_drop():
    assert cap_eff() == CAP_DEFAULT
    assert cap_eff("--cap-add", "NET_ADMIN") == CAP_DEFAULT | (1 << 12)
    assert cap_eff("--cap-drop", "CHOWN", "--cap-drop", "cap_kill") == CAP_DEFAULT & ~1 & ~(1 << 5)
    assert cap_eff("--cap-drop", "ALL") == 0
    assert cap_eff("--cap-drop", "ALL", "--cap-add", "NET_RAW") == 1 << 13
    bnd = ctl("run", "--rm", "grep", "CapBnd", "/proc/self/status").out.split()[1]
    assert int(bnd, 16) == CAP_DEFAULT
    r = ctl("create", "--cap-add", "FOO", "true", check=False)
    assert r.rc == 125 and 'unknown capability: "FOO"' in r.err
    # without CAP_NET_ADMIN the container cannot reconfigure its network
    r = ctl("run", "--rm", "ip", "link", "set", "lo", "down", check=False)
    assert r.rc != 0


def test_user_option():
    assert ctl("run", "--rm", "-u", "nobody", "id", "-u").out == "65534\n"
    assert ctl("run", "--rm", "-u", "1234:5678", "sh", "-c", "id -u; id -g").out == "1234\n5678\n"
    assert cap_eff("-u", "nobody") == 0
    r = ctl("run", "--rm", "-u", "nosuchuser", "true", check=False)
    assert r.rc == 125
    assert "unable to find user nosuchuser" in r.err


def make_busybox_rootfs(path):
    os.makedirs(os.path.join(path, "bin"))
    sh(f"cp /bin/busybox {path}/bin/busybox")
    for tool in ("sh", "ls", "cat", "echo", "mount", "touch", "hostname", "id", "sleep", "ip",
                 "env", "pwd", "grep"):
        os.symlink("busybox", os.path.join(path, "bin", tool))
    os.makedirs(os.path.join(path, "etc"))
    with open(os.path.join(path, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1000::/home/web:/bin/sh\n")
    with open(os.path.join(path, "etc", "group"), "w") as f:
        f.write("root:x:0:\nweb:x:1000:\nextra:x:2000:web\n")


def test_rootfs_pivot_root_dev_proc_sys():
    make_busybox_rootfs("/tmp/rootfs")
    r = ctl("run", "--rm", "--rootfs", "/tmp/rootfs", "/bin/sh", "-c",
            "ls /; echo x > /dev/null && echo devnull-ok; ls /dev; "
            "touch /sys/x 2>&1 || echo sys-ro; cat /proc/1/cmdline; echo; "
            "test -e /usr/bin/python3 || echo no-host-fs; cat /etc/hostname")
    out = r.out
    assert "devnull-ok" in out and "sys-ro" in out and "no-host-fs" in out
    for d in ("proc", "sys", "dev", "etc", "bin"):
        assert d in out.split()
    for node in ("null", "zero", "urandom", "pts", "shm"):
        assert node in out.split()
    assert "/bin/sh" in out
    assert ctl("run", "--rm", "--rootfs", "/tmp/rootfs", "-u", "web", "id").out == \
        "uid=1000(web) gid=1000(web) groups=2000(extra)\n"  # membership, as runc
    r = ctl("create", "--rootfs", "/tmp/nosuch", "true", check=False)
    assert r.rc == 125 and "root filesystem" in r.err


def test_logs_and_streams():
    ctl("run", "-d", "--name", "ll", "sh", "-c", "echo out1; echo err1 >&2; printf partial")
    assert ctl("wait", "ll").out == "0\n"
    r = ctl("logs", "ll")
    assert r.out == "out1\npartial" and r.err == "err1\n"
    r = ctl("logs", "-t", "ll")
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z out1\n", r.out)


def test_logs_follow_ends_with_the_container():
    ctl("run", "-d", "--name", "ff", "sh", "-c", "for i in 1 2 3; do echo $i; sleep 0.2; done")
    assert ctl("logs", "-f", "ff").out == "1\n2\n3\n"


def test_exec_exit_codes_and_env():
    ctl("run", "-d", "--name", "ee", "-e", "A=1", "sleep", "1000")
    r = ctl("exec", "-e", "B=2", "ee", "sh", "-c", "echo $A$B; exit 4", check=False)
    assert (r.rc, r.out) == (4, "12\n")
    r = ctl("exec", "ee", "nosuchcmd", check=False)
    assert r.rc == 127 and "executable file not found" in r.err
    ctl("stop", "-t", "0", "ee")
    r = ctl("exec", "ee", "true", check=False)
    assert r.rc != 0 and "is not running" in r.err


def test_kill_wait_and_exit_codes():
    ctl("run", "-d", "--name", "kk", "sh", "-c", "trap 'exit 7' TERM; while :; do sleep 0.05; done")
    time.sleep(0.2)
    ctl("kill", "-s", "TERM", "kk")
    assert ctl("wait", "kk").out == "7\n"
    st = inspect("kk")["State"]
    assert st["Status"] == "exited" and st["ExitCode"] == 7 and st["Pid"] == 0
    assert st["FinishedAt"] != "0001-01-01T00:00:00Z"
    ctl("run", "-d", "--name", "ss", "sleep", "1000")
    ctl("stop", "-t", "1", "ss")  # PID 1 ignores SIGTERM: killed after the timeout
    assert inspect("ss")["State"]["ExitCode"] == 137
    r = ctl("kill", "ss", check=False)
    assert r.rc == 1 and "is not running" in r.err


def test_rm_running_needs_force():
    cid = ctl("run", "-d", "--name", "rr", "sleep", "1000").out.strip()
    r = ctl("rm", "rr", check=False)
    assert r.rc == 1
    assert (f"You cannot remove a running container {cid}. Stop the container before attempting "
            "removal or force remove") in r.err
    ctl("rm", "-f", "rr")
    assert container_dirs() == []
    assert procs_with("sleep 1000") == []


def test_detached_auto_remove():
    ctl("run", "-d", "--rm", "--name", "gone", "true")
    wait_for(lambda: ctl("ps", "-a", "-q").out == "", what="auto-removal")
    assert container_dirs() == []


def test_restart_after_exit():
    ctl("run", "-d", "--name", "again", "sh", "-c", "echo run")
    ctl("wait", "again")
    ctl("start", "again")
    ctl("wait", "again")
    assert ctl("logs", "again").out == "run\nrun\n"


def test_inspect_shape_running_and_stopped():
    ctl("run", "-d", "--name", "web", "-e", "X=1", "--expose", "5000", "sleep", "1000")
    i = inspect("web")
    assert i["Name"] == "/web" and re.fullmatch(r"[0-9a-f]{64}", i["Id"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", i["Created"])
    st = i["State"]
    assert st["Status"] == "running" and st["Running"] is True and st["Pid"] > 0
    assert st["FinishedAt"] == "0001-01-01T00:00:00Z" and st["ExitCode"] == 0
    c = i["Config"]
    assert c["Cmd"] == ["sleep", "1000"] and c["Hostname"] == i["Id"][:12]
    assert c["Env"] == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                        "X=1"]
    assert c["ExposedPorts"] == {"5000/tcp": {}}
    assert i["HostConfig"]["AutoRemove"] is False and i["HostConfig"]["Links"] is None
    ctl("stop", "-t", "0", "web")
    st = inspect("web")["State"]
    assert st["Running"] is False and st["Pid"] == 0 and st["Status"] == "exited"
    out = ctl("inspect", "-f", "{{.State.Status}} {{.Config.Cmd}} {{json .Config.ExposedPorts}}",
              "web").out
    assert out == 'exited [sleep 1000] {"5000/tcp":{}}\n'
    r = ctl("inspect", "-f", "{{.Nope", "web", check=False)  # docker/cli: 64, parse errors
    assert r.rc == 64 and r.err.startswith("template parsing error: ")


def test_ps_all_quiet_no_trunc_format():
    a = ctl("create", "--name", "made", "true").out.strip()
    b = ctl("run", "-d", "--name", "runs", "sleep", "1000").out.strip()
    assert ctl("ps", "-q").out == b[:12] + "\n"
    assert ctl("ps", "-a", "-q", "--no-trunc").out == f"{b}\n{a}\n"
    rows = [json.loads(l) for l in ctl("ps", "-a", "--format", "json").out.splitlines()]
    assert [r["Names"] for r in rows] == ["runs", "made"]
    assert rows[1]["Status"] == "Created" and rows[0]["State"] == "running"
    assert ctl("ps", "--format", "{{.Names}} {{.State}}").out == "runs running\n"


def test_concurrent_creates_never_share_a_name():
    ctrlink = shlex.quote(f"{BUILD}/examples/ctrlink/ctrlink")
    procs = [subprocess.Popen(["sh", "-c", f"for i in $(seq 8); do {ctrlink} "
                               "create true >/dev/null || exit 1; done"]) for _ in range(4)]
    assert all(p.wait() == 0 for p in procs)
    names = [inspect(i)["Name"] for i in ctl("ps", "-a", "-q", "--no-trunc").out.split()]
    assert len(names) == 32 and len(set(names)) == 32
    # the same name from several processes at once: exactly one wins
    procs = [subprocess.Popen([f"{BUILD}/examples/ctrlink/ctrlink", "create", "--name", "same",
                               "true"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for _ in range(6)]
    codes = sorted(p.wait() for p in procs)
    assert codes == [0, 125, 125, 125, 125, 125]


def test_cli_usage_errors():
    r = ctl("run", check=False)  # docker/cli's argument checks exit 1, flag errors 125
    assert r.rc == 1 and "requires at least 1 argument" in r.err
    r = ctl("run", "--bogus", "true", check=False)
    assert r.rc == 125 and "unknown flag: --bogus" in r.err
    r = ctl("frobnicate", check=False)
    assert r.rc == 125 and "is not a ctrlink command" in r.err
    r = ctl("--state-dir", "relative", "ps", check=False)
    assert r.rc == 125 and "absolute path" in r.err


def test_state_dir_option_env_and_permissions():
    ctl("--state-dir", "/run/other", "create", "--name", "xx", "true")
    assert ctl("--state-dir", "/run/other", "ps", "-a", "-q").out.strip()
    assert ctl("ps", "-a", "-q").out == ""
    assert ctl("ps", "-a", "-q", env={"CTRLINK_STATE_DIR": "/run/other"}).out.strip()
    assert os.stat("/run/other").st_mode & 0o777 == 0o700
    os.makedirs("/run/shared")
    os.chmod("/run/shared", 0o755)  # an existing directory others may read keeps its mode
    ctl("--state-dir", "/run/shared", "create", "--name", "yy", "true")
    assert os.stat("/run/shared").st_mode & 0o777 == 0o755
    assert os.stat("/run/shared/containers").st_mode & 0o777 == 0o700
    os.makedirs("/run/open")
    os.chmod("/run/open", 0o777)
    r = ctl("--state-dir", "/run/open", "ps", check=False)
    assert r.rc == 125 and "can be written by others" in r.err
