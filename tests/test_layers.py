"""Layers: gradients against finite differences (float64), initialisation statistics, modes."""
import numpy as np
import pytest

from gradcheck import assert_close_grad, numerical_grad
from model.layers import BatchNorm, Dense, Dropout, ReLU, he_normal, xavier_normal


def _check_layer(layer, x, rng, training=True):
    """Loss = sum(forward(x) * R): dy = R; checks dx and every parameter gradient."""
    y = layer.forward(x, training)
    R = rng.standard_normal(y.shape)

    def loss():
        return float(np.sum(layer.forward(x, training) * R))

    layer.forward(x, training)
    dx = layer.backward(R.copy())
    dx = None if dx is None else dx.copy()
    analytic_params = [g.copy() for g in layer.grads]
    if dx is not None:
        assert_close_grad(dx, numerical_grad(loss, x))
    for param, grad in zip(layer.params, analytic_params):
        assert_close_grad(grad, numerical_grad(loss, param))


def test_dense_gradients():
    rng = np.random.default_rng(0)
    layer = Dense(5, 4, rng=rng, dtype=np.float64)
    layer.b[:] = rng.standard_normal(4)
    _check_layer(layer, rng.standard_normal((3, 5)), rng)


def test_dense_forward_is_x_at_w_plus_b():
    rng = np.random.default_rng(1)
    layer = Dense(6, 3, rng=rng)
    layer.b[:] = [1, 2, 3]
    x = rng.random((4, 6), dtype=np.float32)
    y = layer.forward(x)
    assert y.dtype == np.float32 and y.shape == (4, 3)
    np.testing.assert_allclose(y, x @ layer.W + layer.b, rtol=1e-6)


def test_dense_without_input_gradient_still_fills_parameter_gradients():
    rng = np.random.default_rng(2)
    layer = Dense(5, 4, rng=rng, dtype=np.float64, input_grad=False)
    x = rng.standard_normal((3, 5))
    layer.forward(x, True)
    dy = rng.standard_normal((3, 4))
    assert layer.backward(dy) is None
    np.testing.assert_allclose(layer.dW, x.T @ dy)
    np.testing.assert_allclose(layer.db, dy.sum(axis=0))


def test_relu_gradient_and_values():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 7))
    x[np.abs(x) < 1e-3] = 0.5  # keep finite differences away from the kink
    relu = ReLU()
    np.testing.assert_array_equal(relu.forward(x), np.maximum(x, 0))
    _check_layer(relu, x, rng)


def test_batchnorm_training_gradients():
    rng = np.random.default_rng(4)
    norm = BatchNorm(5, dtype=np.float64)
    norm.gamma[:] = rng.uniform(0.5, 2, 5)
    norm.beta[:] = rng.standard_normal(5)
    x = rng.standard_normal((8, 5)) * 3 + 1
    _check_layer(norm, x, rng, training=True)


def test_batchnorm_normalises_in_training_and_uses_running_stats_in_inference():
    rng = np.random.default_rng(5)
    norm = BatchNorm(3, momentum=1.0, dtype=np.float64)  # momentum 1: running stats = last batch
    x = rng.standard_normal((50, 3)) * [1, 2, 3] + [4, 5, 6]
    y = norm.forward(x, training=True)
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=0), 1, rtol=1e-4)
    np.testing.assert_allclose(norm.running_mean, x.mean(axis=0))
    np.testing.assert_allclose(norm.running_var, x.var(axis=0, ddof=1))
    single = norm.forward(x[:1], training=False)
    expected = (x[:1] - x.mean(axis=0)) / np.sqrt(x.var(axis=0, ddof=1) + norm.eps)
    np.testing.assert_allclose(single, expected)


def test_dropout_fixed_mask_gradient():
    rng = np.random.default_rng(6)
    drop = Dropout(0.5, rng=rng)
    x = rng.standard_normal((4, 6))
    drop.fixed_mask = (rng.random((4, 6)) >= 0.5) / 0.5
    _check_layer(drop, x, rng)


def test_dropout_is_inverted_and_identity_in_inference():
    drop = Dropout(0.25, rng=np.random.default_rng(7))
    x = np.ones((400, 250), np.float32)
    y = drop.forward(x, training=True)
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    assert abs(y.mean() - 1) < 0.02
    np.testing.assert_array_equal(drop.backward(np.ones_like(x)), y)
    assert drop.forward(x, training=False) is x


def test_dropout_rejects_bad_rate():
    with pytest.raises(ValueError, match="dropout rate"):
        Dropout(1.0)


def test_he_initialisation_statistics():
    W = he_normal(784, 512, np.random.default_rng(8))
    assert W.dtype == np.float32 and W.shape == (784, 512)
    assert abs(W.mean()) < 0.002
    assert W.std() == pytest.approx(np.sqrt(2 / 784), rel=0.01)


def test_xavier_initialisation_statistics():
    W = xavier_normal(512, 300, np.random.default_rng(9))
    assert abs(W.mean()) < 0.002
    assert W.std() == pytest.approx(np.sqrt(2 / (512 + 300)), rel=0.01)


def test_dense_biases_start_at_zero_and_init_choice_is_checked():
    assert not Dense(10, 4).b.any()
    with pytest.raises(ValueError, match="unknown initialisation"):
        Dense(3, 3, init="lecun")
