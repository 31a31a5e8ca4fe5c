"""Softmax, log-softmax and softmax cross-entropy: stability, known values, gradient."""
import math

import numpy as np
import pytest

from gradcheck import assert_close_grad, numerical_grad
from model.losses import cross_entropy, l2_penalty, log_softmax, softmax, softmax_cross_entropy


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_stay_finite(dtype):
    logits = np.array([[1e4, -1e4, 0, 0, 0, 0, 0, 0, 0, 0],
                       [-1e4] * 9 + [1e4],
                       [1e4] * 10,
                       [-1e4] * 10], dtype=dtype)
    labels = np.array([1, 9, 3, 0])
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        p = softmax(logits)
        logp = log_softmax(logits)
        loss, grad = softmax_cross_entropy(logits.copy(), labels)
    for a in (p, logp, grad):
        assert np.all(np.isfinite(a))
    assert math.isfinite(loss)
    # row 0: the true class sits 2e4 below the winner
    assert loss == pytest.approx((2e4 + 0 + math.log(10) + math.log(10)) / 4, rel=1e-6)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-6)


def test_uniform_output_loss_is_ln_10():
    for value in (0.0, 7.5, -1e4):
        loss, grad = softmax_cross_entropy(np.full((5, 10), value, np.float32), np.arange(5))
        assert loss == pytest.approx(math.log(10), rel=1e-6)
        assert cross_entropy(np.full((5, 10), value), np.arange(5)) == pytest.approx(math.log(10))


def test_log_softmax_matches_naive_formula_on_moderate_logits():
    z = np.random.default_rng(0).standard_normal((6, 10)) * 3
    naive = np.log(np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(log_softmax(z), naive, rtol=1e-12)
    np.testing.assert_allclose(softmax(z), np.exp(naive), rtol=1e-12)


def test_softmax_cross_entropy_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((7, 10)) * 2
    labels = rng.integers(0, 10, 7)
    _, grad = softmax_cross_entropy(logits, labels)
    numeric = numerical_grad(lambda: softmax_cross_entropy(logits, labels)[0], logits)
    assert_close_grad(grad, numeric)


def test_softmax_cross_entropy_can_write_into_logits():
    rng = np.random.default_rng(2)
    logits = rng.standard_normal((4, 10)).astype(np.float32)
    labels = np.array([0, 1, 2, 3])
    expected_loss, expected_grad = softmax_cross_entropy(logits.copy(), labels)
    loss, grad = softmax_cross_entropy(logits, labels, out=logits)
    assert grad is logits
    assert loss == pytest.approx(expected_loss)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-6)
    np.testing.assert_allclose(grad.sum(axis=1), 0, atol=1e-6)


def test_l2_penalty_value():
    weights = [np.array([[1.0, 2.0]]), np.array([3.0])]
    assert l2_penalty(weights, 0.1) == pytest.approx(0.05 * 14)


def test_outlier_exposure_gradient_matches_finite_differences():
    from model.losses import NOT_A_DIGIT, outlier_exposure_cross_entropy

    rng = np.random.default_rng(4)
    logits = rng.standard_normal((6, 10)) * 2
    labels = np.array([3, NOT_A_DIGIT, 0, NOT_A_DIGIT, 9, 5])
    loss, grad = outlier_exposure_cross_entropy(logits.copy(), labels, 0.5)
    numeric = numerical_grad(lambda: outlier_exposure_cross_entropy(logits.copy(), labels, 0.5)[0], logits)
    assert_close_grad(grad, numeric)
    # The loss itself, against a direct formula.
    logp = log_softmax(logits)
    expected = [-logp[i, y] if y >= 0 else 0.5 * -logp[i].mean() for i, y in enumerate(labels)]
    assert loss == pytest.approx(np.mean(expected), rel=1e-12)


def test_outlier_exposure_is_plain_cross_entropy_without_negatives_and_flat_is_its_optimum():
    from model.losses import NOT_A_DIGIT, outlier_exposure_cross_entropy

    logits = np.random.default_rng(5).standard_normal((4, 10))
    labels = np.array([1, 2, 3, 4])
    a = outlier_exposure_cross_entropy(logits.copy(), labels, 0.5)
    b = softmax_cross_entropy(logits.copy(), labels)
    assert a[0] == b[0] and np.array_equal(a[1], b[1])
    flat = np.full((3, 10), 2.5)
    loss, grad = outlier_exposure_cross_entropy(flat, np.full(3, NOT_A_DIGIT), 0.5)
    assert loss == pytest.approx(0.5 * math.log(10)) and np.abs(grad).max() < 1e-12
