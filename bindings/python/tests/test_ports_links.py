"""Ports (publish, unpublish, the ports property, real traffic) and links (link, unlink)."""
import errno
import subprocess

import pytest

import container_link as cl
from conftest import nat_rules, tcp_server, tcp_try, wait_for


def host_ip(ctx):
    return ctx.info()["Gateway"]  # the bridge's address: an address of this host


def test_publish_on_a_created_container_takes_effect_at_start(ctx):
    c = ctx.create(["sleep", "1000"], name="web", expose=[5000])
    c.publish("8080:80")
    c.publish(9090)  # a container port alone: a free host port
    c.publish("127.0.0.1::53/udp")
    hc = c.inspect()["HostConfig"]["PortBindings"]
    assert hc == {"80/tcp": [{"HostIp": "", "HostPort": "8080"}],
                  "9090/tcp": [{"HostIp": "", "HostPort": ""}],
                  "53/udp": [{"HostIp": "127.0.0.1", "HostPort": ""}]}
    c.unpublish("9090")
    c.start()
    ports = c.ports
    assert ports["80/tcp"] == [{"HostIp": "0.0.0.0", "HostPort": "8080"}]
    assert ports["5000/tcp"] is None  # exposed, not published
    (udp,) = ports["53/udp"]
    assert udp["HostIp"] == "127.0.0.1" and 1024 <= int(udp["HostPort"]) <= 65535
    assert ports["9090/tcp"] is None  # still exposed, no longer published


def test_publish_and_unpublish_on_a_running_container_carry_traffic(ctx):
    srv = tcp_server(ctx, "srv", 80)
    gw = host_ip(ctx)
    assert tcp_try(gw, 8080) is None
    srv.publish("8080:80")
    answer = wait_for(lambda: tcp_try(gw, 8080), what="the published port")
    assert answer.startswith(f"hello from {srv.short_id} port 80 peer ") and "ping" in answer
    assert srv.ports["80/tcp"] == [{"HostIp": "0.0.0.0", "HostPort": "8080"}]
    rules = nat_rules()
    assert ("--dport 8080" in rules and f"{srv.ip}:80" in rules) or \
        (f"tcp . 8080 " in rules and f"{srv.ip} . 80" in rules)
    srv.unpublish("8080:80")
    assert tcp_try(gw, 8080) is None
    assert srv.ports.get("80/tcp") in (None, [])
    assert "8080" not in nat_rules()


def test_publish_errors(ctx):
    a = ctx.run(["sleep", "1000"], name="aa", publish=["8080:80"])
    b = ctx.run(["sleep", "1000"], name="bb")
    with pytest.raises(cl.InvalidArgument, match="invalid containerPort: bad"):
        a.publish("bad")
    with pytest.raises(cl.Conflict, match='80/tcp is already published as "8080:80" on aa'):
        a.publish("8080:80")
    with pytest.raises(cl.PortInUse, match="Bind for 0.0.0.0:8080 failed: port is already "
                                           "allocated") as e:
        b.publish("8080:80")
    assert e.value.errno == errno.EADDRINUSE and isinstance(e.value, cl.Conflict)
    with pytest.raises(cl.NotFound, match='no published port matches "9999" on bb'):
        b.unpublish("9999")
    with pytest.raises(cl.InvalidArgument):
        b.unpublish("nonsense!")
    with pytest.raises(TypeError):
        b.publish(["8080:80"])
    c = ctx.create(["sleep", "1000"], name="cc", publish=["8080:80"])
    with pytest.raises(cl.PortInUse):  # the host port is taken at start
        c.start()
    assert not c.running
    assert b.ports == {}


def test_no_free_host_port_is_no_space(ctx):
    with open("/proc/sys/net/ipv4/ip_local_port_range", "w") as f:  # our own netns's
        f.write("40000 40001")
    c = ctx.run(["sleep", "1000"], name="cc", publish=[80, 81])
    with pytest.raises(cl.NoSpace) as e:
        c.publish(82)
    assert e.value.errno == errno.ENOSPC and "all ports are allocated" in str(e.value)
    with pytest.raises(cl.NoSpace):
        ctx.run(["sleep", "1000"], name="dd", publish=[80])


