"""app.observer: the state file and the latency profile, as observers of a window built in-process."""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from app.controller import DigitPadController
from app.model_choice import BUNDLED
from app.observer import Profile, StateFile, WindowObserver, attach, window_state
from app.window import DigitPadWindow


def test_the_profile_times_each_event_to_the_update_that_showed_it(tmp_path, monkeypatch):
    clock = iter([10.000, 10.001, 10.004, 10.009, 10.010, 10.011, 10.020])
    monkeypatch.setattr("app.observer.time.perf_counter", lambda: next(clock))
    monkeypatch.setattr("app.observer.time.monotonic", lambda: 500.0)
    profile = Profile(tmp_path / "profile.json")
    profile.input_event(SimpleNamespace(time=499_990))  # arrived at the X server 10 ms ago
    profile.input_event(SimpleNamespace(time=0))  # a synthetic event without a server time
    profile.updating()
    profile.updated()
    profile.input_event(SimpleNamespace(time=499_995))
    profile.updating()
    profile.updated()
    profile.closing()
    data = json.loads((tmp_path / "profile.json").read_text())
    assert data["updates"] == 2
    assert data["event_to_update_ms"] == pytest.approx([9.0, 8.0, 10.0])
    assert data["server_event_to_update_ms"] == pytest.approx([10.0, 5.0])
    assert data["update_ms"] == pytest.approx([5.0, 9.0])


def test_an_observer_ignores_what_it_does_not_override():
    observer = WindowObserver()
    for method in ("updating", "updated", "changed", "ready", "closing"):
        assert getattr(observer, method)() is None
    assert observer.input_event(SimpleNamespace(time=1)) is None


@pytest.fixture
def window(toplevel, bundled_weights):
    controller = DigitPadController.from_weights(bundled_weights, canvas_px=448)
    window = DigitPadWindow(toplevel, controller, model=BUNDLED)
    toplevel.update()
    return window


@pytest.mark.gui
def test_the_state_file_follows_the_window(window, tmp_path):
    path = tmp_path / "state.json"
    (state_file,) = attach(window, state_file=path)
    state_file.interval_ms = 0
    state_file.ready()
    state = json.loads(path.read_text())
    assert state["ready"] and state["verdict"] == "empty" and state["title"] == "Digit Pad"
    assert state["weights"] == str(BUNDLED.path) and state["model"].startswith("Model: bundled")
    assert state["canvas"]["size"] == window.canvas.side == state["canvas"]["raster_size"]
    assert set(state["panels"]) >= {"canvas", "prediction", "bars", "grid", "stages", "toolbar", "status"}
    window.controller.pen_down(100, 100)
    window.controller.pen_move(300, 350)
    window.controller.pen_up()
    window.schedule_update()
    window.root.update()
    state = json.loads(path.read_text())
    # one straight slanted line: a digit or not, but never "empty"
    assert state["strokes"] == 1 and state["verdict"] in ("sure", "unsure", "not_digit") and state["updates"] == 1
    np.testing.assert_allclose(state["input"], window.controller.reading().input, atol=1e-4)
    assert state["input"] == window_state(window)["input"]
    window.status.say("hello")
    window.root.update()
    assert json.loads(path.read_text())["status"] == "hello"


@pytest.mark.gui
def test_a_pending_state_write_happens_on_closing_and_the_profile_is_written(window, tmp_path):
    observers = attach(window, state_file=tmp_path / "state.json", profile_file=tmp_path / "profile.json")
    assert [type(o) for o in observers] == [Profile, StateFile]  # the profile's timings exclude state writes
    observers[1].interval_ms = 60_000
    window.status.say("last words")
    assert not (tmp_path / "state.json").exists()
    window.quit()
    assert json.loads((tmp_path / "state.json").read_text())["status"] == "last words"
    assert json.loads((tmp_path / "profile.json").read_text())["updates"] == 0
