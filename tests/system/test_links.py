"""Links: environment, live /etc/hosts, the secure channel, inspect and ps."""
import json
import os
import re

import pytest

from conftest import (PY, SRV, ctl, dnat_rules, inspect, link_rules, ruleset, server_container,
                      sh, tcp_try, wait_for)

CLIENT = os.path.join(os.path.dirname(SRV), "client.py")


def reach(frm, host, port, timeout=2):
    r = ctl("exec", frm, PY, CLIENT, "tcp", host, str(port), str(timeout), check=False)
    return r.out if r.rc == 0 else None


def resolve(frm, name):
    return ctl("exec", frm, PY, "-c",
               f"import socket; print(socket.gethostbyname({name!r}))").out.strip()


def db_and_web(web_opts=(), db_opts=()):
    _, dbip = server_container("db", 5432, 6000, opts=("--expose", "5432", "-e", "PASSWORD=s3cret",
                                                      *db_opts))
    ctl("run", "-d", "--name", "web", *web_opts, "sleep", "1000")
    return dbip


def test_linked_container_reaches_exposed_port_by_alias_only():
    dbip = db_and_web(web_opts=("--link", "db:db"))
    out = reach("web", "db", 5432)
    assert out and out.startswith("hello from") and "port 5432" in out
    # not an unexposed port, and an unlinked container not at all
    assert reach("web", "db", 6000) is None
    ctl("run", "-d", "--name", "stranger", "sleep", "1000")
    assert reach("stranger", dbip, 5432) is None
    rules = link_rules()
    assert len(rules) == 1 and ("--dport 5432" in rules[0] or "5432" in rules[0])


def test_environment_variables():
    db_and_web(web_opts=("--link", "db:my-db.x", "-e", "MY_DB.X_PORT=mine"))
    env = dict(l.split("=", 1) for l in ctl("exec", "web", "env").out.splitlines())
    ip = inspect("db")["NetworkSettings"]["IPAddress"]
    assert env["MY_DB.X_PORT_5432_TCP_ADDR"] == ip
    assert env["MY_DB.X_PORT_5432_TCP_PORT"] == "5432"
    assert env["MY_DB.X_PORT_5432_TCP_PROTO"] == "tcp"
    assert env["MY_DB.X_PORT_5432_TCP"] == f"tcp://{ip}:5432"
    assert env["MY_DB.X_NAME"] == "/web/my-db.x"
    assert env["MY_DB.X_PORT"] == "mine"  # the container's own -e wins
    assert not any("_ENV_" in k for k in env)  # no copying unless asked
    # with --link-env: the child's environment, without HOME and PATH
    ctl("run", "-d", "--name", "web2", "--link-env", "db", "sleep", "1000")
    env = dict(l.split("=", 1) for l in ctl("exec", "web2", "env").out.splitlines())
    assert env["DB_ENV_PASSWORD"] == "s3cret"
    assert "DB_ENV_PATH" not in env and "DB_ENV_HOME" not in env
    assert env["DB_PORT"] == f"tcp://{ip}:5432"


def test_hosts_file_and_alias_follow_a_restart():
    db_and_web(web_opts=("--link", "db:db", "--link", "db:database"))
    old = inspect("db")["NetworkSettings"]["IPAddress"]
    hosts = ctl("exec", "web", "cat", "/etc/hosts").out
    dbhost = inspect("db")["Config"]["Hostname"]
    assert f"{old}\tdb {dbhost}\n" in hosts
    assert f"{old}\tdatabase {dbhost} db\n" in hosts
    assert hosts.splitlines()[-1].endswith(inspect("web")["Config"]["Hostname"])
    assert resolve("web", "db") == old
    ctl("stop", "-t", "0", "db")
    ctl("run", "-d", "--name", "filler", "sleep", "1000")  # takes the next address
    ctl("start", "db")
    new = inspect("db")["NetworkSettings"]["IPAddress"]
    assert new != old
    # the running web sees the new address without restarting, for both aliases
    assert resolve("web", "db") == new
    assert resolve("web", "database") == new
    wait_for(lambda: reach("web", "db", 5432))  # and the firewall followed
    assert len(link_rules()) == 1 and new in link_rules()[0]


def test_start_with_a_stopped_link_fails_and_leaves_nothing():
    ctl("create", "--name", "db", "--expose", "5432", "sleep", "1000")
    ctl("create", "--name", "web", "--link", "db:db", "-p", "8080:80", "sleep", "1000")
    before = ruleset()
    r = ctl("start", "web", check=False)
    assert r.rc == 1
    assert "Cannot link to a non running container: /db AS /web/db" in r.err
    assert inspect("web")["State"]["Running"] is False
    assert ruleset() == before
    r = ctl("run", "-d", "--link", "nosuch:db", "sleep", "1000", check=False)
    assert r.rc == 125
    assert "could not get container for nosuch: No such container: nosuch" in r.err
    for spec, msg in (("a:b:c", "bad format for links: a:b:c"),
                      ("", "empty string specified for links"),
                      ("db:bad alias", "Invalid link alias"),
                      ("db:x\ny", "Invalid link alias")):
        r = ctl("create", "--link", spec, "true", check=False)
        assert r.rc == 125 and msg in r.err, (spec, r)
    assert len(ctl("ps", "-a", "-q").out.split()) == 2


