"""Shared fixtures: where the optional data lives, and a real X display for GUI tests.

Tests that need ../shared (the workplace's MNIST and drawn digits) skip where it is absent, so that
a user's fresh checkout passes; GUI tests start their own Xvfb and skip where there is none.
"""
from __future__ import annotations

import os

# The tests' networks are tiny: a second OpenBLAS thread only adds hand-over cost, and on a busy
# 2-core machine it made a test run 15 times slower. Set before anything imports NumPy; a value
# the person set wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import atexit
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# The tests never read or write the person's own data and cache folders (models, settings,
# downloads): every test session gets empty ones of its own (subprocesses inherit them).
_USER_FOLDERS = Path(tempfile.mkdtemp(prefix="digitpad-tests-"))
os.environ["DIGITPAD_DATA_DIR"] = str(_USER_FOLDERS / "data")
os.environ["DIGITPAD_CACHE_DIR"] = str(_USER_FOLDERS / "cache")
atexit.register(shutil.rmtree, _USER_FOLDERS, ignore_errors=True)
TEST_DATA = REPO_ROOT / "tests" / "data"
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"


def _shared_root() -> Path:
    return Path(os.environ.get("DIGITPAD_SHARED", REPO_ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def test_data_dir() -> Path:
    return TEST_DATA


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where a test run leaves what a person may want to look at (screenshots)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    root = _shared_root()
    if not root.is_dir():
        pytest.skip(f"shared data folder {root} is absent (only in the developers' workplace)")
    return root


@pytest.fixture(scope="session")
def mnist_dir(shared_dir: Path) -> Path:
    path = shared_dir / "data" / "mnist"
    if not (path / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"MNIST is not at {path}")
    return path


@pytest.fixture(scope="session")
def pendigits_path(shared_dir: Path) -> Path:
    path = shared_dir / "data" / "strokes" / "pendigits-dev.jsonl"
    if not path.is_file():
        pytest.skip(f"drawn digits are not at {path}")
    return path


@pytest.fixture(scope="session")
def bundled_weights() -> Path:
    path = REPO_ROOT / "weights" / "mlp.npz"
    if not path.is_file():
        pytest.fail(f"bundled weights {path} are missing")
    return path


def _free_display_number() -> int:
    for number in range(90, 200):
        if not Path(f"/tmp/.X{number}-lock").exists() and not Path(f"/tmp/.X11-unix/X{number}").exists():
            return number
    raise RuntimeError("no free X display number between :90 and :199")


@pytest.fixture(scope="session")
def x_display():
    """A private Xvfb display (':N'), started once per test session.

    Skips with a reason where Xvfb or xdotool is not installed. An existing DISPLAY is not used, so
    the tests never draw on a person's real screen.
    """
    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"real-window tests need {' and '.join(missing)} (apt-get install xvfb xdotool)")
    try:
        import tkinter  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"tkinter is not available: {exc}")
    number = _free_display_number()
    display = f":{number}"
    server = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1280x1024x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            pytest.skip(f"Xvfb could not start on {display}")
        time.sleep(0.05)
    previous = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = display
    try:
        yield display
    finally:
        if previous is None:
            os.environ.pop("DISPLAY", None)
        else:
            os.environ["DISPLAY"] = previous
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="session")
def tk_root(x_display):
    """One Tk interpreter for the in-process GUI tests, on the private Xvfb display, withdrawn.

    Panels are built in a `toplevel` of it; skips like `x_display` where there is no X server.
    """
    import tkinter

    try:
        root = tkinter.Tk()
    except tkinter.TclError as exc:
        pytest.skip(f"Tk cannot open the test display: {exc}")
    root.withdraw()
    yield root
    root.destroy()


@pytest.fixture
def toplevel(tk_root):
    """A fresh window for one test, mapped (X delivers events only to mapped windows), then destroyed."""
    import tkinter

    window = tkinter.Toplevel(tk_root)
    window.geometry("+0+0")
    yield window
    if window.winfo_exists():
        window.destroy()
    tk_root.update()


@pytest.fixture
def bundled_window(toplevel):
    """The whole Digit Pad window, in-process in `toplevel`, with the bundled weights; its side
    windows are closed afterwards."""
    from app.controller import DigitPadController
    from app.window import DigitPadWindow
    from model.weights_io import BUNDLED_WEIGHTS

    window = DigitPadWindow(toplevel, DigitPadController.from_weights(BUNDLED_WEIGHTS))
    toplevel.update()
    yield window
    for side in (window.network, window.examples, window.card):
        side.close()
