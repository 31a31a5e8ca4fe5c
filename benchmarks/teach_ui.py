"""Is the window still responsive while Teach fine-tunes? The real window under Xvfb, Teach on 50 drawings.

    python benchmarks/teach_ui.py [--runs 3] [--idle-s 3] [--no-draw] [--in-thread] [--json]

Builds the Digit Pad window (app.window, the bundled model, in this process, as `python -m app`
does, with its BLAS setting) on a private Xvfb, with a fresh data folder whose My digits holds the
50 committed sample drawings (tests/data/drawings_sample.jsonl). A heartbeat `after(10)` on the Tk
event loop notes when it runs; meanwhile a pen draws (one point of a sample drawing every tick,
read live by the old model, clearing after each drawing) unless --no-draw. Then Teach runs (the
Teach command with the default fine-tune settings: the child process, the relay thread, the
dialog and its progress bar) and the heartbeat goes on until the dialog says done.

Figures (per run and over all runs): the heartbeat's gaps, i.e. time between two ticks, minus
the 10 ms asked for (`extra` = how long the loop could not run: 50 ms extra is one frame lost),
max and p99, idle (the same drawing, before Teach) and during the fine-tune; the fine-tune's
duration. Every wait over one frame is split with the window thread's /proc schedstat into time
waiting for a CPU (run queue: the machine's load), its own CPU time, and the rest ("other":
runnable but waiting for something: the GIL, or the X server, itself waiting for a CPU under
load). --in-thread runs the fine-tune in a thread of the app instead, for comparison.
Target: the UI never blocked longer than one frame (50 ms) while a fine-tune on 50 drawings runs.
"""
from __future__ import annotations

import os

# As `python -m app` does (app/__main__.py), before NumPy is imported: one BLAS thread.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from xwindow import REPO_ROOT, ToolMissing, Xvfb  # noqa: E402

SAMPLE = REPO_ROOT / "tests" / "data" / "drawings_sample.jsonl"
TICK_MS = 10
FRAME_MS = 50.0


def thread_schedstat() -> tuple[float, float]:
    """(ms on a CPU, ms waiting for a CPU on the run queue) of the calling thread so far (Linux
    /proc schedstat; (nan, nan) elsewhere)."""
    import threading

    try:
        with open(f"/proc/self/task/{threading.get_native_id()}/schedstat") as handle:
            on_cpu, run_delay, _ = handle.read().split()
        return int(on_cpu) / 1e6, int(run_delay) / 1e6
    except (OSError, ValueError, AttributeError):
        return float("nan"), float("nan")


def split_waits(gaps_ms, cpu_ms, queue_ms) -> dict:
    """Where the extra time of the long waits (over one frame) went: waiting for a CPU (the
    machine's load: the run queue), the window thread's own work, and the rest, waiting while
    runnable for something else: the GIL held by the fine-tune thread, or the X server."""
    rows = []
    for gap, cpu, queue in zip(gaps_ms, cpu_ms, queue_ms):
        extra = gap - TICK_MS
        if extra > FRAME_MS:
            rows.append({"extra_ms": round(extra, 1), "run_queue_ms": round(queue, 1), "own_cpu_ms": round(cpu, 1),
                         "other_ms": round(max(extra - queue - cpu, 0.0), 1)})
    other = [row["other_ms"] for row in rows]
    return {"waits_over_one_frame": rows[:20], "max_other_ms": max(other) if other else 0.0}


def stats(gaps_ms: list[float]) -> dict:
    if not gaps_ms:
        return {"n": 0}
    extra = np.maximum(np.asarray(gaps_ms, float) - TICK_MS, 0.0)
    return {"n": len(gaps_ms), "max_extra_ms": round(float(extra.max()), 1),
            "p99_extra_ms": round(float(np.percentile(extra, 99)), 1),
            "p50_extra_ms": round(float(np.percentile(extra, 50)), 1),
            "over_one_frame": int(np.count_nonzero(extra > FRAME_MS))}


