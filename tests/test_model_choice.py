"""app.model_choice: which model the app opens, headless."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.model_choice import BUNDLED, ModelChoice, candidates, is_bundled, open_first, status_line, summary
from model.weights_io import BUNDLED_WEIGHTS, WeightsError


def test_the_order_is_weights_then_bundled_then_saved_then_the_bundled_weights():
    assert candidates("/x/mine.npz", False, "/saved.npz") == [ModelChoice(Path("/x/mine.npz"), "command line")]
    assert candidates(None, True, "/saved.npz") == [BUNDLED]
    assert candidates(None, False, "/saved.npz") == [ModelChoice(Path("/saved.npz"), "saved"), BUNDLED]
    assert candidates(None, False, None) == [BUNDLED]
    assert candidates(None, False, str(BUNDLED_WEIGHTS)) == [BUNDLED]


def test_the_bundled_model_is_recognised_however_it_is_spelled(tmp_path):
    relative = Path(os.path.relpath(BUNDLED_WEIGHTS))
    assert is_bundled(BUNDLED_WEIGHTS) and is_bundled(relative) and is_bundled(str(BUNDLED_WEIGHTS))
    assert BUNDLED.bundled and BUNDLED.name == "bundled"
    mine = ModelChoice(tmp_path / "mine.npz", "saved")
    assert not mine.bundled and mine.name == "mine.npz"


def loader(bad: set[Path]):
    tried = []

    def load(path: Path):
        tried.append(path)
        if path in bad:
            raise WeightsError(f"{path}: no such file")
        return f"model from {path.name}"
    return load, tried


def test_a_saved_model_that_fails_falls_back_to_the_bundled_one_and_says_why():
    saved = Path("/gone/mine.npz")
    load, tried = loader({saved})
    model, choice, warning = open_first(candidates(None, False, str(saved)), load)
    assert tried == [saved, BUNDLED.path]
    assert choice == BUNDLED and model == f"model from {BUNDLED.path.name}"
    assert "saved model could not be opened" in warning and "/gone/mine.npz" in warning
    assert "bundled" in warning and "\n" not in warning


def test_a_working_first_choice_needs_no_warning():
    load, tried = loader(set())
    model, choice, warning = open_first(candidates(None, False, "/models/mine.npz"), load)
    assert choice.origin == "saved" and warning is None and tried == [Path("/models/mine.npz")]


def test_an_explicit_weights_file_failing_is_an_error_and_so_is_the_bundled_one_failing():
    load, tried = loader({Path("/x/bad.npz")})
    with pytest.raises(WeightsError, match="bad.npz"):
        open_first(candidates("/x/bad.npz", False, "/saved.npz"), load)
    assert tried == [Path("/x/bad.npz")]  # no fallback from an explicit --weights
    load, tried = loader({Path("/saved.npz"), BUNDLED.path})
    with pytest.raises(WeightsError, match=BUNDLED.path.name):
        open_first(candidates(None, False, "/saved.npz"), load)
    assert tried == [Path("/saved.npz"), BUNDLED.path]


def test_the_status_line_names_the_model_and_describes_it():
    assert status_line(BUNDLED, "MLP 784-10") == "Model: bundled - MLP 784-10"
    assert summary(BUNDLED, "MLP 784-10") == "bundled - MLP 784-10"
    assert status_line(ModelChoice(Path("/m/mine.npz"), "opened"), "MLP\n784") == "Model: mine.npz - MLP 784"


def test_nothing_to_open_is_a_programming_error():
    with pytest.raises(ValueError):
        open_first([], loader(set())[0])
