"""MNIST file readers: IDX (.gz or raw) and .npz; CSV is in model.mnist_csv.

Every reader returns images as uint8 arrays of shape (n, 28, 28) (white ink on black, as MNIST)
and labels as int64 arrays of shape (n,). Every problem with a file raises `DataError` whose
message is one line naming the file (and, for CSV, the line number).

No reader trusts a file with memory (limits in model.limits): gzip is decompressed as a stream
with a cap, an IDX header's count is checked against `MAX_IMAGES` and the stream must hold exactly
the size it declares (the array is allocated once, at the declared size, and a longer stream is
refused as soon as the declared size is passed), a CSV is read up to `MAX_CSV_BYTES`, and an .npz
member's .npy header (shape, dtype) is checked before its data is decompressed
(model.npz_reader). `load_mnist` and the download live in model.data.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import os
import zlib
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np

from model.limits import ERROR_CHARS, MAX_DATA_ARRAY_BYTES, MAX_IMAGES, MiB
from model.npz_reader import NpzArchive, NpzFormatError
from model.oneline import escape, one_line, os_problem

IMAGE_SIDE = 28
PIXELS = IMAGE_SIDE * IMAGE_SIDE
LABELS_MAGIC = 0x00000801
IMAGES_MAGIC = 0x00000803

_READ_CHUNK = 1 << 20
#: Past the declared size, this much more of a stream is counted to say how long it is.
_TRAILING_COUNTED = 1 << 20


class DataError(ValueError):
    """A data file is missing, unreadable or malformed. The message is one line naming the file
    (made so by `model.oneline.one_line`, whatever the path or the file put in it)."""

    def __init__(self, message: object) -> None:
        super().__init__(one_line(message, ERROR_CHARS))


# ------------------------------------------------------------------------------- streams

@contextlib.contextmanager
def open_data(path: Path) -> Iterator[BinaryIO]:
    """The file's content as a stream, decompressed when it is gzip (recognised by its magic
    bytes, not by its name). Read it with `read_stream`, which turns errors into DataError."""
    try:
        raw = open(path, "rb")
    except OSError as exc:
        raise DataError(f"{path}: {os_problem(exc)}") from None
    with raw:
        try:
            compressed = raw.peek(2)[:2] == b"\x1f\x8b"
        except OSError as exc:
            raise DataError(f"{path}: {os_problem(exc)}") from None
        if compressed:
            with gzip.GzipFile(fileobj=raw, mode="rb") as stream:
                yield stream
        else:
            yield raw


def read_stream(stream: BinaryIO, size: int, name: str) -> bytes:
    """Up to `size` bytes (fewer only at the end of the stream); DataError for a damaged gzip
    stream or a read error. gzip decompresses only what is asked for, so this is the cap."""
    try:
        return stream.read(size)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DataError(f"{name}: not a valid gzip file ({one_line(exc)})") from None
    except OSError as exc:
        raise DataError(f"{name}: {os_problem(exc)}") from None


def _read_into(stream: BinaryIO, out: np.ndarray, name: str) -> int:
    """Fill the uint8 array `out` from the stream; returns how many bytes there were (<= out.size)."""
    filled = 0
    while filled < out.size:
        chunk = read_stream(stream, min(_READ_CHUNK, out.size - filled), name)
        if not chunk:
            break
        out[filled:filled + len(chunk)] = np.frombuffer(chunk, np.uint8)
        filled += len(chunk)
    return filled


def _count_rest(stream: BinaryIO, name: str, most: int) -> int:
    """Bytes left in the stream, counted up to `most` (then most + 1 means 'more')."""
    counted = 0
    while counted <= most:
        chunk = read_stream(stream, min(_READ_CHUNK, most + 1 - counted), name)
        if not chunk:
            break
        counted += len(chunk)
    return counted


def sha256_uncompressed(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's content, decompressed first if it is gzip (read as a stream)."""
    path = Path(path)
    digest = hashlib.sha256()
    with open_data(path) as stream:
        while chunk := read_stream(stream, _READ_CHUNK, str(path)):
            digest.update(chunk)
    return digest.hexdigest()


# ----------------------------------------------------------------------------------- IDX

def _idx_layout(head: bytes, name: str) -> tuple[str, int, int, int]:
    """(kind, count, header size, item size) from the first 16 bytes (fewer for a short file)."""
    if len(head) < 8:
        raise DataError(f"{name}: too short for an IDX header ({len(head)} bytes)")
    magic = int.from_bytes(head[:4], "big")
    count = int.from_bytes(head[4:8], "big")
    if magic == LABELS_MAGIC:
        kind, header, item_size = "labels", 8, 1
    elif magic == IMAGES_MAGIC:
        if len(head) < 16:
            raise DataError(f"{name}: too short for an IDX image header ({len(head)} bytes)")
        rows = int.from_bytes(head[8:12], "big")
        cols = int.from_bytes(head[12:16], "big")
        if (rows, cols) != (IMAGE_SIDE, IMAGE_SIDE):
            raise DataError(f"{name}: images are {rows}x{cols}, expected 28x28")
        kind, header, item_size = "images", 16, PIXELS
    else:
        raise DataError(
            f"{name}: bad magic number 0x{magic:08x} (expected 0x{LABELS_MAGIC:08x} for labels "
            f"or 0x{IMAGES_MAGIC:08x} for images)"
        )
    if count == 0:
        raise DataError(f"{name}: contains no {kind}")
    if count > MAX_IMAGES:
        raise DataError(f"{name}: header says {count} {kind}, more than the {MAX_IMAGES} this program reads")
    return kind, count, header, item_size


