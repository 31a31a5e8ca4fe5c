"""Shared by the window benchmarks and tests/test_window.py: a private Xvfb, the app as a subprocess, xdotool input.

Not a benchmark itself. The app is started as `python -m app --state-file PATH` and read through
that JSON file (title, canvas position on screen, counts). tests/test_window.py drives the window
with the same AppWindow class.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


class ToolMissing(RuntimeError):
    """Xvfb or xdotool is not installed."""


def require(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        raise ToolMissing(f"needs {', '.join(missing)} (apt-get install xvfb xdotool)")


class Xvfb:
    """A private X server on the first free display number from :120."""

    def __init__(self, size: str = "1280x1024x24") -> None:
        require("Xvfb")
        for number in range(120, 250):
            if not Path(f"/tmp/.X{number}-lock").exists() and not Path(f"/tmp/.X11-unix/X{number}").exists():
                break
        else:
            raise RuntimeError("no free X display number")
        self.display = f":{number}"
        self.process = subprocess.Popen(["Xvfb", self.display, "-screen", "0", size, "-nolisten", "tcp"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not Path(f"/tmp/.X11-unix/X{number}").exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"Xvfb could not start on {self.display}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()

    def __enter__(self) -> "Xvfb":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


class AppWindow:
    """`python -m app` on a display; `started` is when the process was launched (perf_counter).

    The defaults suit the benchmarks; tests/test_window.py drives the same class with shorter
    timeouts and `error=AssertionError`, so that a failure there reads as a test failure:
    - ready_timeout: seconds for the window to come up;
    - wait_timeout: the default timeout of wait_for();
    - xdo_timeout: seconds one xdotool run may take (a whole stroke script in the benchmarks);
    - poll_s: how often wait_for() reads the state file;
    - error: the exception raised when xdotool fails, the app exits or a wait times out;
    - log: a file for the app's output (otherwise it is piped and shown if the app exits early).
    """

    def __init__(self, display: str, state_file: Path, *extra: str, env: dict | None = None,
                 log: Path | None = None, ready_timeout: float = 60, wait_timeout: float = 30,
                 xdo_timeout: float = 3600, poll_s: float = 0.01,
                 error: type[Exception] = RuntimeError) -> None:
        require("xdotool")
        self.env = dict(os.environ, DISPLAY=display, **(env or {}))
        self.state_file = state_file
        self.wait_timeout, self.xdo_timeout, self.poll_s, self.error = wait_timeout, xdo_timeout, poll_s, error
        self.log_path = log
        self.log = log.open("w") if log is not None else None
        state_file.unlink(missing_ok=True)
        self.started = time.perf_counter()
        self.process = subprocess.Popen([sys.executable, "-m", "app", "--state-file", str(state_file), *extra],
                                        cwd=REPO_ROOT, env=self.env,
                                        stdout=self.log if self.log is not None else subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.ready_state = self.wait_for(lambda s: s["ready"], "the window to come up", timeout=ready_timeout)
        self.ready_after_s = time.perf_counter() - self.started
        self.window = self.xdo("search", "--sync", "--pid", str(self.process.pid), "--name", "^Digit Pad").split()[0]

    def xdo(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True, input=stdin,
                                timeout=self.xdo_timeout)
        if result.returncode != 0:
            raise self.error(f"xdotool {' '.join(args[:6])} failed: {result.stderr.strip()}")
        return result.stdout

    def state(self) -> dict | None:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None

    def output(self) -> str:
        """What the app has printed (once it has exited, when its output is piped)."""
        if self.log is not None:
            self.log.flush()
            try:
                return self.log_path.read_text()
            except OSError:
                return ""
        return self.process.stdout.read() if self.process.stdout else ""

    def wait_for(self, condition, what: str, timeout: float | None = None) -> dict:
        deadline = time.monotonic() + (self.wait_timeout if timeout is None else timeout)
        state = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise self.error(f"the app exited ({self.process.returncode}) waiting for {what}: "
                                 f"{self.output().strip()}")
            state = self.state()
            if state is not None:
                try:
                    if condition(state):
                        return state
                except (KeyError, TypeError, IndexError):
                    pass
            time.sleep(self.poll_s)
        brief = {k: v for k, v in (state or {}).items() if k not in ("input", "grid_levels", "drawing")}
        raise self.error(f"timed out waiting for {what}; last state: {brief}")

    def settle(self, quiet_s: float = 0.3, poll_s: float = 0.05, timeout: float | None = None) -> dict | None:
        """The state once it has stopped changing for quiet_s (read every poll_s); after `timeout`
        seconds (if given) the latest state, settled or not."""
        previous, since = None, time.monotonic()
        deadline = None if timeout is None else since + timeout
        while deadline is None or time.monotonic() < deadline:
            time.sleep(poll_s)
            state = self.state()
            if state is None or state != previous:
                previous, since = state, time.monotonic()
            elif time.monotonic() - since >= quiet_s:
                return state
        return previous

    def key(self, *keys: str) -> None:
        self.xdo("windowfocus", "--sync", self.window)
        self.xdo("key", "--clearmodifiers", *keys)

    def screen_points(self, stroke, state: dict, step_px: float | None = None) -> list[tuple[int, int]]:
        """Screen pixels of a stroke given in canvas fractions; step_px fills long segments with
        intermediate points, as a mouse reports a continuous movement."""
        canvas = state["canvas"]
        side = canvas["size"] - 1
        points = [(canvas["x"] + x * side, canvas["y"] + y * side) for x, y in stroke]
        if step_px:
            dense = [points[0]]
            for (xa, ya), (xb, yb) in zip(points, points[1:]):
                steps = max(1, int(((xb - xa) ** 2 + (yb - ya) ** 2) ** 0.5 // step_px))
                dense += [(xa + (xb - xa) * k / steps, ya + (yb - ya) * k / steps) for k in range(1, steps + 1)]
            points = dense
        rounded = [(int(round(x)), int(round(y))) for x, y in points]
        return [p for i, p in enumerate(rounded) if i == 0 or p != rounded[i - 1]]

    @staticmethod
    def stroke_script(points: list[tuple[int, int]], pause_s: float, button: int = 1) -> list[str]:
        """xdotool commands for one press-move-release stroke."""
        (x, y), rest = points[0], points[1:]
        commands = [f"mousemove {x} {y}", f"mousedown {button}"]
        for x, y in rest:
            commands += [f"sleep {pause_s}", f"mousemove {x} {y}"]
        commands += [f"sleep {pause_s}", f"mouseup {button}"]
        return commands

    def drag(self, points: list[tuple[int, int]], pause_s: float, button: int = 1) -> None:
        """One press-move-release stroke through screen points, as a single xdotool command line."""
        self.xdo(*(word for command in self.stroke_script(points, pause_s, button) for word in command.split()))

    def run_script(self, commands: list[str]) -> None:
        """Run xdotool commands in one process (one per line, read from standard input)."""
        self.xdo("-", stdin="\n".join(commands) + "\n")

    def screenshot(self):
        """The window (with its menu bar) as a PIL image, grabbed from the X server."""
        from PIL import ImageGrab
        geometry = dict(line.split("=") for line in self.xdo("getwindowgeometry", "--shell", self.window).split())
        x, y, width, height = (int(geometry[k]) for k in ("X", "Y", "WIDTH", "HEIGHT"))
        return ImageGrab.grab(bbox=(x, y, x + width, y + height), xdisplay=self.env["DISPLAY"])

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS in /proc status")

    def close(self, timeout: float = 10) -> None:
        """Terminate the app (kill it if it is still there after `timeout`) and close its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.log is not None:
            self.log.close()

    def quit(self, timeout: float = 20) -> None:
        """Ctrl+Q (the app writes its profile on the way out); terminate if it does not go."""
        if self.process.poll() is None:
            try:
                self.key("ctrl+q")
                self.process.wait(timeout=timeout)
            except (self.error, subprocess.TimeoutExpired):
                pass
        self.close(timeout=5)
