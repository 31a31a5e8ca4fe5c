"""Every reader against arbitrary input: a clean result or its own one-line error, nothing else.

Hypothesis feeds arbitrary bytes, arbitrary JSON and near-valid structures (a real header or a
valid archive with arbitrary members) to the drawing reader, the weights loader and the MNIST
readers (IDX, CSV, npz). A reader may return a result, which must then be sound (drawings in the
unit square, networks with finite outputs, uint8 images with labels 0-9), or raise its own error
type (DrawingFormatError, WeightsError, DataError) with one printable line; any other exception
fails the test. Image files belong to the image reader's own tests.
"""
from __future__ import annotations

import gzip
import io
import itertools
import json
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from model.data import DataError, parse_idx, read_csv, read_idx, read_npz_splits
from model.limits import ERROR_CHARS, MAX_DRAWING_POINTS
from model.weights_io import WeightsError, load_weights
from preprocessing.drawing import MIN_STROKE_WIDTH, Drawing, DrawingFormatError, parse_drawing_line, read_drawings

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_names = itertools.count()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("readers-fuzz")


def _fresh(folder, suffix: str):
    return folder / f"case{next(_names)}{suffix}"


def outcome(call, error_type):
    """call()'s result, or the error of `error_type` it raised after checking its message is one
    printable line; any other exception propagates and fails the test."""
    try:
        return call()
    except error_type as exc:
        message = str(exc)
        assert message and message.isprintable() and len(message) <= ERROR_CHARS, message
        return exc


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
    | st.integers(min_value=10 ** 300, max_value=10 ** 400),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30)
coordinates = st.floats(0, 1) | st.integers(-2, 2) | st.floats() | st.sampled_from([5e-324, 10 ** 400, True, "0.5"])
points = st.lists(st.tuples(coordinates, coordinates).map(list) | json_values, max_size=6)
drawing_records = st.fixed_dictionaries(
    {"strokes": st.lists(points, max_size=4)},
    optional={"label": st.integers(-1, 11) | json_values, "writer": st.text() | json_values,
              "widths": st.lists(st.none() | st.floats(0, 2) | st.sampled_from([5e-324, 0, 10 ** 400]), max_size=4),
              "erase": st.lists(st.booleans() | json_values, max_size=4)})


# ---------------------------------------------------------------------------------- drawings
def _check_drawing(drawing: Drawing) -> None:
    assert drawing.point_count <= max(MAX_DRAWING_POINTS, 2 * len(drawing.strokes))
    for stroke in drawing.strokes:
        for x, y in stroke:
            assert type(x) is float and type(y) is float and 0 <= x <= 1 and 0 <= y <= 1
    for width in drawing.widths or []:
        assert width is None or MIN_STROKE_WIDTH <= width <= 1


@FUZZ
@given(content=st.binary(max_size=400) | st.text(max_size=200).map(str.encode))
def test_any_bytes_as_a_drawing_file(folder, content):
    path = _fresh(folder, ".jsonl")
    path.write_bytes(content)
    result = outcome(lambda: read_drawings(path), DrawingFormatError)
    if isinstance(result, DrawingFormatError):
        assert str(path) in str(result)
    else:
        for drawing in result:
            _check_drawing(drawing)


#: JSON number texts (and a few non-numbers) that have broken readers: huge integers, subnormals...
hostile_numbers = st.sampled_from(["1" + "0" * 400, "-" + "9" * 400, "9" * 4400, "5e-324", "-0.0", "1e308", "1e400",
                                   "NaN", "-Infinity", "true", "null", '"1"', "[]"]) \
    | st.floats().map(json.dumps) | st.integers().map(str)


@settings(max_examples=150, deadline=None)
@given(value=hostile_numbers, where=st.sampled_from(["x", "y", "width", "label"]))
def test_any_number_anywhere_in_a_drawing(value, where):
    """One hostile number in an otherwise valid drawing: as x, y, a width or the label."""
    text = value
    point = {"x": f"[{text}, 0.5]", "y": f"[0.5, {text}]"}.get(where, "[0.5, 0.5]")
    width = text if where == "width" else "0.1"
    label = text if where == "label" else "3"
    line = f'{{"label": {label}, "strokes": [[{point}, [0.2, 0.3]]], "widths": [{width}]}}'
    result = outcome(lambda: parse_drawing_line(line), ValueError)
    if isinstance(result, Drawing):
        _check_drawing(result)


