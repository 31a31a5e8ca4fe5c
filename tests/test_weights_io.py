"""Weights files: round trips, atomic writes, and refusal of damaged files with a clear message."""
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.mlp import MLP
from model.weights_io import (BUNDLED_WEIGHTS, FORMAT_VERSION, WeightsError, activation_bound, export_csv,
                              import_csv, load_weights, save_weights)

X = np.random.default_rng(0).random((6, 784), dtype=np.float32)


@pytest.fixture
def net():
    model = MLP([784, 24, 16, 10], batch_norm=True, dropout=0.1, seed=3)
    rng = np.random.default_rng(1)
    for norm in model.norms:  # non-trivial batch-norm state
        norm.running_mean[:] = rng.random(norm.running_mean.shape)
        norm.running_var[:] = rng.uniform(0.5, 2, norm.running_var.shape)
        norm.gamma[:] = rng.uniform(0.5, 2, norm.gamma.shape)
    return model


@pytest.fixture
def saved(tmp_path, net):
    path = tmp_path / "mlp.npz"
    save_weights(path, net, {"results": {"mnist_test_accuracy": 0.5}, "preprocessing": {"box": 20}})
    return path


def _rewrite(path, mutate):
    """Rewrite a saved file with mutate(arrays dict, metadata dict) applied."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    meta = json.loads(str(arrays.pop("metadata_json")))
    mutate(arrays, meta)
    if meta is not None:
        arrays["metadata_json"] = np.array(json.dumps(meta))
    np.savez_compressed(path, **arrays)


def test_save_load_round_trip_predictions_identical(saved, net):
    model, meta = load_weights(saved)
    np.testing.assert_array_equal(model.predict_proba(X), net.predict_proba(X))
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["layer_sizes"] == [784, 24, 16, 10]
    assert meta["batch_norm"] is True and meta["dropout"] == 0.1 and meta["activation"] == "relu"
    assert meta["results"] == {"mnist_test_accuracy": 0.5}
    assert meta["preprocessing"] == {"box": 20}
    assert {"training", "data", "created"} <= set(meta)
    assert model.config() == net.config()


def test_file_is_plain_npz_without_pickles(saved):
    with np.load(saved, allow_pickle=False) as archive:
        assert "metadata_json" in archive.files
        assert all(archive[k].dtype == np.float32 for k in archive.files if k != "metadata_json")


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path, net):
    path = tmp_path / "sub" / "w.npz"
    save_weights(path, net)
    save_weights(path, net)
    assert [p.name for p in path.parent.iterdir()] == ["w.npz"]


def test_failed_save_keeps_the_old_file(tmp_path, net):
    path = tmp_path / "w.npz"
    save_weights(path, net)
    before = path.read_bytes()
    with pytest.raises(WeightsError, match="not JSON-serialisable"):
        save_weights(path, net, {"results": {"bad": object()}})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["w.npz"]


def test_missing_file(tmp_path):
    with pytest.raises(WeightsError, match=r"nothere\.npz: no such weights file"):
        load_weights(tmp_path / "nothere.npz")


def test_truncated_file_is_refused(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    with pytest.raises(WeightsError, match=r"mlp\.npz: not a valid weights archive \(truncated or corrupted"):
        load_weights(saved)


def test_corrupted_bytes_are_refused(saved):
    data = bytearray(saved.read_bytes())
    middle = len(data) // 3
    data[middle:middle + 64] = bytes(b ^ 0xFF for b in data[middle:middle + 64])
    saved.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match=r"mlp\.npz: not a valid weights archive"):
        load_weights(saved)


def test_not_a_zip_file(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("hello")
    with pytest.raises(WeightsError, match="notes.npz: not a valid weights archive"):
        load_weights(path)


@pytest.mark.parametrize("mutate,message", [
    (lambda a, m: a.__setitem__("W2", np.zeros((24, 15), np.float32)),
     r"array W2 has shape \(24, 15\), expected \(24, 16\)"),
    (lambda a, m: a.__setitem__("W1", a["W1"].astype(np.float64)), "array W1 has dtype float64, expected float32"),
    (lambda a, m: a["b2"].__setitem__(3, np.nan), r"array b2 contains non-finite values"),
    (lambda a, m: a["W3"].__setitem__((0, 0), np.inf), r"array W3 contains non-finite values"),
    (lambda a, m: m.__setitem__("format_version", 99), "unknown format version 99"),
    (lambda a, m: a.pop("bn2_var"), "array bn2_var is missing"),
    (lambda a, m: a.pop("b1"), "array b1 is missing"),
    (lambda a, m: m.__setitem__("layer_sizes", [784, 24, 16, 9]), "layer_sizes .* from 784 to 10"),
    (lambda a, m: m.__setitem__("activation", "tanh"), "unsupported activation"),
])
def test_bad_contents_are_refused_with_the_right_message(saved, mutate, message):
    _rewrite(saved, mutate)
    with pytest.raises(WeightsError, match=message) as info:
        load_weights(saved)
    assert str(saved) in str(info.value) and "\n" not in str(info.value)


def test_missing_or_malformed_metadata(saved):
    with np.load(saved, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files if k != "metadata_json"}
    np.savez_compressed(saved, **arrays)
    with pytest.raises(WeightsError, match="no metadata"):
        load_weights(saved)
    np.savez_compressed(saved, metadata_json=np.array("{not json"), **arrays)
    with pytest.raises(WeightsError, match="metadata is not valid JSON"):
        load_weights(saved)


def test_csv_round_trip(tmp_path, net):
    folder = export_csv(net, tmp_path / "csv")
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([f"{k}.csv" for k in net.arrays()] + ["model.json"])
    assert np.loadtxt(folder / "W1.csv", delimiter=",").shape == (784, 24)
    again = import_csv(folder)
    for name, value in net.arrays().items():
        np.testing.assert_array_equal(again.arrays()[name], value)
    np.testing.assert_array_equal(again.predict_proba(X), net.predict_proba(X))


def test_csv_without_batch_norm_round_trip(tmp_path):
    model = MLP([784, 10], seed=2)
    again = import_csv(export_csv(model, tmp_path))
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))


def test_csv_problems_are_refused(tmp_path, net):
    folder = export_csv(net, tmp_path / "csv")
    lines = (folder / "b2.csv").read_text().splitlines()
    (folder / "b2.csv").write_text(lines[0].replace(",", ",abc,", 1) + "\n")
    with pytest.raises(WeightsError, match=r"b2\.csv: not a numeric CSV"):
        import_csv(folder)
    export_csv(net, folder)
    W = np.loadtxt(folder / "W2.csv", delimiter=",")
    np.savetxt(folder / "W2.csv", W[:, :-1], delimiter=",")
    with pytest.raises(WeightsError, match=r"W2\.csv: expected 24 rows x 16 columns, got 24 x 15"):
        import_csv(folder)
    export_csv(net, folder)
    np.savetxt(folder / "b1.csv", np.full((1, 24), np.nan), delimiter=",")
    with pytest.raises(WeightsError, match=r"b1\.csv: contains non-finite"):
        import_csv(folder)
    export_csv(net, folder)
    (folder / "W3.csv").unlink()
    with pytest.raises(WeightsError, match=r"W3\.csv: missing"):
        import_csv(folder)
    (folder / "model.json").write_text("{")
    with pytest.raises(WeightsError, match=r"model\.json: not valid JSON"):
        import_csv(folder)
    with pytest.raises(WeightsError, match="no such folder"):
        import_csv(tmp_path / "nowhere")


def test_bundled_weights_path():
    assert BUNDLED_WEIGHTS == Path(__file__).resolve().parent.parent / "weights" / "mlp.npz"


# ------------------------------------------------------------------------ hostile files
def test_permission_denied_is_said_so(saved, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr("builtins.open", refuse)
    with pytest.raises(WeightsError, match=r"mlp\.npz: cannot read \(permission denied\)"):
        load_weights(saved)


def test_members_the_architecture_does_not_call_for_are_refused_unread(saved, monkeypatch):
    from model.npz_reader import NpzArchive

    with zipfile.ZipFile(saved, "a") as archive:
        archive.writestr("huge.npy", b"\x93NUMPY never decompressed")
    read, original = [], NpzArchive.read

    def recording_read(self, name, header=None):
        read.append(name)
        return original(self, name, header)
    monkeypatch.setattr(NpzArchive, "read", recording_read)
    with pytest.raises(WeightsError, match="unexpected member 'huge'"):
        load_weights(saved)
    assert read == ["metadata_json"]  # only the metadata was decompressed


def test_batch_norm_arrays_without_batch_norm_in_the_metadata(saved):
    _rewrite(saved, lambda a, m: m.pop("batch_norm"))
    with pytest.raises(WeightsError, match=r"holds batch-norm arrays \(bn1_\w+\) but its metadata does not say"):
        load_weights(saved)


@pytest.mark.parametrize("key, value, message", [
    ("format_version", True, "unknown format version True"),
    ("results", "x", "results must be a JSON object, got a string"),
    ("training", None, "training must be a JSON object, got null"),
    ("preprocessing", {"field": 29}, "preprocessing field is 29"),
    ("preprocessing", {"box": 40}, "bad preprocessing settings"),
    ("layer_sizes", [784] + [8] * 100_000 + [10], r"layer_sizes \[784, 8, 8"),
    ("created", 5, "created must be a date string"),
])
def test_metadata_is_checked_against_the_schema(saved, key, value, message):
    _rewrite(saved, lambda a, m: m.__setitem__(key, value))
    with pytest.raises(WeightsError, match=message) as caught:
        load_weights(saved)
    assert len(str(caught.value)) <= 1000


def test_the_training_section_is_free_form(saved):
    recipe = {"recipe": {"epochs": 3, "anything": [1, {"nested": None}]}}
    _rewrite(saved, lambda a, m: m.__setitem__("training", recipe))
    assert load_weights(saved)[1]["training"] == recipe


def test_finite_weights_that_overflow_are_refused(saved):
    _rewrite(saved, lambda a, m: a.__setitem__("W1", np.full((784, 24), 3e38, np.float32)))
    with pytest.raises(WeightsError, match="weights too large"):
        load_weights(saved)


@settings(max_examples=25, deadline=None)
@given(scale=st.floats(0.01, 1e6), seed=st.integers(0, 1000), batch_norm=st.booleans())
def test_the_activation_bound_holds_for_every_input(scale, seed, batch_norm):
    model = MLP([784, 16, 12, 10], batch_norm=batch_norm, seed=seed)
    for dense in model.dense:
        dense.W *= np.float32(scale)
    rng = np.random.default_rng(seed)
    inputs = np.concatenate([rng.random((64, 784), dtype=np.float32), np.ones((1, 784), np.float32),
                             (rng.random((64, 784)) < 0.5).astype(np.float32)])
    logits = model.forward(inputs)
    assert np.abs(logits).max() <= activation_bound(model) * (1 + 1e-5)


def test_oversized_csv_weights_are_refused_unread(tmp_path, net):
    folder = export_csv(net, tmp_path / "csv")
    (folder / "b1.csv").write_text("0," * 100_000 + "0\n")
    with pytest.raises(WeightsError, match=r"b1\.csv: .* too large for 24 values"):
        import_csv(folder)
