"""The ctrlink command line against docker/cli's behaviour: flag syntax and errors, ps filters
and formats, port, inspect -f errors, rm --link, the long --publish syntax.

Upstream references: docker/cli cli/required.go, cli/cobra.go (FlagErrorFunc),
cli/command/container/list.go, port.go, formatter/formatter.go, formatter/container.go,
cli/command/inspect/inspector.go; moby daemon/list.go, daemon/delete.go (rmLink),
integration-cli/docker_cli_ps_test.go, docker_cli_port_test.go."""
import json
import re

from conftest import ctl, inspect


def ids(*args):
    return ctl("ps", "-q", "--no-trunc", *args).out.split()


def names(*args):
    return ctl("ps", "--format", "{{.Names}}", *args).out.split()


# ---- flags and arguments ------------------------------------------------------------------

def test_flag_syntax_long_short_combined_repeated_and_dashdash():
    cid = ctl("run", "-dP", "--expose=80", "--expose", "81", "-eA=1", "-e", "B=2", "--env=C=3",
              "--name=web", "-h", "box", "--rm=false", "sleep", "1000").out.strip()
    i = inspect(cid)
    assert i["Name"] == "/web" and i["Config"]["Hostname"] == "box"
    assert i["Config"]["Env"][1:] == ["A=1", "B=2", "C=3"]
    assert sorted(i["Config"]["ExposedPorts"]) == ["80/tcp", "81/tcp"]
    assert i["HostConfig"]["PublishAllPorts"] is True and i["HostConfig"]["AutoRemove"] is False
    # run stops at the command: its own flags are the container's
    r = ctl("run", "--rm", "sh", "-c", "echo $0 $1", "-x", "--y")
    assert r.out == "-x --y\n"
    # "--" ends the flags
    assert ctl("run", "--rm", "--", "echo", "--name").out == "--name\n"
    # flags may follow the arguments of other commands (cobra's default)
    assert ctl("rm", "web", "-f").out == "web\n"
    assert ctl("ps", "-a", "-q").out == ""


def test_unknown_flags_exit_125_with_dockers_text():
    r = ctl("rm", "--foo", "x", check=False)
    assert r.rc == 125
    assert r.err == ("unknown flag: --foo\n\nUsage:  ctrlink rm [OPTIONS] CONTAINER [CONTAINER...]"
                     "\n\nRun 'ctrlink rm --help' for more information\n")
    r = ctl("run", "-dx", "true", check=False)
    assert r.rc == 125 and r.err.startswith("unknown shorthand flag: 'x' in -x\n\nUsage:  "
                                            "ctrlink run [OPTIONS] COMMAND [ARG...]\n")
    r = ctl("create", "-d", "true", check=False)  # create has no -d
    assert r.rc == 125 and r.err.startswith("unknown shorthand flag: 'd' in -d\n")
    r = ctl("run", "--name", check=False)
    assert r.rc == 125 and r.err.startswith("flag needs an argument: --name\n")
    r = ctl("run", "-e", check=False)
    assert r.rc == 125 and r.err.startswith("flag needs an argument: 'e' in -e\n")
    r = ctl("stop", "-t", "soon", "x", check=False)
    assert r.rc == 125 and r.err.startswith(
        'invalid argument "soon" for "-t, --time" flag: strconv.ParseInt: parsing "soon": '
        'invalid syntax\n')
    r = ctl("rm", "--force=maybe", "x", check=False)
    assert r.rc == 125 and r.err.startswith(
        'invalid argument "maybe" for "-f, --force" flag: strconv.ParseBool: parsing "maybe": '
        'invalid syntax\n')
    r = ctl("---x", "ps", check=False)
    assert r.rc == 125 and r.err.startswith("bad flag syntax: ---x\n\nUsage:  ctrlink [OPTIONS] "
                                            "COMMAND\n")