def one_run(idle_s: float, draw: bool, log, in_thread: bool = False) -> dict:
    import tkinter as tk

    from app.controller import DigitPadController
    from app.model_choice import BUNDLED
    from app.my_digits import MyDigits
    from app.window import DigitPadWindow
    from preprocessing.drawing import read_drawings

    drawings = read_drawings(SAMPLE)
    MyDigits().path.unlink(missing_ok=True)
    store = MyDigits()
    for drawing in drawings:
        store.add(drawing)
    root = tk.Tk(className="Digit Pad")
    window = DigitPadWindow(root, DigitPadController.from_weights(BUNDLED.path), model=BUNDLED)
    root.update()
    side = window.controller.canvas_px
    points = [(drawing_index, stroke_index, x, y) for drawing_index, d in enumerate(drawings[:10])
              for stroke_index, stroke in enumerate(d.strokes) for x, y in stroke]
    ticks: list[float] = []
    sched: list[tuple[float, float]] = []
    stages: list[str] = []  # what the fine-tune was doing at each tick (where the long waits fall)
    phase = {"cursor": 0, "pen": None, "after": None}

    def pen_step() -> None:
        drawing_index, stroke_index, x, y = points[phase["cursor"] % len(points)]
        phase["cursor"] += 1
        pen = (drawing_index, stroke_index)
        controller = window.controller
        if phase["pen"] != pen:
            if controller.drawing_active:
                controller.pen_up()
            if phase["pen"] is not None and phase["pen"][0] != drawing_index:
                window.clear()
            controller.pen_down(x * side, y * side)
            phase["pen"] = pen
        else:
            controller.pen_move(x * side, y * side)
        window.canvas.redraw()
        window.schedule_update()

    def tick() -> None:
        ticks.append(time.perf_counter())
        sched.append(thread_schedstat())
        stages.append(window.teaching.teacher.message)
        if draw:
            pen_step()
        phase["after"] = root.after(TICK_MS, tick)

    phase["after"] = root.after(TICK_MS, tick)
    end = time.perf_counter() + idle_s
    while time.perf_counter() < end:
        root.update()
        time.sleep(0.001)
    idle_ticks = list(ticks)
    teacher = window.teaching.teacher
    teacher.in_thread = in_thread
    started = time.perf_counter()
    window.commands.run("teach")
    if teacher.state != "running":
        raise RuntimeError(f"Teach did not start: {window.status.message}")
    first = len(ticks)
    while teacher.state == "running":
        root.update()
        time.sleep(0.001)
    duration = time.perf_counter() - started
    busy_ticks = ticks[first:]
    busy_sched = np.asarray(sched[first:], float)
    busy_stages = stages[first:]
    state, lines = teacher.state, teacher.lines()
    root.after_cancel(phase["after"])
    window.teaching.teacher.discard()
    root.destroy()
    idle_gaps = list(np.diff(idle_ticks) * 1000)
    busy_gaps = list(np.diff(busy_ticks) * 1000)
    waits = split_waits(busy_gaps, np.diff(busy_sched[:, 0]), np.diff(busy_sched[:, 1]))
    idle_sched = np.asarray(sched[:len(idle_ticks)], float)
    idle_waits = split_waits(idle_gaps, np.diff(idle_sched[:, 0]), np.diff(idle_sched[:, 1]))
    # The longest waits and the stage the fine-tune had reported when each ended.
    longest = sorted(((round(g - TICK_MS, 1), busy_stages[i + 1], round(busy_ticks[i] - busy_ticks[0], 2))
                      for i, g in enumerate(busy_gaps)), reverse=True)[:5]
    log(f"run: fine-tune {duration:.1f} s ({state}); idle {stats(idle_gaps)}; during {stats(busy_gaps)}; "
        f"longest {longest[:3]}; split {waits['waits_over_one_frame'][:4]}")
    return {"state": state, "fine_tune_s": round(duration, 2), "lines": lines, "idle": stats(idle_gaps),
            "during_fine_tune": stats(busy_gaps),
            "long_waits_split": waits, "idle_long_waits_split": idle_waits,
            "longest_waits": [{"extra_ms": e, "stage": st, "at_s": at} for e, st, at in longest],
            "_idle_gaps": idle_gaps, "_busy_gaps": busy_gaps}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="fine-tunes to time (default 3)")
    parser.add_argument("--idle-s", type=float, default=3.0, help="heartbeat before Teach, seconds (default 3)")
    parser.add_argument("--no-draw", action="store_true", help="no pen drawing during the measurement")
    parser.add_argument("--in-thread", action="store_true",
                        help="run the fine-tune in a thread of the app instead of its child process (to compare)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.idle_s < 0:
        parser.error("--runs must be at least 1 and --idle-s 0 or more")
    log = (lambda message: print(message, file=sys.stderr)) if args.json else print
    folder = Path(tempfile.mkdtemp(prefix="digitpad-teach-ui-"))
    os.environ["DIGITPAD_DATA_DIR"] = str(folder / "data")
    os.environ["DIGITPAD_CACHE_DIR"] = str(folder / "cache")
    try:
        with Xvfb() as server:
            os.environ["DISPLAY"] = server.display
            runs = [one_run(args.idle_s, not args.no_draw, log, args.in_thread)
                    for _ in range(args.runs)]
    except ToolMissing as exc:
        print(f"teach_ui: {exc}", file=sys.stderr)
        return 2
    load = os.getloadavg()
    summary = {
        "runs": [{k: v for k, v in run.items() if not k.startswith("_")} for run in runs],
        "idle": stats([g for run in runs for g in run["_idle_gaps"]]),
        "during_fine_tune": stats([g for run in runs for g in run["_busy_gaps"]]),
        "fine_tune_s": [run["fine_tune_s"] for run in runs],
        "drawing_during": not args.no_draw, "tick_ms": TICK_MS, "frame_ms": FRAME_MS,
        "load_average": [round(x, 2) for x in load], "cpus": os.cpu_count(),
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"),
        "fine_tune_in": "thread" if args.in_thread else "child process",
        "max_other_wait_ms": max(run["long_waits_split"]["max_other_ms"] for run in runs),
        "idle_max_other_wait_ms": max(run["idle_long_waits_split"]["max_other_ms"] for run in runs),
    }
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        during = summary["during_fine_tune"]
        print(f"during the fine-tune: max extra wait {during['max_extra_ms']} ms, p99 {during['p99_extra_ms']} ms, "
              f"{during['over_one_frame']} waits over one frame; idle: max {summary['idle']['max_extra_ms']} ms; "
              f"fine-tune {summary['fine_tune_s']} s; load average {summary['load_average']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
