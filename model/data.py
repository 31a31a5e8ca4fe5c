"""MNIST loading: IDX (.gz or raw), CSV (Kaggle with header, or headerless), and .npz.

The readers live in model.mnist_readers and model.mnist_csv (re-exported here): images come as uint8 arrays of shape
(n, 28, 28) (white ink on black, as MNIST) and labels as int64 arrays of shape (n,). Every problem
with a file raises `DataError` whose message is one line naming the file (and, for CSV, the line
number), and no file makes a reader allocate more than model.limits allows.

`load_mnist()` finds the data: an explicit path, then $DIGITPAD_MNIST_DIR, then the user cache,
then the workplace copy beside the repository, then a download from the public mirrors into the
cache (verified against the known SHA-256 of the uncompressed files, written atomically).
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model.atomic import atomic_write_bytes
from model.limits import MAX_DOWNLOAD_BYTES, MiB
from model.mnist_readers import (  # noqa: F401  (re-exported: model.data is the public name)
    IMAGE_SIDE,
    IMAGES_MAGIC,
    LABELS_MAGIC,
    PIXELS,
    DataError,
    parse_idx,
    read_idx,
    read_idx_with_sha256,
    read_npz,
    read_npz_splits,
    read_stream,
    sha256_uncompressed,
)
from model.mnist_csv import read_csv
from model.oneline import one_line
from model.userdata import cache_dir

__all__ = [
    "DataError",
    "MnistData",
    "IDX_FILES",
    "MNIST_SHA256",
    "DEFAULT_MIRRORS",
    "parse_idx",
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

def _gunzip_if_needed(raw: bytes, name: str) -> bytes:
    """Decompress gzip content (recognised by its magic bytes), refusing more than
    MAX_DOWNLOAD_BYTES: a download is checked against a known checksum, so no real file is larger."""
    if raw[:2] != b"\x1f\x8b":
        return raw
    with gzip.GzipFile(fileobj=io.BytesIO(raw), mode="rb") as stream:
        content = read_stream(stream, MAX_DOWNLOAD_BYTES + 1, name)
    if len(content) > MAX_DOWNLOAD_BYTES:
        raise DataError(f"{name}: decompresses to more than {MAX_DOWNLOAD_BYTES // MiB} MiB")
    return content


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
        array, digest = read_idx_with_sha256(path)
        if (array.ndim == 3) != (kind == "images"):
            raise DataError(f"{path}: holds {'images' if array.ndim == 3 else 'labels'}, expected {kind}")
        checksums[_standard_name(path)] = digest
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


def _load_csv_files(train_path: Path, test_path: Path | None) -> MnistData:
    train = read_csv(train_path)  # first: it refuses an oversized file before it is hashed
    checksums = {train_path.name: sha256_uncompressed(train_path)}
    test: tuple[np.ndarray | None, np.ndarray | None] = (None, None)
    if test_path is not None:
        test_images, test_labels = read_csv(test_path, require_labels=False)
        if test_labels is not None:  # Kaggle's test.csv is unlabelled: useless for evaluation
            test = (test_images, test_labels)
            checksums[test_path.name] = sha256_uncompressed(test_path)
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
                     checksums={path.name: sha256_uncompressed(path)})


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
            array, digest = read_idx_with_sha256(path)
            if digest != expected.get(standard):
                raise DataError(f"{path}: checksum mismatch")
            arrays[role] = array
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
                if received > MAX_DOWNLOAD_BYTES:
                    raise DataError(f"{url}: larger than {MAX_DOWNLOAD_BYTES // MiB} MiB; not an MNIST file")
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
