"""The fuzz corpus: hostile files for every reader, and what the command reading each must do.

Every case is a file (or an MNIST folder) and the command-line reader it goes through:

- ``drawings``: ``python -m app.replay FILE --weights tests/fuzz/weights/valid.npz --json`` (a
  small network: the bundled one would only take longer to load);
- ``weights``: ``python -m app.replay <sample drawings> --weights FILE --json`` and
  ``python train.py --eval-only --weights FILE --data tests/data/mnist_test_sample.npz --json``;
- ``data``: ``python -m model.data --data FILE --no-download --json``.

A case either is refused (exit code 2, stderr one line naming the file and holding `message`) or
accepted (exit code 0, plain JSON on stdout: no NaN). Small cases are committed under
tests/fuzz/{drawings,weights,data}/ and rebuilt, byte for byte, by ``python tests/fuzz/corpus.py``;
cases big by nature (gzip bombs, /dev/zero, a million points) have ``big=True`` and are built at
test time into a temporary folder, cheaply (a gzip bomb is one small gzip member repeated).

Not in the corpus: a permission error, which root (the CI user) never gets; tests/test_readers_fuzz.py
checks it with a mocked open().
"""
from __future__ import annotations

import gzip
import io
import json
import math
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

FUZZ_DIR = Path(__file__).resolve().parent
_FIXED_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Case:
    """name: file name (under tests/fuzz/ for committed cases); reader: 'drawings', 'weights' or
    'data'; message: a fragment of the refusal, or None when the file must be accepted."""

    name: str
    reader: str
    message: str | None
    build: Callable[[Path], None]
    big: bool = False


# ------------------------------------------------------------------------------ builders
def _text(content: str) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(content.encode("utf-8"))


