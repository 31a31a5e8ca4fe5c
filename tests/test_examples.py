"""model.examples: the shipped sample, browsing by digit and by mistake, seeded random picks."""
from __future__ import annotations

import json

import numpy as np
import pytest

from model.data import DataError
from model.examples import ATTRIBUTION, EXAMPLES_FILE, ExampleSet, bundled_examples
from model.explain import explain
from model.weights_io import load_weights


class ScriptedReader:
    """A stand-in model: reads image i (its first pixel holds i) as answers[i], and counts its calls."""

    def __init__(self, answers: dict[int, int]) -> None:
        self.answers = answers
        self.calls = 0

    def predict(self, images: np.ndarray) -> np.ndarray:
        self.calls += 1
        keys = np.rint(images.reshape(len(images), -1)[:, 0] * 255).astype(int)
        return np.array([self.answers[k] for k in keys])


def tiny_set() -> ExampleSet:
    """Six examples: labels 0 0 1 1 1 7; the first pixel of example i is i (its id)."""
    images = np.zeros((6, 28, 28), np.uint8)
    images[:, 0, 0] = np.arange(6)
    images[:, 14, 10:18] = 200
    return ExampleSet(images, np.array([0, 0, 1, 1, 1, 7]), np.array([10, 11, 12, 13, 14, 15]))


# ------------------------------------------------------------------ the shipped sample
@pytest.fixture(scope="module")
def sample() -> ExampleSet:
    return bundled_examples()


@pytest.fixture(scope="module")
def model(bundled_weights):
    return load_weights(bundled_weights)[0]


def test_the_sample_ships_in_the_weights_package(sample: ExampleSet) -> None:
    assert EXAMPLES_FILE.is_file() and EXAMPLES_FILE.parent.name == "weights"
    assert EXAMPLES_FILE.with_name("__init__.py").is_file()
    assert 'weights = ["*.npz"]' in (EXAMPLES_FILE.parent.parent / "pyproject.toml").read_text()  # in the wheel
    assert len(sample) == 1000 and sample.images.dtype == np.uint8
    assert np.bincount(sample.labels, minlength=10).tolist() == [100] * 10
    assert np.unique(sample.source_index).size == 1000
    assert sample.source_index.min() >= 0 and sample.source_index.max() < 10_000
    assert np.all(np.diff(sample.source_index) > 0)  # in MNIST's order
    assert "CC BY-SA 3.0" in sample.about["licence"] and "CC BY-SA 3.0" in ATTRIBUTION
    assert bundled_examples() is sample  # read once


def test_sample_digits_match_the_committed_test_sample(sample: ExampleSet, test_data_dir) -> None:
    # the first 2,000 MNIST test digits are committed: those in the sample must be bit-identical
    committed = np.load(test_data_dir / "mnist_test_sample.npz")
    inside = sample.source_index < 2000
    assert inside.sum() > 100
    np.testing.assert_array_equal(sample.images[inside], committed["x"][sample.source_index[inside]])
    np.testing.assert_array_equal(sample.labels[inside], committed["y"][sample.source_index[inside]])


def test_an_example_goes_straight_into_the_grid_and_is_read(sample: ExampleSet, model) -> None:
    e = sample.example(0)
    assert e.image.shape == (28, 28) and e.image.dtype == np.float32
    assert 0.0 <= e.image.min() and e.image.max() <= 1.0
    np.testing.assert_array_equal(e.image * 255, sample.images[0].astype(np.float32))
    right = sample.positions(model=model)
    right = right[sample.predictions(model)[right] == sample.labels[right]]
    assert explain(model, sample.example(int(right[0])).image).top == sample.labels[right[0]]
    with pytest.raises(IndexError):
        sample.example(1000)


def test_wrong_only_are_exactly_the_ones_the_model_misreads(sample: ExampleSet, model) -> None:
    predicted = model.predict(sample.images.astype(np.float32) / 255)
    wrong = sample.positions(model=model, wrong_only=True)
    np.testing.assert_array_equal(wrong, np.flatnonzero(predicted != sample.labels))
    assert wrong.size > 20  # the sample includes the bundled weights' mistakes
    fours = sample.positions(4, model=model, wrong_only=True)
    assert set(fours) <= set(wrong) and np.all(sample.labels[fours] == 4)