def test_argument_counts_exit_1_with_dockers_text():
    r = ctl("rm", check=False)
    assert r.rc == 1
    assert r.err == ("ctrlink: 'ctrlink rm' requires at least 1 argument\n\n"
                     "Usage:  ctrlink rm [OPTIONS] CONTAINER [CONTAINER...]\n\n"
                     "See 'ctrlink rm --help' for more information\n")
    r = ctl("ps", "extra", check=False)
    assert r.rc == 1 and r.err.startswith("ctrlink: 'ctrlink ps' accepts no arguments\n")
    r = ctl("logs", check=False)
    assert r.rc == 1 and r.err.startswith("ctrlink: 'ctrlink logs' requires 1 argument\n")
    r = ctl("port", "a", "b", "c", check=False)
    assert r.rc == 1 and r.err.startswith(
        "ctrlink: 'ctrlink port' requires at least 1 and at most 2 arguments\n")
    r = ctl("exec", "x", check=False)
    assert r.rc == 1 and "'ctrlink exec' requires at least 2 arguments" in r.err


def test_help_goes_to_stdout_and_exits_0():
    r = ctl("rm", "--help")
    assert r.out.startswith("\nUsage:  ctrlink rm [OPTIONS] CONTAINER [CONTAINER...]\n\n"
                            "Remove one or more containers\n\nOptions:\n")
    assert "  -l, --link " in r.out and "  -f, --force " in r.out
    assert "  -n, --last int " in ctl("ps", "-h").out
    assert "  -h, --hostname string " in ctl("run", "--help").out  # -h is run's hostname
    assert "Commands:" in ctl("--help").out


# ---- ps -------------------------------------------------------------------------------------

def three():
    """a (exited 3), b (running, -p 8080:80, --expose 5000-5001/udp), c (created), newest last."""
    a = ctl("run", "--name", "a-one", "sh", "-c", "exit 3", check=False)
    assert a.rc == 3
    b = ctl("run", "-d", "--name", "b-two", "-p", "8080:80", "--expose", "5000-5001/udp",
            "sleep", "1000").out.strip()
    c = ctl("create", "--name", "c-three", "--expose", "443", "true").out.strip()
    return inspect("a-one")["Id"], b, c


def test_ps_filter_name_is_a_regexp_and_values_of_one_key_or():
    three()
    assert names("-a", "-f", "name=one") == ["a-one"]
    assert names("-a", "-f", "name=^/b") == ["b-two"]
    assert names("-a", "-f", "name=t.o") == ["b-two"]
    assert names("-a", "-f", "name=one", "-f", "name=three") == ["c-three", "a-one"]
    assert names("-a", "-f", "name=nomatch") == []
    assert names("-f", "name=one") == []  # stopped: not without -a


def test_ps_filter_keys_and_id_status_exited():
    a, b, c = three()
    assert ids("-a", "-f", f"id={b[:6]}") == [b]
    assert ids("-a", "-f", f"id={b}") == [b]
    assert ids("-f", "status=exited") == [a]  # status shows stopped containers by itself
    assert ids("-f", "status=created", "-f", "status=running") == [c, b]
    assert ids("-a", "-f", "exited=3") == [a]
    assert ids("-a", "-f", "exited=0") == []  # c never ran
    assert ids("-f", "exited=3") == []        # exited does not imply -a (docker ps --help)
    # different keys AND
    assert ids("-a", "-f", "name=o", "-f", "status=running") == [b]
    assert ids("-a", "-f", "name=one", "-f", "status=running") == []


def test_ps_filter_publish_expose_before_since():
    a, b, c = three()
    assert ids("-a", "-f", "publish=8080") == [b]
    assert ids("-a", "-f", "publish=8080/tcp") == [b]
    assert ids("-a", "-f", "publish=8000-8100") == [b]
    assert ids("-a", "-f", "publish=80") == []
    assert ids("-a", "-f", "publish=8080/udp") == []
    assert ids("-a", "-f", "expose=80") == [b]
    assert ids("-a", "-f", "expose=5001/udp") == [b]
    # a container that does not run lists no ports (as the daemon's list): c's 443 is not seen
    assert ids("-a", "-f", "expose=443", "-f", "expose=80/tcp") == [b]
    assert ids("-a", "-f", "before=c-three") == [b, a]
    assert ids("-a", "-f", "since=a-one") == [c, b]
    assert ids("-a", "-f", f"since={a[:12]}", "-f", "before=c-three") == [b]


