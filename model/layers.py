"""Building blocks of the network: Dense, ReLU, BatchNorm and Dropout.

One convention everywhere: a batch is a 2-D array ``x`` of shape (n, d_in), rows are samples, and a
Dense layer computes ``x @ W + b`` with ``W`` of shape (d_in, d_out) and ``b`` of shape (d_out,).

Every layer has ``forward(x, training) -> y``, ``backward(dy) -> dx``, and ``params`` / ``grads``
(lists of arrays in the same order; ``backward`` fills ``grads`` in place). ``decay`` says, per
parameter, whether L2 weight decay applies to it (weights yes, biases and batch-norm parameters no).

Speed: outputs and input gradients are written into buffers that each layer keeps per (shape, dtype),
so training allocates nothing per batch. The price is that an array returned by ``forward`` or
``backward`` is overwritten by the next call of the same layer with a batch of the same size: copy it
if you need to keep it. ``model.mlp.MLP`` does that for its public inference methods. Layers are
not thread-safe.
"""
from __future__ import annotations

import numpy as np

DEFAULT_DTYPE = np.float32


class Layer:
    """Base class: buffer management and the empty parameter lists."""

    def __init__(self) -> None:
        self._buffers: dict[tuple, np.ndarray] = {}

    params: list[np.ndarray] = []
    grads: list[np.ndarray] = []
    decay: list[bool] = []

    def _buffer(self, name: str, shape: tuple, dtype) -> np.ndarray:
        key = (name, shape, dtype)
        buf = self._buffers.get(key)
        if buf is None:
            if len(self._buffers) > 32:  # many distinct batch sizes: keep memory bounded
                self._buffers.clear()
            buf = self._buffers[key] = np.empty(shape, dtype)
        return buf

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


def he_normal(fan_in: int, fan_out: int, rng: np.random.Generator, dtype=DEFAULT_DTYPE) -> np.ndarray:
    """He initialisation for layers followed by ReLU: N(0, 2 / fan_in), shape (fan_in, fan_out)."""
    std = np.sqrt(2.0 / fan_in)
    return (rng.standard_normal((fan_in, fan_out), dtype=np.float64) * std).astype(dtype)


def xavier_normal(fan_in: int, fan_out: int, rng: np.random.Generator, dtype=DEFAULT_DTYPE) -> np.ndarray:
    """Xavier/Glorot initialisation for the softmax output layer: N(0, 2 / (fan_in + fan_out))."""
    std = np.sqrt(2.0 / (fan_in + fan_out))
    return (rng.standard_normal((fan_in, fan_out), dtype=np.float64) * std).astype(dtype)


INITIALISERS = {"he": he_normal, "xavier": xavier_normal}


class Dense(Layer):
    """Fully connected layer: y (n, d_out) = x (n, d_in) @ W (d_in, d_out) + b (d_out,).

    ``input_grad=False`` skips computing dx (the first layer's input gradient is never needed in
    training, and it is the most expensive product); ``backward`` then returns None.
    """

    def __init__(self, d_in: int, d_out: int, *, init: str = "he", rng: np.random.Generator | None = None,
                 dtype=DEFAULT_DTYPE, input_grad: bool = True) -> None:
        super().__init__()
        if init not in INITIALISERS:
            raise ValueError(f"unknown initialisation {init!r}; choose from {sorted(INITIALISERS)}")
        rng = np.random.default_rng(0) if rng is None else rng
        self.W = INITIALISERS[init](d_in, d_out, rng, dtype)
        self.b = np.zeros(d_out, dtype)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)
        self.input_grad = input_grad
        self._x: np.ndarray | None = None

    @property
    def params(self) -> list[np.ndarray]:
        return [self.W, self.b]

    @property
    def grads(self) -> list[np.ndarray]:
        return [self.dW, self.db]

    decay = [True, False]

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """x (n, d_in) -> y (n, d_out)."""
        out = self._buffer("y", (x.shape[0], self.W.shape[1]), self.W.dtype)
        np.matmul(x, self.W, out=out)
        out += self.b
        self._x = x
        return out

    def backward(self, dy: np.ndarray) -> np.ndarray | None:
        """dy (n, d_out) -> dx (n, d_in); fills dW (d_in, d_out) and db (d_out,)."""
        x = self._x
        np.matmul(x.T, dy, out=self.dW)
        np.sum(dy, axis=0, out=self.db)
        if not self.input_grad:
            return None
        dx = self._buffer("dx", x.shape, self.W.dtype)
        np.matmul(dy, self.W.T, out=dx)
        return dx


class ReLU(Layer):
    """y = max(x, 0), elementwise; shapes (n, d) -> (n, d)."""

    def __init__(self) -> None:
        super().__init__()
        self._y: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        out = self._buffer("y", x.shape, x.dtype)
        np.maximum(x, 0, out=out)
        self._y = out
        return out

    def backward(self, dy: np.ndarray) -> np.ndarray:
        dx = self._buffer("dx", dy.shape, dy.dtype)
        mask = self._buffer("mask", dy.shape, np.bool_)
        np.greater(self._y, 0, out=mask)
        np.multiply(dy, mask, out=dx)
        return dx


