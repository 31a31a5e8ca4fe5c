"""A dependency-free progress line for training on a terminal (stderr, redrawn in place)."""
from __future__ import annotations

import sys
import time

from model.training import BatchProgress


class TerminalProgress:
    """``on_batch`` for ``model.training.fit``: epoch, a bar, loss and time left, at most ten
    redraws a second on a terminal and one line every few seconds into a log file."""

    WIDTH = 30

    def __init__(self, enabled: bool = True, stream=None) -> None:
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self._interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self._interval = 0.1 if self._interactive else 5.0
        self._last = 0.0
        self._epoch_start = time.perf_counter()
        self._shown = False

    def on_batch(self, progress: BatchProgress) -> None:
        if progress.batch == 1:
            self._epoch_start = time.perf_counter()
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last < self._interval and progress.batch < progress.batches:
            return
        self._last = now
        done = int(self.WIDTH * progress.batch / progress.batches)
        elapsed = now - self._epoch_start
        eta = elapsed / progress.batch * (progress.batches - progress.batch)
        text = (f"epoch {progress.epoch}/{progress.epochs} [{'#' * done}{'.' * (self.WIDTH - done)}] "
                f"{progress.batch}/{progress.batches} loss {progress.loss:.4f} {elapsed:.0f}s eta {eta:.0f}s")
        if self._interactive:
            self.stream.write("\r" + text + " ")
            self._shown = True
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def clear(self) -> None:
        """Erase the progress line (before printing anything else)."""
        if self._shown:
            self.stream.write("\r" + " " * 90 + "\r")
            self.stream.flush()
            self._shown = False


def epoch_line(record: dict, epochs: int) -> str:
    """One line for a finished epoch (a record of ``FitResult.history``)."""
    val = (f"val loss {record['val_loss']:.4f} acc {record['val_acc'] * 100:.2f} %"
           if record.get("val_acc") is not None else "no validation")
    return (f"epoch {record['epoch']:>3}/{epochs}  train loss {record['train_loss']:.4f} acc "
            f"{record['train_acc'] * 100:.2f} %  {val}  lr {record['lr']:.5f}  {record['seconds']:.1f} s")
