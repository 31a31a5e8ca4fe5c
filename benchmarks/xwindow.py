"""Shared by the window benchmarks: a private Xvfb, the app as a subprocess, xdotool input.

Not a benchmark itself. The app is started as `python -m app --state-file PATH` and read through
that JSON file (title, canvas position on screen, counts), exactly as tests/test_window.py does.
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
    """`python -m app` on a display; `started` is when the process was launched (perf_counter)."""

    def __init__(self, display: str, state_file: Path, *extra: str, env: dict | None = None) -> None:
        require("xdotool")
        self.env = dict(os.environ, DISPLAY=display, **(env or {}))
        self.state_file = state_file
        state_file.unlink(missing_ok=True)
        self.started = time.perf_counter()
        self.process = subprocess.Popen([sys.executable, "-m", "app", "--state-file", str(state_file), *extra],
                                        cwd=REPO_ROOT, env=self.env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.ready_state = self.wait_for(lambda s: s["ready"], "the window", timeout=60)
        self.ready_after_s = time.perf_counter() - self.started
        self.window = self.xdo("search", "--sync", "--pid", str(self.process.pid), "--name", "^Digit Pad").split()[0]

    def xdo(self, *args: str, stdin: str | None = None) -> str:
        result = subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True, input=stdin,
                                timeout=3600)
        if result.returncode != 0:
            raise RuntimeError(f"xdotool {' '.join(args[:6])} failed: {result.stderr.strip()}")
        return result.stdout

    def state(self) -> dict | None:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return None

    def wait_for(self, condition, what: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stdout.read() if self.process.stdout else ""
                raise RuntimeError(f"the app exited ({self.process.returncode}) waiting for {what}: {output.strip()}")
            state = self.state()
            if state is not None:
                try:
                    if condition(state):
                        return state
                except (KeyError, TypeError):
                    pass
            time.sleep(0.01)
        raise RuntimeError(f"timed out waiting for {what}")

    def settle(self, quiet_s: float = 0.3) -> dict:
        """The state once it has stopped changing for quiet_s."""
        previous, since = None, time.monotonic()
        while True:
            time.sleep(0.05)
            state = self.state()
            if state != previous:
                previous, since = state, time.monotonic()
            elif time.monotonic() - since >= quiet_s:
                return state

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

    def quit(self, timeout: float = 20) -> None:
        """Ctrl+Q (the app writes its profile on the way out); terminate if it does not go."""
        if self.process.poll() is None:
            try:
                self.key("ctrl+q")
                self.process.wait(timeout=timeout)
            except (RuntimeError, subprocess.TimeoutExpired):
                self.process.terminate()
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
