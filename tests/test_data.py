"""MNIST readers (IDX, CSV, npz), the search order of load_mnist, and the download path.

Every file is made in the test; the download path is exercised against a local HTTP server on
127.0.0.1 serving small fixture IDX files. Only the last tests read the workplace copy of MNIST
(and skip without it).
"""
from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import importlib.util
import io
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from model import data as data_module
from model import mnist_csv, mnist_readers
from model.data import (
    IDX_FILES,
    MNIST_SHA256,
    DataError,
    download_mnist,
    load_mnist,
    mnist_cache_dir,
    read_csv,
    read_idx,
    read_npz,
    read_npz_splits,
    sha256_uncompressed,
    verify_checksums,
)

# ------------------------------------------------------------------------------ fixture data


def idx_images(images: np.ndarray, rows: int = 28, cols: int = 28) -> bytes:
    header = (0x803).to_bytes(4, "big") + len(images).to_bytes(4, "big")
    return header + rows.to_bytes(4, "big") + cols.to_bytes(4, "big") + images.astype(np.uint8).tobytes()


def idx_labels(labels: np.ndarray) -> bytes:
    return (0x801).to_bytes(4, "big") + len(labels).to_bytes(4, "big") + np.asarray(labels, np.uint8).tobytes()


def small_set(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8), rng.integers(0, 10, size=n).astype(np.int64)


TRAIN = small_set(12, seed=1)
TEST = small_set(5, seed=2)


def fixture_contents() -> dict[str, bytes]:
    """Uncompressed content of the four fixture IDX files, by standard name."""
    return {
        IDX_FILES["train_images"]: idx_images(TRAIN[0]),
        IDX_FILES["train_labels"]: idx_labels(TRAIN[1]),
        IDX_FILES["test_images"]: idx_images(TEST[0]),
        IDX_FILES["test_labels"]: idx_labels(TEST[1]),
    }


FIXTURE_SHA256 = {name: hashlib.sha256(content).hexdigest() for name, content in fixture_contents().items()}


def write_idx_folder(folder: Path, *, compress: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in fixture_contents().items():
        if compress:
            (folder / f"{name}.gz").write_bytes(gzip.compress(content))
        else:
            (folder / name).write_bytes(content)
    return folder


def csv_text(images: np.ndarray, labels: np.ndarray | None, *, header: bool, newline: str = "\n") -> str:
    lines = []
    if header:
        names = [f"pixel{i}" for i in range(784)]
        lines.append(",".join((["label"] if labels is not None else []) + names))
    for index, image in enumerate(images):
        cells = [str(v) for v in image.reshape(-1)]
        if labels is not None:
            cells.insert(0, str(labels[index]))
        lines.append(",".join(cells))
    return newline.join(lines) + newline


def csv_row(label: str = "3", pixels: list[str] | None = None) -> str:
    return ",".join([label] + (pixels if pixels is not None else ["0"] * 784))


@pytest.fixture
def isolated_env(tmp_path, monkeypatch):
    """No MNIST anywhere: empty cache in tmp_path, no env folder, no workplace copy, no mirrors."""
    cache = tmp_path / "cache" / "mnist"
    monkeypatch.delenv("DIGITPAD_MNIST_DIR", raising=False)
    monkeypatch.delenv("DIGITPAD_MNIST_MIRRORS", raising=False)
    monkeypatch.setenv("DIGITPAD_CACHE_DIR", str(cache.parent))
    monkeypatch.setenv("DIGITPAD_SHARED", str(tmp_path / "no-shared"))
    return cache


# ------------------------------------------------------------------------------------- IDX


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_images_and_labels(tmp_path, compress):
    folder = write_idx_folder(tmp_path, compress=compress)
    suffix = ".gz" if compress else ""
    images = read_idx(folder / f"train-images-idx3-ubyte{suffix}")
    labels = read_idx(folder / f"train-labels-idx1-ubyte{suffix}")
    assert images.dtype == np.uint8 and images.shape == (12, 28, 28)
    assert labels.dtype == np.int64 and labels.shape == (12,)
    np.testing.assert_array_equal(images, TRAIN[0])
    np.testing.assert_array_equal(labels, TRAIN[1])
    assert images.flags.writeable


@pytest.mark.parametrize("content, message", [
    (b"\x00\x00\x08\x02" + (1).to_bytes(4, "big") + b"\x00", "bad magic number 0x00000802"),
    (b"\x00\x00", "too short for an IDX header"),
    (idx_labels(np.array([1, 2, 3]))[:-1], "truncated: header says 3 labels (11 bytes), file has 10 bytes"),
    (idx_labels(np.array([1, 2, 3])) + b"\x00", "has trailing bytes"),
    (idx_images(np.zeros((2, 28, 28)))[:-5], "truncated: header says 2 images"),
    (idx_images(np.zeros((2, 28, 27)), cols=27), "images are 28x27, expected 28x28"),
    (idx_labels(np.array([1, 10, 3])), "label 10 at index 1 is outside 0-9"),
    (idx_labels(np.array([], dtype=np.uint8)), "contains no labels"),
])
def test_read_idx_refuses_malformed_files(tmp_path, content, message):
    path = tmp_path / "bad-idx1-ubyte"
    path.write_bytes(content)
    with pytest.raises(DataError) as caught:
        read_idx(path)
    text = str(caught.value)
    assert message in text and str(path) in text and "\n" not in text


def test_read_idx_refuses_corrupt_gzip_and_missing_file(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_labels(np.arange(10)))[:-8])
    with pytest.raises(DataError, match="not a valid gzip file"):
        read_idx(path)
    with pytest.raises(DataError, match="no such file"):
        read_idx(tmp_path / "absent")


