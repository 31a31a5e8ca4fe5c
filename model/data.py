"""MNIST loading: IDX (.gz or raw), CSV (Kaggle with header, or headerless), and .npz.

Every reader returns images as uint8 arrays of shape (n, 28, 28) (white ink on black, as MNIST)
and labels as int64 arrays of shape (n,). Every problem with a file raises `DataError` whose
message is one line naming the file (and, for CSV, the line number).

`load_mnist()` finds the data: an explicit path, then $DIGITPAD_MNIST_DIR, then the user cache,
then the workplace copy beside the repository, then a download from the public mirrors into the
cache (verified against the known SHA-256 of the uncompressed files, written atomically).
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import sys
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model.atomic import atomic_write_bytes
from model.oneline import one_line
from model.userdata import cache_dir

__all__ = [
    "DataError",
    "MnistData",
    "IDX_FILES",
    "MNIST_SHA256",
    "DEFAULT_MIRRORS",
    "read_idx",
    "read_csv",
    "read_npz",
    "read_npz_splits",
    "load_mnist",
    "download_mnist",
    "mnist_cache_dir",
    "sha256_uncompressed",
    "verify_checksums",
]

IMAGE_SIDE = 28
PIXELS = IMAGE_SIDE * IMAGE_SIDE
LABELS_MAGIC = 0x00000801
IMAGES_MAGIC = 0x00000803

# Standard uncompressed names, keyed by role.
IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# SHA-256 of the UNCOMPRESSED official files. Mirrors re-compress the .gz files, so only the
# uncompressed content has a stable checksum. Tests replace this dict to serve fixture files.
MNIST_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

DEFAULT_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)

REPO_ROOT = Path(__file__).resolve().parent.parent
DOWNLOAD_TIMEOUT_S = 30.0


class DataError(ValueError):
    """A data file is missing, unreadable or malformed. The message is one line naming the file."""


@dataclass
class MnistData:
    """MNIST as arrays.

    train_images: uint8 (n, 28, 28); train_labels: int64 (n,);
    test_images: uint8 (m, 28, 28) or None; test_labels: int64 (m,) or None (single-split source);
    source: where it came from; checksums: file name -> SHA-256 of its uncompressed content.
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray | None
    test_labels: np.ndarray | None
    source: str
    checksums: dict[str, str] = field(default_factory=dict)

    @property
    def is_official(self) -> bool:
        """True when all four official IDX files were loaded and match the known checksums."""
        return set(MNIST_SHA256) <= set(self.checksums) and not verify_checksums(self.checksums)


# ----------------------------------------------------------------------------------- helpers

def _read_file_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a folder, expected a file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read ({one_line(exc.strerror or exc)})") from None


def _gunzip_if_needed(raw: bytes, name: str) -> bytes:
    """Decompress gzip content (recognised by its magic bytes, not by the file name)."""
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{name}: not a valid gzip file ({one_line(exc)})") from None


def _uncompressed_bytes(path: Path) -> bytes:
    return _gunzip_if_needed(_read_file_bytes(path), str(path))


