"""The multilayer perceptron: 784 inputs, any hidden ReLU layers, 10 softmax outputs.

Shapes: a batch X is (n, 784) float32 (row-major flattening of (n, 28, 28) images in [0, 1]);
logits and probabilities are (n, 10). Each hidden layer i is Dense(W_i (d_{i-1}, d_i), b_i (d_i,)),
then optional BatchNorm, ReLU, then optional Dropout; the output layer is Dense only.

All trainable arrays live in two contiguous float32 vectors (weights, which get L2 decay, and the
rest), each layer's arrays being views into them, so an optimiser updates the whole network with a
handful of vector operations (see ``param_groups``).
"""
from __future__ import annotations

import threading

import numpy as np

from model.layers import BatchNorm, Dense, Dropout, Layer, ReLU

INPUT_SIZE = 784
OUTPUT_SIZE = 10
_INFER_CHUNK = 1024


def validate_layer_sizes(layer_sizes) -> list[int]:
    """Return layer_sizes as a list of ints, or raise ValueError: [784, h1, ..., 10], all >= 1."""
    try:
        sizes = [int(s) for s in layer_sizes]
    except (TypeError, ValueError):
        raise ValueError(f"layer_sizes must be a list of integers, got {layer_sizes!r}") from None
    if len(sizes) < 2 or sizes[0] != INPUT_SIZE or sizes[-1] != OUTPUT_SIZE:
        raise ValueError(f"layer_sizes must run from {INPUT_SIZE} to {OUTPUT_SIZE}, got {sizes}")
    if any(s < 1 for s in sizes):
        raise ValueError(f"layer sizes must be positive, got {sizes}")
    return sizes


