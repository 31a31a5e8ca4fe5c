"""The real window under Xvfb, driven with xdotool as real X mouse and keyboard events.

The app runs as `python -m app --state-file PATH`; it rewrites PATH as JSON (title, verdict,
probabilities, the 28x28 input, status line, strokes, canvas position) shortly after every update,
which is how these tests read what the window shows. Without Xvfb/xdotool the `x_display` fixture
skips them with a reason.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import app
from app.controller import DigitPadController
from app.replay import replay_drawing
from model.mlp import MLP
from model.weights_io import BUNDLED_WEIGHTS, load_weights, save_weights
from preprocessing.drawing import Drawing, read_drawings
from preprocessing.pipeline import DEFAULT_SETTINGS
from screens import pump

PACKAGE_ROOT = Path(app.__file__).parent.parent
sys.path.insert(0, str(PACKAGE_ROOT))  # benchmarks/ is a folder of scripts, not an installed package
from benchmarks.xwindow import AppWindow  # noqa: E402

TITLE = re.compile(r"^Digit Pad - (\d)( or (\d)\?)? \((\d+) %\)$")
#: Pause between pointer moves: Tk merges motion events that queue up, as it does for a fast hand.
MOVE_PAUSE_S = 0.006


class RunningApp(AppWindow):
    """A `python -m app` subprocess on the test display (the benchmarks' driver, with the tests'
    timeouts and AssertionError on failure), and the tests' ways to poke it and read it."""

    def __init__(self, display: str, weights: Path, state_file: Path, log: Path) -> None:
        super().__init__(display, state_file, "--weights", str(weights), log=log, ready_timeout=30,
                         wait_timeout=15, xdo_timeout=60, poll_s=0.05, error=AssertionError)

    def settle(self) -> dict:
        """The state once updates have stopped arriving (two equal reads 0.1 s apart; at most ~10 s)."""
        return super().settle(quiet_s=0.1, poll_s=0.1, timeout=10)

    def canvas_points(self, stroke, state) -> list[tuple[int, int]]:
        canvas = state["canvas"]
        side = canvas["size"] - 1
        return [(canvas["x"] + int(round(x * side)), canvas["y"] + int(round(y * side))) for x, y in stroke]

    def draw(self, drawing: Drawing, button: int = 1) -> dict:
        state = self.state()
        before = state["strokes"]
        for stroke in drawing.strokes:
            self.drag(self.canvas_points(stroke, state), MOVE_PAUSE_S, button)
        return self.wait_for(lambda s: s["strokes"] == before + len(drawing.strokes), "the strokes to land")

    def click_cell(self, row: int, col: int, button: int = 1) -> None:
        grid = self.state()["grid"]
        x = grid["x"] + col * grid["cell"] + grid["cell"] // 2
        y = grid["y"] + row * grid["cell"] + grid["cell"] // 2
        self.xdo("mousemove", str(x), str(y), "click", str(button))

    def title(self) -> str:
        return self.xdo("getwindowname", self.window).strip()

    def clear(self) -> dict:
        self.key("Escape")
        return self.wait_for(lambda s: s["verdict"] == "empty" and s["strokes"] == 0, "a cleared canvas")


@pytest.fixture(scope="module")
def weights(tmp_path_factory) -> tuple[Path, bool]:
    """The bundled weights when present (predictions can then be checked against labels)."""
    if BUNDLED_WEIGHTS.is_file():
        return BUNDLED_WEIGHTS, True
    path = tmp_path_factory.mktemp("weights") / "random.npz"
    save_weights(path, MLP([784, 32, 10], seed=0), {"preprocessing": DEFAULT_SETTINGS.to_dict()})
    return path, False


@pytest.fixture(scope="module")
def running(x_display, weights, tmp_path_factory):
    folder = tmp_path_factory.mktemp("window")
    running = RunningApp(x_display, weights[0], folder / "state.json", folder / "app.log")
    yield running
    running.close()


@pytest.fixture(scope="module")
def sample(test_data_dir):
    return read_drawings(test_data_dir / "drawings_sample.jsonl")


@pytest.fixture(scope="module")
def clear_drawing(sample, weights):
    """A sample drawing that the headless controller reads confidently (and, with the bundled
    weights, correctly): real events must then give the same answer."""
    model, metadata = load_weights(weights[0])
    controller = DigitPadController(model, metadata=metadata, canvas_px=480)
    best = None
    for drawing in sample:
        reading = replay_drawing(controller, drawing)
        correct = reading.digit == drawing.label or not weights[1]
        if correct and (best is None or reading.confidence > best[1]):
            best = (drawing, reading.confidence)
    return best[0]


