"""Teach it your handwriting in the real window (Xvfb): label drawings, My digits, Teach, Use it,
the personal model at the next start, Reset to the bundled model.

The in-process tests build the window in a Toplevel (quick, a shortened fine-tune); the last test
runs `python -m app` with its own data folder and drives it with xdotool as a person would.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import app
from app.controller import DigitPadController
from app.my_digits import MyDigits
from app.my_digits_view import drawing_thumbnail, rows
from app.prediction_panel import BAR_ROW_PX
from app.replay import replay_drawing
from model.model_files import PREVIOUS_PERSONAL_MODEL, personal_model_path
from model.weights_io import BUNDLED_WEIGHTS, load_weights
from preprocessing.drawing import Drawing, read_drawings, write_drawings
from preprocessing.personalise import FINE_TUNE_RECIPE, FineTuneSettings, split_drawings

sys.path.insert(0, str(Path(app.__file__).parent.parent))
from benchmarks.xwindow import AppWindow  # noqa: E402

QUICK = FineTuneSettings(recipe=FINE_TUNE_RECIPE.replace(epochs=3, drawing_variants=8, lr=0.03), rehearsal=300,
                         negatives_per_source=5, holdout=0.4)


@pytest.fixture(scope="module")
def sample(test_data_dir):
    return read_drawings(test_data_dir / "drawings_sample.jsonl")


@pytest.fixture(scope="module")
def mirrored(sample):
    """A toy writer who mirrors every digit: the bundled model misreads about half of them."""
    return [Drawing([[(1 - x, y) for x, y in stroke] for stroke in d.strokes], d.label, "mirror", d.widths, d.erase)
            for d in sample]


@pytest.fixture
def fresh_store():
    """An empty sample store and no personal model in the session's data folder."""
    store = MyDigits()
    store.path.unlink(missing_ok=True)
    for name in (personal_model_path(), personal_model_path().with_name(PREVIOUS_PERSONAL_MODEL)):
        name.unlink(missing_ok=True)
    yield store
    store.path.unlink(missing_ok=True)
    personal_model_path().unlink(missing_ok=True)


@pytest.fixture
def shell(toplevel, fresh_store):
    from app.model_choice import BUNDLED
    from app.window import DigitPadWindow

    window = DigitPadWindow(toplevel, DigitPadController.from_weights(BUNDLED_WEIGHTS), model=BUNDLED)
    window.teaching.teacher.settings = QUICK
    toplevel.update()
    return window


def pump(window, until=lambda: True, timeout=120.0):
    deadline = time.monotonic() + timeout
    while True:
        window.root.update()
        if until():
            return
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def show(window, drawing):
    window.controller.load_drawing(drawing)
    window.drawing_replaced()
    pump(window)


def test_thumbnails_show_the_ink_and_rows_count_each_digit(tmp_path, sample):
    picture = np.asarray(drawing_thumbnail(sample[0], 40).convert("L"))
    assert picture.shape == (40, 40) and picture.min() < 100 and picture.max() == 255
    erased = Drawing(sample[0].strokes * 2, 1, None, None, [False] * len(sample[0].strokes)
                     + [True] * len(sample[0].strokes))
    assert np.asarray(drawing_thumbnail(erased, 40).convert("L")).min() > picture.min()
    store = MyDigits(tmp_path / "mine.jsonl")
    for drawing in sample[:12]:
        store.add(drawing)
    listed = rows(store, per_row=3)
    assert [count for _, count, _ in listed] == store.counts()
    assert all(len(shown) == min(count, 3) for _, count, shown in listed)
    first = next(shown for digit, _, shown in listed if digit == sample[0].label)
    assert first[-1].drawing.strokes == store.by_digit(sample[0].label)[-3 if len(first) == 3 else 0].drawing.strokes


@pytest.mark.gui
def test_ctrl_digit_and_a_click_on_a_bar_label_the_drawing(shell, sample, fresh_store):
    window = shell
    window.commands.run("label_3")
    assert window.status.error and "Draw a digit first" in window.status.message
    show(window, sample[0])
    window.root.focus_force()
    pump(window)
    window.root.event_generate("<Control-Key-9>")
    pump(window)
    assert window.status.message == "Saved as a 9 \u2014 1 sample", window.status.message
    show(window, sample[1])
    window.prediction.bars.event_generate("<Button-1>", x=50, y=2 + 4 * BAR_ROW_PX + 5)
    pump(window)
    assert window.status.message.startswith("Saved as a 4 \u2014 2 samples"), window.status.message
    assert [s.label for s in MyDigits().samples] == [9, 4]