# ------------------------------------------------------------------ browsing a known set
def test_positions_by_digit_and_by_mistake() -> None:
    examples = tiny_set()
    reader = ScriptedReader({0: 0, 1: 7, 2: 1, 3: 1, 4: 4, 5: 7})
    assert examples.positions().tolist() == [0, 1, 2, 3, 4, 5]
    assert examples.positions(1).tolist() == [2, 3, 4]
    assert examples.positions(model=reader, wrong_only=True).tolist() == [1, 4]
    assert examples.positions(1, model=reader, wrong_only=True).tolist() == [4]
    assert examples.positions(7, model=reader, wrong_only=True).tolist() == []
    assert examples.positions(3).tolist() == []
    with pytest.raises(ValueError, match="needs the model"):
        examples.positions(wrong_only=True)
    for bad in (10, -1, 1.0, True, "1"):
        with pytest.raises(ValueError, match="digit"):
            examples.positions(bad)


def test_predictions_are_computed_once_per_model() -> None:
    examples = tiny_set()
    first, second = ScriptedReader({i: 0 for i in range(6)}), ScriptedReader({i: 1 for i in range(6)})
    examples.positions(model=first, wrong_only=True)
    examples.positions(0, model=first, wrong_only=True)
    examples.random(np.random.default_rng(0), model=first, wrong_only=True)
    assert first.calls == 1
    assert examples.positions(model=second, wrong_only=True).tolist() == [0, 1, 5]
    assert second.calls == 1
    examples.forget(first)
    examples.positions(model=first, wrong_only=True)
    assert first.calls == 2
    with pytest.raises(ValueError):
        examples.predictions(first)[0] = 3  # the cache cannot be changed from outside


def test_random_picks_are_seeded_filtered_and_avoid_the_current_one() -> None:
    examples = tiny_set()
    picks = [examples.random(np.random.default_rng(s)).position for s in range(40)]
    again = [examples.random(np.random.default_rng(s)).position for s in range(40)]
    assert picks == again and set(picks) == set(range(6))
    rng = np.random.default_rng(1)
    ones = {examples.random(rng, 1).position for _ in range(40)}
    assert ones == {2, 3, 4}
    assert all(examples.random(rng, 1, exclude=3).position != 3 for _ in range(40))
    assert examples.random(rng, 7, exclude=5).position == 5  # the only one
    always_right = ScriptedReader({0: 0, 1: 0, 2: 1, 3: 1, 4: 1, 5: 7})
    assert examples.random(rng, model=always_right, wrong_only=True) is None
    example = examples.random(rng, 7)
    assert (example.label, example.source_index) == (7, 15)


# ------------------------------------------------------------------ files
def test_a_file_without_index_or_about_loads(test_data_dir) -> None:
    examples = ExampleSet.load(test_data_dir / "mnist_test_sample.npz")
    assert len(examples) == 2000 and examples.example(3).source_index == -1 and examples.about == {}


def test_bad_files_give_one_line_naming_the_file(tmp_path) -> None:
    with pytest.raises(DataError, match="nowhere.npz: no such file"):
        ExampleSet.load(tmp_path / "nowhere.npz")
    bad_index = tmp_path / "bad_index.npz"
    np.savez(bad_index, x=np.zeros((2, 28, 28), np.uint8), y=np.array([1, 2]), index=np.array([1.5, 2.0]))
    with pytest.raises(DataError, match="bad_index.npz: 'index'"):
        ExampleSet.load(bad_index)
    odd_about = tmp_path / "odd_about.npz"
    np.savez(odd_about, x=np.zeros((2, 28, 28), np.uint8), y=np.array([1, 2]), about=np.array("not json"))
    with pytest.raises(DataError, match="odd_about.npz: unreadable") as info:
        ExampleSet.load(odd_about)
    assert "\n" not in str(info.value)
    fine = tmp_path / "list_about.npz"
    np.savez(fine, x=np.zeros((2, 28, 28), np.uint8), y=np.array([1, 2]), about=np.array(json.dumps([1])))
    assert ExampleSet.load(fine).about == {}


def test_malformed_arrays_are_refused() -> None:
    with pytest.raises(ValueError, match="uint8"):
        ExampleSet(np.zeros((2, 28, 28), np.float32), np.array([1, 2]))
    with pytest.raises(ValueError, match="digits 0-9"):
        ExampleSet(np.zeros((2, 28, 28), np.uint8), np.array([1, 12]))
    with pytest.raises(ValueError, match="source_index"):
        ExampleSet(np.zeros((2, 28, 28), np.uint8), np.array([1, 2]), np.array([1]))