@FUZZ
@given(record=json_values | drawing_records)
def test_any_json_as_a_drawing_line(record):
    text = json.dumps(record, ensure_ascii=False)
    result = outcome(lambda: parse_drawing_line(text), ValueError)
    if isinstance(result, Drawing):
        _check_drawing(result)
        again = parse_drawing_line(json.dumps(result.to_json()))  # what is read can be written back
        assert again.strokes == result.strokes


@FUZZ
@given(records=st.lists(drawing_records, max_size=4), separator=st.sampled_from(["\n", "\r\n", "\n\n"]))
def test_drawing_files_of_near_valid_records(folder, records, separator):
    path = _fresh(folder, ".jsonl")
    path.write_text(separator.join(json.dumps(r, ensure_ascii=False) for r in records), encoding="utf-8")
    result = outcome(lambda: read_drawings(path), DrawingFormatError)
    if not isinstance(result, DrawingFormatError):
        assert len(result) == len(records)
        for drawing in result:
            _check_drawing(drawing)


# ----------------------------------------------------------------------------------- weights
def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asarray(array), allow_pickle=False)
    return buffer.getvalue()


def _zip(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)


VALID_META = {"format_version": 1, "layer_sizes": [784, 3, 10], "activation": "relu", "batch_norm": False,
              "dropout": 0.0, "preprocessing": {}, "training": {}, "data": {}, "results": {}}
small_arrays = st.sampled_from([np.float32, np.float64, np.int8, np.uint8, np.bool_]).flatmap(
    lambda dtype: st.lists(st.integers(0, 4), max_size=3).map(
        lambda shape: np.ones(shape, dtype) * dtype(1)))
members = st.dictionaries(st.sampled_from(["W1.npy", "b1.npy", "W2.npy", "b2.npy", "x.npy", "W1", "junk.txt"]),
                          small_arrays.map(_npy) | st.binary(max_size=64), max_size=3)
#: Mostly the valid metadata with a key or two changed (or dropped), sometimes any JSON at all.
metadata = st.one_of(
    st.dictionaries(st.sampled_from(sorted(VALID_META) + ["extra"]), json_values | st.just(None), max_size=2).map(
        lambda changes: {k: v for k, v in {**VALID_META, **changes}.items() if v is not None}),
    st.just(VALID_META), json_values)


def _check_model(result) -> None:
    model, meta = result
    assert isinstance(meta, dict)
    inputs = np.concatenate([np.ones((1, 784), np.float32), np.zeros((1, 784), np.float32),
                             np.random.default_rng(0).random((4, 784), dtype=np.float32)])
    assert np.all(np.isfinite(model.predict_proba(inputs)))


@FUZZ
@given(content=st.binary(max_size=300))
def test_any_bytes_as_a_weights_file(folder, content):
    path = _fresh(folder, ".npz")
    path.write_bytes(content)
    result = outcome(lambda: load_weights(path), WeightsError)
    assert isinstance(result, WeightsError) and str(path) in str(result)


@FUZZ
@given(extra=st.just({}) | members, meta=metadata, scale=st.sampled_from([1.0, 1e20, 1e37, 1e38, -1e38]))
def test_weights_archives_with_arbitrary_members_and_metadata(folder, extra, meta, scale):
    rng = np.random.default_rng(0)
    contents = {"W1.npy": _npy((np.abs(rng.normal(0, 0.05, (784, 3))) * scale).astype(np.float32)),
                "b1.npy": _npy(np.zeros(3, np.float32)),
                "W2.npy": _npy(rng.normal(0, 0.5, (3, 10)).astype(np.float32)),
                "b2.npy": _npy(np.zeros(10, np.float32)),
                "metadata_json.npy": _npy(np.array(json.dumps(meta, allow_nan=True)))}
    contents.update(extra)
    path = _fresh(folder, ".npz")
    _zip(path, contents)
    result = outcome(lambda: load_weights(path), WeightsError)
    if not isinstance(result, WeightsError):
        _check_model(result)


