"""The Teach fine-tune in a child process, so that the window's thread never waits for it.

Why a process and not a thread: measured with benchmarks/teach_ui.py on a loaded 2-core machine,
a fine-tune in a thread of the app stopped the window's event loop for ~100 ms at a time, a few
times per fine-tune. The window's thread was neither running nor waiting for a CPU then: it was
waiting for the GIL, held by a fine-tune thread (training or augmentation) that the OS had
preempted, or kept by the fine-tune's many short NumPy calls (the GIL's "convoy effect"). A child
process shares no GIL; what is left is the machine's own load.

    python -m app.teach_process SPEC.json

SPEC: {"base": weights file, "drawings": a .jsonl of labelled drawings, "settings":
FineTuneSettings.to_dict(), "out": a folder}. The child runs ``preprocessing.personalise.fine_tune``
(the code path of ``train.py --fine-tune``), prints one JSON object a line on stdout:
{"progress": fraction, "message": text} while it works, then {"done": {...}} or {"error": one
line}; the finished model is saved, with its metadata, to OUT/personal.npz (``model.weights_io``:
arrays and JSON, never a pickle). Cancelling ends the child (``FineTuneProcess.stop``); what it
wrote is in a folder the parent removes.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Mapping

from model.oneline import one_line

#: A line the child prints is at most this long (the parent never reads an unbounded line).
MAX_LINE = 64 * 1024
#: The child reports progress at most this often (seconds).
PROGRESS_EVERY_S = 0.1


def settings_to_json(settings) -> dict:
    return settings.to_dict()


def settings_from_json(data: Mapping[str, Any]):
    """FineTuneSettings from ``FineTuneSettings.to_dict()`` (ValueError for a bad one)."""
    from model.recipe import Recipe
    from preprocessing.personalise import FineTuneSettings

    fields = dict(data)
    recipe = Recipe.from_dict(fields.pop("recipe", {}))
    return FineTuneSettings(recipe=recipe, **fields)


class FineTuneProcess:
    """One fine-tune in a child process (see the module docstring); run it with ``run``."""

    def __init__(self, spec_path: Path) -> None:
        env = dict(os.environ)
        # The child computes alone in its process: one BLAS thread, as training uses
        # (model.blas_threads), and no second thread fighting the window for the other core.
        env["OPENBLAS_NUM_THREADS"] = env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = "1"
        root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        # What the child says besides its messages (warnings, a crash) goes to a file: a pipe
        # nobody reads could fill up and stall it.
        self.log_path = Path(spec_path).with_name("child.log")
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen([sys.executable, "-m", "app.teach_process", str(spec_path)],
                                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                                            env=env, cwd=root, text=True)

    def run(self, on_progress: Callable[[float, str], None]) -> dict:
        """Read the child's lines until it ends -> its "done" object. RuntimeError (one line)
        for an error it reported or a child that died."""
        for line in iter(lambda: self.process.stdout.readline(MAX_LINE), ""):
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if "progress" in message:
                on_progress(float(message["progress"]), str(message.get("message", "")))
            elif "done" in message:
                self.process.wait()
                return message["done"]
            elif "error" in message:
                self.process.wait()
                raise RuntimeError(one_line(message["error"]))
        code = self.process.wait()
        try:
            last = self.log_path.read_text(errors="replace").strip().splitlines()[-1:]
        except OSError:
            last = []
        problem = one_line(last[0] if last else f"exit status {code}")
        raise RuntimeError(f"the fine-tune stopped unexpectedly ({problem})")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()


def run_spec(spec_path: str | Path, on_progress: Callable[[float, str], None], stop=None) -> dict:
    """Run the fine-tune a spec describes, save the model into its folder -> the "done" object.
    The child calls it; so does a Teacher with ``in_thread`` (a comparison for the benchmark).
    stop: a threading.Event (FineTuneCancelled when set)."""
    from app.teach import figure_lines
    from model.weights_io import load_weights, save_weights
    from preprocessing.drawing import read_drawings
    from preprocessing.personalise import fine_tune, mnist_check_set

    spec = json.loads(Path(spec_path).read_text())
    settings = settings_from_json(spec["settings"])
    base, metadata = load_weights(spec["base"])
    drawings = read_drawings(spec["drawings"])
    result = fine_tune(base, drawings, settings, base_metadata=metadata, base_path=spec["base"],
                       check=mnist_check_set(prefer_full=False), stop=stop,
                       on_progress=lambda p: on_progress(p.fraction, p.message))
    out = Path(spec["out"]) / "personal.npz"
    save_weights(out, result.model, result.metadata(metadata))
    return {"model": str(out), "lines": figure_lines(result), "figures": result.figures(),
            "taught": len(result.taught), "held_out": len(result.held_out), "seconds": round(result.seconds, 2)}


def child(spec_path: str) -> int:
    """The child's side: run the fine-tune the spec describes, report on stdout. If the app dies
    (killed, not closed), the child stops at its next progress report and removes its folder."""
    import shutil
    import threading

    from preprocessing.personalise import FineTuneCancelled

    parent = os.getppid()
    orphaned = threading.Event()

    def say(message: dict) -> None:
        try:
            sys.stdout.write(json.dumps(message) + "\n")
            sys.stdout.flush()
        except (BrokenPipeError, ValueError):  # nobody reads any more: the app is gone
            orphaned.set()

    last = [0.0]

    def progress(fraction: float, message: str) -> None:
        if os.getppid() != parent:
            orphaned.set()
        # At most ten a second: each message wakes the app's relay thread, which then holds the
        # GIL the window's thread needs (a progress bar moves no better for more).
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            say({"progress": fraction, "message": message})

    try:
        # Below the window and the X server: on a machine with few cores they must win the CPU.
        os.nice(10)
    except (AttributeError, OSError):
        pass
    try:
        say({"done": run_spec(spec_path, progress, stop=orphaned)})
        return 0
    except FineTuneCancelled:
        shutil.rmtree(Path(spec_path).parent, ignore_errors=True)
        return 1
    except Exception as exc:  # reported to the window in one line, never a traceback
        say({"error": one_line(exc)})
        return 1

if __name__ == "__main__":
    sys.exit(child(sys.argv[1]))
