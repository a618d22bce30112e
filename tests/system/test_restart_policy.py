"""Restart policies (`--restart`), as Docker's restart manager applies them: on-failure with
and without a limit, always, what a stop, a kill and a start do to the policy, the restarting
state, linked parents' hosts files, and the refusals with their messages.

Upstream references: moby restartmanager/restartmanager.go (ShouldRestart, the back-off),
daemon/monitor.go (handleContainerExit), daemon/kill.go (ExitOnNext), daemon/delete.go,
api/types/container/hostconfig.go (ValidateRestartPolicy), docker/cli opts/parse.go
(ParseRestartPolicy), cli/command/container/opts.go (the --rm conflict),
integration-cli/docker_cli_restart_test.go."""
import time

from conftest import ctl, inspect, wait_for


# the command is the container's init, which gets only the signals it handles: this one ends
# with 7 at SIGUSR1 (a signal that is not a stop signal)
ENDS_AT_USR1 = ["sh", "-c", 'trap "exit 7" USR1; while :; do sleep 0.1; done']


def state(ref):
    i = inspect(ref)
    return i["State"], i["RestartCount"]


def settled(ref, count):
    """The container has made `count` restarts and its last run has ended for good."""
    def done():
        st, n = state(ref)
        return n == count and not st["Running"] and not st["Restarting"]
    wait_for(done, timeout=60, what=f"{ref} to end after {count} restarts")
    return inspect(ref)