# -------------------------------------------------------------------------------------- IDX
idx_contents = st.tuples(
    st.sampled_from([0x801, 0x803]) | st.integers(0, 2 ** 32 - 1),
    st.integers(0, 5) | st.sampled_from([10 ** 6 + 1, 2 ** 31, 2 ** 32 - 1]) | st.integers(0, 2 ** 32 - 1),
    st.sampled_from([28, 28, 27, 0, 2 ** 32 - 1]),
    st.binary(max_size=3000),
).map(lambda t: t[0].to_bytes(4, "big") + t[1].to_bytes(4, "big")
      + (t[2].to_bytes(4, "big") + (28).to_bytes(4, "big") if t[0] == 0x803 else b"") + t[3])


def _check_idx(array) -> None:
    if array.ndim == 3:
        assert array.dtype == np.uint8 and array.shape[1:] == (28, 28)
    else:
        assert array.dtype == np.int64 and array.min() >= 0 and array.max() <= 9


@settings(max_examples=120, deadline=None)
@given(content=idx_contents | st.binary(max_size=100), compress=st.booleans(), cut=st.integers(0, 40))
def test_any_idx_content(folder, content, compress, cut):
    result = outcome(lambda: parse_idx(content, "memory"), DataError)
    path = _fresh(folder, ".gz" if compress else "")
    raw = gzip.compress(content) if compress else content
    path.write_bytes(raw[:len(raw) - cut] if compress and cut else raw)
    from_file = outcome(lambda: read_idx(path), DataError)
    if isinstance(result, np.ndarray):
        _check_idx(result)
        if not (compress and cut):
            np.testing.assert_array_equal(from_file, result)  # the stream reads what the bytes say
    if isinstance(from_file, np.ndarray):
        _check_idx(from_file)


@settings(max_examples=60, deadline=None)
@given(magic=st.sampled_from([0x801, 0x803]), body=st.binary(max_size=64), compress=st.booleans(),
       count=st.sampled_from([1, 10 ** 6, 10 ** 6 + 1, 2 ** 31, 2 ** 32 - 1]) | st.integers(0, 2 ** 32 - 1))
def test_idx_headers_declaring_any_count(folder, magic, count, body, compress):
    """A real header declaring any count: refused before allocating what it declares (unless it
    is within the limit, when the array is allocated once and the short stream refused)."""
    content = magic.to_bytes(4, "big") + count.to_bytes(4, "big") + (b"\0\0\0\x1c" * 2 if magic == 0x803 else b"") + body
    path = _fresh(folder, ".gz" if compress else "")
    path.write_bytes(gzip.compress(content) if compress else content)
    result = outcome(lambda: read_idx(path), DataError)
    if isinstance(result, np.ndarray):
        _check_idx(result)


# -------------------------------------------------------------------------------------- CSV
cells = st.sampled_from(["0", "255", "7", "256", "-1", "0.5", "1e3", "", " 3", "abc", "0012", "\x85", "9" * 30,
                         "10", "9.0", "nan", "inf"])


def _row(changes: dict[int, str], columns: int) -> str:
    """A row of zeros (label first) with a few cells changed."""
    row = ["0"] * columns
    for index, cell in changes.items():
        row[index % columns] = cell
    return ",".join(row)


csv_rows = st.builds(_row, st.dictionaries(st.integers(0, 785), cells, max_size=2),
                    st.sampled_from([785, 785, 785, 784, 786]))
csv_texts = st.lists(csv_rows | st.text(max_size=30), max_size=4).map("\n".join) \
    | st.lists(csv_rows, min_size=1, max_size=4).map("\n".join)


@FUZZ
@given(text=csv_texts, header=st.booleans(), compress=st.booleans(), noise=st.binary(max_size=50))
def test_any_csv(folder, text, header, compress, noise):
    if header:
        text = "label," + ",".join(f"pixel{i}" for i in range(784)) + "\n" + text
    content = text.encode("utf-8") + noise
    path = _fresh(folder, ".csv")
    path.write_bytes(gzip.compress(content) if compress else content)
    result = outcome(lambda: read_csv(path), DataError)
    if not isinstance(result, DataError):
        images, labels = result
        assert images.dtype == np.uint8 and images.shape[1:] == (28, 28) and len(labels) == len(images)
        assert labels.dtype == np.int64 and labels.min() >= 0 and labels.max() <= 9


