"""train.py stopped by SIGINT or SIGTERM at scripted moments, as a person or a service manager would:
the file at --out is always either the old one or a complete new one, finished epochs are kept, no
temporary file is left behind, and what is printed is one line, never a traceback.

The moments are found by reading train.py's output as it runs (the line that starts each phase);
a signal during the evaluation and the save is covered in-process by tests/test_train_cli.py.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from model.mlp import MLP
from model.weights_io import load_weights, save_weights

SIGNALS = [signal.SIGINT, signal.SIGTERM]


def _old_file(path: Path) -> bytes:
    save_weights(path, MLP([784, 4, 10], seed=1), {"results": {"marker": "old"}})
    return path.read_bytes()


def _run_until(repo_root: Path, argv: list[str], trigger: str, number: int, env: dict,
               delay: float = 0.0) -> subprocess.CompletedProcess:
    """Start train.py, send signal `number` `delay` seconds after a line containing `trigger`
    appears, wait for the end."""
    process = subprocess.Popen([sys.executable, "train.py", *argv], cwd=repo_root, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = []
    deadline = time.monotonic() + 120
    for line in process.stdout:
        lines.append(line)
        if trigger in line:
            time.sleep(delay)
            process.send_signal(number)
            break
        if time.monotonic() > deadline:
            break
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, "".join(lines) + out, err)


@pytest.fixture
def env(tmp_path):
    return dict(os.environ, DIGITPAD_NO_DRAWN_CACHE="1", OPENBLAS_NUM_THREADS="1")


@pytest.mark.parametrize("number", SIGNALS, ids=lambda n: signal.Signals(n).name)
def test_a_signal_while_drawn_digits_render_stops_at_once_and_keeps_the_old_file(number, repo_root, test_data_dir,
                                                                                 tmp_path, env):
    out = tmp_path / "w.npz"
    old = _old_file(out)
    # Many renders of each sample drawing: rendering then lasts long enough to be interrupted.
    argv = ["--data", str(test_data_dir / "mnist_train_sample.npz"), "--limit", "50", "--epochs", "1",
            "--drawings", str(test_data_dir / "drawings_sample.jsonl"), "--drawing-variants", "400",
            "--quiet", "--out", str(out)]
    started = time.monotonic()
    done = _run_until(repo_root, argv, "MNIST:", number, env)
    assert done.returncode == 130, done.stderr
    assert time.monotonic() - started < 60
    assert done.stderr.strip() == "interrupted before training started: nothing was written"
    assert out.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.npz"]


@pytest.mark.parametrize("number", SIGNALS, ids=lambda n: signal.Signals(n).name)
def test_a_signal_mid_training_saves_the_finished_epochs_whole(number, repo_root, test_data_dir, tmp_path, env):
    out = tmp_path / "w.npz"
    _old_file(out)
    argv = ["--data", str(test_data_dir / "mnist_train_sample.npz"), "--epochs", "30", "--hidden", "64",
            "--no-drawings", "--no-negatives", "--quiet", "--out", str(out)]
    done = _run_until(repo_root, argv, "epoch   1/30", number, env)
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr
    name = signal.Signals(number).name
    assert f"stopped ({name}): keeping the best finished epoch" in done.stdout
    _, meta = load_weights(out)  # a complete new file
    assert meta["results"]["stopped"] is True and 1 <= meta["results"]["epochs_run"] < 30
    assert meta["results"]["best_epoch"] <= meta["results"]["epochs_run"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w.npz", "w_curves.png"]


def test_a_second_signal_does_not_break_the_save(repo_root, test_data_dir, tmp_path, env):
    out = tmp_path / "w.npz"
    argv = ["--data", str(test_data_dir / "mnist_train_sample.npz"), "--epochs", "30", "--hidden", "64",
            "--no-drawings", "--no-negatives", "--quiet", "--out", str(out)]
    process = subprocess.Popen([sys.executable, "train.py", *argv], cwd=repo_root, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for line in process.stdout:
        if "epoch   1/30" in line:
            process.send_signal(signal.SIGINT)
            process.send_signal(signal.SIGTERM)
            break
    out_text, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "already stopping" in out_text and "Traceback" not in err
    model, meta = load_weights(out)
    assert meta["results"]["stopped"] is True
    assert np.isfinite(model.arrays()["W1"]).all()


@pytest.mark.parametrize("number", SIGNALS, ids=lambda n: signal.Signals(n).name)
def test_a_signal_while_worker_processes_render_is_one_line_too(number, repo_root, test_data_dir, tmp_path, env):
    """A whole drawing file of more than one chunk renders in worker processes (stroke renders and
    small pictures), which the parent ends on a signal: they must die quietly."""
    lines = (test_data_dir / "drawings_sample.jsonl").read_text().splitlines()
    drawings = tmp_path / "many.jsonl"
    drawings.write_text("\n".join(lines * (600 // len(lines) + 1)) + "\n")
    out = tmp_path / "w.npz"
    argv = ["--data", str(test_data_dir / "mnist_train_sample.npz"), "--epochs", "1", "--hidden", "8",
            "--drawings", str(drawings), "--drawing-variants", "20", "--picture-variants", "2", "--no-negatives",
            "--quiet", "--out", str(out)]
    # 600 drawings x 22 renders take tens of seconds: 3 s after the data line the workers are busy.
    done = _run_until(repo_root, argv, "MNIST:", number, env, delay=3.0)
    assert done.returncode == 130, done.stderr
    assert done.stderr.strip() == "interrupted before training started: nothing was written"
    assert not out.exists()