def headless_reading(state):
    """Replay the window's own recorded strokes through a fresh controller of the same size."""
    model, metadata = load_weights(Path(state["weights"]))
    controller = DigitPadController(model, metadata=metadata, canvas_px=state["canvas"]["raster_size"])
    recorded = state["drawing"]
    return replay_drawing(controller, Drawing(strokes=recorded["strokes"], label=None, writer=None,
                                              widths=recorded["widths"], erase=recorded["erase"]))


@pytest.mark.gui
def test_starts_empty_and_says_draw_a_digit(running):
    state = running.clear() if running.state()["strokes"] else running.state()
    assert state["title"] == "Digit Pad" == running.title()
    assert state["verdict"] == "empty" and state["message"] == "Draw a digit"
    assert state["probabilities"] is None and state["input"] is None
    assert not np.any(state["grid_levels"])
    assert state["canvas"]["size"] >= 400


def star(points: int = 5) -> Drawing:
    """A five-pointed star in one stroke, as a person draws it (each point joined to the second next)."""
    corners = [(0.5 + 0.36 * np.sin(2 * np.pi * k * 2 / points), 0.5 - 0.36 * np.cos(2 * np.pi * k * 2 / points))
               for k in range(points + 1)]
    stroke = [tuple(a + (b - a) * t / 12 for a, b in zip(start, end))
              for start, end in zip(corners, corners[1:]) for t in range(12)] + [corners[-1]]
    return Drawing(strokes=[stroke], label=None, writer=None)


@pytest.mark.gui
def test_a_star_is_not_a_digit(running, weights, artifacts_dir):
    if not weights[1]:
        pytest.skip("needs the bundled weights (their verdict rule)")
    running.clear()
    running.draw(star())
    state = running.settle()
    assert state["verdict"] == "not_digit", state["title"]
    assert state["title"] == "Digit Pad - not a digit" == running.title()
    assert state["message"] == "That doesn't look like a digit"
    assert np.array(state["probabilities"]).shape == (10,)  # the bars stay, muted
    running.screenshot().save(artifacts_dir / "window_star.png")
    running.clear()


@pytest.mark.gui
def test_drawing_a_digit_updates_title_grid_and_bars(running, clear_drawing, weights, artifacts_dir):
    running.clear()
    state = running.draw(clear_drawing)
    state = running.settle()
    match = TITLE.match(state["title"])
    assert match, state["title"]
    assert running.title() == state["title"]
    probabilities = np.array(state["probabilities"])
    assert probabilities.shape == (10,) and probabilities.sum() == pytest.approx(1.0, abs=1e-3)
    assert state["digit"] == int(np.argmax(probabilities)) == int(match.group(1))
    assert int(match.group(4)) == round(state["confidence"] * 100)
    image = np.array(state["input"])
    assert image.shape == (28, 28) and image.max() > 0.5
    # Every grid cell is shaded by its input value (to the nearest of 256 shades; the state file
    # rounds the input to 4 decimals, which is another 255 * 0.00005 of slack).
    assert np.abs(np.array(state["grid_levels"]) - image * 255).max() <= 0.5 + 255 * 0.00005 + 1e-9
    if weights[1]:
        assert state["digit"] == clear_drawing.label

    # The window's network input is exactly what its strokes give through the headless controller.
    replayed = headless_reading(state)
    np.testing.assert_allclose(image, replayed.input, atol=1e-4)
    assert state["digit"] == replayed.digit

    screenshot = artifacts_dir / "window_digit.png"
    shot = running.screenshot()
    shot.save(screenshot)
    assert shot.width >= 800 and shot.height >= 450
    assert len(np.unique(np.asarray(shot.convert("L")))) > 10  # a real picture, not a blank frame