def test_idx_counts_over_the_limit_are_refused_before_allocating(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_images(np.zeros((0, 28, 28)))[:4] + (10 ** 9).to_bytes(4, "big")
                                   + (28).to_bytes(4, "big") * 2))
    with pytest.raises(DataError, match="header says 1000000000 images, more than the 1000000 this program reads"):
        read_idx(path)


def test_an_idx_stream_longer_than_its_header_says_is_refused_early(tmp_path):
    """A gzip bomb: 3 labels declared, then a gigabyte of zeros (one small gzip member repeated).
    Reading stops a megabyte past the declared size."""
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    member = gzip.compress(bytes(1 << 20), mtime=0)
    path.write_bytes(gzip.compress(idx_labels(np.array([1, 2, 3])), mtime=0) + member * 1024)
    with pytest.raises(DataError, match=r"has trailing bytes: header says 3 labels \(11 bytes\), file has more than"):
        read_idx(path)
    path.write_bytes(gzip.compress(idx_labels(np.array([1, 2, 3])) + b"\0" * 5))
    with pytest.raises(DataError, match=r"has trailing bytes: .* file has 16 bytes"):
        read_idx(path)


def test_the_checksum_is_taken_while_streaming(tmp_path):
    content = idx_images(TRAIN[0])
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(content))
    images, digest = mnist_readers.read_idx_with_sha256(path)
    assert digest == hashlib.sha256(content).hexdigest() == sha256_uncompressed(path)
    np.testing.assert_array_equal(images, TRAIN[0])


@pytest.mark.parametrize("reader, name", [(read_idx, "x-idx1-ubyte"), (read_csv, "x.csv"), (read_npz, "x.npz")])
def test_permission_denied_is_said_so(tmp_path, monkeypatch, reader, name):
    path = tmp_path / name
    path.write_bytes(b"PK" + b"\0" * 30)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr("builtins.open", refuse)
    with pytest.raises(DataError, match=f"{name}: cannot read \\(permission denied\\)"):
        reader(path)


# ------------------------------------------------------------------------------------- CSV


@pytest.mark.parametrize("header", [True, False])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_read_csv_with_and_without_header(tmp_path, header, newline):
    path = tmp_path / "train.csv"
    path.write_text(csv_text(*TRAIN, header=header, newline=newline))
    images, labels = read_csv(path)
    assert images.dtype == np.uint8 and images.shape == (12, 28, 28)
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(images, TRAIN[0])
    np.testing.assert_array_equal(labels, TRAIN[1])


def test_read_csv_accepts_decimals_blank_lines_and_missing_final_newline(tmp_path):
    path = tmp_path / "odd.csv"
    rows = [csv_row("7.0", ["255.0"] + ["0"] * 783), "", csv_row("1", ["0"] * 783 + ["0012"])]
    path.write_text("\n".join(rows))
    images, labels = read_csv(path)
    assert labels.tolist() == [7, 1]
    assert images[0, 0, 0] == 255 and images[1, 27, 27] == 12


