"""app.model_card_view: the model card window (Model > Describe the model, Ctrl+I)."""
from __future__ import annotations

import numpy as np
import pytest

from app.model_card_view import PICTURE_BOX, card_pictures, fit_size, recipe_rows, summary_rows
from model.model_card import model_card
from model.weights_io import BUNDLED_WEIGHTS, load_weights
from screens import grab

HISTORY = [{"epoch": e, "train_loss": 1.0 / e, "train_acc": 0.8 + 0.01 * e, "val_loss": 1.2 / e,
            "val_acc": 0.79 + 0.01 * e} for e in range(1, 6)]


def metadata():
    confusion = (np.eye(10, dtype=int) * 95 + 1).tolist()
    return {"layer_sizes": [784, 32, 10], "activation": "relu", "created": "2026-12-01T10:00:00+00:00",
            "training": {"settings": {"optimizer": "adam", "lr": 0.001, "epochs": 5, "batch_size": 128}},
            "results": {"history": HISTORY, "best_epoch": 5, "mnist_test_confusion": confusion,
                        "mnist_test_accuracy": 0.9135}}


def test_pictures_shrink_to_the_box_keeping_their_shape_and_never_grow():
    assert fit_size((1000, 410)) == (900, 369)
    assert fit_size((780, 570)) == (547, 400)
    assert fit_size((300, 200)) == (300, 200)
    w, h = fit_size((5000, 10))
    assert w <= PICTURE_BOX[0] and h >= 1


def test_the_summary_has_architecture_accuracy_per_digit_and_recipe():
    rows = dict(summary_rows(model_card(metadata())))
    assert rows["Network"].startswith("MLP 784-32-10 (ReLU)")
    assert rows["Trained"] == "2026-12-01 10:00 UTC"
    assert rows["MNIST test"] == "accuracy 91.35 %"
    assert rows["Accuracy per digit"].startswith("0: 91.4 %  1: 91.4 %")  # 96 of 105
    recipe = dict(recipe_rows(model_card(metadata())))
    assert recipe["Optimiser"] == "Adam" and recipe["Epochs"].startswith("5")
    assert recipe_rows(model_card({})) == [("Recipe", "not recorded")]
    assert "no figures on drawn digits recorded" in rows["Not recorded"]
    empty = dict(summary_rows(model_card({})))
    assert empty["Network"].startswith("MLP (layer sizes not recorded)") and "no training history" in empty["Not recorded"]


def test_curves_and_confusion_are_drawn_from_the_metadata_or_left_out():
    pictures = card_pictures(model_card(metadata()))
    assert pictures["curves"].size == fit_size((1000, 410)) and pictures["confusion"].size == fit_size((780, 570))
    # The confusion matrix's diagonal is deep blue somewhere (Pillow drew real cells).
    pixels = np.asarray(pictures["confusion"]).reshape(-1, 3).astype(int)
    assert ((pixels[:, 2] > 120) & (pixels[:, 0] < 40)).any()
    assert card_pictures(model_card({})) == {"curves": None, "confusion": None}


# ---------------------------------------------------------------------- in the window
@pytest.mark.gui
def test_ctrl_i_opens_the_card_of_the_model_in_use_with_its_pictures(bundled_window, toplevel, artifacts_dir):
    window = bundled_window
    window.commands.run("describe_model")
    toplevel.update()
    card = window.card
    assert card.is_open and window.status.message.startswith("Model: bundled")
    _, meta = load_weights(BUNDLED_WEIGHTS)
    assert card.card.architecture == model_card(meta).architecture and card.card.recipe == model_card(meta).recipe
    tabs = [card.notebook.tab(i, "text") for i in range(card.notebook.index("end"))]
    assert tabs == ["Summary", "Recipe", "Training curves", "Confusion matrix"]
    assert len(card._photos) == 2 and all(p.width() <= PICTURE_BOX[0] and p.height() <= PICTURE_BOX[1]
                                          for p in card._photos)
    top = card.window
    assert top.winfo_reqwidth() <= 1024 and top.winfo_reqheight() <= 600 - 30  # room for a title bar
    for index, name in enumerate(("summary", "recipe", "curves", "confusion")):
        card.notebook.select(index)
        toplevel.update()
        grab(top, artifacts_dir / f"model_card_{name}.png")
    top.event_generate("<Escape>")
    toplevel.update()
    assert not card.is_open
