"""Instrumentation for tests and benchmarks, kept out of the window: observers of its updates.

The window tells its observers what happens (`WindowObserver`'s methods) and nothing more:

- `StateFile` (`--state-file PATH`): rewrites PATH with the window's state as JSON shortly after
  every change (at most every `STATE_WRITE_MS`), so a test driving the real window with X events
  can read what it shows;
- `Profile` (`--profile PATH`): records how long each input event waited for the update that
  showed it, written to PATH when the window closes (benchmarks/app_latency.py reads it).
"""
from __future__ import annotations

import json
import os
import time
import tkinter as tk
from pathlib import Path
from typing import Any

import numpy as np

from model.atomic import atomic_write_text

#: The state file is rewritten at most this often (ms), so it never slows drawing; benchmarks
#: stretch it with env DIGITPAD_STATE_INTERVAL_MS.
STATE_WRITE_MS = 25


class WindowObserver:
    """What a window tells its observers (each method does nothing unless overridden)."""

    def input_event(self, event: tk.Event) -> None:
        """A pen or grid event changed what the network reads; an update will follow."""

    def updating(self) -> None:
        """An update (prediction, bars, grid, title) starts."""

    def updated(self) -> None:
        """The update has been painted."""

    def changed(self) -> None:
        """Something else shown changed (status line, a tool, a panel opened or closed)."""

    def ready(self) -> None:
        """The window is on screen and usable (what start-up time measures)."""

    def closing(self) -> None:
        """The window is about to close."""


def _rounded(array: Any) -> list | None:
    return None if array is None else np.round(np.asarray(array, float), 4).tolist()


def _box(widget: tk.Misc) -> dict[str, int]:
    """Where a widget is on screen and how big it is, against the size it asked for."""
    return {"x": widget.winfo_rootx(), "y": widget.winfo_rooty(), "width": widget.winfo_width(),
            "height": widget.winfo_height(), "req_width": widget.winfo_reqwidth(),
            "req_height": widget.winfo_reqheight(), "mapped": bool(widget.winfo_ismapped())}


def window_state(window: Any) -> dict[str, Any]:
    """What a test or a benchmark needs to know about `window` (an app.window.DigitPadWindow), as JSON."""
    shown = window.shown
    controller = window.controller
    root = window.root
    strokes = controller.strokes
    return {
        "pid": os.getpid(),
        "title": window.title,
        "verdict": shown.verdict if shown else None,
        "digit": shown.digit if shown else None,
        "runner_up": shown.runner_up if shown else None,
        "confidence": shown.confidence if shown else None,
        "message": window.prediction.message,
        "source": shown.source if shown else None,
        "note": shown.note if shown else None,
        "probabilities": _rounded(shown.probabilities) if shown else None,
        "input": _rounded(shown.input) if shown else None,
        "grid_levels": window.grid.levels.tolist(),
        "status": window.status.message,
        "status_error": window.status.error,
        "model": window.status.model,
        "weights": str(window.files.model.path),
        "strokes": len(strokes),
        "can_undo": controller.can_undo,
        "can_redo": controller.can_redo,
        "eraser": controller.eraser,
        "brush_fraction": controller.brush_fraction,
        "stages_visible": window.stages_visible,
        "canvas": {"x": window.canvas.canvas.winfo_rootx(), "y": window.canvas.canvas.winfo_rooty(),
                   "size": window.canvas.side, "raster_size": controller.canvas_px},
        "grid": {"x": window.grid.canvas.winfo_rootx(), "y": window.grid.canvas.winfo_rooty(),
                 "cell": window.grid.cell_px},
        "window": {"x": root.winfo_rootx(), "y": root.winfo_rooty(), "width": root.winfo_width(),
                   "height": root.winfo_height(), "req_width": root.winfo_reqwidth(),
                   "req_height": root.winfo_reqheight(), "menu_height": window.menu_height},
        "screen": {"width": root.winfo_screenwidth(), "height": root.winfo_screenheight()},
        "panels": {name: _box(widget) for name, widget in window.panels().items()},
        "hover": window.grid.hover_text,
        "raster_ink": float(controller.raster.pixels.sum(dtype=np.float64)),
        "drawing": {"strokes": [[list(p) for p in stroke.points] for stroke in strokes],
                    "widths": [stroke.width for stroke in strokes],
                    "erase": [stroke.erase for stroke in strokes]},
        "views": {"evidence": window.evidence_visible, "network": window.network.is_open,
                  "examples": window.examples.is_open, "card": window.card.is_open},
        "legend": list(window.grid.legend.text) if window.evidence_visible else None,
        "help_open": window.help.is_open,
        "about_open": window.about.is_open,
        "teach": {"state": window.teaching.teacher.state, "fraction": round(window.teaching.teacher.fraction, 3),
                  "lines": window.teaching.teacher.lines()},
    }


