"""model.explain: the evidence, activations and unit contributions, checked against an independent
reference (tests/reference_autodiff.py) and against finite differences of the model's own logits."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.data import read_npz
from model.explain import Explainer, explain
from model.mlp import MLP
from model.weights_io import load_weights
from reference_autodiff import reference_network

SMALL = [784, 24, 16, 10]


def random_network(seed: int, *, batch_norm: bool = True, sizes=SMALL, dtype=np.float64,
                   biases: bool = True) -> MLP:
    """A network with every array non-trivial: biases, running statistics, gammas of both signs."""
    model = MLP(sizes, batch_norm=batch_norm, seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed + 1000)
    arrays = model.arrays()
    for name, a in arrays.items():
        if name.startswith("b") and not name.startswith("bn"):
            arrays[name] = rng.normal(0, 0.3, a.shape) if biases else np.zeros(a.shape)
        elif name.endswith("_gamma"):
            arrays[name] = rng.uniform(0.5, 1.5, a.shape) * np.where(rng.random(a.shape) < 0.2, -1, 1)
        elif name.endswith("_beta") or name.endswith("_mean"):
            arrays[name] = rng.normal(0, 0.3, a.shape) if biases else np.zeros(a.shape)
        elif name.endswith("_var"):
            arrays[name] = rng.uniform(0.3, 2.0, a.shape)
    model.set_arrays(arrays)
    return model


def random_image(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    image = rng.random((28, 28))
    image[rng.random((28, 28)) < 0.6] = 0.0  # mostly background, as a drawing is
    return image


def reference(model: MLP, image: np.ndarray, target: int, versus: int) -> dict:
    x, logits, hidden, leaves = reference_network(model.arrays(), model.layer_sizes, model.batch_norm,
                                                  image.reshape(-1))
    diff = logits[target] - logits[versus]
    diff.backward()
    return {"diff": float(diff.value), "logits": logits.value, "gradient": x.grad.reshape(28, 28),
            "input_part": float(x.value @ x.grad),
            "bias_term": float(sum(np.sum(leaf.value * leaf.grad) for leaf in leaves.values())),
            "activations": [a.value for _, a in hidden],
            "contributions": [a.value * a.grad for _, a in hidden],
            "pre": [z.value for z, _ in hidden]}


# ------------------------------------------------------------------ against the reference
@pytest.mark.parametrize("batch_norm", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_explanation_matches_the_reference(seed: int, batch_norm: bool) -> None:
    model = random_network(seed, batch_norm=batch_norm)
    image = random_image(seed)
    e = Explainer(model).explain(image)
    ref = reference(model, image, e.target, e.versus)
    np.testing.assert_allclose(e.logits, ref["logits"], rtol=1e-12, atol=1e-12)
    assert e.logit_difference == pytest.approx(ref["diff"], abs=1e-12)
    np.testing.assert_allclose(e.gradient, ref["gradient"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(e.evidence, image * ref["gradient"], rtol=1e-10, atol=1e-12)
    assert e.bias_term == pytest.approx(ref["bias_term"], abs=1e-10)
    for mine, theirs in zip(e.activations, ref["activations"]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-12)
    for mine, theirs in zip(e.contributions, ref["contributions"]):
        np.testing.assert_allclose(mine, theirs, rtol=1e-10, atol=1e-12)


def test_the_reference_itself_is_complete() -> None:
    # Euler's identity in the reference: input part + bias part = the logit difference. If the
    # reference got a gradient wrong this would not hold, so it vouches for the comparison above.
    model = random_network(3)
    ref = reference(model, random_image(3), 4, 9)
    assert ref["input_part"] + ref["bias_term"] == pytest.approx(ref["diff"], abs=1e-10)
    assert abs(ref["bias_term"]) > 1e-3  # a real bias term, not a trivially zero one


# ------------------------------------------------------------------ completeness
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), target=st.integers(0, 9), offset=st.integers(1, 9),
       batch_norm=st.booleans())
def test_evidence_plus_bias_term_is_the_logit_difference(seed, target, offset, batch_norm) -> None:
    model = random_network(seed % 50, batch_norm=batch_norm)
    e = explain(model, random_image(seed), target, (target + offset) % 10)
    assert e.target == target and e.versus == (target + offset) % 10
    assert e.logit_difference == pytest.approx(e.logits[e.target] - e.logits[e.versus], abs=1e-12)
    assert float(e.evidence.sum()) + e.bias_term == pytest.approx(e.logit_difference, abs=1e-9)
    for layer, contributions in enumerate(e.contributions):
        assert float(contributions.sum()) + e.bias_after(layer) == pytest.approx(e.logit_difference, abs=1e-9)


@pytest.mark.parametrize("batch_norm", [True, False])
def test_without_biases_the_evidence_sums_to_the_logit_difference(batch_norm: bool) -> None:
    model = random_network(7, batch_norm=batch_norm, biases=False)
    e = explain(model, random_image(7))
    assert e.bias_term == 0.0
    assert e.logit_difference != pytest.approx(0.0, abs=1e-3)
    assert float(e.evidence.sum()) == pytest.approx(e.logit_difference, rel=1e-12)


def test_last_layer_contributions_are_activation_times_output_weight_difference() -> None:
    model = random_network(4)
    e = explain(model, random_image(4))
    W = model.dense[-1].W
    np.testing.assert_allclose(e.contributions[-1], e.activations[-1] * (W[:, e.target] - W[:, e.versus]))
    assert e.output_bias_term == pytest.approx(model.dense[-1].b[e.target] - model.dense[-1].b[e.versus])


# ------------------------------------------------------------------ finite differences
def _logit_difference(model: MLP, X: np.ndarray, target: int, versus: int) -> np.ndarray:
    logits = model.forward(X.reshape(-1, 784), training=False)
    return logits[:, target] - logits[:, versus]


def _reach(model: MLP, layer: int, h: float) -> float:
    """How far a step of h in one pixel can move any pre-activation of hidden ``layer``: h times
    the largest first-layer weight, times each later layer's largest absolute column sum."""
    bound = h
    for i in range(layer + 1):
        scaled = np.abs(model.dense[i].W * _scale(model, i))
        bound *= scaled.max() if i == 0 else scaled.sum(axis=0).max()
    return float(bound)


