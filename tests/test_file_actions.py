"""app.file_actions: open and save drawings, open weights, back to the bundled model (headless:
the window, its status line and its event loop are stand-ins; dialogs are replaced)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app import file_actions
from app.controller import DigitPadController
from app.file_actions import FileActions
from app.model_choice import BUNDLED, ModelChoice
from model.settings import SettingsStore
from model.mlp import MLP
from model.weights_io import save_weights
from preprocessing.drawing import Drawing, read_drawings, write_drawings
from preprocessing.pipeline import DEFAULT_SETTINGS


class Root:
    """Runs after() callbacks when asked to, as Tk's event loop would."""

    def __init__(self):
        self.pending = []

    def after(self, ms, callback):
        self.pending.append(callback)

    def run_until_idle(self, jobs=()):
        for job in jobs:
            job.join(30)
        while self.pending:
            self.pending.pop(0)()


class Status:
    def __init__(self):
        self.messages = []

    def say(self, text, error=False):
        self.messages.append((text, error))

    @property
    def last(self):
        return self.messages[-1]


class Window:
    def __init__(self, controller):
        self.root, self.controller, self.status = Root(), controller, Status()
        self.replaced = self.models = 0

    def drawing_replaced(self):
        self.replaced += 1

    def model_changed(self):
        self.models += 1


@pytest.fixture
def window():
    return Window(DigitPadController.from_weights(BUNDLED.path, canvas_px=280))


@pytest.fixture
def store(tmp_path):
    return SettingsStore(tmp_path / "data" / "settings.json")


@pytest.fixture
def other_weights(tmp_path):
    path = tmp_path / "models" / "small.npz"
    path.parent.mkdir()
    save_weights(path, MLP([784, 16, 10], seed=3), {"preprocessing": DEFAULT_SETTINGS.to_dict(),
                                                    "layer_sizes": [784, 16, 10]})
    return path


def seven():
    return Drawing(strokes=[[(0.25, 0.2), (0.75, 0.2)], [(0.75, 0.2), (0.45, 0.85)]], label=7, writer="w1")


def test_opening_a_drawing_shows_its_first_and_says_so(window, tmp_path):
    path = tmp_path / "two.jsonl"
    write_drawings(path, [seven(), Drawing(strokes=[[(0.5, 0.5)]], label=None, writer=None)])
    actions = FileActions(window)
    assert actions.open_drawing_file(path)
    assert len(window.controller.strokes) == 2 and window.replaced == 1
    assert window.status.last == ("Opened two.jsonl (the first of 2), labelled 7", False)


@pytest.mark.parametrize("content, fragment", [
    ('{"strokes": oops}\n', "two.jsonl"),
    ("", "holds no drawings"),
])
def test_a_bad_or_empty_drawing_file_is_one_line_and_leaves_the_canvas(window, tmp_path, content, fragment):
    window.controller.load_drawing(seven())
    before = window.controller.strokes
    path = tmp_path / "two.jsonl"
    path.write_text(content)
    assert not FileActions(window).open_drawing_file(path)
    text, error = window.status.last
    assert error and fragment in text and "\n" not in text and text.startswith("Could not open drawing")
    assert window.controller.strokes is before and window.replaced == 0
    assert not FileActions(window).open_drawing_file(tmp_path / "missing.jsonl")
    assert "missing.jsonl" in window.status.last[0]


def test_saving_writes_the_drawing_and_a_png_beside_it(window, tmp_path):
    window.controller.load_drawing(seven())
    assert FileActions(window).save_drawing_files(tmp_path / "mine.png")
    (saved,) = read_drawings(tmp_path / "mine.jsonl")
    assert saved.strokes == seven().strokes
    with Image.open(tmp_path / "mine.png") as png:
        assert png.size == (280, 280)
        np.testing.assert_array_equal(np.asarray(png) > 0, window.controller.raster.pixels > 0.5 / 255)
    assert window.status.last == (f"Saved mine.jsonl and mine.png in {tmp_path}", False)
    assert not FileActions(window).save_drawing_files(tmp_path / "no-folder" / "x.jsonl")
    assert window.status.last[1] and "no-folder" in window.status.last[0]


