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
