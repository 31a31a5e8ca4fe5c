"""benchmarks/explain_speed.py: runs, measures what it says, reports it as JSON (no timing asserts)."""
from __future__ import annotations

import json

import numpy as np

from benchmarks.explain_speed import main, pictures
from model import heatmaps
from model.examples import bundled_examples
from model.explain import Explainer
from model.weights_io import BUNDLED_WEIGHTS, load_weights


def test_json_report(capsys) -> None:
    assert main(["--repeats", "10", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["layer_sizes"] == [784, 768, 768, 10] and report["repeats"] == 10
    for name in ("predict", "explain", "pictures", "unit_pattern"):
        assert 0 < report[name]["median_ms"] <= report[name]["p95_ms"]


def test_the_pictures_are_what_a_panel_draws() -> None:
    model, _ = load_weights(BUNDLED_WEIGHTS)
    image = bundled_examples().example(0).image
    out = pictures(Explainer(model), image)
    assert out[0].shape == (28, 28, 3)
    assert [p.shape for p in out[1:]] == [(192, 256, 3), (192, 256, 3)]
    assert np.any(np.all(out[1] == heatmaps.HIGHLIGHT_TOWARD, axis=-1))


def test_bad_weights_give_one_line(tmp_path, capsys) -> None:
    assert main(["--weights", str(tmp_path / "none.npz"), "--repeats", "10"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "none.npz: no such weights file" in err
