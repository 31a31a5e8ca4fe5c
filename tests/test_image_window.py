"""Opening a picture in the real window (File > Open image and `digit-pad --image`), under Xvfb.

The file is given by path (the command's file action, or the command line), not through the
native dialog, and the window's state file and a screenshot show what it made of it.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import app
from app.controller import DigitPadController
from model.weights_io import BUNDLED_WEIGHTS
from preprocessing.drawing import Drawing, read_drawings
from preprocessing.raster import render_drawing

sys.path.insert(0, str(Path(app.__file__).parent.parent))
from benchmarks.xwindow import AppWindow  # noqa: E402

TITLE = re.compile(r"^Digit Pad - (\d)( or (\d)\?)? \((\d+) %\)$")


@pytest.fixture(scope="module")
def photo(tmp_path_factory, test_data_dir):
    """A sample drawing of a 3 written with a marker on unevenly lit paper, saved as a JPEG."""
    drawing = next(d for d in read_drawings(test_data_dir / "drawings_sample.jsonl") if d.label == 3)
    ink = render_drawing(Drawing(strokes=drawing.strokes), 360, 22)
    cols = np.arange(480)[None, :]
    light = 0.95 - 0.3 * cols / 480.0
    page = np.full((400, 480), 1.0, np.float32) * light
    page[20:380, 60:420] *= 1.0 - 0.75 * ink
    path = tmp_path_factory.mktemp("photo") / "three.jpg"
    Image.fromarray((page * 255).astype(np.uint8)).convert("RGB").save(path, quality=70)
    return path, 3


@pytest.mark.gui
def test_the_command_line_opens_a_picture_and_drawing_starts_over(x_display, photo, tmp_path, artifacts_dir):
    path, label = photo
    window = AppWindow(x_display, tmp_path / "state.json", "--weights", str(BUNDLED_WEIGHTS), "--image", str(path),
                       log=tmp_path / "app.log", ready_timeout=30, wait_timeout=15, xdo_timeout=60, poll_s=0.05,
                       error=AssertionError)
    try:
        state = window.wait_for(lambda s: s["source"] == "image" and s["status"].startswith("Opened"),
                                "the picture to be read")
        headless = DigitPadController.from_weights(BUNDLED_WEIGHTS).open_image(path)
        assert state["digit"] == headless.digit == label
        assert TITLE.match(state["title"]) and state["strokes"] == 0
        np.testing.assert_allclose(np.array(state["input"]), headless.input, atol=1e-4)
        assert np.array(state["grid_levels"]).max() > 100  # the grid follows the picture
        window.key("F2")
        window.wait_for(lambda s: s["stages_visible"], "the stage strip")
        window.settle(quiet_s=0.3, poll_s=0.1, timeout=10)
        shot = window.screenshot()
        shot.save(artifacts_dir / "window_image.png")
        assert len(np.unique(np.asarray(shot.convert("L")))) > 10

        # A stroke on the canvas replaces the picture; Ctrl+Z brings the picture back.
        canvas = state["canvas"]
        x0, y0 = canvas["x"] + canvas["size"] // 4, canvas["y"] + canvas["size"] // 2
        window.drag([(x0 + i * 8, y0) for i in range(25)], 0.006)
        state = window.wait_for(lambda s: s["source"] == "canvas" and s["strokes"] == 1, "the stroke")
        window.key("ctrl+z")
        state = window.wait_for(lambda s: s["source"] == "image" and s["strokes"] == 0, "the picture again")
        assert state["digit"] == label
    finally:
        window.close()


@pytest.fixture
def shell(bundled_window):
    return bundled_window


@pytest.mark.gui
def test_the_file_action_opens_a_picture_the_canvas_shows_it_and_the_stages_follow(shell, photo, tmp_path):
    from app.stages_panel import IMAGE_STAGES, STAGES

    path, label = photo
    shell.variables["stages"].set(True)
    shell.apply_stages()
    assert shell.files.open_image_file(path)
    for _ in range(3):
        shell.root.update()
    assert shell.shown.source == "image" and shell.shown.digit == label
    assert shell.canvas.canvas.find_withtag("picture")
    assert [t.cget("text") for t in shell.stages.titles] == [title for _, title in IMAGE_STAGES]
    assert shell.status.message.startswith(f"Opened {path.name}") and not shell.status.error

    bad = tmp_path / "broken.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n broken")
    assert not shell.files.open_image_file(bad)
    assert shell.status.error and "broken.png" in shell.status.message and "\n" not in shell.status.message
    assert shell.controller.image is not None  # the picture is still the input

    shell.clear()
    for _ in range(3):
        shell.root.update()
    assert not shell.canvas.canvas.find_withtag("picture") and shell.shown.verdict == "empty"
    assert [t.cget("text") for t in shell.stages.titles] == [title for _, title in STAGES]


@pytest.mark.gui
def test_open_image_is_in_the_file_menu_after_open_drawing(shell):
    from app.commands import COMMANDS

    file_menu = [c.name for c in COMMANDS if c.menu == "File"]
    assert file_menu.index("open_image") == file_menu.index("open_drawing") + 1
    assert shell.commands.menus["File"].index("Open image...") is not None