@pytest.mark.parametrize("seed", [10, 11, 12, 13])
def test_gradient_matches_finite_differences_of_the_models_logits(seed: int) -> None:
    model = random_network(seed)
    image = random_image(seed)
    e = explain(model, image)
    h = 1e-6
    # Away from kinks: no pre-activation is within reach of a step of h in any pixel, so every
    # perturbed input has the same active units and central differences are exact up to rounding.
    ref = reference(model, image, e.target, e.versus)
    for layer, z in enumerate(ref["pre"]):
        assert np.abs(z).min() > 2 * _reach(model, layer, h)
    steps = np.eye(784) * h
    x = image.reshape(-1)
    numeric = (_logit_difference(model, x + steps, e.target, e.versus)
               - _logit_difference(model, x - steps, e.target, e.versus)) / (2 * h)
    np.testing.assert_allclose(e.gradient.reshape(-1), numeric, rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------ the bundled weights (float32)
@pytest.fixture(scope="module")
def bundled(bundled_weights):
    model, _ = load_weights(bundled_weights)
    return model


@pytest.fixture(scope="module")
def test_images(test_data_dir):
    images, labels = read_npz(test_data_dir / "mnist_test_sample.npz")
    return images[:40].astype(np.float32) / 255, labels[:40]


def test_bundled_weights_agree_with_the_reference_and_the_model(bundled, test_images) -> None:
    images, labels = test_images
    explainer = Explainer(bundled)
    for image, label in zip(images[:3], labels[:3]):
        e = explainer.explain(image)
        assert e.top == label
        assert e.gradient.dtype == np.float32
        np.testing.assert_allclose(e.probabilities, bundled.predict_proba(image), rtol=1e-5, atol=1e-7)
        ref = reference(bundled, image.astype(np.float64), e.target, e.versus)
        scale = np.abs(ref["gradient"]).max()
        np.testing.assert_allclose(e.gradient, ref["gradient"], atol=1e-4 * scale)
        assert e.bias_term == pytest.approx(ref["bias_term"], rel=1e-4, abs=1e-3)
        assert float(e.evidence.sum()) + e.bias_term == pytest.approx(e.logit_difference, rel=1e-4, abs=1e-3)


def test_bundled_gradient_matches_a_directional_difference(bundled, test_images) -> None:
    model64 = MLP(bundled.layer_sizes, batch_norm=bundled.batch_norm, dtype=np.float64)
    model64.set_arrays(bundled.arrays())
    image = test_images[0][5].astype(np.float64)
    e = explain(model64, image)
    rng = np.random.default_rng(0)
    direction = rng.standard_normal((28, 28))
    h = 1e-7
    numeric = (_logit_difference(model64, image + h * direction, e.target, e.versus)
               - _logit_difference(model64, image - h * direction, e.target, e.versus))[0] / (2 * h)
    assert float((e.gradient * direction).sum()) == pytest.approx(numeric, rel=1e-5)


# ------------------------------------------------------------------ choosing the digits, inputs
def test_default_digits_are_the_top_two_and_an_explicit_target_is_compared_with_the_top() -> None:
    model = random_network(5)
    e = explain(model, random_image(5))
    order = np.argsort(e.probabilities)[::-1]
    assert (e.target, e.versus, e.top) == (order[0], order[1], order[0])
    other = int(order[4])
    assert (explain(model, random_image(5), target=other).versus) == order[0]
    assert explain(model, random_image(5), versus=other).target == order[0]


@pytest.mark.parametrize("kwargs, message", [
    ({"target": 3, "versus": 3}, "must differ"), ({"target": 10}, "digit 0-9"),
    ({"versus": -1}, "digit 0-9"), ({"target": 2.0}, "digit 0-9"), ({"target": True}, "digit 0-9")])
def test_bad_digits_are_refused(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        explain(random_network(0), random_image(0), **kwargs)


@pytest.mark.parametrize("image, message", [(np.zeros((28, 27)), "shape"), (np.zeros((2, 28, 28)), "shape"),
                                            (np.full((28, 28), np.nan), "non-finite")])
def test_bad_images_are_refused(image, message) -> None:
    with pytest.raises(ValueError, match=message):
        explain(random_network(0), image)


def test_a_flat_image_is_explained_and_an_empty_one_has_no_evidence() -> None:
    model = random_network(6)
    flat = explain(model, random_image(6).reshape(-1))
    assert flat.image.shape == flat.evidence.shape == flat.gradient.shape == (28, 28)
    empty = explain(model, np.zeros((28, 28)))
    assert not empty.evidence.any()
    assert empty.bias_term == pytest.approx(empty.logit_difference, abs=1e-12)


def test_the_explanation_keeps_its_own_copy_of_the_input() -> None:
    model = random_network(8, dtype=np.float32)
    grid = random_image(8).astype(np.float32)
    e = explain(model, grid)
    before = e.image.copy()
    grid[:] = 1.0
    np.testing.assert_array_equal(e.image, before)


def test_explainer_refuses_what_is_not_an_mlp() -> None:
    with pytest.raises(TypeError, match="MLP"):
        Explainer(object())


# ------------------------------------------------------------------ strongest units
def test_strongest_units_are_ordered_and_signed() -> None:
    model = random_network(9)
    e = explain(model, random_image(9))
    c = e.contributions[-1]
    toward = e.strongest_units(1, 4)
    assert list(toward) == list(np.argsort(c)[::-1][:len(toward)])
    assert np.all(c[toward] > 0) and len(toward) == min(4, int((c > 0).sum()))
    against = e.strongest_units(1, 3, toward=False)
    assert list(against) == list(np.argsort(c)[:len(against)]) and np.all(c[against] < 0)
    assert e.strongest_units(0, 0).size == 0
    assert e.strongest_units(0, 10_000).size == int((e.contributions[0] > 0).sum())


# ------------------------------------------------------------------ unit patterns
def _scale(model: MLP, i: int) -> np.ndarray:
    norm = model.norms[i]
    return norm.gamma / np.sqrt(norm.running_var + norm.eps)


def test_a_first_layer_unit_shows_its_incoming_weights() -> None:
    model = random_network(2)
    pattern = Explainer(model).unit_pattern(0, 5, random_image(2))
    np.testing.assert_allclose(pattern.reshape(-1), model.dense[0].W[:, 5] * _scale(model, 0)[5])
    plain = random_network(2, batch_norm=False)
    np.testing.assert_array_equal(Explainer(plain).unit_pattern(0, 5).reshape(-1), plain.dense[0].W[:, 5])


def test_a_deeper_unit_shows_its_gradient_at_the_image_or_the_linear_part_without_one() -> None:
    model = random_network(1)
    image = random_image(1)
    x, _, hidden, _ = reference_network(model.arrays(), model.layer_sizes, True, image.reshape(-1))
    z, _ = hidden[1]
    z[3].backward()
    np.testing.assert_allclose(Explainer(model).unit_pattern(1, 3, image).reshape(-1), x.grad, rtol=1e-10)
    linear = model.dense[0].W @ (_scale(model, 0) * model.dense[1].W[:, 3]) * _scale(model, 1)[3]
    np.testing.assert_allclose(Explainer(model).unit_pattern(1, 3).reshape(-1), linear, rtol=1e-10)


@pytest.mark.parametrize("layer, unit", [(-1, 0), (2, 0), (0, 24), (1, 16), (1, -1)])
def test_unit_pattern_refuses_units_that_do_not_exist(layer, unit) -> None:
    with pytest.raises(ValueError, match="must be"):
        Explainer(random_network(0)).unit_pattern(layer, unit)


# ------------------------------------------------------------------ batches and scales
def test_batch_activations_match_one_image_at_a_time() -> None:
    model = random_network(3)
    images = np.stack([random_image(s) for s in range(5)])
    explainer = Explainer(model)
    batch = explainer.hidden_activations(images)
    assert [a.shape for a in batch] == [(5, 24), (5, 16)]
    for n, image in enumerate(images):
        for layer, acts in enumerate(explainer.explain(image).activations):
            np.testing.assert_allclose(batch[layer][n], acts, rtol=1e-12)
    scales = explainer.activation_scales(images, percentile=100)
    assert scales == [pytest.approx(float(a.max())) for a in batch]
    with pytest.raises(ValueError, match="shape"):
        explainer.hidden_activations(np.zeros((5, 27, 28)))
    with pytest.raises(ValueError, match="percentile"):
        explainer.activation_scales(images, percentile=0)


def test_a_layer_that_never_fires_gets_scale_one() -> None:
    model = random_network(3, batch_norm=False)
    model.dense[0].b[...] = -1e6  # nothing gets through the first layer
    assert Explainer(model).activation_scales(np.stack([random_image(0)]))[0] == 1.0