def test_read_csv_gzip_compressed(tmp_path):
    path = tmp_path / "mnist_train.csv.gz"
    path.write_bytes(gzip.compress(csv_text(*TRAIN, header=False).encode()))
    np.testing.assert_array_equal(read_csv(path)[0], TRAIN[0])
    loaded = load_mnist(path)
    assert_fixture_data(loaded, with_test=False)
    assert loaded.checksums["mnist_train.csv.gz"] == hashlib.sha256(csv_text(*TRAIN, header=False).encode()).hexdigest()


def test_read_csv_fast_and_slow_paths_agree(tmp_path):
    plain = tmp_path / "plain.csv"
    plain.write_text(csv_text(*TEST, header=False))
    spaced = tmp_path / "spaced.csv"  # a space sends the file down the line-by-line parser
    spaced.write_text(csv_text(*TEST, header=False).replace(",", ", "))
    for got, want in zip(read_csv(plain), read_csv(spaced)):
        np.testing.assert_array_equal(got, want)


def test_read_csv_line_numbers_survive_chunking(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist_csv, "_CSV_CHUNK_BYTES", 3000)  # about two rows a chunk
    text = csv_text(*TRAIN, header=True).replace("\n", "\n\n", 3)  # blank lines 2, 4, 6
    path = tmp_path / "chunked.csv"
    path.write_text(text)
    images, labels = read_csv(path)
    np.testing.assert_array_equal(images, TRAIN[0])
    np.testing.assert_array_equal(labels, TRAIN[1])
    lines = text.split("\n")
    lines[11] = lines[11].rsplit(",", 1)[0]  # line 12 (the 8th row) loses a column
    path.write_text("\n".join(lines))
    with pytest.raises(DataError, match=r"chunked\.csv line 12: expected 785 columns, found 784"):
        read_csv(path)
    lines = text.split("\n")
    lines[12] = "11" + lines[12][1:]  # line 13's label
    path.write_text("\n".join(lines))
    with pytest.raises(DataError, match=r"chunked\.csv line 13: label 11 is outside 0-9"):
        read_csv(path)


@pytest.mark.parametrize("lines, message", [
    ([csv_row(), csv_row(pixels=["0"] * 783)], "bad.csv line 3: expected 785 columns, found 784"),
    ([csv_row(), csv_row(pixels=["0"] * 785)], "bad.csv line 3: expected 785 columns, found 786"),
    ([csv_row(), csv_row(pixels=["0"] * 100 + ["abc"] + ["0"] * 683)], "bad.csv line 3, column 102: 'abc' is not a number"),
    ([csv_row(), csv_row(pixels=["0"] * 10 + [""] + ["0"] * 773)], "bad.csv line 3, column 12: empty cell"),
    ([csv_row(), csv_row(pixels=["0"] * 5 + ["256"] + ["0"] * 778)], "bad.csv line 3: pixel 5 value 256 is outside 0-255"),
    ([csv_row(), csv_row(pixels=["-1"] + ["0"] * 783)], "bad.csv line 3: pixel 0 value -1 is outside 0-255"),
    ([csv_row(), csv_row(pixels=["1000"] + ["0"] * 783)], "bad.csv line 3: pixel 0 value 1000 is outside 0-255"),
    ([csv_row(), csv_row(label="10")], "bad.csv line 3: label 10 is outside 0-9"),
    ([csv_row(), csv_row(pixels=["0.5"] + ["0"] * 783)], "bad.csv line 3, column 2: '0.5' is not a whole number"),
])
def test_read_csv_names_the_line_of_each_problem(tmp_path, lines, message):
    path = tmp_path / "bad.csv"
    header = ",".join(["label"] + [f"pixel{i}" for i in range(784)])
    path.write_text("\n".join([header] + lines) + "\n")
    with pytest.raises(DataError) as caught:
        read_csv(path)
    assert str(caught.value) == f"{tmp_path}/{message}"


def test_read_csv_headerless_with_784_columns_is_refused_at_line_1(tmp_path):
    path = tmp_path / "short.csv"
    path.write_text(",".join(["0"] * 784) + "\n")
    with pytest.raises(DataError, match=r"short\.csv line 1: expected 785 columns, found 784"):
        read_csv(path)


def test_read_csv_kaggle_test_file_has_no_labels(tmp_path):
    path = tmp_path / "test.csv"
    path.write_text(csv_text(TEST[0], None, header=True))
    with pytest.raises(DataError, match="no label column.*Kaggle's test.csv"):
        read_csv(path)
    images, labels = read_csv(path, require_labels=False)
    assert labels is None
    np.testing.assert_array_equal(images, TEST[0])


