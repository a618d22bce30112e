"""Every CLI path under valgrind: no invalid access, no leak (the ctrlink process and the
library code it runs; the monitor helper is covered by the sanitizer build)."""
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import BUILD, CTRLINK, PY, SRV, ctl, inspect, wait_for, tcp_try


def sanitized():
    try:
        with open(os.path.join(BUILD, "meson-info", "intro-buildoptions.json")) as f:
            opts = json.load(f)
    except OSError:
        return False
    return any(o["name"] == "b_sanitize" and o["value"] not in ("none", []) for o in opts)


pytestmark = pytest.mark.skipif(not shutil.which("valgrind") or sanitized(),
                                reason="needs valgrind and a build without sanitizers")

VG = ["valgrind", "-q", "--error-exitcode=99", "--leak-check=full",
      "--show-leak-kinds=definite,indirect", "--errors-for-leak-kinds=definite,indirect",
      "--track-fds=no"]


def vg(*args, ok=True):
    p = subprocess.run(VG + [CTRLINK, *map(str, args)], capture_output=True, text=True,
                       timeout=180)
    assert p.returncode != 99, f"valgrind found errors in ctrlink {args}:\n{p.stderr}"
    assert not re.search(r"(definitely|indirectly) lost: [1-9]", p.stderr), p.stderr
    if ok:
        assert p.returncode == 0, f"ctrlink {args}: {p.stderr}"
    return p


def test_cli_paths_under_valgrind():
    vg("run", "-d", "--name", "db", "--expose", "5432", "-e", "PASSWORD=x", PY, SRV, "tcp", "5432")
    vg("create", "--name", "web", "--link", "db:db", "--link-env", "db:dbenv", "-p", "8080:80",
       "-P", "--expose", "81", "-e", "A=1", "-e", "HOME", "--cap-add", "NET_ADMIN",
       "--hostname", "webhost", "-w", "/tmp", PY, SRV, "tcp", "80", "81")
    vg("start", "web")
    wait_for(lambda: tcp_try("127.0.0.1", 8080))
    vg("ps")
    vg("ps", "-a", "--no-trunc")
    vg("ps", "--format", "json")
    vg("ps", "-q")
    vg("ps", "--format", "{{.Names}} {{.Ports}}")
    vg("inspect", "web", "db")
    vg("inspect", "-f", "{{ .HostConfig.Links }} {{json .NetworkSettings.Ports}}", "web")
    vg("port", "web")
    vg("port", "web", "80")
    vg("publish", "web", "9000-9009:9000-9009", "127.0.0.1::82/udp")
    vg("unpublish", "web", "9000-9009:9000-9009")
    vg("link", "web", "db:pg")
    vg("unlink", "web", "pg")
    vg("exec", "-e", "B=2", "web", "sh", "-c", "echo $A$B; cat /etc/hosts >/dev/null")
    vg("logs", "-t", "db")
    vg("kill", "db")  # SIGKILL: as PID 1 of its namespace, python ignores SIGTERM
    vg("wait", "db")
    vg("start", "db")
    vg("stop", "-t", "1", "web")
    vg("gc")
    vg("info")
    vg("run", "--rm", "--name", "fg", "sh", "-c", "echo out; echo err >&2; exit 3", ok=False)
    vg("rm", "-f", "web", "db")
    # the error paths
    for args in (["create", "--name", "a", "true"], ["inspect", "nosuch"], ["run", "-p", "x:80", "true"],
                 ["create", "--link", "a:b:c", "true"], ["create", "--cap-add", "FOO", "true"],
                 ["inspect", "-f", "{{.Nope", "nosuch"], ["run", "nosuchcmd"], ["bogus"],
                 ["run", "--name", "bad", "-w", "/nonexistent", "true"], ["rm", "bad"]):
        vg(*args, ok=False)
    left = ctl("ps", "-a", "-q").out.split()  # the failed runs stay created, as in Docker
    assert len(left) == 1
    vg("rm", *left)
    assert ctl("ps", "-a", "-q").out == ""