@pytest.mark.gui
def test_clear_undo_and_redo_with_the_keyboard(running, clear_drawing):
    running.clear()
    drawn = running.draw(clear_drawing)
    drawn = running.settle()
    strokes, title = drawn["strokes"], drawn["title"]

    running.key("Escape")
    running.wait_for(lambda s: s["verdict"] == "empty" and s["title"] == "Digit Pad", "clear")
    assert running.title() == "Digit Pad"
    running.key("ctrl+z")
    state = running.wait_for(lambda s: s["strokes"] == strokes and s["verdict"] != "empty", "undo of the clear")
    assert state["title"] == title and state["input"] == drawn["input"]
    running.key("ctrl+y")
    running.wait_for(lambda s: s["strokes"] == 0 and s["verdict"] == "empty", "redo of the clear")
    running.key("ctrl+z")
    running.wait_for(lambda s: s["strokes"] == strokes, "undo again")
    running.key("ctrl+z")
    running.wait_for(lambda s: s["strokes"] == strokes - 1, "undo of the last stroke")
    running.key("ctrl+shift+z")
    state = running.wait_for(lambda s: s["strokes"] == strokes, "redo with Ctrl+Shift+Z")
    assert state["input"] == drawn["input"]
    running.key("Delete")
    running.wait_for(lambda s: s["verdict"] == "empty", "clear with Delete")


@pytest.mark.gui
def test_right_drag_and_the_eraser_tool_erase(running):
    running.clear()
    bar = Drawing(strokes=[[(0.2 + 0.05 * i, 0.5) for i in range(13)]], label=None, writer=None)
    running.draw(bar)
    inked = running.settle()
    across = Drawing(strokes=[[(0.5, 0.3 + 0.05 * i) for i in range(9)]], label=None, writer=None)
    running.draw(across, button=3)
    erased = running.settle()
    assert erased["drawing"]["erase"] == [False, True]
    assert 0 < erased["raster_ink"] < inked["raster_ink"]

    running.key("e")
    running.wait_for(lambda s: s["eraser"], "the eraser tool")
    running.draw(bar)
    state = running.settle()
    assert state["drawing"]["erase"] == [False, True, True]
    assert state["verdict"] == "empty" and state["raster_ink"] < 0.05 * inked["raster_ink"]
    running.key("e")
    running.wait_for(lambda s: not s["eraser"], "the pen again")


@pytest.mark.gui
def test_grid_cells_can_be_painted_and_erased_and_the_canvas_takes_over_again(running):
    running.clear()
    for row in range(5, 23):
        running.click_cell(row, 14)
    state = running.wait_for(lambda s: s["source"] == "grid" and s["input"] and s["input"][22][14] == 1.0,
                             "painted cells")
    assert [state["input"][row][14] for row in range(5, 23)] == [1.0] * 18
    assert state["verdict"] in ("sure", "unsure") and TITLE.match(state["title"])
    assert "row 22, column 14: value 1.00" in state["hover"]

    running.click_cell(22, 14, button=3)
    state = running.wait_for(lambda s: s["input"][22][14] == 0.0, "an erased cell")
    assert state["source"] == "grid"

    running.draw(Drawing(strokes=[[(0.3, 0.3), (0.6, 0.6)]], label=None, writer=None))
    state = running.wait_for(lambda s: s["source"] == "canvas", "the canvas's own input")
    np.testing.assert_allclose(np.array(state["input"]), headless_reading(state).input, atol=1e-4)


@pytest.mark.gui
def test_brush_keys_and_stage_view(running):
    start = running.state()["brush_fraction"]
    running.key("bracketright")
    running.wait_for(lambda s: s["brush_fraction"] > start, "a thicker brush")
    running.key("bracketleft")
    running.wait_for(lambda s: s["brush_fraction"] == pytest.approx(start), "the brush back")
    running.key("F2")
    running.wait_for(lambda s: s["stages_visible"], "the stage view")
    running.key("F2")
    running.wait_for(lambda s: not s["stages_visible"], "the stage view hidden")


@pytest.mark.gui
def test_help_window_lists_shortcuts(running):
    running.key("F1")
    running.wait_for(lambda s: s["help_open"], "the help window")
    found = running.xdo("search", "--sync", "--name", "keyboard shortcuts").split()
    assert found
    running.xdo("windowfocus", "--sync", found[0])
    running.xdo("key", "Escape")
    running.wait_for(lambda s: not s["help_open"], "the help window to close")