@pytest.mark.parametrize("content, message", [
    ("", "file is empty"),
    ("\n  \n", "file is empty"),
    ("label," + ",".join(f"pixel{i}" for i in range(784)) + "\n", "has a header but no data rows"),
    ("name,age\nbob,3\n", "line 1: header starts with 'name' and has 2 columns"),
])
def test_read_csv_refuses_empty_and_unknown_files(tmp_path, content, message):
    path = tmp_path / "x.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        read_csv(path)


def test_read_csv_refuses_binary_content(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DataError, match=r"binary\.csv line 1: not UTF-8"):
        read_csv(path)


def test_a_csv_larger_than_the_limit_is_refused_at_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist_csv, "MAX_CSV_BYTES", 100_000)
    row = (csv_row() + "\n").encode()
    path = tmp_path / "bomb.csv.gz"
    path.write_bytes(gzip.compress(row * 10) * 100)  # 100 gzip members, 1.6 MB of CSV
    with pytest.raises(DataError, match=r"bomb\.csv\.gz: larger than 0 MiB of CSV"):
        read_csv(path)


def test_read_csv_reports_the_first_problem_in_file_order(tmp_path, monkeypatch):
    """Rows are checked block by block as they are parsed: a bad label on line 2 is reported
    before a short row further down."""
    monkeypatch.setattr(mnist_csv, "_CSV_CHUNK_BYTES", 3000)
    rows = [csv_row(), csv_row(label="12")] + [csv_row()] * 5 + [csv_row(pixels=["0"] * 783)]
    path = tmp_path / "order.csv"
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(DataError, match=r"order\.csv line 2: label 12 is outside 0-9"):
        read_csv(path)


# ------------------------------------------------------------------------------------- NPZ


def test_read_npz_keras_layout_gives_both_splits(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez_compressed(path, x_train=TRAIN[0], y_train=TRAIN[1].astype(np.uint8), x_test=TEST[0], y_test=TEST[1])
    splits = read_npz_splits(path)
    np.testing.assert_array_equal(splits["train"][0], TRAIN[0])
    np.testing.assert_array_equal(splits["test"][1], TEST[1])
    assert splits["train"][1].dtype == np.int64
    images, labels = read_npz(path, split="test")
    np.testing.assert_array_equal(images, TEST[0])


@pytest.mark.parametrize("keys", [("x", "y"), ("images", "labels")])
def test_read_npz_single_split_and_flat_images(tmp_path, keys):
    path = tmp_path / "one.npz"
    np.savez(path, **{keys[0]: TRAIN[0].reshape(12, 784).astype(np.float32), keys[1]: TRAIN[1]})
    images, labels = read_npz(path)
    assert images.dtype == np.uint8 and images.shape == (12, 28, 28)
    np.testing.assert_array_equal(images, TRAIN[0])
    with pytest.raises(DataError, match="has no 'test' split"):
        read_npz(path, split="test")


@pytest.mark.parametrize("arrays, message", [
    ({"foo": np.zeros(3)}, r"keys \[foo\]; expected x_train/y_train"),
    ({"x": np.zeros((2, 28, 27)), "y": np.zeros(2, int)}, r"shape \(2, 28, 27\), expected"),
    ({"x": np.zeros((2, 28, 28)), "y": np.zeros(3, int)}, "2 images but 3 labels"),
    ({"x": np.full((2, 28, 28), 300), "y": np.zeros(2, int)}, "outside 0-255"),
    ({"x": np.full((2, 28, 28), 0.5), "y": np.zeros(2, int)}, "non-integer pixel values"),
    ({"x": np.zeros((2, 28, 28)), "y": np.array([0, 11])}, "label 11 at index 1 is outside 0-9"),
    ({"x": np.zeros((2, 28, 28)), "y": np.zeros(2)}, "expected integers of shape"),
    ({"x": np.zeros((0, 28, 28)), "y": np.zeros(0, int)}, "holds no images"),
])
def test_read_npz_refuses_malformed_archives(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(DataError, match=message):
        read_npz(path)


def test_read_npz_checks_declared_sizes_before_reading(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "|u1", "fortran_order": False, "shape": (10 ** 12, 28, 28)})
    labels = io.BytesIO()
    np.lib.format.write_array(labels, np.zeros(3, np.int64))
    path = tmp_path / "lying.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("x.npy", header.getvalue())
        archive.writestr("y.npy", labels.getvalue())
        archive.writestr("notes", b"not an array: ignored")
    with pytest.raises(DataError, match="1000000000000 images but 3 labels"):
        read_npz(path)


def test_read_npz_ignores_members_it_does_not_use(tmp_path):
    path = tmp_path / "extra.npz"
    np.savez(path, x=TRAIN[0], y=TRAIN[1])
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("readme.txt", b"hello")
        archive.writestr("junk.npy", b"\x93NUMPY broken")
    np.testing.assert_array_equal(read_npz(path)[0], TRAIN[0])


def test_read_npz_refuses_pickles_and_non_archives(tmp_path):
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, x=np.array([{"evil": 1}, None], dtype=object), y=np.zeros(2, int))
    with pytest.raises(DataError, match="pickle"):
        read_npz(pickled)
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"definitely not a zip")
    with pytest.raises(DataError, match="not an .npz archive"):
        read_npz(junk)
    broken = tmp_path / "broken.npz"
    broken.write_bytes(pickled.read_bytes()[:40])
    with pytest.raises(DataError, match="broken.npz"):
        read_npz(broken)
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    with pytest.raises(DataError, match="file is empty"):
        read_npz(empty)


