"""The verdict rule (model.verdict) on crafted outputs; its round trip through metadata."""
from __future__ import annotations

import json

import numpy as np
import pytest

from model.verdict import VerdictRule


def _logits(*probabilities: float) -> np.ndarray:
    """Logits whose softmax is the given probabilities."""
    return np.log(np.asarray(probabilities, dtype=np.float64))[None, :]


def _verdict(rule: VerdictRule, *probabilities: float) -> str:
    return str(rule.judge(_logits(*probabilities))[3][0])


def test_default_rule_is_the_sure_or_unsure_rule_of_before():
    """Files without a rule read as they always did: sure when the top probability is at least 0.5
    and more than 0.2 above the runner-up, else unsure; never "not a digit"."""
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=(500, 10))
    digits, runner_up, confidence, verdicts = VerdictRule().judge(logits)
    for row, d, r, c, v in zip(logits, digits, runner_up, confidence, verdicts):
        p = np.exp(row - row.max())
        p /= p.sum()
        order = np.argsort(p)[::-1]
        assert (d, r) == (order[0], order[1]) and c == pytest.approx(p[order[0]])
        assert v == ("sure" if p[order[0]] >= 0.5 and p[order[0]] - p[order[1]] > 0.2 else "unsure")
    assert "not_digit" not in set(verdicts)


def test_eleventh_output_decides_not_a_digit():
    rule = VerdictRule(not_digit_min=0.5)
    sure_seven = [0.01] * 10
    sure_seven[7] = 0.9
    assert _verdict(rule, *sure_seven, 0.01) == "sure"
    # The same digit shares, but most of the mass on "not a digit": not a digit, still reading 7.
    digits = np.array(sure_seven) * 0.3
    result = rule.judge(_logits(*digits, 0.7))
    assert result[3][0] == "not_digit" and result[0][0] == 7
    assert result[2][0] == pytest.approx(0.9 / sum(sure_seven))  # renormalised over the digits


def test_real_ambiguity_between_digits_stays_unsure():
    rule = VerdictRule(not_digit_min=0.5)
    four_or_nine = [0.0] * 10
    four_or_nine[4], four_or_nine[9] = 0.48, 0.47
    others = (1 - 0.95 - 0.02) / 8
    p = [v or others for v in four_or_nine]
    assert _verdict(rule, *p, 0.02) == "unsure"


def test_low_top_probability_can_mean_not_a_digit_for_ten_outputs():
    rule = VerdictRule(not_digit_below=0.3)
    assert _verdict(rule, *([0.1] * 10)) == "not_digit"
    assert _verdict(rule, *([0.35, 0.3] + [0.35 / 8] * 8)) == "unsure"


def test_flat_output_is_not_a_digit_but_two_competing_digits_are_unsure():
    rule = VerdictRule(not_digit_top2_below=0.8, sure_min_probability=0.9)
    four_or_nine = [0.01] * 10
    four_or_nine[4], four_or_nine[9] = 0.5, 0.42
    assert _verdict(rule, *four_or_nine) == "unsure"
    flat = [0.08] * 10
    flat[3] = 0.28
    assert _verdict(rule, *flat) == "not_digit"


def test_temperature_softens_but_keeps_the_digit():
    logits = np.array([[4.0, 1.0] + [0.0] * 8])
    cold = VerdictRule().judge(logits)
    warm = VerdictRule(temperature=3.0).judge(logits)
    assert warm[0][0] == cold[0][0] == 0
    assert warm[2][0] < cold[2][0]
    assert cold[3][0] == "sure" and warm[3][0] == "unsure"


def test_metadata_round_trip_through_json():
    rule = VerdictRule(sure_min_probability=0.6, near_tie_margin=0.15, not_digit_min=0.42,
                       not_digit_top2_below=0.86, temperature=1.3)
    stored = json.loads(json.dumps(rule.to_metadata()))
    assert stored["calibration"] == {"temperature": 1.3}
    assert VerdictRule.from_metadata(stored) == rule
    assert VerdictRule.from_metadata({}) == VerdictRule()


@pytest.mark.parametrize("metadata, message", [
    ({"verdict": {"not_digit_min": 1.5}}, "not_digit_min"),
    ({"verdict": {"surely": 0.5}}, "unknown setting"),
    ({"calibration": {"temperature": 0}}, "temperature"),
    ({"calibration": {"temperature": "hot"}}, "temperature"),
    ({"verdict": [1, 2]}, "JSON objects"),
])
def test_bad_metadata_is_refused_with_the_entry_named(metadata, message):
    with pytest.raises(ValueError, match=message):
        VerdictRule.from_metadata(metadata)


def test_logits_of_the_wrong_width_are_refused():
    with pytest.raises(ValueError, match="logits"):
        VerdictRule().judge(np.zeros((2, 12)))
