"""Background jobs for the window: a thread does the work, the Tk thread hears about it.

Tk may only be touched from the thread that runs its event loop, so a job never calls back
directly: its thread puts messages on a `queue.Queue` (progress reports, then one final result,
error or cancellation), and `Job.poll()`, run on the Tk thread (the window schedules it with
`after`, see `poll_every`), drains the queue and calls the callbacks there. Cancelling sets a
`threading.Event` that the work checks when it can; the work is never killed. Nothing here
imports Tk, so jobs are tested headless by calling `poll()`.
"""
from __future__ import annotations

import queue
import threading
from typing import Any, Callable

#: How often the window polls a running job (ms): quick enough for a progress bar, cheap when idle.
POLL_MS = 50


class Cancelled(Exception):
    """Raised by work that stops early because it was asked to."""


class Job:
    """One piece of work on a daemon thread: `work(report, cancelled)` returns a result.

    report(message): send a progress message (delivered to on_progress, in order);
    cancelled: a threading.Event set by `cancel()`; the work should check it and return early or
    raise Cancelled. Exactly one of on_done(result), on_error(exception) or on_cancelled() is
    called once, from `poll()`, after every progress message. A job cancelled before it ends is
    reported as cancelled even if its work then finishes.
    """

    def __init__(self, work: Callable[[Callable[[Any], None], threading.Event], Any], *,
                 on_progress: Callable[[Any], None] | None = None,
                 on_done: Callable[[Any], None] | None = None,
                 on_error: Callable[[Exception], None] | None = None,
                 on_cancelled: Callable[[], None] | None = None,
                 name: str = "digit-pad job") -> None:
        self._work = work
        self._on_progress, self._on_done, self._on_error, self._on_cancelled = (
            on_progress, on_done, on_error, on_cancelled)
        self.cancelled = threading.Event()
        self._messages: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.finished = False  # set by poll() once the final message has been delivered

    def start(self) -> "Job":
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Ask the work to stop; poll() then reports on_cancelled."""
        self.cancelled.set()

    @property
    def running(self) -> bool:
        """True until poll() has delivered the job's end."""
        return not self.finished

    def poll(self) -> bool:
        """Deliver the queued messages on this (the Tk) thread; True while the job is not over."""
        while not self.finished:
            try:
                kind, payload = self._messages.get_nowait()
            except queue.Empty:
                break
            if kind == "progress":
                if self._on_progress is not None:
                    self._on_progress(payload)
                continue
            self.finished = True
            if kind == "done" and self.cancelled.is_set():
                kind = "cancelled"
            if kind == "done" and self._on_done is not None:
                self._on_done(payload)
            elif kind == "error" and self._on_error is not None:
                self._on_error(payload)
            elif kind == "cancelled" and self._on_cancelled is not None:
                self._on_cancelled()
        return not self.finished

    def join(self, timeout: float | None = None) -> None:
        """Wait for the thread (tests; the window never blocks on a job)."""
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            result = self._work(lambda message: self._messages.put(("progress", message)), self.cancelled)
        except Cancelled:
            self._messages.put(("cancelled", None))
        except Exception as exc:  # reported to on_error on the Tk thread, never lost on this one
            self._messages.put(("error", exc))
        else:
            self._messages.put(("done", result))


def poll_every(widget: Any, job: Job, interval_ms: int = POLL_MS) -> Job:
    """Start `job` and poll it with `widget.after` until it is over; returns the job."""
    def tick() -> None:
        if job.poll():
            widget.after(interval_ms, tick)

    job.start()
    widget.after(interval_ms, tick)
    return job