# ------------------------------------------------------------------------- load_mnist(data)


def assert_fixture_data(loaded, *, with_test: bool = True) -> None:
    np.testing.assert_array_equal(loaded.train_images, TRAIN[0])
    np.testing.assert_array_equal(loaded.train_labels, TRAIN[1])
    if with_test:
        np.testing.assert_array_equal(loaded.test_images, TEST[0])
        np.testing.assert_array_equal(loaded.test_labels, TEST[1])
    else:
        assert loaded.test_images is None and loaded.test_labels is None


def test_load_idx_folder_mixing_gz_raw_and_dotted_names(tmp_path):
    folder = write_idx_folder(tmp_path / "mnist")
    (folder / "t10k-images-idx3-ubyte.gz").unlink()
    (folder / "t10k-images.idx3-ubyte").write_bytes(fixture_contents()["t10k-images-idx3-ubyte"])
    loaded = load_mnist(folder, download=False)
    assert_fixture_data(loaded)
    assert loaded.checksums == FIXTURE_SHA256
    assert str(folder) in loaded.source
    assert not loaded.is_official
    assert verify_checksums(loaded.checksums, FIXTURE_SHA256) == []
    assert len(verify_checksums(loaded.checksums)) == 4


def test_load_idx_folder_with_swapped_or_mismatched_files(tmp_path):
    folder = write_idx_folder(tmp_path / "swapped")
    (folder / "train-labels-idx1-ubyte.gz").write_bytes((folder / "train-images-idx3-ubyte.gz").read_bytes())
    with pytest.raises(DataError, match="train-labels-idx1-ubyte.gz: holds images, expected labels"):
        load_mnist(folder)
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_labels(TRAIN[1][:5])))
    with pytest.raises(DataError, match="12 images but train-labels-idx1-ubyte.gz has 5 labels"):
        load_mnist(folder)


def test_load_csv_folders_and_files(tmp_path):
    mnist_csv = tmp_path / "mnist_csv"
    mnist_csv.mkdir()
    (mnist_csv / "mnist_train.csv").write_text(csv_text(*TRAIN, header=False))
    (mnist_csv / "mnist_test.csv").write_text(csv_text(*TEST, header=False))
    loaded = load_mnist(mnist_csv)
    assert_fixture_data(loaded)
    assert set(loaded.checksums) == {"mnist_train.csv", "mnist_test.csv"}

    kaggle = tmp_path / "kaggle"
    kaggle.mkdir()
    (kaggle / "train.csv").write_text(csv_text(*TRAIN, header=True))
    (kaggle / "test.csv").write_text(csv_text(TEST[0], None, header=True))
    loaded = load_mnist(kaggle)
    assert_fixture_data(loaded, with_test=False)  # Kaggle's test.csv has no labels to test with
    assert "test.csv has no labels" in loaded.source
    assert loaded.checksums == {"train.csv": hashlib.sha256((kaggle / "train.csv").read_bytes()).hexdigest()}

    assert_fixture_data(load_mnist(kaggle / "train.csv"), with_test=False)


def test_load_npz_file_and_folder(tmp_path):
    path = tmp_path / "keras" / "mnist.npz"
    path.parent.mkdir()
    np.savez_compressed(path, x_train=TRAIN[0], y_train=TRAIN[1], x_test=TEST[0], y_test=TEST[1])
    assert_fixture_data(load_mnist(path))
    loaded = load_mnist(path.parent)
    assert_fixture_data(loaded)
    assert "npz" in loaded.source


