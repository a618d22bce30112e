"""Containers: create, get, list, start, stop, kill, wait, remove, exec, logs, inspect."""
import errno
import re
import signal
import tempfile
import time

import pytest

import container_link as cl
from conftest import fd_count, wait_for

SHELL_TRAP = "trap 'exit 7' TERM; echo ready; while :; do sleep 0.05; done"


# ---- create --------------------------------------------------------------------------------

def test_create_with_every_option_round_trips_through_inspect(ctx):
    db = ctx.create(["sleep", "1000"], name="db", env={"DB_PASSWORD": "secret"})
    c = ctx.create(
        ["sh", "-c", "echo hi"], name="web", env={"A": "1", "B": 2, "PATH": None},
        hostname="box", domainname="example.org", workdir="/tmp", user="nobody",
        cap_add=["NET_ADMIN"], cap_drop=["CHOWN"], expose=[5000, "53/udp"],
        publish=["8080:80", 9000], publish_all=True, auto_remove=True, links={db: "database"},
        links_env=[])
    assert isinstance(c, cl.Container)
    assert re.fullmatch(r"[0-9a-f]{64}", c.id) and c.short_id == c.id[:12]
    assert c.name == "web" and c.context is ctx and repr(c) == f"<Container web {c.short_id}>"
    i = c.inspect()
    assert i["Id"] == c.id and i["Name"] == "/web"
    cfg = i["Config"]
    assert cfg["Cmd"] == ["sh", "-c", "echo hi"]
    assert cfg["Env"] == ["A=1", "B=2"]  # PATH removed
    assert (cfg["Hostname"], cfg["Domainname"], cfg["WorkingDir"], cfg["User"]) == \
        ("box", "example.org", "/tmp", "nobody")
    assert set(cfg["ExposedPorts"]) == {"5000/tcp", "53/udp", "80/tcp", "9000/tcp"}
    hc = i["HostConfig"]
    assert hc["CapAdd"] == ["NET_ADMIN"] and hc["CapDrop"] == ["CHOWN"]
    assert hc["PortBindings"]["80/tcp"] == [{"HostIp": "", "HostPort": "8080"}]
    assert hc["PublishAllPorts"] is True and hc["AutoRemove"] is True
    assert hc["Links"] == ["/db:/web/database"]
    assert (c.status, c.running, c.pid, c.ip, c.exit_code) == ("created", False, None, None, 0)


def test_create_command_forms_generated_names_and_slash(ctx):
    a = ctx.create("sh -c 'echo a b'")  # a string is split as a shell would
    assert a.inspect()["Config"]["Cmd"] == ["sh", "-c", "echo a b"]
    assert re.fullmatch(r"[a-z]+_[a-z]+[0-9]?", a.name)
    b = ctx.create(("true",), name="/slash", env=["X=1", "Y"], links_env=[])
    assert b.name == "slash" and b.inspect()["Config"]["Env"][-1] == "X=1"
    c = ctx.create([b"echo", "ok"], links=["slash:s1", ("slash", "s2"), b])
    assert c.inspect()["HostConfig"]["Links"] == ["/slash:/%s/s1" % c.name,
                                                  "/slash:/%s/s2" % c.name,
                                                  "/slash:/%s/slash" % c.name]


def test_links_env_copies_the_targets_environment(ctx):
    ctx.run(["sleep", "1000"], name="db", env={"SECRET": "x"})
    web = ctx.run(["sleep", "1000"], name="web", links_env=["db:data"])
    env = web.exec(["env"], capture_output=True).stdout.decode().splitlines()
    assert "DATA_ENV_SECRET=x" in env and "DATA_NAME=/web/data" in env


