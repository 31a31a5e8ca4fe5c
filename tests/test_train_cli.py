"""train.py: options, a quick real run on the committed MNIST sample, the saved metadata,
--eval-only, determinism and one-line errors."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import train
from model.augment import AugmentSettings
from model.recipe import Recipe, recipe_from_metadata
from model.weights_io import load_weights

# Augmentation off: on 5,000 images and 5 epochs it would only slow the quick run down.
QUICK = ["--limit", "5000", "--epochs", "5", "--hidden", "128", "--batch-size", "64", "--lr", "0.1",
         "--no-drawings", "--no-negatives", "--no-augment", "--quiet", "--val-split", "0.05", "--seed", "3"]


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
    settings = meta["training"]["recipe"]
    assert settings["hidden"] == [128] and settings["epochs"] == 5 and settings["seed"] == 3
    assert settings["augment"]["enabled"] is False and "rotation_deg" in settings["augment"]
    assert recipe_from_metadata(meta) == Recipe(hidden=(128,), epochs=5, seed=3, limit=5000, batch_size=64,
                                                drawings=(), val_split=0.05, augment=AugmentSettings.off(),
                                                negatives_per_source=0)
    assert "--limit 5000" in meta["training"]["command"]
    assert meta["training"]["blas_threads"] == 1  # a 128-unit layer trains on one thread
    assert meta["data"]["sha256"]
    assert meta["results"]["epochs_run"] == 5 and len(meta["results"]["history"]) == 5
    assert 0 <= meta["results"]["augment_share"] < 1
    assert meta["created"][:2] == "20"


def test_every_run_draws_its_curves_next_to_the_weights(quick_weights):
    from PIL import Image

    curves = quick_weights.with_name(quick_weights.stem + "_curves.png")
    with Image.open(curves) as image:
        assert image.format == "PNG" and image.width > 400 and image.height > 200
        assert len(np.unique(np.asarray(image.convert("L")))) > 10  # a drawn chart, not a blank image
    # The sample has no test split, so no confusion matrix: only the curves.
    assert not quick_weights.with_name(quick_weights.stem + "_confusion.png").exists()


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
            "--no-drawings", "--no-negatives", "--seed", "7"]
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
    assert meta["training"]["recipe"]["exclude_writers"] == ["nobody", "someone"]
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


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_a_signal_mid_training_keeps_the_best_finished_epoch(signal_name, tmp_path, sample, monkeypatch, capsys):
    from model.progress import TerminalProgress

    def signal_in_epoch_two(self, progress):
        if (progress.epoch, progress.batch) == (2, 3):
            os.kill(os.getpid(), getattr(signal, signal_name))

    monkeypatch.setattr(TerminalProgress, "on_batch", signal_in_epoch_two)
    out = tmp_path / "i.npz"
    code = train.main(["--data", str(sample), "--limit", "600", "--epochs", "5", "--hidden", "16",
                       "--no-drawings", "--no-negatives", "--out", str(out)])
    assert code == 130
    _, meta = load_weights(out)
    assert meta["results"]["stopped"] is True and meta["results"]["best_epoch"] == 1
    assert meta["results"]["epochs_run"] == 1
    assert f"stopped ({signal_name})" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["i.npz", "i_curves.png"]  # no temporary file left
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handlers restored


def test_a_signal_after_the_last_epoch_still_saves_the_finished_run(tmp_path, sample, monkeypatch):
    """Ctrl+C during the test evaluation or the save used to throw the whole run away."""
    import model.model_files as model_files

    real_save = model_files.save_weights

    def interrupted_save(path, model, metadata):
        os.kill(os.getpid(), signal.SIGINT)  # arrives while the file is being written
        return real_save(path, model, metadata)

    monkeypatch.setattr(model_files, "save_weights", interrupted_save)
    out = tmp_path / "late.npz"
    code = train.main(["--data", str(sample), "--limit", "300", "--epochs", "2", "--hidden", "16", "--quiet",
                       "--no-drawings", "--no-negatives", "--out", str(out)])
    assert code == 0
    _, meta = load_weights(out)
    assert meta["results"]["epochs_run"] == 2 and meta["results"]["stopped"] is False


def test_an_interrupt_before_training_writes_nothing(tmp_path, sample, monkeypatch, capsys):
    import preprocessing.training_set as training_set

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training_set, "render_drawn", interrupted)
    out = tmp_path / "never.npz"
    assert train.main(["--data", str(sample), "--limit", "100", "--epochs", "1", "--out", str(out)]) == 130
    assert "nothing was written" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_failed_save_goes_to_the_models_folder_instead(tmp_path, sample, monkeypatch, capsys):
    import model.model_files as model_files
    from model.userdata import models_dir

    real_save = model_files.save_weights
    out = tmp_path / "full-disk.npz"

    def disk_full_for_out(path, model, metadata):
        if Path(path) == out:
            raise OSError(28, "No space left on device", str(path))
        return real_save(path, model, metadata)

    monkeypatch.setattr(model_files, "save_weights", disk_full_for_out)
    code = train.main(["--data", str(sample), "--limit", "300", "--epochs", "1", "--hidden", "16", "--quiet",
                       "--no-drawings", "--no-negatives", "--out", str(out)])
    assert code == 2 and not out.exists()
    printed = capsys.readouterr().out
    assert f"could not write {out} (No space left on device)" in printed
    rescued = Path(printed.rsplit("; saving to ", 1)[1].split(" instead")[0])
    assert rescued.parent == models_dir() and load_weights(rescued)[1]["results"]["epochs_run"] == 1


def test_without_out_a_run_writes_a_new_file_in_the_models_folder(tmp_path, sample, capsys):
    from model.userdata import models_dir

    argv = ["--data", str(sample), "--limit", "200", "--epochs", "1", "--hidden", "8", "--quiet", "--no-drawings", "--no-negatives"]
    before = set(models_dir().glob("*.npz")) if models_dir().is_dir() else set()
    assert train.main(argv) == 0 and train.main(argv) == 0
    new = sorted(set(models_dir().glob("*.npz")) - before)
    assert len(new) == 2 and all(p.name.startswith("mlp-quick-") for p in new)  # never replaced
    assert f"digit-pad --weights {new[-1]}" in capsys.readouterr().out


@pytest.mark.parametrize("out, fragment", [
    ("BUNDLED", "only a complete run of the default recipe may replace it (this run changes hidden, epochs, limit)"),
    ("/dev/null", "not a regular file"),
    ("FILE/w.npz", "is not a folder"),
    ("MISSING/w.npz", "its folder does not exist"),
])
def test_protected_or_unusable_outputs_are_refused_before_any_work(out, fragment, tmp_path, sample, capsys,
                                                                   monkeypatch):
    import model.data as data
    from model.weights_io import BUNDLED_WEIGHTS

    monkeypatch.setattr(data, "load_mnist", lambda *a, **k: pytest.fail("MNIST was loaded before the check"))
    (tmp_path / "FILE").write_text("x")
    path = str(BUNDLED_WEIGHTS) if out == "BUNDLED" else out.replace("FILE", str(tmp_path / "FILE")).replace(
        "MISSING", str(tmp_path / "missing"))
    before = BUNDLED_WEIGHTS.stat().st_mtime_ns
    code = train.main(["--data", str(sample), "--limit", "100", "--epochs", "1", "--hidden", "8", "--quiet",
                       "--out", path])
    assert code == 2
    assert fragment in _one_line_error(capsys)
    assert BUNDLED_WEIGHTS.stat().st_mtime_ns == before


def test_a_quick_run_leaves_the_checkout_untouched(repo_root, sample, tmp_path):
    """`python train.py --limit 500 --epochs 1` in a checkout: git status stays as it was."""
    if not (repo_root / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")

    def status():
        return subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=repo_root,
                              capture_output=True, text=True, check=True).stdout

    before = status()
    done = subprocess.run([sys.executable, "train.py", "--limit", "500", "--epochs", "1", "--quiet",
                           "--data", str(sample), "--no-drawings", "--no-negatives"], cwd=repo_root, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert status() == before


def test_help_and_defaults_never_depend_on_a_weights_file(monkeypatch, capsys):
    """Defaults used to come from the bundled file, so bad settings in it (augment: 5) broke --help."""
    import model.weights_io as weights_io

    monkeypatch.setattr(weights_io, "load_weights", lambda *a, **k: pytest.fail("a weights file was read"))
    with pytest.raises(SystemExit) as done:
        train.main(["--help"])
    assert done.value.code == 0
    assert "(default: 24)" in capsys.readouterr().out  # the recipe's epochs, from code


def test_a_quick_run_cannot_replace_the_model_the_app_uses(tmp_path, sample, capsys):
    from model.settings import SettingsStore

    chosen = tmp_path / "chosen.npz"
    chosen.write_bytes(b"the person's model")
    store = SettingsStore()
    store.update(model=str(chosen))
    try:
        code = train.main(["--data", str(sample), "--limit", "100", "--epochs", "1", "--quiet", "--out", str(chosen)])
        assert code == 2
        assert "is the model the app uses: only a complete run of the default recipe" in _one_line_error(capsys)
        assert chosen.read_bytes() == b"the person's model"
    finally:
        store.update(model=None)


def test_a_run_teaches_negatives_from_the_training_sources(tmp_path, sample, test_data_dir):
    out = tmp_path / "n.npz"
    code = train.main(["--data", str(sample), "--limit", "100", "--epochs", "1", "--hidden", "16", "--quiet",
                       "--drawings", str(test_data_dir / "drawings_sample.jsonl"), "--drawing-variants", "1",
                       "--negative-variants", "1", "--out", str(out)])
    assert code == 0
    _, meta = load_weights(out)
    # A quick run takes a tenth of its limit per source: 10 drawings of every training source.
    from preprocessing.negatives import sources

    assert meta["results"]["negative_images"] == 10 * len(sources("train"))
    assert meta["training"]["recipe"]["negative_weight"] == 0.5


def test_picture_variants_add_pictures_of_the_training_writers_only(tmp_path, sample, test_data_dir):
    from preprocessing.drawing import read_drawings

    drawings = test_data_dir / "drawings_sample.jsonl"
    writers = sorted({d.writer for d in read_drawings(drawings)})
    kept = [d for d in read_drawings(drawings) if d.writer != writers[0] and d.label is not None][:40]
    counts = {}
    for pictures in (0, 2):
        out = tmp_path / f"p{pictures}.npz"
        code = train.main(["--data", str(sample), "--limit", "40", "--epochs", "1", "--hidden", "16", "--quiet",
                           "--drawings", str(drawings), "--drawing-variants", "1", "--no-negatives",
                           "--picture-variants", str(pictures), "--exclude-writers", writers[0], "--out", str(out)])
        assert code == 0
        _, meta = load_weights(out)
        assert meta["training"]["recipe"]["picture_variants"] == pictures
        counts[pictures] = meta["results"]["drawn_images"]
    assert counts[0] == len(kept) and counts[2] == 3 * len(kept)
