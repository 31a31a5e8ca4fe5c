"""train.py: options, a quick real run on the committed MNIST sample, the saved metadata,
--eval-only, determinism and one-line errors."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import train
from model.weights_io import load_weights

# Augmentation off: on 5,000 images and 5 epochs it would only slow the quick run down.
QUICK = ["--limit", "5000", "--epochs", "5", "--hidden", "128", "--batch-size", "64", "--lr", "0.1",
         "--no-drawings", "--no-augment", "--quiet", "--val-split", "0.05", "--seed", "3"]


@pytest.fixture(scope="module")
def sample(test_data_dir):
    return test_data_dir / "mnist_train_sample.npz"


@pytest.fixture(scope="module")
def quick_weights(tmp_path_factory, sample):
    """One quick training run on the committed sample, shared by the tests below."""
    out = tmp_path_factory.mktemp("quick") / "w.npz"
    code = train.main(["--data", str(sample), "--out", str(out), *QUICK])
    assert code == 0
    return out


def test_help_lists_every_option(repo_root):
    done = subprocess.run([sys.executable, "train.py", "--help"], cwd=repo_root, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0
    for option in ["--hidden", "--optimizer", "--lr", "--momentum", "--nesterov", "--schedule",
                   "--warmup-epochs", "--batch-size", "--epochs", "--weight-decay", "--dropout",
                   "--batch-norm", "--no-batch-norm", "--seed", "--val-split", "--patience", "--data",
                   "--out", "--export-csv", "--limit", "--drawings", "--exclude-writers", "--augment",
                   "--no-augment", "--rotation", "--scale", "--shear", "--shift", "--thickness",
                   "--elastic-alpha", "--elastic-sigma", "--eval-only", "--weights", "--json"]:
        assert option in done.stdout, option


def test_quick_run_writes_a_loadable_self_describing_file(quick_weights):
    model, meta = load_weights(quick_weights)
    assert meta["layer_sizes"] == [784, 128, 10]
    assert meta["format_version"] == 1 and meta["activation"] == "relu"
    assert meta["preprocessing"]["field"] == 28
    settings = meta["training"]["settings"]
    assert settings["hidden"] == [128] and settings["epochs"] == 5 and settings["seed"] == 3
    assert settings["augment"]["enabled"] is False and "rotation_deg" in settings["augment"]
    assert "--limit 5000" in meta["training"]["command"]
    assert meta["data"]["sha256"]
    assert meta["results"]["epochs_run"] == 5 and len(meta["results"]["history"]) == 5
    assert 0 <= meta["results"]["augment_share"] < 1
    assert meta["created"][:2] == "20"


def test_quick_run_reaches_90_percent_on_held_out_images(quick_weights, test_data_dir, capsys):
    code = train.main(["--eval-only", "--weights", str(quick_weights), "--data",
                       str(test_data_dir / "mnist_test_sample.npz"), "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert {"test_accuracy", "test_loss", "confusion"} <= set(result)
    assert result["test_accuracy"] >= 0.90
    confusion = np.array(result["confusion"])
    assert confusion.shape == (10, 10) and confusion.sum() == result["n"] == 2000
    assert np.trace(confusion) == round(result["test_accuracy"] * 2000)


def test_same_seed_same_weights(tmp_path, sample):
    argv = ["--data", str(sample), "--limit", "600", "--epochs", "2", "--hidden", "32", "--quiet",
            "--no-drawings", "--seed", "7"]
    assert train.main([*argv, "--out", str(tmp_path / "a.npz")]) == 0
    assert train.main([*argv, "--out", str(tmp_path / "b.npz")]) == 0
    a, _ = load_weights(tmp_path / "a.npz")
    b, _ = load_weights(tmp_path / "b.npz")
    for name, array in a.arrays().items():
        np.testing.assert_array_equal(array, b.arrays()[name])


def test_drawings_and_writer_exclusion_are_recorded(tmp_path, sample, test_data_dir):
    drawings = test_data_dir / "drawings_sample.jsonl"
    out = tmp_path / "d.npz"
    code = train.main(["--data", str(sample), "--limit", "300", "--epochs", "1", "--hidden", "16",
                       "--quiet", "--drawings", str(drawings), "--drawing-variants", "1",
                       "--exclude-writers", "nobody,someone", "--out", str(out)])
    assert code == 0
    _, meta = load_weights(out)
    assert meta["training"]["settings"]["exclude_writers"] == ["nobody", "someone"]
    (record,) = meta["data"]["drawings"]
    assert record["path"].endswith("drawings_sample.jsonl") and len(record["sha256"]) == 64
    assert meta["results"]["drawn_images"] > 0


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    return err


@pytest.mark.parametrize("argv, fragment", [
    (["--data", "/nonexistent/mnist"], "/nonexistent/mnist"),
    (["--eval-only", "--weights", "/nonexistent/w.npz"], "/nonexistent/w.npz"),
    (["--drawings", "/nonexistent/d.jsonl", "--limit", "10"], "/nonexistent/d.jsonl"),
    (["--lr", "-1"], "lr"),
    (["--optimizer", "rmsprop"], "optimizer"),
    (["--blas-threads", "0", "--limit", "10"], "--blas-threads"),
])
def test_bad_input_is_one_line_and_exit_2(argv, fragment, capsys, tmp_path, sample):
    full = list(argv)
    if "--data" not in full and "--eval-only" not in full:
        full += ["--data", str(sample)]
    with pytest.raises(SystemExit) if "--optimizer" in argv else _no_raise():
        code = train.main([*full, "--out", str(tmp_path / "x.npz"), "--quiet"])
        assert code == 2
    err = _one_line_error(capsys)
    assert fragment in err
    assert not (tmp_path / "x.npz").exists()


def test_corrupt_weights_are_refused_in_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    assert train.main(["--eval-only", "--weights", str(bad)]) == 2
    assert str(bad) in _one_line_error(capsys)


class _no_raise:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_ctrl_c_keeps_the_best_weights_so_far(tmp_path, sample, monkeypatch, capsys):
    def interrupt_in_epoch_two(self, epoch, batch, n_batches, loss):
        if epoch == 2 and batch == 3:
            raise KeyboardInterrupt

    monkeypatch.setattr(train.Progress, "on_batch", interrupt_in_epoch_two)
    out = tmp_path / "i.npz"
    code = train.main(["--data", str(sample), "--limit", "600", "--epochs", "5", "--hidden", "16",
                       "--no-drawings", "--out", str(out)])
    assert code == 130
    _, meta = load_weights(out)
    assert meta["results"]["interrupted"] is True and meta["results"]["best_epoch"] == 1
    assert "interrupted" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["i.npz"]  # no temporary file left behind