def test_inspect_ps_names_and_link_name_reference():
    db_and_web(web_opts=("--link", "db:db",))
    assert ctl("inspect", "-f", "{{ .HostConfig.Links }}", "web").out == "[/db:/web/db]\n"
    assert inspect("db")["HostConfig"]["Links"] is None
    assert inspect("web/db")["Name"] == "/db"
    assert inspect("/web/db")["Name"] == "/db"
    lines = ctl("ps").out.splitlines()
    names = [l.rsplit(None, 1)[1] for l in lines[1:]]
    assert sorted(names) == ["db", "web"]
    lines = ctl("ps", "--no-trunc").out.splitlines()
    names = sorted(l.rsplit(None, 1)[1] for l in lines[1:])
    assert names == ["db,web/db", "web"]


def test_remove_a_linked_container_needs_force_and_cleans_the_parent():
    db_and_web(web_opts=("--link", "db:db",))
    ctl("stop", "-t", "0", "db")
    r = ctl("rm", "db", check=False)
    assert r.rc == 1 and "is linked to as /web/db" in r.err
    ctl("start", "db")
    assert link_rules()
    ctl("rm", "-f", "db")
    assert link_rules() == []
    assert "\tdb " not in ctl("exec", "web", "cat", "/etc/hosts").out
    assert inspect("web")["HostConfig"]["Links"] is None


def test_live_link_and_unlink():
    db_and_web()
    assert reach("web", inspect("db")["NetworkSettings"]["IPAddress"], 5432) is None
    ctl("link", "web", "db:pg")
    out = reach("web", "pg", 5432)  # at once: hosts entry and firewall
    assert out and out.startswith("hello")
    assert ctl("inspect", "-f", "{{ .HostConfig.Links }}", "web").out == "[/db:/web/pg]\n"
    # the running process's environment follows at the next start (an exec, like Docker's,
    # computes link variables anew, so read the init's own environment)
    environ = lambda: ctl("exec", "web", "cat", "/proc/1/environ").out
    assert "PG_PORT" not in environ()
    assert "PG_PORT_5432_TCP_ADDR=" in ctl("exec", "web", "env").out
    ctl("stop", "-t", "0", "web")
    ctl("start", "web")
    assert "PG_PORT_5432_TCP_ADDR=" in environ()
    r = ctl("link", "web", "db:pg", check=False)
    assert r.rc == 1 and "already has a link with alias pg" in r.err
    ctl("unlink", "web", "pg")
    assert reach("web", inspect("db")["NetworkSettings"]["IPAddress"], 5432) is None
    assert "\tpg " not in ctl("exec", "web", "cat", "/etc/hosts").out
    assert link_rules() == []
    r = ctl("unlink", "web", "pg", check=False)
    assert r.rc == 1 and "has no link with alias pg" in r.err


def test_a_live_link_that_would_close_a_cycle_is_refused_and_changes_nothing():
    """A container starts only after the ones it links to: a link back (a → b → c, then c → a,
    or b → a) would leave them all unable to start, so it is refused."""
    ctl("run", "-d", "--name", "a1", "sleep", "1000")
    ctl("run", "-d", "--name", "b1", "--link", "a1", "sleep", "1000")
    ctl("run", "-d", "--name", "c1", "--link", "b1", "sleep", "1000")
    before = {n: inspect(n)["HostConfig"]["Links"] for n in ("a1", "b1", "c1")}
    rules = link_rules()
    for parent, child in (("a1", "b1"), ("a1", "c1")):
        r = ctl("link", parent, child, check=False)
        assert r.rc == 1, r
        assert (f"cannot link {parent} to {child}: {child} already links to {parent} (directly "
                "or through other links)") in r.err
        assert {n: inspect(n)["HostConfig"]["Links"] for n in ("a1", "b1", "c1")} == before
        assert link_rules() == rules
        assert f" {child}\n" not in ctl("exec", parent, "cat", "/etc/hosts").out
    # the other way round is no cycle; all three still stop and start
    ctl("link", "c1", "a1:top")
    for n in ("c1", "b1", "a1"):
        ctl("stop", "-t", "0", n)
    for n in ("a1", "b1", "c1"):
        ctl("start", n)
        assert inspect(n)["State"]["Running"]