def test_ps_filter_errors():
    three()
    r = ctl("ps", "-f", "foo=bar", check=False)
    assert r.rc == 1 and r.err == "ctrlink: invalid filter 'foo'\n"
    r = ctl("ps", "-f", "Status=nope", check=False)  # keys are lower-cased
    assert r.rc == 1 and r.err == ("ctrlink: invalid filter 'status=nope': invalid value for state "
                                   "(nope): must be one of created, running, paused, restarting, "
                                   "removing, exited, dead\n")
    r = ctl("ps", "-f", "exited=x", check=False)
    assert r.rc == 1 and "invalid filter 'exited=x': strconv.Atoi: parsing \"x\": invalid syntax" in r.err
    r = ctl("ps", "-f", "publish=80:80", check=False)
    assert r.rc == 1 and "filter for 'publish' should not contain ':': 80:80" in r.err
    r = ctl("ps", "-f", "expose=http", check=False)
    assert r.rc == 1 and ("error while looking up for expose http: invalid start port 'http': "
                          "invalid syntax") in r.err
    r = ctl("ps", "-f", "before=nosuch", check=False)
    assert r.rc == 1 and "No such container: nosuch" in r.err
    r = ctl("ps", "-f", "running", check=False)
    assert r.rc == 125 and r.err.startswith(
        'invalid argument "running" for "-f, --filter" flag: bad format of filter (expected '
        'name=value)\n\nUsage:  ctrlink ps [OPTIONS]\n')


def test_ps_last_and_latest():
    a, b, c = three()
    assert ids("-n", "2") == [c, b]  # -n includes every state
    assert ids("--last=1") == [c]
    assert ids("-l") == [c]
    assert ids("-l", "-f", "status=running") == [b]
    assert ids("-n", "5") == [c, b, a]


def test_ps_table_formats_tabs_and_quiet():
    a, b, c = three()
    out = ctl("ps", "-a", "--format", "table {{.Names}}\\t{{.State}}").out
    assert out == ("NAMES     STATE\n"
                   "c-three   created\n"
                   "b-two     running\n"
                   "a-one     exited\n")
    # a literal \t outside a table is a tab too
    assert (ctl("ps", "--format", "{{.Names}}\\t{{.Ports}}").out ==
            "b-two\t5000-5001/udp, 0.0.0.0:8080->80/tcp\n")
    # "table" alone is the default table; the header comes with no rows too
    # (the two listings are taken at different instants: their ages may differ by a second)
    def timeless(t):
        return [[f for f in re.split(r"\s{2,}", l.strip())
                 if " ago" not in f and not f.startswith("Up ") and f not in ("CREATED", "STATUS")]
                for l in t.splitlines()]
    assert timeless(ctl("ps", "--format", "table").out) == timeless(ctl("ps").out)
    assert ctl("ps", "-f", "name=zz", "--format", "table {{.ID}}").out == "CONTAINER ID\n"
    # -q wins over --format, with docker's warning
    r = ctl("ps", "-a", "-q", "--format", "{{.Names}}")
    assert r.out.split() == [c[:12], b[:12], a[:12]]
    assert r.err == "WARNING: Ignoring custom format, because both --format and --quiet are set.\n"
    r = ctl("ps", "--format", "{{.Names", check=False)
    assert r.rc == 1 and r.err.startswith("failed to parse template: template: ")
    r = ctl("ps", "--format", "{{index .Names 40}}", check=False)
    assert r.rc == 1 and r.err.startswith("failed to execute template: template: ")


# ---- port -----------------------------------------------------------------------------------