@pytest.mark.gui
def test_loading_a_bad_weights_file_shows_a_message_and_keeps_the_model(running, clear_drawing, tmp_path):
    running.clear()
    running.draw(clear_drawing)
    before = running.settle()
    bad = tmp_path / "broken-weights.npz"
    bad.write_bytes(b"this is not a weights file")

    running.key("ctrl+l")
    dialog = running.xdo("search", "--sync", "--name", "^Open weights").split()[0]
    running.xdo("windowfocus", "--sync", dialog)
    running.xdo("type", "--delay", "2", str(bad))
    running.xdo("key", "Return")
    state = running.wait_for(lambda s: s["status_error"], "the error message")
    assert "broken-weights.npz" in state["status"] and "keeping the current model" in state["status"]
    assert "\n" not in state["status"]
    assert state["weights"] == before["weights"]
    assert state["title"] == before["title"] and state["probabilities"] == before["probabilities"]

    running.key("Escape")  # the kept model still reads new drawings
    running.wait_for(lambda s: s["verdict"] == "empty", "clear")
    running.draw(clear_drawing)
    state = running.settle()
    assert state["digit"] == before["digit"]


def _run_app(*args, env):
    return subprocess.run([sys.executable, "-m", "app", *args], cwd=PACKAGE_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11 display handling is Linux-specific")
def test_without_a_display_the_app_says_so_in_one_line():
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    result = _run_app(env=env)
    assert result.returncode == 2
    assert result.stderr.startswith("digit-pad: no display") and len(result.stderr.strip().splitlines()) == 1
    result = _run_app(env=dict(env, DISPLAY=":987"))  # no X server there
    assert result.returncode == 2
    assert result.stderr.startswith("digit-pad: no display") and "Traceback" not in result.stderr


@pytest.mark.gui
def test_a_bad_weights_option_is_a_one_line_error(x_display, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"nope")
    result = _run_app("--weights", str(bad), env=dict(os.environ, DISPLAY=x_display))
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "bad.npz" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _answer_file_dialog(running: RunningApp, title: str, path: Path) -> None:
    dialog = running.xdo("search", "--sync", "--name", f"^{title}").split()[0]
    running.xdo("windowfocus", "--sync", dialog)
    running.xdo("type", "--delay", "2", str(path))
    running.xdo("key", "Return")


@pytest.mark.gui
def test_save_and_open_a_drawing_through_the_file_menu(running, clear_drawing, tmp_path):
    running.clear()
    running.draw(clear_drawing)
    drawn = running.settle()

    running.key("ctrl+s")
    _answer_file_dialog(running, "Save drawing", tmp_path / "mine.jsonl")
    state = running.wait_for(lambda s: s["status"].startswith("Saved"), "the save")
    (saved,) = read_drawings(tmp_path / "mine.jsonl")
    assert [[list(p) for p in stroke] for stroke in saved.strokes] == drawn["drawing"]["strokes"]
    from PIL import Image
    with Image.open(tmp_path / "mine.png") as png:
        assert png.size == (drawn["canvas"]["raster_size"],) * 2 and png.getextrema()[1] > 200

    running.key("Escape")
    running.wait_for(lambda s: s["verdict"] == "empty", "clear")
    running.key("ctrl+o")
    _answer_file_dialog(running, "Open drawing", tmp_path / "mine.jsonl")
    state = running.wait_for(lambda s: s["status"].startswith("Opened"), "the drawing to open")
    assert state["drawing"]["strokes"] == drawn["drawing"]["strokes"]
    assert state["title"] == drawn["title"] and state["input"] == drawn["input"]

    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"strokes": [[[0.5, 0.5]]]}\n{"strokes": oops}\n')
    running.key("ctrl+o")
    _answer_file_dialog(running, "Open drawing", broken)
    state = running.wait_for(lambda s: s["status_error"], "the error message")
    assert "broken.jsonl" in state["status"] and "\n" not in state["status"]
    assert state["drawing"]["strokes"] == drawn["drawing"]["strokes"]  # the canvas is untouched


@pytest.mark.gui
def test_the_canvas_grows_with_the_window_and_keeps_the_drawing(running, clear_drawing):
    running.clear()
    running.draw(clear_drawing)
    before = running.settle()
    size = before["canvas"]["size"]
    geometry = dict(line.split("=") for line in running.xdo("getwindowgeometry", "--shell", running.window).split())
    width, height = int(geometry["WIDTH"]), int(geometry["HEIGHT"])
    running.xdo("windowsize", running.window, str(width + 300), str(height + 300))
    state = running.wait_for(lambda s: s["canvas"]["size"] >= size + 250 and s["canvas"]["raster_size"]
                             == s["canvas"]["size"], "a bigger canvas")
    state = running.settle()
    assert state["drawing"]["strokes"] == before["drawing"]["strokes"]
    assert state["digit"] == before["digit"]
    np.testing.assert_allclose(np.array(state["input"]), headless_reading(state).input, atol=1e-4)
    running.xdo("windowsize", running.window, str(width), str(height))
    running.wait_for(lambda s: s["canvas"]["size"] == size == s["canvas"]["raster_size"], "the first size again")


