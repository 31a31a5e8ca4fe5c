"""Teach it your handwriting, the window's side without widgets: label a drawing, run a fine-tune.

Labelling stores the drawing on the canvas, with the digit the person says it is, in their sample
store (``app.my_digits``) and returns the sentence for the status line.

``Teacher`` is the Teach button's state machine:

    idle --start--> running --(fine-tune ends)--> done --use_it / discard--> idle
                      |  \\--cancel-------------> cancelled --start--> running
                      \\--(an error)-----------> failed    --start--> running

The fine-tune (``preprocessing.personalise.fine_tune``, the code path of ``train.py --fine-tune``)
teaches a copy of the model in use, read from its file, in a child process (app.teach_process:
a thread of the app made the window wait for the GIL); a worker thread (``app.worker.Job``)
relays the child's messages, which reach the Teacher only through ``Job.poll()`` on the Tk
thread. The window keeps reading the drawing with the old model meanwhile. The child writes only
into a temporary folder; nothing else is written until "Use it": cancel, discard and failure leave
every file (the bundled weights, the personal model, the settings) as it was, and remove the
temporary folder.
"""
from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from app.my_digits import MyDigits, SampleStoreError, fingerprint
from app.worker import Cancelled, Job
from model.model_files import save_personal_model
from model.oneline import one_line
from preprocessing.drawing import Drawing, write_drawings
from preprocessing.personalise import FineTuneError, FineTuneResult, FineTuneSettings

STATES = ("idle", "running", "done", "cancelled", "failed")


def label_drawing(store: MyDigits, drawing: Drawing, digit: int) -> str:
    """Store ``drawing`` as ``digit`` and return what the status line says ("Saved as a 9 - 12
    samples"). SampleStoreError (one line) for an empty drawing; OSError when the file cannot
    be written."""
    before = store.get(fingerprint(drawing)) if not drawing.is_empty else None
    sample = store.add(drawing, digit)
    count = len(store)
    samples = f"{count} sample{'s' if count != 1 else ''}"
    if before is not None and before.label != digit:
        return f"Relabelled as a {sample.label} \u2014 {samples}"
    return f"Saved as a {sample.label} \u2014 {samples}"


@dataclass(frozen=True)
class Base:
    """The model a fine-tune starts from: the network, its metadata, its file and a name for people."""

    model: Any
    metadata: Mapping[str, Any]
    path: Path | None
    name: str


@dataclass
class Outcome:
    """A finished fine-tune: the taught model's file (in the temporary folder, with its metadata),
    the dialog's lines, the figures and counts the child reported."""

    model_path: Path
    lines: list[str]
    figures: dict = field(default_factory=dict)
    taught: int = 0
    held_out: int = 0
    seconds: float = 0.0


