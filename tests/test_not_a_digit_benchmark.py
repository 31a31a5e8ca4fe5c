"""benchmarks/not_a_digit.py: the rates, the before rule, which writers count as held out, the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import not_a_digit as bench
from preprocessing.drawing import Drawing


def test_rates_by_hand():
    verdict_digits = np.array(["sure", "sure", "unsure", "not_digit"])
    predicted, labels = np.array([1, 2, 3, 4]), np.array([1, 5, 3, 4])
    verdict_neg = np.array(["sure", "not_digit", "unsure", "not_digit"])
    sources = np.array(["star", "star", "doodle", "doodle"])
    r = bench.rates(verdict_digits, predicted, labels, verdict_neg, sources)
    assert r["digit_accuracy"] == 0.75
    assert r["digits_sure_wrong"] == 0.25  # the 5 read as a 2, sure
    assert r["digits_not_digit"] == 0.25 and r["digits_unsure"] == 0.25
    assert r["negatives_flagged"] == 0.75 and r["negatives_not_digit"] == 0.5
    assert r["negatives_flagged_by_source"] == {"doodle": 1.0, "star": 0.5}


def test_before_rule_is_the_apps_judge():
    logits = np.zeros((2, 10))
    logits[0, 3] = 10.0  # sure 3
    assert list(bench.judge_before(logits)) == ["sure", "unsure"]


def test_measure_scores_every_rule_on_the_same_outputs():
    rng = np.random.default_rng(0)
    logits_d = rng.normal(0, 1, (40, 10))
    logits_d[np.arange(40), np.arange(40) % 10] += 8
    labels = np.arange(40) % 10
    logits_n = rng.normal(0, 1, (20, 10))
    sources = np.array(["a", "b"] * 10)
    everything_odd = lambda logits: np.full(len(logits), "not_digit")  # noqa: E731
    result = bench.measure(logits_d, labels, logits_n, sources,
                           {"before": bench.judge_before, "paranoid": everything_odd})
    assert result["paranoid"]["negatives_flagged"] == 1.0 and result["paranoid"]["digits_not_digit"] == 1.0
    assert result["before"]["digit_accuracy"] == 1.0 and result["before"]["digits_sure_wrong"] == 0.0
    assert result["before"]["negatives_not_digit"] == 0.0
    assert 0 <= result["before"]["ece_digits"] < 0.1


def _drawings(*writers: str) -> list[Drawing]:
    return [Drawing(strokes=[[(0.1, 0.1), (0.5, 0.5)]], label=1, writer=w) for w in writers]


def test_held_out_writers_come_from_the_metadata(tmp_path):
    path = tmp_path / "pen.jsonl"
    path.write_text("")
    drawings = _drawings("a", "b", "c")
    trained = {"training": {"settings": {"drawings": [str(path)], "exclude_writers": ["b"]}}}
    assert bench.held_out(trained, path, drawings, None) == (["b"], False)
    on_all = {"training": {"settings": {"drawings": [str(path)], "exclude_writers": []}}}
    assert bench.held_out(on_all, path, drawings, None) == (["a", "b", "c"], True)
    assert bench.held_out({}, path, drawings, None) == (["a", "b", "c"], False)  # never trained on that file
    assert bench.held_out(trained, path, drawings, ["a"]) == (["a"], True)
    # The same file somewhere else (recorded by its checksum) still counts as trained on.
    import hashlib

    elsewhere = {"data": {"drawings": [{"path": "../other/pen.jsonl",
                                        "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}]},
                 "training": {"settings": {"drawings": ["../other/pen.jsonl"], "exclude_writers": ["c"]}}}
    assert bench.held_out(elsewhere, path, drawings, None) == (["c"], False)
    with pytest.raises(ValueError, match="no drawings by writer"):
        bench.held_out(trained, path, drawings, ["z"])


def test_command_line_on_the_sample_drawings(test_data_dir: Path, tmp_path, capsys):
    png = tmp_path / "reliability.png"
    code = bench.main(["--drawings", str(test_data_dir / "drawings_sample.jsonl"), "--per-source", "2",
                       "--variants", "1", "--reliability", str(png), "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    before = summary["rules"]["before"]
    assert before["negatives"] == 10 and before["digits"] > 0
    assert before["negatives_not_digit"] == 0.0  # today's app never says "not a digit"
    assert set(before["negatives_flagged_by_source"]) == set(summary["sources"])
    assert png.is_file() and png.stat().st_size > 0


def test_bad_input_is_one_line(tmp_path, capsys):
    assert bench.main(["--drawings", str(tmp_path / "missing.jsonl")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "missing.jsonl" in err and "\n" not in err
    assert bench.main(["--per-source", "0"]) == 2