@pytest.mark.gui
def test_my_digits_window_deletes_exports_and_refuses_a_bad_import_in_one_line(shell, sample, tmp_path,
                                                                               artifacts_dir):
    window = shell
    for drawing in sample[:6]:
        show(window, drawing)
        window.teaching.label_as(drawing.label)
    window.teaching.show_my_digits()
    pump(window)
    view = window.teaching.view
    assert view.is_open and view.heading.cget("text") == "My digits: 6 drawings"
    assert len(view._thumbs) == 6
    view.import_from(Path(__file__).parent / "data" / "drawings_sample.jsonl")
    pump(window)
    from PIL import ImageGrab
    top = view.window
    ImageGrab.grab(bbox=(top.winfo_rootx(), top.winfo_rooty(), top.winfo_rootx() + top.winfo_width(),
                         top.winfo_rooty() + top.winfo_height()), xdisplay=os.environ["DISPLAY"]).save(
        artifacts_dir / "my_digits.png")
    assert view.heading.cget("text") == "My digits: 56 drawings"  # drawn ones carry their brush: not the same
    assert window.status.message == "imported 50 drawings from drawings_sample.jsonl"
    view.store.delete([s.id for s in view.store.samples[6:]])
    view.refresh()
    pump(window)
    victim = next(iter(view._thumbs))
    view._thumbs[victim][0].event_generate("<Button-1>")
    pump(window)
    assert view.selected == victim
    view.buttons["Delete"].invoke()
    pump(window)
    assert len(MyDigits()) == 5 and victim not in view._thumbs and view.heading.cget("text") == "My digits: 5 drawings"

    assert view.export_to(tmp_path / "out.jsonl") and len(read_drawings(tmp_path / "out.jsonl")) == 5
    bad = tmp_path / "bad.jsonl"
    bad.write_text("this is not a drawing\n")
    assert not view.import_from(bad)
    assert window.status.error and "bad.jsonl" in window.status.message and "\n" not in window.status.message
    assert len(MyDigits()) == 5
    more = tmp_path / "more.jsonl"
    write_drawings(more, sample[10:13])
    assert view.import_from(more) and len(MyDigits()) == 8 and len(view._thumbs) == 8
    view.close()


@pytest.mark.gui
def test_teach_keeps_reading_live_then_use_it_changes_the_reading_and_reset_goes_back(shell, mirrored):
    window = shell
    bundled_sha = hashlib.sha256(BUNDLED_WEIGHTS.read_bytes()).hexdigest()
    for drawing in mirrored:
        show(window, drawing)
        window.commands.run(f"label_{drawing.label}")
    assert window.status.message == f"Saved as a {mirrored[-1].label} \u2014 50 samples"

    def right(controller):
        return sum(replay_drawing(controller, d).digit == d.label for d in mirrored)

    before = right(DigitPadController(window.controller.model, metadata=window.controller.metadata))
    old_model = window.controller.model
    window.commands.run("teach")
    dialog = window.teaching.dialog
    assert window.teaching.teacher.state == "running" and dialog.is_open
    assert "Cancel" in dialog.buttons
    # The window keeps reading with the model in use while the fine-tune runs.
    show(window, mirrored[0])
    assert window.shown.source == "canvas" and window.controller.model is old_model
    pump(window, lambda: window.teaching.teacher.state != "running")
    assert window.teaching.teacher.state == "done", window.teaching.teacher.lines()
    assert set(dialog.buttons) == {"Use it", "Discard"}
    assert "held out of the teaching" in dialog.text.cget("text") and "MNIST" in dialog.text.cget("text")
    dialog.press("Use it")
    pump(window, lambda: window.files.job is not None and not window.files.job.running)
    assert window.status.message.startswith("Now using your personal model"), window.status.message
    assert window.status.model.startswith("Model: your personal model")
    assert window.files.model.path == personal_model_path() and window.controller.model is not old_model
    after = right(DigitPadController(window.controller.model, metadata=window.controller.metadata))
    assert after > before + 5, (before, after)
    assert hashlib.sha256(BUNDLED_WEIGHTS.read_bytes()).hexdigest() == bundled_sha

    model_menu = window.commands.menus["Model"]
    assert model_menu.entrycget("Reset to the bundled model", "state") == "normal"
    window.commands.run("use_bundled_model")
    pump(window, lambda: not window.files.job.running)
    assert window.files.model.bundled and not personal_model_path().exists()
    assert personal_model_path().with_name(PREVIOUS_PERSONAL_MODEL).is_file()
    assert "your personal model is kept as personal-previous.npz" in window.status.message
    assert window.status.model.startswith("Model: bundled")


@pytest.mark.gui
def test_teach_with_too_few_drawings_says_so_and_cancel_in_the_dialog(shell, sample):
    window = shell
    window.commands.run("teach")
    assert window.status.error and "label at least 10 drawings" in window.status.message
    assert window.teaching.teacher.state == "idle"
    for drawing in sample[:20]:
        show(window, drawing)
        window.teaching.label_as(drawing.label)
    window.teaching.teacher.settings = QUICK.replace(recipe=QUICK.recipe.replace(epochs=20))
    window.commands.run("teach")
    window.teaching.dialog.press("Cancel")
    pump(window, lambda: window.teaching.teacher.state != "running")
    assert window.teaching.teacher.state == "cancelled" and window.status.message == "Teach cancelled: nothing changed"
    assert not personal_model_path().exists() and window.files.model.bundled


