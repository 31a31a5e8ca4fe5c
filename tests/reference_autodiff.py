"""A tiny reverse-mode autodiff on NumPy arrays (micrograd style), the tests' independent reference.

It knows only what an inference-mode MLP needs (vector @ matrix, +, -, elementwise *, ReLU, picking
one element) and computes everything in float64. ``reference_network`` rebuilds a network from
``MLP.arrays()`` with every bias, running mean and beta as a leaf, so the tests can read the
gradient with respect to the input and the bias term of the completeness identity from it,
without sharing a line with model/explain.py.
"""
from __future__ import annotations

import numpy as np


class Tensor:
    """A value (float64 array) with a gradient, the tensors it came from and how to push back."""

    def __init__(self, value, parents=(), push=None, name: str = "") -> None:
        self.value = np.asarray(value, dtype=np.float64)
        self.grad = np.zeros_like(self.value)
        self.parents = parents
        self.push = push  # push(grad_of_self) adds into the parents' grads
        self.name = name

    def __add__(self, other: "Tensor") -> "Tensor":
        out = Tensor(self.value + other.value, (self, other))

        def push(g):
            self.grad += g
            other.grad += g
        out.push = push
        return out

    def __sub__(self, other: "Tensor") -> "Tensor":
        out = Tensor(self.value - other.value, (self, other))

        def push(g):
            self.grad += g
            other.grad -= g
        out.push = push
        return out

    def __mul__(self, other: "Tensor") -> "Tensor":
        out = Tensor(self.value * other.value, (self, other))

        def push(g):
            self.grad += g * other.value
            other.grad += g * self.value
        out.push = push
        return out

    def __matmul__(self, other: "Tensor") -> "Tensor":
        # self (d_in,) @ other (d_in, d_out) -> (d_out,)
        out = Tensor(self.value @ other.value, (self, other))

        def push(g):
            self.grad += other.value @ g
            other.grad += np.outer(self.value, g)
        out.push = push
        return out

    def relu(self) -> "Tensor":
        out = Tensor(np.maximum(self.value, 0), (self,))

        def push(g):
            self.grad += g * (self.value > 0)
        out.push = push
        return out

    def __getitem__(self, index: int) -> "Tensor":
        out = Tensor(self.value[index], (self,))

        def push(g):
            self.grad[index] += g
        out.push = push
        return out

    def backward(self) -> None:
        """d self / d every tensor it depends on (self must be a scalar)."""
        order, seen = [], set()

        def visit(t):
            if id(t) not in seen:
                seen.add(id(t))
                for p in t.parents:
                    visit(p)
                order.append(t)
        visit(self)
        for t in order:
            t.grad = np.zeros_like(t.value)
        self.grad = np.ones_like(self.value)
        for t in reversed(order):
            if t.push is not None:
                t.push(t.grad)


def reference_network(arrays: dict, layer_sizes, batch_norm: bool, x, eps: float = 1e-5):
    """Build the inference-mode network on input x (784,) -> (x, logits, hidden, leaves).

    hidden: per hidden layer (pre-activation after batch norm, activation) tensors. leaves: the
    additive leaves (biases, running means, betas) by name, whose value . grad sums make the bias
    term (the network is positively homogeneous of degree 1 in the input and these jointly).
    """
    x = Tensor(x, name="x")
    leaves = {}
    hidden = []
    h = x
    n_layers = len(layer_sizes) - 1
    for i in range(1, n_layers + 1):
        W = Tensor(arrays[f"W{i}"], name=f"W{i}")
        b = leaves[f"b{i}"] = Tensor(arrays[f"b{i}"], name=f"b{i}")
        z = h @ W + b
        if i == n_layers:
            return x, z, hidden, leaves
        if batch_norm:
            mean = leaves[f"bn{i}_mean"] = Tensor(arrays[f"bn{i}_mean"], name=f"bn{i}_mean")
            beta = leaves[f"bn{i}_beta"] = Tensor(arrays[f"bn{i}_beta"], name=f"bn{i}_beta")
            gamma = Tensor(arrays[f"bn{i}_gamma"])
            inv_std = Tensor(1.0 / np.sqrt(np.asarray(arrays[f"bn{i}_var"], np.float64) + eps))
            z = (z - mean) * inv_std * gamma + beta
        a = z.relu()
        hidden.append((z, a))
        h = a
    raise AssertionError("unreachable")