def test_load_mnist_refuses_unknown_paths(tmp_path):
    with pytest.raises(DataError, match="--data: .*absent: no such file or folder"):
        load_mnist(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no MNIST files in"):
        load_mnist(tmp_path / "empty")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(DataError, match="neither a folder, an .npz nor a .csv"):
        load_mnist(tmp_path / "notes.txt")


def test_sha256_uncompressed_ignores_compression(tmp_path):
    folder = write_idx_folder(tmp_path / "gz")
    raw = write_idx_folder(tmp_path / "raw", compress=False)
    name = "train-images-idx3-ubyte"
    assert sha256_uncompressed(folder / f"{name}.gz") == sha256_uncompressed(raw / name) == FIXTURE_SHA256[name]


# ----------------------------------------------------------------------------- search order


def test_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DIGITPAD_CACHE_DIR", str(tmp_path / "explicit"))
    assert mnist_cache_dir() == tmp_path / "explicit" / "mnist"
    monkeypatch.delenv("DIGITPAD_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert mnist_cache_dir() == tmp_path / "xdg" / "digit-pad" / "mnist"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert mnist_cache_dir() == tmp_path / "home" / ".cache" / "digit-pad" / "mnist"


def test_offline_without_data_says_where_to_put_the_files(isolated_env):
    with pytest.raises(DataError) as caught:
        load_mnist(download=False)
    text = str(caught.value)
    assert f"in {isolated_env}" in text and "--data" in text and "train-images-idx3-ubyte.gz" in text
    assert "\n" not in text


def test_env_folder_comes_before_the_cache(isolated_env, tmp_path, monkeypatch):
    monkeypatch.setattr(data_module, "MNIST_SHA256", FIXTURE_SHA256)
    write_idx_folder(isolated_env)
    loaded = load_mnist(download=False)
    assert "cache" in loaded.source
    assert_fixture_data(loaded)

    env_folder = tmp_path / "env"
    env_folder.mkdir()
    np.savez(env_folder / "mnist.npz", x=TEST[0], y=TEST[1])
    monkeypatch.setenv("DIGITPAD_MNIST_DIR", str(env_folder))
    loaded = load_mnist(download=False)
    assert str(env_folder) in loaded.source
    np.testing.assert_array_equal(loaded.train_labels, TEST[1])

    monkeypatch.setenv("DIGITPAD_MNIST_DIR", str(tmp_path / "missing"))
    with pytest.raises(DataError, match="DIGITPAD_MNIST_DIR: .*missing: no such file or folder"):
        load_mnist(download=False)


def test_cache_comes_before_the_workplace_copy(isolated_env, tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    write_idx_folder(shared / "data" / "mnist")
    monkeypatch.setenv("DIGITPAD_SHARED", str(shared))
    loaded = load_mnist(download=False)
    assert str(shared) in loaded.source  # the cache is empty, so the workplace copy is used

    isolated_env.mkdir(parents=True)
    np.savez(isolated_env / "decoy.npz", x=TEST[0], y=TEST[1])  # not IDX: ignored by the cache
    assert str(shared) in load_mnist(download=False).source
    write_idx_folder(isolated_env)
    monkeypatch.setattr(data_module, "MNIST_SHA256", FIXTURE_SHA256)
    assert str(isolated_env) in load_mnist(download=False).source


def test_corrupt_cached_file_is_not_used(isolated_env, monkeypatch):
    monkeypatch.setattr(data_module, "MNIST_SHA256", FIXTURE_SHA256)
    write_idx_folder(isolated_env)
    (isolated_env / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_labels(np.zeros(5))))
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte missing or corrupt.*--data"):
        load_mnist(download=False)


# --------------------------------------------------------------------------------- download


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the test output clean
        pass

    def do_GET(self):
        if self.path.startswith("/cut/"):  # promises 100 kB, sends 10 bytes, hangs up
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b"\x1f\x8b" + bytes(8))
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()


@pytest.fixture
def mirror_server(tmp_path):
    """A local HTTP server; returns (root folder it serves, base URL)."""
    root = tmp_path / "www"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield root, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def make_mirror(root: Path, name: str, *, corrupt: str | None = None) -> None:
    """A mirror folder with the four .gz files; corrupt='checksum' or 'gzip' spoils every file."""
    folder = root / name
    folder.mkdir()
    for standard, content in fixture_contents().items():
        payload = gzip.compress(content)
        if corrupt == "checksum":
            payload = gzip.compress(content[:-1] + bytes([(content[-1] + 1) % 256]))
        elif corrupt == "gzip":
            payload = payload[: len(payload) // 2]
        (folder / f"{standard}.gz").write_bytes(payload)


def cache_listing(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def test_download_skips_a_404_mirror_verifies_and_caches(isolated_env, mirror_server, monkeypatch, capsys):
    root, base = mirror_server
    (root / "empty").mkdir()
    make_mirror(root, "good")
    monkeypatch.setenv("DIGITPAD_MNIST_MIRRORS", f"{base}/empty/, {base}/good")
    loaded = load_mnist(expected_sha256=FIXTURE_SHA256)
    assert_fixture_data(loaded)
    assert loaded.checksums == FIXTURE_SHA256
    assert "downloaded" in loaded.source and str(isolated_env) in loaded.source
    assert cache_listing(isolated_env) == sorted(f"{n}.gz" for n in IDX_FILES.values())
    progress = capsys.readouterr().err
    assert "train-images-idx3-ubyte.gz [" in progress and "100%" in progress and " kB" in progress
    assert f"train-images-idx3-ubyte.gz from {base}/empty/: HTTP 404" in progress

    # The second load reads the cache, even with the mirrors gone.
    monkeypatch.setenv("DIGITPAD_MNIST_MIRRORS", f"{base}/gone/")
    monkeypatch.setattr(data_module, "MNIST_SHA256", FIXTURE_SHA256)
    again = load_mnist(progress=False)
    assert "cache" in again.source and "downloaded" not in again.source
    assert_fixture_data(again)


def test_corrupt_downloads_fall_through_to_the_next_mirror(isolated_env, mirror_server, capsys):
    root, base = mirror_server
    make_mirror(root, "wrong", corrupt="checksum")
    make_mirror(root, "broken", corrupt="gzip")
    make_mirror(root, "good")
    mirrors = [f"{base}/wrong/", f"{base}/broken/", f"{base}/good/"]
    loaded = load_mnist(mirrors=mirrors, expected_sha256=FIXTURE_SHA256, progress=False)
    assert_fixture_data(loaded)
    assert capsys.readouterr().err == ""  # progress=False is silent
    for name, digest in FIXTURE_SHA256.items():
        assert sha256_uncompressed(isolated_env / f"{name}.gz") == digest


def test_only_missing_files_are_downloaded(isolated_env, mirror_server):
    root, base = mirror_server
    make_mirror(root, "good")
    write_idx_folder(isolated_env)
    (isolated_env / "t10k-images-idx3-ubyte.gz").unlink()
    for standard in IDX_FILES.values():
        if standard != "t10k-images-idx3-ubyte":
            (root / "good" / f"{standard}.gz").unlink()  # only the missing one is served
    loaded = load_mnist(mirrors=[f"{base}/good/"], expected_sha256=FIXTURE_SHA256, progress=False)
    assert_fixture_data(loaded)


def test_all_mirrors_bad_is_a_clear_error_and_leaves_no_file(isolated_env, mirror_server):
    root, base = mirror_server
    (root / "empty").mkdir()
    make_mirror(root, "wrong", corrupt="checksum")
    make_mirror(root, "broken", corrupt="gzip")
    closed_port = "http://127.0.0.1:9/"  # discard port: connection refused
    mirrors = [f"{base}/empty/", f"{base}/wrong/", f"{base}/broken/", f"{base}/cut/", closed_port]
    with pytest.raises(DataError) as caught:
        load_mnist(mirrors=mirrors, expected_sha256=FIXTURE_SHA256, progress=False)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith("could not download train-images-idx3-ubyte.gz")
    assert "HTTP 404" in text and "checksum mismatch" in text and "not a valid gzip file" in text
    assert "connection closed after 10 of 100000 bytes" in text and "127.0.0.1:9/: " in text
    assert f"in {isolated_env}" in text and "--data" in text
    assert cache_listing(isolated_env) == []  # nothing half-written, no temporary files


def test_download_mnist_writes_into_a_given_folder(tmp_path, mirror_server, monkeypatch):
    root, base = mirror_server
    make_mirror(root, "good")
    monkeypatch.setattr(data_module, "MNIST_SHA256", FIXTURE_SHA256)
    target = download_mnist(tmp_path / "elsewhere", mirrors=[base + "/good"], progress=False)
    assert cache_listing(target) == sorted(f"{n}.gz" for n in IDX_FILES.values())
    assert_fixture_data(load_mnist(target))


def test_failed_cache_write_leaves_nothing_behind(tmp_path, mirror_server, monkeypatch):
    root, base = mirror_server
    make_mirror(root, "good")

    def disk_full(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(data_module.os, "replace", disk_full)
    cache = tmp_path / "cache"
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz: cannot write \(No space left on device\)"):
        download_mnist(cache, mirrors=[base + "/good/"], expected_sha256=FIXTURE_SHA256, progress=False)
    assert cache_listing(cache) == []


# ----------------------------------------------------------------- the real MNIST and samples


def test_workplace_mnist_is_the_official_set(mnist_dir):
    loaded = load_mnist(mnist_dir, download=False)
    assert loaded.train_images.shape == (60000, 28, 28) and loaded.test_images.shape == (10000, 28, 28)
    assert loaded.train_labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert loaded.test_labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert loaded.checksums == MNIST_SHA256 and loaded.is_official


def load_script(path: Path):
    """Import a script by path (benchmarks/ is not a package)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_samples_match_mnist(mnist_dir, test_data_dir):
    loaded = load_mnist(mnist_dir, download=False)
    test_x, test_y = read_npz(test_data_dir / "mnist_test_sample.npz")
    np.testing.assert_array_equal(test_x, loaded.test_images[:2000])
    np.testing.assert_array_equal(test_y, loaded.test_labels[:2000])

    maker = load_script(test_data_dir.parent.parent / "benchmarks" / "make_test_samples.py")
    chosen = maker.balanced_indices(loaded.train_labels, maker.TRAIN_PER_CLASS, maker.SEED)
    train_x, train_y = read_npz(test_data_dir / "mnist_train_sample.npz")
    np.testing.assert_array_equal(train_x, loaded.train_images[chosen])
    np.testing.assert_array_equal(train_y, loaded.train_labels[chosen])


def test_committed_samples_have_the_promised_shape(test_data_dir):
    with np.load(test_data_dir / "mnist_test_sample.npz", allow_pickle=False) as archive:
        assert sorted(archive.files) == ["x", "y"]
        assert archive["x"].dtype == np.uint8 and archive["x"].shape == (2000, 28, 28)
        assert archive["y"].dtype == np.int64 and archive["y"].shape == (2000,)
    train_x, train_y = read_npz(test_data_dir / "mnist_train_sample.npz")
    assert train_x.shape == (5000, 28, 28)
    assert np.bincount(train_y, minlength=10).tolist() == [500] * 10


# --------------------------------------------------------------------------------------- CLI


def test_command_line_reports_source_and_checksums(tmp_path, capsys):
    folder = write_idx_folder(tmp_path / "mnist")
    assert data_module.main(["--data", str(folder), "--json"]) == 0
    import json

    report = json.loads(capsys.readouterr().out)
    assert report["train"] == 12 and report["test"] == 5
    assert report["checksums"] == FIXTURE_SHA256 and report["official"] is False
    assert len(report["mismatches"]) == 4
    assert data_module.main(["--data", str(tmp_path / "absent")]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: --data: ") and captured.err.count("\n") == 1


def test_evaluating_needs_and_downloads_only_the_test_files(isolated_env, mirror_server, tmp_path):
    """--eval-only used to demand (and download) the 60,000 training images just to evaluate."""
    root, base = mirror_server
    mirror = root / "test-only"
    mirror.mkdir()
    for standard, content in fixture_contents().items():
        if standard.startswith("t10k"):
            (mirror / f"{standard}.gz").write_bytes(gzip.compress(content))
    loaded = load_mnist(mirrors=[f"{base}/test-only/"], expected_sha256=FIXTURE_SHA256, progress=False,
                        test_only=True)
    assert cache_listing(isolated_env) == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    assert loaded.train_images.shape == (0, 28, 28) and loaded.test_images.shape[0] == loaded.test_labels.shape[0] > 0

    folder = tmp_path / "only-test"
    folder.mkdir()
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (folder / name).write_bytes((isolated_env / name).read_bytes())
    assert load_mnist(folder, test_only=True).test_labels.shape[0] > 0
    with pytest.raises(DataError, match="no MNIST files"):
        load_mnist(folder)  # training needs the training files


def test_offline_evaluation_asks_only_for_the_two_test_files(isolated_env):
    with pytest.raises(DataError) as caught:
        load_mnist(download=False, test_only=True)
    assert "the two MNIST files (t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz)" in str(caught.value)