class Teacher:
    """The Teach state machine (see the module docstring).

    settings: the fine-tune's settings (forgetting is measured on the MNIST test sample shipped
    with the app, so the figure is the same on every machine); start_job: starts a Job and
    arranges for it to be polled (the window: ``worker.poll_every``; tests: ``Job.start`` and call
    ``poll()`` themselves); on_change(): called on the Tk thread whenever state, progress or
    result changed.
    """

    def __init__(self, settings: FineTuneSettings | None = None, *,
                 start_job: Callable[[Job], Job] = lambda job: job.start(),
                 on_change: Callable[[], None] = lambda: None) -> None:
        self.settings = settings or FineTuneSettings()
        #: Run the fine-tune in a thread of this process instead (only to measure what the child
        #: process saves the window: benchmarks/teach_ui.py --in-thread).
        self.in_thread = False
        self._start_job = start_job
        self.on_change = on_change
        self.state = "idle"
        self.fraction = 0.0
        self.message = ""
        self.result: Outcome | None = None
        self.base: Base | None = None
        self.error: str | None = None
        self.job: Job | None = None
        self.folder: Path | None = None  # the child's temporary folder while it matters
        self._process = None

    @property
    def running(self) -> bool:
        return self.state == "running"

    def start(self, base: Base, drawings: Sequence[Drawing]) -> Job:
        """Fine-tune a copy of the model in ``base.path`` on ``drawings`` in a child process.
        FineTuneError (one line) when a fine-tune is already running, the model has no file or
        there are too few drawings; nothing starts then. OSError when the temporary folder cannot
        be written."""
        if self.running:
            raise FineTuneError("a fine-tune is already running (Cancel it first)")
        drawings = list(drawings)
        labelled = [d for d in drawings if d.label is not None and not d.is_empty]
        if len(labelled) < self.settings.min_drawings:
            raise FineTuneError(f"label at least {self.settings.min_drawings} drawings to teach with "
                                f"(you have {len(labelled)}): draw a digit, then Ctrl+its digit")
        if base.path is None or not Path(base.path).is_file():
            raise FineTuneError(f"the model in use has no file to teach a copy of ({base.path})")
        from app.teach_process import FineTuneProcess, settings_to_json

        self._remove_folder()
        folder = Path(tempfile.mkdtemp(prefix="digitpad-teach-"))
        try:
            write_drawings(folder / "drawings.jsonl", labelled)
            (folder / "spec.json").write_text(json.dumps({
                "base": str(Path(base.path).resolve()), "drawings": str(folder / "drawings.jsonl"),
                "settings": settings_to_json(self.settings), "out": str(folder)}))
        except (OSError, ValueError):
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self.folder = folder

        def work(report, cancelled):
            if self.in_thread:
                from app.teach_process import run_spec
                from preprocessing.personalise import FineTuneCancelled

                try:
                    done = run_spec(folder / "spec.json", lambda f, m: report((f, m)), stop=cancelled)
                except FineTuneCancelled:
                    raise Cancelled() from None
                return Outcome(Path(done["model"]), list(done["lines"]), dict(done["figures"]), int(done["taught"]),
                               int(done["held_out"]), float(done["seconds"]))
            process = self._process = FineTuneProcess(folder / "spec.json")
            if cancelled.is_set():
                process.stop()
            try:
                done = process.run(lambda fraction, message: report((fraction, message)))
            except RuntimeError:
                if cancelled.is_set():
                    raise Cancelled() from None
                raise
            return Outcome(Path(done["model"]), list(done["lines"]), dict(done.get("figures") or {}),
                           int(done.get("taught", 0)), int(done.get("held_out", 0)), float(done.get("seconds", 0)))

        self.base, self.result, self.error = base, None, None
        self.state, self.fraction, self.message = "running", 0.0, f"teaching {base.name} your handwriting..."
        self.job = Job(work, on_progress=self._progress, on_done=self._done, on_error=self._failed,
                       on_cancelled=self._cancelled, name="digit-pad: teach")
        self.on_change()
        return self._start_job(self.job)

    def cancel(self) -> None:
        """Ask the running fine-tune to stop; the state becomes 'cancelled' once it has."""
        if self.running and self.job is not None:
            self.job.cancel()
            if self._process is not None:
                self._process.stop()
            self.message = "cancelling..."
            self.on_change()

    def use_it(self) -> Path:
        """Save the finished model as the personal model (with its metadata) and go back to idle;
        returns its file. OSError when it cannot be written (the state stays 'done')."""
        if self.state != "done" or self.result is None or self.base is None:
            raise FineTuneError("there is no finished fine-tune to use")
        from model.weights_io import load_weights

        model, metadata = load_weights(self.result.model_path)
        path = save_personal_model(model, metadata)
        self._reset()
        return path

    def discard(self) -> None:
        """Forget the finished (or cancelled, or failed) fine-tune; nothing was written."""
        if self.running:
            raise FineTuneError("the fine-tune is still running (Cancel it)")
        self._reset()

    def lines(self) -> list[str]:
        """What the Teach dialog says in the current state."""
        if self.state == "running":
            return [self.message]
        if self.state == "cancelled":
            return ["Cancelled: nothing changed, the model in use is as it was."]
        if self.state == "failed":
            return [f"Could not teach: {self.error}"]
        if self.state == "done" and self.result is not None:
            return list(self.result.lines)
        return []

    # ------------------------------------------------------------------ the job's messages (Tk thread)
    def _progress(self, progress: tuple[float, str]) -> None:
        self.fraction, self.message = progress
        self.on_change()

    def _done(self, result: FineTuneResult) -> None:
        self.state, self.result, self.fraction, self.message = "done", result, 1.0, "done"
        self.on_change()

    def _failed(self, exc: Exception) -> None:
        self.state, self.error = "failed", one_line(exc)
        self._remove_folder()
        self.on_change()

    def _cancelled(self) -> None:
        self.state, self.result = "cancelled", None
        self._remove_folder()
        self.on_change()

    def _reset(self) -> None:
        self.state, self.result, self.base, self.error, self.fraction, self.message = "idle", None, None, None, 0.0, ""
        self.job = None
        self._remove_folder()
        self.on_change()

    def _remove_folder(self) -> None:
        self._process = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def figure_lines(result: FineTuneResult) -> list[str]:
    """The before/after figures of a finished fine-tune, for the dialog: the person's held-out
    drawings, the MNIST check's change, then the fine-tune's own sentence and notes."""
    lines = []
    if result.before is not None and result.after is not None:
        lines.append(f"Your {len(result.held_out)} drawings held out of the teaching: "
                     f"{result.before.accuracy * 100:.1f} % read right before, {result.after.accuracy * 100:.1f} % after")
    else:
        lines.append("None of your drawings could be held out to check with (label two or more of a digit)")
    if result.mnist_change is not None:
        lines.append(f"MNIST ({result.check.name}): {result.mnist_before.accuracy * 100:.2f} % -> "
                     f"{result.mnist_after.accuracy * 100:.2f} % ({result.mnist_change * 100:+.2f} points)")
    lines.append(f"Taught on {len(result.taught)} drawings in {result.seconds:.1f} s")
    return lines + [f"Note: {note}" for note in result.notes]


def teach_error(exc: Exception) -> str:
    """One line for a Teach that could not start (too few drawings, a store that cannot be read)."""
    if isinstance(exc, (FineTuneError, SampleStoreError)):
        return f"Cannot teach yet: {one_line(exc)}"
    return f"Cannot teach: {one_line(exc)}"
