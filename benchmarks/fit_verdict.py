"""Choose the verdict rule and the calibration on writers the models never saw, report it on others.

    python benchmarks/fit_verdict.py --folds DIR [--drawings FILE.jsonl] [--record-into WEIGHTS ...]
                                     [--reliability PREFIX] [--json]

DIR holds the writer cross-validation's fold models (`benchmarks/writer_cv.py --keep DIR`): foldK.npz
never trained on its fold's writers. Those writers are split in two halves, fixed (sorted; the first
half VAL, the second TEST), and each fold model scores only its own held-out writers:

- VAL (what is chosen): the VAL writers' pen digits, pooled over the folds, and negatives of the
  "val" sources of `preprocessing.negatives` (those made of digits use VAL writers' digits).
  1. temperature: the one that minimises the digits' negative log-likelihood;
  2. "not a digit" when the two top digits together are below a bar: the highest bar that calls at
     most NOT_DIGIT_BUDGET of the VAL digits "not a digit";
  3. "sure" needs the top probability above a bar: the highest bar that leaves at most
     NOT_SURE_BUDGET of the VAL digits not "sure" (the near-tie margin stays 0.2).
- TEST (what is reported): the TEST writers' digits and negatives of the "test" sources, kinds of
  drawing that neither training nor this choice ever saw. Before (the rule of before: sure or
  unsure on the plain softmax) and after, on the same images.

`--record-into` stores the rule (metadata "verdict" and "calibration") and these figures
(results.not_a_digit, with this command) in each weights file named: the bundled weights and the
fold models, so that replay and the app use it.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.not_a_digit import judge_before, measure  # noqa: E402
from benchmarks.writer_cv import DEFAULT_DRAWINGS  # noqa: E402

#: Share of held-out digits the "not a digit" verdict may take (the issue allows 1 %).
NOT_DIGIT_BUDGET = 0.007
#: Share of held-out digits that may be read as anything but "sure" (not a digit or not sure).
NOT_SURE_BUDGET = 0.03


def halves(writers: list[str]) -> tuple[list[str], list[str]]:
    """A fold's held-out writers -> (VAL, TEST), fixed: sorted, first half VAL."""
    ordered = sorted(writers)
    return ordered[:len(ordered) // 2], ordered[len(ordered) // 2:]


def choose_rule(logits: np.ndarray, labels: np.ndarray, not_digit_budget: float = NOT_DIGIT_BUDGET,
                not_sure_budget: float = NOT_SURE_BUDGET):
    """The rule chosen on VAL digits: logits (n, 10), labels (n,) -> VerdictRule."""
    from model.calibration import fit_temperature, softmax
    from model.verdict import VerdictRule

    temperature = fit_temperature(logits, labels)
    p = np.sort(softmax(logits[:, :10], temperature), axis=1)[:, ::-1]
    top2 = p[:, 0] + p[:, 1]
    # Flag when top2 < bar: the highest bar flagging at most the budget is the k-th smallest value.
    allowed = int(np.floor(not_digit_budget * len(top2)))
    bar = float(np.sort(top2)[allowed]) if allowed < len(top2) else 1.0
    rule = VerdictRule(not_digit_top2_below=bar, temperature=temperature)
    best = rule
    for sure_min in np.linspace(0.5, 0.999, 500):
        candidate = VerdictRule(sure_min_probability=float(sure_min), not_digit_top2_below=bar,
                                temperature=temperature)
        if np.mean(candidate.judge(logits)[3] != "sure") <= not_sure_budget:
            best = candidate
        else:
            break
    return best


def _render(drawings, variants: int, seed: int):
    from preprocessing.drawn_samples import DEFAULT_BRUSH_RANGE, render_samples

    return render_samples(drawings, variants, seed, brush_range=DEFAULT_BRUSH_RANGE, workers=None)


def _negatives(split: str, per_source: int, seed: int, digits):
    from preprocessing.drawn_samples import DEFAULT_BRUSH_RANGE
    from preprocessing.negatives import generate_split, render_negatives, source_of

    drawings = generate_split(split, per_source, seed, digits)
    images, index = render_negatives(drawings, 1, seed, brush_range=DEFAULT_BRUSH_RANGE, workers=None)
    return images.reshape(len(images), -1), np.array([source_of(drawings[i]) for i in index])


def collect(folds: list[Path], drawings, per_source: int, variants: int, seed: int) -> dict:
    """Logits of every fold model on its own held-out writers (VAL and TEST halves) and on the
    VAL and TEST negatives."""
    from model.recipe import recipe_from_metadata
    from model.weights_io import load_weights

    parts = {name: [] for name in ("val_logits", "val_labels", "test_logits", "test_labels",
                                   "val_neg", "val_src", "test_neg", "test_src")}
    writers = {"val": [], "test": []}
    for k, path in enumerate(folds):
        model, metadata = load_weights(path)
        recipe = recipe_from_metadata(metadata)
        if recipe is None or not recipe.exclude_writers:
            raise ValueError(f"{path}: not a writer cross-validation fold (it excluded no writers)")
        val_writers, test_writers = halves(list(recipe.exclude_writers))
        writers["val"] += val_writers
        writers["test"] += test_writers
        for half, chosen, split in (("val", val_writers, "val"), ("test", test_writers, "test")):
            digits = [d for d in drawings if d.writer in set(chosen) and d.label is not None]
            rendered = _render(digits, variants, seed + k)
            parts[f"{half}_logits"].append(model.forward(rendered.images.reshape(len(rendered), -1)))
            parts[f"{half}_labels"].append(rendered.labels)
            neg, src = _negatives(split, per_source, seed + k, digits if split == "val" else None)
            parts[f"{half}_neg"].append(model.forward(neg))
            parts[f"{half}_src"].append(src)
        print(f"fold {k + 1}: {path.name}, VAL {val_writers}, TEST {test_writers}", file=sys.stderr, flush=True)
    collected = {name: np.concatenate(values) for name, values in parts.items()}
    collected["writers"] = writers
    return collected


def record(paths: list[Path], rule, summary: dict, argv: list[str]) -> None:
    """Store the rule and the figures in each weights file (rewritten atomically)."""
    from model.weights_io import load_weights, save_weights

    command = "python benchmarks/fit_verdict.py" + "".join(" " + shlex.quote(a) for a in argv)
    for path in paths:
        model, metadata = load_weights(path)
        metadata.update(rule.to_metadata())
        metadata.setdefault("results", {})["not_a_digit"] = {"command": command, **summary}
        save_weights(path, model, metadata)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description="Fit the verdict rule and calibration on held-out writers "
                                                 "of the writer cross-validation; report on others.")
    parser.add_argument("--folds", type=Path, required=True, metavar="DIR",
                        help="folder of writer_cv.py's fold models (fold1.npz ...)")
    parser.add_argument("--drawings", type=Path, default=DEFAULT_DRAWINGS,
                        help="pen-digit file (.jsonl; default: the developers' pen digits)")
    parser.add_argument("--per-source", type=int, default=300, help="negative drawings per source (default 300)")
    parser.add_argument("--variants", type=int, default=2, help="renders of each digit drawing (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the renders and negatives (default 0)")
    parser.add_argument("--record-into", type=Path, nargs="+", metavar="WEIGHTS",
                        help="store the rule and the figures in these weights files")
    parser.add_argument("--reliability", metavar="PREFIX",
                        help="save reliability diagrams of the TEST digits, PREFIX-before.png and PREFIX-after.png")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    from model.calibration import softmax
    from model.weights_io import WeightsError
    from preprocessing.drawing import DrawingFormatError, read_drawings

    folds = sorted(args.folds.glob("fold*.npz"))
    if not folds:
        print(f"error: {args.folds}: no fold*.npz (train them with benchmarks/writer_cv.py --keep DIR)",
              file=sys.stderr)
        return 2
    started = time.perf_counter()
    try:
        drawings = read_drawings(args.drawings)
        data = collect(folds, drawings, args.per_source, args.variants, args.seed)
    except (WeightsError, DrawingFormatError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rule = choose_rule(data["val_logits"], data["val_labels"])
    after = lambda logits: rule.judge(logits)[3]  # noqa: E731
    chosen_on = measure(data["val_logits"], data["val_labels"], data["val_neg"], data["val_src"],
                        {"after": after}, {"after": rule.temperature})["after"]
    reported = measure(data["test_logits"], data["test_labels"], data["test_neg"], data["test_src"],
                       {"before": judge_before, "after": after}, {"before": 1.0, "after": rule.temperature})
    summary = {
        "rule": {**rule.to_metadata()["verdict"], "temperature": rule.temperature},
        "folds": [p.name for p in folds], "val_writers": data["writers"]["val"],
        "test_writers": data["writers"]["test"], "per_source": args.per_source, "variants": args.variants,
        "budgets": {"not_digit": NOT_DIGIT_BUDGET, "not_sure": NOT_SURE_BUDGET},
        "val_after": chosen_on, "test": reported, "seconds": round(time.perf_counter() - started, 1),
    }
    if args.reliability:
        from model.plots import reliability_png

        for name, t in (("before", 1.0), ("after", rule.temperature)):
            p = softmax(data["test_logits"][:, :10], t)
            reliability_png(p.max(axis=1), p.argmax(axis=1) == data["test_labels"], f"{args.reliability}-{name}.png",
                            bins=15, title=f"Held-out drawn digits, {name} calibration")
    if args.record_into:
        try:
            record(args.record_into, rule, summary, argv)
        except (WeightsError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f"rule chosen on VAL writers and val negatives: {summary['rule']}")
    for name, figures in reported.items():
        print(f"TEST ({name}): negatives flagged {figures['negatives_flagged'] * 100:.1f} % "
              f"(not a digit {figures['negatives_not_digit'] * 100:.1f} %); digits: accuracy "
              f"{figures['digit_accuracy'] * 100:.2f} %, sure and wrong {figures['digits_sure_wrong'] * 100:.2f} %, "
              f"not a digit {figures['digits_not_digit'] * 100:.2f} %, not sure {figures['digits_unsure'] * 100:.2f} %, "
              f"ECE {figures['ece_digits'] * 100:.2f} %")
        print("  by source: " + ", ".join(f"{s} {v * 100:.0f} %"
                                          for s, v in figures["negatives_flagged_by_source"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
