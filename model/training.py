"""Mini-batch training with validation, early stopping and clean interruption.

``train(model, X, y, X_val, y_val, config)`` trains ``model`` in place and returns a ``TrainResult``.
X is (n, 784) float32 in [0, 1] (uint8 images (n, 28, 28) or (n, 784) are scaled by 1/255 once);
y is (n,) integer labels 0..9.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from model.blas_threads import blas_threads
from model.losses import softmax_cross_entropy
from model.mlp import INPUT_SIZE, MLP, OUTPUT_SIZE
from model.optim import SCHEDULES, SGD, Adam, LearningRateSchedule, Optimizer

OPTIMIZERS = ("sgd", "adam")
_EVAL_CHUNK = 1024


@dataclass
class TrainConfig:
    """Every training setting, validated once on construction (ValueError naming the field).

    warmup is in epochs (may be fractional); step_epochs is the step schedule's period in epochs;
    patience is the number of epochs without a better validation accuracy before stopping (None or
    0: no early stopping); hidden, dropout and batch_norm describe the network ``build_model`` makes.
    blas_threads: OpenBLAS threads during training (None: leave as is); 1 is fastest for these
    matrix sizes (see model/blas_threads.py) and keeps results reproducible.
    """
    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    nesterov: bool = False
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    schedule: str = "cosine"
    warmup: float = 0.0
    min_lr: float = 0.0
    step_epochs: int = 10
    gamma: float = 0.1
    batch_size: int = 128
    epochs: int = 20
    weight_decay: float = 0.0
    dropout: float = 0.0
    batch_norm: bool = False
    seed: int = 0
    val_split: float = 0.1
    patience: int | None = None
    hidden: tuple[int, ...] = (256, 128)
    blas_threads: int | None = 1

    def __post_init__(self) -> None:
        def fail(name: str, why: str) -> None:
            raise ValueError(f"invalid training setting {name}={getattr(self, name)!r}: {why}")

        if self.optimizer not in OPTIMIZERS:
            fail("optimizer", f"choose from {', '.join(OPTIMIZERS)}")
        if self.schedule not in SCHEDULES:
            fail("schedule", f"choose from {', '.join(SCHEDULES)}")
        checks = [
            ("lr", self.lr > 0 and math.isfinite(self.lr), "must be a positive number"),
            ("momentum", 0 <= self.momentum < 1, "must be in [0, 1)"),
            ("nesterov", not (self.nesterov and self.momentum == 0), "needs momentum > 0"),
            ("betas", len(self.betas) == 2 and all(0 <= b < 1 for b in self.betas), "must be two numbers in [0, 1)"),
            ("eps", self.eps > 0, "must be positive"),
            ("warmup", 0 <= self.warmup <= self.epochs, "must be between 0 and the number of epochs"),
            ("min_lr", 0 <= self.min_lr <= self.lr, "must be in [0, lr]"),
            ("step_epochs", int(self.step_epochs) == self.step_epochs and self.step_epochs >= 1, "must be an integer >= 1"),
            ("gamma", 0 < self.gamma <= 1, "must be in (0, 1]"),
            ("batch_size", int(self.batch_size) == self.batch_size and self.batch_size >= 1, "must be an integer >= 1"),
            ("epochs", int(self.epochs) == self.epochs and self.epochs >= 1, "must be an integer >= 1"),
            ("weight_decay", 0 <= self.weight_decay < 1, "must be in [0, 1)"),
            ("dropout", 0 <= self.dropout < 1, "must be in [0, 1)"),
            ("val_split", 0 <= self.val_split < 1, "must be in [0, 1)"),
            ("patience", self.patience is None or (int(self.patience) == self.patience and self.patience >= 0),
             "must be an integer >= 0 or None"),
            ("hidden", len(self.hidden) >= 1 and all(int(h) == h and h >= 1 for h in self.hidden),
             "must be one or more positive layer widths"),
            ("blas_threads", self.blas_threads is None or (int(self.blas_threads) == self.blas_threads
                                                          and self.blas_threads >= 1), "must be an integer >= 1 or None"),
        ]
        for name, ok, why in checks:
            if not ok:
                fail(name, why)
        self.betas = tuple(float(b) for b in self.betas)
        self.hidden = tuple(int(h) for h in self.hidden)
        self.batch_size, self.epochs, self.step_epochs = int(self.batch_size), int(self.epochs), int(self.step_epochs)
        self.batch_norm, self.nesterov = bool(self.batch_norm), bool(self.nesterov)

    @property
    def layer_sizes(self) -> list[int]:
        return [INPUT_SIZE, *self.hidden, OUTPUT_SIZE]

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["betas"], d["hidden"] = list(self.betas), list(self.hidden)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        """Settings dict (as from ``to_dict``; unknown keys ignored) -> validated TrainConfig."""
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in d.items() if k in names}
        for key in ("betas", "hidden"):
            if key in kwargs:
                kwargs[key] = tuple(kwargs[key])
        return cls(**kwargs)


@dataclass
class TrainResult:
    """history: one dict per finished epoch with epoch (1-based), train_loss, train_acc, val_loss,
    val_acc (None without validation data), lr (at the epoch's end), seconds (whole epoch),
    train_seconds (the mini-batch loop only). best_epoch: the epoch whose weights the model holds
    at the end (None if no epoch finished). interrupted: Ctrl+C (KeyboardInterrupt) stopped it.
    stopped_early: patience ran out."""
    history: list[dict] = field(default_factory=list)
    best_epoch: int | None = None
    best_val_acc: float | None = None
    best_val_loss: float | None = None
    interrupted: bool = False
    stopped_early: bool = False
    seconds: float = 0.0


def build_model(config: TrainConfig) -> MLP:
    """The network the config describes: [784, *hidden, 10], batch norm, dropout, seed."""
    return MLP(config.layer_sizes, batch_norm=config.batch_norm, dropout=config.dropout, seed=config.seed)


def make_optimizer(config: TrainConfig) -> Optimizer:
    if config.optimizer == "adam":
        return Adam(config.lr, config.betas, config.eps, weight_decay=config.weight_decay)
    return SGD(config.lr, config.momentum, config.nesterov, weight_decay=config.weight_decay)


def make_schedule(config: TrainConfig, steps_per_epoch: int) -> LearningRateSchedule:
    return LearningRateSchedule(config.schedule, config.lr, config.epochs * steps_per_epoch,
                                int(round(config.warmup * steps_per_epoch)), min_lr=config.min_lr,
                                step_every=config.step_epochs * steps_per_epoch, gamma=config.gamma)


def as_training_inputs(X: np.ndarray, y: np.ndarray, what: str = "training") -> tuple[np.ndarray, np.ndarray]:
    """Images (n, 28, 28) or (n, 784), uint8 (0..255) or float (0..1), and labels (n,) ->
    C-contiguous float32 (n, 784) and int64 (n,); ValueError on shapes or labels out of 0..9."""
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 3 and X.shape[1:] == (28, 28):
        X = X.reshape(X.shape[0], INPUT_SIZE)
    if X.ndim != 2 or X.shape[1] != INPUT_SIZE:
        raise ValueError(f"{what} images must be (n, 28, 28) or (n, 784), got shape {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"{what} labels must be ({X.shape[0]},), got shape {y.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{what} set is empty")
    if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() >= OUTPUT_SIZE:
        raise ValueError(f"{what} labels must be integers 0..{OUTPUT_SIZE - 1}")
    if X.dtype == np.uint8:
        X = X.astype(np.float32)
        X *= np.float32(1 / 255)
    else:
        X = np.ascontiguousarray(X, dtype=np.float32)
    return X, np.ascontiguousarray(y, dtype=np.int64)


def evaluate(model: MLP, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of the model in inference mode on X (n, 784), y (n,)."""
    total_loss, correct = 0.0, 0
    for start in range(0, len(X), _EVAL_CHUNK):
        logits = model.forward(X[start:start + _EVAL_CHUNK], training=False)
        yb = y[start:start + _EVAL_CHUNK]
        correct += int(np.count_nonzero(logits.argmax(axis=1) == yb))
        loss, _ = softmax_cross_entropy(logits, yb, out=logits)
        total_loss += loss * len(yb)
    return total_loss / len(X), correct / len(X)


def split_validation(X: np.ndarray, y: np.ndarray, fraction: float, seed: int):
    """A seeded random split: (X_train, y_train, X_val, y_val) with round(fraction * n) validation rows."""
    n_val = int(round(fraction * len(X)))
    if n_val == 0:
        return X, y, None, None
    order = np.random.default_rng([seed, 1]).permutation(len(X))
    val, tr = np.sort(order[:n_val]), np.sort(order[n_val:])
    return X[tr], y[tr], X[val], y[val]


def train(model: MLP, X: np.ndarray, y: np.ndarray, X_val: np.ndarray | None, y_val: np.ndarray | None,
          config: TrainConfig, *,
          augment: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None,
          on_batch: Callable[[int, int, int, float], None] | None = None,
          on_epoch: Callable[[dict], None] | None = None) -> TrainResult:
    """Train ``model`` in place. Returns a TrainResult.

    X (n, 784) float32 in [0, 1] (or uint8 images, scaled here), y (n,) ints. Validation data:
    X_val/y_val, or, when they are None and config.val_split > 0, a seeded split of X. With
    validation data the model ends holding the weights of the epoch with the best validation
    accuracy (ties: lower loss), and early stopping applies when config.patience is set.

    augment(batch (b, 784) float32, rng) -> (b, 784) float32 is called on every training batch.
    on_batch(epoch, batch_index, n_batches, loss) after every batch (epoch and batch 1-based);
    on_epoch(record) after every epoch with that epoch's history dict. Either may raise
    KeyboardInterrupt, as Ctrl+C does: training then stops cleanly, the best weights so far are
    restored, and the result says interrupted=True.
    """
    with blas_threads(config.blas_threads):
        return _train(model, X, y, X_val, y_val, config, augment, on_batch, on_epoch)


def _train(model, X, y, X_val, y_val, config, augment, on_batch, on_epoch) -> TrainResult:
    started = time.perf_counter()
    X, y = as_training_inputs(X, y)
    if X_val is None and config.val_split > 0:
        X, y, X_val, y_val = split_validation(X, y, config.val_split, config.seed)
    if X_val is not None:
        X_val, y_val = as_training_inputs(X_val, y_val, "validation")

    n, batch_size = len(X), config.batch_size
    n_batches = math.ceil(n / batch_size)
    optimizer = make_optimizer(config)
    schedule = make_schedule(config, n_batches)
    groups = model.param_groups()
    params = [g[0] for g in groups]
    grads = [g[1] for g in groups]
    decay = [g[2] for g in groups]
    shuffle_rng = np.random.default_rng([config.seed, 2])
    augment_rng = np.random.default_rng([config.seed, 3])
    batch_x = {}
    batch_y = {}
    dlogits = {}

    result = TrainResult()
    best_arrays: dict | None = None
    best_key = None
    epochs_since_best = 0
    step = 0
    try:
        for epoch in range(1, config.epochs + 1):
            epoch_start = time.perf_counter()
            order = shuffle_rng.permutation(n)
            loss_sum, correct = 0.0, 0
            for b in range(n_batches):
                idx = order[b * batch_size:(b + 1) * batch_size]
                size = len(idx)
                if size not in batch_x:
                    batch_x[size] = np.empty((size, INPUT_SIZE), np.float32)
                    batch_y[size] = np.empty(size, np.int64)
                    dlogits[size] = np.empty((size, OUTPUT_SIZE), model.dtype)
                xb = np.take(X, idx, axis=0, out=batch_x[size])
                yb = np.take(y, idx, out=batch_y[size])
                if augment is not None:
                    xb = _checked_augment(augment(xb, augment_rng), size)
                optimizer.lr = schedule(step)
                logits = model.forward(xb, training=True)
                correct += int(np.count_nonzero(logits.argmax(axis=1) == yb))
                loss, grad = softmax_cross_entropy(logits, yb, out=dlogits[size])
                model.backward(grad)
                optimizer.step(params, grads, decay)
                loss_sum += loss * size
                step += 1
                if on_batch is not None:
                    on_batch(epoch, b + 1, n_batches, loss)
            train_seconds = time.perf_counter() - epoch_start
            record = {"epoch": epoch, "train_loss": loss_sum / n, "train_acc": correct / n,
                      "val_loss": None, "val_acc": None, "lr": optimizer.lr}
            if X_val is not None:
                record["val_loss"], record["val_acc"] = evaluate(model, X_val, y_val)
                key = (record["val_acc"], -record["val_loss"])
                improved = best_key is None or key > best_key
            else:
                improved = True
            if improved:
                best_key = key if X_val is not None else None
                best_arrays = model.arrays()
                result.best_epoch = epoch
                result.best_val_acc, result.best_val_loss = record["val_acc"], record["val_loss"]
                epochs_since_best = 0
            else:
                epochs_since_best += 1
            record["seconds"] = time.perf_counter() - epoch_start
            record["train_seconds"] = train_seconds
            result.history.append(record)
            if on_epoch is not None:
                on_epoch(record)
            if X_val is not None and config.patience and epochs_since_best >= config.patience:
                result.stopped_early = True
                break
    except KeyboardInterrupt:
        result.interrupted = True
    if best_arrays is not None:
        model.set_arrays(best_arrays)
    result.seconds = time.perf_counter() - started
    return result


def _checked_augment(batch: np.ndarray, size: int) -> np.ndarray:
    if not isinstance(batch, np.ndarray) or batch.shape != (size, INPUT_SIZE):
        raise ValueError(f"augment must return a ({size}, {INPUT_SIZE}) array, got "
                         f"{getattr(batch, 'shape', type(batch).__name__)}")
    return np.ascontiguousarray(batch, dtype=np.float32)
