"""Train Digit Pad's network on MNIST plus drawn digits, or evaluate a weights file.

    python train.py                       the default recipe -> a new file in your models folder
    python train.py --epochs 5 --limit 5000            a quick run (also a new file)
    python train.py --out weights/mlp.npz              maintainers: regenerate the bundled weights
    python train.py --eval-only [--weights PATH] [--data PATH] [--json]
    python train.py --fine-tune MINE.jsonl [--weights BASE] [--out PERSONAL.npz] [--seed N]

The command-line face of the training library: the recipe and its defaults are `model.recipe.Recipe`,
the data `preprocessing.training_set`, the loop `model.training.fit`. A run never replaces a file
unless --out names it; a quick or partial run never replaces the bundled weights. Ctrl+C or SIGTERM
stops cleanly and keeps the best finished epoch. --fine-tune teaches a copy of a model one person's
handwriting exactly as the app's Teach button does (`preprocessing.personalise`).
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from model import __version__
from model.model_files import UsageError
from model.recipe import ADAM_DEFAULT_LR, Recipe

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
SOURCE_ROOT = Path(__file__).resolve().parent
#: Augmentation options: flag, AugmentSettings field, help.
AUGMENT_OPTIONS = [("--rotation", "rotation_deg", "max rotation, degrees"),
                   ("--shear", "shear_deg", "max shear, degrees"), ("--shift", "shift_px", "max shift, pixels"),
                   ("--thickness", "thickness", "fraction of a batch thickened, and another thinned"),
                   ("--elastic-alpha", "elastic_alpha", "elastic distortion in pixels, 0 = off"),
                   ("--elastic-sigma", "elastic_sigma", "elastic field smoothness, pixels")]


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad command line is one `error: ...` line (no usage block), exit 2."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"error: {message} (see train.py --help)\n")


def _shown(value: Any) -> str:
    if isinstance(value, tuple):
        return " ".join(map(str, value)) if value else "none"
    return str(value)


def build_parser() -> argparse.ArgumentParser:
    """Options for every recipe field (defaults: `Recipe()`), augmentation, output and evaluation."""
    defaults = Recipe()
    parser = _Parser(prog="train.py", description="Train the Digit Pad MLP on MNIST and drawn digits, or "
                     "evaluate a weights file with --eval-only.", epilog="Defaults are the recipe of the "
                     "bundled weights (model/recipe.py). Bad input gives one `error: ...` line and exit 2.")
    parser.add_argument("--version", action="version", version=f"digit-pad-train {__version__}")
    groups: dict[str, argparse._ArgumentGroup] = {}
    for f in Recipe.cli_fields():
        group = groups.setdefault(f.metadata["group"], parser.add_argument_group(f.metadata["group"]))
        flag, default = "--" + f.name.replace("_", "-"), getattr(defaults, f.name)
        help_text = f"{f.metadata['help']} (default: {_shown(default)})"
        if isinstance(default, bool):
            group.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        elif isinstance(default, tuple):
            kind = int if f.name == "hidden" else str
            group.add_argument(flag, nargs="+", type=kind, metavar="N" if kind is int else "X", help=help_text)
        else:
            kind = {"float": float, "str": str}.get(f.type, int)
            group.add_argument(flag, type=kind, choices=f.metadata.get("choices"), help=help_text,
                               metavar=None if "choices" in f.metadata else "N" if kind is int else "X")
    groups["data"].add_argument("--no-drawings", action="store_true", help="no drawn digits: MNIST (and negatives)")
    groups["data"].add_argument("--no-negatives", action="store_true", help="no negatives (--negatives-per-source 0)")
    groups["data"].add_argument("--data", metavar="PATH", help="MNIST folder (IDX) or file (.csv, .npz); "
                                "default: the user cache, the developers' copy, else a download")
    augment = parser.add_argument_group("augmentation (applied to every training batch)")
    augment.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                         help=f"augmentation on or off (default: {defaults.augment.enabled})")
    augment.add_argument("--scale", type=float, nargs=2, metavar=("MIN", "MAX"),
                         help=f"scale range (default: {defaults.augment.scale_min} {defaults.augment.scale_max})")
    for flag, key, text in AUGMENT_OPTIONS:
        augment.add_argument(flag, type=float, metavar="X", help=f"{text} (default: {getattr(defaults.augment, key)})")
    out = parser.add_argument_group("output")
    out.add_argument("--out", metavar="PATH", help="where to save the weights (default: a new file in your "
                     "models folder; see digit-pad --where)")
    out.add_argument("--export-csv", metavar="DIR", help="also export the weights as per-layer CSV files")
    out.add_argument("--quiet", action="store_true", help="no progress bar")
    out.add_argument("--blas-threads", type=int, default=None, metavar="N",
                     help="OpenBLAS threads while training (default: 2 when a hidden layer has 512 units "
                          "or more, as the bundled network does, else 1; the count changes the order of "
                          "floating-point sums, so results match only at the same count)")
    ev = parser.add_argument_group("evaluation")
    ev.add_argument("--eval-only", action="store_true", help="evaluate a weights file on the MNIST test set")
    ev.add_argument("--weights", metavar="PATH", help="weights to evaluate, or to start --fine-tune from "
                    "(default: the bundled weights)")
    ev.add_argument("--json", action="store_true", help="with --eval-only: print one JSON object")
    parser.add_argument_group("personal fine-tuning").add_argument("--fine-tune", metavar="MINE.jsonl", help=(
        "fine-tune a copy of --weights on the labelled drawings in MINE.jsonl as the app's Teach button does; recipe "
        "options change the fine-tune's own defaults (preprocessing/personalise.py: FINE_TUNE_RECIPE)"))
    return parser


def recipe_from_args(args: argparse.Namespace, base: Recipe | None = None) -> Recipe:
    """``base`` (default: the default recipe) with the command line's changes; UsageError on a bad value."""
    changes = {f.name: getattr(args, f.name) for f in Recipe.cli_fields() if getattr(args, f.name) is not None}
    if args.no_drawings:
        changes["drawings"] = ()
    if args.no_negatives:
        changes["negatives_per_source"] = 0
    elif "drawings" in changes:  # recorded absolute, so the recipe means the same from any folder
        changes["drawings"] = tuple(str(Path(p).expanduser().resolve()) for p in changes["drawings"])
    if "exclude_writers" in changes:
        changes["exclude_writers"] = tuple(sorted({w for item in changes["exclude_writers"]
                                                   for w in item.split(",") if w}))
    augment = {key: getattr(args, flag[2:].replace("-", "_")) for flag, key, _ in AUGMENT_OPTIONS}
    augment = {key: value for key, value in augment.items() if value is not None}
    if args.augment is not None:
        augment["enabled"] = args.augment
    if args.scale is not None:
        augment["scale_min"], augment["scale_max"] = args.scale
    if changes.get("optimizer") == "adam" and "lr" not in changes:
        changes["lr"] = ADAM_DEFAULT_LR  # SGD's learning rate makes Adam diverge
    if changes.get("momentum") == 0 and "nesterov" not in changes:
        changes["nesterov"] = False
    try:
        recipe = (base or Recipe()).replace(**changes)
        if augment:
            recipe = recipe.replace(augment=dataclasses.replace(recipe.augment, **augment))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return recipe