def test_port_sorts_naturally_and_names_the_container_as_given():
    cid = ctl("run", "-d", "--name", "web", "-p", "9000:9000", "-p", "10000:80", "-p",
              "127.0.0.1:8080:80", "-p", "5353:53/udp", "-p", "5354:53", "sleep", "1000").out.strip()
    assert ctl("port", "web").out == ("53/tcp -> 0.0.0.0:5354\n"
                                      "53/udp -> 0.0.0.0:5353\n"
                                      "80/tcp -> 0.0.0.0:10000\n"
                                      "80/tcp -> 127.0.0.1:8080\n"
                                      "9000/tcp -> 0.0.0.0:9000\n")
    assert ctl("port", "web", "80").out == "0.0.0.0:10000\n127.0.0.1:8080\n"
    assert ctl("port", "web", "80/tcp").out == ctl("port", "web", "80").out
    assert ctl("port", "web", "53/UDP").out == "0.0.0.0:5353\n"
    r = ctl("port", "web", "81/tcp", check=False)
    assert r.rc == 1 and r.err == "ctrlink: no public port '81/tcp' published for web\n"
    r = ctl("port", cid[:8], "81", check=False)
    assert r.rc == 1 and r.err == f"ctrlink: no public port '81' published for {cid[:8]}\n"
    r = ctl("port", "web", "80/xyz", check=False)  # the protocol is not checked
    assert r.rc == 1 and "no public port '80/xyz' published for web" in r.err
    r = ctl("port", "web", "http", check=False)
    assert r.rc == 1 and "invalid port 'http': invalid syntax" in r.err


# ---- inspect -f -----------------------------------------------------------------------------

def test_inspect_template_errors_and_json():
    ctl("create", "--name", "aa", "-e", "X=1", "true")
    ctl("create", "--name", "bb", "true")
    r = ctl("inspect", "-f", "{{.Name", "aa", check=False)
    assert r.rc == 64 and r.out == ""
    assert r.err == "template parsing error: template: :1: unclosed action\n"
    # a template that fails on one container: the others are printed, the error after them
    r = ctl("inspect", "-f", "{{index .Config.Env 1}}", "aa", "nosuch", "bb", check=False)
    assert r.rc == 1
    assert r.out == "X=1\n"
    err = r.err.splitlines()
    assert err[0] == "ctrlink: No such container: nosuch"
    assert err[1].startswith("template parsing error: template: :1:2: executing \"\" at <index")
    r = ctl("inspect", "-f", "{{.Name}}", "nosuch", check=False)
    assert (r.rc, r.out) == (1, "\n")
    out = ctl("inspect", "-f", "json", "aa", "bb").out
    assert out.count("\n") == 1 and [o["Name"] for o in json.loads(out)] == ["/aa", "/bb"]


# ---- rm --link ------------------------------------------------------------------------------

def test_rm_link_removes_only_the_link():
    ctl("run", "-d", "--name", "db", "--expose", "5432", "sleep", "1000")
    ctl("run", "-d", "--name", "web", "--link", "db:pg", "sleep", "1000")
    assert inspect("web")["HostConfig"]["Links"] == ["/db:/web/pg"]
    assert ctl("rm", "-l", "/web/pg").out == "/web/pg\n"
    assert inspect("web")["HostConfig"]["Links"] is None
    assert "pg" not in ctl("exec", "web", "cat", "/etc/hosts").out
    assert inspect("db")["State"]["Running"] is True  # the containers stay
    ctl("link", "web", "db:pg")
    assert ctl("rm", "--link", "web/pg").out == "web/pg\n"
    assert inspect("web")["HostConfig"]["Links"] is None
    r = ctl("rm", "-l", "/web", check=False)
    assert r.rc == 1 and r.err == "ctrlink: Conflict, cannot remove the default link name of the container\n"
    r = ctl("rm", "-l", "web/pg", check=False)
    assert r.rc == 1 and r.out == ""


# ---- the long --publish syntax ---------------------------------------------------------------

