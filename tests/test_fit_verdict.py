"""benchmarks/fit_verdict.py: the rule is chosen within its budgets on VAL digits."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmarks/ is a folder of scripts
from benchmarks.fit_verdict import choose_rule, halves  # noqa: E402


def _digit_logits(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Logits of a decent classifier: the true digit ahead by a random margin, sometimes wrong."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    logits = rng.normal(0, 1, (n, 10))
    logits[np.arange(n), labels] += rng.gamma(6.0, 2.0, n)
    return logits, labels


def test_the_rule_keeps_within_both_budgets_and_is_as_strict_as_they_allow():
    logits, labels = _digit_logits(4000, 1)
    rule = choose_rule(logits, labels, not_digit_budget=0.007, not_sure_budget=0.03)
    verdicts = rule.judge(logits)[3]
    assert np.mean(verdicts == "not_digit") <= 0.007
    assert np.mean(verdicts != "sure") <= 0.03
    assert rule.not_digit_top2_below is not None and rule.sure_min_probability >= 0.5
    # As strict as allowed: a slightly higher sure bar breaks the budget.
    stricter = type(rule)(sure_min_probability=min(rule.sure_min_probability + 0.01, 1.0),
                          not_digit_top2_below=rule.not_digit_top2_below, temperature=rule.temperature)
    assert np.mean(stricter.judge(logits)[3] != "sure") > 0.03 or rule.sure_min_probability > 0.98


def test_a_flat_output_is_not_a_digit_under_the_chosen_rule():
    logits, labels = _digit_logits(2000, 2)
    rule = choose_rule(logits, labels)
    flat = np.zeros((5, 10)) + np.random.default_rng(3).normal(0, 0.05, (5, 10))
    assert list(rule.judge(flat)[3]) == ["not_digit"] * 5


def test_halves_are_fixed_and_disjoint():
    val, test = halves(["w3", "w1", "w6", "w2", "w5", "w4"])
    assert (val, test) == (["w1", "w2", "w3"], ["w4", "w5", "w6"])
    assert halves(["b", "a", "c"]) == (["a"], ["b", "c"])


def test_when_the_budget_cannot_be_kept_the_sure_bar_stays_at_its_lowest():
    rng = np.random.default_rng(4)
    labels = rng.integers(0, 10, 1000)
    logits = rng.normal(0, 1, (1000, 10))  # a classifier that knows nothing
    rule = choose_rule(logits, labels)
    assert rule.sure_min_probability == 0.5
