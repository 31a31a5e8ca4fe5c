"""Writer cross-validation: how well do the bundled training settings read people they never saw?

    python benchmarks/writer_cv.py [--drawings FILE.jsonl] [--folds 5] [--epochs N] [--limit N]
                                   [--keep DIR] [--json] [-- extra train.py options]

The writers of the drawing file are split into `folds` groups (sorted, then dealt round-robin,
so the split is fixed). For every fold a network is trained by `train.py` with its usual settings
(those recorded in the bundled weights, so this measures THEM) but with `--exclude-writers` naming
that fold's writers, and the fold's drawings are then replayed through the app's own controller
(`app.replay.evaluate`, the same pen events a person's mouse produces). A fold's writers are never
in its training data: the script checks the trained file's metadata before scoring.

It prints the accuracy of each fold, the mean and the worst fold. `--epochs`/`--limit` give a
shorter, cheaper run (say so when quoting its figures). `--keep DIR` keeps the fold weights (named
fold1.npz ...), which `benchmarks/robustness.py --weights DIR/fold*.npz` can reuse honestly.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

DEFAULT_DRAWINGS = REPO_ROOT.parent / "shared" / "data" / "strokes" / "pendigits-dev.jsonl"


def writer_folds(writers, folds: int) -> list[list[str]]:
    """Sorted distinct writers dealt round-robin into `folds` lists."""
    ordered = sorted(set(writers))
    if len(ordered) < folds:
        raise ValueError(f"{len(ordered)} writers cannot make {folds} folds")
    return [ordered[i::folds] for i in range(folds)]


def held_out_writers(metadata: dict, drawings_path: Path) -> set[str] | None:
    """Writers of `drawings_path` that the weights never trained on: the excluded ones, or None
    meaning "all of them" when that file was not among the training drawings at all."""
    from model.recipe import recipe_from_metadata
    from preprocessing.training_set import resolve_drawings

    recipe = recipe_from_metadata(metadata)
    if recipe is None:
        return None
    used = {path.resolve() for path in map(resolve_drawings, recipe.drawings) if path is not None}
    if drawings_path.resolve() not in used:
        return None
    return set(recipe.exclude_writers)


def train_fold(fold_writers: list[str], out: Path, drawings: Path, train_args: list[str],
               quiet: bool) -> float:
    """Run train.py without this fold's writers; returns the seconds it took."""
    command = [sys.executable, str(REPO_ROOT / "train.py"), "--out", str(out),
               "--drawings", str(drawings), "--exclude-writers", *fold_writers, "--quiet", *train_args]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=quiet, text=True)
    if done.returncode != 0:
        detail = (done.stderr or "").strip().splitlines()[-1:] if quiet else []
        raise RuntimeError(f"training fold failed (exit {done.returncode}) {' '.join(detail)}")
    return time.perf_counter() - start


def score_fold(weights: Path, drawings, fold_writers: list[str], drawings_path: Path) -> dict:
    """Replay the fold's drawings through the app's controller with the fold's weights."""
    from app.controller import DigitPadController
    from app.replay import evaluate

    controller = DigitPadController.from_weights(weights)
    unseen = held_out_writers(controller.metadata, drawings_path)
    if unseen is not None and not set(fold_writers) <= unseen:
        raise RuntimeError(f"{weights} trained on writers of this fold: "
                           f"{sorted(set(fold_writers) - unseen)}; refusing to score them")
    fold = [d for d in drawings if d.writer in set(fold_writers)]
    summary = evaluate(controller, fold)
    return {"writers": fold_writers, "n": summary["n"], "accuracy": summary["accuracy"],
            "per_writer": summary["per_writer"], "confusion": summary["confusion"],
            "verdicts": summary["verdicts"], "sure_wrong": summary["sure_wrong"]}


