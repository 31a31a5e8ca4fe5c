"""Optimisers (SGD with momentum, Adam), L2 weight decay, and learning-rate schedules.

An optimiser updates a list of parameter arrays in place from their gradients:
``optimizer.step(params, grads, decay)``; ``decay[i]`` says whether L2 weight decay applies to
``params[i]`` (the gradient used is then ``grad + weight_decay * param``, the gradient of
``loss + weight_decay / 2 * ||param||^2``). State (velocity, moments) is kept per list position, so
pass the same arrays in the same order every step; ``MLP.param_groups()`` gives two flat vectors,
which makes every update a few vector operations over the whole network. ``lr`` may be changed
between steps (the schedule does so).
"""
from __future__ import annotations

import math

import numpy as np


class Optimizer:
    def __init__(self, lr: float, weight_decay: float = 0.0) -> None:
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        if weight_decay < 0:
            raise ValueError(f"weight decay must be >= 0, got {weight_decay}")
        self.lr = float(lr)
        self.weight_decay = float(weight_decay)
        self._scratch: list[np.ndarray] = []

    def _state(self, params: list[np.ndarray], names: tuple[str, ...]) -> None:
        if not self._scratch:
            self._scratch = [np.empty_like(p) for p in params]
            for name in names:
                setattr(self, name, [np.zeros_like(p) for p in params])

    def _effective_grad(self, i: int, param: np.ndarray, grad: np.ndarray, decays: bool) -> np.ndarray:
        """grad, or grad + weight_decay * param (in a scratch buffer) where decay applies."""
        if decays and self.weight_decay:
            g = self._scratch[i]
            np.multiply(param, self.weight_decay, out=g)
            g += grad
            return g
        return grad

    def step(self, params, grads, decay=None) -> None:  # pragma: no cover
        raise NotImplementedError


class SGD(Optimizer):
    """SGD with momentum, PyTorch's formulation: v = momentum * v + g; p -= lr * v.
    Nesterov: p -= lr * (g + momentum * v) with the updated v."""

    def __init__(self, lr: float = 0.05, momentum: float = 0.9, nesterov: bool = False,
                 weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1), got {momentum}")
        if nesterov and momentum == 0:
            raise ValueError("Nesterov momentum needs momentum > 0")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def step(self, params, grads, decay=None) -> None:
        decay = [True] * len(params) if decay is None else decay
        self._state(params, ("velocity", "_update"))
        for i, (p, g, d) in enumerate(zip(params, grads, decay)):
            g = self._effective_grad(i, p, g, d)
            update = self._update[i]
            if self.momentum == 0:
                np.multiply(g, self.lr, out=update)
            else:
                v = self.velocity[i]
                v *= self.momentum
                v += g
                if self.nesterov:
                    np.multiply(v, self.momentum, out=update)
                    update += g
                    update *= self.lr
                else:
                    np.multiply(v, self.lr, out=update)
            p -= update


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction, PyTorch's formulation:
    m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)."""

    def __init__(self, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0) -> None:
        super().__init__(lr, weight_decay)
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"Adam betas must be in [0, 1), got {betas}")
        if not eps > 0:
            raise ValueError(f"Adam eps must be positive, got {eps}")
        self.betas = (float(b1), float(b2))
        self.eps = float(eps)
        self.t = 0
        self._scratch2: list[np.ndarray] = []

    def step(self, params, grads, decay=None) -> None:
        decay = [True] * len(params) if decay is None else decay
        self._state(params, ("m", "v"))
        if not self._scratch2:
            self._scratch2 = [np.empty_like(p) for p in params]
        self.t += 1
        b1, b2 = self.betas
        bias1 = 1 - b1 ** self.t
        sqrt_bias2 = math.sqrt(1 - b2 ** self.t)
        for i, (p, g, d) in enumerate(zip(params, grads, decay)):
            g = self._effective_grad(i, p, g, d)
            m, v, tmp = self.m[i], self.v[i], self._scratch2[i]
            m *= b1
            np.multiply(g, 1 - b1, out=tmp)
            m += tmp
            v *= b2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - b2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp *= 1.0 / sqrt_bias2
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= self.lr / bias1
            p -= tmp


SCHEDULES = ("constant", "cosine", "step")


class LearningRateSchedule:
    """Learning rate per optimisation step (0-based), with a linear warm-up.

    LearningRateSchedule(kind, base_lr, total_steps, warmup_steps=0, *, min_lr=0.0,
                         step_every=None, gamma=0.1)
    - warm-up: steps 0 .. warmup_steps-1 rise linearly, lr = base_lr * (step + 1) / warmup_steps;
    - 'constant': base_lr afterwards;
    - 'cosine': from base_lr at the end of warm-up down to min_lr at total_steps, half a cosine;
    - 'step': base_lr * gamma ** ((step - warmup_steps) // step_every).
    """

    def __init__(self, kind: str, base_lr: float, total_steps: int, warmup_steps: int = 0, *,
                 min_lr: float = 0.0, step_every: int | None = None, gamma: float = 0.1) -> None:
        if kind not in SCHEDULES:
            raise ValueError(f"unknown schedule {kind!r}; choose from {', '.join(SCHEDULES)}")
        if not base_lr > 0:
            raise ValueError(f"learning rate must be positive, got {base_lr}")
        if total_steps < 1 or warmup_steps < 0:
            raise ValueError(f"need total_steps >= 1 and warmup_steps >= 0, got {total_steps}, {warmup_steps}")
        if not 0 <= min_lr <= base_lr:
            raise ValueError(f"min_lr must be in [0, base_lr], got {min_lr}")
        if kind == "step" and (step_every is None or step_every < 1):
            raise ValueError("the step schedule needs step_every >= 1")
        if not 0 < gamma <= 1:
            raise ValueError(f"gamma must be in (0, 1], got {gamma}")
        self.kind, self.base_lr, self.total_steps = kind, float(base_lr), int(total_steps)
        self.warmup_steps, self.min_lr = int(warmup_steps), float(min_lr)
        self.step_every, self.gamma = step_every, float(gamma)

    def __call__(self, step: int) -> float:
        if step < self.warmup_steps:
            return self.base_lr * (step + 1) / self.warmup_steps
        after = step - self.warmup_steps
        if self.kind == "constant":
            return self.base_lr
        if self.kind == "step":
            return self.base_lr * self.gamma ** (after // self.step_every)
        span = max(1, self.total_steps - self.warmup_steps)
        progress = min(1.0, after / span)
        return self.min_lr + 0.5 * (self.base_lr - self.min_lr) * (1 + math.cos(math.pi * progress))
