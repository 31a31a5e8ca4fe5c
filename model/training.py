"""Mini-batch training as a library: ``fit(recipe, X, y)`` with progress callbacks and a stop request.

train.py, the writer cross-validation and the app's fine-tuning all call ``fit``. It trains a new
network (or the one given) in place and returns a ``FitResult``. A stop request (anything with
``is_set()``, e.g. a ``threading.Event`` set by a signal handler or a Cancel button) ends training
after the current batch; the network then holds the best weights of the finished epochs, exactly
as when training runs to the end. Nothing here catches KeyboardInterrupt: callers that want Ctrl+C
to stop cleanly turn it into a stop request (train.py does).

Shapes: X is (n, 784) float32 in [0, 1] (uint8 images (n, 28, 28) or (n, 784) are scaled by 1/255
once); y is (n,) integer labels 0..9, or NOT_A_DIGIT (-1) for a drawing that is not a digit: those
teach a flat output (outlier exposure, ``model.losses``), weighted by recipe.negative_weight, and
are left out of every accuracy and of the validation set.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

import numpy as np

from model.augment import Augmenter
from model.blas_threads import blas_threads
from model.evaluation import evaluate
from model.losses import NOT_A_DIGIT, outlier_exposure_cross_entropy
from model.mlp import INPUT_SIZE, MLP, OUTPUT_SIZE
from model.optim import SGD, Adam, LearningRateSchedule, Optimizer
from model.recipe import Recipe


class StopRequest(Protocol):
    def is_set(self) -> bool: ...


@dataclass(frozen=True)
class BatchProgress:
    """Where training is: epoch (1-based) of epochs, batch (1-based) of batches, the batch's loss."""

    epoch: int
    epochs: int
    batch: int
    batches: int
    loss: float

    @property
    def fraction(self) -> float:
        """Share of the whole run done, in [0, 1]."""
        return ((self.epoch - 1) * self.batches + self.batch) / (self.epochs * self.batches)


@dataclass
class FitResult:
    """model: the trained network, holding the weights of `best_epoch`.

    history: one dict per finished epoch: epoch (1-based), train_loss, train_acc, val_loss, val_acc
    (None without validation data), lr (at the epoch's end), seconds (whole epoch), train_seconds
    (the mini-batch loop only). best_epoch: None when no epoch finished. stopped: a stop request
    ended the run. stopped_early: patience ran out. augment_seconds: time the loop waited for
    augmentation; augment_background_seconds: augmentation planned in a background thread.
    """

    model: MLP
    history: list[dict] = field(default_factory=list)
    best_epoch: int | None = None
    best_val_acc: float | None = None
    best_val_loss: float | None = None
    stopped: bool = False
    stopped_early: bool = False
    seconds: float = 0.0
    augment_seconds: float = 0.0
    augment_background_seconds: float = 0.0

    @property
    def train_loop_seconds(self) -> float:
        return sum(record["train_seconds"] for record in self.history)

    def summary(self) -> dict:
        """What the run measured, as plain JSON for the weights' metadata (per-epoch figures included)."""
        loop = self.train_loop_seconds
        return {
            "epochs_run": len(self.history), "best_epoch": self.best_epoch,
            "best_val_accuracy": self.best_val_acc, "best_val_loss": self.best_val_loss,
            "stopped": self.stopped, "stopped_early": self.stopped_early,
            "train_loop_seconds": round(loop, 2), "augment_seconds": round(self.augment_seconds, 2),
            "augment_background_seconds": round(self.augment_background_seconds, 2),
            "augment_share": round(self.augment_seconds / loop, 4) if loop else 0.0,
            "history": [{k: (round(v, 5) if isinstance(v, float) else v) for k, v in r.items()}
                        for r in self.history],
        }


def build_model(recipe: Recipe) -> MLP:
    """The network the recipe describes: [784, *hidden, 10], batch norm, dropout, seed."""
    return MLP(recipe.layer_sizes, batch_norm=recipe.batch_norm, dropout=recipe.dropout, seed=recipe.seed)


def make_optimizer(recipe: Recipe) -> Optimizer:
    if recipe.optimizer == "adam":
        return Adam(recipe.lr, recipe.betas, recipe.eps, weight_decay=recipe.weight_decay)
    return SGD(recipe.lr, recipe.momentum, recipe.nesterov, weight_decay=recipe.weight_decay)


def make_schedule(recipe: Recipe, steps_per_epoch: int) -> LearningRateSchedule:
    return LearningRateSchedule(recipe.schedule, recipe.lr, recipe.epochs * steps_per_epoch,
                                int(round(recipe.warmup_epochs * steps_per_epoch)), min_lr=recipe.min_lr,
                                step_every=recipe.step_epochs * steps_per_epoch, gamma=recipe.gamma)


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
    if not np.issubdtype(y.dtype, np.integer) or y.min() < NOT_A_DIGIT or y.max() >= OUTPUT_SIZE:
        raise ValueError(f"{what} labels must be integers 0..{OUTPUT_SIZE - 1} (or {NOT_A_DIGIT}: not a digit)")
    if X.dtype == np.uint8:
        X = X.astype(np.float32)
        X *= np.float32(1 / 255)
    else:
        X = np.ascontiguousarray(X, dtype=np.float32)
    return X, np.ascontiguousarray(y, dtype=np.int64)


