"""Calibration (model.calibration): ECE by hand, temperature scaling recovers a known temperature."""
from __future__ import annotations

import numpy as np
import pytest

from model.calibration import (TEMPERATURE_RANGE, expected_calibration_error, fit_temperature,
                               negative_log_likelihood, softmax)


def test_ece_by_hand():
    # Two predictions at 0.9 (one right, one wrong) and two at 0.6 (both right), 15 bins:
    # |0.5 - 0.9| * 2/4 + |1.0 - 0.6| * 2/4 = 0.4
    p = np.array([[0.9, 0.1], [0.9, 0.1], [0.4, 0.6], [0.4, 0.6]])
    labels = np.array([0, 1, 1, 1])
    assert expected_calibration_error(p, labels) == pytest.approx(0.4)
    # Perfect, sure and right: no error.
    assert expected_calibration_error(np.eye(3), np.arange(3)) == pytest.approx(0.0)


def test_ece_refuses_mismatched_shapes():
    with pytest.raises(ValueError):
        expected_calibration_error(np.full((3, 2), 0.5), np.zeros(2, int))


@pytest.mark.parametrize("true_temperature", [0.5, 1.0, 3.0])
def test_fit_recovers_the_temperature_that_made_the_labels(true_temperature):
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 3, size=(6000, 10))
    p = softmax(logits, true_temperature)
    labels = (p.cumsum(axis=1) > rng.random((len(p), 1))).argmax(axis=1)
    fitted = fit_temperature(logits, labels)
    assert fitted == pytest.approx(true_temperature, rel=0.08)
    assert negative_log_likelihood(logits, labels, fitted) <= negative_log_likelihood(logits, labels, 1.0) + 1e-9
    # Scaling changes confidence, never the digit read.
    assert np.array_equal(softmax(logits, fitted).argmax(axis=1), logits.argmax(axis=1))


def test_temperature_lowers_ece_of_an_overconfident_model():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 2, size=(6000, 10))
    labels = (softmax(logits).cumsum(axis=1) > rng.random((len(logits), 1))).argmax(axis=1)
    overconfident = logits * 4
    t = fit_temperature(overconfident, labels)
    assert expected_calibration_error(softmax(overconfident, t), labels) < \
        expected_calibration_error(softmax(overconfident), labels) / 3


def test_fit_stays_in_range_and_refuses_bad_input():
    # Labels the logits always get right: the likelihood keeps improving as T falls, the fit stops at the range.
    logits = np.array([[5.0, 0.0], [0.0, 5.0]])
    assert TEMPERATURE_RANGE[0] <= fit_temperature(logits, np.array([0, 1])) <= TEMPERATURE_RANGE[0] * 1.01
    with pytest.raises(ValueError):
        fit_temperature(np.zeros((0, 10)), np.zeros(0, int))