def _env_ms(name: str, default: int) -> int:
    try:
        return max(0, int(os.environ.get(name, default)))
    except ValueError:
        return default


class StateFile(WindowObserver):
    """Rewrites `path` with `window_state` after changes (a burst of updates costs one write)."""

    def __init__(self, window: Any, path: Path, interval_ms: int | None = None) -> None:
        self.window, self.path = window, Path(path)
        self.interval_ms = _env_ms("DIGITPAD_STATE_INTERVAL_MS", STATE_WRITE_MS) if interval_ms is None \
            else interval_ms
        self.is_ready = False
        self.updates = 0
        self._job: str | None = None

    def state(self) -> dict[str, Any]:
        return {"ready": self.is_ready, "updates": self.updates, **window_state(self.window)}

    def updated(self) -> None:
        self.updates += 1
        self.changed()

    def changed(self) -> None:
        if self._job is None:
            self._job = self.window.root.after(self.interval_ms, self.write)

    def ready(self) -> None:
        self.is_ready = True
        self.write()

    def closing(self) -> None:
        if self._job is not None:
            self.window.root.after_cancel(self._job)
            self.write()

    def write(self) -> None:
        self._job = None
        atomic_write_text(self.path, json.dumps(self.state()))


class Profile(WindowObserver):
    """Event-to-update latencies, written to `path` as JSON on closing.

    event_to_update_ms: from the Tk handler's start to the end of the update that showed the
    event; server_event_to_update_ms: from the X server's timestamp of the event (so time queued
    behind earlier work counts); update_ms: the update's own work.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.latencies_ms: list[float] = []
        self.server_latencies_ms: list[float] = []
        self.update_ms: list[float] = []
        self.updates = 0
        self._pending: list[tuple[float, int]] = []
        self._started = 0.0

    def input_event(self, event: tk.Event) -> None:
        self._pending.append((time.perf_counter(), int(getattr(event, "time", 0) or 0)))

    def updating(self) -> None:
        self._started = time.perf_counter()

    def updated(self) -> None:
        finished = time.perf_counter()
        self.updates += 1
        self.update_ms.append((finished - self._started) * 1000)
        now_ms = time.monotonic() * 1000
        for arrived, server_ms in self._pending:
            self.latencies_ms.append((finished - arrived) * 1000)
            if server_ms:
                # X server timestamps count milliseconds on the monotonic clock (wrapping at 2**32).
                waited = (now_ms - server_ms) % 2 ** 32
                if waited < 60_000:
                    self.server_latencies_ms.append(waited)
        self._pending.clear()

    def closing(self) -> None:
        atomic_write_text(self.path, json.dumps({
            "event_to_update_ms": self.latencies_ms,
            "server_event_to_update_ms": self.server_latencies_ms,
            "update_ms": self.update_ms,
            "updates": self.updates,
        }))


def attach(window: Any, state_file: Path | None = None, profile_file: Path | None = None) -> list[WindowObserver]:
    """Observe `window` with what the command line asked for (the profile first, so that its
    timings do not include writing the state)."""
    observers: list[WindowObserver] = []
    if profile_file is not None:
        observers.append(Profile(profile_file))
    if state_file is not None:
        observers.append(StateFile(window, state_file))
    for observer in observers:
        window.observe(observer)
    return observers
