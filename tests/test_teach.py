"""app.teach: labelling a drawing and the Teach state machine, headless (the job polled by hand)."""
from __future__ import annotations

import hashlib
import json
import time

import pytest

from app.my_digits import MyDigits, SampleStoreError
from app.teach import Base, Teacher, label_drawing, teach_error
from model.model_files import personal_model_path
from model.userdata import settings_path
from model.weights_io import BUNDLED_WEIGHTS, load_weights
from preprocessing.drawing import Drawing, read_drawings
from preprocessing.personalise import FINE_TUNE_RECIPE, FineTuneError, FineTuneSettings

#: A fine-tune of a second or two: enough to check the machinery, not the figures.
QUICK = FineTuneSettings(recipe=FINE_TUNE_RECIPE.replace(epochs=1, drawing_variants=2), rehearsal=100,
                         negatives_per_source=2)


@pytest.fixture(scope="module")
def base():
    model, metadata = load_weights(BUNDLED_WEIGHTS)
    return Base(model, metadata, BUNDLED_WEIGHTS, "bundled")


@pytest.fixture(scope="module")
def sample(test_data_dir):
    return read_drawings(test_data_dir / "drawings_sample.jsonl")


@pytest.fixture(autouse=True)
def no_personal_model():
    personal_model_path().unlink(missing_ok=True)
    yield
    personal_model_path().unlink(missing_ok=True)


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(teacher: Teacher, timeout: float = 120) -> None:
    """Poll the teacher's job as the window's Tk loop would, until it is over."""
    deadline = time.monotonic() + timeout
    while teacher.job.poll():
        assert time.monotonic() < deadline, "the fine-tune did not end"
        time.sleep(0.02)


def unlabelled(drawing: Drawing) -> Drawing:
    return Drawing(drawing.strokes, None, None, drawing.widths, drawing.erase)


def test_labelling_stores_the_drawing_and_says_how_many(tmp_path, sample):
    store = MyDigits(tmp_path / "mine.jsonl")
    assert label_drawing(store, unlabelled(sample[0]), 9) == "Saved as a 9 \u2014 1 sample"
    assert label_drawing(store, unlabelled(sample[1]), 4) == "Saved as a 4 \u2014 2 samples"
    assert label_drawing(store, unlabelled(sample[0]), 7) == "Relabelled as a 7 \u2014 2 samples"
    again = MyDigits(tmp_path / "mine.jsonl")
    assert [s.label for s in again.samples] == [7, 4]
    with pytest.raises(SampleStoreError, match="empty"):
        label_drawing(store, Drawing([], None), 3)


def test_too_few_drawings_do_not_start(base, sample):
    changes = []
    teacher = Teacher(QUICK, on_change=lambda: changes.append(teacher.state))
    with pytest.raises(FineTuneError, match="at least 10"):
        teacher.start(base, sample[:4])
    assert teacher.state == "idle" and teacher.job is None and changes == []
    assert teach_error(FineTuneError("x")).startswith("Cannot teach yet: x")


def test_teach_runs_in_the_background_and_use_it_saves_the_personal_model(base, sample):
    bundled = sha(BUNDLED_WEIGHTS)
    seen = []
    teacher = Teacher(QUICK, on_change=lambda: seen.append((teacher.state, teacher.fraction)))
    teacher.start(base, sample)
    assert teacher.state == "running" and teacher.lines()[0].startswith("teaching bundled")
    with pytest.raises(FineTuneError, match="already running"):
        teacher.start(base, sample)
    run(teacher)
    assert teacher.state == "done" and teacher.result is not None
    fractions = [f for state, f in seen if state == "running"]
    assert fractions == sorted(fractions) and len(fractions) > 3  # progress arrived, in order
    lines = teacher.lines()
    assert lines == teacher.result.lines and teacher.result.taught == 40 and teacher.result.held_out == 10
    assert lines[0].startswith("Your 10 drawings held out of the teaching: ")
    assert lines[1].startswith("MNIST (shipped sample of 2000 test digits): ")
    assert not personal_model_path().exists()  # nothing is written before Use it

    folder = teacher.folder
    path = teacher.use_it()
    assert path == personal_model_path() and teacher.state == "idle" and teacher.result is None
    assert not folder.exists()
    model, metadata = load_weights(path)
    personal = metadata["personal"]
    assert personal["base"]["path"] == str(BUNDLED_WEIGHTS) and personal["base"]["sha256"] == bundled
    assert personal["samples"]["taught"] == 40 and personal["samples"]["held_out"] == 10
    assert personal["figures"]["held_out"] == 10 and personal["figures"]["mnist_change"] is not None
    assert sha(BUNDLED_WEIGHTS) == bundled


