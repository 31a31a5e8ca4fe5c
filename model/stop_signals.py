"""Ctrl+C and SIGTERM as a clean stop request, once there is finished work to keep.

Before ``keep_work()`` (loading data, rendering) a signal interrupts at once, as usual: nothing is
finished, so nothing is lost. After it, a signal only sets the stop request that
``model.training.fit`` checks after every batch: training ends, the network keeps its best
finished epoch, and the evaluation and the (atomic) save still run to the end. A second signal
says so instead of breaking the save. SIGTERM (a logout, ``kill``, a service manager) behaves as
Ctrl+C does.
"""
from __future__ import annotations

import signal
import threading
from typing import Callable

HANDLED = (signal.SIGINT, signal.SIGTERM)


class StopOnSignals:
    """A context manager and stop request (``is_set()``); ``log`` prints one line."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self.log = log
        self.event = threading.Event()
        self.keeping_work = False
        self.signal_name: str | None = None
        self._previous: dict[int, object] = {}

    def __enter__(self) -> "StopOnSignals":
        if threading.current_thread() is threading.main_thread():
            for number in HANDLED:
                self._previous[number] = signal.signal(number, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous.clear()

    def keep_work(self) -> None:
        """From now on a signal asks for a clean stop instead of interrupting."""
        self.keeping_work = True

    def is_set(self) -> bool:
        return self.event.is_set()

    def _handle(self, number: int, frame) -> None:
        name = signal.Signals(number).name
        if not self.keeping_work:
            self.signal_name = name
            raise KeyboardInterrupt
        if self.event.is_set():
            self.log(f"{name}: already stopping; the best finished epoch is being saved")
            return
        self.signal_name = name
        self.event.set()
        self.log(f"{name}: stopping after this batch; the best finished epoch will be saved")
