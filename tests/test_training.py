"""fit(): learning a real problem, validation, early stopping, stop requests, determinism."""
import threading

import numpy as np
import pytest

from model.augment import AugmentSettings
from model.evaluation import evaluate
from model.mlp import MLP
from model.recipe import Recipe
from model.training import BatchProgress, build_model, fit, split_validation


def _blobs(n, seed):
    """Ten well-separated Gaussian clusters in 784-D, values in [0, 1], labels 0..9."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(100).random((10, 784)).astype(np.float32)
    y = rng.integers(0, 10, n)
    X = np.clip(centres[y] + rng.normal(0, 0.35, (n, 784)), 0, 1).astype(np.float32)
    return X, y


@pytest.fixture(scope="module")
def data():
    X, y = _blobs(1200, 1)
    Xt, yt = _blobs(400, 2)
    return X, y, Xt, yt


def _config(**overrides):
    settings = dict(epochs=3, batch_size=32, lr=0.02, hidden=(32,), val_split=0.2, schedule="constant",
                    batch_norm=False, nesterov=False, weight_decay=0.0, warmup_epochs=0.0,
                    augment=AugmentSettings.off())
    settings.update(overrides)
    return Recipe(**settings)


@pytest.mark.parametrize("overrides", [
    dict(), dict(optimizer="adam", lr=1e-3, schedule="cosine", warmup_epochs=1),
    dict(batch_norm=True, dropout=0.2, weight_decay=1e-4, nesterov=True, schedule="step", step_epochs=1)])
def test_short_training_reaches_real_accuracy(data, overrides):
    X, y, Xt, yt = data
    config = _config(**overrides)
    model = build_model(config)
    chance = evaluate(model, Xt, yt).accuracy
    result = fit(config, X, y, model=model)
    assert result.model is model
    acc = evaluate(model, Xt, yt).accuracy
    assert acc >= 0.9 > chance + 0.3
    assert len(result.history) == 3 and not result.stopped
    record = result.history[-1]
    assert set(record) >= {"epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"}
    assert result.history[0]["train_loss"] > record["train_loss"]


def test_uint8_images_are_scaled(data):
    X, y, Xt, yt = data
    config = _config(val_split=0)
    a = fit(config, X, y).model
    b = fit(config, np.round(X * 255).astype(np.uint8).reshape(-1, 28, 28), y).model
    np.testing.assert_allclose(a.predict_proba(Xt[:20]), b.predict_proba(Xt[:20]), atol=2e-3)


def test_same_seed_same_result_and_different_seed_differs(data):
    X, y, _, _ = data
    config = _config(dropout=0.3, batch_norm=True, epochs=2)
    runs = []
    for seed in (5, 5, 6):
        c = _config(dropout=0.3, batch_norm=True, epochs=2, seed=seed, augment=AugmentSettings())
        result = fit(c, X, y)
        runs.append((result.model.arrays(), [r["val_loss"] for r in result.history]))
    assert runs[0][1] == runs[1][1]
    for name in runs[0][0]:
        np.testing.assert_array_equal(runs[0][0][name], runs[1][0][name])
    assert not np.array_equal(runs[0][0]["W1"], runs[2][0]["W1"])
    assert config.seed == 0


def test_early_stopping_restores_best_weights(data):
    X, y, Xt, yt = data
    config = _config(epochs=10, patience=2, val_split=0.25)
    model = build_model(config)
    snapshots = {}

    def wreck_after_epoch_2(progress: BatchProgress):
        if progress.epoch >= 3:  # from epoch 3 on the network only gets worse
            rng = np.random.default_rng(progress.epoch * 1000 + progress.batch)
            model.dense[0].W[...] = rng.standard_normal(model.dense[0].W.shape)

    result = fit(config, X, y, model=model, on_batch=wreck_after_epoch_2,
                 on_epoch=lambda record: snapshots.setdefault(record["epoch"], model.arrays()))
    assert result.stopped_early and not result.stopped
    assert [r["epoch"] for r in result.history] == [1, 2, 3, 4]
    keys = [(r["val_acc"], -r["val_loss"]) for r in result.history]  # ties go to the lower loss
    assert result.best_epoch == keys.index(max(keys)) + 1 <= 2
    assert result.best_val_acc == max(keys)[0]
    for name, value in snapshots[result.best_epoch].items():
        np.testing.assert_array_equal(model.arrays()[name], value)
    assert evaluate(model, Xt, yt).accuracy >= 0.9


def test_a_stop_request_ends_after_the_batch_and_keeps_the_best_finished_epoch(data):
    X, y, _, _ = data
    config = _config(epochs=5)
    stop = threading.Event()
    model = build_model(config)
    snapshots, seen = {}, []

    def stop_in_epoch_two(progress: BatchProgress):
        seen.append((progress.epoch, progress.batch))
        if (progress.epoch, progress.batch) == (2, 3):
            stop.set()

    result = fit(config, X, y, model=model, on_batch=stop_in_epoch_two, stop=stop,
                 on_epoch=lambda record: snapshots.setdefault(record["epoch"], model.arrays()))
    assert result.stopped and not result.stopped_early
    assert seen[-1] == (2, 3)  # nothing ran after the batch that asked to stop
    assert len(result.history) == 1 and result.best_epoch == 1
    for name, value in snapshots[1].items():
        np.testing.assert_array_equal(result.model.arrays()[name], value)


def test_a_stop_before_the_first_epoch_ends_leaves_no_best_epoch(data):
    X, y, _, _ = data
    stop = threading.Event()
    stop.set()
    result = fit(_config(), X, y, stop=stop)
    assert result.stopped and result.best_epoch is None and result.history == []


def test_progress_reports_every_batch_and_the_share_done(data):
    X, y, _, _ = data
    config = _config(epochs=2, val_split=0, batch_size=100)
    seen = []
    fit(config, X, y, on_batch=seen.append)
    assert [(p.epoch, p.batch) for p in seen] == [(e, b) for e in (1, 2) for b in range(1, 13)]
    assert seen[0].batches == 12 and seen[0].epochs == 2
    assert seen[-1].fraction == 1.0 and seen[11].fraction == 0.5


def test_the_recipes_augmentation_is_applied_to_the_batches(data):
    X, y, _, _ = data
    plain = fit(_config(epochs=1, val_split=0), X, y)
    off_by_switch = fit(_config(epochs=1, val_split=0, augment=AugmentSettings(enabled=False, rotation_deg=30)), X, y)
    augmented = fit(_config(epochs=1, val_split=0, augment=AugmentSettings()), X, y)
    assert plain.history[0]["train_loss"] == off_by_switch.history[0]["train_loss"]
    assert augmented.history[0]["train_loss"] != plain.history[0]["train_loss"]
    assert augmented.augment_seconds > 0 == plain.augment_seconds


def test_explicit_validation_set_and_split(data):
    X, y, Xt, yt = data
    config = _config(epochs=1)
    result = fit(config, X, y, Xt, yt)
    assert result.history[0]["val_acc"] is not None
    Xa, ya, Xv, yv = split_validation(X, y, 0.25, seed=0)
    assert len(Xv) == 300 and len(Xa) == 900
    assert split_validation(X, y, 0.0, seed=0)[2] is None


def test_bad_training_data_is_refused():
    model = MLP([784, 8, 10])
    config = _config()
    with pytest.raises(ValueError, match="labels must be integers 0..9"):
        fit(config, np.zeros((4, 784), np.float32), np.array([0, 1, 2, 10]), model=model)
    with pytest.raises(ValueError, match="images must be"):
        fit(config, np.zeros((4, 100), np.float32), np.zeros(4, int), model=model)


def test_negatives_teach_a_flat_output_and_stay_out_of_accuracy_and_validation(data):
    from model.losses import NOT_A_DIGIT

    X, y, Xt, yt = data
    rng = np.random.default_rng(9)
    noise = rng.random((600, 784)).astype(np.float32) * 2  # nothing like the ten blobs
    X_all = np.concatenate([X, noise])
    y_all = np.concatenate([y, np.full(len(noise), NOT_A_DIGIT)])
    config = _config(epochs=4, negative_weight=1.0)
    with_negatives = fit(config, X_all, y_all)
    without = fit(config, X, y)
    held_noise = rng.random((200, 784)).astype(np.float32) * 2
    top_with = with_negatives.model.predict_proba(held_noise).max(axis=1).mean()
    top_without = without.model.predict_proba(held_noise).max(axis=1).mean()
    assert top_with < 0.35 and top_with < 0.6 * top_without  # flatter on what is not a digit
    assert evaluate(with_negatives.model, Xt, yt).accuracy >= 0.9  # and the digits still read
    record = with_negatives.history[-1]
    assert record["train_acc"] > 0.9  # negatives are never counted as misses
    assert record["val_acc"] > 0.9  # the validation split holds digits only