@pytest.mark.parametrize("kwargs,exc,match", [
    ({"name": "a"}, cl.InvalidArgument, r"Invalid container name \(a\)"),
    ({"name": "bad name"}, cl.InvalidArgument, "Invalid container name"),
    ({"publish": ["nonsense"]}, cl.InvalidArgument, "invalid"),
    ({"workdir": "relative"}, cl.InvalidArgument, "must be an absolute path"),
    ({"cap_add": ["FOO"]}, cl.InvalidArgument, 'unknown capability: "FOO"'),
    ({"rootfs": "/nonexistent"}, cl.NotFound, 'root filesystem "/nonexistent"'),
    ({"links": ["nosuch:x"]}, cl.InvalidArgument, "could not get container for nosuch"),
    ({"hostname": "bad host\n"}, cl.InvalidArgument, "invalid hostname"),
    ({"env": {"A": "x\0y"}}, cl.InvalidArgument, "NUL"),
    ({"name": "\udcff\ud800"}, cl.InvalidArgument, "not valid text"),
])
def test_create_errors_change_nothing(ctx, kwargs, exc, match):
    with pytest.raises(exc, match=match) as e:
        ctx.create(["true"], **kwargs)
    assert e.value.errno == (errno.ENOENT if exc is cl.NotFound else errno.EINVAL)
    assert ctx.list(all=True) == []


def test_create_argument_types_and_empty_command(ctx):
    with pytest.raises(cl.InvalidArgument, match="no command given"):
        ctx.create([])
    with pytest.raises(cl.InvalidArgument, match="no command given"):
        ctx.create("   ")
    with pytest.raises(TypeError):
        ctx.create(["true"], name=5)
    with pytest.raises(TypeError):
        ctx.create(["true", 5])
    with pytest.raises(TypeError):
        ctx.create(["true"], publish=3.5)
    with pytest.raises(TypeError):
        ctx.create(["true"], publish_all="yes")
    with pytest.raises(TypeError):
        ctx.create(42)
    assert ctx.list(all=True) == []


def test_duplicate_name_is_a_conflict(ctx):
    c = ctx.create(["true"], name="web")
    with pytest.raises(cl.Conflict) as e:
        ctx.create(["true"], name="/web")
    assert str(e.value) == (f'Conflict. The container name "/web" is already in use by '
                            f'container "{c.id}". You have to remove (or rename) that container '
                            'to be able to reuse that name.')
    assert e.value.errno == errno.EEXIST and not isinstance(e.value, cl.PortInUse)


# ---- get, list -----------------------------------------------------------------------------

def test_get_by_every_kind_of_reference(ctx):
    db = ctx.create(["true"], name="db")
    web = ctx.create(["true"], name="web", links={db: "alias"})
    for ref in (db.id, db.id[:12], "db", "/db", "web/alias", "/web/alias"):
        got = ctx.get(ref)
        assert got == db and got.name == "db" and got.id == db.id and hash(got) == hash(db)
    assert web != db and web != "web" and len({db, ctx.get("db"), web}) == 2


def test_get_errors(ctx):
    with pytest.raises(cl.NotFound, match="No such container: nosuch") as e:
        ctx.get("nosuch")
    assert e.value.errno == errno.ENOENT and isinstance(e.value, LookupError)
    with pytest.raises(cl.InvalidArgument, match="no container given"):
        ctx.get("")
    ids = [ctx.create(["true"]).id for _ in range(20)]
    first = {}
    for i in ids:
        first.setdefault(i[0], []).append(i)
    c = next(k for k, v in first.items() if len(v) > 1)  # 20 IDs, 16 digits: one repeats
    with pytest.raises(cl.InvalidArgument, match=f"multiple IDs found with provided prefix: {c}"):
        ctx.get(c)


def test_list_and_summaries(ctx):
    made = ctx.create(["true"], name="made")
    runs = ctx.run(["sleep", "1000"], name="runs", publish=["8080:80"])
    assert ctx.list() == [runs]
    assert ctx.list(all=True) == [runs, made]  # newest first
    assert [c.name for c in ctx.list(all=True)] == ["runs", "made"]
    s = ctx.summaries(all=True)
    assert [x["Id"] for x in s] == [runs.id, made.id]
    assert s[0]["State"] == "running" and s[0]["Names"] == ["/runs"]
    assert s[0]["Ports"] == [{"IP": "0.0.0.0", "PrivatePort": 80, "PublicPort": 8080,
                              "Type": "tcp"}]
    assert [x["Id"] for x in ctx.summaries()] == [runs.id]
    linked = ctx.create(["true"], name="linked", links={made: "m"})
    names = {c.name for c in ctx.list(all=True)}
    assert names == {"made", "runs", "linked"}  # a link name is not the container's name
    assert linked in ctx.list(all=True)


# ---- start, stop, kill, wait ---------------------------------------------------------------

