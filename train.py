"""Train Digit Pad's network on MNIST (plus drawn digits), or evaluate a weights file.

    python train.py                      retrain the bundled weights with the settings recorded in them
    python train.py --epochs 5 --limit 5000 --out /tmp/quick.npz      a quick run
    python train.py --eval-only [--weights PATH] [--data PATH] [--json]

Every option defaults to the setting recorded in the bundled weights (weights/mlp.npz, metadata
"training" -> "settings"), or to the built-in defaults when there is no bundled file, so a plain
`python train.py` reproduces the bundled weights. The saved file records the command line, every
resolved setting, the data checksums and the measured results.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import hashlib
import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent
DEFAULT_OUT = REPO_ROOT / "weights" / "mlp.npz"

#: Built-in defaults, used where there is no bundled weights file to take the settings from.
BUILTIN_SETTINGS: dict[str, Any] = {
    "hidden": [768, 768],
    "optimizer": "sgd",
    "lr": 0.1,
    "momentum": 0.9,
    "nesterov": True,
    "schedule": "cosine",
    "warmup_epochs": 1.0,
    "step_epochs": 10,
    "batch_size": 128,
    "epochs": 24,
    "weight_decay": 5e-4,
    "dropout": 0.0,
    "batch_norm": True,
    "seed": 0,
    "val_split": 0.05,
    "patience": 0,
    "limit": None,
    # The workplace's pen digits (relative to the repository); skipped with a note where absent.
    "drawings": ["../shared/data/strokes/pendigits-dev.jsonl"],
    "drawing_variants": 8,
    "exclude_writers": [],
    "augment": {
        "enabled": True, "rotation_deg": 12.0, "scale_min": 0.85, "scale_max": 1.12,
        "shear_deg": 12.0, "shift_px": 2.0, "thickness": 0.25, "elastic_alpha": 1.5,
        "elastic_sigma": 3.5, "elastic_pool": 512,
    },
}

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class UsageError(ValueError):
    """A bad option value found while resolving settings (reported as `error: ...`, exit 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line is one `error: ...` line (no usage block), exit 2."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see python train.py --help)\n")


# ------------------------------------------------------------------------------ settings
def bundled_settings(path: Path = DEFAULT_OUT) -> tuple[dict[str, Any], str]:
    """(settings, where from): the bundled weights' recorded training settings merged over the
    built-in ones, or the built-in ones alone (with the reason) when there are none."""
    settings = json.loads(json.dumps(BUILTIN_SETTINGS))
    if not path.is_file():
        return settings, "built-in defaults (no bundled weights file)"
    try:
        with np.load(path, allow_pickle=False) as archive:
            meta = json.loads(str(archive["metadata_json"]))
        recorded = meta["training"]["settings"]
        if not isinstance(recorded, dict):
            raise TypeError("settings is not a mapping")
    except Exception as exc:  # any unreadable or older file: fall back, and say so
        return settings, f"built-in defaults ({path.name} has no usable training settings: {type(exc).__name__})"
    augment = dict(settings["augment"])
    augment.update(recorded.get("augment") or {})
    settings.update({k: v for k, v in recorded.items() if k in settings})
    settings["augment"] = augment
    return settings, f"the bundled weights ({_display_path(path)})"


def _display_path(path: Path | str) -> str:
    """A path relative to the repository when it lies inside or beside it, else absolute."""
    path = Path(path).resolve()
    try:
        relative = os.path.relpath(path, REPO_ROOT)
    except ValueError:
        return str(path)
    return relative if not relative.startswith(("../../", "..\\..\\")) else str(path)


def _resolve_recorded_path(text: str) -> Path:
    """A drawing path as recorded in settings: relative paths are relative to the repository."""
    path = Path(text).expanduser()
    return path if path.is_absolute() else (REPO_ROOT / path)


