"""Why the network decided: the evidence for one digit over another, layer by layer, exactly.

In inference mode every hidden layer of ``model.mlp.MLP`` is an affine map followed by ReLU (batch
norm with running statistics is a per-unit scale and shift), so for a fixed pattern of active units
the whole network is affine in its input. For one input x and two digits t (the *target*, by
default the top reading) and r (*versus*, by default the runner-up), with
d(x) = logit_t(x) - logit_r(x):

    d(x) = sum(x * g) + c            (exact; "completeness")

where g = dd/dx is the gradient at x (the model's own arrays, one backward pass in inference
mode) and c, the *bias term*, is what the biases and batch-norm shifts of the active units add:

    c = sum_i shift_i . dd/du_i + (b_out[t] - b_out[r])

(u_i: hidden layer i's pre-activation after batch norm; shift_i = (b_i - mean_i) * scale_i + beta_i,
or b_i without batch norm). So c = 0 for a network without biases and shifts, and then the evidence
sums to the logit difference. The *evidence* shown on the 28x28 grid is input x gradient, x * g:
pixels with ink only, positive where the ink pushes the reading toward t, negative toward r.

The same identity holds at every hidden layer: with a_i the layer's activations (after ReLU),
``contributions[i] = a_i * dd/da_i`` sums, plus the bias terms of the layers after it, to d. For the
last hidden layer this is a_j * (W_out[j, t] - W_out[j, r]): unit j's share of the logit
difference. These are the "units that contributed most" in the network view.

Hidden layers are numbered from 0 (the first hidden layer). Shapes: an image is (28, 28) (or
(784,)) in [0, 1]; layer i has d_i units. Cost for one image: one matrix-vector product per layer
forward and one back (about 0.2 ms for 784-768-768-10 on one core; see benchmarks/explain_speed.py).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.mlp import INPUT_SIZE, MLP, OUTPUT_SIZE

IMAGE_SHAPE = (28, 28)


@dataclass(frozen=True)
class Explanation:
    """What the network did with one input and why it prefers ``target`` to ``versus``.

    image (28, 28): the input as read. logits, probabilities (10,). activations: per hidden layer,
    (d_i,) after ReLU. target, versus: the two digits compared. logit_difference: logits[target] -
    logits[versus]. gradient (28, 28): d logit_difference / d input. evidence (28, 28): image *
    gradient. layer_bias_terms: per hidden layer, its shift's share of the bias term (float);
    output_bias_term: b_out[target] - b_out[versus]. contributions: per hidden layer, (d_i,)
    activation * d logit_difference / d activation. All arrays are the model's dtype and owned by
    the explanation.
    """

    image: np.ndarray
    logits: np.ndarray
    probabilities: np.ndarray
    activations: tuple[np.ndarray, ...]
    target: int
    versus: int
    logit_difference: float
    gradient: np.ndarray
    evidence: np.ndarray
    layer_bias_terms: tuple[float, ...]
    output_bias_term: float
    contributions: tuple[np.ndarray, ...]

    @property
    def top(self) -> int:
        """The most probable digit."""
        return int(np.argmax(self.probabilities))

    @property
    def bias_term(self) -> float:
        """c in logit_difference = sum(evidence) + c: biases and shifts through the active units."""
        return float(sum(self.layer_bias_terms) + self.output_bias_term)

    def bias_after(self, layer: int) -> float:
        """The bias terms of the layers after hidden ``layer``: sum(contributions[layer]) plus this is
        the logit difference."""
        return float(sum(self.layer_bias_terms[layer + 1:]) + self.output_bias_term)

    def strongest_units(self, layer: int, k: int = 5, *, toward: bool = True) -> np.ndarray:
        """Indices (<= k,) of hidden ``layer``'s units with the largest contributions toward the
        target (toward=True) or toward ``versus`` (False), strongest first; units contributing
        nothing in that direction are left out."""
        values = self.contributions[layer] if toward else -self.contributions[layer]
        # Sorting only the units pushing this way: fewer, and argpartition is slow on the many
        # exact zeros of silent units.
        candidates = np.flatnonzero(values > 0)
        best = candidates[np.argsort(values[candidates], kind="stable")[::-1]]
        return best[:max(0, int(k))].astype(np.int64)


class Explainer:
    """Explanations for one ``MLP``: ``Explainer(model).explain(image)`` per pen event.

    Reads the model's arrays at every call (nothing is copied), so it follows weights changed in
    place; each call allocates its own arrays, so calls from several threads do not interfere.
    """

    def __init__(self, model: MLP) -> None:
        if not isinstance(model, MLP):
            raise TypeError(f"expected a model.mlp.MLP, got {type(model).__name__}")
        self.model = model

    @property
    def hidden_sizes(self) -> list[int]:
        """Units per hidden layer, first to last."""
        return list(self.model.layer_sizes[1:-1])

    def _affine(self, i: int) -> tuple[np.ndarray | None, np.ndarray]:
        """(scale or None, shift) of hidden layer i: u_i = (h_{i-1} @ W_i) * scale + shift."""
        dense = self.model.dense[i]
        if not self.model.batch_norm:
            return None, dense.b
        norm = self.model.norms[i]
        scale = norm.gamma / np.sqrt(norm.running_var + norm.eps)
        return scale, (dense.b - norm.running_mean) * scale + norm.beta

    def _input(self, image) -> np.ndarray:
        x = np.asarray(image)
        if x.shape not in (IMAGE_SHAPE, (INPUT_SIZE,)):
            raise ValueError(f"expected one image of shape (28, 28) or (784,), got shape {x.shape}")
        x = np.array(x.reshape(INPUT_SIZE), dtype=self.model.dtype)  # a copy: the caller's grid changes
        if not np.all(np.isfinite(x)):
            raise ValueError("the image contains non-finite values (NaN or inf)")
        return x

    def _forward(self, x: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray], list, np.ndarray]:
        """x (784,) -> (pre-activations u_i, activations a_i, affines, logits (10,))."""
        pre, acts, affines = [], [], []
        h = x
        dense = self.model.dense
        for i in range(len(dense) - 1):
            scale, shift = self._affine(i)
            u = h @ dense[i].W
            if scale is not None:
                u *= scale
            u += shift
            pre.append(u)
            affines.append((scale, shift))
            h = np.maximum(u, 0)
            acts.append(h)
        logits = h @ dense[-1].W + dense[-1].b
        return pre, acts, affines, logits

    def explain(self, image, target: int | None = None, versus: int | None = None) -> Explanation:
        """Explain one image (28, 28) or (784,) in [0, 1].

        target: the digit to explain (default: the most probable); versus: the digit it is
        compared with (default: the most probable digit other than target). ValueError for a
        wrong shape, non-finite pixels, a digit outside 0-9 or target == versus.
        """
        x = self._input(image)
        pre, acts, affines, logits = self._forward(x)
        probabilities = _softmax(logits)
        target, versus = _pick_digits(probabilities, target, versus)
        W_out, b_out = self.model.dense[-1].W, self.model.dense[-1].b
        grad_h = W_out[:, target] - W_out[:, versus]   # dd/da of the last hidden layer
        n_hidden = len(acts)
        contributions: list[np.ndarray] = [None] * n_hidden  # type: ignore[list-item]
        bias_terms: list[float] = [0.0] * n_hidden
        for i in range(n_hidden - 1, -1, -1):
            contributions[i] = acts[i] * grad_h
            grad_u = grad_h * (pre[i] > 0)                    # dd/du_i
            scale, shift = affines[i]
            bias_terms[i] = float(grad_u @ shift)
            grad_z = grad_u if scale is None else grad_u * scale
            grad_h = self.model.dense[i].W @ grad_z           # dd/da_{i-1}, or dd/dx when i == 0
        gradient = grad_h.reshape(IMAGE_SHAPE)
        image_2d = x.reshape(IMAGE_SHAPE)
        return Explanation(
            image=image_2d, logits=logits, probabilities=probabilities, activations=tuple(acts),
            target=target, versus=versus, logit_difference=float(logits[target] - logits[versus]),
            gradient=gradient, evidence=image_2d * gradient, layer_bias_terms=tuple(bias_terms),
            output_bias_term=float(b_out[target] - b_out[versus]), contributions=tuple(contributions))

    def unit_pattern(self, layer: int, unit: int, image=None) -> np.ndarray:
        """(28, 28): the input pattern hidden unit ``unit`` of ``layer`` responds to, du/dx, where u
        is the unit's value before ReLU (after batch norm).

        For the first hidden layer (layer 0) this is the unit's incoming weights W1[:, unit] times
        its batch-norm scale (the raw weights without batch norm; the same picture as the raw
        weights whenever that scale is positive), whatever the image. For a deeper unit it is its
        incoming weights traced back through the units active for ``image``: exact near that
        image. Without an image every upstream unit counts as active (the linear part of the
        network, an input-independent picture).
        """
        n_hidden = len(self.model.dense) - 1
        if not 0 <= layer < n_hidden:
            raise ValueError(f"layer must be 0 to {n_hidden - 1}, got {layer}")
        size = self.model.layer_sizes[layer + 1]
        if not 0 <= unit < size:
            raise ValueError(f"unit must be 0 to {size - 1} in layer {layer}, got {unit}")
        pre = self._forward(self._input(image))[0] if image is not None and layer > 0 else None
        scale, _ = self._affine(layer)
        grad_h = self.model.dense[layer].W[:, unit] * (1.0 if scale is None else scale[unit])
        for i in range(layer - 1, -1, -1):
            grad_u = grad_h if pre is None else grad_h * (pre[i] > 0)
            scale, _ = self._affine(i)
            grad_h = self.model.dense[i].W @ (grad_u if scale is None else grad_u * scale)
        return np.ascontiguousarray(grad_h.reshape(IMAGE_SHAPE), dtype=self.model.dtype)

    def hidden_activations(self, images) -> list[np.ndarray]:
        """Activations of a batch: images (n, 28, 28) or (n, 784) -> per hidden layer (n, d_i)."""
        X = np.asarray(images)
        if X.ndim == 3 and X.shape[1:] == IMAGE_SHAPE:
            X = X.reshape(X.shape[0], INPUT_SIZE)
        if X.ndim != 2 or X.shape[1] != INPUT_SIZE:
            raise ValueError(f"expected images of shape (n, 28, 28) or (n, 784), got shape {X.shape}")
        h = X.astype(self.model.dtype, copy=False)
        out = []
        for i in range(len(self.model.dense) - 1):
            scale, shift = self._affine(i)
            u = h @ self.model.dense[i].W
            if scale is not None:
                u *= scale
            u += shift
            h = np.maximum(u, 0, out=u)
            out.append(h)
        return out

    def activation_scales(self, images, percentile: float = 99.0) -> list[float]:
        """A fixed brightness scale per hidden layer: the ``percentile`` of its activations over
        ``images`` (n, 28, 28), so the network view's brightness means the same from one drawing
        to the next (the examples sample is a good choice). 1.0 for a layer that never fires."""
        if not 0 < percentile <= 100:
            raise ValueError(f"percentile must be in (0, 100], got {percentile}")
        scales = []
        for acts in self.hidden_activations(images):
            value = float(np.percentile(acts, percentile)) if acts.size else 0.0
            scales.append(value if value > 0 else 1.0)
        return scales


def explain(model: MLP, image, target: int | None = None, versus: int | None = None) -> Explanation:
    """``Explainer(model).explain(image, target, versus)``: see there."""
    return Explainer(model).explain(image, target, versus)


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max())
    return shifted / shifted.sum()


def _digit(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not 0 <= value < OUTPUT_SIZE:
        raise ValueError(f"{name} must be a digit 0-9, got {value!r}")
    return int(value)


def _pick_digits(probabilities: np.ndarray, target, versus) -> tuple[int, int]:
    """(target, versus): the top digit and the most probable other one unless given."""
    order = np.argsort(probabilities, kind="stable")[::-1]
    target = int(order[0]) if target is None else _digit(target, "target")
    if versus is None:
        versus = int(order[0]) if int(order[0]) != target else int(order[1])
    else:
        versus = _digit(versus, "versus")
    if versus == target:
        raise ValueError(f"target and versus must differ, both are {target}")
    return target, versus