class MLP:
    """MLP(layer_sizes=[784, h1, ..., 10], *, batch_norm=False, dropout=0.0, seed=0, dtype=float32).

    Same seed -> same initial weights and the same dropout masks. ``dtype`` exists for the float64
    gradient checks; the product uses float32.
    """

    def __init__(self, layer_sizes, *, batch_norm: bool = False, dropout: float = 0.0, seed: int = 0,
                 dtype=np.float32) -> None:
        self.layer_sizes = validate_layer_sizes(layer_sizes)
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.batch_norm = bool(batch_norm)
        self.dropout = float(dropout)
        self.seed = int(seed)
        self.dtype = np.dtype(dtype)
        init_rng, dropout_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(self.seed).spawn(2))
        self.dense: list[Dense] = []
        self.norms: list[BatchNorm] = []
        self.dropouts: list[Dropout] = []
        self.layers: list[Layer] = []
        n_layers = len(self.layer_sizes) - 1
        for i in range(n_layers):
            last = i == n_layers - 1
            dense = Dense(self.layer_sizes[i], self.layer_sizes[i + 1], init="xavier" if last else "he",
                          rng=init_rng, dtype=self.dtype, input_grad=i > 0)
            self.dense.append(dense)
            self.layers.append(dense)
            if last:
                break
            if self.batch_norm:
                norm = BatchNorm(self.layer_sizes[i + 1], dtype=self.dtype)
                self.norms.append(norm)
                self.layers.append(norm)
            self.layers.append(ReLU())
            if self.dropout > 0:
                drop = Dropout(self.dropout, rng=dropout_rng)
                self.dropouts.append(drop)
                self.layers.append(drop)
        self._flatten_parameters()
        self._local = threading.local()  # inference buffers per thread: the app may predict off the UI thread

    # ----------------------------------------------------------------- parameters
    def _flatten_parameters(self) -> None:
        """Move every trainable array (and its gradient) into two contiguous vectors, as views."""
        decayed, plain = [], []
        for layer in self.layers:
            for name_p, name_g, decay in _param_names(layer):
                (decayed if decay else plain).append((layer, name_p, name_g))
        self._groups = []
        for members in (decayed, plain):
            size = sum(getattr(layer, p).size for layer, p, _ in members)
            flat_p = np.empty(size, self.dtype)
            flat_g = np.zeros(size, self.dtype)
            offset = 0
            for layer, p, g in members:
                old = getattr(layer, p)
                view_p = flat_p[offset:offset + old.size].reshape(old.shape)
                view_p[...] = old
                setattr(layer, p, view_p)
                setattr(layer, g, flat_g[offset:offset + old.size].reshape(old.shape))
                offset += old.size
            self._groups.append((flat_p, flat_g))

    def param_groups(self) -> list[tuple[np.ndarray, np.ndarray, bool]]:
        """[(params, grads, decay)]: two flat vectors covering all trainable arrays; decay says
        whether L2 weight decay applies (True for Dense weights, False for biases and batch norm)."""
        (wp, wg), (op, og) = self._groups
        return [(wp, wg, True), (op, og, False)]

    @property
    def params(self) -> list[np.ndarray]:
        return [p for layer in self.layers for p in layer.params]

    @property
    def grads(self) -> list[np.ndarray]:
        return [g for layer in self.layers for g in layer.grads]

    def weights(self) -> list[np.ndarray]:
        """The Dense weight matrices W1, W2, ... (the arrays L2 decay applies to)."""
        return [d.W for d in self.dense]

    # ------------------------------------------------------------------- training path
    def forward(self, X: np.ndarray, training: bool = False) -> np.ndarray:
        """X (n, 784) (or (n, 28, 28)) -> logits (n, 10).

        training=True uses batch statistics and dropout, keeps what backward needs, and returns a
        buffer owned by the network (overwritten by the next training forward pass of that size).
        training=False returns a new array.
        """
        if not training:
            return self._infer(_as_batch(X, self.dtype), softmax_output=False)
        h = X if X.ndim == 2 else X.reshape(X.shape[0], -1)
        for layer in self.layers:
            h = layer.forward(h, True)
        return h

    def backward(self, dlogits: np.ndarray) -> None:
        """dlogits (n, 10) from the last training forward pass -> fills every layer's grads."""
        dy = dlogits
        for layer in reversed(self.layers):
            dy = layer.backward(dy)

    # ------------------------------------------------------------------- inference path
    def _infer(self, X: np.ndarray, softmax_output: bool) -> np.ndarray:
        """X (n, 784) of self.dtype -> logits or probabilities (n, 10), a new array."""
        n = X.shape[0]
        if n <= _INFER_CHUNK:
            return self._infer_chunk(X, softmax_output).copy()
        out = np.empty((n, OUTPUT_SIZE), self.dtype)
        for start in range(0, n, _INFER_CHUNK):
            out[start:start + _INFER_CHUNK] = self._infer_chunk(X[start:start + _INFER_CHUNK], softmax_output)
        return out

    def _infer_chunk(self, X: np.ndarray, softmax_output: bool) -> np.ndarray:
        n = X.shape[0]
        cache = getattr(self._local, "buffers", None)
        if cache is None:
            cache = self._local.buffers = {}
        bufs = cache.get((n, X.dtype))
        if bufs is None:
            if len(cache) > 8:
                cache.clear()
            bufs = cache[(n, X.dtype)] = [np.empty((n, s), self.dtype) for s in self.layer_sizes[1:]]
        h = X
        last = len(self.dense) - 1
        for i, dense in enumerate(self.dense):
            out = bufs[i]
            np.matmul(h, dense.W, out=out)
            out += dense.b
            if i < last:
                if self.batch_norm:
                    norm = self.norms[i]
                    out -= norm.running_mean
                    out *= norm.gamma / np.sqrt(norm.running_var + norm.eps)
                    out += norm.beta
                np.maximum(out, 0, out=out)
            h = out
        if softmax_output:
            h -= h.max(axis=1, keepdims=True)
            np.exp(h, out=h)
            h /= h.sum(axis=1, keepdims=True)
        return h

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Class probabilities. x (28, 28) or (784,) -> (10,); (n, 28, 28) or (n, 784) -> (n, 10)."""
        x = np.asarray(x)
        single = x.shape in ((28, 28), (INPUT_SIZE,))
        X = _as_batch(x, self.dtype)
        probs = self._infer(X, softmax_output=True)
        return probs[0] if single else probs

    def predict(self, x: np.ndarray):
        """Most likely digit: x (28, 28) or (784,) -> int; (n, 28, 28) or (n, 784) -> (n,) int64."""
        probs = self.predict_proba(x)
        return int(np.argmax(probs)) if probs.ndim == 1 else np.argmax(probs, axis=1)

    # ----------------------------------------------------------------- state as arrays
    def config(self) -> dict:
        return {"layer_sizes": list(self.layer_sizes), "activation": "relu",
                "batch_norm": self.batch_norm, "dropout": self.dropout}

    def arrays(self) -> dict[str, np.ndarray]:
        """Copies of every array defining the network: W1, b1, W2, ... and, with batch norm,
        bn1_gamma, bn1_beta, bn1_mean, bn1_var, ... (one per hidden layer)."""
        out: dict[str, np.ndarray] = {}
        for i, dense in enumerate(self.dense, start=1):
            out[f"W{i}"] = dense.W.copy()
            out[f"b{i}"] = dense.b.copy()
        for i, norm in enumerate(self.norms, start=1):
            out[f"bn{i}_gamma"] = norm.gamma.copy()
            out[f"bn{i}_beta"] = norm.beta.copy()
            out[f"bn{i}_mean"] = norm.running_mean.copy()
            out[f"bn{i}_var"] = norm.running_var.copy()
        return out

    def expected_shapes(self) -> dict[str, tuple[int, ...]]:
        """Name -> shape of every array ``arrays()`` returns."""
        return expected_shapes(self.layer_sizes, self.batch_norm)

    def set_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Copy arrays (names as in ``arrays()``) into the network in place; ValueError on a missing
        name or a wrong shape."""
        for name, shape in self.expected_shapes().items():
            if name not in arrays:
                raise ValueError(f"missing array {name}")
            value = np.asarray(arrays[name])
            if value.shape != shape:
                raise ValueError(f"array {name} has shape {value.shape}, expected {shape}")
        for i, dense in enumerate(self.dense, start=1):
            dense.W[...] = arrays[f"W{i}"]
            dense.b[...] = arrays[f"b{i}"]
        for i, norm in enumerate(self.norms, start=1):
            norm.gamma[...] = arrays[f"bn{i}_gamma"]
            norm.beta[...] = arrays[f"bn{i}_beta"]
            norm.running_mean[...] = arrays[f"bn{i}_mean"]
            norm.running_var[...] = arrays[f"bn{i}_var"]

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], layer_sizes, batch_norm: bool = False,
                    dropout: float = 0.0) -> "MLP":
        """A network holding the given arrays (see ``arrays()``); ValueError when they do not fit."""
        model = cls(layer_sizes, batch_norm=batch_norm, dropout=dropout)
        model.set_arrays(arrays)
        return model