def build_parser(defaults: dict[str, Any] | None = None, source: str = "") -> argparse.ArgumentParser:
    d = defaults if defaults is not None else BUILTIN_SETTINGS
    a = d["augment"]

    def dflt(value) -> str:
        if isinstance(value, list):
            value = " ".join(map(str, value)) if value else "none"
        return f"(default: {value})"

    parser = _Parser(
        prog="train.py",
        description="Train the Digit Pad MLP on MNIST (with augmentation and drawn digits) and save "
                    "it as a self-describing .npz, or evaluate a weights file with --eval-only.",
        epilog=f"Defaults come from {source or 'the built-in settings'}: a plain `python train.py` "
               "reproduces them. Bad input gives one `error: ...` line and exit status 2.",
    )
    net = parser.add_argument_group("network")
    net.add_argument("--hidden", type=int, nargs="+", metavar="N", help=f"hidden layer widths {dflt(d['hidden'])}")
    net.add_argument("--batch-norm", action=argparse.BooleanOptionalAction, default=None,
                     help=f"batch normalisation in hidden layers {dflt(d['batch_norm'])}")
    net.add_argument("--dropout", type=float, metavar="P", help=f"dropout rate after hidden layers {dflt(d['dropout'])}")

    opt = parser.add_argument_group("optimisation")
    opt.add_argument("--optimizer", choices=["sgd", "adam"], help=f"optimiser {dflt(d['optimizer'])}")
    opt.add_argument("--lr", type=float, help=f"peak learning rate {dflt(d['lr'])}")
    opt.add_argument("--momentum", type=float, help=f"SGD momentum {dflt(d['momentum'])}")
    opt.add_argument("--nesterov", action=argparse.BooleanOptionalAction, default=None,
                     help=f"Nesterov momentum for SGD {dflt(d['nesterov'])}")
    opt.add_argument("--schedule", choices=["cosine", "step", "constant"],
                     help=f"learning-rate schedule after warm-up {dflt(d['schedule'])}")
    opt.add_argument("--warmup-epochs", type=float, metavar="E",
                     help=f"linear warm-up length in epochs {dflt(d['warmup_epochs'])}")
    opt.add_argument("--step-epochs", type=int, metavar="E",
                     help=f"period of the step schedule (lr x0.1) {dflt(d['step_epochs'])}")
    opt.add_argument("--batch-size", type=int, metavar="N", help=f"mini-batch size {dflt(d['batch_size'])}")
    opt.add_argument("--epochs", type=int, metavar="N", help=f"epochs {dflt(d['epochs'])}")
    opt.add_argument("--weight-decay", type=float, metavar="L2", help=f"L2 weight decay {dflt(d['weight_decay'])}")
    opt.add_argument("--seed", type=int, help=f"random seed; same seed, same result {dflt(d['seed'])}")
    opt.add_argument("--val-split", type=float, metavar="F",
                     help=f"fraction held out for validation; the best epoch on it is kept {dflt(d['val_split'])}")
    opt.add_argument("--patience", type=int, metavar="E",
                     help=f"stop after E epochs without a better validation accuracy, 0 = never {dflt(d['patience'])}")

    data = parser.add_argument_group("data")
    data.add_argument("--data", metavar="PATH",
                      help="MNIST folder (IDX files, .gz or raw) or file (.csv, .npz); default: the user "
                           "cache, the workplace copy, else download")
    data.add_argument("--limit", type=int, metavar="N",
                      help="quick run: use only the first N MNIST training images and N drawings")
    data.add_argument("--drawings", nargs="+", metavar="FILE.jsonl",
                      help="drawn digits to add, rendered through the app's raster and pipeline "
                           f"{dflt(d['drawings'])}")
    data.add_argument("--no-drawings", action="store_true", help="train on MNIST alone")
    data.add_argument("--drawing-variants", type=int, metavar="N",
                      help=f"random renders (size, position, brush) per drawing {dflt(d['drawing_variants'])}")
    data.add_argument("--exclude-writers", nargs="+", metavar="WRITER",
                      help="leave out these writers' drawings (for writer cross-validation; commas "
                           f"also separate) {dflt(d['exclude_writers'])}")

    aug = parser.add_argument_group("augmentation (applied to every training batch)")
    aug.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                     help=f"augmentation on or off {dflt(a['enabled'])}")
    aug.add_argument("--rotation", type=float, metavar="DEG", help=f"max rotation, degrees {dflt(a['rotation_deg'])}")
    aug.add_argument("--scale", type=float, nargs=2, metavar=("MIN", "MAX"),
                     help=f"scale range {dflt([a['scale_min'], a['scale_max']])}")
    aug.add_argument("--shear", type=float, metavar="DEG", help=f"max shear, degrees {dflt(a['shear_deg'])}")
    aug.add_argument("--shift", type=float, metavar="PX", help=f"max shift, pixels {dflt(a['shift_px'])}")
    aug.add_argument("--thickness", type=float, metavar="F",
                     help=f"fraction of a batch thickened, and another thinned (3x3 dilation/erosion) "
                          f"{dflt(a['thickness'])}")
    aug.add_argument("--elastic-alpha", type=float, metavar="PX",
                     help=f"elastic distortion, mean displacement in pixels, 0 = off {dflt(a['elastic_alpha'])}")
    aug.add_argument("--elastic-sigma", type=float, metavar="PX",
                     help=f"elastic field smoothness {dflt(a['elastic_sigma'])}")

    out = parser.add_argument_group("output")
    out.add_argument("--out", metavar="PATH", help=f"where to save the weights (default: {_display_path(DEFAULT_OUT)})")
    out.add_argument("--export-csv", metavar="DIR", help="also export the weights as per-layer CSV files")
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    out.add_argument("--blas-threads", type=int, default=1, metavar="N",
                     help="OpenBLAS threads while training (default: 1, fastest when anything else "
                          "runs; on an otherwise idle machine 2 can be faster for wide layers). A "
                          "property of this run, not of the model, so not among the recorded settings")

    ev = parser.add_argument_group("evaluation")
    ev.add_argument("--eval-only", action="store_true", help="evaluate a weights file on the MNIST test set")
    ev.add_argument("--weights", metavar="PATH", help="weights to evaluate (default: the bundled weights)")
    ev.add_argument("--json", action="store_true", help="with --eval-only: print one JSON object")
    return parser


