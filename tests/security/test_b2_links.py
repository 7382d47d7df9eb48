"""B2: a crafted rootfs (proc, sys or dev a link to / or out of the rootfs) is refused before
anything is mounted, and nothing is created in the on-disk rootfs or on the host."""

import os

import pytest

import nsrun
from canary import fingerprint


@pytest.mark.parametrize("name,target", [("proc", "/"), ("sys", "/"), ("dev", "/"), ("dev", "/dev"),
                                         ("run", "../../../../"), ("tmp", "/")])
def test_crafted_links_are_refused(rootfs_copy, name, target):
    os.rmdir(rootfs_copy / name)
    os.symlink(target, rootfs_copy / name)
    before = fingerprint(str(rootfs_copy))
    with pytest.raises(nsrun.LaunchError) as e:
        nsrun.run(["/bin/true"], rootfs=rootfs_copy, timeout=30)
    assert e.value.stage == "check-rootfs"
    assert f"/{name}" in str(e.value)
    assert fingerprint(str(rootfs_copy)) == before


def test_a_bind_target_link_to_the_root_is_refused(rootfs_copy, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    os.symlink("/", rootfs_copy / "mnt-escape")
    before = fingerprint(str(rootfs_copy))
    with pytest.raises(nsrun.LaunchError) as e:
        nsrun.run(["/bin/true"], rootfs=rootfs_copy, mounts=[(str(src), "/mnt-escape")], timeout=30)
    assert e.value.stage == "check-rootfs"
    assert fingerprint(str(rootfs_copy)) == before


def test_without_a_rootfs_missing_bind_targets_are_not_created_on_the_host(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    target = tmp_path / "missing" / "deeper"
    with pytest.raises(nsrun.LaunchError) as e:
        nsrun.run(["/bin/true"], mounts=[(str(src), str(target))], timeout=30)
    assert e.value.stage == "check-rootfs"
    assert not (tmp_path / "missing").exists()
