"""Not a digit: how many drawings that are not digits the verdict flags, and what that costs on
real digits of writers the weights never trained on.

    python benchmarks/not_a_digit.py [--weights PATH] [--drawings FILE.jsonl] [--writers W ...]
                                     [--split test] [--per-source 300] [--variants 2] [--seed 0]
                                     [--reliability PNG] [--json]

Negatives come from `preprocessing.negatives` (one split's sources, by default "test": kinds of
drawing no model trains on and no threshold is chosen on); digits are the pen digits of the
writers the weights never saw (those excluded in training, read from the metadata; --writers to
choose). Both are rendered as the app renders drawn digits. Every rule is scored on the same images:

    before  the verdict of before (VerdictRule(): sure / unsure on the plain softmax, never "not a digit")
    after   the rule stored in the weights' metadata (model.verdict.VerdictRule.from_metadata), when
            the weights carry one

Figures per rule: negatives flagged (any verdict but "sure"), negatives called "not a digit", and
per source; on the digits: accuracy, sure-and-wrong, called "not a digit", unsure; the expected
calibration error (15 bins) of the digit probabilities. `measure(...)` takes any rule
(logits (n, k) -> verdicts (n,)), so other rules can be compared on the same data.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.writer_cv import DEFAULT_DRAWINGS  # noqa: E402

Rule = Callable[[np.ndarray], np.ndarray]


def judge_before(logits: np.ndarray) -> np.ndarray:
    """The verdict before issue 11: sure or unsure on the plain softmax, never "not a digit"
    (the default VerdictRule, what a file without a rule still gets) -> (n,) str."""
    from model.verdict import VerdictRule

    return VerdictRule().judge(np.asarray(logits)[:, :10])[3]


def rule_from_metadata(metadata: dict | None) -> Rule | None:
    """The rule the weights carry (model.verdict), or None when they carry none."""
    from model.verdict import VerdictRule

    if not (metadata or {}).get("verdict"):
        return None
    rule = VerdictRule.from_metadata(metadata)
    return lambda logits: rule.judge(logits)[3]


def rates(verdicts_digits: np.ndarray, predicted: np.ndarray, labels: np.ndarray,
          verdicts_negatives: np.ndarray, sources: np.ndarray) -> dict:
    """The figures of one rule: verdicts (n,) str, predicted/labels (n,) ints for digits; verdicts
    (m,) str and source names (m,) for negatives."""
    wrong = predicted != labels
    out = {
        "negatives": int(len(verdicts_negatives)),
        "negatives_flagged": float(np.mean(verdicts_negatives != "sure")),
        "negatives_not_digit": float(np.mean(verdicts_negatives == "not_digit")),
        "negatives_flagged_by_source": {str(s): round(float(np.mean(verdicts_negatives[sources == s] != "sure")), 4)
                                        for s in sorted(set(sources.tolist()))},
        "digits": int(len(labels)),
        "digit_accuracy": float(np.mean(~wrong)),
        "digits_sure_wrong": float(np.mean(wrong & (verdicts_digits == "sure"))),
        "digits_not_digit": float(np.mean(verdicts_digits == "not_digit")),
        "digits_unsure": float(np.mean(verdicts_digits == "unsure")),
    }
    return out


def measure(logits_digits: np.ndarray, labels: np.ndarray, logits_negatives: np.ndarray, sources: np.ndarray,
            rules: dict[str, Rule], temperature: dict[str, float] | None = None) -> dict:
    """Score every rule on the same outputs: logits (n, k) of digits with labels (n,), logits (m, k)
    of negatives with their source names (m,). temperature: per rule, for the ECE (default 1)."""
    from model.calibration import expected_calibration_error, softmax

    results = {}
    for name, rule in rules.items():
        t = (temperature or {}).get(name, 1.0)
        p = softmax(logits_digits[:, :10], t)
        results[name] = rates(rule(logits_digits), p.argmax(axis=1), labels, rule(logits_negatives), sources)
        results[name]["ece_digits"] = expected_calibration_error(p, labels)
        results[name]["temperature"] = t
    return results


def held_out(metadata: dict, drawings_path: Path, drawings, chosen: list[str] | None) -> tuple[list[str], bool]:
    """(writers to score, seen_in_training): --writers, else the writers the weights never trained on."""
    from benchmarks.writer_cv import held_out_writers

    present = sorted({d.writer for d in drawings if d.writer})
    unseen = held_out_writers(metadata, drawings_path)
    if unseen is None and _file_sha256(drawings_path) in _trained_sha256(metadata):
        # the same file under another path (a worktree, another checkout): it was trained on
        unseen = set(metadata.get("training", {}).get("settings", {}).get("exclude_writers", []))
    if chosen:
        missing = sorted(set(chosen) - set(present))
        if missing:
            raise ValueError(f"{drawings_path}: no drawings by writer {missing[0]}")
        return sorted(chosen), unseen is not None and not set(chosen) <= unseen
    if unseen is None:
        return present, False
    if unseen:
        return sorted(unseen & set(present)), False
    return present, True


def _trained_sha256(metadata: dict) -> set[str]:
    """SHA-256 of every drawing file the weights recorded training on."""
    records = (metadata.get("data") or {}).get("drawings") or []
    return {r.get("sha256") for r in records if isinstance(r, dict) and r.get("sha256")}


def _file_sha256(path: Path) -> str | None:
    import hashlib

    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Rates of the 'not a digit' verdict on negative drawings "
                                                 "and on held-out drawn digits, before and after.")
    parser.add_argument("--weights", type=Path, help="weights file (default: the bundled weights)")
    parser.add_argument("--drawings", type=Path, default=DEFAULT_DRAWINGS, help="pen-digit file (.jsonl)")
    parser.add_argument("--writers", nargs="+", metavar="W",
                        help="score these writers' digits (default: the writers the weights never trained on)")
    parser.add_argument("--split", choices=("val", "test"), default="test",
                        help="negative sources to use (default test: never trained on, never tuned on)")
    parser.add_argument("--per-source", type=int, default=300, help="negative drawings per source (default 300)")
    parser.add_argument("--variants", type=int, default=2, help="renders of every digit drawing (default 2)")
    parser.add_argument("--seed", type=int, default=0, help="seed of negatives and renders (default 0)")
    parser.add_argument("--workers", type=int, default=1, help="render processes (default 1: the machine is shared)")
    parser.add_argument("--reliability", type=Path, metavar="PNG",
                        help="save the reliability diagram of the held-out digits (after, else before)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.per_source < 1 or args.variants < 1:
        print("error: --per-source and --variants must be at least 1", file=sys.stderr)
        return 2

    from app.controller import MAX_BRUSH_FRACTION, MIN_BRUSH_FRACTION
    from model.weights_io import BUNDLED_WEIGHTS, WeightsError, load_weights
    from preprocessing.drawing import DrawingFormatError, read_drawings
    from preprocessing.drawn_samples import render_samples
    from preprocessing.negatives import generate_split, render_negatives, source_of, sources

    weights = args.weights or BUNDLED_WEIGHTS
    started = time.perf_counter()
    try:
        model, metadata = load_weights(weights)
        drawings = read_drawings(args.drawings)
        writers, seen = held_out(metadata, args.drawings, drawings, args.writers)
        after = rule_from_metadata(metadata)
    except (WeightsError, DrawingFormatError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    brushes = (MIN_BRUSH_FRACTION, MAX_BRUSH_FRACTION)
    digits = [d for d in drawings if d.writer in set(writers) and d.label is not None]
    rendered = render_samples(digits, args.variants, args.seed, brush_range=brushes, workers=args.workers)
    negatives = generate_split(args.split, args.per_source, args.seed, digits)
    neg_images, index = render_negatives(negatives, 1, args.seed, brush_range=brushes, workers=args.workers)
    neg_sources = np.array([source_of(negatives[i]) for i in index])
    logits_digits = model.forward(rendered.images.reshape(len(rendered), -1))
    logits_negatives = model.forward(neg_images.reshape(len(neg_images), -1))

    rules: dict[str, Rule] = {"before": judge_before}
    temperature = {"before": 1.0}
    if after is not None:
        from model.verdict import VerdictRule

        rules["after"] = after
        temperature["after"] = VerdictRule.from_metadata(metadata).temperature
    results = measure(logits_digits, rendered.labels, logits_negatives, neg_sources, rules, temperature)
    summary = {"weights": str(weights), "drawings": str(args.drawings), "writers": writers,
               "digits_seen_in_training": seen, "split": args.split, "sources": sources(args.split),
               "per_source": args.per_source, "variants": args.variants, "seed": args.seed,
               "seconds": round(time.perf_counter() - started, 1), "rules": results}
    if args.reliability:
        from model.calibration import softmax
        from model.plots import reliability_png

        name = "after" if "after" in results else "before"
        p = softmax(logits_digits[:, :10], temperature[name])
        try:
            reliability_png(p.max(axis=1), p.argmax(axis=1) == rendered.labels, args.reliability, bins=15,
                            title=f"Held-out drawn digits ({name})")
        except OSError as exc:
            print(f"error: {args.reliability}: cannot write ({exc.strerror or exc})", file=sys.stderr)
            return 2
        summary["reliability_png"] = str(args.reliability)
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f"weights {weights}; digits of {len(writers)} writers ({len(rendered)} renders)"
          + (" -- WRITERS SEEN IN TRAINING: digit figures are optimistic" if seen else "")
          + f"; {len(neg_images)} negatives of the {args.split} sources")
    for name, r in results.items():
        print(f"{name:6} negatives flagged {r['negatives_flagged'] * 100:5.1f} % (not a digit "
              f"{r['negatives_not_digit'] * 100:5.1f} %) | digits: accuracy {r['digit_accuracy'] * 100:.2f} %, "
              f"sure and wrong {r['digits_sure_wrong'] * 100:.2f} %, not a digit {r['digits_not_digit'] * 100:.2f} %, "
              f"unsure {r['digits_unsure'] * 100:.2f} %, ECE {r['ece_digits'] * 100:.2f} %")
        print("       flagged by source: " + ", ".join(f"{s} {v * 100:.0f} %"
                                                      for s, v in r["negatives_flagged_by_source"].items()))
    if args.reliability:
        print(f"reliability diagram -> {args.reliability}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