def test_publish_long_syntax_with_and_without_host_ip():
    ctl("create", "--name", "web", "-p", "published=8080,target=80,protocol=udp",
        "--publish", "published=9090,target=90,host_ip=127.0.0.1", "true")
    assert inspect("web")["HostConfig"]["PortBindings"] == {
        "80/udp": [{"HostIp": "", "HostPort": "8080"}],
        "90/tcp": [{"HostIp": "127.0.0.1", "HostPort": "9090"}]}
    ctl("publish", "web", "target=70,published=7070,host_ip=127.0.0.1,protocol=tcp")
    assert inspect("web")["HostConfig"]["PortBindings"]["70/tcp"] == [
        {"HostIp": "127.0.0.1", "HostPort": "7070"}]
    r = ctl("create", "-p", "published=1,target", "true", check=False)
    assert r.rc == 125 and ("invalid publish opts format (should be name=value but got "
                            "'target')") in r.err


def test_rename_errors_change_nothing():
    """moby docker_cli_rename_test.go: the messages, and the names as they were."""
    one = ctl("create", "--name", "one", "true").out.strip()
    two = ctl("create", "--name", "two", "true").out.strip()
    before = sorted(ctl("ps", "-a", "--format", "{{.ID}} {{.Names}}").out.splitlines())
    for args, msg in (
            (("one", "two"), f'Error when allocating new name: Conflict. The container name '
             f'"/two" is already in use by container "{two}". You have to remove (or rename) '
             f'that container to be able to reuse that name.'),
            (("one", "one"), "Renaming a container with the same name as its current name"),
            (("one", "/one"), "Renaming a container with the same name as its current name"),
            (("one", "new:invalid"), "Error when allocating new name: Invalid container name "
             "(new:invalid), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"),
            (("one", "x"), "Invalid container name (x)"),
            (("one", "  "), "Neither old nor new names may be empty"),
            (("", "three"), "Neither old nor new names may be empty"),
            (("nosuch", "three"), "No such container: nosuch")):
        r = ctl("rename", *args, check=False)
        assert r.rc == 1 and msg in r.err, (args, r)
        if args[0].strip() and args[1].strip():
            assert f"failed to rename container named {args[0]}" in r.err, (args, r)
    r = ctl("rename", "one", check=False)
    assert r.rc == 1 and "'ctrlink rename' requires 2 arguments" in r.err, r
    assert sorted(ctl("ps", "-a", "--format", "{{.ID}} {{.Names}}").out.splitlines()) == before
    # by ID prefix, trimmed; the old name is free at once and the new one taken
    ctl("rename", one[:8], " three ")
    assert inspect(one)["Name"] == "/three"
    assert ctl("create", "--name", "one", "true").rc == 0
    r = ctl("create", "--name", "three", "true", check=False)
    assert r.rc == 125 and "is already in use" in r.err
    assert inspect(one)["Config"]["Hostname"] == one[:12]  # the hostname stays


def test_restart():
    """docker restart: the name printed; a running container runs anew, a created one starts;
    an --rm container survives its restart and goes at its end."""
    ctl("run", "-d", "--name", "rs", "sleep", "1000")
    first = inspect("rs")["State"]
    ctl("create", "--name", "fresh", "sleep", "1000")
    assert ctl("restart", "-t", "0", "rs", "fresh").out == "rs\nfresh\n"
    st = inspect("rs")["State"]
    assert st["Running"] and st["Pid"] != first["Pid"]
    assert st["StartedAt"] != first["StartedAt"]
    assert inspect("fresh")["State"]["Running"]
    ctl("run", "-d", "--rm", "--name", "gone", "sleep", "1000")
    ctl("restart", "--time", "0", "gone")
    assert inspect("gone")["State"]["Running"]
    assert inspect("gone")["HostConfig"]["AutoRemove"] is True
    ctl("stop", "-t", "0", "gone")
    assert ctl("inspect", "gone", check=False).rc == 1
    r = ctl("restart", "nosuch", "rs", check=False)
    assert r.rc == 1 and "No such container: nosuch" in r.err and r.out == "rs\n"