def test_state_is_the_typed_read_of_what_inspect_says(ctx):
    c = ctx.create(["sleep", "1000"], name="typed", publish=["18095:80", "127.0.0.1:18096:53/udp"])
    st = c.state()
    assert (st.id, st.name, st.status, st.running, st.pid, st.ip, st.ports) == \
        (c.id, "typed", "created", False, None, None, ())
    c.start()
    st, info = c.state(), c.inspect()
    assert st.status == info["State"]["Status"] == "running" and st.running
    assert st.pid == info["State"]["Pid"] > 0
    assert st.ip == info["NetworkSettings"]["IPAddress"]
    assert st.gateway == info["NetworkSettings"]["Gateway"]
    assert sorted(st.ports) == [cl.PortMap(53, "udp", "127.0.0.1", 18096),
                                cl.PortMap(80, "tcp", "0.0.0.0", 18095)]
    c.stop(0)
    st = c.state()
    assert (st.status, st.running, st.pid, st.ip, st.exit_code, st.ports) == \
        ("exited", False, None, None, 137, ())
    c.remove()
    with pytest.raises(cl.NotFound, match="No such container"):
        c.state()


def test_start_stop_status_ip_pid(ctx):
    c = ctx.create(["sleep", "1000"], name="web")
    c.start()
    assert (c.status, c.running) == ("running", True)
    assert c.pid > 0 and re.fullmatch(r"\d+\.\d+\.\d+\.\d+", c.ip)
    c.start()  # starting a running container does nothing
    c.stop(timeout=1)  # sleep as PID 1 ignores SIGTERM: killed after a second
    assert (c.status, c.running, c.pid, c.ip, c.exit_code) == ("exited", False, None, None, 137)
    c.stop()  # stopping a stopped container does nothing
    c.start()
    assert c.running
    c.stop(0.2)  # a fraction of a second is rounded up
    assert c.exit_code == 137
    with pytest.raises(cl.InvalidArgument, match="invalid timeout"):
        c.stop(-1)
    with pytest.raises(TypeError):
        c.stop("1")


def test_restart_runs_it_anew_and_keeps_an_auto_removed_one(ctx):
    c = ctx.run(["sleep", "1000"], name="rs")
    pid = c.pid
    c.restart(timeout=0)
    assert c.running and c.pid != pid
    c.stop(0)
    c.restart()  # a stopped one is just started
    assert c.running
    a = ctx.run(["sleep", "1000"], name="rm", auto_remove=True)
    a.restart(0)
    assert a.running and a.inspect()["HostConfig"]["AutoRemove"] is True
    a.stop(0)
    with pytest.raises(cl.NotFound):
        a.inspect()
    with pytest.raises(cl.InvalidArgument, match="invalid timeout"):
        c.restart(-1)


def test_restart_policy_as_a_string_or_docker_pys_mapping(ctx):
    c = ctx.run(["sh", "-c", "echo run; exit 2"], name="rp",
                restart_policy={"Name": "on-failure", "MaximumRetryCount": 1})
    wait_for(lambda: c.inspect()["RestartCount"] == 1 and
             c.inspect()["State"]["Status"] == "exited", timeout=60, what="one restart")
    assert c.inspect()["HostConfig"]["RestartPolicy"] == {"Name": "on-failure",
                                                          "MaximumRetryCount": 1}
    c.reload()  # the restarts happened on their own: the held values are from run()
    assert c.logs() == b"run\nrun\n" and c.exit_code == 2
    a = ctx.create(["true"], restart_policy="unless-stopped")
    assert a.inspect()["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    with pytest.raises(cl.InvalidArgument, match="can't create 'AutoRemove' container with "
                       "restart policy"):
        ctx.create(["true"], restart_policy="always", auto_remove=True)
    with pytest.raises(cl.InvalidArgument, match="maximum retry count can only be used with "
                       "'on-failure'"):
        ctx.create(["true"], restart_policy={"Name": "always", "MaximumRetryCount": 2})
    with pytest.raises(cl.InvalidArgument, match="unknown key 'Max'"):
        ctx.create(["true"], restart_policy={"Name": "always", "Max": 2})
    with pytest.raises(TypeError):
        ctx.create(["true"], restart_policy=3)
    assert len(ctx.list(all=True)) == 2