# ---------------------------------------------------------------------- in-process window tests
# The window built in a Toplevel of the session's hidden Tk root: quicker than a subprocess, and
# what they check (layout, commands, updates) needs no real pointer.

@pytest.fixture
def shell(toplevel, weights):
    from app.model_choice import BUNDLED, ModelChoice
    from app.window import DigitPadWindow

    path, bundled = weights
    controller = DigitPadController.from_weights(path)
    window = DigitPadWindow(toplevel, controller, model=BUNDLED if bundled else ModelChoice(path, "command line"))
    toplevel.update()
    return window



@pytest.mark.gui
def test_every_command_of_the_table_is_in_the_windows_menus_and_bound(shell):
    from app.commands import COMMANDS

    for cmd in COMMANDS:
        if cmd.menu:
            menu = shell.commands.menus[cmd.menu]
            assert menu.index(cmd.label) is not None, cmd.label
        for sequence in cmd.keys:
            assert shell.root.bind(sequence), sequence
    assert shell.root.cget("menu")


@pytest.mark.gui
def test_pen_events_update_title_card_grid_and_buttons_once_idle(shell, clear_drawing):
    canvas, side = shell.canvas.canvas, shell.canvas.side
    assert shell.title == "Digit Pad" and shell.toolbar.buttons["undo"].instate(["disabled"])
    for stroke in clear_drawing.strokes:
        (x, y), rest = stroke[0], stroke[1:]
        canvas.event_generate("<ButtonPress-1>", x=round(x * side), y=round(y * side))
        for x, y in rest:
            canvas.event_generate("<Motion>", x=round(x * side), y=round(y * side), state=0x100)
        canvas.event_generate("<ButtonRelease-1>", x=round(x * side), y=round(y * side))
    pump(shell)
    reading = shell.controller.reading()
    assert shell.shown is reading and TITLE.match(shell.title) and shell.root.title() == shell.title
    assert shell.prediction.message == reading.message
    np.testing.assert_array_equal(shell.grid.levels, np.clip(np.rint(reading.input * 255), 0, 255))
    assert not shell.toolbar.buttons["undo"].instate(["disabled"])
    assert shell.commands.menus["Edit"].entrycget("Undo", "state") == "normal"
    shell.root.focus_force()
    pump(shell)
    canvas.event_generate("<Escape>")
    pump(shell)
    assert shell.title == "Digit Pad" and not shell.controller.strokes and not shell.canvas.canvas.find_withtag("ink")


@pytest.mark.gui
def test_the_stages_strip_opens_below_the_cards_and_the_minimum_size_keeps_every_panel_whole(shell):
    from app.canvas_panel import MIN_CANVAS_PX

    root = shell.root
    shell.commands.run("stages")
    pump(shell)
    assert shell.stages.frame.winfo_ismapped() and shell.controller.keep_stages
    assert shell.stages.frame.winfo_rooty() > shell.prediction.frame.winfo_rooty() + shell.prediction.frame.winfo_height()
    assert root.winfo_reqwidth() <= 1024 and root.winfo_reqheight() + shell.menu_height <= 600
    min_width, min_height = root.minsize()
    root.geometry("200x150")  # far below the minimum: Tk keeps the minimum
    pump(shell)
    assert (root.winfo_width(), root.winfo_height()) == (min_width, min_height)
    root.after(100)  # the raster follows the canvas once the resize has settled
    pump(shell)
    assert shell.canvas.side == MIN_CANVAS_PX
    for name, widget in shell.panels().items():
        assert widget.winfo_ismapped(), name
        assert widget.winfo_width() >= widget.winfo_reqwidth() and widget.winfo_height() >= widget.winfo_reqheight(), name
        assert widget.winfo_rootx() + widget.winfo_width() <= root.winfo_rootx() + root.winfo_width(), name
        assert widget.winfo_rooty() + widget.winfo_height() <= root.winfo_rooty() + root.winfo_height(), name
    shell.commands.run("stages")
    pump(shell)
    assert not shell.stages.frame.winfo_ismapped() and not shell.controller.keep_stages