def expected_shapes(layer_sizes, batch_norm: bool) -> dict[str, tuple[int, ...]]:
    """Name -> shape of the arrays of an MLP with these layer sizes (see ``MLP.arrays``)."""
    sizes = validate_layer_sizes(layer_sizes)
    shapes: dict[str, tuple[int, ...]] = {}
    for i in range(1, len(sizes)):
        shapes[f"W{i}"] = (sizes[i - 1], sizes[i])
        shapes[f"b{i}"] = (sizes[i],)
    if batch_norm:
        for i in range(1, len(sizes) - 1):
            for part in ("gamma", "beta", "mean", "var"):
                shapes[f"bn{i}_{part}"] = (sizes[i],)
    return shapes


def _param_names(layer: Layer) -> list[tuple[str, str, bool]]:
    if isinstance(layer, Dense):
        return [("W", "dW", True), ("b", "db", False)]
    if isinstance(layer, BatchNorm):
        return [("gamma", "dgamma", False), ("beta", "dbeta", False)]
    return []


def _as_batch(x: np.ndarray, dtype) -> np.ndarray:
    """(28, 28) | (784,) | (n, 28, 28) | (n, 784) -> C-contiguous (n, 784) of dtype (no copy when
    it already is one)."""
    x = np.asarray(x)
    if x.shape in ((28, 28), (INPUT_SIZE,)):
        x = x.reshape(1, INPUT_SIZE)
    elif x.ndim == 3 and x.shape[1:] == (28, 28):
        x = x.reshape(x.shape[0], INPUT_SIZE)
    elif not (x.ndim == 2 and x.shape[1] == INPUT_SIZE):
        raise ValueError(f"expected an image of shape (28, 28) or (784,), or a batch (n, 28, 28) or "
                         f"(n, 784); got shape {x.shape}")
    return np.ascontiguousarray(x, dtype=dtype)