def test_log_config_as_docker_pys_mapping(ctx):
    c = ctx.run(["sh", "-c", 'i=0; while [ $i -lt 500 ]; do echo "line $i"; i=$((i+1)); done'],
                name="lc", log_config={"Type": "json-file",
                                       "Config": {"max-size": "2k", "max-file": 2}})
    assert c.wait() == 0
    assert c.inspect()["HostConfig"]["LogConfig"] == {
        "Type": "json-file", "Config": {"max-file": "2", "max-size": "2k"}}
    lines = c.logs().decode().splitlines()
    assert lines[-1] == "line 499" and 0 < len(lines) < 500
    assert lines == [f"line {i}" for i in range(500 - len(lines), 500)]
    d = ctx.create(["true"], log_config={"type": "json-file"})
    assert d.inspect()["HostConfig"]["LogConfig"]["Config"] == {"max-file": "3",
                                                                "max-size": "1m"}
    with pytest.raises(cl.InvalidArgument, match="max-file cannot be set without max-size"):
        ctx.create(["true"], log_config={"Config": {"max-file": "3"}})
    with pytest.raises(cl.InvalidArgument, match="invalid size: '1x'"):
        ctx.create(["true"], log_config={"Config": {"max-size": "1x"}})
    with pytest.raises(cl.InvalidArgument, match="logging driver 'syslog' is not supported"):
        ctx.create(["true"], log_config={"Type": "syslog"})
    with pytest.raises(cl.InvalidArgument, match="unknown key 'Labels'"):
        ctx.create(["true"], log_config={"Labels": {}})
    with pytest.raises(TypeError):
        ctx.create(["true"], log_config="max-size=1m")
    assert len(ctx.list(all=True)) == 2


def test_kill_and_wait_give_the_exit_code(ctx):
    c = ctx.run(["sh", "-c", SHELL_TRAP], name="kk")
    wait_for(lambda: c.logs() == b"ready\n", what="the trap")
    c.kill("TERM")
    assert c.wait(timeout=30) == 7 and c.exit_code == 7
    assert c.wait(timeout=30) == 7  # again: the library answers (ctr_wait)
    st = c.inspect()["State"]
    assert st["Status"] == "exited" and st["ExitCode"] == 7
    c.start()
    wait_for(lambda: c.logs() == b"ready\nready\n", what="the trap")
    c.kill(signal.SIGKILL)
    assert c.wait(timeout=10) == 137
    c.start()
    c.kill()  # default SIGKILL
    assert c.wait(timeout=30) == 137


def test_kill_errors_and_signal_names(ctx):
    c = ctx.create(["sh", "-c", "trap 'exit 9' HUP; echo ready; while :; do sleep 0.05; done"],
                   name="kk")
    with pytest.raises(cl.WrongState, match="is not running") as e:
        c.kill()
    assert e.value.errno == errno.EBUSY
    c.start()
    wait_for(lambda: c.logs() == b"ready\n", what="the trap")
    with pytest.raises(cl.InvalidArgument, match="invalid signal 0"):
        c.kill(0)
    with pytest.raises(cl.InvalidArgument, match="invalid signal 'NOSUCH'"):
        c.kill("NOSUCH")
    with pytest.raises(TypeError):
        c.kill(1.0)
    with pytest.raises(TypeError):
        c.kill(True)
    assert c.running
    c.kill("hup")  # names in any case, with or without SIG
    assert c.wait(timeout=30) == 9


def test_wait_timeout(ctx):
    c = ctx.run(["sleep", "1000"], name="slow")
    t0 = time.monotonic()
    with pytest.raises(cl.Timeout, match=f"the container {c.id} is still running") as e:
        c.wait(timeout=0.3)
    assert 0.25 < time.monotonic() - t0 < 5
    assert e.value.errno == errno.ETIMEDOUT and isinstance(e.value, TimeoutError)
    other = ctx.get("slow")  # not started by this object: ctr_wait
    with pytest.raises(cl.Timeout, match="is still running"):
        other.wait(timeout=0.1)
    with pytest.raises(cl.Timeout):
        c.wait(timeout=0)
    with pytest.raises(cl.InvalidArgument, match="invalid timeout"):
        c.wait(timeout=-1)
    c.kill()
    assert other.wait(timeout=10) == 137 and c.wait(timeout=10) == 137