def test_weights_opened_from_the_menu_become_the_model_and_the_saved_choice(window, store, other_weights):
    actions = FileActions(window, BUNDLED, store)
    assert not actions.custom_model
    job = actions.open_weights_file(other_weights)
    assert window.status.last == ("Opening small.npz...", False)
    window.root.run_until_idle([job])
    assert window.controller.metadata["layer_sizes"] == [784, 16, 10] and window.models == 1
    assert actions.model == ModelChoice(other_weights, "opened") and actions.custom_model
    assert window.status.last[0].startswith("Now using small.npz: MLP 784-16-10") and not window.status.last[1]
    assert json.loads(store.path.read_text()) == {"model": str(other_weights.resolve())}

    job = actions.use_bundled_model()  # one action back, and the choice is forgotten
    window.root.run_until_idle([job])
    assert actions.model == BUNDLED and not actions.custom_model
    assert window.controller.metadata["layer_sizes"] == [784, 768, 768, 10]
    assert json.loads(store.path.read_text()) == {}
    assert window.status.last[0].startswith("Now using the bundled model")


def test_a_bad_weights_file_keeps_the_current_model_and_the_saved_choice(window, store, tmp_path):
    store.update(model="/models/previous.npz")
    bad = tmp_path / "broken-weights.npz"
    bad.write_bytes(b"this is not a weights file")
    actions = FileActions(window, BUNDLED, store)
    model = window.controller.model
    window.root.run_until_idle([actions.open_weights_file(bad)])
    text, error = window.status.last
    assert error and "broken-weights.npz" in text and "keeping the current model" in text and "\n" not in text
    assert window.controller.model is model and actions.model == BUNDLED and window.models == 0
    assert store.settings.model == "/models/previous.npz"
    assert json.loads(store.path.read_text()) == {"model": "/models/previous.npz"}


def test_a_second_open_cancels_the_first_still_loading(window, other_weights):
    actions = FileActions(window)
    first = actions.open_weights_file(other_weights)
    second = actions.open_weights_file(BUNDLED.path)
    assert first.cancelled.is_set() and not second.cancelled.is_set()
    window.root.run_until_idle([first, second])
    assert actions.model == BUNDLED and window.models == 1


def test_a_settings_file_that_cannot_be_written_is_said_but_the_model_is_used(window, other_weights, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder")
    actions = FileActions(window, BUNDLED, SettingsStore(blocker / "settings.json"))
    window.root.run_until_idle([actions.open_weights_file(other_weights)])
    text, error = window.status.last
    assert error and "Now using small.npz" in text and "could not save the settings" in text
    assert actions.model.path == other_weights


def test_the_weights_dialog_starts_in_the_models_folder(window, monkeypatch, tmp_path, other_weights):
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "data"))
    asked = {}

    def ask(**options):
        asked.update(options)
        return str(other_weights)

    monkeypatch.setattr(file_actions.filedialog, "askopenfilename", ask)
    actions = FileActions(window)
    actions.open_weights()
    window.root.run_until_idle([actions.job])
    assert asked["initialdir"] == str(tmp_path / "data" / "models") and Path(asked["initialdir"]).is_dir()
    assert asked["title"] == "Open weights" and actions.model.path == other_weights
    monkeypatch.setattr(file_actions.filedialog, "askopenfilename", lambda **options: "")
    actions.open_weights()  # cancelled dialog: nothing happens
    assert actions.model.path == other_weights


def test_drawing_dialogs_hand_their_answer_on(window, monkeypatch, tmp_path):
    window.controller.load_drawing(seven())
    monkeypatch.setattr(file_actions.filedialog, "asksaveasfilename", lambda **options: str(tmp_path / "d.jsonl"))
    FileActions(window).save_drawing()
    assert (tmp_path / "d.jsonl").is_file() and (tmp_path / "d.png").is_file()
    window.controller.clear()
    monkeypatch.setattr(file_actions.filedialog, "askopenfilename", lambda **options: str(tmp_path / "d.jsonl"))
    FileActions(window).open_drawing()
    assert len(window.controller.strokes) == 2
