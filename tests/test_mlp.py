"""The MLP: whole-network gradients, shapes, inference, determinism, arrays round trip."""
import numpy as np
import pytest

from gradcheck import assert_close_grad, numerical_grad, sample_indices
from model.losses import l2_penalty, softmax_cross_entropy
from model.mlp import MLP


def _float64_net(batch_norm, dropout, seed=0):
    return MLP([784, 12, 9, 10], batch_norm=batch_norm, dropout=dropout, seed=seed, dtype=np.float64)


@pytest.mark.parametrize("batch_norm,dropout,weight_decay", [
    (False, 0.0, 0.0), (True, 0.0, 0.0), (False, 0.3, 0.0), (True, 0.3, 0.01), (False, 0.0, 0.05)])
def test_whole_network_gradient(batch_norm, dropout, weight_decay):
    rng = np.random.default_rng(0)
    net = _float64_net(batch_norm, dropout)
    for layer in net.dense:
        layer.b[:] = rng.standard_normal(layer.b.shape) * 0.1
    for norm in net.norms:
        norm.gamma[:] = rng.uniform(0.5, 1.5, norm.gamma.shape)
    X = rng.random((6, 784))
    y = rng.integers(0, 10, 6)
    for drop in net.dropouts:  # a fixed mask makes the loss a deterministic function
        width = net.layer_sizes[net.dropouts.index(drop) + 1]
        drop.fixed_mask = (rng.random((6, width)) >= dropout) / (1 - dropout)

    def objective():
        loss, _ = softmax_cross_entropy(net.forward(X, training=True).copy(), y)
        return loss + l2_penalty(net.weights(), weight_decay)

    logits = net.forward(X, training=True)
    _, dlogits = softmax_cross_entropy(logits.copy(), y)
    net.backward(dlogits)
    analytic = [g.copy() for g in net.grads]
    decays = [d for layer in net.layers for d in layer.decay]
    for param, grad, decay in zip(net.params, analytic, decays):
        if decay:
            grad = grad + weight_decay * param  # what the optimisers add (test_optim checks that)
        idx = sample_indices(param, 25, rng)
        assert_close_grad(grad.reshape(-1)[idx], numerical_grad(objective, param, idx))


def test_parameters_are_views_of_two_flat_groups():
    net = MLP([784, 32, 10], batch_norm=True)
    (wp, wg, wd), (op, og, od) = net.param_groups()
    assert wd and not od
    assert wp.size == 784 * 32 + 32 * 10
    assert op.size == 32 + 10 + 2 * 32
    net.dense[0].W[0, 0] = 123.0
    assert wp[0] == 123.0
    assert all(np.shares_memory(p, wp) or np.shares_memory(p, op) for p in net.params)


def test_layer_sizes_are_validated():
    for bad in ([784, 10, 9], [10, 10], [784], [784, 0, 10], "abc"):
        with pytest.raises(ValueError):
            MLP(bad)
    with pytest.raises(ValueError, match="dropout"):
        MLP([784, 10], dropout=1.5)


def test_predict_proba_shapes_and_dtypes():
    net = MLP([784, 20, 10], seed=1)
    rng = np.random.default_rng(0)
    image = rng.random((28, 28), dtype=np.float32)
    p = net.predict_proba(image)
    assert p.shape == (10,) and p.dtype == np.float32
    assert p.sum() == pytest.approx(1, rel=1e-5)
    np.testing.assert_allclose(net.predict_proba(image.reshape(784)), p)
    batch = rng.random((5, 28, 28), dtype=np.float32)
    P = net.predict_proba(batch)
    assert P.shape == (5, 10)
    np.testing.assert_allclose(net.predict_proba(batch.reshape(5, 784)), P)
    np.testing.assert_allclose(P[2], net.predict_proba(batch[2]), rtol=1e-5)
    assert isinstance(net.predict(image), int) and net.predict(image) == int(np.argmax(p))
    np.testing.assert_array_equal(net.predict(batch), P.argmax(axis=1))
    with pytest.raises(ValueError, match="shape"):
        net.predict_proba(np.zeros((27, 28)))


def test_predict_proba_returns_fresh_arrays():
    net = MLP([784, 8, 10])
    first = net.predict_proba(np.zeros(784, np.float32))
    kept = first.copy()
    net.predict_proba(np.ones(784, np.float32))
    np.testing.assert_array_equal(first, kept)


def test_large_batches_are_processed_in_chunks_consistently():
    net = MLP([784, 16, 10], batch_norm=True, seed=3)
    X = np.random.default_rng(1).random((2500, 784), dtype=np.float32)
    P = net.predict_proba(X)
    np.testing.assert_allclose(P[2400:], net.predict_proba(X[2400:]), rtol=1e-5)


def test_inference_forward_matches_layer_path_with_batch_norm_and_dropout():
    net = MLP([784, 16, 12, 10], batch_norm=True, dropout=0.5, seed=4)
    rng = np.random.default_rng(2)
    for _ in range(3):  # move the running statistics away from their start
        net.forward(rng.random((32, 784), dtype=np.float32), training=True)
    X = rng.random((4, 784), dtype=np.float32)
    h = X
    for layer in net.layers:
        h = layer.forward(h, training=False)
    np.testing.assert_allclose(net.forward(X), h, rtol=1e-5, atol=1e-6)


def test_same_seed_same_network_and_different_seed_different_network():
    a, b, c = MLP([784, 30, 10], seed=7), MLP([784, 30, 10], seed=7), MLP([784, 30, 10], seed=8)
    for name, value in a.arrays().items():
        np.testing.assert_array_equal(value, b.arrays()[name])
    assert not np.array_equal(a.arrays()["W1"], c.arrays()["W1"])


def test_initialisation_he_hidden_xavier_output_zero_biases():
    net = MLP([784, 400, 300, 10], seed=0)
    arrays = net.arrays()
    assert arrays["W1"].std() == pytest.approx(np.sqrt(2 / 784), rel=0.02)
    assert arrays["W2"].std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert arrays["W3"].std() == pytest.approx(np.sqrt(2 / 310), rel=0.05)
    assert not any(arrays[f"b{i}"].any() for i in (1, 2, 3))
    assert all(a.dtype == np.float32 for a in arrays.values())


def test_arrays_round_trip_and_config():
    net = MLP([784, 16, 10], batch_norm=True, dropout=0.2, seed=5)
    net.norms[0].running_mean[:] = 0.3
    arrays = net.arrays()
    assert set(arrays) == {"W1", "b1", "W2", "b2", "bn1_gamma", "bn1_beta", "bn1_mean", "bn1_var"}
    copy = MLP.from_arrays(arrays, [784, 16, 10], batch_norm=True, dropout=0.2)
    X = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    np.testing.assert_array_equal(copy.predict_proba(X), net.predict_proba(X))
    assert copy.config() == {"layer_sizes": [784, 16, 10], "activation": "relu", "batch_norm": True,
                             "dropout": 0.2}
    del arrays["bn1_var"]
    with pytest.raises(ValueError, match="bn1_var"):
        MLP.from_arrays(arrays, [784, 16, 10], batch_norm=True)
    arrays = net.arrays()
    arrays["W2"] = np.zeros((16, 9), np.float32)
    with pytest.raises(ValueError, match="W2"):
        MLP.from_arrays(arrays, [784, 16, 10], batch_norm=True)