def test_wait_for_a_created_container_and_one_that_ran_before(ctx):
    c = ctx.create(["sh", "-c", "exit 3"], name="c3")
    assert c.wait(timeout=30) == 0  # not running: at once, the last exit code (none yet)
    c.start()
    assert c.wait(timeout=30) == 3
    assert ctx.get("c3").wait(timeout=30) == 3


def test_auto_remove_container_still_reports_its_exit_code(ctx):
    c = ctx.run(["sh", "-c", "exit 5"], name="gone", auto_remove=True)
    assert c.wait() == 5
    wait_for(lambda: ctx.list(all=True) == [], what="auto-removal")
    assert c.wait(timeout=30) == 5  # it is gone, but this object saw its end
    with pytest.raises(cl.NotFound):
        c.inspect()
    with pytest.raises(cl.NotFound):
        ctx.get("gone")
    other = ctx.run(["sleep", "0.2"], auto_remove=True)
    stranger = ctx.get(other.id)
    with pytest.raises(cl.NotFound):  # ctr_wait: "exited and was removed"
        stranger.wait(timeout=30)


def test_start_with_descriptors_and_files(ctx):
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryFile() as inp:
        inp.write(b"from stdin\n")
        inp.seek(0)
        c = ctx.run(["sh", "-c", "cat; echo out; echo err >&2"], stdin=inp, stdout=out,
                    stderr=err.fileno())
        assert c.wait(timeout=30) == 0
        out.seek(0)
        err.seek(0)
        assert out.read() == b"from stdin\nout\n" and err.read() == b"err\n"
    with pytest.raises(TypeError):
        c.start(stdout="file")
    with pytest.raises(cl.InvalidArgument, match="bad descriptor"):
        c.start(stdout=-5)


def test_start_failures_are_command_failed_with_docker_exit_codes(ctx):
    for cmd, code, msg, kwargs in [
            (["nosuchcmd"], 127, 'exec: "nosuchcmd": executable file not found in $PATH', {}),
            (["/etc/passwd"], 126, "ermission denied", {}),
            (["true"], 125, 'working directory "/nonexistent"', {"workdir": "/nonexistent"}),
            (["true"], 125, "unable to find user nosuchuser", {"user": "nosuchuser"})]:
        c = ctx.create(cmd, **kwargs)
        with pytest.raises(cl.CommandFailed, match=re.escape(msg)) as e:
            c.start()
        assert e.value.errno == errno.ENOEXEC and e.value.exit_code == code
        st = c.inspect()["State"]
        assert st["Running"] is False and st["Status"] == "created" and st["ExitCode"] == code
        assert msg in st["Error"]
    assert ctx.list() == []
    assert fd_count() < 50  # no exit descriptor left behind


def test_run_failure_leaves_the_created_container_on_the_exception(ctx):
    with pytest.raises(cl.CommandFailed) as e:
        ctx.run(["nosuchcmd"], name="xx")
    assert e.value.container == ctx.get("xx") and e.value.container.status == "created"
    with pytest.raises(cl.CommandFailed) as e:
        ctx.run(["nosuchcmd"], name="yy", auto_remove=True)
    assert e.value.container is None
    assert [c.name for c in ctx.list(all=True)] == ["xx"]


def test_restart_after_exit_appends_to_the_log(ctx):
    c = ctx.run(["sh", "-c", "echo run"], name="again")
    assert c.wait(timeout=30) == 0
    c.start()
    assert c.wait(timeout=30) == 0
    assert c.logs() == b"run\nrun\n"


# ---- held values: attrs, reload() ----------------------------------------------------------