def resolve_settings(args: argparse.Namespace, base: dict[str, Any]) -> dict[str, Any]:
    """The full settings: command-line values over `base`; validated (UsageError on bad values)."""
    s = json.loads(json.dumps(base))
    simple = ["hidden", "optimizer", "lr", "momentum", "nesterov", "schedule", "warmup_epochs",
              "step_epochs", "batch_size", "epochs", "weight_decay", "dropout", "batch_norm", "seed",
              "val_split", "patience", "limit", "drawing_variants"]
    for key in simple:
        value = getattr(args, key)
        if value is not None:
            s[key] = value
    if args.no_drawings:
        s["drawings"] = []
    elif args.drawings is not None:
        s["drawings"] = [_display_path(Path(p).expanduser()) for p in args.drawings]
    if args.exclude_writers is not None:
        s["exclude_writers"] = sorted({w for item in args.exclude_writers for w in item.split(",") if w})
    augment = s["augment"]
    for flag, key in [("augment", "enabled"), ("rotation", "rotation_deg"), ("shear", "shear_deg"),
                      ("shift", "shift_px"), ("thickness", "thickness"), ("elastic_alpha", "elastic_alpha"),
                      ("elastic_sigma", "elastic_sigma")]:
        value = getattr(args, flag)
        if value is not None:
            augment[key] = value
    if args.scale is not None:
        augment["scale_min"], augment["scale_max"] = args.scale
    if s["limit"] is not None and s["limit"] < 1:
        raise UsageError(f"--limit must be a positive number of samples, got {s['limit']}")
    if s["drawing_variants"] < 1:
        raise UsageError(f"--drawing-variants must be >= 1, got {s['drawing_variants']}")
    if s["optimizer"] == "adam" and base.get("optimizer") != "adam" and args.lr is None:
        s["lr"] = 1e-3  # SGD's learning rate makes no sense for Adam
    if s["optimizer"] == "sgd" and s["nesterov"] and s["momentum"] == 0:
        s["nesterov"] = False
    try:
        _train_config(s)
        _augment_settings(s)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return s