def sha256_uncompressed(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a file's content, decompressed first if it is gzip."""
    return hashlib.sha256(_uncompressed_bytes(Path(path))).hexdigest()


def verify_checksums(checksums: dict[str, str], expected: dict[str, str] | None = None) -> list[str]:
    """Compare loaded checksums with the known ones; returns one line per mismatch (empty = fine).

    Only names present in both dicts are compared, so a CSV or npz source (whose names are not
    in the known list) yields no mismatches; use `MnistData.is_official` to require the IDX set.
    """
    expected = MNIST_SHA256 if expected is None else expected
    return [
        f"{name}: SHA-256 {digest[:12]}... differs from the known {expected[name][:12]}..."
        for name, digest in sorted(checksums.items())
        if name in expected and digest != expected[name]
    ]


# --------------------------------------------------------------------------------------- IDX

def parse_idx(content: bytes, name: str) -> np.ndarray:
    """Parse uncompressed IDX content: images -> uint8 (n, 28, 28), labels -> int64 (n,)."""
    if len(content) < 8:
        raise DataError(f"{name}: too short for an IDX header ({len(content)} bytes)")
    magic = int.from_bytes(content[:4], "big")
    count = int.from_bytes(content[4:8], "big")
    if magic == LABELS_MAGIC:
        header, item_size = 8, 1
    elif magic == IMAGES_MAGIC:
        if len(content) < 16:
            raise DataError(f"{name}: too short for an IDX image header ({len(content)} bytes)")
        rows = int.from_bytes(content[8:12], "big")
        cols = int.from_bytes(content[12:16], "big")
        if (rows, cols) != (IMAGE_SIDE, IMAGE_SIDE):
            raise DataError(f"{name}: images are {rows}x{cols}, expected 28x28")
        header, item_size = 16, PIXELS
    else:
        raise DataError(
            f"{name}: bad magic number 0x{magic:08x} (expected 0x{LABELS_MAGIC:08x} for labels "
            f"or 0x{IMAGES_MAGIC:08x} for images)"
        )
    kind = "labels" if magic == LABELS_MAGIC else "images"
    if count == 0:
        raise DataError(f"{name}: contains no {kind}")
    expected_size = header + count * item_size
    if len(content) != expected_size:
        problem = "truncated" if len(content) < expected_size else "has trailing bytes"
        raise DataError(
            f"{name}: {problem}: header says {count} {kind} ({expected_size} bytes), "
            f"file has {len(content)} bytes"
        )
    data = np.frombuffer(content, dtype=np.uint8, offset=header)
    if magic == IMAGES_MAGIC:
        return data.reshape(count, IMAGE_SIDE, IMAGE_SIDE).copy()
    labels = data.astype(np.int64)
    _check_label_range(labels, name)
    return labels


def _check_label_range(labels: np.ndarray, name: str) -> None:
    bad = np.flatnonzero((labels < 0) | (labels > 9))
    if bad.size:
        raise DataError(f"{name}: label {labels[bad[0]]} at index {bad[0]} is outside 0-9")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (.gz or raw): images -> uint8 (n, 28, 28); labels -> int64 (n,)."""
    path = Path(path)
    return parse_idx(_uncompressed_bytes(path), str(path))


# --------------------------------------------------------------------------------------- CSV

_LABEL_HEADER_NAMES = {"label", "labels", "class", "digit", "target", "y"}
_COMMA, _NEWLINE, _CR = 44, 10, 13


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _csv_header(first_line: str, name: str) -> tuple[bool, bool]:
    """Returns (has_header, labelled) from the first line."""
    cells = [c.strip().strip('"').strip("'") for c in first_line.split(",")]
    if all(_is_number(c) for c in cells if c):
        return False, True
    if cells[0].lower() in _LABEL_HEADER_NAMES:
        return True, True
    if len(cells) == PIXELS:
        return True, False
    raise DataError(
        f"{name} line 1: header starts with {cells[0]!r} and has {len(cells)} columns; "
        f"expected 'label' followed by 784 pixel columns"
    )


def read_csv(path: str | os.PathLike, *, require_labels: bool = True
             ) -> tuple[np.ndarray, np.ndarray | None]:
    """Read MNIST CSV: Kaggle style (header `label,pixel0..pixel783`) or headerless (label first).

    Returns images uint8 (n, 28, 28) and labels int64 (n,). A header of 784 pixel columns and no
    label (Kaggle's test.csv) is refused unless require_labels=False, which returns labels None.
    """
    path = Path(path)
    name = str(path)
    raw = _uncompressed_bytes(path)  # a .csv.gz is read as well
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw or raw.isspace():
        raise DataError(f"{name}: file is empty")
    first_end = raw.find(b"\n")
    first_end = len(raw) if first_end < 0 else first_end
    try:
        first_line = raw[:first_end].decode("utf-8").strip()
    except UnicodeDecodeError:
        raise DataError(f"{name} line 1: not UTF-8 text (is this really a CSV file?)") from None
    has_header, labelled = _csv_header(first_line, name)
    if not labelled and require_labels:
        raise DataError(
            f"{name}: no label column (784 pixel columns, like Kaggle's test.csv); "
            f"training and testing need labelled data such as Kaggle's train.csv"
        )
    columns = PIXELS + 1 if labelled else PIXELS
    body = raw[first_end + 1:] if has_header else raw
    first_line_number = 2 if has_header else 1
    values, line_numbers = _parse_csv_fast(body, columns, name, first_line_number)
    if values is None:
        values, line_numbers = _parse_csv_slow(body, columns, name, first_line_number)
    if values.shape[0] == 0:
        raise DataError(f"{name}: has a header but no data rows")
    pixels = values[:, 1:] if labelled else values
    bad_rows = np.flatnonzero(((pixels < 0) | (pixels > 255)).any(axis=1))
    if bad_rows.size:
        row = bad_rows[0]
        col = int(np.flatnonzero((pixels[row] < 0) | (pixels[row] > 255))[0])
        raise DataError(
            f"{name} line {line_numbers[row]}: pixel {col} value {_format_value(pixels[row, col])} "
            f"is outside 0-255"
        )
    images = pixels.astype(np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    if not labelled:
        return images, None
    labels = values[:, 0]
    bad_rows = np.flatnonzero((labels < 0) | (labels > 9))
    if bad_rows.size:
        row = bad_rows[0]
        raise DataError(
            f"{name} line {line_numbers[row]}: label {_format_value(labels[row])} is outside 0-9"
        )
    return images, labels.astype(np.int64)


def _format_value(value) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _gaps(positions: np.ndarray) -> np.ndarray:
    """Count of positions strictly between consecutive entries (from -1 for the first)."""
    gaps = np.empty_like(positions)
    if positions.size:
        gaps[0] = positions[0]
        np.subtract(positions[1:], positions[:-1], out=gaps[1:])
        gaps[1:] -= 1
    return gaps


_CSV_CHUNK_BYTES = 1 << 21  # small enough that the temporaries of a chunk stay in cache


def _parse_csv_fast(body: bytes, columns: int, name: str, first_line_number: int
                    ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Vectorised parse of plain unsigned integers separated by commas and newlines.

    Returns (values int32 (rows, columns), file line number per row), or (None, None) when the
    text holds anything else (decimals, signs, spaces, words): the slow parser then handles it and
    finds the offending cell. Structural problems (column count, empty cells) are reported here.
    The text is parsed in chunks of whole lines, which is several times faster than one pass
    over the whole file (far fewer page faults for the temporaries).
    """
    buf = np.frombuffer(body, dtype=np.uint8)
    if (buf == _CR).any():
        buf = buf[buf != _CR]
    if buf.size == 0 or buf[-1] != _NEWLINE:
        buf = np.append(buf, np.uint8(_NEWLINE))
    values, line_numbers = [], []
    start, line_number = 0, first_line_number
    while start < buf.size:
        stop = _end_of_line(buf, min(start + _CSV_CHUNK_BYTES, buf.size) - 1)
        parsed = _parse_csv_chunk(buf[start:stop], columns, name, line_number)
        if parsed is None:
            return None, None
        chunk_values, chunk_lines, line_count = parsed
        values.append(chunk_values)
        line_numbers.append(chunk_lines)
        start, line_number = stop, line_number + line_count
    return np.concatenate(values), np.concatenate(line_numbers)


def _end_of_line(buf: np.ndarray, position: int) -> int:
    """Index just after the first newline at or after `position` (buf ends with a newline)."""
    window = 1 << 14
    while True:
        found = np.flatnonzero(buf[position:position + window] == _NEWLINE)
        if found.size:
            return position + int(found[0]) + 1
        position += window
        window *= 4


def _parse_csv_chunk(buf: np.ndarray, columns: int, name: str, first_line_number: int
                     ) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Parse whole lines (buf ends with a newline): (values (rows, columns), line numbers, lines)."""
    if (buf > 57).any():  # letters and punctuation above the digits in ASCII
        return None
    # Every cell ends in a separator: a comma or newline, both below the digits in ASCII.
    separators = np.flatnonzero(buf < 48)
    kinds = buf[separators]
    is_line_end = kinds == _NEWLINE
    if not (is_line_end | (kinds == _COMMA)).all():  # spaces, signs, decimal points
        return None
    line_ends = np.flatnonzero(is_line_end)  # indices into `separators`
    cells_per_line = _gaps(line_ends) + 1
    lengths = _gaps(separators)  # digits in the cell ending at each separator
    blank = (cells_per_line == 1) & (lengths[line_ends] == 0)
    wrong_count = np.flatnonzero(~blank & (cells_per_line != columns))
    if wrong_count.size:
        line = int(wrong_count[0])
        raise DataError(f"{name} line {line + first_line_number}: expected {columns} columns, "
                        f"found {int(cells_per_line[line])}")
    if blank.any():
        keep = np.ones(separators.size, dtype=bool)
        keep[line_ends[blank]] = False
        separators, lengths = separators[keep], lengths[keep]
    rows = np.flatnonzero(~blank)
    line_numbers = rows + first_line_number
    empty = np.flatnonzero(lengths == 0)
    if empty.size:
        row, col = divmod(int(empty[0]), columns)
        raise DataError(f"{name} line {line_numbers[row]}, column {col + 1}: empty cell")
    values = buf[separators - 1].astype(np.int32) - 48
    for place, scale in ((2, 10), (3, 100)):  # cells of 0-255 have at most three digits
        digit = buf[np.maximum(separators - place, 0)].astype(np.int32) - 48
        values += np.where(lengths >= place, digit * scale, 0)
    for index in np.flatnonzero(lengths > 3):  # rare: leading zeros or out-of-range values
        digits = buf[separators[index] - lengths[index]:separators[index]].tobytes()
        values[index] = min(int(digits), np.iinfo(np.int32).max)
    return values.reshape(rows.size, columns), line_numbers, int(line_ends.size)


def _parse_csv_slow(body: bytes, columns: int, name: str, first_line_number: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Line-by-line parse that accepts any number syntax and names the first bad cell."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[:exc.start].count(b"\n") + first_line_number
        raise DataError(f"{name} line {line}: not UTF-8 text") from None
    rows: list[np.ndarray] = []
    line_numbers: list[int] = []
    for index, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        number = index + first_line_number
        cells = line.split(",")
        if len(cells) != columns:
            raise DataError(f"{name} line {number}: expected {columns} columns, found {len(cells)}")
        try:
            row = np.array(cells, dtype=np.float64)
        except ValueError:
            for col, cell in enumerate(cells):
                if not _is_number(cell):
                    what = "empty cell" if not cell.strip() else f"{cell.strip()!r} is not a number"
                    raise DataError(f"{name} line {number}, column {col + 1}: {what}") from None
            raise DataError(f"{name} line {number}: cannot parse as numbers") from None
        bad = np.flatnonzero(~np.isfinite(row) | (row != np.round(row)))
        if bad.size:
            col = int(bad[0])
            raise DataError(
                f"{name} line {number}, column {col + 1}: {cells[col].strip()!r} is not a whole number"
            )
        rows.append(row)
        line_numbers.append(number)
    if not rows:
        return np.zeros((0, columns)), np.zeros(0, dtype=np.int64)
    return np.asarray(rows), np.asarray(line_numbers)


# --------------------------------------------------------------------------------------- NPZ

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
    (n, 28, 28); labels: integers 0-9 of shape (n,) -> int64. Pickled (object) arrays are refused.
    """
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise DataError(f"{name}: no such file")
    if path.is_dir():
        raise DataError(f"{name}: is a folder, expected an .npz file")
    try:
        with open(path, "rb") as stream:
            signature = stream.read(6)
    except OSError as exc:
        raise DataError(f"{name}: cannot read ({one_line(exc.strerror or exc)})") from None
    if not signature:
        raise DataError(f"{name}: file is empty")
    if not signature.startswith(b"PK") and signature != b"\x93NUMPY":
        raise DataError(f"{name}: not an .npz archive (no zip signature)")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{name}: not a readable .npz archive ({one_line(exc)})") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise DataError(f"{name}: a single .npy array, expected an .npz archive of images and labels")
    with archive:
        keys = set(archive.files)
        for train_x, train_y, test_x, test_y in _NPZ_LAYOUTS:
            if {train_x, train_y} <= keys:
                splits = {"train": _npz_pair(archive, train_x, train_y, name)}
                if test_x is not None and {test_x, test_y} <= keys:
                    splits["test"] = _npz_pair(archive, test_x, test_y, name)
                return splits
    found = ", ".join(sorted(keys)) or "none"
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


def _npz_member(archive, key: str, name: str) -> np.ndarray:
    try:
        return archive[key]
    except ValueError as exc:
        if "pickle" in str(exc):
            raise DataError(f"{name}: array {key!r} holds Python objects (pickle); refused") from None
        raise DataError(f"{name}: array {key!r} is unreadable ({one_line(exc)})") from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise DataError(f"{name}: array {key!r} is corrupt ({one_line(exc)})") from None


def _npz_pair(archive, images_key: str, labels_key: str, name: str
              ) -> tuple[np.ndarray, np.ndarray]:
    images = _npz_member(archive, images_key, name)
    labels = _npz_member(archive, labels_key, name)
    if images.dtype.kind not in "uif":
        raise DataError(f"{name}: {images_key!r} has dtype {images.dtype}, expected integers 0-255")
    if images.ndim == 2 and images.shape[1] == PIXELS:
        images = images.reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(f"{name}: {images_key!r} has shape {images.shape}, expected (n, 28, 28) or (n, 784)")
    if images.shape[0] == 0:
        raise DataError(f"{name}: {images_key!r} holds no images")
    if images.dtype != np.uint8:
        if images.dtype.kind == "f" and not (np.isfinite(images).all() and (images == np.round(images)).all()):
            raise DataError(f"{name}: {images_key!r} holds non-integer pixel values, expected 0-255")
        if images.min() < 0 or images.max() > 255:
            raise DataError(f"{name}: {images_key!r} has pixel values outside 0-255 "
                            f"(min {_format_value(images.min())}, max {_format_value(images.max())})")
        images = images.astype(np.uint8)
    if labels.dtype.kind not in "ui" or labels.ndim != 1:
        raise DataError(f"{name}: {labels_key!r} has dtype {labels.dtype} and shape {labels.shape}, "
                        f"expected integers of shape (n,)")
    if labels.shape[0] != images.shape[0]:
        raise DataError(f"{name}: {images.shape[0]} images but {labels.shape[0]} labels")
    labels = labels.astype(np.int64)
    _check_label_range(labels, f"{name}: {labels_key!r}")
    return np.ascontiguousarray(images), labels


# ------------------------------------------------------------------------------ finding data

def mnist_cache_dir() -> Path:
    """The MNIST download cache: ``mnist/`` in the user cache folder (see model.userdata)."""
    return cache_dir() / "mnist"


def workplace_dir() -> Path | None:
    """The developers' shared data folder: $DIGITPAD_SHARED, else ../shared beside a source checkout;
    None for an installed copy (its parent folder is site-packages, not a workplace)."""
    shared = os.environ.get("DIGITPAD_SHARED")
    if shared:
        return Path(shared).expanduser()
    if not (REPO_ROOT / "pyproject.toml").is_file():
        return None
    return REPO_ROOT.parent / "shared"


def workplace_mnist_dir() -> Path | None:
    """The developers' copy of MNIST (see `workplace_dir`), or None."""
    root = workplace_dir()
    return None if root is None else root / "data" / "mnist"


def _idx_candidates(folder: Path, standard: str) -> list[Path]:
    # Some redistributions write 'train-images.idx3-ubyte' instead of 'train-images-idx3-ubyte'.
    names = (standard, standard.replace("-idx", ".idx"))
    return [folder / f"{n}{suffix}" for n in names for suffix in (".gz", "")]


def _find_idx(folder: Path, role: str) -> Path | None:
    for candidate in _idx_candidates(folder, IDX_FILES[role]):
        if candidate.is_file():
            return candidate
    return None


def _load_idx_pair(images_path: Path, labels_path: Path, checksums: dict[str, str]
                   ) -> tuple[np.ndarray, np.ndarray]:
    arrays = []
    for path, kind in ((images_path, "images"), (labels_path, "labels")):
        content = _uncompressed_bytes(path)
        array = parse_idx(content, str(path))
        if (array.ndim == 3) != (kind == "images"):
            raise DataError(f"{path}: holds {'images' if array.ndim == 3 else 'labels'}, expected {kind}")
        checksums[_standard_name(path)] = hashlib.sha256(content).hexdigest()
        arrays.append(array)
    images, labels = arrays
    if images.shape[0] != labels.shape[0]:
        raise DataError(f"{images_path}: {images.shape[0]} images but {labels_path.name} has "
                        f"{labels.shape[0]} labels")
    return images, labels


def _standard_name(path: Path) -> str:
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    return name.replace(".idx", "-idx")


def _no_images() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((0, IMAGE_SIDE, IMAGE_SIDE), np.uint8), np.zeros(0, np.int64)


def _load_idx_folder(folder: Path, test_only: bool = False) -> MnistData | None:
    found = {role: _find_idx(folder, role) for role in IDX_FILES}
    has_test = found["test_images"] is not None and found["test_labels"] is not None
    if test_only and not has_test:
        return None
    if not test_only and (found["train_images"] is None or found["train_labels"] is None):
        return None
    checksums: dict[str, str] = {}
    train = _no_images() if test_only else _load_idx_pair(found["train_images"], found["train_labels"], checksums)
    test: tuple[np.ndarray | None, np.ndarray | None] = (None, None)
    if has_test:
        test = _load_idx_pair(found["test_images"], found["test_labels"], checksums)
    return MnistData(*train, *test, source=f"{folder} (IDX)", checksums=checksums)


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(_uncompressed_bytes(path)).hexdigest()


def _load_csv_files(train_path: Path, test_path: Path | None) -> MnistData:
    checksums = {train_path.name: _file_sha256(train_path)}
    train = read_csv(train_path)
    test: tuple[np.ndarray | None, np.ndarray | None] = (None, None)
    if test_path is not None:
        test_images, test_labels = read_csv(test_path, require_labels=False)
        if test_labels is not None:  # Kaggle's test.csv is unlabelled: useless for evaluation
            test = (test_images, test_labels)
            checksums[test_path.name] = _file_sha256(test_path)
    if test[0] is not None:
        source = f"{train_path}, {test_path} (CSV)"
    elif test_path is not None:
        source = f"{train_path} (CSV; {test_path.name} has no labels, so no test split)"
    else:
        source = f"{train_path} (CSV)"
    return MnistData(*train, *test, source=source, checksums=checksums)


def _load_npz_file(path: Path) -> MnistData:
    splits = read_npz_splits(path)
    test = splits.get("test", (None, None))
    return MnistData(*splits["train"], *test, source=f"{path} (npz)",
                     checksums={path.name: _file_sha256(path)})


def _load_folder(folder: Path, test_only: bool = False) -> MnistData | None:
    data = _load_idx_folder(folder, test_only)
    if data is not None:
        return data
    for train_name, test_name in (("mnist_train.csv", "mnist_test.csv"), ("train.csv", "test.csv")):
        if (folder / train_name).is_file():
            test_path = folder / test_name
            return _load_csv_files(folder / train_name, test_path if test_path.is_file() else None)
    npz_files = sorted(folder.glob("*.npz"))
    preferred = [p for p in npz_files if p.name == "mnist.npz"]
    if preferred or len(npz_files) == 1:
        return _load_npz_file((preferred or npz_files)[0])
    return None


def _load_path(path: Path, what: str, test_only: bool = False) -> MnistData:
    if path.is_dir():
        data = _load_folder(path, test_only)
        if data is None:
            raise DataError(
                f"{what}: no MNIST files in {path} (expected {IDX_FILES['train_images']}[.gz] and "
                f"the other IDX files, train.csv / mnist_train.csv, or mnist.npz)"
            )
        return data
    if path.is_file():
        suffix = "".join(path.suffixes[-2:]).lower() if path.name.lower().endswith(".csv.gz") else path.suffix.lower()
        if suffix == ".npz":
            return _load_npz_file(path)
        if suffix in (".csv", ".csv.gz"):
            return _load_csv_files(path, None)
        raise DataError(f"{what}: {path} is neither a folder, an .npz nor a .csv file")
    raise DataError(f"{what}: {path}: no such file or folder")


def _roles(test_only: bool) -> dict[str, str]:
    return {role: name for role, name in IDX_FILES.items() if role.startswith("test_") or not test_only}


def _load_verified_cache(cache: Path, expected: dict[str, str], test_only: bool = False
                         ) -> tuple[MnistData | None, list[str]]:
    """Load the cached IDX files that match `expected`; returns (data or None, names to fetch)."""
    arrays: dict[str, np.ndarray] = {}
    checksums: dict[str, str] = {}
    missing: list[str] = []
    if test_only:
        arrays["train_images"], arrays["train_labels"] = _no_images()
    for role, standard in _roles(test_only).items():
        path = _find_idx(cache, role)
        try:
            if path is None:
                raise DataError(f"{standard}: not cached")
            content = _uncompressed_bytes(path)
            digest = hashlib.sha256(content).hexdigest()
            if digest != expected.get(standard):
                raise DataError(f"{path}: checksum mismatch")
            arrays[role] = parse_idx(content, str(path))
        except DataError:
            missing.append(standard)
            continue
        checksums[standard] = digest
    if missing:
        return None, missing
    for split in ("train", "test"):
        if arrays[f"{split}_images"].shape[0] != arrays[f"{split}_labels"].shape[0]:
            raise DataError(f"{cache}: cached {split} images and labels differ in count; "
                            f"delete the folder to download them again")
    return MnistData(arrays["train_images"], arrays["train_labels"], arrays["test_images"],
                     arrays["test_labels"], source=f"{cache} (IDX, cache)", checksums=checksums), []


def _where_to_put(cache: Path, test_only: bool = False) -> str:
    roles = _roles(test_only)
    names = ", ".join(f"{n}.gz" for n in roles.values())
    return f"put the {'two' if test_only else 'four'} MNIST files ({names}) in {cache}, or pass --data PATH"


def load_mnist(data: str | os.PathLike | None = None, *, download: bool = True,
               progress: bool = True, mirrors: list[str] | None = None,
               expected_sha256: dict[str, str] | None = None, test_only: bool = False) -> MnistData:
    """Load MNIST from `data` (folder or file) or, with data=None, from the first place that has it.

    test_only=True (evaluating, not training): an IDX source needs only the two test files, and
    only those are downloaded; the training arrays come back empty. CSV and npz files are read whole.

    Search order with data=None: $DIGITPAD_MNIST_DIR; the user cache (`mnist_cache_dir()`); the
    developers' copy ../shared/data/mnist beside a source checkout; a download from the mirrors
    ($DIGITPAD_MNIST_MIRRORS, comma-separated, overrides DEFAULT_MIRRORS) into the cache.
    Cached and downloaded IDX files are checked against `expected_sha256` (default MNIST_SHA256).
    """
    if data is not None:
        return _load_path(Path(data).expanduser(), "--data", test_only)
    env_dir = os.environ.get("DIGITPAD_MNIST_DIR")
    if env_dir:
        return _load_path(Path(env_dir).expanduser(), "DIGITPAD_MNIST_DIR", test_only)
    expected = MNIST_SHA256 if expected_sha256 is None else expected_sha256
    cache = mnist_cache_dir()
    cached, missing = _load_verified_cache(cache, expected, test_only)
    if cached is not None:
        return cached
    workplace = workplace_mnist_dir()
    if workplace is not None and workplace.is_dir():
        found = _load_folder(workplace, test_only)
        if found is not None:
            return found
    if not download:
        partial = len(missing) < len(_roles(test_only))
        detail = f" ({', '.join(missing)} missing or corrupt)" if partial else ""
        raise DataError(f"no MNIST data found{detail}: {_where_to_put(cache, test_only)}")
    download_mnist(cache, mirrors=mirrors, expected_sha256=expected, progress=progress,
                   names=missing)
    cached, missing = _load_verified_cache(cache, expected, test_only)
    if cached is None:  # another process spoiled the cache between download and load
        raise DataError(f"{cache}: {', '.join(missing)} changed after download; try again")
    cached.source = f"{cache} (IDX, downloaded to cache)"
    return cached


# ---------------------------------------------------------------------------------- download

def _mirrors_from_env() -> list[str]:
    value = os.environ.get("DIGITPAD_MNIST_MIRRORS", "")
    return [m.strip() for m in value.split(",") if m.strip()]


def download_mnist(cache: str | os.PathLike | None = None, *, mirrors: list[str] | None = None,
                   expected_sha256: dict[str, str] | None = None, progress: bool = True,
                   names: list[str] | None = None) -> Path:
    """Download the IDX .gz files into `cache` (default `mnist_cache_dir()`); returns the folder.

    Each file is tried on each mirror in turn; a file is kept only when it decompresses and the
    SHA-256 of its uncompressed content is the expected one, and it is written atomically, so the
    cache never holds a partial or corrupt file. Raises DataError when a file fails on every mirror.
    """
    cache = Path(cache) if cache is not None else mnist_cache_dir()
    expected = MNIST_SHA256 if expected_sha256 is None else expected_sha256
    mirrors = list(mirrors) if mirrors else (_mirrors_from_env() or list(DEFAULT_MIRRORS))
    names = list(IDX_FILES.values()) if names is None else names
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{cache}: cannot create the MNIST cache folder ({one_line(exc.strerror or exc)})") from None
    for standard in names:
        file_name = f"{standard}.gz"
        failures = []
        for mirror in mirrors:
            url = mirror if mirror.endswith("/") else mirror + "/"
            url += file_name
            try:
                payload = _fetch(url, file_name if progress else None)
                content = _gunzip_if_needed(payload, url)
                digest = hashlib.sha256(content).hexdigest()
                if digest != expected.get(standard):
                    raise DataError(f"{url}: checksum mismatch")
            except DataError as exc:
                failures.append(f"{mirror}: {_short_reason(str(exc))}")
                if progress:
                    sys.stderr.write(f"  {file_name} from {failures[-1]}\n")
                continue
            try:
                atomic_write_bytes(cache / file_name, payload)
            except OSError as exc:
                raise DataError(f"{cache / file_name}: cannot write ({one_line(exc.strerror or exc)})") from None
            break
        else:
            raise DataError(
                f"could not download {file_name} ({'; '.join(failures)}); {_where_to_put(cache)}"
            )
    return cache


def _short_reason(message: str) -> str:
    # The mirror is already named; keep the part after the URL.
    return message.split(": ", 1)[1] if ": " in message else message


def _fetch(url: str, label: str | None) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            total = int(response.headers.get("Content-Length") or 0)
            interactive = sys.stderr.isatty()
            chunks, received, shown = [], 0, 0.0
            while True:
                chunk = response.read(1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
                received += len(chunk)
                # Redraw at most ten times a second, and not at all into a log file.
                if label and interactive and time.monotonic() - shown > 0.1:
                    _show_progress(label, received, total)
                    shown = time.monotonic()
            if label:
                _show_progress(label, received, total)
                sys.stderr.write("\n")
                sys.stderr.flush()
            if total and received != total:
                raise DataError(f"{url}: connection closed after {received} of {total} bytes")
            return b"".join(chunks)
    except DataError:
        raise
    except urllib.error.HTTPError as exc:
        raise DataError(f"{url}: HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        raise DataError(f"{url}: {one_line(exc.reason)}") from None
    except (OSError, ValueError, http.client.HTTPException) as exc:  # timeouts, resets, bad URLs
        raise DataError(f"{url}: {one_line(exc)}") from None


def _show_progress(label: str, received: int, total: int) -> None:
    width = 30
    if total:
        done = min(received / total, 1.0)
        bar = "#" * int(done * width) + "." * (width - int(done * width))
        text = f"\r  {label} [{bar}] {done:4.0%} {_size(received)} of {_size(total)}"
    else:
        text = f"\r  {label} {_size(received)}"
    sys.stderr.write(text)
    sys.stderr.flush()


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 1e6 else f"{count / 1e3:.1f} kB"


# --------------------------------------------------------------------------------------- CLI

def main(argv: list[str] | None = None) -> int:
    """`python -m model.data [--data PATH] [--no-download] [--json]`: find MNIST and check it."""
    import argparse
    import json

    parser = argparse.ArgumentParser(
        prog="python -m model.data",
        description="Find MNIST (as train.py does), load it, and report its size and checksums.")
    parser.add_argument("--data", help="an MNIST folder or file (IDX, CSV or npz); default: search")
    parser.add_argument("--no-download", action="store_true", help="never download")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        data = load_mnist(args.data, download=not args.no_download, progress=not args.json)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = {
        "source": data.source,
        "train": int(data.train_labels.shape[0]),
        "test": None if data.test_labels is None else int(data.test_labels.shape[0]),
        "checksums": data.checksums,
        "official": data.is_official,
        "mismatches": verify_checksums(data.checksums),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"source: {report['source']}")
    print(f"train: {report['train']} images, test: {report['test'] or 'none'}")
    for name, digest in sorted(data.checksums.items()):
        print(f"{digest}  {name}")
    print("official MNIST: " + ("yes" if data.is_official else "no (checksums differ or not the IDX set)"))
    for line in report["mismatches"]:
        print(f"mismatch: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