def test_held_values_change_only_at_reload(ctx):
    c = ctx.run(["sleep", "1000"], name="held")
    made = ctx.create(["true"], name="made")
    assert [(x.name, x.status) for x in ctx.list(all=True)] == [("made", "created"),
                                                                ("held", "running")]
    other = ctx.get("held")
    a = c.attrs
    assert a["Id"] == c.id and a["Name"] == "/held" and a["State"]["Status"] == "running"
    assert other.attrs == a and other.attrs is not a  # each object holds its own read
    pid, ip = c.pid, c.ip
    other.stop(0)  # a change made through another object
    assert (other.status, other.running, other.exit_code) == ("exited", False, 137)
    assert (c.status, c.running, c.pid, c.ip, c.exit_code) == ("running", True, pid, ip, 0)
    assert c.state().status == "exited" and c.inspect()["State"]["Status"] == "exited"
    assert c.attrs is a and c.status == "running"  # fresh reads leave the held values alone
    c.reload()
    assert (c.status, c.running, c.pid, c.ip, c.exit_code) == ("exited", False, None, None, 137)
    assert c.attrs is not a and a["State"]["Status"] == "running"  # a new dict, the old kept
    assert made.status == "created"

    c.start()
    assert c.ports == {}
    with cl.Context() as ctx2:  # another context on the state directory (another process)
        ctx2.get("held").publish("8080:80")
        ctx2.get("made").rename("renamed")
    assert c.ports == {} and made.name == "made"
    assert repr(made) == f"<Container made {made.short_id}>"
    c.reload()
    made.reload()
    assert c.ports == {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}
    assert made.name == "renamed" and repr(made) == f"<Container renamed {made.short_id}>"


def test_methods_that_change_the_container_read_it_anew(ctx):
    db = ctx.create(["true"], name="dbm")
    c = ctx.create(["sh", "-c", SHELL_TRAP], name="mm", expose=[80])
    assert (c.status, c.ports) == ("created", {})  # ports show while it runs
    c.publish("8080:80")
    assert c.attrs["HostConfig"]["PortBindings"]["80/tcp"] == [{"HostIp": "", "HostPort": "8080"}]
    c.start()
    assert (c.status, c.running) == ("running", True) and c.pid > 0 and c.ip
    assert c.ports["80/tcp"] == [{"HostIp": "0.0.0.0", "HostPort": "8080"}]
    c.unpublish("80")
    assert c.ports.get("80/tcp") in (None, [])
    c.link(db, "d")
    assert c.attrs["HostConfig"]["Links"] == ["/dbm:/mm/d"]
    c.unlink("d")
    assert c.attrs["HostConfig"]["Links"] is None
    c.rename("mm2")
    assert c.name == "mm2" and c.attrs["Name"] == "/mm2"
    wait_for(lambda: c.logs() == b"ready\n", what="the trap")
    c.kill("TERM")
    assert c.wait(timeout=30) == 7  # this object started it: the exit descriptor
    assert (c.status, c.running, c.pid, c.exit_code) == ("exited", False, None, 7)
    c.restart(0)
    assert c.running and c.exit_code == 0  # a start clears it, as in Docker
    pid = c.pid
    stranger = ctx.get("mm2")
    c.kill()
    assert stranger.running and stranger.wait(timeout=30) == 137  # ctr_wait
    assert (stranger.status, stranger.exit_code) == ("exited", 137)
    c.start()
    assert c.pid != pid and c.running
    c.stop(0)
    assert (c.status, c.exit_code) == ("exited", 137)
    bad = ctx.create(["nosuchcmd"], name="bad")
    with pytest.raises(cl.CommandFailed):
        bad.start()  # a method that fails reads anew too
    assert (bad.status, bad.exit_code) == ("created", 127)
    f = ctx.run(["sh", "-c", "echo x; sleep 0.3"], name="ff")
    assert f.logs(follow=True) == b"x\n" and f.status == "exited"  # followed to its end


def test_reload_of_a_removed_container_is_not_found(ctx):
    c = ctx.create(["true"], name="gone")
    other = ctx.get("gone")
    c.remove()
    for x in (c, other):
        with pytest.raises(cl.NotFound, match="No such container"):
            x.reload()
        assert (x.name, x.status) == ("gone", "created")  # the last values read stay
    a = ctx.run(["sh", "-c", "exit 5"], name="rm", auto_remove=True)
    assert a.wait(timeout=30) == 5  # the read after it may find it gone: not an error
    wait_for(lambda: ctx.list(all=True) == [], what="auto-removal")
    with pytest.raises(cl.NotFound):
        a.reload()
    assert a.wait(timeout=30) == 5 and a.name == "rm"


def test_a_container_link_target_is_taken_by_id(ctx):
    db = ctx.create(["true"], name="db")
    stale = ctx.get("db")
    db.rename("db2")
    ctx.create(["true"], name="db")  # another container now has the held name
    web = ctx.create(["true"], name="web", links=[stale, (stale, "x")])
    assert web.attrs["HostConfig"]["Links"] == ["/db2:/web/db2", "/db2:/web/x"]
    db.remove(force=True)
    with pytest.raises(cl.InvalidArgument, match="could not get container for"):
        ctx.create(["true"], links=[stale])