def _train_config(s: dict[str, Any]):
    from model.training import TrainConfig

    return TrainConfig(
        optimizer=s["optimizer"], lr=float(s["lr"]), momentum=float(s["momentum"]), nesterov=bool(s["nesterov"]),
        schedule=s["schedule"], warmup=float(s["warmup_epochs"]), step_epochs=int(s["step_epochs"]),
        batch_size=s["batch_size"], epochs=s["epochs"], weight_decay=float(s["weight_decay"]),
        dropout=float(s["dropout"]), batch_norm=bool(s["batch_norm"]), seed=int(s["seed"]),
        val_split=float(s["val_split"]), patience=int(s["patience"]) or None, hidden=tuple(s["hidden"]),
    )


def _augment_settings(s: dict[str, Any]):
    from model.augment import AugmentSettings

    return AugmentSettings.from_dict(s["augment"])


# ------------------------------------------------------------------------------ progress
class Progress:
    """A dependency-free progress bar on stderr (\\r updates, at most ~10 a second)."""

    def __init__(self, epochs: int, enabled: bool = True, stream=None):
        self.epochs = epochs
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self._last = 0.0
        self._interval = 0.1 if getattr(self.stream, "isatty", lambda: False)() else 2.0
        self._epoch_start = time.perf_counter()
        self._shown = False

    def on_batch(self, epoch: int, batch: int, n_batches: int, loss: float) -> None:
        if batch == 1:
            self._epoch_start = time.perf_counter()
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self._last < self._interval and batch < n_batches:
            return
        self._last = now
        width = 30
        done = int(width * batch / n_batches)
        elapsed = now - self._epoch_start
        eta = elapsed / batch * (n_batches - batch)
        self.stream.write(f"\repoch {epoch}/{self.epochs} [{'#' * done}{'.' * (width - done)}] "
                          f"{batch}/{n_batches} loss {loss:.4f} {elapsed:.0f}s eta {eta:.0f}s ")
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.stream.write("\r" + " " * 90 + "\r")
            self.stream.flush()
            self._shown = False


def _format_epoch(record: dict, epochs: int) -> str:
    val = (f"val loss {record['val_loss']:.4f} acc {record['val_acc'] * 100:.2f} %"
           if record.get("val_acc") is not None else "no validation")
    return (f"epoch {record['epoch']:>3}/{epochs}  train loss {record['train_loss']:.4f} acc "
            f"{record['train_acc'] * 100:.2f} %  {val}  lr {record['lr']:.5f}  {record['seconds']:.1f} s")