def record_results(weights: Path, key: str, summary: dict, script: str, argv) -> None:
    """Store `summary` and the command that produced it under metadata results[key] of `weights`
    (rewritten atomically by model.weights_io.save_weights)."""
    import shlex

    from model.weights_io import load_weights, save_weights

    model, meta = load_weights(weights)
    meta.setdefault("results", {})[key] = {
        "command": f"python {script}" + "".join(" " + shlex.quote(a) for a in argv), **summary}
    save_weights(weights, model, meta)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Writer cross-validation of the training settings "
                                                 "on drawn digits, scored by app.replay.")
    parser.add_argument("--drawings", type=Path, default=DEFAULT_DRAWINGS, help="drawing file (.jsonl)")
    parser.add_argument("--folds", type=int, default=5, help="folds of writers (default 5)")
    parser.add_argument("--only", type=int, nargs="+", metavar="K", help="run only these folds (1-based)")
    parser.add_argument("--epochs", type=int, help="shorter training: this many epochs")
    parser.add_argument("--limit", type=int, help="shorter training: train.py --limit N")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the fold weights in DIR")
    parser.add_argument("--reuse", action="store_true",
                        help="with --keep: score existing DIR/foldK.npz instead of training again")
    parser.add_argument("--verbose", action="store_true", help="show train.py's output")
    parser.add_argument("--record-into", type=Path, metavar="WEIGHTS",
                        help="also store the summary (with this command) in that weights file's metadata "
                             f"under results.writer_cv")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("train_args", nargs=argparse.REMAINDER,
                        help="after --: more train.py options for every fold")
    args = parser.parse_args(argv)
    extra = [a for a in args.train_args if a != "--"]
    if args.epochs:
        extra += ["--epochs", str(args.epochs)]
    if args.limit:
        extra += ["--limit", str(args.limit)]

    from preprocessing.drawing import DrawingFormatError, read_drawings

    try:
        drawings = read_drawings(args.drawings)
        folds = writer_folds([d.writer for d in drawings if d.writer], args.folds)
    except (DrawingFormatError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    selected = args.only or list(range(1, args.folds + 1))
    with tempfile.TemporaryDirectory(prefix="writer_cv.") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        results = []
        for k in selected:
            writers = folds[k - 1]
            weights = folder / f"fold{k}.npz"
            seconds = None
            if not (args.reuse and weights.is_file()):
                if not args.json:
                    print(f"fold {k}/{args.folds}: training without {len(writers)} writers "
                          f"({', '.join(writers)}) ...", flush=True)
                try:
                    seconds = train_fold(writers, weights, args.drawings, extra, quiet=not args.verbose)
                except RuntimeError as exc:
                    print(f"error: fold {k}: {exc}", file=sys.stderr)
                    return 1
            result = score_fold(weights, drawings, writers, args.drawings)
            result.update({"fold": k, "train_seconds": None if seconds is None else round(seconds, 1)})
            results.append(result)
            if not args.json:
                print(f"fold {k}: {result['n']} drawings, replay accuracy {result['accuracy'] * 100:.2f} %"
                      + (f" (trained in {seconds:.0f} s)" if seconds else ""), flush=True)
    accuracies = [r["accuracy"] for r in results]
    correct = sum(round(r["accuracy"] * r["n"]) for r in results)
    total = sum(r["n"] for r in results)
    verdicts = {v: sum(r["verdicts"][v] for r in results) for v in results[0]["verdicts"]}
    sure_wrong = sum(r["sure_wrong"] for r in results)
    summary = {
        "drawings": str(args.drawings), "folds": args.folds, "scored_folds": selected,
        "train_options": extra, "mean_accuracy": sum(accuracies) / len(accuracies),
        "worst_accuracy": min(accuracies), "pooled_accuracy": correct / total if total else None,
        # Each fold model reads with the verdict rule its file carries (benchmarks/fit_verdict.py).
        "verdicts": verdicts, "sure_wrong": sure_wrong,
        "sure_wrong_share": sure_wrong / total if total else None,
        "not_digit_share": verdicts.get("not_digit", 0) / total if total else None,
        "results": results,
    }
    if args.record_into:
        record_results(args.record_into, "writer_cv", {
            k: summary[k] for k in ("folds", "scored_folds", "train_options", "mean_accuracy", "worst_accuracy",
                                    "pooled_accuracy", "verdicts", "sure_wrong_share", "not_digit_share")} | {
            "fold_accuracy": {str(r["fold"]): r["accuracy"] for r in results}},
            "benchmarks/writer_cv.py", sys.argv[1:] if argv is None else argv)
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"writer cross-validation ({len(selected)} of {args.folds} folds, train options: "
              f"{' '.join(extra) or 'the bundled settings'}):")
        print(f"mean fold accuracy {summary['mean_accuracy'] * 100:.2f} %, worst fold "
              f"{summary['worst_accuracy'] * 100:.2f} %, pooled {summary['pooled_accuracy'] * 100:.2f} % "
              f"({total} drawings)")
        print(f"verdicts: {verdicts}; sure and wrong {sure_wrong} ({summary['sure_wrong_share'] * 100:.2f} %), "
              f"not a digit {summary['not_digit_share'] * 100:.2f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