def test_cancel_leaves_everything_as_it_was(base, sample):
    bundled = sha(BUNDLED_WEIGHTS)
    settings_before = settings_path().read_bytes() if settings_path().exists() else None
    model_before = {name: a.copy() for name, a in base.model.arrays().items()}
    teacher = Teacher(QUICK.replace(recipe=QUICK.recipe.replace(epochs=3)))
    teacher.start(base, sample)
    folder = teacher.folder
    teacher.cancel()
    assert teacher.state == "running" and teacher.lines() == ["cancelling..."]
    run(teacher)
    assert teacher.state == "cancelled" and teacher.result is None and not folder.exists()
    assert teacher.lines() == ["Cancelled: nothing changed, the model in use is as it was."]
    with pytest.raises(FineTuneError, match="no finished fine-tune"):
        teacher.use_it()
    assert not personal_model_path().exists()
    assert sha(BUNDLED_WEIGHTS) == bundled
    assert (settings_path().read_bytes() if settings_path().exists() else None) == settings_before
    assert all((base.model.arrays()[name] == a).all() for name, a in model_before.items())
    # and it can be started again
    teacher.start(base, sample)
    teacher.cancel()
    run(teacher)
    assert teacher.state == "cancelled"


def test_discard_forgets_the_result_and_writes_nothing(base, sample):
    teacher = Teacher(QUICK)
    teacher.start(base, sample)
    run(teacher)
    assert teacher.state == "done"
    teacher.discard()
    assert teacher.state == "idle" and teacher.result is None and teacher.lines() == []
    assert not personal_model_path().exists()


def test_a_failing_fine_tune_is_one_line_and_leaves_no_temporary_folder(base, sample, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not weights")
    teacher = Teacher(QUICK)
    teacher.start(Base(base.model, base.metadata, bad, "bad"), sample)
    folder = teacher.folder
    assert folder.is_dir()
    run(teacher)
    assert teacher.state == "failed" and len(teacher.lines()) == 1
    assert teacher.lines()[0].startswith("Could not teach: ") and "bad.npz" in teacher.lines()[0]
    assert not folder.exists()
    teacher.discard()
    assert teacher.state == "idle"
    with pytest.raises(FineTuneError, match="no file"):
        teacher.start(Base(base.model, base.metadata, tmp_path / "gone.npz", "gone"), sample)


def test_the_child_gets_the_settings_unchanged():
    from app.teach_process import settings_from_json, settings_to_json

    assert settings_from_json(json.loads(json.dumps(settings_to_json(QUICK)))) == QUICK
    with pytest.raises(ValueError):
        settings_from_json({"recipe": {"epochs": -1}})


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return any(line.startswith("State:") and "Z" in line for line in status)  # a zombie has ended
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="reads /proc")
def test_a_child_whose_app_was_killed_stops_and_removes_its_folder(tmp_path, sample):
    import os
    import signal
    import subprocess
    import sys

    from app.teach_process import settings_to_json
    from preprocessing.drawing import write_drawings

    folder = tmp_path / "digitpad-teach-x"
    folder.mkdir()
    write_drawings(folder / "drawings.jsonl", sample)
    slow = QUICK.replace(recipe=QUICK.recipe.replace(epochs=30, drawing_variants=8))
    (folder / "spec.json").write_text(json.dumps({"base": str(BUNDLED_WEIGHTS), "drawings": str(folder / "drawings.jsonl"),
                                                  "settings": settings_to_json(slow), "out": str(folder)}))
    # A stand-in for the app: starts the child as the app does, says its pid, then is killed.
    app = subprocess.Popen([sys.executable, "-c",
                            "import subprocess, sys, time\n"
                            "p = subprocess.Popen([sys.executable, '-m', 'app.teach_process', sys.argv[1]],"
                            " stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)\n"
                            "print(p.pid, flush=True)\n"
                            "p.stdout.readline()\n"  # the first progress report: the fine-tune is under way
                            "print('running', flush=True)\n"
                            "time.sleep(600)\n", str(folder / "spec.json")],
                           stdout=subprocess.PIPE, text=True)
    child = int(app.stdout.readline())
    assert app.stdout.readline().strip() == "running"
    os.kill(app.pid, signal.SIGKILL)
    app.wait()
    deadline = time.monotonic() + 60
    while not (_gone(child) and not folder.exists()):
        assert time.monotonic() < deadline, "the orphaned child kept going"
        time.sleep(0.1)
