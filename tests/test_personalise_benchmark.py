"""benchmarks/personalise.py: the per-writer split, the summary, and a small real run."""
from __future__ import annotations

import json

import pytest

from benchmarks.personalise import main, split_writer, summarise
from preprocessing.drawing import Drawing, read_drawings, write_drawings


@pytest.fixture(scope="module")
def one_writer_file(test_data_dir, tmp_path_factory):
    """The 50 sample drawings as if one unknown writer drew them all (5 of each digit)."""
    drawings = [Drawing(d.strokes, d.label, "someone", d.widths, d.erase)
                for d in read_drawings(test_data_dir / "drawings_sample.jsonl")]
    path = tmp_path_factory.mktemp("writer") / "someone.jsonl"
    write_drawings(path, drawings)
    return path


def test_split_takes_per_digit_drawings_seeded_by_writer_and_leaves_one_to_score(test_data_dir):
    drawings = read_drawings(test_data_dir / "drawings_sample.jsonl")
    teach, rest = split_writer(drawings, 3, seed=0, writer="w")
    assert len(teach) == 30 and len(rest) == 20
    assert all([d.label for d in teach].count(k) == 3 for k in range(10))
    assert split_writer(drawings, 3, 0, "w") == (teach, rest)
    assert split_writer(drawings, 3, 0, "v")[0] != teach
    teach, rest = split_writer(drawings, 9, 0, "w")  # only 5 of each: one is kept to score
    assert len(teach) == 40 and sorted(d.label for d in rest) == list(range(10))


def test_summary_names_the_worst_writer_and_those_made_worse():
    records = {"a": {"before": 0.99, "after": 1.0, "fine_tune_seconds": 5.0, "mnist_after": 0.991},
               "b": {"before": 0.95, "after": 0.97, "fine_tune_seconds": 7.0, "mnist_after": 0.989},
               "c": {"before": 1.0, "after": 0.995, "fine_tune_seconds": 6.0}}
    summary = summarise(records, {"base.npz": 0.993})
    assert summary["mean_before"] == pytest.approx(0.98) and summary["mean_after"] == pytest.approx(0.98833, abs=1e-5)
    assert summary["worst_before"] == {"writer": "b", "accuracy": 0.95}
    assert summary["worst_after"] == {"writer": "b", "accuracy": 0.97}
    assert summary["made_worse"] == ["c"] and summary["made_better"] == ["a", "b"]
    assert summary["mnist_after_min"] == 0.989 and summary["mnist_models_scored"] == 2
    assert summary["fine_tune_seconds_max"] == 7.0


def test_a_writer_the_bundled_weights_never_saw_is_scored_honestly(one_writer_file, capsys):
    assert main(["--drawings", str(one_writer_file), "--no-mnist", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    case = result["cases"]["bundled"]
    assert "NOT in their training data (honest)" in case["what"]
    record = case["writers"]["someone"]
    assert record["n"] == 10 and record["taught"] + record["held_out_in_fine_tune"] == 40
    assert 0 <= record["after"] <= 1 and case["summary"]["writers"] == 1


def test_a_missing_drawing_file_is_one_line(tmp_path, capsys):
    assert main(["--drawings", str(tmp_path / "none.jsonl")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