def test_on_failure_restarts_up_to_its_limit():
    ctl("run", "-d", "--restart", "on-failure:2", "--name", "rf", "sh", "-c", "echo run; exit 3")
    i = settled("rf", 2)
    assert i["HostConfig"]["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 2}
    assert i["State"]["Status"] == "exited" and i["State"]["ExitCode"] == 3
    assert ctl("logs", "rf").out == "run\nrun\nrun\n"  # the first run and two restarts
    # a success is not a failure: no restart
    ctl("run", "-d", "--restart", "on-failure", "--name", "ok", "true")
    wait_for(lambda: inspect("ok")["State"]["Status"] == "exited", what="ok to exit")
    assert inspect("ok")["RestartCount"] == 0
    # the default: no policy, no restarts
    ctl("run", "-d", "--name", "plain", "false")
    wait_for(lambda: inspect("plain")["State"]["Status"] == "exited", what="plain to exit")
    i = inspect("plain")
    assert i["RestartCount"] == 0
    assert i["HostConfig"]["RestartPolicy"] == {"Name": "no", "MaximumRetryCount": 0}


def test_a_restart_says_restarting_until_its_run_has_begun():
    """Between a run's end and the next run's start the state is "restarting" (as Docker's
    State.Restarting): no reader sees the container ended for good before its last run."""
    ctl("run", "-d", "--restart", "on-failure:3", "--name", "rr", "sh", "-c",
        "echo run; exit 3")
    deadline = time.monotonic() + 60
    while True:
        st, n = state("rr")
        if not st["Running"] and not st["Restarting"]:
            break  # ended for good, as far as the state says: it must be the last run's end
        assert st["Status"] in ("running", "restarting"), st
        assert time.monotonic() < deadline, "rr did not end after 3 restarts"
    assert n == 3 and st["Status"] == "exited" and st["ExitCode"] == 3
    assert ctl("logs", "rr").out == "run\n" * 4


def test_always_restarts_until_stopped_and_a_start_resets_the_count():
    ctl("run", "-d", "--restart", "always", "--name", "ra", *ENDS_AT_USR1)
    pid = inspect("ra")["State"]["Pid"]
    # a signal that is not the stop signal ends the run but keeps the policy
    ctl("kill", "-s", "USR1", "ra")
    wait_for(lambda: state("ra")[0]["Running"] and state("ra")[0]["Pid"] not in (0, pid),
             timeout=30, what="ra to be restarted")
    assert inspect("ra")["RestartCount"] == 1
    # a stop holds the policy: it stays exited
    ctl("stop", "-t", "0", "ra")
    time.sleep(1)
    st, n = state("ra")
    assert st["Status"] == "exited" and not st["Restarting"] and n == 1
    # a start by hand starts the count again
    ctl("start", "ra")
    st, n = state("ra")
    assert st["Running"] and n == 0
    # SIGKILL by hand holds it too
    assert inspect("ra")["State"]["Running"]
    ctl("kill", "ra")
    wait_for(lambda: inspect("ra")["State"]["Status"] == "exited", what="ra to be killed")
    time.sleep(1)
    st, n = state("ra")
    assert st["Status"] == "exited" and st["ExitCode"] == 137 and n == 0
    # and restart (stop, then start) leaves it running with the count reset
    ctl("restart", "-t", "0", "ra")
    st, n = state("ra")
    assert st["Running"] and n == 0


def test_restarting_state_shows_and_can_be_stopped_or_removed():
    """A command that fails at once is restarted with a doubling wait (100 ms, 200 ms, ...):
    after five restarts it waits 1.6 s, as Docker's "restarting"."""
    ctl("run", "-d", "--restart", "always", "--name", "flap", "false")
    wait_for(lambda: inspect("flap")["State"]["Restarting"] and
             inspect("flap")["RestartCount"] >= 5, timeout=60, what="flap to wait for a restart")
    st, n = state("flap")
    assert st["Status"] == "restarting" and st["Running"] and st["Pid"] == 0 and n >= 1
    assert st["ExitCode"] == 1
    # ps shows it without -a, as Docker does, with Docker's status text
    line = ctl("ps", "--format", "{{.Names}} {{.Status}}").out
    assert line.startswith("flap Restarting (1) ")
    assert ctl("ps", "-q", "--filter", "status=restarting").out.strip() != ""
    r = ctl("rm", "flap", check=False)
    assert r.rc == 1 and "You cannot remove a restarting container" in r.err
    assert "Stop the container before attempting removal or force remove" in r.err
    # a stop calls the waiting restart off
    ctl("stop", "flap")
    st, _ = state("flap")
    assert st["Status"] == "exited" and not st["Restarting"] and not st["Running"]
    time.sleep(1)
    assert state("flap")[0]["Status"] == "exited"
    ctl("rm", "flap")
    # and rm -f removes one that waits
    ctl("run", "-d", "--restart", "always", "--name", "flap2", "false")
    wait_for(lambda: inspect("flap2")["State"]["Restarting"] and
             inspect("flap2")["RestartCount"] >= 5, timeout=60, what="flap2 to wait for a restart")
    assert ctl("rm", "-f", "flap2").out == "flap2\n"
    time.sleep(1)
    assert ctl("ps", "-a", "-q").out == ""


def test_linked_parents_hosts_follow_each_restart():
    ctl("run", "-d", "--restart", "always", "--name", "db", *ENDS_AT_USR1)
    ctl("run", "-d", "--name", "web", "--link", "db", "sleep", "1000")
    for round_ in (1, 2):
        pid = inspect("db")["State"]["Pid"]
        ctl("kill", "-s", "USR1", "db")
        wait_for(lambda: inspect("db")["State"]["Running"] and
                 inspect("db")["State"]["Pid"] not in (0, pid), timeout=30,
                 what="db to be restarted")
        ip = inspect("db")["NetworkSettings"]["IPAddress"]
        hosts = ctl("exec", "web", "cat", "/etc/hosts").out
        assert f"{ip}\tdb" in hosts, hosts
        assert inspect("db")["RestartCount"] == round_
    assert ctl("exec", "web", "sh", "-c", "echo $DB_NAME").out == "/web/db\n"


def test_bad_policies_are_refused_and_change_nothing():
    cases = [
        (["--restart", "sometimes"], "invalid restart policy: unknown policy 'sometimes'; use "
         "one of 'no', 'always', 'on-failure', or 'unless-stopped'"),
        (["--restart", ":3"], "invalid restart policy format: no policy provided before colon"),
        (["--restart", "on-failure:x"],
         "invalid restart policy format: maximum retry count must be an integer"),
        (["--restart", "on-failure:-1"],
         "invalid restart policy: maximum retry count cannot be negative"),
        (["--restart", "always:3"],
         "invalid restart policy: maximum retry count can only be used with 'on-failure'"),
        (["--restart", "unless-stopped:-2"],
         "invalid restart policy: maximum retry count can only be used with 'on-failure' and "
         "cannot be negative"),
        # docker/cli parses before it checks the conflict
        (["--rm", "--restart", "on-failure:x"],
         "invalid restart policy format: maximum retry count must be an integer"),
    ]
    for flags, msg in cases:
        for cmd in ("run", "create"):
            r = ctl(cmd, *flags, "true", check=False)
            assert r.rc == 125 and r.err == f"ctrlink: {msg}\n", (flags, r)
    r = ctl("run", "--rm", "--restart", "always", "true", check=False)
    assert r.rc == 125 and r.err == ("ctrlink: conflicting options: cannot specify both "
                                     "--restart and --rm.\nSee 'ctrlink run --help'.\n")
    r = ctl("create", "--rm", "--restart=on-failure:2", "true", check=False)
    assert r.rc == 125 and "cannot specify both --restart and --rm" in r.err
    assert ctl("ps", "-a", "-q").out == ""
    # "no" goes with --rm; an empty count is none
    ctl("run", "--rm", "--restart", "no", "true")
    cid = ctl("create", "--restart", "on-failure:", "true").out.strip()
    assert inspect(cid)["HostConfig"]["RestartPolicy"] == {"Name": "on-failure",
                                                           "MaximumRetryCount": 0}
    ctl("create", "--restart", "unless-stopped", "--name", "us", "true")
    assert inspect("us")["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