@pytest.mark.gui
def test_opening_the_stages_in_a_window_made_small_grows_it_so_nothing_is_clipped(shell):
    root = shell.root
    root.geometry("{}x{}".format(*root.minsize()))  # the person made it as small as it goes
    pump(shell)
    closed_height = root.winfo_height()
    shell.commands.run("stages")
    pump(shell)
    stages = shell.stages.frame
    assert root.winfo_height() > closed_height and root.winfo_height() == root.minsize()[1]
    assert stages.winfo_height() >= stages.winfo_reqheight()
    assert stages.winfo_rooty() + stages.winfo_height() <= shell.status.frame.winfo_rooty()


def widgets_under(widget):
    for child in widget.winfo_children():
        yield child
        yield from widgets_under(child)


@pytest.mark.gui
def test_describe_and_about_name_the_model_in_use(shell):
    shell.commands.run("describe_model")
    assert shell.status.message == shell.status.model and shell.status.model.startswith("Model: ")
    shell.commands.run("about")
    pump(shell)
    assert shell.about.is_open
    texts = [w.cget("text") for w in widgets_under(shell.about.window) if w.winfo_class() == "TLabel"]
    assert shell.status.model == f"Model: {texts[texts.index('Model') + 1]}" and "MIT" in texts
    shell.about.close()


@pytest.mark.gui
def test_quitting_tells_the_observers_and_closes_the_window(shell):
    from app.observer import WindowObserver

    heard = []

    class Listener(WindowObserver):
        def closing(self):
            heard.append("closing")

    shell.observe(Listener())
    root = shell.root
    shell.quit()
    assert heard == ["closing"] and not root.winfo_exists()


@pytest.mark.gui
@pytest.mark.parametrize("width, height, stages", [(1024, 600, True), (960, 540, False)])
def test_on_a_small_screen_the_whole_window_fits_and_nothing_is_clipped(
        x_display, weights, clear_drawing, tmp_path, artifacts_dir, width, height, stages):
    """1024x600 (a netbook) with the stages open; 960x540, smaller than the window's natural size,
    where the canvas shrinks to make it fit."""
    from app.canvas_panel import MIN_CANVAS_PX
    from benchmarks.xwindow import Xvfb
    from preprocessing.raster import DEFAULT_CANVAS_PX

    with Xvfb(size=f"{width}x{height}x24") as small:
        app_window = RunningApp(small.display, weights[0], tmp_path / "state.json", tmp_path / "app.log")
        try:
            if stages:
                app_window.key("F2")
                app_window.wait_for(lambda s: s["stages_visible"], "the stage view")
                app_window.key("F3")  # the evidence overlay's legend must not make the window taller
                app_window.wait_for(lambda s: s["views"]["evidence"], "the evidence overlay")
            app_window.draw(clear_drawing)
            state = app_window.settle()
            app_window.screenshot().save(artifacts_dir / f"window_{width}x{height}{'_stages' * stages}.png")
        finally:
            app_window.close()
    screen, window = state["screen"], state["window"]
    assert (screen["width"], screen["height"]) == (width, height)
    # The window asks for no more than the screen, menu bar included, and is all on it.
    assert window["req_width"] <= width and window["req_height"] + window["menu_height"] <= height
    assert window["y"] - window["menu_height"] >= 0 and window["x"] >= 0
    assert window["x"] + window["width"] <= width and window["y"] + window["height"] <= height
    panels = state["panels"]
    assert panels["stages"]["mapped"] is stages
    for name, box in panels.items():
        if name == "stages" and not stages:
            continue
        assert box["mapped"], name
        assert box["width"] >= box["req_width"] and box["height"] >= box["req_height"], f"{name} is clipped"
        assert 0 <= box["x"] and box["x"] + box["width"] <= width, name
        assert 0 <= box["y"] and box["y"] + box["height"] <= height, name
    assert MIN_CANVAS_PX <= state["canvas"]["size"] <= DEFAULT_CANVAS_PX and state["verdict"] != "empty"
    if width < 1000:
        assert state["canvas"]["size"] < DEFAULT_CANVAS_PX  # it shrank to fit
