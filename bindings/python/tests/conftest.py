"""Shared fixtures and helpers of the bindings' tests.

Every test runs in its own fresh network, mount and PID namespaces, with tmpfs on /run and /tmp
(tests/nsplugin.py): the containers, bridges, addresses and rules a test makes end with it.
The package is imported from the build tree: PYTHONPATH=<build>/bindings/python (set by
tests/run_tests.py), else from $CTRLINK_BUILD or build/.
"""
import os
import socket
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests"))
pytest_plugins = ["nsplugin"]

BUILD = os.path.abspath(os.environ.get("CTRLINK_BUILD", os.path.join(TOP, "build")))
try:
    import container_link  # noqa: F401  (from PYTHONPATH)
except ImportError:
    sys.path.insert(0, os.path.join(BUILD, "bindings", "python"))

import container_link as cl  # noqa: E402

PY = "/usr/bin/python3"
SRV = os.path.join(TOP, "tests", "system", "srv.py")


# the NAT backend the runner asks for (the library itself reads no environment for it)
BACKEND = os.environ.get("CTRLINK_NAT_BACKEND") or "auto"


def nat_rules():
    """The published-port rules of the backend in use, as text."""
    if BACKEND == "iptables":
        cmd = ["iptables-legacy-save", "-t", "nat"]
    else:
        cmd = ["nft", "list", "ruleset"]
    import subprocess
    return subprocess.run(cmd, capture_output=True, text=True).stdout


@pytest.fixture
def ctx():
    """A context on the default state directory (/run/ctrlink, private to the test)."""
    with cl.Context(nat_backend=BACKEND) as c:
        yield c


def wait_for(cond, timeout=20, what="condition"):
    """Poll until cond() is truthy; fail after timeout seconds."""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def tcp_try(host, port, data=b"ping\n", timeout=2):
    """Connect, send a line, return the answer; None if that fails."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            chunks = []
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks).decode()
    except OSError:
        return None


def tcp_server(ctx, name, port, **options):
    """A running container serving srv.py on `port`; waits until it answers."""
    c = ctx.run([PY, SRV, "tcp", str(port)], name=name, **options)
    ip = c.ip
    wait_for(lambda: tcp_try(ip, port), what=f"{name} listening on {port}")
    return c


def fd_count():
    return len(os.listdir("/proc/self/fd"))
