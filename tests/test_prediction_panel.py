"""app.prediction_panel: the verdict card and the ten probability bars."""
from __future__ import annotations

import numpy as np
import pytest

from app import theme
from app.controller import Reading
from model.verdict import VerdictRule
from app.prediction_panel import BAR_X0, BARS_WIDTH, PERCENT_ROOM, PredictionPanel, verdict_look

EMPTY = Reading(None, None, None, None, 0.0, "empty")


def reading(probabilities, source="canvas", rule=VerdictRule()) -> Reading:
    probabilities = np.asarray(probabilities, np.float32)
    digits, runners_up, confidences, verdicts = rule.judge(np.log(np.maximum(probabilities, 1e-12)))
    return Reading(np.zeros((28, 28), np.float32), probabilities, int(digits[0]), int(runners_up[0]),
                   float(confidences[0]), str(verdicts[0]), source=source)


SURE = [0.01] * 3 + [0.91] + [0.01] * 6
UNSURE = [0.0] * 4 + [0.52] + [0.0] * 4 + [0.48]


FLAT = [0.16, 0.12, 0.1, 0.1, 0.1, 0.1, 0.08, 0.08, 0.08, 0.08]


def test_not_a_digit_says_so_plainly_and_mutes_the_bars():
    look = verdict_look(reading(FLAT, rule=VerdictRule(not_digit_top2_below=0.5)))
    assert look.message == "That doesn't look like a digit"
    assert look.detail == "closest digit: 0 (16 %)"
    assert look.digit_colour == theme.MUTED and look.bar_colour == theme.BAR_FILL


def test_the_look_of_each_verdict():
    empty = verdict_look(EMPTY)
    assert (empty.digit.strip(), empty.message, empty.detail) == ("", "Draw a digit", "The canvas is empty")
    assert empty.message_colour == theme.MUTED
    sure = verdict_look(reading(SURE))
    assert (sure.digit, sure.message, sure.detail) == ("3", "It's a 3", "91 % confident")
    assert sure.digit_colour == sure.bar_colour == theme.ACCENT
    unsure = verdict_look(reading(UNSURE))
    assert (unsure.digit, unsure.message, unsure.detail) == ("4?", "Not sure: 4 or 9?", "4: 52 %, 9: 48 %")
    assert unsure.digit_colour == unsure.message_colour == unsure.bar_colour == theme.DOUBT
    assert verdict_look(reading(SURE, source="grid")).detail == "91 % confident (grid)"


@pytest.fixture
def panel(toplevel):
    panel = PredictionPanel(toplevel, theme.apply(toplevel))
    panel.frame.pack()
    toplevel.update()
    return panel


def bar_length(panel, digit):
    x0, _, x1, _ = panel.bars.coords(f"bar{digit}")
    return round(x1 - x0)


@pytest.mark.gui
def test_the_card_shows_the_verdict_and_bars_in_proportion(panel):
    panel.show(EMPTY, force=True)
    assert panel.message == "Draw a digit" and [bar_length(panel, d) for d in range(10)] == [0] * 10
    assert panel.bars.itemcget("percent0", "text") == ""
    panel.show(reading(SURE))
    full = BARS_WIDTH - BAR_X0 - PERCENT_ROOM
    assert panel.message == "It's a 3" and panel.digit_label.cget("text") == "3"
    assert panel.detail_label.cget("text") == "91 % confident"
    assert bar_length(panel, 3) == round(0.91 * full) and bar_length(panel, 0) == round(0.01 * full)
    assert panel.bars.itemcget("bar3", "fill") == theme.ACCENT and panel.bars.itemcget("bar0", "fill") == theme.BAR_FILL
    assert panel.bars.itemcget("percent3", "text") == "91 %"
    panel.show(reading(UNSURE))
    assert panel.message == "Not sure: 4 or 9?" and str(panel.message_label.cget("foreground")) == theme.DOUBT
    assert panel.bars.itemcget("bar4", "fill") == theme.DOUBT and panel.bars.itemcget("bar3", "fill") == theme.BAR_FILL
    assert bar_length(panel, 3) == 0 and bar_length(panel, 9) == round(0.48 * full)
    panel.show(EMPTY)
    assert [bar_length(panel, d) for d in range(10)] == [0] * 10 and panel.message == "Draw a digit"


@pytest.mark.gui
def test_unchanged_looks_are_not_repainted_unless_forced(panel):
    panel.show(reading(SURE))
    panel.message_label.configure(text="tampered")
    panel.bars.coords("bar3", 0, 0, 1, 1)
    panel.show(reading(SURE))
    assert panel.message == "tampered" and bar_length(panel, 3) == 1
    panel.show(reading(SURE), force=True)
    assert panel.message == "It's a 3" and bar_length(panel, 3) > 100