def test_no_free_address_is_no_space():
    with cl.Context(subnet="10.77.0.0/30") as ctx:  # room for one container
        ctx.run(["sleep", "1000"], name="one")
        with pytest.raises(cl.NoSpace, match="no free address left in subnet 10.77.0.0/30") as e:
            ctx.run(["sleep", "1000"], name="two")
        assert e.value.container == ctx.get("two")


def test_link_before_start_gives_env_and_hosts(ctx):
    db = ctx.run(["sleep", "1000"], name="db", expose=[5432], env={"PGPASS": "x"})
    web = ctx.create(["sleep", "1000"], name="web")
    web.link(db, "database")
    web.link("db", env=True)  # a reference, the default alias: the target's name
    web.start()
    out = web.exec(["sh", "-c", "env; cat /etc/hosts"], capture_output=True).stdout.decode()
    lines = out.splitlines()
    assert f"DATABASE_PORT_5432_TCP_ADDR={db.ip}" in lines
    assert f"DATABASE_PORT=tcp://{db.ip}:5432" in lines
    assert "DATABASE_NAME=/web/database" in lines and "DB_ENV_PGPASS=x" in lines
    assert "DATABASE_ENV_PGPASS=x" not in lines
    assert f"{db.ip}\tdatabase {db.short_id} db" in lines
    assert sorted(web.inspect()["HostConfig"]["Links"]) == ["/db:/web/database", "/db:/web/db"]
    assert ctx.get("web/database") == db


def test_link_and_unlink_on_a_running_container_change_hosts_at_once(ctx):
    db = tcp_server(ctx, "db", 5432, expose=[5432])  # a link opens the exposed ports
    web = ctx.run(["sleep", "1000"], name="web")

    def hosts():
        return web.exec(["cat", "/etc/hosts"], capture_output=True).stdout.decode()
    assert "dbalias" not in hosts()
    web.link(db, "dbalias")
    assert f"{db.ip}\tdbalias" in hosts()
    r = web.exec(["/usr/bin/python3", "-c", "import socket; s = socket.create_connection("
                  "('dbalias', 5432), timeout=5); print(s.recv(100).decode().split()[2])"],
                 capture_output=True)
    assert r.stdout.decode().strip() == db.short_id, r  # reached by its alias
    web.unlink("dbalias")
    assert "dbalias" not in hosts()
    assert web.inspect()["HostConfig"]["Links"] is None


def test_link_errors(ctx):
    db = ctx.create(["true"], name="db")
    web = ctx.create(["true"], name="web")
    web.link(db, "x")
    with pytest.raises(cl.Conflict, match="container web already has a link with alias x"):
        web.link(db, "x")
    with pytest.raises(cl.InvalidArgument, match="could not get container for nosuch"):
        web.link("nosuch", "y")
    with pytest.raises(cl.InvalidArgument, match="a container cannot link to itself"):
        web.link(web, "self")
    with pytest.raises(cl.NotFound, match="container web has no link with alias nosuch"):
        web.unlink("nosuch")
    with pytest.raises(TypeError):
        web.link(42)
    web.unlink("x")
    db.remove()
    with pytest.raises(cl.NotFound):
        db.link(web, "z")


def test_rename_follows_links_and_refuses_taken_names(ctx):
    db = ctx.run(["sleep", "1000"], name="db", expose=[5432])
    web = ctx.run(["sleep", "1000"], name="web")
    web.link(db, "database")
    other = ctx.get("db")  # a second handle: a rename made elsewhere shows after reload()
    db.rename("db1")
    assert (db.name, other.name) == ("db1", "db")
    other.reload()
    assert other.name == "db1"
    hosts = web.exec(["cat", "/etc/hosts"], capture_output=True).stdout.decode()
    assert f"{db.ip}\tdatabase {db.short_id} db1\n" in hosts
    assert web.inspect()["HostConfig"]["Links"] == ["/db1:/web/database"]
    with pytest.raises(cl.Conflict, match='The container name "/web" is already in use'):
        db.rename("web")
    with pytest.raises(cl.InvalidArgument, match="same name as its current name"):
        db.rename("/db1")
    with pytest.raises(cl.InvalidArgument, match=r"Invalid container name \(a b\)"):
        db.rename("a b")
    with pytest.raises(cl.NotFound):
        ctx.get("db")
    assert ctx.get("db1") == db and db.name == "db1"
