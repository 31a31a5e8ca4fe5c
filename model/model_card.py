"""The model card: what a weights file's metadata says about its network, ready to show.

``model_card(metadata)`` turns the metadata of ``model.weights_io.load_weights`` into a
``ModelCard``: the architecture line, the training recipe as (name, value) rows, the per-epoch
history (for ``model.plots.training_curves_png``), the MNIST test confusion matrix (for
``model.plots.confusion_png``) with per-class accuracy, and the figures measured on drawn digits
(writer cross-validation, and robustness measured on the folds' held-out writers). Files written by older versions lack some of this: the card
then leaves it empty and says so in ``notes``; nothing in the metadata can make it raise.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

HISTORY_KEYS = ("epoch", "train_loss", "train_acc", "val_loss", "val_acc")
_CLASSES = 10


@dataclass(frozen=True)
class ModelCard:
    """architecture: one line ('MLP 784-768-768-10 (ReLU, batch norm), 1,204,234 parameters').
    created: the training date-time as recorded, or None. recipe: (name, value) rows.
    history: per epoch, a dict of HISTORY_KEYS (numbers or None). best_epoch: int or None.
    mnist_test_accuracy / mnist_test_loss: numbers or None. confusion: (10, 10) int64 (rows = true
    digit) or None; per_class_accuracy: per true digit, a fraction or None (no examples), or None.
    drawn_figures: (name, value) rows of the figures measured on drawn digits. notes: what the
    file does not record (or records in a form that could not be read)."""

    architecture: str
    created: str | None
    recipe: tuple[tuple[str, str], ...]
    history: tuple[dict, ...]
    best_epoch: int | None
    mnist_test_accuracy: float | None
    mnist_test_loss: float | None
    confusion: np.ndarray | None
    per_class_accuracy: tuple[float | None, ...] | None
    drawn_figures: tuple[tuple[str, str], ...]
    notes: tuple[str, ...]

    def text(self) -> str:
        """The card as plain text, one fact a line."""
        lines = [self.architecture]
        if self.created:
            lines.append(f"trained {self.created}")
        if self.mnist_test_accuracy is not None:
            lines.append(f"MNIST test accuracy {_percent(self.mnist_test_accuracy)}")
        if self.per_class_accuracy is not None:
            lines.append("per digit: " + ", ".join(f"{d} {_percent(a, 1) if a is not None else '-'}"
                                                   for d, a in enumerate(self.per_class_accuracy)))
        lines += [f"{name}: {value}" for name, value in self.recipe + self.drawn_figures]
        lines += [f"({note})" for note in self.notes]
        return "\n".join(lines)


# ------------------------------------------------------------------------------ reading values
def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


#: Counts and epochs beyond this are not believed (and would overflow an int64 array).
_LARGEST_WHOLE = 2 ** 53


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond float range
        return None
    return number if math.isfinite(number) else None


def _whole(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number == int(number) and abs(number) <= _LARGEST_WHOLE else None


def _fraction(value: Any) -> float | None:
    """An accuracy recorded as a fraction or as a percentage -> a fraction in [0, 1], or None."""
    number = _number(value)
    if number is None or number < 0 or number > 100:
        return None
    return number / 100 if number > 1 else number


def _percent(fraction: float, decimals: int = 2) -> str:
    return f"{fraction * 100:.{decimals}f} %"


def _short(value: Any, limit: int = 200) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


# ------------------------------------------------------------------------------ the parts
def _architecture(meta: Mapping[str, Any]) -> str:
    sizes = meta.get("layer_sizes")
    sizes = [int(s) for s in sizes] if isinstance(sizes, list) and sizes and all(
        isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sizes) else None
    line = "MLP " + "-".join(map(str, sizes)) if sizes else "MLP (layer sizes not recorded)"
    activation = meta.get("activation")
    extras = ["ReLU" if activation == "relu" else _short(activation, 20) if activation else None]
    if meta.get("batch_norm") is True:
        extras.append("batch norm")
    dropout = _number(meta.get("dropout"))
    if dropout:
        extras.append(f"dropout {dropout:g}")
    extras = [e for e in extras if e]
    if extras:
        line += f" ({', '.join(extras)})"
    if sizes and len(sizes) >= 2:
        params = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
        if meta.get("batch_norm") is True:
            params += 2 * sum(sizes[1:-1])
        line += f", {params:,} parameters"
    return line


def _augmentation(aug: Mapping[str, Any]) -> str:
    if not aug:
        return ""
    if aug.get("enabled") is False:
        return "off"
    parts = []
    for key, text in (("rotation_deg", "rotation ±{:g}°"), ("shear_deg", "shear ±{:g}°"), ("shift_px", "shift ±{:g} px"),
                      ("thickness", "thickness ±{:g}")):
        value = _number(aug.get(key))
        if value:
            parts.append(text.format(value))
    lo, hi = _number(aug.get("scale_min")), _number(aug.get("scale_max"))
    if lo is not None and hi is not None and (lo, hi) != (1.0, 1.0):
        parts.append(f"scale {lo:g}-{hi:g}")
    alpha, sigma = _number(aug.get("elastic_alpha")), _number(aug.get("elastic_sigma"))
    if alpha:
        parts.append(f"elastic (alpha {alpha:g}" + (f", sigma {sigma:g})" if sigma else ")"))
    return ", ".join(parts) or "on"


def _recipe(meta: Mapping[str, Any]) -> list[tuple[str, str]]:
    training, results = _mapping(meta.get("training")), _mapping(meta.get("results"))
    # "recipe" since the recipe became one object; files trained before call it "settings".
    s = _mapping(training.get("recipe") or training.get("settings"))
    rows: list[tuple[str, str]] = []
    optimizer = s.get("optimizer")
    if isinstance(optimizer, str):
        text = {"sgd": "SGD", "adam": "Adam"}.get(optimizer, _short(optimizer, 30))
        momentum = _number(s.get("momentum"))
        if optimizer == "sgd" and momentum:
            text += f", {'Nesterov ' if s.get('nesterov') is True else ''}momentum {momentum:g}"
        rows.append(("optimiser", text))
    lr = _number(s.get("lr"))
    if lr is not None:
        text = f"{lr:g}"
        if isinstance(s.get("schedule"), str):
            text += f", {_short(s['schedule'], 20)} schedule"
        warmup = _number(s.get("warmup_epochs"))
        if warmup:
            text += f", {warmup:g} warm-up epoch{'s' if warmup != 1 else ''}"
        rows.append(("learning rate", text))
    epochs, ran, best = _whole(s.get("epochs")), _whole(results.get("epochs_run")), _whole(results.get("best_epoch"))
    if epochs is not None or ran is not None:
        text = f"{epochs if epochs is not None else ran}"
        details = [f"ran {ran}" if ran is not None and ran != epochs else None,
                   f"best {best}" if best is not None else None,
                   "stopped early" if results.get("stopped_early") is True else None,
                   "interrupted" if results.get("interrupted") is True else None]
        details = [d for d in details if d]
        rows.append(("epochs", text + (f" ({', '.join(details)})" if details else "")))
    for key, name in (("batch_size", "batch size"), ("weight_decay", "weight decay"), ("seed", "seed")):
        value = _number(s.get(key))
        if value is not None:
            rows.append((name, f"{value:g}"))
    augmentation = _augmentation(_mapping(s.get("augment")))
    if augmentation:
        rows.append(("augmentation", augmentation))
    val_split = _number(s.get("val_split"))
    if val_split is not None:
        rows.append(("validation", f"{val_split * 100:g} % of the training data held out" if val_split else "none"))
    data = []
    images, drawn = _whole(results.get("training_images")), _whole(results.get("drawn_images"))
    if images is not None:
        data.append(f"{images:,} training images" + (f" ({drawn:,} of them drawn digits)" if drawn else ""))
    variants = _whole(s.get("drawing_variants"))
    if drawn and variants:
        pictures = _whole(s.get("picture_variants"))
        data.append(f"{variants} renders of each drawing"
                    + (f" and {pictures} small marker bitmaps of it read as pictures" if pictures else ""))
    negatives = _whole(results.get("negative_images"))
    if negatives:
        data.append(f"{negatives:,} drawings that are not digits (taught as 'not a digit')")
    if data:
        rows.append(("data", "; ".join(data)))
    seconds = _number(results.get("total_seconds"))
    if seconds is not None:
        rows.append(("training time", f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"))
    if isinstance(training.get("command"), str):
        rows.append(("command", _short(training["command"])))
    return rows


def _history(results: Mapping[str, Any]) -> tuple[dict, ...]:
    records = results.get("history")
    if not isinstance(records, list):
        return ()
    out = []
    for record in records:
        if isinstance(record, Mapping):
            cleaned = {key: _number(record.get(key)) for key in HISTORY_KEYS}
            if any(cleaned[key] is not None for key in HISTORY_KEYS[1:]):
                out.append(cleaned)
    return tuple(out)


def _confusion(results: Mapping[str, Any]) -> np.ndarray | None:
    raw = results.get("mnist_test_confusion")
    if not (isinstance(raw, list) and len(raw) == _CLASSES and all(isinstance(r, list) and len(r) == _CLASSES
                                                                   for r in raw)):
        return None
    counts = [[_whole(v) for v in row] for row in raw]
    if any(v is None or v < 0 for row in counts for v in row):
        return None
    return np.array(counts, dtype=np.int64)


def _verdict_figures(fitted: Mapping[str, Any]) -> list[tuple[str, str]]:
    """benchmarks/fit_verdict.py's report (on writers and kinds of drawing never used to choose the
    rule) as card rows."""
    after = _mapping(_mapping(fitted.get("test")).get("after"))
    flagged, wrong = _fraction(after.get("negatives_flagged")), _fraction(after.get("digits_sure_wrong"))
    called, ece = _fraction(after.get("digits_not_digit")), _fraction(after.get("ece_digits"))
    rows = []
    if flagged is not None:
        rows.append(("held-out drawings that are not digits", f"{_percent(flagged)} not read as a sure digit"))
    if wrong is not None and called is not None:
        rows.append(("held-out digits", f"{_percent(wrong)} sure and wrong, {_percent(called)} called not a digit"))
    if ece is not None:
        rows.append(("calibration error (ECE) on held-out digits", _percent(ece)))
    return rows


def _drawn_figures(results: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    cv = _mapping(results.get("writer_cv"))
    mean, worst, folds = _fraction(cv.get("mean_accuracy")), _fraction(cv.get("worst_accuracy")), _whole(cv.get("folds"))
    if mean is not None:
        text = f"mean {_percent(mean)}" + (f", worst fold {_percent(worst)}" if worst is not None else "")
        rows.append((f"writer cross-validation ({folds} folds by writer)" if folds else "writer cross-validation", text))
    per_fold = _mapping(cv.get("fold_accuracy"))
    folds_text = [f"{_short(k, 10)}: {_percent(v)}" for k, v in
                  ((k, _fraction(v)) for k, v in sorted(per_fold.items(), key=lambda kv: str(kv[0]))) if v is not None]
    if folds_text:
        rows.append(("accuracy per fold", ", ".join(folds_text)))
    rows += _verdict_figures(_mapping(results.get("not_a_digit")))
    robustness = _mapping(results.get("robustness"))
    accuracy = _mapping(robustness.get("accuracy"))
    n = _whole(robustness.get("n"))
    for condition, value in accuracy.items():
        fraction = _fraction(value)
        if fraction is not None:
            rows.append((f"held-out writers, {_short(condition, 30)}", _percent(fraction) + (f" of {n:,}" if n else "")))
    for key, name in (("size_spread_pp", "spread over drawing sizes"), ("brush_spread_pp", "spread over brushes")):
        value = _number(robustness.get(key))
        if value is not None:
            rows.append((name, f"{value:.2f} percentage points"))
    return rows


# ------------------------------------------------------------------------------ the card
def model_card(metadata: Mapping[str, Any] | None) -> ModelCard:
    """The card for a weights file's metadata (any mapping, even empty or None; never raises)."""
    meta = _mapping(metadata)
    results = _mapping(meta.get("results"))
    notes = []
    history = _history(results)
    if not history:
        notes.append("no training history recorded" if "history" not in results
                     else "the training history could not be read")
    confusion = _confusion(results)
    per_class = None
    if confusion is None:
        notes.append("no MNIST confusion matrix recorded" if "mnist_test_confusion" not in results
                     else "the MNIST confusion matrix could not be read")
    else:
        totals = confusion.sum(axis=1)
        per_class = tuple(float(confusion[d, d] / totals[d]) if totals[d] else None for d in range(_CLASSES))
    drawn = _drawn_figures(results)
    if not drawn:
        notes.append("no figures on drawn digits recorded")
    recipe = _recipe(meta)
    if not recipe:
        notes.append("no training recipe recorded")
    created = meta.get("created")
    accuracy = _fraction(results.get("mnist_test_accuracy"))
    if accuracy is None and confusion is not None and confusion.sum():
        accuracy = float(np.trace(confusion) / confusion.sum())
    return ModelCard(
        architecture=_architecture(meta), created=_short(created, 40) if isinstance(created, str) and created else None,
        recipe=tuple(recipe), history=history, best_epoch=_whole(results.get("best_epoch")),
        mnist_test_accuracy=accuracy, mnist_test_loss=_number(results.get("mnist_test_loss")),
        confusion=confusion, per_class_accuracy=per_class, drawn_figures=tuple(drawn), notes=tuple(notes))