def _idx_array(data: np.ndarray, kind: str, count: int, name: str) -> np.ndarray:
    if kind == "images":
        return data.reshape(count, IMAGE_SIDE, IMAGE_SIDE)
    labels = data.astype(np.int64)
    _check_label_range(labels, name)
    return labels


def _size_problem(kind: str, count: int, expected: int, actual: int, more: bool = False) -> str:
    problem = "truncated" if actual < expected else "has trailing bytes"
    size = f"more than {actual - 1}" if more else str(actual)
    return f"{problem}: header says {count} {kind} ({expected} bytes), file has {size} bytes"


def parse_idx(content: bytes, name: str) -> np.ndarray:
    """Parse uncompressed IDX content: images -> uint8 (n, 28, 28), labels -> int64 (n,)."""
    kind, count, header, item_size = _idx_layout(content[:16], name)
    expected = header + count * item_size
    if len(content) != expected:
        raise DataError(f"{name}: {_size_problem(kind, count, expected, len(content))}")
    return _idx_array(np.frombuffer(content, np.uint8, offset=header).copy(), kind, count, name)


def read_idx_with_sha256(path: str | os.PathLike) -> tuple[np.ndarray, str]:
    """Read one IDX file (.gz or raw) as a stream -> (array, SHA-256 of the uncompressed content).

    The header is read first; the array is allocated at the size it declares (at most
    `MAX_IMAGES` items) and filled from the stream, which must end exactly there.
    """
    path = Path(path)
    name = str(path)
    with open_data(path) as stream:
        head = read_stream(stream, 16, name)
        kind, count, header, item_size = _idx_layout(head, name)
        expected = header + count * item_size
        data = np.empty(count * item_size, np.uint8)
        early = head[header:header + data.size]
        data[:len(early)] = np.frombuffer(early, np.uint8)
        filled = len(early) + _read_into(stream, data[len(early):], name)
        if filled < data.size:
            raise DataError(f"{name}: {_size_problem(kind, count, expected, header + filled)}")
        extra = max(len(head) - header - data.size, 0) + _count_rest(stream, name, _TRAILING_COUNTED)
        if extra:
            more = extra > _TRAILING_COUNTED
            raise DataError(f"{name}: {_size_problem(kind, count, expected, expected + extra, more)}")
    digest = hashlib.sha256(head[:header])
    digest.update(data)
    return _idx_array(data, kind, count, name), digest.hexdigest()


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (.gz or raw): images -> uint8 (n, 28, 28); labels -> int64 (n,)."""
    return read_idx_with_sha256(path)[0]


def format_value(value) -> str:
    """A pixel or label value as a person writes it: 256, -1, 0.5."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _check_label_range(labels: np.ndarray, name: str) -> None:
    bad = np.flatnonzero((labels < 0) | (labels > 9))
    if bad.size:
        raise DataError(f"{name}: label {labels[bad[0]]} at index {bad[0]} is outside 0-9")


# ----------------------------------------------------------------------------------- NPZ

# Accepted key layouts: (train images, train labels, test images, test labels or None).
_NPZ_LAYOUTS = (
    ("x_train", "y_train", "x_test", "y_test"),
    ("train_images", "train_labels", "test_images", "test_labels"),
    ("x", "y", None, None),
    ("images", "labels", None, None),
)


