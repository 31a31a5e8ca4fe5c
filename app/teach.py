"""Teach it your handwriting, the window's side without widgets: label a drawing, run a fine-tune.

Labelling stores the drawing on the canvas, with the digit the person says it is, in their sample
store (``app.my_digits``) and returns the sentence for the status line.

``Teacher`` is the Teach button's state machine:

    idle --start--> running --(fine-tune ends)--> done --use_it / discard--> idle
                      |  \\--cancel-------------> cancelled --start--> running
                      \\--(an error)-----------> failed    --start--> running

The fine-tune (``preprocessing.personalise.fine_tune``, the code path of ``train.py --fine-tune``)
runs on a worker thread (``app.worker.Job``) on a COPY of the model in use, so the window keeps
reading the drawing with the old model meanwhile; its messages reach the Teacher only through
``Job.poll()`` on the Tk thread. Nothing is written until "Use it": cancel, discard and failure
leave every file (the bundled weights, the personal model, the settings) as it was.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from app.my_digits import MyDigits, SampleStoreError, fingerprint
from app.worker import Cancelled, Job
from model.model_files import save_personal_model
from model.oneline import one_line
from preprocessing.drawing import Drawing
from preprocessing.personalise import (FineTuneCancelled, FineTuneError, FineTuneProgress, FineTuneResult,
                                       FineTuneSettings, mnist_check_set)

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


class Teacher:
    """The Teach state machine (see the module docstring).

    settings: the fine-tune's settings; check: () -> the MNIST test digits to measure forgetting
    on (default: the sample shipped with the app, so the figure is the same on every machine);
    start_job: starts a Job and arranges for it to be polled (the window: ``worker.poll_every``;
    tests: ``Job.start`` and call ``poll()`` themselves); on_change(): called on the Tk thread
    whenever state, progress or result changed.
    """

    def __init__(self, settings: FineTuneSettings | None = None, *,
                 check: Callable[[], Any] | None = None,
                 start_job: Callable[[Job], Job] = lambda job: job.start(),
                 on_change: Callable[[], None] = lambda: None) -> None:
        self.settings = settings or FineTuneSettings()
        self._check = check or (lambda: mnist_check_set(prefer_full=False))
        self._start_job = start_job
        self.on_change = on_change
        self.state = "idle"
        self.fraction = 0.0
        self.message = ""
        self.result: FineTuneResult | None = None
        self.base: Base | None = None
        self.error: str | None = None
        self.job: Job | None = None

    @property
    def running(self) -> bool:
        return self.state == "running"

    def start(self, base: Base, drawings: Sequence[Drawing]) -> Job:
        """Fine-tune a copy of ``base.model`` on ``drawings`` in the background. FineTuneError
        (one line) when a fine-tune is already running or there are too few drawings; nothing
        starts then."""
        if self.running:
            raise FineTuneError("a fine-tune is already running (Cancel it first)")
        drawings = list(drawings)
        labelled = [d for d in drawings if d.label is not None and not d.is_empty]
        if len(labelled) < self.settings.min_drawings:
            raise FineTuneError(f"label at least {self.settings.min_drawings} drawings to teach with "
                                f"(you have {len(labelled)}): draw a digit, then Ctrl+its digit")
        settings, check = self.settings, self._check

        def work(report, cancelled):
            from preprocessing.personalise import fine_tune

            try:
                return fine_tune(base.model, labelled, settings, base_metadata=base.metadata,
                                 base_path=base.path, check=check(), on_progress=report, stop=cancelled)
            except FineTuneCancelled:
                raise Cancelled() from None

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
            self.message = "cancelling..."
            self.on_change()

    def use_it(self) -> Path:
        """Save the finished model as the personal model (with its metadata) and go back to idle;
        returns its file. OSError when it cannot be written (the state stays 'done')."""
        if self.state != "done" or self.result is None or self.base is None:
            raise FineTuneError("there is no finished fine-tune to use")
        path = save_personal_model(self.result.model, self.result.metadata(self.base.metadata))
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
            return figure_lines(self.result)
        return []

    # ------------------------------------------------------------------ the job's messages (Tk thread)
    def _progress(self, progress: FineTuneProgress) -> None:
        self.fraction, self.message = progress.fraction, progress.message
        self.on_change()

    def _done(self, result: FineTuneResult) -> None:
        self.state, self.result, self.fraction, self.message = "done", result, 1.0, "done"
        self.on_change()

    def _failed(self, exc: Exception) -> None:
        self.state, self.error = "failed", one_line(exc)
        self.on_change()

    def _cancelled(self) -> None:
        self.state, self.result = "cancelled", None
        self.on_change()

    def _reset(self) -> None:
        self.state, self.result, self.base, self.error, self.fraction, self.message = "idle", None, None, None, 0.0, ""
        self.job = None
        self.on_change()


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