# ---- remove --------------------------------------------------------------------------------

def test_remove(ctx):
    c = ctx.run(["sleep", "1000"], name="rr")
    with pytest.raises(cl.WrongState, match=f"You cannot remove a running container {c.id}"):
        c.remove()
    assert c.running
    c.remove(force=True)
    assert ctx.list(all=True) == []
    with pytest.raises(cl.NotFound, match="No such container"):
        c.remove()
    with pytest.raises(cl.NotFound):
        c.start()
    d = ctx.create(["true"], name="dd")
    d.remove()
    assert ctx.list(all=True) == []


def test_remove_a_linked_to_container_needs_force(ctx):
    db = ctx.create(["true"], name="db")
    web = ctx.create(["true"], name="web", links={db: "data"})
    with pytest.raises(cl.WrongState, match="is linked to as /web/data"):
        db.remove()
    db.remove(force=True)
    assert web.inspect()["HostConfig"]["Links"] is None
    assert ctx.list(all=True) == [web]


# ---- exec ----------------------------------------------------------------------------------

def test_exec(ctx):
    c = ctx.run(["sleep", "1000"], name="ee", env={"A": "1"})
    r = c.exec(["sh", "-c", "echo $A$B; echo err >&2; exit 4"], env={"B": 2},
               capture_output=True)
    assert r == cl.ExecResult(4, b"12\n", b"err\n") and r.exit_code == 4
    r = c.exec("sh -c 'id -u; pwd'", user="nobody", workdir="/tmp", capture_output=True)
    assert r.stdout == b"65534\n/tmp\n"
    r = c.exec(["cat"], input=b"fed in", capture_output=True)
    assert r.stdout == b"fed in"
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as inp:
        inp.write(b"x")
        inp.seek(0)
        r = c.exec(["sh", "-c", "cat; echo y"], stdin=inp, stdout=out)
        assert r == (0, None, None)
        out.seek(0)
        assert out.read() == b"xy\n"
    assert c.exec(["true"]) == (0, None, None)


def test_exec_errors(ctx):
    c = ctx.run(["sleep", "1000"], name="ee")
    with pytest.raises(cl.CommandFailed, match="executable file not found") as e:
        c.exec(["nosuchcmd"])
    assert e.value.exit_code == 127
    with pytest.raises(cl.CommandFailed, match="ermission denied") as e:
        c.exec(["/etc/passwd"])
    assert e.value.exit_code == 126
    with pytest.raises(cl.InvalidArgument, match="no command given"):
        c.exec([])
    with pytest.raises(ValueError, match="stdin and input"):
        c.exec(["cat"], stdin=0, input=b"x")
    with pytest.raises(ValueError, match="capture_output"):
        c.exec(["cat"], stdout=1, capture_output=True)
    c.stop(0)
    with pytest.raises(cl.WrongState, match="is not running"):
        c.exec(["true"])
    c.remove()
    with pytest.raises(cl.NotFound):
        c.exec(["true"])


# ---- logs ----------------------------------------------------------------------------------

def test_logs(ctx):
    c = ctx.run(["sh", "-c", "echo out1; echo err1 >&2; printf partial"], name="ll")
    assert c.wait(timeout=30) == 0
    assert c.logs(stderr=False) == b"out1\npartial"
    assert c.logs(stdout=False) == b"err1\n"
    assert c.logs() in (b"out1\nerr1\npartial", b"out1\npartialerr1\n")
    assert c.logs(stdout=False, stderr=False) == b""
    assert re.match(rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z out1\n",
                    c.logs(timestamps=True, stderr=False))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        c.write_logs(out, err.fileno())
        out.seek(0)
        err.seek(0)
        assert (out.read(), err.read()) == (b"out1\npartial", b"err1\n")
    c.remove()
    with pytest.raises(cl.NotFound):
        c.logs()
    with pytest.raises(cl.NotFound):
        c.write_logs(1, 2)


def test_logs_follow(ctx):
    c = ctx.run(["sh", "-c", "for i in 1 2 3; do echo $i; sleep 0.2; done"], name="ff")
    assert c.logs(follow=True) == b"1\n2\n3\n"
    assert not c.running