def read_npz_splits(path: str | os.PathLike) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Read an .npz of MNIST arrays; returns {"train": (images, labels)[, "test": (...)]}.

    Keras' mnist.npz (x_train, y_train, x_test, y_test) gives both splits; x/y or images/labels
    give one ("train"). Images: integers in 0-255 of shape (n, 28, 28) or (n, 784) -> uint8
    (n, 28, 28); labels: integers 0-9 of shape (n,) -> int64. Pickled (object) arrays are refused;
    other members are ignored, never decompressed. Each array's .npy header (shape, dtype) is
    checked before its data is read (at most `MAX_IMAGES` images, `MAX_DATA_ARRAY_BYTES` bytes).
    """
    path = Path(path)
    name = str(path)
    try:
        with open(path, "rb") as stream:
            signature = stream.read(6)
    except OSError as exc:
        raise DataError(f"{name}: {os_problem(exc, 'file')}") from None
    if not signature:
        raise DataError(f"{name}: file is empty")
    if signature == b"\x93NUMPY":
        raise DataError(f"{name}: a single .npy array, expected an .npz archive of images and labels")
    if not signature.startswith(b"PK"):
        raise DataError(f"{name}: not an .npz archive (no zip signature)")
    try:
        with NpzArchive(path) as archive:
            return _npz_splits(archive, name)
    except NpzFormatError as exc:
        raise DataError(f"{name}: not a readable .npz archive ({exc})") from None
    except OSError as exc:
        raise DataError(f"{name}: {os_problem(exc)}") from None


def _npz_splits(archive: NpzArchive, name: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    keys = set(archive.names)
    for train_x, train_y, test_x, test_y in _NPZ_LAYOUTS:
        if {train_x, train_y} <= keys:
            splits = {"train": _npz_pair(archive, train_x, train_y, name)}
            if test_x is not None and {test_x, test_y} <= keys:
                splits["test"] = _npz_pair(archive, test_x, test_y, name)
            return splits
    found = ", ".join(escape(key, 40) for key in sorted(keys)[:20]) or "none"
    raise DataError(
        f"{name}: keys [{found}]; expected x_train/y_train (with x_test/y_test), x/y or images/labels"
    )


def read_npz(path: str | os.PathLike, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Read one split of an .npz: images uint8 (n, 28, 28), labels int64 (n,).

    Single-split files (x/y, images/labels) return their only split for split="train".
    """
    splits = read_npz_splits(path)
    if split not in splits:
        raise DataError(f"{path}: has no {split!r} split (it has: {', '.join(splits)})")
    return splits[split]


def _npz_pair(archive: NpzArchive, images_key: str, labels_key: str, name: str
              ) -> tuple[np.ndarray, np.ndarray]:
    images_header, labels_header = _npz_header(archive, images_key, name), _npz_header(archive, labels_key, name)
    shape, dtype = images_header.shape, images_header.dtype
    if dtype.kind not in "uif":
        raise DataError(f"{name}: {images_key!r} has dtype {dtype}, expected integers 0-255")
    if len(shape) == 2 and shape[1] == PIXELS:
        shape = (shape[0], IMAGE_SIDE, IMAGE_SIDE)
    if len(shape) != 3 or shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(f"{name}: {images_key!r} has shape {images_header.shape}, expected (n, 28, 28) or (n, 784)")
    if shape[0] == 0:
        raise DataError(f"{name}: {images_key!r} holds no images")
    if labels_header.dtype.kind not in "ui" or len(labels_header.shape) != 1:
        raise DataError(f"{name}: {labels_key!r} has dtype {labels_header.dtype} and shape "
                        f"{labels_header.shape}, expected integers of shape (n,)")
    if labels_header.shape[0] != shape[0]:
        raise DataError(f"{name}: {shape[0]} images but {labels_header.shape[0]} labels")
    if shape[0] > MAX_IMAGES:
        raise DataError(f"{name}: {images_key!r} holds {shape[0]} images, more than the {MAX_IMAGES} "
                        f"this program reads")
    for key, header in ((images_key, images_header), (labels_key, labels_header)):
        if header.nbytes > MAX_DATA_ARRAY_BYTES:
            raise DataError(f"{name}: {key!r} is {header.nbytes} bytes, more than the "
                            f"{MAX_DATA_ARRAY_BYTES // MiB} MiB this program reads")
    images = _npz_read(archive, images_key, images_header, name).reshape(shape)
    labels = _npz_read(archive, labels_key, labels_header, name)
    if images.dtype != np.uint8:
        images = _pixels_as_uint8(images, images_key, name)
    labels = labels.astype(np.int64)
    _check_label_range(labels, f"{name}: {labels_key!r}")
    return np.ascontiguousarray(images), labels


def _npz_header(archive: NpzArchive, key: str, name: str):
    try:
        return archive.header(key)
    except NpzFormatError as exc:  # it names the array and the problem
        raise DataError(f"{name}: {exc}") from None


def _npz_read(archive: NpzArchive, key: str, header, name: str) -> np.ndarray:
    try:
        return archive.read(key, header)
    except NpzFormatError as exc:
        raise DataError(f"{name}: {exc}") from None


def _pixels_as_uint8(images: np.ndarray, key: str, name: str) -> np.ndarray:
    """Whole numbers 0-255 of any numeric dtype -> uint8, checked a block of images at a time
    (temporaries stay small however large the array)."""
    out = np.empty(images.shape, np.uint8)
    low, high = np.inf, -np.inf
    for start in range(0, len(images), 4096):
        block = images[start:start + 4096]
        if block.dtype.kind == "f" and not (np.isfinite(block).all() and (block == np.round(block)).all()):
            raise DataError(f"{name}: {key!r} holds non-integer pixel values, expected 0-255")
        low, high = min(low, block.min()), max(high, block.max())
        out[start:start + 4096] = np.clip(block, 0, 255)
    if low < 0 or high > 255:
        raise DataError(f"{name}: {key!r} has pixel values outside 0-255 "
                        f"(min {format_value(low)}, max {format_value(high)})")
    return out
