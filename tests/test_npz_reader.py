"""model.npz_reader: .npz archives read without trusting them."""
from __future__ import annotations

import io
import struct
import zipfile

import numpy as np
import pytest

from model import npz_reader
from model.npz_reader import NpzArchive, NpzFormatError


def npy(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=True)
    return buffer.getvalue()


def lying(shape, dtype="<f4", data=b"") -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buffer.getvalue() + data


def archive(path, members, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return path


def test_reads_what_numpy_wrote(tmp_path):
    path = tmp_path / "a.npz"
    values = {"a": np.arange(12, dtype=np.float32).reshape(3, 4), "b": np.array("text"),
              "f": np.asfortranarray(np.arange(6).reshape(2, 3)), "big": np.arange(3, dtype=">i4")}
    np.savez_compressed(path, **values)
    with NpzArchive(path) as npz:
        assert sorted(npz.names) == ["a", "b", "big", "f"] and "a" in npz and "zz" not in npz
        header = npz.header("a")
        assert header.shape == (3, 4) and header.dtype == np.float32 and header.nbytes == 48
        for name, expected in values.items():
            got = npz.read(name)
            np.testing.assert_array_equal(got, expected)
            assert got.dtype.isnative and (got.flags.writeable or got.ndim == 0)


def test_a_header_is_read_without_decompressing_the_data(tmp_path):
    path = archive(tmp_path / "a.npz", {"x.npy": lying((10 ** 12, 28, 28), "|u1")})
    with NpzArchive(path) as npz:
        assert npz.header("x").nbytes == 784 * 10 ** 12  # declared, never allocated
        with pytest.raises(NpzFormatError, match=r"declares shape \(1000000000000, 28, 28\).*holds 0"):
            npz.read("x")


def test_members_longer_or_shorter_than_declared_are_refused(tmp_path):
    path = archive(tmp_path / "a.npz", {"long.npy": lying((2,), data=b"\0" * 12),
                                        "short.npy": lying((4,), data=b"\0" * 12)})
    with NpzArchive(path) as npz:
        for name in ("long", "short"):
            with pytest.raises(NpzFormatError, match=f"array '{name}' is damaged"):
                npz.read(name)


@pytest.mark.parametrize("content, message", [
    (b"plain bytes", "member 'x.npy' is not a .npy array"),
    (npy(np.array([None, 1], dtype=object)), "holds Python objects"),
    (b"\x93NUMPY\x03\x00" + b"\0" * 20, "version 3.0"),
    (b"\x93NUMPY\x01\x00\x10\x00{'descr': bad}  \n", "is damaged"),
])
def test_damaged_headers_raise_npz_format_error(tmp_path, content, message):
    path = archive(tmp_path / "a.npz", {"x.npy": content})
    with NpzArchive(path) as npz, pytest.raises(NpzFormatError, match=message):
        npz.header("x")


def test_only_deflated_or_stored_members_are_read(tmp_path):
    path = archive(tmp_path / "a.npz", {"x.npy": npy(np.zeros(3))}, zipfile.ZIP_BZIP2)
    with NpzArchive(path) as npz, pytest.raises(NpzFormatError, match="unsupported compression"):
        npz.header("x")


def test_a_large_table_of_contents_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(npz_reader, "MAX_ZIP_DIRECTORY_BYTES", 1000)
    path = archive(tmp_path / "a.npz", {f"m{i}": b"" for i in range(100)})
    with pytest.raises(NpzFormatError, match="table of contents is .* bytes"):
        NpzArchive(path)


@pytest.mark.parametrize("content, message", [
    (b"", "file is empty"),
    (b"PK\x03\x04 not really", "no end record"),
    (b"x" * 100 + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, 46, 5000, 0), "not a readable zip archive"),
])
def test_not_an_archive(tmp_path, content, message):
    path = tmp_path / "a.npz"
    path.write_bytes(content)
    with pytest.raises(NpzFormatError, match=message):
        NpzArchive(path)


def test_a_crc_mismatch_is_found(tmp_path):
    path = archive(tmp_path / "a.npz", {"x.npy": npy(np.arange(1000, dtype=np.int64))}, zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    data[200] ^= 0xFF  # inside the stored data
    path.write_bytes(bytes(data))
    with NpzArchive(path) as npz, pytest.raises(NpzFormatError, match="CRC"):
        npz.read("x")
