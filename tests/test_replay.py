"""app.replay: the CLI report, and proof that replay is the live drawing code path."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import app
from app.controller import DigitPadController
from app.replay import evaluate, replay_drawing
from model.mlp import MLP
from model.weights_io import save_weights
from preprocessing.drawing import Drawing, read_drawings, write_drawings
from preprocessing.pipeline import DEFAULT_SETTINGS

# The tree the tests import `app` from (the repository root when run from a checkout).
PACKAGE_ROOT = Path(app.__file__).parent.parent


@pytest.fixture(scope="module")
def sample_path(test_data_dir):
    return test_data_dir / "drawings_sample.jsonl"


@pytest.fixture(scope="module")
def sample(sample_path):
    return read_drawings(sample_path)


@pytest.fixture(scope="module")
def weights_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "random.npz"
    metadata = {"layer_sizes": [784, 32, 10], "activation": "relu", "batch_norm": False, "dropout": 0.0,
                "preprocessing": DEFAULT_SETTINGS.to_dict(), "results": {}, "created": "2026-11-23"}
    save_weights(path, MLP([784, 32, 10], seed=0), metadata)
    return path


def run_replay(*args):
    return subprocess.run([sys.executable, "-m", "app.replay", *map(str, args)], cwd=PACKAGE_ROOT,
                          capture_output=True, text=True, timeout=300)


def test_sample_covers_every_digit_and_many_writers(sample):
    assert len(sample) >= 40
    assert {d.label for d in sample} == set(range(10))
    assert len({d.writer for d in sample}) >= 20


def test_replay_feeds_the_controllers_pen_events_point_by_point(sample):
    """Replay must call pen_down / pen_move / pen_up, not draw by some other route."""
    drawing = sample[0]
    controller = DigitPadController(MLP([784, 32, 10], seed=0), DEFAULT_SETTINGS, canvas_px=448)
    calls = {"pen_down": 0, "pen_move": 0, "pen_up": 0}
    for name in calls:
        original = getattr(controller, name)

        def counted(*args, _original=original, _name=name, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)

        setattr(controller, name, counted)
    replay_drawing(controller, drawing)
    assert calls["pen_down"] == len(drawing.strokes)
    assert calls["pen_up"] == len(drawing.strokes)
    assert calls["pen_move"] == sum(len(s) - 1 for s in drawing.strokes)


def test_replay_and_direct_event_calls_give_identical_inputs_and_probabilities(sample):
    model = MLP([784, 32, 10], seed=0)
    for drawing in sample[:10]:
        replayed = replay_drawing(DigitPadController(model, DEFAULT_SETTINGS, canvas_px=448), drawing)

        live = DigitPadController(model, DEFAULT_SETTINGS, canvas_px=448)
        side = live.canvas_px
        for stroke in drawing.strokes:  # what the window does with mouse events
            live.pen_down(stroke[0][0] * side, stroke[0][1] * side)
            for x, y in stroke[1:]:
                live.pen_move(x * side, y * side)
                live.reading()  # live prediction while drawing must not change the result
            live.pen_up()
        direct = live.reading()

        assert replayed.input is not None
        np.testing.assert_array_equal(replayed.input, direct.input)
        np.testing.assert_array_equal(replayed.probabilities, direct.probabilities)
        assert replayed.digit == direct.digit

        loaded = DigitPadController(model, DEFAULT_SETTINGS, canvas_px=448)
        loaded.load_drawing(drawing)  # the open-file path re-renders the same raster
        np.testing.assert_array_equal(loaded.reading().input, direct.input)


def test_replay_respects_recorded_widths_and_eraser_strokes():
    model = MLP([784, 32, 10], seed=0)
    source = DigitPadController(model, DEFAULT_SETTINGS, canvas_px=300)
    source.set_brush(0.08)
    source.pen_down(60, 150)
    source.pen_move(240, 150)
    source.pen_up()
    source.set_brush(0.04)
    source.pen_down(150, 100, erase=True)
    source.pen_move(150, 200)
    source.pen_up()
    drawing = source.to_drawing()

    target = DigitPadController(model, DEFAULT_SETTINGS, canvas_px=300, brush_fraction=0.05)
    replay_drawing(target, drawing)
    np.testing.assert_array_equal(target.raster.pixels, source.raster.pixels)
    assert target.brush_fraction == pytest.approx(0.05)  # the person's brush is left alone


def test_evaluate_counts_match_the_confusion_matrix(sample):
    controller = DigitPadController(MLP([784, 32, 10], seed=0), DEFAULT_SETTINGS, canvas_px=448)
    summary = evaluate(controller, sample)
    confusion = np.array(summary["confusion"])
    assert summary["n"] == len(sample) == confusion.sum()
    assert summary["accuracy"] == pytest.approx(np.trace(confusion) / len(sample))
    assert confusion.sum(axis=1).tolist() == [sum(d.label == k for d in sample) for k in range(10)]


def test_cli_json_report_on_the_committed_sample(sample_path, sample, weights_path):
    result = run_replay(sample_path, "--weights", weights_path, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n"] == len(sample)
    confusion = np.array(report["confusion"])
    assert confusion.shape == (10, 10) and confusion.sum() == len(sample)
    assert report["accuracy"] == pytest.approx(np.trace(confusion) / len(sample))
    assert set(report["per_class"]) == {str(d) for d in range(10)}
    for digit in range(10):
        row = confusion[digit]
        assert report["per_class"][str(digit)] == pytest.approx(row[digit] / row.sum())
    assert set(report["per_writer"]) == {d.writer for d in sample}
    assert report["predictions"] == []


def test_cli_text_report(sample_path, weights_path):
    result = run_replay(sample_path, "--weights", weights_path, "--canvas", "300", "--brush", "0.05")
    assert result.returncode == 0, result.stderr
    assert "accuracy" in result.stdout and "confusion" in result.stdout and "per writer" in result.stdout


def test_unlabelled_drawings_are_classified_and_listed(tmp_path, sample, weights_path):
    path = tmp_path / "unlabelled.jsonl"
    write_drawings(path, [Drawing(strokes=d.strokes, label=None, writer=None) for d in sample[:3]]
                   + [Drawing(strokes=[], label=None, writer=None)] + [sample[3]])
    result = run_replay(path, "--weights", weights_path, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["n"] == 1
    predictions = report["predictions"]
    assert [p["index"] for p in predictions] == [0, 1, 2, 3]
    assert all(isinstance(p["digit"], int) for p in predictions[:3])
    assert predictions[3]["digit"] is None and predictions[3]["verdict"] == "empty"

    text = run_replay(path, "--weights", weights_path)
    assert "unlabelled drawings: 4" in text.stdout and "no ink" in text.stdout


@pytest.mark.parametrize("content", ['{"label": 3, "strokes": [[[0.1, 0.2]]]}\nnot json\n',
                                     '{"label": 3, "strokes": [[[0.1, 7.5]]]}\n'])
def test_malformed_drawing_file_is_one_line_error_exit_2(tmp_path, weights_path, content):
    path = tmp_path / "broken.jsonl"
    path.write_text(content)
    result = run_replay(path, "--weights", weights_path, "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "broken.jsonl" in lines[0]


def test_missing_files_and_bad_weights_are_one_line_errors(tmp_path, sample_path):
    missing = run_replay(tmp_path / "nope.jsonl")
    assert missing.returncode == 2 and "nope.jsonl" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"garbage")
    result = run_replay(sample_path, "--weights", bad)
    assert result.returncode == 2 and "bad.npz" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_bundled_weights_read_most_of_the_sample(bundled_weights, sample_path, sample):
    """The shipped model, fed the sample through the app's own event path, reads people's digits."""
    result = run_replay(sample_path, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["weights"] == str(bundled_weights)
    assert report["n"] == len(sample)
    assert report["accuracy"] >= 0.9


# ------------------------------------------------------------------- streaming and hostile files
def test_evaluate_takes_a_stream_and_keeps_its_summary_bounded(monkeypatch):
    import app.replay as replay

    monkeypatch.setattr(replay, "MAX_WRITERS", 3)
    monkeypatch.setattr(replay, "MAX_LISTED", 2)
    controller = DigitPadController(MLP([784, 8, 10], seed=0), DEFAULT_SETTINGS, canvas_px=100)
    drawings = (Drawing(strokes=[], label=None if i % 2 else i % 10, writer=f"w{i}" + "x" * 500) for i in range(20))
    summary = evaluate(controller, drawings)
    assert summary["n"] == 10 and summary["unlabelled"] == 10 and len(summary["predictions"]) == 2
    assert len(summary["per_writer"]) == 4 and summary["per_writer_n"][replay.OTHER_WRITERS] == 7
    assert all(len(w) <= replay.MAX_WRITER_CHARS for w in summary["per_writer"])


def test_progress_is_shown_and_cleared(monkeypatch):
    import io

    import app.replay as replay

    clock = iter(range(0, 1000))
    monkeypatch.setattr(replay.time, "monotonic", lambda: next(clock))
    stream = io.StringIO()
    controller = DigitPadController(MLP([784, 8, 10], seed=0), DEFAULT_SETTINGS, canvas_px=100)
    evaluate(controller, [Drawing(strokes=[], label=1)] * 5, progress=stream)
    text = stream.getvalue()
    assert "\rreplayed 4 drawings" in text and text.endswith("\r" + " " * 40 + "\r")


def test_the_text_report_escapes_writer_names(tmp_path, weights_path):
    path = tmp_path / "escapes.jsonl"
    path.write_text(json.dumps({"label": 1, "writer": "\x1b[2Jred\x07", "strokes": [[[0.5, 0.2], [0.5, 0.8]]]}) + "\n"
                    + json.dumps({"writer": "\x1b]0;title\x07", "strokes": []}) + "\n")
    result = run_replay(path, "--weights", weights_path)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b[2Jred\\x07" in result.stdout and "[\\x1b]0;title\\x07]" in result.stdout


def test_an_endless_file_ends_with_one_line(weights_path):
    result = run_replay("/dev/zero", "--weights", weights_path)
    assert result.returncode == 2
    assert result.stderr == "error: /dev/zero line 1 is longer than 64 MiB (a drawing of a million points takes about 40); not read\n"


class _Flat:
    """A network whose every output is near-flat: under a rule with a top-two bar, nothing drawn
    looks like a digit; under the rule of before, every drawing is only 'not sure'."""

    def forward(self, x, training=False):
        logits = np.zeros((len(x), 10))
        logits[:, 3] = 0.5
        return logits


def test_verdict_counts_and_sure_wrong_cover_every_drawing(sample):
    labelled = sample[:6]
    unlabelled = [Drawing(strokes=d.strokes) for d in sample[6:9]]
    blank = Drawing(strokes=[], label=None)
    drawings = labelled + unlabelled + [blank]
    flat = DigitPadController(_Flat(), DEFAULT_SETTINGS, metadata={"verdict": {"not_digit_top2_below": 0.5}},
                              canvas_px=280)
    summary = evaluate(flat, drawings)
    assert summary["verdicts"] == {"sure": 0, "unsure": 0, "not_digit": 9, "empty": 1}
    assert summary["sure_wrong"] == 0
    assert [p["verdict"] for p in summary["predictions"]] == ["not_digit"] * 3 + ["empty"]

    confident = DigitPadController(_Flat(), DEFAULT_SETTINGS, metadata={"calibration": {"temperature": 0.01}},
                                   canvas_px=280)  # a tiny temperature makes the 3 certain
    summary = evaluate(confident, drawings)
    wrong = sum(d.label != 3 for d in labelled)
    assert summary["verdicts"]["sure"] == 9 and summary["sure_wrong"] == wrong > 0
    report = json.loads(json.dumps(summary))
    assert set(report["verdicts"]) == {"sure", "unsure", "not_digit", "empty"}
