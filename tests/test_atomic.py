"""model.atomic: a write either replaces the file whole or leaves the old one untouched."""
import os
import stat

import pytest

from model.atomic import atomic_write, atomic_write_bytes, atomic_write_text


def test_writes_bytes_and_text(tmp_path):
    atomic_write_bytes(tmp_path / "a.bin", b"\x00\x01")
    atomic_write_text(tmp_path / "b.txt", "line\n")
    assert (tmp_path / "a.bin").read_bytes() == b"\x00\x01"
    assert (tmp_path / "b.txt").read_bytes() == b"line\n"


def test_failure_keeps_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_text("old")

    def fail_half_way(handle):
        handle.write("new, half written")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(target, fail_half_way, text=True)
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["keep.txt"]


def test_new_file_gets_the_umask_permissions_not_private_ones(tmp_path):
    old_mask = os.umask(0o022)
    try:
        import importlib

        import model.atomic as atomic
        importlib.reload(atomic)
        atomic.atomic_write_text(tmp_path / "shared.txt", "x")
    finally:
        os.umask(old_mask)
        importlib.reload(atomic)
    assert stat.S_IMODE((tmp_path / "shared.txt").stat().st_mode) == 0o644


def test_missing_folder_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        atomic_write_text(tmp_path / "no" / "such" / "file.txt", "x")


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    atomic_write_text(link, "new")
    assert link.is_symlink() and real.read_text() == "new"
    assert sorted(os.listdir(tmp_path)) == ["link.txt", "real.txt"]


@pytest.mark.parametrize("special", ["/dev/null", "folder"])
def test_never_replaces_a_device_or_a_folder(tmp_path, special):
    from model.atomic import UnsafeTargetError

    target = tmp_path / special if special == "folder" else special
    if special == "folder":
        target.mkdir()
    with pytest.raises(UnsafeTargetError):
        atomic_write_text(target, "x")
    if special == "/dev/null":
        assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_temporaries_of_dead_writers_are_removed_and_live_ones_kept(tmp_path):
    import subprocess
    import sys

    from model.atomic import remove_stale_temporaries

    target = tmp_path / "w.npz"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale = tmp_path / f".w.npz.{dead}.abc123.tmp"
    live = tmp_path / f".w.npz.{os.getpid()}.def456.tmp"
    other = tmp_path / ".other.npz.1.abc.tmp"
    for path in (stale, live, other):
        path.write_text("half")
    assert remove_stale_temporaries(target) == [stale]
    assert live.exists() and other.exists() and not stale.exists()
    atomic_write_text(target, "done")  # a write cleans up too (nothing left to clean here)
    assert sorted(os.listdir(tmp_path)) == sorted([live.name, other.name, "w.npz"])


def test_check_writable_finds_problems_before_any_work(tmp_path):
    from model.atomic import check_writable

    assert check_writable(tmp_path / "new.npz") == tmp_path / "new.npz"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError, match="not a folder"):
        check_writable(blocker / "w.npz")
    with pytest.raises(OSError, match="does not exist"):
        check_writable(tmp_path / "missing" / "w.npz")
    with pytest.raises(OSError, match="not a regular file"):
        check_writable("/dev/null")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            with pytest.raises(OSError, match="cannot write"):
                check_writable(locked / "w.npz")
        finally:
            locked.chmod(0o700)
    assert os.listdir(tmp_path) == ["file"] or sorted(os.listdir(tmp_path)) == ["file", "locked"]
