"""Weights files: round trips, atomic writes, and refusal of damaged files with a clear message."""
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from model.mlp import MLP
from model.weights_io import (BUNDLED_WEIGHTS, FORMAT_VERSION, WeightsError, export_csv, import_csv,
                              load_weights, save_weights)

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