# ------------------------------------------------------------------------------ evaluation
def evaluate_model(model, images: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Accuracy, mean cross-entropy and confusion (10x10, rows = true label) on uint8 or float
    images (n, 28, 28) / (n, 784) and labels (n,)."""
    from model.losses import log_softmax

    X = images.reshape(len(images), -1)
    X = X.astype(np.float32) / np.float32(255) if X.dtype == np.uint8 else X.astype(np.float32)
    logits = model.forward(X, training=False)
    logp = log_softmax(logits.astype(np.float64))
    predicted = logits.argmax(axis=1)
    confusion = np.bincount(labels * 10 + predicted, minlength=100).reshape(10, 10)
    return {
        "n": int(len(labels)),
        "accuracy": float(np.mean(predicted == labels)),
        "loss": float(-logp[np.arange(len(labels)), labels].mean()),
        "confusion": confusion.tolist(),
    }


def format_confusion(confusion: list[list[int]]) -> str:
    lines = ["confusion matrix (rows = true digit, columns = predicted):",
             "      " + "".join(f"{d:>6}" for d in range(10))]
    for d, row in enumerate(confusion):
        lines.append(f"{d:>6}" + "".join(f"{v:>6}" for v in row))
    return "\n".join(lines)


def _test_split(data):
    if data.test_images is not None:
        return data.test_images, data.test_labels, "test"
    return data.train_images, data.train_labels, "only split (the source has no test set)"


def run_eval_only(args: argparse.Namespace) -> int:
    from model.data import load_mnist
    from model.weights_io import BUNDLED_WEIGHTS, load_weights

    weights = Path(args.weights) if args.weights else BUNDLED_WEIGHTS
    model, meta = load_weights(weights)
    data = load_mnist(args.data, progress=not args.json)
    images, labels, which = _test_split(data)
    result = evaluate_model(model, images, labels)
    summary = {
        "weights": str(weights), "data": data.source, "split": which, "n": result["n"],
        "test_accuracy": result["accuracy"], "test_loss": result["loss"], "confusion": result["confusion"],
        "layer_sizes": meta.get("layer_sizes"),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"weights: {weights}\ndata: {data.source} ({which}, {result['n']} images)")
        print(f"test accuracy {result['accuracy'] * 100:.2f} %   test loss {result['loss']:.4f}")
        print(format_confusion(result["confusion"]))
    return 0


# ------------------------------------------------------------------------------ training
def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _drawn_cache_dir() -> Path | None:
    if os.environ.get("DIGITPAD_NO_DRAWN_CACHE"):
        return None
    from model.data import mnist_cache_dir

    return mnist_cache_dir().parent / "drawn"


def load_drawn(settings: dict[str, Any], explicit: bool, log) -> tuple[Any, list[dict]]:
    """Read and render the drawing files -> ((DrawnSamples, seconds) or None, [{path, sha256, drawings}]).

    A drawing file named on the command line must exist (DrawingFormatError/OSError otherwise); one
    only recorded in the bundled settings is skipped with a note when it is absent on this machine.
    Whole files are rendered (and cached in the user cache, keyed by content and render settings;
    DIGITPAD_NO_DRAWN_CACHE=1 turns that off), then excluded writers are dropped, so every writer
    cross-validation fold reuses one rendering.
    """
    from preprocessing.drawing import read_drawings
    from preprocessing.drawn_samples import render_file_cached, render_samples, select

    from preprocessing.drawn_samples import DEFAULT_BRUSH_RANGE as brush_range
    parts, records = [], []
    start = time.perf_counter()
    cached_files = 0
    excluded = set(settings["exclude_writers"])
    for text in settings["drawings"]:
        path = _resolve_recorded_path(text)
        if not path.is_file() and not explicit:
            log(f"note: drawing file {text} (from the recorded settings) is absent here; training without it")
            continue
        drawings = read_drawings(path)
        digest = _sha256_file(path)
        records.append({"path": text, "sha256": digest, "drawings": len(drawings)})
        if settings["limit"] is not None:
            # a quick run: the first N drawings of writers not excluded, rendered afresh
            drawings = [d for d in drawings if d.writer not in excluded][:settings["limit"]]
            samples = render_samples(drawings, settings["drawing_variants"], seed=settings["seed"],
                                     brush_range=brush_range)
        else:
            samples, cached = render_file_cached(drawings, digest, _drawn_cache_dir(),
                                                 settings["drawing_variants"], settings["seed"],
                                                 brush_range=brush_range)
            cached_files += cached
        if excluded:
            keep = ~np.isin(samples.writers, sorted(excluded))
            log(f"{text}: left out {int((~keep).sum())} images of {len(excluded)} excluded writers")
            samples = select(samples, keep)
        parts.append(samples)
    if not parts or sum(len(p) for p in parts) == 0:
        return None, records
    images = np.concatenate([p.images for p in parts])
    labels = np.concatenate([p.labels for p in parts])
    seconds = time.perf_counter() - start
    how = f" ({cached_files} file(s) from the cache)" if cached_files else ""
    log(f"drawn digits: {len(labels)} images in {seconds:.1f} s{how}")
    return (images, labels, seconds), records


def _save_curves(history: list[dict], out: Path, log) -> str | None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except Exception:
        log("note: matplotlib is not installed, so no plot of the training curves was saved")
        return None
    from model.atomic import atomic_write

    path = out.with_name(out.stem + "_curves.png")
    epochs = [r["epoch"] for r in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [r["train_loss"] for r in history], label="train")
    if history and history[0].get("val_loss") is not None:
        ax_loss.plot(epochs, [r["val_loss"] for r in history], label="validation")
    ax_loss.set_xlabel("epoch"), ax_loss.set_ylabel("cross-entropy"), ax_loss.legend()
    ax_acc.plot(epochs, [r["train_acc"] * 100 for r in history], label="train")
    if history and history[0].get("val_acc") is not None:
        ax_acc.plot(epochs, [r["val_acc"] * 100 for r in history], label="validation")
    ax_acc.set_xlabel("epoch"), ax_acc.set_ylabel("accuracy (%)"), ax_acc.legend()
    fig.tight_layout()
    try:
        atomic_write(path, lambda handle: fig.savefig(handle, format="png"))
    finally:
        plt.close(fig)
    return str(path)


def run_training(args: argparse.Namespace, settings: dict[str, Any], argv: list[str], explicit_drawings: bool) -> int:
    from model.augment import Augmenter
    from model.data import load_mnist
    from model.training import build_model, train
    from model.weights_io import export_csv, save_weights
    from preprocessing.pipeline import DEFAULT_SETTINGS

    def log(message: str) -> None:
        progress.clear()
        print(message, flush=True)

    if args.blas_threads < 1:
        raise UsageError(f"--blas-threads must be at least 1, got {args.blas_threads}")
    config = dataclasses.replace(_train_config(settings), blas_threads=args.blas_threads)
    augment_settings = _augment_settings(settings)
    progress = Progress(config.epochs, enabled=not args.quiet)
    out = Path(args.out).expanduser() if args.out else DEFAULT_OUT
    if out.exists() and out.is_dir():
        raise OSError(f"{out}: is a folder, expected a file name for the weights")
    started = time.perf_counter()

    data = load_mnist(args.data, progress=not args.quiet)
    X, y = data.train_images, data.train_labels
    if settings["limit"] is not None:
        X, y = X[:settings["limit"]], y[:settings["limit"]]
    log(f"MNIST: {len(X)} training images from {data.source}")
    drawn, drawing_records = load_drawn(settings, explicit_drawings, log)
    X = X.reshape(len(X), 784).astype(np.float32) * np.float32(1 / 255)
    render_seconds = 0.0
    n_drawn = 0
    if drawn is not None:
        drawn_images, drawn_labels, render_seconds = drawn
        n_drawn = len(drawn_labels)
        X = np.concatenate([X, drawn_images.reshape(n_drawn, 784)])
        y = np.concatenate([y, drawn_labels])

    model = build_model(config)
    # prefetch: the next batch's random transforms are planned in a background thread
    augmenter = (Augmenter(augment_settings, pool_seed=config.seed, prefetch=True)
                 if not augment_settings.is_identity else None)
    sizes = " -> ".join(map(str, config.layer_sizes))
    n_params = sum(p.size for p in model.params)
    log(f"network {sizes}{' with batch norm' if config.batch_norm else ''}"
        f"{f', dropout {config.dropout}' if config.dropout else ''}: {n_params:,} parameters "
        f"({n_params * 4 / 1e6:.1f} MB float32); {config.optimizer}"
        f"{' (Nesterov)' if config.optimizer == 'sgd' and config.nesterov else ''} lr {config.lr}, "
        f"{config.schedule} schedule, {settings['warmup_epochs']} warm-up epochs, batch {config.batch_size}, "
        f"{config.epochs} epochs; augmentation {'on' if augmenter else 'off'}")

    def on_epoch(record: dict) -> None:
        log(_format_epoch(record, config.epochs))

    try:
        result = train(model, X, y, None, None, config, augment=augmenter,
                       on_batch=progress.on_batch, on_epoch=on_epoch)
    finally:
        if augmenter is not None:
            augmenter.close()
    progress.clear()
    if result.best_epoch is None:
        log("interrupted before the first epoch finished: nothing saved")
        return EXIT_INTERRUPTED
    if result.interrupted:
        log(f"interrupted: keeping the best weights so far (epoch {result.best_epoch})")
    train_loop_seconds = sum(r["train_seconds"] for r in result.history)
    augment_seconds = augmenter.seconds if augmenter else 0.0
    augment_background = augmenter.background_seconds if augmenter else 0.0

    results: dict[str, Any] = {
        "epochs_run": len(result.history), "best_epoch": result.best_epoch,
        "best_val_accuracy": result.best_val_acc, "best_val_loss": result.best_val_loss,
        "interrupted": result.interrupted, "stopped_early": result.stopped_early,
        "training_images": int(len(X)), "drawn_images": n_drawn,
        "render_seconds": round(render_seconds, 2), "train_loop_seconds": round(train_loop_seconds, 2),
        "augment_seconds": round(augment_seconds, 2),
        "augment_background_seconds": round(augment_background, 2),
        "augment_share": round(augment_seconds / train_loop_seconds, 4) if train_loop_seconds else 0.0,
        "history": [{k: (round(v, 5) if isinstance(v, float) else v) for k, v in r.items()} for r in result.history],
    }
    test_line = None
    if data.test_images is not None:
        test = evaluate_model(model, data.test_images, data.test_labels)
        results.update({"mnist_test_accuracy": test["accuracy"], "mnist_test_loss": test["loss"],
                        "mnist_test_confusion": test["confusion"]})
        test_line = (f"MNIST test accuracy {test['accuracy'] * 100:.2f} %  loss {test['loss']:.4f} "
                     f"({test['n']} images)\n" + format_confusion(test["confusion"]))
    else:
        log("note: the data source has no test split, so no MNIST test accuracy was measured")
    results["total_seconds"] = round(time.perf_counter() - started, 2)

    metadata = {
        "preprocessing": DEFAULT_SETTINGS.to_dict(),
        "training": {"command": "python train.py" + "".join(" " + shlex.quote(a) for a in argv),
                     "argv": list(argv), "settings": settings},
        "data": {"source": data.source, "sha256": dict(data.checksums), "drawings": drawing_records},
        "results": results,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    save_weights(out, model, metadata)
    if test_line:
        print(test_line)
    print(f"augmentation held training up for {augment_seconds:.1f} s of {train_loop_seconds:.1f} s "
          f"({results['augment_share'] * 100:.1f} %; another {augment_background:.1f} s of planning ran in "
          f"a background thread); total {results['total_seconds']:.0f} s")
    print(f"saved {out} ({out.stat().st_size / 1e6:.2f} MB)")
    if args.export_csv:
        export_csv(model, args.export_csv)
        print(f"exported CSV weights to {args.export_csv}")
    plot = _save_curves(result.history, out, lambda m: print(m, file=sys.stderr))
    if plot:
        print(f"saved the training curves to {plot}")
    return EXIT_INTERRUPTED if result.interrupted else 0


# ------------------------------------------------------------------------------ entry point
def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from model.data import DataError
    from model.oneline import one_line
    from model.weights_io import WeightsError
    from preprocessing.drawing import DrawingFormatError

    base, source = bundled_settings()
    parser = build_parser(base, source)
    args = parser.parse_args(argv)
    try:
        if args.eval_only:
            return run_eval_only(args)
        settings = resolve_settings(args, base)
        return run_training(args, settings, argv, explicit_drawings=args.drawings is not None)
    except (DataError, WeightsError, DrawingFormatError, UsageError, OSError) as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("\ninterrupted: nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