def split_validation(X: np.ndarray, y: np.ndarray, fraction: float, seed: int):
    """A seeded random split: (X_train, y_train, X_val, y_val) with round(fraction * n) validation rows."""
    n_val = int(round(fraction * len(X)))
    if n_val == 0:
        return X, y, None, None
    order = np.random.default_rng([seed, 1]).permutation(len(X))
    val, tr = np.sort(order[:n_val]), np.sort(order[n_val:])
    return X[tr], y[tr], X[val], y[val]


def fit(recipe: Recipe, X: np.ndarray, y: np.ndarray, X_val: np.ndarray | None = None,
        y_val: np.ndarray | None = None, *, model: MLP | None = None,
        on_batch: Callable[[BatchProgress], None] | None = None,
        on_epoch: Callable[[dict], None] | None = None,
        stop: StopRequest | None = None, blas_threads_during: int | None = 1) -> FitResult:
    """Train ``model`` (default: a new ``build_model(recipe)``) on X (n, 784) / y (n,) -> FitResult.

    Validation data: X_val/y_val, or, when they are None and recipe.val_split > 0, a seeded split of
    X. With validation data the model ends holding the weights of the epoch with the best
    validation accuracy (ties: lower loss), and early stopping applies when recipe.patience > 0.
    Batches are augmented as recipe.augment says. on_batch(BatchProgress) follows every batch,
    on_epoch(record) every epoch. stop.is_set() is checked after every batch.
    blas_threads_during: OpenBLAS threads while training (None: leave as is); a fixed count keeps
    results reproducible (train.py picks one by the layers' width: model/blas_threads.py).
    """
    model = build_model(recipe) if model is None else model
    augmenter = None if recipe.augment.is_identity else Augmenter(recipe.augment, pool_seed=recipe.seed,
                                                                   prefetch=True)
    started = time.perf_counter()
    result = FitResult(model=model)
    try:
        with blas_threads(blas_threads_during):
            _loop(recipe, model, X, y, X_val, y_val, augmenter, on_batch, on_epoch, stop, result)
    finally:
        if augmenter is not None:
            augmenter.close()
            result.augment_seconds = augmenter.seconds
            result.augment_background_seconds = augmenter.background_seconds
    result.seconds = time.perf_counter() - started
    return result


def _loop(recipe, model, X, y, X_val, y_val, augment, on_batch, on_epoch, stop, result: FitResult) -> None:
    X, y = as_training_inputs(X, y)
    if X_val is None and recipe.val_split > 0:
        X, y, X_val, y_val = split_validation(X, y, recipe.val_split, recipe.seed)
    if X_val is not None:
        X_val, y_val = as_training_inputs(X_val, y_val, "validation")
        digits = y_val != NOT_A_DIGIT  # validation accuracy is about digits
        X_val, y_val = (X_val[digits], y_val[digits]) if digits.any() else (None, None)

    n, batch_size = len(X), recipe.batch_size
    n_batches = math.ceil(n / batch_size)
    optimizer = make_optimizer(recipe)
    schedule = make_schedule(recipe, n_batches)
    groups = model.param_groups()
    params, grads, decay = ([g[i] for g in groups] for i in range(3))
    shuffle_rng = np.random.default_rng([recipe.seed, 2])
    augment_rng = np.random.default_rng([recipe.seed, 3])
    # One buffer per batch size (the last batch is smaller): training allocates nothing per batch.
    batch_x, batch_y, dlogits = {}, {}, {}

    best_arrays: dict | None = None
    best_key = None
    epochs_since_best = 0
    step = 0
    for epoch in range(1, recipe.epochs + 1):
        epoch_start = time.perf_counter()
        order = shuffle_rng.permutation(n)
        loss_sum, correct, seen, seen_digits = 0.0, 0, 0, 0
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
                xb = augment(xb, augment_rng)
            optimizer.lr = schedule(step)
            logits = model.forward(xb, training=True)
            correct += int(np.count_nonzero(logits.argmax(axis=1) == yb))  # a negative is never "correct"
            seen_digits += int(np.count_nonzero(yb != NOT_A_DIGIT))
            loss, grad = outlier_exposure_cross_entropy(logits, yb, recipe.negative_weight, out=dlogits[size])
            model.backward(grad)
            optimizer.step(params, grads, decay)
            loss_sum += loss * size
            seen += size
            step += 1
            if on_batch is not None:
                on_batch(BatchProgress(epoch, recipe.epochs, b + 1, n_batches, float(loss)))
            if stop is not None and stop.is_set():
                result.stopped = True
                break
        if result.stopped:
            break  # an unfinished epoch is not a result: keep the best finished one
        train_seconds = time.perf_counter() - epoch_start
        record = {"epoch": epoch, "train_loss": loss_sum / seen, "train_acc": correct / max(seen_digits, 1),
                  "val_loss": None, "val_acc": None, "lr": optimizer.lr}
        improved = True
        if X_val is not None:
            scored = evaluate(model, X_val, y_val)
            record["val_loss"], record["val_acc"] = scored.loss, scored.accuracy
            key = (scored.accuracy, -scored.loss)
            improved = best_key is None or key > best_key
            if improved:
                best_key = key
        if improved:
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
        if X_val is not None and recipe.patience and epochs_since_best >= recipe.patience:
            result.stopped_early = True
            break
    if best_arrays is not None:
        model.set_arrays(best_arrays)
