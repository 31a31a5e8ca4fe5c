"""model.plots: training curves, confusion matrix, reliability diagram and legends, checked by their
pixels (where the colours are) and, for the reliability bins, by hand-computed numbers."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from model import heatmaps, plots
from model.chart import SERIES
from model.weights_io import load_weights


def near(image, colour, tolerance: int = 40) -> np.ndarray:
    """(h, w) bool: pixels within ``tolerance`` of ``colour`` in every channel."""
    pixels = np.asarray(image, dtype=np.int16)
    return np.all(np.abs(pixels - np.array(colour, np.int16)) <= tolerance, axis=-1)


def history(epochs: int = 10, validation: bool = True) -> list[dict]:
    out = []
    for e in range(1, epochs + 1):
        out.append({"epoch": e, "train_loss": 1.0 / e, "train_acc": 0.5 + 0.04 * e,
                    "val_loss": 0.8 / e if validation else None, "val_acc": 0.6 + 0.03 * e if validation else None})
    return out


# ------------------------------------------------------------------ training curves
def test_curves_have_both_series_in_both_panels_and_are_saved(tmp_path) -> None:
    path = tmp_path / "curves.png"
    image = plots.training_curves_png(history(), path)
    assert image.size == (1000, 410) and image.mode == "RGB"
    with Image.open(path) as saved:
        np.testing.assert_array_equal(np.asarray(saved.convert("RGB")), np.asarray(image))
    for colour in SERIES[:2]:
        mask = near(image, colour)
        assert mask[:, :500].sum() > 200 and mask[:, 500:].sum() > 200
    assert np.all(np.asarray(image)[:5, :5] == 255)


def test_falling_loss_goes_down_and_rising_accuracy_goes_up() -> None:
    image = plots.training_curves_png(history(validation=False))
    blue = near(image, SERIES[0], 30)
    blue[:, :95] = False       # the legend swatch and tick area are not the curve
    for half, falling in ((slice(0, 480), True), (slice(590, 1000), False)):
        ys, xs = np.nonzero(blue[:, half])
        keep = ys > 90         # below the titles and legends' top rows
        slope = np.polyfit(xs[keep], ys[keep], 1)[0]
        assert (slope > 0) if falling else (slope < 0)  # image y grows downward


def test_no_validation_means_no_validation_line_and_gaps_stay_gaps() -> None:
    assert near(plots.training_curves_png(history(validation=False)), SERIES[1], 30).sum() == 0
    records = history(20)
    for r in records[5:15]:
        r["val_loss"] = r["val_acc"] = None
    orange = near(plots.training_curves_png(records), SERIES[1], 30)
    columns = np.flatnonzero(orange[120:360, 590:980].any(axis=0)) + 590
    # x of epochs 7..14 in the right panel (box 590-980 over epochs 0.5..20.5): no orange there
    x_of = lambda e: 590 + (e - 0.5) / 20 * 390  # noqa: E731
    assert not np.any((columns > x_of(7) + 4) & (columns < x_of(14) - 4))
    assert np.any(columns < x_of(5)) and np.any(columns > x_of(16))


def test_odd_histories_still_draw(tmp_path) -> None:
    for records in ([], [{"epoch": 1, "train_loss": 0.5, "train_acc": 0.9}], [{"train_loss": "x"}, "junk"],
                    history(1), history(120)):
        image = plots.training_curves_png(records, best_epoch=1)
        assert image.size == (1000, 410)
    with pytest.raises(ValueError, match="list"):
        plots.training_curves_png("history")


def test_best_epoch_is_marked_with_a_grey_dashed_line() -> None:
    plain = np.asarray(plots.training_curves_png(history()))
    marked = np.asarray(plots.training_curves_png(history(), best_epoch=6))
    changed = np.any(plain != marked, axis=-1)
    assert changed[120:350].sum() > 100   # inside the plotting areas
    columns = np.flatnonzero(changed[200:340, :].any(axis=0))
    x6_left = 85 + (6 - 0.5) / 10 * 390
    assert np.any(np.abs(columns - x6_left) <= 2)


def test_bundled_history_draws(bundled_weights, artifacts_dir) -> None:
    _, meta = load_weights(bundled_weights)
    results = meta["results"]
    image = plots.training_curves_png(results["history"], artifacts_dir / "training_curves.png",
                                      best_epoch=results["best_epoch"])
    assert near(image, SERIES[1]).sum() > 500


# ------------------------------------------------------------------ confusion matrix
def test_confusion_colours_correct_in_blue_mistakes_in_red_and_zero_white(artifacts_dir) -> None:
    image = plots.confusion_png([[9, 0], [3, 1]], artifacts_dir / "confusion_2x2.png")
    blue = near(image, plots.CORRECT_COLOUR, 3)
    red = near(image, plots.MISTAKE_COLOUR, 3)
    ys_b, xs_b = np.nonzero(blue)
    ys_r, xs_r = np.nonzero(red)
    # the largest correct count (row 0) and the only mistake (row 1, column 0): same column,
    # red below blue (besides each colour bar's top)
    grid_b = xs_b < 200
    grid_r = xs_r < 200
    assert grid_b.sum() > 300 and grid_r.sum() > 300
    assert abs(np.median(xs_b[grid_b]) - np.median(xs_r[grid_r])) < 3
    cell = np.median(ys_r[grid_r]) - np.median(ys_b[grid_b])
    assert cell > 20
    # the zero cell right of the blue one is white; the diagonal's count of 1 is pale blue
    y, x = int(np.median(ys_b[grid_b])), int(np.median(xs_b[grid_b]))
    assert tuple(np.asarray(image)[y - 10, x + int(cell)]) == (255, 255, 255)
    pale = np.asarray(image)[int(y + cell) - 10, int(x + cell)]
    assert pale[2] > pale[0] + 10 and pale.min() > 150


def test_confusion_of_the_bundled_weights(bundled_weights, artifacts_dir) -> None:
    _, meta = load_weights(bundled_weights)
    image = plots.confusion_png(meta["results"]["mnist_test_confusion"], artifacts_dir / "confusion.png",
                                title="MNIST test: confusion matrix")
    assert near(image, plots.CORRECT_COLOUR, 3).sum() > 1000
    assert near(image, plots.MISTAKE_COLOUR, 3).sum() > 300  # the 4 -> 9 cell and the colour bar


@pytest.mark.parametrize("bad, message", [([[1, 2, 3]], "square"), ([[1, -1], [0, 1]], "non-negative"),
                                          ([[1.5, 0], [0, 1]], "whole"), ("abc", "square table"),
                                          ([[1, float("nan")], [0, 1]], "non-negative")])
def test_bad_confusion_matrices_are_refused(bad, message) -> None:
    with pytest.raises(ValueError, match=message):
        plots.confusion_png(bad)
    with pytest.raises(ValueError, match="labels"):
        plots.confusion_png([[1, 0], [0, 1]], labels=["a"])


def test_an_all_zero_confusion_matrix_draws() -> None:
    assert plots.confusion_png(np.zeros((10, 10), int)).size[0] > 500


# ------------------------------------------------------------------ reliability
def test_reliability_bins_by_hand() -> None:
    conf = [0.05, 0.15, 0.15, 0.95, 1.0]
    correct = [True, False, True, True, True]
    bins = plots.reliability_bins(conf, correct, bins=10)
    assert list(bins.counts) == [1, 2, 0, 0, 0, 0, 0, 0, 0, 2]
    assert bins.n == 5
    assert bins.accuracy[0] == 1.0 and bins.accuracy[1] == 0.5 and bins.accuracy[9] == 1.0
    assert bins.mean_confidence[1] == pytest.approx(0.15) and bins.mean_confidence[9] == pytest.approx(0.975)
    assert np.isnan(bins.accuracy[2]) and np.isnan(bins.mean_confidence[2])
    expected = (1 * 0.95 + 2 * 0.35 + 2 * 0.025) / 5
    assert bins.ece == pytest.approx(expected)
    np.testing.assert_allclose(bins.edges, np.linspace(0, 1, 11))


def test_a_perfectly_calibrated_model_has_zero_ece() -> None:
    conf = np.full(10, 0.75)
    correct = np.array([1, 1, 1, 0] * 2 + [1, 1], bool)[:8]
    bins = plots.reliability_bins(conf[:8], correct, bins=4)
    assert bins.ece == pytest.approx(0.0)


@pytest.mark.parametrize("conf, correct, bins, message", [
    ([], [], 10, "at least one"), ([0.5], [True, False], 10, "as many"), ([1.2], [True], 10, "probabilities"),
    ([float("nan")], [True], 10, "probabilities"), ([0.5], [True], 0, "bins")])
def test_bad_reliability_input_is_refused(conf, correct, bins, message) -> None:
    with pytest.raises(ValueError, match=message):
        plots.reliability_bins(conf, correct, bins)


def _run(column: np.ndarray) -> int:
    return int(column.sum())


def test_reliability_bars_are_as_tall_as_the_accuracy_and_the_gap_reaches_the_confidence(artifacts_dir) -> None:
    conf = np.full(100, 0.95)
    sure = plots.reliability_png(conf, np.ones(100, bool), artifacts_dir / "reliability_underconfident.png")
    half = plots.reliability_png(conf, np.arange(100) % 2 == 0, artifacts_dir / "reliability_overconfident.png")
    assert sure.size == (560, 700)
    x = int(85 + 0.95 * 450)  # the middle of the last bin (0.9-1.0)
    main = slice(60, 480)     # rows of the upper chart
    # all right at 95 % confidence: a bar up to 1.0 whose top 0.05 is the (blended) gap
    bar, gap = near(sure, SERIES[0], 6)[main, x], near(sure, plots.GAP_OVER_BAR, 6)[main, x]
    assert _run(gap) / (_run(bar) + _run(gap)) == pytest.approx(0.05, abs=0.01)
    # half right at 95 %: a bar up to 0.5 and the light red gap from 0.5 to 0.95
    bar, gap = near(half, SERIES[0], 6)[main, x], near(half, plots.GAP_COLOUR, 6)[main, x]
    assert _run(gap) / _run(bar) == pytest.approx(0.45 / 0.5, abs=0.03)
    # each legend names only the kind of gap its chart has
    assert near(half, plots.GAP_OVER_BAR, 6).sum() == 0 and near(sure, plots.GAP_COLOUR, 6).sum() == 0
    xs = np.nonzero(near(sure, SERIES[0], 6)[:, 140:])[1] + 140
    assert xs.min() > 85 + 0.9 * 450 - 3     # only the last bin has a bar (the legend swatch aside)


def test_reliability_of_the_bundled_weights(bundled_weights, test_data_dir, artifacts_dir) -> None:
    from model.data import read_npz
    model, _ = load_weights(bundled_weights)
    images, labels = read_npz(test_data_dir / "mnist_test_sample.npz")
    probabilities = model.predict_proba(images.astype(np.float32) / 255)
    image = plots.reliability_png(probabilities.max(axis=1), probabilities.argmax(axis=1) == labels,
                                  artifacts_dir / "reliability.png", title="MNIST test sample")
    assert near(image, SERIES[0], 10).sum() > 5000


# ------------------------------------------------------------------ legends
def test_evidence_legend_runs_orange_white_blue() -> None:
    legend = np.asarray(plots.evidence_legend(7, 1, width=280, height=44)).astype(int)
    assert legend.shape == (44, 280, 3)
    bar = legend[11]
    assert tuple(bar[9]) == pytest.approx(heatmaps.EVIDENCE_AGAINST, abs=12)
    assert tuple(bar[270]) == pytest.approx(heatmaps.EVIDENCE_TOWARD, abs=12)
    assert bar[140].min() > 235
    below = legend[24:]
    assert near(below[:, :100], heatmaps.EVIDENCE_AGAINST, 30).sum() > 20   # "toward 1" in orange
    assert near(below[:, 180:], heatmaps.EVIDENCE_TOWARD, 30).sum() > 20    # "toward 7" in blue


def test_weight_and_activation_legends() -> None:
    weights = np.asarray(plots.weights_legend()).astype(int)
    assert tuple(weights[11, 270]) == pytest.approx(heatmaps.WEIGHT_POSITIVE, abs=12)
    activation = np.asarray(plots.activation_legend(2.5))
    assert activation[11, 9].max() < 40 and activation[11, 270].min() > 180