# ------------------------------------------------------------------------------ the two jobs
def run_eval_only(args: argparse.Namespace) -> int:
    from model.data import load_mnist
    from model.evaluation import evaluate, format_confusion
    from model.weights_io import BUNDLED_WEIGHTS, load_weights

    weights = Path(args.weights) if args.weights else BUNDLED_WEIGHTS
    model, meta = load_weights(weights)
    data = load_mnist(args.data, progress=not args.json, test_only=True)
    has_test = data.test_images is not None
    images, labels = (data.test_images, data.test_labels) if has_test else (data.train_images, data.train_labels)
    which = "test" if has_test else "only split (the source has no test set)"
    scored = evaluate(model, images, labels)
    if args.json:
        print(json.dumps({"weights": str(weights), "data": data.source, "split": which, "n": scored.n,
                          "test_accuracy": scored.accuracy, "test_loss": scored.loss,
                          "confusion": scored.confusion.tolist(), "layer_sizes": meta.get("layer_sizes")},
                         allow_nan=False))
    else:
        print(f"weights: {weights}\ndata: {data.source} ({which}, {scored.n} images)")
        print(f"test accuracy {scored.accuracy * 100:.2f} %   test loss {scored.loss:.4f}")
        print(format_confusion(scored.confusion))
    return 0