class BatchNorm(Layer):
    """Batch normalisation over the batch axis: x (n, d) -> gamma * x_hat + beta, (n, d).

    Training uses the batch's mean and (biased) variance and updates running estimates with
    ``momentum`` (new = (1 - momentum) * old + momentum * batch; the running variance uses the
    unbiased estimate, as PyTorch does). Inference uses the running estimates.
    """

    def __init__(self, d: int, *, momentum: float = 0.1, eps: float = 1e-5, dtype=DEFAULT_DTYPE) -> None:
        super().__init__()
        self.gamma = np.ones(d, dtype)
        self.beta = np.zeros(d, dtype)
        self.dgamma = np.zeros(d, dtype)
        self.dbeta = np.zeros(d, dtype)
        self.running_mean = np.zeros(d, dtype)
        self.running_var = np.ones(d, dtype)
        self.momentum = momentum
        self.eps = eps
        self._x_hat: np.ndarray | None = None
        self._inv_std: np.ndarray | None = None

    @property
    def params(self) -> list[np.ndarray]:
        return [self.gamma, self.beta]

    @property
    def grads(self) -> list[np.ndarray]:
        return [self.dgamma, self.dbeta]

    decay = [False, False]

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        n, d = x.shape
        out = self._buffer("y", x.shape, self.gamma.dtype)
        if not training:
            scale = self.gamma / np.sqrt(self.running_var + self.eps)
            np.subtract(x, self.running_mean, out=out)
            out *= scale
            out += self.beta
            return out
        mean = x.mean(axis=0)
        x_hat = self._buffer("x_hat", x.shape, self.gamma.dtype)
        np.subtract(x, mean, out=x_hat)
        np.multiply(x_hat, x_hat, out=out)
        var = out.mean(axis=0)
        inv_std = 1.0 / np.sqrt(var + self.eps)
        x_hat *= inv_std
        np.multiply(x_hat, self.gamma, out=out)
        out += self.beta
        self._x_hat, self._inv_std = x_hat, inv_std.astype(self.gamma.dtype, copy=False)
        m = self.momentum
        unbiased = var * (n / (n - 1)) if n > 1 else var
        self.running_mean *= 1 - m
        self.running_mean += m * mean
        self.running_var *= 1 - m
        self.running_var += m * unbiased
        return out

    def backward(self, dy: np.ndarray) -> np.ndarray:
        """dy (n, d) -> dx (n, d) = inv_std / n * (n * dy * gamma - sum(dy * gamma) - x_hat * sum(dy * gamma * x_hat))."""
        n = dy.shape[0]
        x_hat = self._x_hat
        dx = self._buffer("dx", dy.shape, self.gamma.dtype)
        np.sum(dy, axis=0, out=self.dbeta)
        np.multiply(dy, x_hat, out=dx)
        np.sum(dx, axis=0, out=self.dgamma)
        # dx = gamma * inv_std * (dy - mean(dy) - x_hat * mean(dy * x_hat))
        np.multiply(x_hat, self.dgamma / n, out=dx)
        np.subtract(dy, dx, out=dx)
        dx -= self.dbeta / n
        dx *= self.gamma * self._inv_std
        return dx


class Dropout(Layer):
    """Inverted dropout: in training, each unit is zeroed with probability ``rate`` and survivors are
    scaled by 1 / (1 - rate), so inference is the identity. Shapes (n, d) -> (n, d).

    ``fixed_mask`` (an (n, d) array of 0 and 1 / (1 - rate), or None) replaces the random mask; the
    gradient tests use it.
    """

    def __init__(self, rate: float, *, rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"dropout rate must be in [0, 1), got {rate}")
        self.rate = float(rate)
        self.rng = np.random.default_rng(0) if rng is None else rng
        self.fixed_mask: np.ndarray | None = None
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        if not training or (self.rate == 0.0 and self.fixed_mask is None):
            self._mask = None
            return x
        if self.fixed_mask is not None:
            mask = self.fixed_mask
        else:
            mask = self._buffer("mask", x.shape, x.dtype)
            self.rng.random(out=mask, dtype=mask.dtype)
            keep = self._buffer("keep", x.shape, np.bool_)
            np.greater_equal(mask, self.rate, out=keep)
            np.multiply(keep, 1.0 / (1.0 - self.rate), out=mask)
        self._mask = mask
        out = self._buffer("y", x.shape, x.dtype)
        np.multiply(x, mask, out=out)
        return out

    def backward(self, dy: np.ndarray) -> np.ndarray:
        if self._mask is None:
            return dy
        dx = self._buffer("dx", dy.shape, dy.dtype)
        np.multiply(dy, self._mask, out=dx)
        return dx