def test_a_port_published_live_on_the_linked_container_opens_to_the_parent():
    db_and_web(web_opts=("--link", "db:db"))
    assert reach("web", "db", 6000) is None  # not exposed yet
    ctl("publish", "db", "7000:6000")  # publishing exposes it, and the link follows at once
    out = reach("web", "db", 6000)
    assert out and "port 6000" in out
    assert len(link_rules()) == 2
    ctl("unpublish", "db", "6000")  # the port stays exposed, as Docker keeps it
    assert reach("web", "db", 6000)
    ctl("rm", "-f", "db")
    assert link_rules() == [] and dnat_rules() == []


def test_rules_follow_restarts_of_the_parent():
    db_and_web(web_opts=("--link", "db:db",))
    ctl("stop", "-t", "0", "web")
    assert link_rules() == []
    ctl("start", "web")
    assert reach("web", "db", 5432)
    assert len(link_rules()) == 1


def test_icc_needs_no_link_rules():
    env = {"CTRLINK_STATE_DIR": "/run/icc", "CTRLINK_BRIDGE": "iccbr0",
           "CTRLINK_SUBNET": "10.124.0.0/24", "CTRLINK_ICC": "1"}
    ctl("run", "-d", "--name", "db", "--expose", "5432", PY, SRV, "tcp", "5432", env=env)
    ctl("run", "-d", "--name", "web", "--link", "db", "sleep", "1000", env=env)
    r = ctl("exec", "web", PY, CLIENT, "tcp", "db", "5432", "3", env=env)
    assert r.out.startswith("hello")
    assert link_rules() == []


def test_rename_keeps_links_and_their_names_current():
    """moby TestRenameContainerWithLinkedContainer and more: links hold the ID, so they follow
    a rename of either side; running parents' hosts files show the child's new name at once."""
    db_and_web(web_opts=("--link", "db:mysql"))
    dbhost = inspect("db")["Config"]["Hostname"]
    dbip = inspect("db")["NetworkSettings"]["IPAddress"]
    assert f"{dbip}\tmysql {dbhost} db\n" in ctl("exec", "web", "cat", "/etc/hosts").out
    assert ctl("rename", "db", "db1").out == ""
    assert f"{dbip}\tmysql {dbhost} db1\n" in ctl("exec", "web", "cat", "/etc/hosts").out
    assert ctl("inspect", "-f", "{{.HostConfig.Links}}", "web").out == "[/db1:/web/mysql]\n"
    ctl("rename", "web", "/app2")  # the parent, running, with Docker's leading slash
    assert inspect("app2")["Name"] == "/app2"
    assert ctl("inspect", "-f", "{{.HostConfig.Links}}", "app2").out == "[/db1:/app2/mysql]\n"
    assert inspect("app2/mysql")["Name"] == "/db1"
    names = sorted(l.rsplit(None, 1)[1] for l in ctl("ps", "--no-trunc").out.splitlines()[1:])
    assert names == ["app2", "app2/mysql,db1"]  # sorted, as the daemon's name index
    assert reach("app2", "mysql", 5432)  # the firewall did not care
    # the old names are free and unknown; the environment follows at the next start
    for old in ("db", "web", "web/mysql"):
        r = ctl("inspect", old, check=False)
        assert r.rc == 1 and f"No such container: {old}" in r.err
    ctl("create", "--name", "web", "true")
    ctl("restart", "-t", "0", "app2")
    env = ctl("exec", "app2", "env").out.splitlines()
    assert "MYSQL_NAME=/app2/mysql" in env
    assert f"{inspect('db1')['NetworkSettings']['IPAddress']}\tmysql {dbhost} db1\n" in \
        ctl("exec", "app2", "cat", "/etc/hosts").out


def test_link_details_follow_docker():
    """A repeated alias keeps the first link, an empty alias makes none (its name would be the
    parent's own), an ID prefix names a target, and an ambiguous prefix is refused."""
    a = ctl("create", "--name", "one", "true").out.strip()
    ctl("create", "--name", "two", "true")
    ctl("create", "--name", "p1", "--link", "one:up", "--link", "two:up", "true")
    assert ctl("inspect", "-f", "{{ .HostConfig.Links }}", "p1").out == "[/one:/p1/up]\n"
    ctl("create", "--name", "p2", "--link", "one:", "true")
    assert inspect("p2")["HostConfig"]["Links"] is None
    ctl("create", "--name", "p3", "--link", a[:7] + ":up", "true")
    assert inspect("p3/up")["Name"] == "/one"
    # enough containers that two IDs share their first digit
    ids = [ctl("inspect", "-f", "{{.Id}}", n).out.strip() for n in ("one", "two", "p1", "p2", "p3")]
    ids += [ctl("create", "true").out.strip() for _ in range(12)]
    digit = next(d for d in "0123456789abcdef" if sum(i.startswith(d) for i in ids) > 1)
    r = ctl("create", "--name", "p4", "--link", digit + ":up", "true", check=False)
    assert r.rc != 0 and "multiple IDs found with provided prefix" in r.err
    assert ctl("inspect", "p4", check=False).rc == 1  # nothing was made