def run_training(args: argparse.Namespace, recipe: Recipe, argv: list[str]) -> int:
    from model.blas_threads import training_threads
    from model.data import load_mnist
    from model.evaluation import evaluate, format_confusion
    from model.model_files import check_out, save_with_fallback
    from model.progress import TerminalProgress, epoch_line
    from model.stop_signals import StopOnSignals
    from model.training import fit
    from model.weights_io import export_csv
    from preprocessing.pipeline import DEFAULT_SETTINGS
    from preprocessing.training_set import build_training_set

    def log(message: str) -> None:
        progress.clear()
        print(message, flush=True)

    if args.blas_threads is None:
        args.blas_threads = training_threads(recipe.hidden)
    if args.blas_threads < 1:
        raise UsageError(f"--blas-threads must be at least 1, got {args.blas_threads}")
    progress = TerminalProgress(enabled=not args.quiet)
    out = check_out(args.out, recipe, SOURCE_ROOT)
    started = time.perf_counter()
    with StopOnSignals(log) as stop:
        data = load_mnist(args.data, progress=not args.quiet)
        training = build_training_set(recipe, data, log)
        log(f"network {' -> '.join(map(str, recipe.layer_sizes))}, {recipe.epochs} epochs, recipe "
            f"{'changed: ' + ', '.join(recipe.differences()) if recipe.differences() else 'default'}; saving to {out}")
        stop.keep_work()
        result = fit(recipe, training.X, training.y, on_batch=progress.on_batch, stop=stop,
                     on_epoch=lambda record: log(epoch_line(record, recipe.epochs)),
                     blas_threads_during=args.blas_threads)
        progress.clear()
        if result.best_epoch is None:
            log("stopped before the first epoch finished: nothing was written")
            return EXIT_INTERRUPTED
        if result.stopped:
            log(f"stopped ({stop.signal_name}): keeping the best finished epoch ({result.best_epoch})")
        results = {**result.summary(), "training_images": int(len(training.y)), "drawn_images": training.drawn_images,
                   "negative_images": training.negative_images, "render_seconds": round(training.render_seconds, 2)}
        test = None
        if data.test_images is not None:
            test = evaluate(result.model, data.test_images, data.test_labels)
            results.update({"mnist_test_accuracy": test.accuracy, "mnist_test_loss": test.loss,
                            "mnist_test_confusion": test.confusion.tolist()})
        results["total_seconds"] = round(time.perf_counter() - started, 2)
        metadata = {
            "preprocessing": DEFAULT_SETTINGS.to_dict(),
            "training": {"command": "python train.py" + "".join(" " + shlex.quote(a) for a in argv),
                         "argv": list(argv), "recipe": recipe.to_dict(), "blas_threads": args.blas_threads},
            "data": {"source": data.source, "sha256": dict(data.checksums), "drawings": training.drawings},
            "results": results,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        }
        saved, as_asked = save_with_fallback(out, result.model, metadata, recipe, result.stopped, log, SOURCE_ROOT)
    if test is not None:
        print(f"MNIST test accuracy {test.accuracy * 100:.2f} %  loss {test.loss:.4f} ({test.n} images)\n"
              + format_confusion(test.confusion))
    print(f"augmentation held training up {results['augment_seconds']:.1f} s of {results['train_loop_seconds']:.1f} s "
          f"({results['augment_share'] * 100:.1f} %); total {results['total_seconds']:.0f} s")
    print(f"saved {saved} ({saved.stat().st_size / 1e6:.2f} MB); use it in the app: digit-pad --weights {saved}")
    from model.plots import save_training_pictures

    for picture in save_training_pictures(saved, result.history, result.best_epoch,
                                          None if test is None else test.confusion):
        print(f"saved {picture}")
    if args.export_csv:
        export_csv(result.model, args.export_csv)
        print(f"exported CSV weights to {args.export_csv}")
    return EXIT_INTERRUPTED if result.stopped else 0 if as_asked else EXIT_BAD_INPUT


def run_fine_tune(args: argparse.Namespace) -> int:
    from model.model_files import check_out, new_model_path, save_with_fallback
    from model.progress import TerminalProgress
    from model.stop_signals import StopOnSignals
    from model.weights_io import BUNDLED_WEIGHTS, load_weights
    from preprocessing import personalise as personal

    def log(message: str) -> None:
        progress.clear()
        print(message, flush=True)

    progress = TerminalProgress(enabled=not args.quiet)
    settings = personal.FineTuneSettings(recipe=recipe_from_args(args, personal.FINE_TUNE_RECIPE))
    out = new_model_path(None, "personal") if args.out is None else check_out(args.out, settings.recipe, SOURCE_ROOT)
    with StopOnSignals(log) as stop:
        drawings = personal.read_teaching_file(args.fine_tune, settings)
        base_path = Path(args.weights) if args.weights else BUNDLED_WEIGHTS
        base, base_meta = load_weights(base_path)
        check = personal.mnist_check_set()
        log(f"fine-tuning {base_path} on {args.fine_tune}; MNIST check: {check.name}; saving to {out}")
        stop.keep_work()
        try:
            result = personal.fine_tune(base, drawings, settings, base_metadata=base_meta, base_path=base_path,
                                        check=check, on_progress=lambda p: p.batch and progress.on_batch(p.batch),
                                        stop=stop)
        except personal.FineTuneCancelled:
            log(f"stopped ({stop.signal_name}): nothing was written")
            return EXIT_INTERRUPTED
        saved, as_asked = save_with_fallback(out, result.model, result.metadata(base_meta), settings.recipe, False,
                                             log, SOURCE_ROOT, kind="personal")
    log("\n".join(result.summary_lines() + [f"saved {saved}; use it in the app: digit-pad --weights {saved}"]))
    return 0 if as_asked else EXIT_BAD_INPUT


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from model.data import DataError
    from model.oneline import one_line
    from model.weights_io import WeightsError
    from preprocessing.drawing import DrawingFormatError
    from preprocessing.personalise import FineTuneError

    args = build_parser().parse_args(argv)
    try:
        if args.eval_only:
            return run_eval_only(args)
        if args.fine_tune:
            return run_fine_tune(args)
        return run_training(args, recipe_from_args(args), argv)
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {one_line(where + (exc.strerror or str(exc)))}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (DataError, WeightsError, DrawingFormatError, FineTuneError, UsageError) as exc:
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("\ninterrupted before training started: nothing was written", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
