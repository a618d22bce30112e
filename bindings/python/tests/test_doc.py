"""The example of doc/python.md runs as written and prints what it says."""
import contextlib
import io
import os
import re

import container_link as cl
from conftest import TOP


def example():
    with open(os.path.join(TOP, "doc", "python.md")) as f:
        text = f.read()
    return re.search(r"```python\n(.*?)```", text, re.S).group(1)


def test_the_db_web_example():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(example(), "doc/python.md", "exec"), {"__name__": "example"})
    lines = out.getvalue().splitlines()
    assert lines[0] == "running"
    assert lines[1] == "['/db:/web/database']"
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+ \{'80/tcp': \[\{'HostIp': '0.0.0.0', "
                        r"'HostPort': '8080'\}\]\}", lines[2])
    assert re.fullmatch(r"tcp://\d+\.\d+\.\d+\.\d+:5432", lines[3])
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+\tdatabase [0-9a-f]{12} db", lines[4])
    assert "200" in lines
    with cl.Context() as ctx:
        assert ctx.list(all=True) == []  # it cleaned up after itself
