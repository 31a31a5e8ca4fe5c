"""app.stages_panel: the pipeline's stages as thumbnails."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import ImageTk

from app import theme
from app.controller import DigitPadController, Reading
from app.stages_panel import STAGE_PX, STAGES, StagesPanel, stage_arrays
from model.mlp import MLP
from preprocessing.pipeline import DEFAULT_SETTINGS


@pytest.fixture
def controller():
    controller = DigitPadController(MLP([784, 16, 10], seed=0), DEFAULT_SETTINGS, canvas_px=280, keep_stages=True)
    controller.pen_down(80, 60)
    controller.pen_move(200, 220)
    controller.pen_up()
    return controller


def test_each_stage_of_the_reading_has_its_thumbnail(controller):
    reading = controller.reading()
    arrays = stage_arrays(reading)
    assert len(arrays) == len(STAGES) == 5
    for (name, _), array in zip(STAGES, arrays):
        np.testing.assert_array_equal(array, reading.stages[name])
    empty = stage_arrays(Reading(None, None, None, None, 0.0, "empty"))
    assert empty == [None] * 5


def test_after_grid_edits_the_last_thumbnail_is_the_edited_input(controller):
    controller.edit_cell(0, 0, 1.0)
    reading = controller.reading()
    arrays = stage_arrays(reading)
    assert reading.source == "grid" and arrays[-1][0, 0] == 1.0
    np.testing.assert_array_equal(arrays[-1], reading.input)
    np.testing.assert_array_equal(arrays[0], reading.stages["raw"])


@pytest.mark.gui
def test_the_strip_shows_a_thumbnail_per_stage_and_blanks_when_empty(toplevel, controller):
    theme.apply(toplevel)
    panel = StagesPanel(toplevel)
    panel.frame.pack()
    toplevel.update()
    titles = [w.cget("text") for w in panel.frame.grid_slaves(row=2)][::-1]
    assert titles == [title for _, title in STAGES]
    reading = controller.reading()
    panel.show(reading)
    assert len(panel._photos) == 5
    assert all(photo.width() == photo.height() == STAGE_PX for photo in panel._photos)
    centred = np.asarray(ImageTk.getimage(panel._photos[-1]).convert("L"))
    # dark ink on paper: the darkest pixel is the input's strongest ink (28 px shown crisp at 64)
    assert abs(int(centred.min()) - (255 - reading.input.max() * 255)) <= 1 and centred.max() == 255
    panel.show(Reading(None, None, None, None, 0.0, "empty"))
    assert panel._photos == [] and all(str(label.cget("image")) == str(panel._blank) for label in panel.images)