def _bytes(content: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(content)


def _drawing(**record) -> str:
    record.setdefault("strokes", [[[0.3, 0.2], [0.5, 0.5], [0.6, 0.8]]])
    return json.dumps(record, ensure_ascii=False) + "\n"


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def lying_npy(shape: tuple[int, ...], dtype: str = "<f4", data: bytes = b"\0" * 64) -> bytes:
    """A .npy whose header declares `shape` but which holds only `data`."""
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue() + data


def write_zip(path: Path, members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> None:
    """A zip with fixed dates, so the same members give the same bytes."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
            info.compress_type = compression
            archive.writestr(info, content)


def _weights_members(**changes) -> dict[str, bytes]:
    """The members of a small valid weights file (784-4-10 with batch norm), changed: a key set
    to None is dropped; metadata=... replaces the metadata dict (or raw string)."""
    rng = np.random.default_rng(0)
    arrays = {"W1": rng.normal(0, 0.05, (784, 4)), "b1": np.zeros(4), "W2": rng.normal(0, 0.5, (4, 10)),
              "b2": np.zeros(10), "bn1_gamma": np.ones(4), "bn1_beta": np.zeros(4),
              "bn1_mean": np.zeros(4), "bn1_var": np.ones(4)}
    members = {f"{k}.npy": npy_bytes(v.astype(np.float32)) for k, v in arrays.items()}
    metadata = {"format_version": 1, "layer_sizes": [784, 4, 10], "activation": "relu", "batch_norm": True,
                "dropout": 0.0, "preprocessing": {}, "training": {}, "data": {}, "results": {},
                "created": "2026-01-01T00:00:00+00:00"}
    for key, value in changes.pop("metadata_changes", {}).items():
        if value is None:
            metadata.pop(key, None)
        else:
            metadata[key] = value
    text = changes.pop("metadata_text", None)
    if text is None:
        text = json.dumps(metadata, allow_nan=True)
    members["metadata_json.npy"] = npy_bytes(np.array(text))
    for name, content in changes.items():
        member = name if "." in name else f"{name}.npy"
        if content is None:
            members.pop(member, None)
        else:
            members[member] = content
    return members


def _weights(compression: int = zipfile.ZIP_DEFLATED, **changes) -> Callable[[Path], None]:
    return lambda path: write_zip(path, _weights_members(**changes), compression)


def _meta(**changes) -> Callable[[Path], None]:
    return _weights(metadata_changes=changes)


def _mnist_npz(**changes) -> Callable[[Path], None]:
    rng = np.random.default_rng(1)
    members = {"x.npy": npy_bytes(rng.integers(0, 256, (20, 28, 28), dtype=np.uint8)),
               "y.npy": npy_bytes(rng.integers(0, 10, 20).astype(np.int64))}

    def build(path: Path) -> None:
        for name, content in changes.items():
            if content is None:
                members.pop(name, None)
            else:
                members[name] = content
        write_zip(path, members)
    return build


def idx_header(magic: int, count: int) -> bytes:
    dims = (28).to_bytes(4, "big") * 2 if magic == 0x803 else b""
    return magic.to_bytes(4, "big") + count.to_bytes(4, "big") + dims


def gzip_repeated(head: bytes, block: bytes, times: int) -> bytes:
    """gzip of head + block * times, made of concatenated gzip members (valid gzip: readers
    decompress them in turn), so a gigabyte of zeros costs a few kilobytes to build."""
    member = gzip.compress(block, compresslevel=9, mtime=0)
    return gzip.compress(head, mtime=0) + member * times


def _idx_folder(images: bytes, labels: bytes) -> Callable[[Path], None]:
    def build(path: Path) -> None:
        path.mkdir()
        (path / "train-images-idx3-ubyte.gz").write_bytes(images)
        (path / "train-labels-idx1-ubyte.gz").write_bytes(labels)
    return build


def _valid_labels(count: int) -> bytes:
    return gzip.compress(idx_header(0x801, count) + bytes(count), mtime=0)


def _million_points(path: Path) -> None:
    """One drawing of a million points on a spiral (42 MB, full-precision coordinates)."""
    t = np.linspace(0, 1, 1_000_000)
    x = 0.5 + 0.3 * np.cos(2 * math.pi * t) * (1 - 0.3 * t)
    y = 0.5 + 0.3 * np.sin(2 * math.pi * t)
    path.write_text(json.dumps({"label": 0, "writer": "spiral", "strokes": [np.column_stack([x, y]).tolist()]}) + "\n")


def _many_drawings(path: Path) -> None:
    """50,000 empty drawings of 50,000 writers, half unlabelled: replay's summary must stay small."""
    with open(path, "w") as stream:
        for i in range(50_000):
            label = f'"label": {i % 10}, ' if i % 2 else ""
            stream.write(f'{{{label}"writer": "w{i}", "strokes": []}}\n')


def _dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _big_zip_directory(path: Path) -> None:
    """Valid x/y arrays and 20,000 empty members: a 1.2 MB table of contents."""
    _mnist_npz()(path)
    with zipfile.ZipFile(path, "a") as archive:
        for i in range(20_000):
            archive.writestr(zipfile.ZipInfo(f"member{i:06d}.npy", date_time=_FIXED_DATE), b"")


# ---------------------------------------------------------------------------------- cases
_STROKE = [[0.3, 0.2], [0.5, 0.5], [0.6, 0.8]]

DRAWING_CASES = [
    Case("int400.jsonl", "drawings", "x=" + "9" * 20, _text('{"strokes": [[[' + "9" * 400 + ", 0.5]]]}\n")),
    Case("int5000.jsonl", "drawings", "not valid JSON", _text('{"strokes": [[[' + "9" * 5000 + ", 0.5]]]}\n")),
    Case("width_int400.jsonl", "drawings", "widths[0] must be a number in (0, 1]",
         _text('{"strokes": [[[0.5, 0.5]]], "widths": [' + "9" * 400 + "]}\n")),
    Case("eraser_width_5e-324.jsonl", "drawings", None,
         _text(_drawing(label=1, strokes=[_STROKE, _STROKE], widths=[0.05, 5e-324], erase=[False, True]))),
    Case("writer_u2028_u0085.jsonl", "drawings", None,
         _text(_drawing(label=2, writer="line\u2028separator\x85next")
               + _drawing(writer="unlabelled\u2028one"))),
    Case("writer_escapes.jsonl", "drawings", None,
         _text(_drawing(label=3, writer="\x1b[2J\x1b[31mred\x07\rover") + _drawing(writer="\x1b]0;title\x07"))),
    Case("writer_lone_surrogate.jsonl", "drawings", None, _text('{"writer": "\\ud800", "strokes": []}\n')),
    Case("writer_100kb.jsonl", "drawings", None, _text(_drawing(label=4, writer="w" * 100_000))),
    Case("not_utf8.jsonl", "drawings", "line 2: not UTF-8",
         _bytes(_drawing().encode() + b'{"writer": "\xff\xfe", "strokes": []}\n')),
    Case("nan.jsonl", "drawings", "not finite", _text('{"strokes": [[[NaN, 0.5]]]}\n')),
    Case("infinity.jsonl", "drawings", "not finite", _text('{"strokes": [[[0.5, -Infinity]]]}\n')),
    Case("nested_deep.jsonl", "drawings", "nested too deeply", _text("[" * 10_000 + "]" * 10_000 + "\n")),
    Case("not_an_object.jsonl", "drawings", "expected a JSON object", _text("[1, 2]\n")),
    Case("strokes_1001.jsonl", "drawings", "at most 1000", _text(_drawing(strokes=[[[0.5, 0.5]]] * 1001))),
    Case("label_10.jsonl", "drawings", "label must be an integer 0-9", _text(_drawing(label=10))),
    Case("widths_count.jsonl", "drawings", "'widths' has 2 entries for 1 strokes", _text(_drawing(widths=[0.1, 0.1]))),
    Case("unknown_key.jsonl", "drawings", "unknown key 'points'", _text('{"strokes": [], "points": 1}\n')),
    Case("truncated.jsonl", "drawings", "line 2: not valid JSON", _text(_drawing() + _drawing()[:30])),
    Case("bom_crlf_blank.jsonl", "drawings", None, _text("\ufeff" + _drawing(label=5).replace("\n", "\r\n") + "\r\n\n")),
    Case("empty.jsonl", "drawings", None, _text("")),
    # Big by nature: built at test time.
    Case("dev_zero.jsonl", "drawings", "line 1 is longer than 64 MiB", _dev_zero, big=True),
    Case("empty_lists.jsonl", "drawings", "holds over 4,000,000 JSON values",
         lambda p: p.write_text('{"strokes": [' + "[]," * 5_000_000 + "[]]}\n"), big=True),
    Case("million_points.jsonl", "drawings", None, _million_points, big=True),
    Case("many_writers.jsonl", "drawings", None, _many_drawings, big=True),
]

WEIGHTS_CASES = [
    Case("valid.npz", "weights", None, _weights()),
    Case("extra_4gb_member.npz", "weights", "unexpected member 'junk'",
         _weights(junk=lying_npy((1 << 30,)))),
    Case("lying_w1_header.npz", "weights", "array W1 has shape (1073741824, 4)",
         _weights(W1=lying_npy((1 << 30, 4)))),
    Case("w1_declares_less.npz", "weights", "is damaged",
         _weights(W1=lying_npy((784, 4), data=b"\0" * 64))),
    Case("not_npy_members.npz", "weights", "not a .npy array",
         _weights(W1=b"these bytes are not a .npy array" * 10)),
    Case("only_text_members.npz", "weights", "no metadata",
         lambda p: write_zip(p, {"readme.txt": b"hello", "W1.txt": b"1,2,3"})),
    Case("metadata_not_npy.npz", "weights", "not a .npy array", _weights(metadata_json=b'{"format_version": 1}')),
    Case("results_x.npz", "weights", "results must be a JSON object", _meta(results="x")),
    Case("training_list.npz", "weights", "training must be a JSON object", _meta(training=[1])),
    Case("data_string.npz", "weights", "data must be a JSON object", _meta(data="mnist")),
    Case("field_29.npz", "weights", "preprocessing field is 29", _meta(preprocessing={"field": 29})),
    Case("field_100000.npz", "weights", "preprocessing field is 100000",
         _meta(preprocessing={"field": 100000, "box": 20})),
    Case("box_2.npz", "weights", "preprocessing box is 2", _meta(preprocessing={"box": 2, "input_pen": 0.5})),
    Case("preprocessing_unknown.npz", "weights", "unknown preprocessing setting 'zoom'",
         _meta(preprocessing={"zoom": 3})),
    Case("weights_3e38.npz", "weights", "weights too large",
         _weights(W1=npy_bytes(np.full((784, 4), 3e38, np.float32)))),
    Case("bn_var_tiny_gamma_huge.npz", "weights", "weights too large",
         _weights(bn1_gamma=npy_bytes(np.full(4, 1e36, np.float32)))),
    Case("missing_batch_norm_key.npz", "weights", "does not say batch_norm: true", _meta(batch_norm=None)),
    Case("format_version_true.npz", "weights", "unknown format version True", _meta(format_version=True)),
    Case("format_version_1.0.npz", "weights", "unknown format version 1.0", _meta(format_version=1.0)),
    Case("layer_sizes_700kb.npz", "weights", "layer_sizes",
         _meta(layer_sizes=[784] + [4] * 100_000 + [10])),
    Case("layer_sizes_1e9.npz", "weights", "layer_sizes", _meta(layer_sizes=[784, 10 ** 9, 10])),
    Case("layer_sizes_bool.npz", "weights", "layer_sizes", _meta(layer_sizes=[784, True, 10])),
    Case("metadata_nan.npz", "weights", "NaN is not JSON", _weights(metadata_text='{"format_version": NaN}')),
    Case("metadata_int5000.npz", "weights", "not valid JSON",
         _weights(metadata_text='{"format_version": ' + "9" * 5000 + "}")),
    Case("metadata_nested.npz", "weights", "not valid JSON", _weights(metadata_text="[" * 10_000 + "]" * 10_000)),
    Case("metadata_20mb.npz", "weights", "metadata is",
         _weights(metadata_text='{"format_version": 1, "x": "' + "a" * 20_000_000 + '"}')),
    Case("object_dtype.npz", "weights", "pickle",
         _weights(b1=npy_bytes(np.array([None, 1, 2, 3], dtype=object)))),
    Case("float64_weights.npz", "weights", "dtype float64, expected float32",
         _weights(W2=npy_bytes(np.zeros((4, 10))))),
    Case("bzip2_member.npz", "weights", "unsupported compression", _weights(compression=zipfile.ZIP_BZIP2)),
    Case("truncated.npz", "weights", "truncated or corrupted",
         lambda p: (_weights()(p), p.write_bytes(p.read_bytes()[:3000]))),
    Case("text.npz", "weights", "not a valid weights archive", _text("not a zip\n")),
    Case("empty.npz", "weights", "not a valid weights archive", _text("")),
]

DATA_CASES = [
    Case("valid.npz", "data", None, _mnist_npz()),
    Case("extra_4gb_member.npz", "data", None, _mnist_npz(**{"junk.npy": lying_npy((1 << 30,))})),
    Case("non_npy_member.npz", "data", "is not a .npy array", _mnist_npz(**{"x.npy": None, "x": b"raw bytes"})),
    Case("shape_1e12.npz", "data", "holds 1000000000000 images",
         _mnist_npz(**{"x.npy": lying_npy((10 ** 12, 28, 28), "|u1"), "y.npy": lying_npy((10 ** 12,), "<i8")})),
    Case("images_1e12.npy.npz", "data", "a single .npy array", _bytes(lying_npy((10 ** 12, 28, 28), "|u1"))),
    Case("images_1e12.npy", "data", "neither a folder, an .npz nor a .csv", _bytes(lying_npy((10 ** 12, 28, 28), "|u1"))),
    Case("lying_x_header.npz", "data", "array 'x' is damaged: its header declares shape (20, 28, 28)", _mnist_npz(**{"x.npy": lying_npy((20, 28, 28), "|u1")})),
    Case("object_dtype.npz", "data", "pickle", _mnist_npz(**{"x.npy": npy_bytes(np.array([None] * 20, object))})),
    Case("bzip2.npz", "data", "unsupported compression",
         lambda p: write_zip(p, {"x.npy": npy_bytes(np.zeros((2, 28, 28), np.uint8)),
                                 "y.npy": npy_bytes(np.zeros(2, np.int64))}, zipfile.ZIP_BZIP2)),
    Case("structured_dtype.npz", "data", "expected integers 0-255",
         _mnist_npz(**{"x.npy": npy_bytes(np.zeros((20, 28, 28), [("a", "u1")]))})),
    Case("idx_count_1e9", "data", "more than the 1000000 this program reads",
         _idx_folder(gzip.compress(idx_header(0x803, 10 ** 9), mtime=0), _valid_labels(10))),
    Case("idx_truncated", "data", "truncated: header says 10 images",
         _idx_folder(gzip.compress(idx_header(0x803, 10) + bytes(784 * 9), mtime=0), _valid_labels(10))),
    Case("idx_not_gzip", "data", "not a valid gzip file",
         _idx_folder(b"\x1f\x8b" + b"garbage" * 10, _valid_labels(10))),
    Case("csv_binary.csv", "data", "not UTF-8", _bytes(b"\xff\xfe\x00garbage\n")),
    Case("csv_escape_header.csv", "data", "header starts with", _text("\x1b[2Jname,age\nbob,3\n")),
    # Big by nature: built at test time.
    Case("idx_gzip_bomb_6gb", "data", "has trailing bytes: header says 60000 images",
         _idx_folder(gzip_repeated(idx_header(0x803, 60000), bytes(1 << 20), 6 * 1024), _valid_labels(60000)),
         big=True),
    Case("csv_gzip_bomb.csv.gz", "data", "larger than 256 MiB",
         _bytes(gzip_repeated(b"", ("0," * 784 + "0\n").encode() * 1000, 200)), big=True),
    Case("big_zip_directory.npz", "data", "table of contents", _big_zip_directory, big=True),
]

CASES = DRAWING_CASES + WEIGHTS_CASES + DATA_CASES


def case_path(case: Case, big_folder: Path | None = None) -> Path:
    """Where the case's file is: under tests/fuzz/<reader>/, or in big_folder for big cases."""
    if case.big:
        if big_folder is None:
            raise ValueError(f"{case.name} is built at test time: give a folder")
        return big_folder / case.reader / case.name
    return FUZZ_DIR / case.reader / case.name


def build(case: Case, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        for child in path.iterdir():
            child.unlink()
        path.rmdir()
    case.build(path)
    return path


def main() -> int:
    """Rebuild the committed (small) cases under tests/fuzz/."""
    for case in CASES:
        if not case.big:
            build(case, case_path(case))
    print(f"wrote {sum(not c.big for c in CASES)} cases under {FUZZ_DIR}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