# ---------------------------------------------------------------------- the real app, real X events
@pytest.mark.gui
def test_label_a_drawing_teach_and_use_it_then_the_app_starts_with_the_personal_model(
        x_display, mirrored, tmp_path, artifacts_dir):
    """A person whose 4s and 9s (mirrored) the model misreads: 49 of their drawings are in My digits
    already (imported), they draw one more, press Ctrl+digit, Teach (Ctrl+T), read the figures, press
    Return (Use it); the drawing is read differently, and the next start uses the personal model."""
    data = tmp_path / "data"
    env = {"DIGITPAD_DATA_DIR": str(data), "DIGITPAD_CACHE_DIR": str(tmp_path / "cache")}
    base = DigitPadController.from_weights(BUNDLED_WEIGHTS)
    # Drawn last, it is taught (not held out) when the store keeps this order of labels.
    order = [d.label for d in mirrored]
    candidates = [i for i, d in enumerate(mirrored) if replay_drawing(base, d).digit != d.label]
    chosen = None
    for index in candidates:
        labels = order[:index] + order[index + 1:] + [order[index]]
        stand_ins = [Drawing([[(0.5, 0.5), (0.6, 0.6)]], label) for label in labels]
        teach, _ = split_drawings(stand_ins, 0.2, FineTuneSettings().seed)
        if stand_ins[-1] in teach:
            chosen = index
            break
    assert chosen is not None, "no misread drawing that would be taught"
    drawing = mirrored[chosen]
    data.mkdir()
    write_drawings(data / "my_digits.jsonl", mirrored[:chosen] + mirrored[chosen + 1:])

    state_file = tmp_path / "state.json"
    window = AppWindow(x_display, state_file, "--bundled", env=env, log=tmp_path / "app.log", ready_timeout=30,
                       wait_timeout=20, xdo_timeout=60, poll_s=0.05, error=AssertionError)
    try:
        state = window.state()
        for stroke in drawing.strokes:
            window.drag(window.screen_points(stroke, state), 0.006)
        drawn = window.wait_for(lambda s: s["strokes"] == len(drawing.strokes), "the strokes")
        drawn = window.settle(quiet_s=0.2, poll_s=0.1, timeout=10)
        assert drawn["digit"] != drawing.label
        window.key(f"ctrl+{drawing.label}")
        state = window.wait_for(lambda s: s["status"].startswith("Saved as a"), "the label")
        assert state["status"].startswith(f"Saved as a {drawing.label} \u2014 50 samples"), state["status"]

        window.key("ctrl+t")
        window.wait_for(lambda s: s["teach"]["state"] == "running", "Teach to start")
        state = window.wait_for(lambda s: s["teach"]["state"] != "running", "the fine-tune", timeout=300)
        assert state["teach"]["state"] == "done", state["teach"]
        assert state["probabilities"] == drawn["probabilities"]  # still the old model until Use it
        time.sleep(0.5)
        from PIL import ImageGrab
        shot = ImageGrab.grab(bbox=(0, 0, 1100, 800), xdisplay=x_display)
        shot.save(artifacts_dir / "teach_done.png")
        dialog = window.xdo("search", "--sync", "--name", "^Digit Pad - Teach").split()[0]
        window.xdo("windowfocus", "--sync", dialog)
        window.xdo("key", "Return")
        state = window.wait_for(lambda s: s["model"].startswith("Model: your personal model"), "the personal model")
        assert state["status"].startswith("Now using your personal model")
        state = window.settle(quiet_s=0.2, poll_s=0.1, timeout=10)
        assert state["probabilities"] != drawn["probabilities"]
        assert state["digit"] == drawing.label, (state["digit"], drawing.label)
        window.screenshot().save(artifacts_dir / "teach_personal_model.png")
        metadata = load_weights(data / "models" / "personal.npz")[1]
        assert metadata["personal"]["samples"]["taught"] + metadata["personal"]["samples"]["held_out"] == 50
        settings = json.loads((data / "settings.json").read_text())
        assert Path(settings["model"]) == (data / "models" / "personal.npz").resolve()
    finally:
        window.close()

    again = AppWindow(x_display, tmp_path / "state2.json", env=env, log=tmp_path / "app2.log", ready_timeout=30,
                      wait_timeout=20, xdo_timeout=60, poll_s=0.05, error=AssertionError)
    try:
        assert again.state()["model"].startswith("Model: your personal model")
    finally:
        again.close()
    assert os.environ.get("DIGITPAD_DATA_DIR") != str(data)  # the session's folder was never touched
