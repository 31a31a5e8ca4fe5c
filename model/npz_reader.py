"""Reading .npz archives (weights and MNIST arrays) without trusting them.

An .npz is a zip of .npy files. ``np.load`` trusts the archive: it reads the whole table of
contents, decompresses a member as soon as it is asked for, whatever its size, and a member's
.npy header may declare any shape. A file of 8 MB can thus make it allocate 4 GB. Here:

- the zip's table of contents is checked against `MAX_ZIP_DIRECTORY_BYTES` before it is read;
- members are only listed until asked for, and a member that is not deflated or stored (bzip2,
  lzma: no bound on what one read expands to) is refused when read;
- `header(name)` reads only the member's .npy header (shape, dtype), so the caller can check them
  against what it expects before `read(name)` decompresses the data, which it does in chunks into
  an array of the declared size, never more, refusing a member whose size disagrees with its
  header;
- object (pickled) dtypes are refused.

Every problem raises `NpzFormatError`, whose message does not name the file: the caller (the
weights or data reader) prefixes the path and raises its own one-line error type.
"""
from __future__ import annotations

import io
import os
import struct
import warnings
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from model.limits import MAX_ZIP_DIRECTORY_BYTES
from model.oneline import escape, one_line

__all__ = ["NpzArchive", "NpzFormatError", "ArrayHeader"]

_END_RECORD = b"PK\x05\x06"
_END_RECORD_SIZE = 22
_ZIP64_LOCATOR = b"PK\x06\x07"
_READ_CHUNK = 1 << 20
_SAFE_COMPRESSION = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
# What reading a damaged member can raise: zipfile, zlib and the .npy header parser.
_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, ValueError, SyntaxError, TypeError, KeyError,
           struct.error, RecursionError, NotImplementedError)


class NpzFormatError(ValueError):
    """The archive (or one member) cannot be read safely; the message is one line, without the path."""


@dataclass(frozen=True)
class ArrayHeader:
    """What a member's .npy header declares: shape, dtype (never an object dtype), memory order."""

    shape: tuple[int, ...]
    dtype: np.dtype
    fortran_order: bool
    data_offset: int

    @property
    def count(self) -> int:
        total = 1
        for side in self.shape:
            total *= side
        return total

    @property
    def nbytes(self) -> int:
        return self.count * self.dtype.itemsize