@FUZZ
@given(row=st.integers(0, 2), column=st.sampled_from([0, 1, 784]) | st.integers(0, 784), cell=cells,
       header=st.booleans(), newline=st.sampled_from(["\n", "\r\n", "\u2028"]))
def test_csv_with_one_changed_cell(folder, row, column, cell, header, newline):
    rows = [["1"] + ["0"] * 784 for _ in range(3)]
    rows[row][column] = cell
    text = newline.join(",".join(r) for r in rows)
    if header:
        text = "label," + ",".join(f"pixel{i}" for i in range(784)) + newline + text
    path = _fresh(folder, ".csv")
    path.write_text(text, encoding="utf-8")
    result = outcome(lambda: read_csv(path), DataError)
    if not isinstance(result, DataError):
        images, labels = result
        assert images.shape == (3, 28, 28) and labels.dtype == np.int64
        assert labels.min() >= 0 and labels.max() <= 9


# -------------------------------------------------------------------------------------- NPZ
data_arrays = st.sampled_from([np.uint8, np.int64, np.float32, np.float64, np.int8]).flatmap(
    lambda dtype: st.tuples(st.sampled_from([(2, 28, 28), (2, 784), (3,), (2,), (0, 28, 28), (2, 28, 27), ()]),
                            st.sampled_from([0, 1, 9, 255, 300, -1, 0.5])).map(
        lambda t: np.full(t[0], t[1]).astype(dtype)))


labels_arrays = st.sampled_from([np.int64, np.uint8, np.int8, np.float64]).flatmap(
    lambda dtype: st.tuples(st.sampled_from([(2,), (3,), (2, 1), ()]), st.sampled_from([0, 9, 10, -1])).map(
        lambda t: np.full(t[0], t[1]).astype(dtype)))
images_arrays = st.sampled_from([np.uint8, np.float32, np.int64]).flatmap(
    lambda dtype: st.tuples(st.sampled_from([(2, 28, 28), (2, 784), (0, 28, 28), (2, 28, 27)]),
                            st.sampled_from([0, 255, 300, -1, 0.5])).map(lambda t: np.full(t[0], t[1]).astype(dtype)))
#: One change to a valid pair of members: (member name, new content or None to drop it).
npz_changes = st.one_of(
    st.tuples(st.just("x.npy"), (images_arrays | data_arrays).map(_npy)),
    st.tuples(st.just("y.npy"), (labels_arrays | data_arrays).map(_npy)),
    st.tuples(st.sampled_from(["x.npy", "y.npy"]), st.binary(max_size=64) | st.just(None)),
    st.tuples(st.sampled_from(["x.npy", "y.npy"]), st.integers(1, 200).map(lambda cut: ("cut", cut))),
    st.tuples(st.sampled_from(["x", "junk.npy", "x_train.npy"]), small_arrays.map(_npy) | st.binary(max_size=32)),
)


@FUZZ
@given(changes=st.lists(npz_changes, min_size=1, max_size=2))
def test_npz_data_with_changed_members(folder, changes):
    members = {"x.npy": _npy(np.zeros((2, 28, 28), np.uint8)), "y.npy": _npy(np.array([3, 4]))}
    for name, content in changes:
        if content is None:
            members.pop(name, None)
        elif isinstance(content, tuple):  # the member cut short
            members[name] = members.get(name, b"")[:-content[1]]
        else:
            members[name] = content
    path = _fresh(folder, ".npz")
    _zip(path, members)
    result = outcome(lambda: read_npz_splits(path), DataError)
    if not isinstance(result, DataError):
        for images, labels in result.values():
            assert images.dtype == np.uint8 and images.shape[1:] == (28, 28) and len(images)
            assert labels.dtype == np.int64 and labels.shape == (len(images),)
            assert labels.min() >= 0 and labels.max() <= 9


@FUZZ
@given(content=st.binary(max_size=300))
def test_any_bytes_as_an_npz_data_file(folder, content):
    assume(content)
    path = _fresh(folder, ".npz")
    path.write_bytes(content)
    assert isinstance(outcome(lambda: read_npz_splits(path), DataError), DataError)
