"""model.model_card: the bundled file's card, a minimal file's card, and metadata of any shape."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model import plots
from model.mlp import MLP
from model.model_card import HISTORY_KEYS, model_card
from model.weights_io import load_weights, save_weights


@pytest.fixture(scope="module")
def bundled(bundled_weights):
    model, meta = load_weights(bundled_weights)
    return model, meta


def test_the_bundled_card(bundled) -> None:
    model, meta = bundled
    card = model_card(meta)
    params = sum(p.size for p in model.params)
    assert card.architecture == f"MLP 784-768-768-10 (ReLU, batch norm), {params:,} parameters"
    assert card.notes == ()
    results = meta["results"]
    assert len(card.history) == len(results["history"]) and set(card.history[0]) == set(HISTORY_KEYS)
    assert card.history[0]["val_acc"] == results["history"][0]["val_acc"]
    assert card.best_epoch == results["best_epoch"]
    confusion = np.array(results["mnist_test_confusion"])
    np.testing.assert_array_equal(card.confusion, confusion)
    assert card.per_class_accuracy[4] == pytest.approx(confusion[4, 4] / confusion[4].sum())
    assert card.mnist_test_accuracy == pytest.approx(np.trace(confusion) / confusion.sum())
    recipe = dict(card.recipe)
    assert recipe["optimiser"] == "SGD, Nesterov momentum 0.9"
    assert recipe["learning rate"].startswith("0.1, cosine schedule")
    assert "rotation ±12°" in recipe["augmentation"]
    figures = dict(card.drawn_figures)
    cv = results["writer_cv"]
    assert figures["writer cross-validation (5 folds by writer)"] == (
        f"mean {cv['mean_accuracy'] * 100:.2f} %, worst fold {cv['worst_accuracy'] * 100:.2f} %")
    assert figures["held-out writers, shaky mouse"].startswith(f"{results['robustness']['accuracy']['shaky mouse'] * 100:.2f} %")
    text = card.text()
    assert text.splitlines()[0] == card.architecture and "MNIST test accuracy 99." in text


def test_the_bundled_card_draws(bundled, artifacts_dir) -> None:
    card = model_card(bundled[1])
    curves = plots.training_curves_png(list(card.history), artifacts_dir / "card_curves.png", best_epoch=card.best_epoch)
    confusion = plots.confusion_png(card.confusion, artifacts_dir / "card_confusion.png")
    assert curves.size == (1000, 410) and confusion.size[0] > 500


def test_a_minimal_file_gets_a_card_that_says_what_is_missing(tmp_path) -> None:
    path = save_weights(tmp_path / "bare.npz", MLP([784, 32, 10], seed=0))
    _, meta = load_weights(path)
    card = model_card(meta)
    assert card.architecture == f"MLP 784-32-10 (ReLU), {785 * 32 + 33 * 10:,} parameters"
    assert card.history == () and card.confusion is None and card.per_class_accuracy is None
    assert card.mnist_test_accuracy is None and card.drawn_figures == () and card.recipe == ()
    assert set(card.notes) == {"no training history recorded", "no MNIST confusion matrix recorded",
                               "no figures on drawn digits recorded", "no training recipe recorded"}
    assert card.created and "(no training history recorded)" in card.text()


def test_nothing_at_all() -> None:
    for meta in (None, {}, [], "text"):
        card = model_card(meta)
        assert card.architecture == "MLP (layer sizes not recorded)" and len(card.notes) == 4


def test_unreadable_parts_are_named_and_the_rest_kept() -> None:
    meta = {"layer_sizes": [784, 10], "dropout": 0.25,
            "results": {"history": [1, "x", {"epoch": 1, "train_loss": "a"}],
                        "mnist_test_confusion": [[1, 2]] * 10, "mnist_test_accuracy": 98.5,
                        "writer_cv": {"mean_accuracy": 0.99}}}
    card = model_card(meta)
    assert "dropout 0.25" in card.architecture
    assert "the training history could not be read" in card.notes
    assert "the MNIST confusion matrix could not be read" in card.notes
    assert card.mnist_test_accuracy == pytest.approx(0.985)  # a percentage read as one
    assert dict(card.drawn_figures) == {"writer cross-validation": "mean 99.00 %"}


def test_history_gaps_survive_and_empty_records_are_dropped() -> None:
    meta = {"results": {"history": [{"epoch": 1, "train_loss": 0.5, "train_acc": 0.9, "val_loss": None},
                                    {"epoch": 2}, {"epoch": 3, "train_loss": float("nan"), "train_acc": 0.95}]}}
    card = model_card(meta)
    assert [r["epoch"] for r in card.history] == [1.0, 3.0]
    assert card.history[0]["val_loss"] is None and card.history[1]["train_loss"] is None


def test_confusion_with_an_empty_row_has_no_accuracy_for_it() -> None:
    confusion = np.eye(10, dtype=int) * 5
    confusion[3] = 0
    card = model_card({"results": {"mnist_test_confusion": confusion.tolist()}})
    assert card.per_class_accuracy[3] is None and card.per_class_accuracy[2] == 1.0
    assert card.mnist_test_accuracy == 1.0
    assert "3 -" in card.text()
    negative = confusion.tolist()
    negative[0][1] = -1
    assert model_card({"results": {"mnist_test_confusion": negative}}).confusion is None


junk = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6) | \
    st.lists(st.integers() | st.floats(), max_size=3) | st.dictionaries(st.text(max_size=4), st.integers(), max_size=2)


def _paths(node, prefix=()):
    """Every place in a JSON tree: tuples of keys and indices."""
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, prefix + (i,))


def _replace(node, path, value):
    if not path:
        return value
    copy = dict(node) if isinstance(node, dict) else list(node)
    copy[path[0]] = _replace(node[path[0]], path[1:], value)
    return copy


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_no_metadata_makes_the_card_raise(bundled, data) -> None:
    # The bundled metadata with a few of its parts (any depth: a whole section, one fold's
    # accuracy, one confusion cell) replaced by junk of another type.
    meta = bundled[1]
    places = list(_paths(meta))[1:]
    for _ in range(data.draw(st.integers(1, 4))):
        meta = _replace(meta, data.draw(st.sampled_from(places)), data.draw(junk))
        places = list(_paths(meta))[1:]
    card = model_card(meta)
    assert isinstance(card.text(), str) and card.architecture.startswith("MLP")


def test_the_card_shows_the_verdict_figures_and_reads_the_recipe_of_either_name() -> None:
    fitted = {"test": {"after": {"negatives_flagged": 0.9425, "digits_sure_wrong": 0.0008,
                                 "digits_not_digit": 0.0057, "ece_digits": 0.0018}}}
    for key in ("recipe", "settings"):
        card = model_card({"layer_sizes": [784, 10], "training": {key: {"optimizer": "adam", "lr": 0.001}},
                           "results": {"not_a_digit": fitted}})
        assert dict(card.recipe)["optimiser"] == "Adam", key
        figures = dict(card.drawn_figures)
        assert figures["held-out drawings that are not digits"] == "94.25 % not read as a sure digit"
        assert figures["held-out digits"] == "0.08 % sure and wrong, 0.57 % called not a digit"
        assert figures["calibration error (ECE) on held-out digits"] == "0.18 %"
