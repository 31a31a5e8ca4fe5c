"""train(): learning a real problem, validation, early stopping, interruption, determinism."""
import numpy as np
import pytest

from model.mlp import MLP
from model.training import TrainConfig, build_model, evaluate, split_validation, train


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
    settings = dict(epochs=3, batch_size=32, lr=0.02, hidden=(32,), val_split=0.2, schedule="constant")
    settings.update(overrides)
    return TrainConfig(**settings)


@pytest.mark.parametrize("overrides", [
    dict(), dict(optimizer="adam", lr=1e-3, schedule="cosine", warmup=1),
    dict(batch_norm=True, dropout=0.2, weight_decay=1e-4, nesterov=True, schedule="step", step_epochs=1)])
def test_short_training_reaches_real_accuracy(data, overrides):
    X, y, Xt, yt = data
    config = _config(**overrides)
    model = build_model(config)
    _, chance = evaluate(model, Xt, yt)
    result = train(model, X, y, None, None, config)
    loss, acc = evaluate(model, Xt, yt)
    assert acc >= 0.9 > chance + 0.3
    assert len(result.history) == 3 and not result.interrupted
    record = result.history[-1]
    assert set(record) >= {"epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds"}
    assert result.history[0]["train_loss"] > record["train_loss"]


def test_uint8_images_are_scaled(data):
    X, y, Xt, yt = data
    config = _config(val_split=0)
    a, b = build_model(config), build_model(config)
    train(a, X, y, None, None, config)
    train(b, np.round(X * 255).astype(np.uint8).reshape(-1, 28, 28), y, None, None, config)
    np.testing.assert_allclose(a.predict_proba(Xt[:20]), b.predict_proba(Xt[:20]), atol=2e-3)


def test_same_seed_same_result_and_different_seed_differs(data):
    X, y, _, _ = data
    config = _config(dropout=0.3, batch_norm=True, epochs=2)
    runs = []
    for seed in (5, 5, 6):
        c = _config(dropout=0.3, batch_norm=True, epochs=2, seed=seed)
        model = build_model(c)
        result = train(model, X, y, None, None, c)
        runs.append((model.arrays(), [r["val_loss"] for r in result.history]))
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

    def wreck_after_epoch_2(epoch, batch, n_batches, loss):
        if epoch >= 3:  # from epoch 3 on the network only gets worse
            model.dense[0].W[...] = np.random.default_rng(epoch * 1000 + batch).standard_normal(model.dense[0].W.shape)

    result = train(model, X, y, None, None, config, on_batch=wreck_after_epoch_2,
                   on_epoch=lambda record: snapshots.setdefault(record["epoch"], model.arrays()))
    assert result.stopped_early and not result.interrupted
    assert [r["epoch"] for r in result.history] == [1, 2, 3, 4]
    keys = [(r["val_acc"], -r["val_loss"]) for r in result.history]  # ties go to the lower loss
    assert result.best_epoch == keys.index(max(keys)) + 1 <= 2
    assert result.best_val_acc == max(keys)[0]
    for name, value in snapshots[result.best_epoch].items():
        np.testing.assert_array_equal(model.arrays()[name], value)
    assert evaluate(model, Xt, yt)[1] >= 0.9


def test_keyboard_interrupt_stops_cleanly_with_best_weights(data):
    X, y, _, _ = data
    config = _config(epochs=5)
    model = build_model(config)
    snapshots = {}

    def interrupt(epoch, batch, n_batches, loss):
        if epoch == 2 and batch == 3:
            raise KeyboardInterrupt

    result = train(model, X, y, None, None, config, on_batch=interrupt,
                   on_epoch=lambda record: snapshots.setdefault(record["epoch"], model.arrays()))
    assert result.interrupted and not result.stopped_early
    assert len(result.history) == 1 and result.best_epoch == 1
    for name, value in snapshots[1].items():
        np.testing.assert_array_equal(model.arrays()[name], value)


def test_augment_hook_sees_every_batch_and_its_output_is_used(data):
    X, y, _, _ = data
    config = _config(epochs=1, val_split=0, batch_size=100)
    seen = []

    def blank(batch, rng):
        seen.append(batch.shape)
        assert batch.dtype == np.float32 and isinstance(rng, np.random.Generator)
        return np.zeros_like(batch)

    model = build_model(config)
    result = train(model, X, y, None, None, config, augment=blank)
    assert seen == [(100, 784)] * 12
    assert result.history[0]["train_acc"] < 0.3  # all-blank inputs teach nothing useful
    with pytest.raises(ValueError, match="augment must return"):
        train(build_model(config), X, y, None, None, config, augment=lambda b, rng: b[:, :10])


def test_explicit_validation_set_and_split(data):
    X, y, Xt, yt = data
    config = _config(epochs=1)
    result = train(build_model(config), X, y, Xt, yt, config)
    assert result.history[0]["val_acc"] is not None
    Xa, ya, Xv, yv = split_validation(X, y, 0.25, seed=0)
    assert len(Xv) == 300 and len(Xa) == 900
    assert split_validation(X, y, 0.0, seed=0)[2] is None


@pytest.mark.parametrize("bad", [dict(optimizer="rmsprop"), dict(lr=0), dict(batch_size=0),
                                 dict(epochs=0), dict(schedule="linear"), dict(dropout=1.0),
                                 dict(val_split=1.0), dict(patience=-1), dict(hidden=()),
                                 dict(warmup=50), dict(momentum=1.0)])
def test_config_is_validated_up_front(bad):
    name = next(iter(bad))
    with pytest.raises(ValueError, match=f"invalid training setting {name}="):
        TrainConfig(**bad)


def test_config_dict_round_trip():
    config = TrainConfig(hidden=(64, 32), batch_norm=True, patience=3)
    again = TrainConfig.from_dict(config.to_dict())
    assert again == config and again.layer_sizes == [784, 64, 32, 10]


def test_bad_training_data_is_refused():
    model = MLP([784, 8, 10])
    config = _config()
    with pytest.raises(ValueError, match="labels must be integers 0..9"):
        train(model, np.zeros((4, 784), np.float32), np.array([0, 1, 2, 10]), None, None, config)
    with pytest.raises(ValueError, match="images must be"):
        train(model, np.zeros((4, 100), np.float32), np.zeros(4, int), None, None, config)
