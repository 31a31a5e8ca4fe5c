"""app.evidence_view: the evidence overlay on the grid (F3), headless and in the real window."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import ImageTk

from app.evidence_view import AGAINST_HEX, TOWARD_HEX, cell_evidence_text, evidence
from model import heatmaps
from model.examples import bundled_examples
from model.explain import Explainer
from model.mlp import MLP
from screens import grab, pump


@pytest.fixture(scope="module")
def explained():
    model = MLP([784, 24, 16, 10], seed=3)
    example = bundled_examples().example(7)
    return Explainer(model).explain(example.image)


def test_the_overlay_is_blue_toward_the_top_digit_orange_toward_the_runner_up_and_grey_where_no_say(explained):
    ev = evidence(explained)
    assert ev.colours.shape == (28, 28, 3) and ev.colours.dtype == np.uint8
    assert (ev.target, ev.versus) == (explained.target, explained.versus)
    assert ev.toward == f"pushes toward {ev.target}" and ev.against == f"toward {ev.versus}"
    values = explained.evidence
    strongest_for, strongest_against = np.unravel_index(np.argmax(values), values.shape), \
        np.unravel_index(np.argmin(values), values.shape)
    assert values[strongest_for] > 0 > values[strongest_against]
    r, g, b = ev.colours[strongest_for].astype(int)
    assert b > r + 60, "strongest evidence for the top digit is blue"
    r, g, b = ev.colours[strongest_against].astype(int)
    assert r > b + 60, "strongest evidence for the runner-up is orange"
    blank = np.argwhere(explained.image == 0)[0]
    assert tuple(ev.colours[tuple(blank)]) == (255, 255, 255)  # no ink, no evidence: white paper
    assert TOWARD_HEX == "#%02x%02x%02x" % heatmaps.EVIDENCE_TOWARD and AGAINST_HEX.startswith("#e6")


def test_the_summary_adds_up_the_evidence_and_the_biases_to_the_logit_difference(explained):
    ev = evidence(explained)
    total = float(explained.evidence.sum())
    assert f"ink evidence {total:+.1f}" in ev.summary and f"by {explained.logit_difference:.1f}" in ev.summary
    assert total + explained.bias_term == pytest.approx(explained.logit_difference, abs=1e-3)


def test_hovering_a_cell_names_its_evidence_and_the_digit_it_favours(explained):
    ev = evidence(explained)
    row, col = np.unravel_index(np.argmax(explained.evidence), (28, 28))
    assert cell_evidence_text(ev, row, col) == f"; {explained.evidence[row, col]:+.2f} for {ev.target}"
    row, col = np.unravel_index(np.argmin(explained.evidence), (28, 28))
    assert cell_evidence_text(ev, row, col).endswith(f"for {ev.versus}")
    assert cell_evidence_text(ev, 0, 0) == "" and cell_evidence_text(None, 5, 5) == ""


# ---------------------------------------------------------------------- in the window
@pytest.fixture
def window(bundled_window):
    return bundled_window



@pytest.mark.gui
def test_f3_colours_the_grid_by_evidence_with_a_legend_and_follows_the_input(window, artifacts_dir):
    example = bundled_examples().example(3)
    window.load_example(example)
    pump(window)
    plain = np.asarray(ImageTk.getimage(window.grid._photo).convert("RGB")).copy()
    window.commands.run("evidence")
    pump(window)
    assert window.evidence_visible and window.grid.legend.frame.winfo_ismapped()
    reading = window.controller.reading()
    expected = evidence(Explainer(window.controller.model).explain(reading.input, reading.digit, reading.runner_up))
    assert window.grid.legend.text == (f"pushes toward {reading.digit}", f"toward {reading.runner_up}")
    shown = np.asarray(ImageTk.getimage(window.grid._photo).convert("RGB"))
    cell = window.grid.cell_px
    row, col = np.unravel_index(np.argmax(expected.values), (28, 28))
    np.testing.assert_array_equal(shown[row * cell + cell // 2, col * cell + cell // 2], expected.colours[row, col])
    assert not np.array_equal(shown, plain)
    # The window still fits a 1024x600 screen with the stages and the overlay open.
    window.commands.run("stages")
    pump(window)
    root = window.root
    assert root.winfo_reqwidth() <= 1024 and root.winfo_reqheight() + window.menu_height <= 600
    grab(root, artifacts_dir / "evidence_overlay.png")
    # Drawing takes over: the overlay follows the pen.
    canvas, side = window.canvas.canvas, window.canvas.side
    canvas.event_generate("<ButtonPress-1>", x=side // 2, y=side // 5)
    canvas.event_generate("<Motion>", x=side // 2, y=side * 4 // 5, state=0x100)
    canvas.event_generate("<ButtonRelease-1>", x=side // 2, y=side * 4 // 5)
    pump(window)
    drawn = window.controller.reading()
    assert drawn.source == "canvas" and window.grid.evidence is not None
    np.testing.assert_array_equal(window.grid.evidence.values, Explainer(window.controller.model).explain(
        drawn.input, drawn.digit, drawn.runner_up).evidence)
    window.commands.run("evidence")
    pump(window)
    assert not window.grid.legend.frame.winfo_ismapped() and window.grid.evidence is None
    shown = np.asarray(ImageTk.getimage(window.grid._photo).convert("RGB"))
    plain_again = np.asarray(window.grid.painter.image(window.grid.levels))
    np.testing.assert_array_equal(shown, plain_again)  # overlay off: plain shades again
