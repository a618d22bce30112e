"""The user namespace option (ctr_create_options.userns) through the bindings; what it confines
is shown in tests/system/test_security.py, section 10."""
import os
import shutil

import pytest

import container_link as cl


def rootfs(tmp_path):
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    shutil.copy("/bin/busybox", root / "bin" / "busybox")
    for tool in ("sh", "cat"):
        os.symlink("busybox", root / "bin" / tool)
    return str(root)


def test_userns_auto_maps_container_root_to_an_unprivileged_range(ctx, tmp_path):
    c = ctx.run(["/bin/cat", "/proc/self/uid_map"], rootfs=rootfs(tmp_path), userns="auto")
    assert c.wait() == 0, c.logs()
    hc = c.inspect()["HostConfig"]
    assert hc["UsernsMode"] == "auto"
    (umap,) = hc["IDMappings"]["UidMap"]
    assert c.logs().decode().split() == umap.split(":")
    assert int(umap.split(":")[1]) > 0
    c.remove()


def test_userns_modes_and_refusals(ctx, tmp_path):
    c = ctx.create(["true"], rootfs=rootfs(tmp_path), userns="host")
    assert c.inspect()["HostConfig"]["UsernsMode"] == ""
    assert "IDMappings" not in c.inspect()["HostConfig"]
    before = len(ctx.list(all=True))
    with pytest.raises(cl.InvalidArgument, match='invalid user namespace mode "bogus"'):
        ctx.create(["true"], rootfs=rootfs(tmp_path / "b"), userns="bogus")
    with pytest.raises(cl.InvalidArgument, match=r"needs a root file system \(--rootfs\)"):
        ctx.create(["true"], userns="auto")
    assert len(ctx.list(all=True)) == before
