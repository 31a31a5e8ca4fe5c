"""Charts as PNG with Pillow alone: training curves, the confusion matrix, the reliability diagram,
and the colour legends of the see-inside views.

Every chart function returns a ``PIL.Image.Image`` (RGB) and, given a path, also writes it there
as PNG atomically. train.py saves the first two next to the weights; the model card and the
calibration report draw them from the weights' metadata. Inputs are checked once: a malformed
argument raises ValueError naming the problem; a history with gaps (no validation, a missing
value) is drawn with gaps.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
from PIL import Image

from model import heatmaps
from model.chart import (FRAME, INK, MUTED, SERIES, Axes, Figure, colour_bar, format_tick, log_ticks,
                         nice_range, nice_step, save_png)

#: Cells of the confusion matrix: correct readings in blue, mistakes in red, deeper = more.
CORRECT_COLOUR = (8, 69, 148)
MISTAKE_COLOUR = (190, 20, 30)
#: The lightest shade a non-zero count gets, so that a single mistake is still visible.
MIN_SHADE = 0.18
#: The reliability diagram's gap between accuracy and confidence: light red above a bar (over-
#: confident), and blended with the bar's blue where it covers the bar's top (under-confident).
GAP_COLOUR = (246, 178, 178)
GAP_OVER_BAR = tuple((a + b) // 2 for a, b in zip(GAP_COLOUR, SERIES[0]))


# ------------------------------------------------------------------------------ training curves
def _series(history: Sequence[Mapping[str, Any]], key: str, factor: float = 1.0) -> list[float | None]:
    out = []
    for record in history:
        value = record.get(key) if isinstance(record, Mapping) else None
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        out.append(float(value) * factor if ok else None)
    return out


def _epochs(history: Sequence[Mapping[str, Any]]) -> list[float]:
    recorded = _series(history, "epoch")
    return [e if e is not None else float(i + 1) for i, e in enumerate(recorded)]


def _epoch_ticks(first: float, last: float) -> list[float]:
    """Whole-epoch ticks: multiples of a 1-2-5 step within [first, last]."""
    step = max(1, math.ceil(nice_step(last - first, 7))) if last > first else 1
    ticks = [float(t) for t in range(0, int(last) + 1, step) if t >= first]
    return ticks or [float(first)]


def training_curves_png(history: Sequence[Mapping[str, Any]], path=None, *, best_epoch: int | None = None,
                        title: str = "Training curves") -> Image.Image:
    """Loss and accuracy per epoch, train and validation, side by side (1000 x 410 px).

    history: one mapping per epoch with epoch, train_loss, train_acc, val_loss, val_acc (accuracies
    as fractions; None or missing values leave gaps; no validation values, no validation line), as
    train.py records it. The loss axis is logarithmic when the losses span more than a factor of 5.
    best_epoch: marked with a dashed line. path: also write the PNG there.
    """
    if isinstance(history, (str, bytes)) or not isinstance(history, Sequence):
        raise ValueError(f"history must be a list of per-epoch records, got {type(history).__name__}")
    fig = Figure(1000, 410)
    top = fig.title(title, f"{len(history)} epoch{'s' if len(history) != 1 else ''}" if history
                    else "no epochs recorded")
    epochs = _epochs(history)
    first, last = (min(epochs), max(epochs)) if epochs else (1.0, 1.0)
    pad = max(0.5, 0.02 * (last - first))
    x_range = (first - pad, last + pad)
    x_ticks = _epoch_ticks(first, last)
    panels = [("loss (cross-entropy)", "train_loss", "val_loss", 1.0, (85, top + 30, 475, 360)),
              ("accuracy (%)", "train_acc", "val_acc", 100.0, (590, top + 30, 980, 360))]
    for name, train_key, val_key, factor, box in panels:
        train, val = _series(history, train_key, factor), _series(history, val_key, factor)
        values = [v for v in train + val if v is not None]
        axes, y_ticks = _curve_axes(fig, box, x_range, values, log_ok=factor == 1.0,
                                    cap=100.0 if factor == 100 else None)
        axes.frame(x_ticks, y_ticks, x_title="epoch", y_title=name, title=name.split(" (")[0].capitalize(),
                   y_labels=[format_tick(t, None if axes.log_y else _step(y_ticks)) for t in y_ticks])
        marked = best_epoch is not None and x_range[0] <= best_epoch <= x_range[1]
        if marked:
            x = axes.to_px(best_epoch, axes.y_range[0])[0]
            fig.line([(x, box[1]), (x, box[3])], MUTED, 1, dash=4)
        markers = len(history) <= 40
        entries = []
        if any(v is not None for v in train):
            axes.plot(epochs, train, SERIES[0], markers=markers)
            entries.append(("train", SERIES[0], "line"))
        if any(v is not None for v in val):
            axes.plot(epochs, val, SERIES[1], markers=markers)
            entries.append(("validation", SERIES[1], "line"))
        if entries:
            if marked:
                entries.append((f"best epoch ({best_epoch})", MUTED, "dash"))
            axes.legend(entries)
        else:
            fig.text((box[0] + box[2]) / 2, (box[1] + box[3]) / 2, "nothing recorded", 13, MUTED,
                     align="center", valign="middle")
    image = fig.image()
    if path is not None:
        save_png(image, path)
    return image


def _step(ticks) -> float | None:
    return (ticks[1] - ticks[0]) if len(ticks) > 1 else None


def _curve_axes(fig: Figure, box, x_range, values: list[float], *, log_ok: bool, cap: float | None
                ) -> tuple[Axes, list[float]]:
    """(axes, y ticks) for ``values``: a log axis when they are positive and span more than 5x
    (and log_ok), else a linear one with whole steps, not above ``cap`` when the values are not."""
    if not values:
        lo, hi, ticks = nice_range(0.0, 1.0 if cap is None else cap)
        return Axes(fig, box, x_range, (lo, hi)), ticks
    lo, hi = min(values), max(values)
    if log_ok and lo > 0 and hi / lo > 5:
        y_range = (lo / 1.25, hi * 1.25)
        return Axes(fig, box, x_range, y_range, log_y=True), log_ticks(*y_range)
    margin = 0.04 * (hi - lo)  # keep points off the frame
    lo, hi, ticks = nice_range(lo - margin, hi + margin)
    if cap is not None and hi > cap >= max(values):
        hi, ticks = cap, [t for t in ticks if t <= cap]
    return Axes(fig, box, x_range, (lo, hi)), ticks


# ------------------------------------------------------------------------------ confusion matrix
def _check_confusion(confusion) -> np.ndarray:
    try:
        matrix = np.asarray(confusion, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("the confusion matrix must be a square table of counts") from None
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 1:
        raise ValueError(f"the confusion matrix must be square, got shape {matrix.shape}")
    if not np.all(np.isfinite(matrix)) or np.any(matrix < 0) or np.any(matrix != np.round(matrix)):
        raise ValueError("the confusion matrix must hold non-negative whole counts")
    return matrix.astype(np.int64)


def _shade(counts: np.ndarray, colour) -> np.ndarray:
    """counts (...) -> (..., 3) uint8: white for 0, from MIN_SHADE to full ``colour`` on a log scale."""
    top = counts.max() if counts.size else 0
    t = np.zeros(counts.shape, np.float64)
    nonzero = counts > 0
    if top > 1:
        t[nonzero] = MIN_SHADE + (1 - MIN_SHADE) * np.log(counts[nonzero]) / math.log(top)
    else:
        t[nonzero] = 1.0
    return heatmaps.diverging_rgb(t, 1.0, positive=colour, negative=colour)


def _text_colour(rgb) -> tuple[int, int, int]:
    return (255, 255, 255) if 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] < 140 else INK


def confusion_png(confusion, path=None, *, title: str = "Confusion matrix", labels: Sequence[str] | None = None
                  ) -> Image.Image:
    """A k x k confusion matrix (rows = true class, columns = predicted; counts) as a heat map:
    correct counts (the diagonal) in blue, mistakes in red, each on its own log scale with a
    colour bar; every non-zero count printed in its cell; per-class accuracy in a right-hand
    column. labels: the class names (default 0 .. k-1). path: also write the PNG there."""
    matrix = _check_confusion(confusion)
    k = matrix.shape[0]
    labels = [str(i) for i in range(k)] if labels is None else [str(s) for s in labels]
    if len(labels) != k:
        raise ValueError(f"{len(labels)} labels for a {k} x {k} matrix")
    cell = max(24, min(42, 420 // k))
    total, correct = int(matrix.sum()), int(np.trace(matrix))
    fig = Figure(100 + k * cell + 90 + 170, 150 + k * cell)
    subtitle = (f"{correct:,} of {total:,} correct ({correct / total * 100:.2f} %)" if total
                else "no counts")
    top = fig.title(title, subtitle) + 44
    left = 100
    diagonal = np.eye(k, dtype=bool)
    colours = np.where(diagonal[..., None], _shade(np.where(diagonal, matrix, 0), CORRECT_COLOUR),
                       _shade(np.where(diagonal, 0, matrix), MISTAKE_COLOUR))
    number_size = 12 if cell >= 36 else 10
    for r in range(k):
        for c in range(k):
            x0, y0 = left + c * cell, top + r * cell
            colour = tuple(int(v) for v in colours[r, c])
            fig.rectangle((x0, y0, x0 + cell, y0 + cell), fill=colour, outline=(235, 235, 235))
            if matrix[r, c]:
                fig.text(x0 + cell / 2, y0 + cell / 2, str(matrix[r, c]), number_size, _text_colour(colour),
                         align="center", valign="middle")
    fig.rectangle((left, top, left + k * cell, top + k * cell), outline=FRAME)
    for i, label in enumerate(labels):
        fig.text(left + i * cell + cell / 2, top - 6, label, 13, align="center", valign="bottom")
        fig.text(left - 8, top + i * cell + cell / 2, label, 13, align="right", valign="middle")
    fig.text(left + k * cell / 2, top - 26, "predicted", 13, align="center", valign="bottom")
    fig.vertical_text(left - 50, top + k * cell / 2, "true", 13)
    right = left + k * cell
    fig.text(right + 45, top - 6, "correct", 12, align="center", valign="bottom")
    rows = matrix.sum(axis=1)
    for r in range(k):
        text = f"{matrix[r, r] / rows[r] * 100:.1f} %" if rows[r] else "-"
        fig.text(right + 45, top + r * cell + cell / 2, text, 12, align="center", valign="middle")
    bar_top, bar_bottom = top, top + k * cell
    for offset, name, values, colour in ((100, "correct", matrix[diagonal], CORRECT_COLOUR),
                                         (180, "mistakes", matrix[~diagonal], MISTAKE_COLOUR)):
        x = right + offset
        highest = int(values.max()) if values.size else 0
        ramp = _shade(np.unique(np.geomspace(1, max(highest, 1), 64).round()), colour)
        marks = [(0.0, "1")]
        if highest > 1:
            marks.append((1.0, f"{highest:,}"))
        colour_bar(fig, (x, bar_top, x + 14, bar_bottom), ramp, labels=marks)
        fig.text(x + 7, bar_top - 12, name, 11, MUTED, align="center", valign="bottom")
    fig.text(right + 145, bar_bottom + 14, "log scale; blank = 0", 11, MUTED, align="center")
    image = fig.image()
    if path is not None:
        save_png(image, path)
    return image


# ------------------------------------------------------------------------------ reliability
@dataclass(frozen=True)
class ReliabilityBins:
    """Confidence bins of equal width over [0, 1]: edges (b + 1,); counts (b,); mean_confidence
    and accuracy (b,), NaN for empty bins; ece = sum(counts / n * |accuracy - mean_confidence|)."""

    edges: np.ndarray
    counts: np.ndarray
    mean_confidence: np.ndarray
    accuracy: np.ndarray
    ece: float

    @property
    def n(self) -> int:
        return int(self.counts.sum())


def reliability_bins(confidences, correct, bins: int = 10) -> ReliabilityBins:
    """Bin predictions by confidence (the probability given to the predicted class, in [0, 1]):
    confidences (n,), correct (n,) bool -> ReliabilityBins. A confidence of exactly 1 falls in
    the last bin. ValueError for mismatched, empty, non-finite or out-of-range input."""
    conf = np.asarray(confidences, dtype=np.float64).reshape(-1)
    hit = np.asarray(correct).reshape(-1)
    if conf.size == 0 or conf.size != hit.size:
        raise ValueError(f"need as many correctness flags as confidences, at least one; got {conf.size} "
                         f"confidences and {hit.size} flags")
    if not np.all(np.isfinite(conf)) or conf.min() < 0 or conf.max() > 1:
        raise ValueError("confidences must be probabilities in [0, 1]")
    if int(bins) < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    bins = int(bins)
    index = np.minimum((conf * bins).astype(np.int64), bins - 1)
    counts = np.bincount(index, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(index, weights=conf, minlength=bins) / counts
        accuracy = np.bincount(index, weights=hit.astype(np.float64), minlength=bins) / counts
    gaps = np.where(counts > 0, np.abs(np.nan_to_num(accuracy) - np.nan_to_num(mean_conf)), 0.0)
    ece = float((counts / conf.size * gaps).sum())
    return ReliabilityBins(np.linspace(0.0, 1.0, bins + 1), counts, mean_conf, accuracy, ece)


def reliability_png(confidences, correct, path=None, *, bins: int = 10, title: str = "Reliability") -> Image.Image:
    """Reliability diagram (560 x 700 px): per confidence bin, the accuracy (bar) against the mean
    confidence (the red gap to it; the dashed diagonal is perfect calibration), the number of
    predictions per bin below, and the expected calibration error (ECE) in the title.
    Arguments as ``reliability_bins``; path: also write the PNG there."""
    data = reliability_bins(confidences, correct, bins)
    fig = Figure(560, 700)
    top = fig.title(f"{title}: ECE {data.ece * 100:.2f} %",
                    f"{data.n:,} predictions in {len(data.counts)} bins of confidence")
    ticks = nice_range(0.0, 1.0)[2]
    main = Axes(fig, (85, top + 10, 535, top + 410), (0.0, 1.0), (0.0, 1.0))
    main.frame(ticks, ticks, y_title="accuracy")
    for lo, hi, count, acc, conf in zip(data.edges, data.edges[1:], data.counts, data.accuracy,
                                        data.mean_confidence):
        if count:
            main.bar(lo, hi, acc, SERIES[0], outline=(255, 255, 255))
            # over-confident: the gap sits above the bar; under-confident: it covers the bar's top
            main.bar(lo, hi, conf, GAP_COLOUR if conf > acc else GAP_OVER_BAR, base=acc, outline=SERIES[3])
    main.plot([0.0, 1.0], [0.0, 1.0], MUTED, width=1.5, markers=False, dash=5)
    filled = data.counts > 0
    entries = [("accuracy", SERIES[0], "box")]
    if np.any(data.mean_confidence[filled] > data.accuracy[filled]):
        entries.append(("over-confident: gap up to the confidence", GAP_COLOUR, "box"))
    if np.any(data.mean_confidence[filled] < data.accuracy[filled]):
        entries.append(("under-confident: gap down to the confidence", GAP_OVER_BAR, "box"))
    main.legend(entries + [("perfectly calibrated", MUTED, "dash")], where="upper left")
    counts = data.counts.astype(np.float64)
    highest = max(1.0, counts.max())
    log = counts[counts > 0].min(initial=highest) * 50 < highest
    y_range = (0.8, highest * 1.6) if log else (0.0, highest * 1.25)
    lower = Axes(fig, (85, top + 450, 535, top + 560), (0.0, 1.0), y_range, log_y=log)
    y_ticks = log_ticks(*y_range, max_ticks=4) if log else nice_range(0.0, highest, 4)[2]
    lower.frame(ticks, y_ticks, x_title="confidence (probability of the predicted class)", y_title="count",
                y_labels=[f"{t:,.0f}" for t in y_ticks])
    for lo, hi, count in zip(data.edges, data.edges[1:], data.counts):
        if count:
            lower.bar(lo, hi, count, (150, 150, 150), outline=(255, 255, 255))
            x, y = lower.to_px((lo + hi) / 2, count)
            fig.text(x, max(y - 2, lower.box[1] + 12), f"{count:,}", 10, align="center", valign="bottom")
    image = fig.image()
    if path is not None:
        save_png(image, path)
    return image


# ------------------------------------------------------------------------------ legends
def diverging_legend(negative_label: str, positive_label: str, *, negative=heatmaps.EVIDENCE_AGAINST,
                     positive=heatmaps.EVIDENCE_TOWARD, width: int = 280, height: int = 44) -> Image.Image:
    """A colour bar from ``negative`` through white to ``positive`` with a label under each end."""
    fig = Figure(width, height)
    ramp = heatmaps.diverging_rgb(np.linspace(-1.0, 1.0, 101), 1.0, positive=positive, negative=negative)
    colour_bar(fig, (6, 4, width - 6, 18), ramp, vertical=False)
    fig.text(6, 24, negative_label, 12, tuple(int(v) for v in negative))
    fig.text(width - 6, 24, positive_label, 12, tuple(int(v) for v in positive), align="right")
    fig.text(width / 2, 24, "0", 11, MUTED, align="center")
    return fig.image()


def evidence_legend(target: int, versus: int, *, width: int = 280, height: int = 44) -> Image.Image:
    """The evidence overlay's legend: orange 'ink toward {versus}' ... blue 'toward {target}'."""
    return diverging_legend(f"toward {versus}", f"toward {target}", width=width, height=height)


