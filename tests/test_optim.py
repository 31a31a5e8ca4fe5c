"""Optimisers against hand-computed updates; weight decay; learning-rate schedules."""
import math

import numpy as np
import pytest

from gradcheck import assert_close_grad, numerical_grad
from model.losses import l2_penalty
from model.optim import SGD, Adam, LearningRateSchedule

G1 = np.array([0.5, -1.0, 2.0])
G2 = np.array([-0.25, 0.5, 1.0])


def _run(optimizer, grads, start=(1.0, 2.0, -3.0), decay=True):
    p = np.array(start)
    trajectory = []
    for g in grads:
        optimizer.step([p], [g.copy()], [decay])
        trajectory.append(p.copy())
    return trajectory


def test_plain_sgd():
    (p1,) = _run(SGD(lr=0.1, momentum=0.0), [G1])
    np.testing.assert_allclose(p1, np.array([1.0, 2.0, -3.0]) - 0.1 * G1)


def test_sgd_momentum_matches_hand_computation():
    p0 = np.array([1.0, 2.0, -3.0])
    p1, p2 = _run(SGD(lr=0.1, momentum=0.9), [G1, G2])
    v1 = G1
    v2 = 0.9 * v1 + G2
    np.testing.assert_allclose(p1, p0 - 0.1 * v1)
    np.testing.assert_allclose(p2, p0 - 0.1 * v1 - 0.1 * v2)


def test_nesterov_matches_hand_computation():
    p0 = np.array([1.0, 2.0, -3.0])
    p1, p2 = _run(SGD(lr=0.1, momentum=0.9, nesterov=True), [G1, G2])
    v1 = G1
    v2 = 0.9 * v1 + G2
    np.testing.assert_allclose(p1, p0 - 0.1 * (G1 + 0.9 * v1))
    np.testing.assert_allclose(p2, p1 - 0.1 * (G2 + 0.9 * v2))


def test_adam_matches_hand_computation():
    p0 = np.array([1.0, 2.0, -3.0])
    p1, p2 = _run(Adam(lr=0.01, betas=(0.9, 0.99), eps=1e-8), [G1, G2])
    m1, v1 = 0.1 * G1, 0.01 * G1 ** 2
    expected1 = p0 - 0.01 * (m1 / 0.1) / (np.sqrt(v1 / 0.01) + 1e-8)
    m2, v2 = 0.9 * m1 + 0.1 * G2, 0.99 * v1 + 0.01 * G2 ** 2
    b1, b2 = 1 - 0.9 ** 2, 1 - 0.99 ** 2
    expected2 = expected1 - 0.01 * (m2 / b1) / (np.sqrt(v2 / b2) + 1e-8)
    np.testing.assert_allclose(p1, expected1)
    np.testing.assert_allclose(p2, expected2)
    assert np.abs(p1 - p0) == pytest.approx(np.full(3, 0.01), rel=1e-5)  # first Adam step is lr * sign(g)


def test_weight_decay_only_where_asked():
    p0 = np.array([1.0, 2.0, -3.0])
    (decayed,) = _run(SGD(lr=0.1, momentum=0.0, weight_decay=0.5), [G1], decay=True)
    (plain,) = _run(SGD(lr=0.1, momentum=0.0, weight_decay=0.5), [G1], decay=False)
    np.testing.assert_allclose(decayed, p0 - 0.1 * (G1 + 0.5 * p0))
    np.testing.assert_allclose(plain, p0 - 0.1 * G1)


@pytest.mark.parametrize("make", [lambda: SGD(lr=1.0, momentum=0.0, weight_decay=0.3),
                                  lambda: SGD(lr=1.0, momentum=0.9, weight_decay=0.3)])
def test_weight_decay_step_follows_gradient_of_l2_objective(make):
    """The first step (lr 1, zero velocity) moves by exactly the gradient of loss + wd/2 ||W||^2."""
    rng = np.random.default_rng(0)
    W = rng.standard_normal((3, 4))
    target = rng.standard_normal((3, 4))

    def objective():
        return 0.5 * float(np.sum((W - target) ** 2)) + l2_penalty([W], 0.3)

    data_grad = W - target
    numeric = numerical_grad(objective, W)
    before = W.copy()
    make().step([W], [data_grad], [True])
    assert_close_grad(before - W, numeric)


def test_float32_parameters_stay_float32():
    p = np.ones(4, np.float32)
    Adam(lr=0.1, weight_decay=0.01).step([p], [np.ones(4, np.float32)])
    SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01).step([p], [np.ones(4, np.float32)])
    assert p.dtype == np.float32


def test_optimiser_settings_are_validated():
    for bad in (lambda: SGD(lr=0), lambda: SGD(momentum=1.0), lambda: SGD(momentum=0, nesterov=True),
                lambda: Adam(betas=(1.0, 0.9)), lambda: Adam(eps=0), lambda: SGD(weight_decay=-1)):
        with pytest.raises(ValueError):
            bad()


def test_constant_schedule_with_warmup():
    s = LearningRateSchedule("constant", 0.1, total_steps=100, warmup_steps=4)
    assert [s(i) for i in range(6)] == pytest.approx([0.025, 0.05, 0.075, 0.1, 0.1, 0.1])


def test_cosine_schedule_values():
    s = LearningRateSchedule("cosine", 0.1, total_steps=110, warmup_steps=10, min_lr=0.001)
    assert s(9) == pytest.approx(0.1)
    assert s(10) == pytest.approx(0.1)
    assert s(60) == pytest.approx(0.001 + 0.5 * 0.099)
    assert s(35) == pytest.approx(0.001 + 0.5 * 0.099 * (1 + math.cos(math.pi / 4)))
    assert s(110) == pytest.approx(0.001)
    assert s(500) == pytest.approx(0.001)
    values = [s(i) for i in range(10, 111)]
    assert all(a >= b for a, b in zip(values, values[1:]))


def test_step_schedule_values():
    s = LearningRateSchedule("step", 0.2, total_steps=100, warmup_steps=2, step_every=10, gamma=0.5)
    assert s(0) == pytest.approx(0.1)
    assert s(2) == pytest.approx(0.2)
    assert s(11) == pytest.approx(0.2)
    assert s(12) == pytest.approx(0.1)
    assert s(32) == pytest.approx(0.025)


def test_schedule_settings_are_validated():
    with pytest.raises(ValueError, match="unknown schedule"):
        LearningRateSchedule("linear", 0.1, 10)
    with pytest.raises(ValueError, match="step_every"):
        LearningRateSchedule("step", 0.1, 10)
    with pytest.raises(ValueError):
        LearningRateSchedule("cosine", 0.1, 10, min_lr=0.5)


def test_matches_torch_when_available():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    start = rng.standard_normal(5)
    grads = [rng.standard_normal(5) for _ in range(4)]
    cases = [(lambda: SGD(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
              lambda t: torch.optim.SGD([t], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
             (lambda: Adam(lr=0.01, weight_decay=0.01),
              lambda t: torch.optim.Adam([t], lr=0.01, weight_decay=0.01))]
    for ours, theirs in cases:
        p = start.copy()
        t = torch.tensor(start, requires_grad=True)
        opt_ours, opt_theirs = ours(), theirs(t)
        for g in grads:
            opt_ours.step([p], [g.copy()], [True])
            t.grad = torch.tensor(g)
            opt_theirs.step()
        np.testing.assert_allclose(p, t.detach().numpy(), rtol=1e-10)
