"""Digit Pad installed the ordinary way: a built wheel, run from another folder with an empty home.

The wheel is installed (without dependencies, which this environment already has) into a folder of
its own; the commands then run with only that folder on the path, from an empty working folder,
with a fresh HOME: the bundled weights must be found as package data, per-user files must land in
the user data folder, and nothing may be written inside the installed package.
`.ci/run` does the same with a real `pip install` into a fresh virtual environment.
"""
from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from model import __version__


def _build_wheel(repo_root: Path, out: Path) -> Path:
    try:
        import setuptools
    except ImportError:
        pytest.skip("building the wheel offline needs setuptools")
    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.skip(f"building the wheel offline needs setuptools >= 77 (this one is {setuptools.__version__})")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "--disable-pip-version-check", "-q", "-w", str(out), str(repo_root)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (wheel,) = out.glob("digit_pad-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel(repo_root, tmp_path_factory) -> Path:
    return _build_wheel(repo_root, tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("site-packages")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--disable-pip-version-check",
                           "-q", "--target", str(target), str(wheel)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return target


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


class Installed:
    """Runs `python -m MODULE ...` against the installed copy from an empty folder with an empty HOME."""

    def __init__(self, site: Path, home: Path, workdir: Path) -> None:
        self.site, self.home, self.workdir = site, home, workdir
        self.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "PYTHONPATH": str(site),
                    "OPENBLAS_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8"}

    def run(self, module: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", module, *args], cwd=self.workdir, env=self.env,
                              capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def user(installed, tmp_path) -> Installed:
    home, workdir = tmp_path / "home", tmp_path / "somewhere-else"
    home.mkdir()
    workdir.mkdir()
    return Installed(installed, home, workdir)


def test_the_wheel_carries_the_weights_and_the_licence_and_nothing_else(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "weights/mlp.npz" in names and "weights/examples.npz" in names and "train.py" in names
    assert "weights/rehearsal.npz" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    for package in ("app", "model", "preprocessing", "weights"):
        assert f"{package}/__init__.py" in names
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/", ".ci/"))]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "digit-pad = app.__main__:main" in text and "digit-pad-train = train:main" in text


def test_installed_training_command_says_its_version(user):
    done = user.run("train", "--version")
    assert done.returncode == 0 and done.stdout.strip() == f"digit-pad-train {__version__}", done.stderr


def test_installed_copy_evaluates_the_bundled_weights_and_retrains_into_the_user_folder(user, test_data_dir):
    before = _snapshot(user.site)
    done = user.run("train", "--eval-only", "--json", "--data", str(test_data_dir / "mnist_test_sample.npz"))
    assert done.returncode == 0, done.stderr
    import json

    result = json.loads(done.stdout)
    assert Path(result["weights"]) == user.site / "weights" / "mlp.npz"
    assert result["test_accuracy"] >= 0.975

    done = user.run("train", "--limit", "300", "--epochs", "1", "--hidden", "16", "--quiet", "--no-drawings", "--no-negatives",
                    "--data", str(test_data_dir / "mnist_train_sample.npz"))
    assert done.returncode == 0, done.stderr
    models = list((user.home / ".local" / "share" / "digit-pad" / "models").glob("mlp-quick-*.npz"))
    assert len(models) == 1
    assert "developers' pen digits" not in done.stdout  # --no-drawings: no search beside site-packages

    done = user.run("train", "--limit", "300", "--epochs", "1", "--quiet", "--no-drawings", "--no-negatives",
                    "--data", str(test_data_dir / "mnist_train_sample.npz"),
                    "--out", str(user.site / "weights" / "mlp.npz"))
    assert done.returncode == 2 and "inside the installed Digit Pad package" in done.stderr
    assert _snapshot(user.site) == before  # nothing was ever written inside the package
    assert sorted(p.name for p in user.workdir.iterdir()) == []


def test_installed_copy_never_looks_for_the_developers_data_beside_site_packages(user, test_data_dir):
    shared = user.site.parent / "shared" / "data" / "strokes"
    shared.mkdir(parents=True, exist_ok=True)
    (shared / "pendigits-dev.jsonl").write_text((test_data_dir / "drawings_sample.jsonl").read_text())
    done = user.run("train", "--limit", "50", "--epochs", "1", "--hidden", "8", "--quiet",
                    "--data", str(test_data_dir / "mnist_train_sample.npz"))
    assert done.returncode == 0, done.stderr
    assert "pen digits" in done.stdout and "not on this machine" in done.stdout


def test_installed_copy_fine_tunes_without_mnist_on_disk(user, test_data_dir):
    """A person who installed the app has no MNIST: the shipped sample keeps the model from
    forgetting and measures the change; the personal model lands in the models folder."""
    before = _snapshot(user.site)
    done = user.run("train", "--fine-tune", str(test_data_dir / "drawings_sample.jsonl"), "--epochs", "1",
                    "--drawing-variants", "2", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "with 2000 MNIST digits for rehearsal" in done.stdout
    assert "MNIST (shipped sample of 2000 test digits)" in done.stdout
    models = list((user.home / ".local" / "share" / "digit-pad" / "models").glob("personal-*.npz"))
    assert len(models) == 1 and f"saved {models[0]}" in done.stdout
    assert _snapshot(user.site) == before


@pytest.mark.gui
def test_installed_app_opens_its_window_with_the_bundled_model(user, x_display, tmp_path):
    import json
    import time

    state = tmp_path / "state.json"
    env = dict(user.env, DISPLAY=x_display)
    process = subprocess.Popen([sys.executable, "-m", "app", "--state-file", str(state)], cwd=user.workdir,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        shown = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                shown = json.loads(state.read_text())
            except (OSError, ValueError):
                shown = None
            if shown and shown.get("ready"):
                break
            time.sleep(0.1)
        assert shown and shown.get("ready"), process.stdout.read() if process.poll() is not None else "timeout"
        assert Path(shown["weights"]) == user.site / "weights" / "mlp.npz"
        assert shown["verdict"] == "empty"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_installed_app_says_its_version_and_where_the_user_folders_are(user):
    done = user.run("app", "--version")
    assert done.returncode == 0 and done.stdout.strip() == f"digit-pad {__version__}", done.stderr
    done = user.run("app", "--where")
    assert done.returncode == 0, done.stderr
    where = dict(line.split(": ", 1) for line in done.stdout.strip().splitlines())
    assert where["data"] == str(user.home / ".local" / "share" / "digit-pad")
    assert where["models"] == str(user.home / ".local" / "share" / "digit-pad" / "models")
    assert where["cache"] == str(user.home / ".cache" / "digit-pad")
    assert Path(where["bundled weights"]) == user.site / "weights" / "mlp.npz"
    assert not (user.home / ".local").exists()  # asking where creates nothing