def weights_legend(*, width: int = 280, height: int = 44) -> Image.Image:
    """The unit-weights picture's legend: purple 'ink lowers it' ... green 'ink raises it'."""
    return diverging_legend("ink lowers it", "ink raises it", negative=heatmaps.WEIGHT_NEGATIVE,
                            positive=heatmaps.WEIGHT_POSITIVE, width=width, height=height)


def activation_legend(scale: float, *, width: int = 280, height: int = 44) -> Image.Image:
    """The network view's legend: dark (0) to bright (``scale`` and above)."""
    fig = Figure(width, height)
    colour_bar(fig, (6, 4, width - 6, 18), heatmaps.SEQUENTIAL_LUT, vertical=False)
    fig.text(6, 24, "0 (silent)", 12)
    fig.text(width - 6, 24, f"{scale:.3g}+", 12, align="right")
    fig.text(width / 2, 24, "activation", 11, MUTED, align="center")
    return fig.image()


def save_training_pictures(weights, history: Sequence[Mapping[str, Any]], best_epoch: int | None,
                           confusion=None) -> list:
    """A training run's pictures as PNG next to its weights file: ``NAME_curves.png`` and, with an
    MNIST test confusion matrix (10, 10), ``NAME_confusion.png``. Returns the paths written."""
    from pathlib import Path

    weights = Path(weights)
    curves = weights.with_name(weights.stem + "_curves.png")
    training_curves_png(history, curves, best_epoch=best_epoch, title=f"Training curves: {weights.name}")
    if confusion is None:
        return [curves]
    matrix = weights.with_name(weights.stem + "_confusion.png")
    confusion_png(confusion, matrix, title=f"MNIST test confusion: {weights.name}")
    return [curves, matrix]