class NpzArchive:
    """An open .npz; use as a context manager. ``names``: array names (".npy" removed).

    Raises NpzFormatError from the constructor for a file that is empty, not a zip archive, or has
    an oversized table of contents; OSError (missing file, permission) is left to the caller.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self._file = open(self.path, "rb")
        try:
            _check_directory(self._file)
            self._zip = zipfile.ZipFile(self._file)
        except NpzFormatError:
            self._file.close()
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, struct.error, OSError) as exc:
            self._file.close()
            raise NpzFormatError(f"not a readable zip archive ({one_line(exc)})") from None
        self._members = {info.filename: info for info in self._zip.infolist()}
        self.names = [name[:-4] if name.endswith(".npy") else name for name in self._members]

    def __enter__(self) -> "NpzArchive":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()
        self._file.close()

    def __contains__(self, name: str) -> bool:
        return name + ".npy" in self._members or name in self._members

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = self._members.get(name + ".npy") or self._members.get(name)
        if info is None:
            raise NpzFormatError(f"no array {name!r}")
        if info.compress_type not in _SAFE_COMPRESSION:
            raise NpzFormatError(f"array '{escape(name)}' uses an unsupported compression "
                                 f"(method {info.compress_type}; .npz files are deflated or stored)")
        return info

    def member_size(self, name: str) -> int:
        """Uncompressed size the table of contents declares for a member (header included)."""
        return self._info(name).file_size

    def header(self, name: str) -> ArrayHeader:
        """The member's .npy header, reading nothing else; NpzFormatError for a non-.npy member."""
        info = self._info(name)
        try:
            with self._zip.open(info) as stream, warnings.catch_warnings():
                # numpy warns (on stderr) about headers written by Python 2; a warning is not ours to print.
                warnings.simplefilter("ignore")
                try:
                    version = npy_format.read_magic(stream)
                except ValueError:
                    raise NpzFormatError(f"member '{escape(info.filename)}' is not a .npy array") from None
                if version == (1, 0):
                    shape, fortran_order, dtype = npy_format.read_array_header_1_0(stream)
                elif version == (2, 0):
                    shape, fortran_order, dtype = npy_format.read_array_header_2_0(stream)
                else:
                    raise NpzFormatError(f"array '{escape(name)}' has .npy format version "
                                         f"{version[0]}.{version[1]} (this program reads 1.0 and 2.0)")
                offset = stream.tell()
        except NpzFormatError:
            raise
        except _DAMAGE as exc:
            raise NpzFormatError(f"array '{escape(name)}' is damaged ({one_line(exc)})") from None
        if dtype.hasobject:
            raise NpzFormatError(f"array '{escape(name)}' holds Python objects (pickle); refused")
        if any(side < 0 for side in shape):
            raise NpzFormatError(f"array '{escape(name)}' declares a negative shape {shape}")
        return ArrayHeader(tuple(shape), dtype, bool(fortran_order), offset)

    def read(self, name: str, header: ArrayHeader | None = None) -> np.ndarray:
        """The member's array (writable, native memory). Pass the header already checked: the data
        read is exactly the size it declares, and a member whose size disagrees is refused unread."""
        header = self.header(name) if header is None else header
        info = self._info(name)
        if info.file_size != header.data_offset + header.nbytes:
            raise NpzFormatError(
                f"array '{escape(name)}' is damaged: its header declares shape {header.shape} "
                f"({header.nbytes} bytes of data) but the member holds {info.file_size - header.data_offset}")
        data = np.empty(header.nbytes, np.uint8)
        try:
            with self._zip.open(info) as stream:
                stream.read(header.data_offset)
                filled = 0
                while filled < header.nbytes:
                    chunk = stream.read(min(_READ_CHUNK, header.nbytes - filled))
                    if not chunk:
                        raise NpzFormatError(f"array '{escape(name)}' is truncated")
                    data[filled:filled + len(chunk)] = np.frombuffer(chunk, np.uint8)
                    filled += len(chunk)
                stream.read(1)  # reach the end, where zipfile checks the CRC
        except NpzFormatError:
            raise
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise NpzFormatError(f"array '{escape(name)}' is damaged ({one_line(exc)})") from None
        order = "F" if header.fortran_order else "C"
        array = data.view(header.dtype).reshape(header.shape, order=order)
        if not header.dtype.isnative:
            array = array.astype(header.dtype.newbyteorder("="))
        return array


def _check_directory(stream: io.BufferedReader) -> None:
    """Refuse an archive whose table of contents is larger than MAX_ZIP_DIRECTORY_BYTES or uses
    zip64 (only for archives over 4 GB or 65,535 members): zipfile reads it whole into memory."""
    size = stream.seek(0, os.SEEK_END)
    if size == 0:
        raise NpzFormatError("file is empty")
    tail_size = min(size, _END_RECORD_SIZE + 0xFFFF)
    stream.seek(size - tail_size)
    tail = stream.read(tail_size)
    # As zipfile does: the record without a comment first, then the last one in the tail.
    at = tail_size - _END_RECORD_SIZE
    if not (tail[at:at + 4] == _END_RECORD and tail[-2:] == b"\x00\x00"):
        at = tail.rfind(_END_RECORD)
    if at < 0 or tail_size - at < _END_RECORD_SIZE:
        raise NpzFormatError("not a complete zip archive (no end record)")
    entries, directory_size = struct.unpack("<HI", tail[at + 10:at + 16])
    if at >= 20 and tail[at - 20:at - 16] == _ZIP64_LOCATOR or entries == 0xFFFF or directory_size == 0xFFFFFFFF:
        raise NpzFormatError("a zip64 archive (over 4 GB or 65,535 members), larger than this program reads")
    if directory_size > MAX_ZIP_DIRECTORY_BYTES:
        raise NpzFormatError(f"the archive's table of contents is {directory_size} bytes "
                             f"(at most {MAX_ZIP_DIRECTORY_BYTES} read)")
    stream.seek(0)
