"""Per-writer personalisation: does teaching the network a person's handwriting help them?

    python benchmarks/personalise.py [--drawings FILE.jsonl] [--folds DIR] [--no-bundled] [--writers N]
                                     [--per-digit 5] [--seed 0] [--no-mnist] [--out FILE.json] [--json]
    python benchmarks/personalise.py --speed [--json]

For every writer of the drawing file: PER_DIGIT of their drawings of each digit (chosen with the
seed) are what the person labels in the app; ``preprocessing.personalise.fine_tune`` (the Teach
button's own code path, default settings) fine-tunes a copy of the base model on them; the writer's
REMAINING drawings are then replayed through the app's controller (``app.replay.evaluate``, the pen
events of a person drawing) with the base and with the personal model. Reported per base: mean
before/after over writers, the worst writer before and after, the writers made worse, the MNIST
test accuracy of every personal model, and the time of every fine-tune (measured on whatever else
the machine is doing: say so when quoting it).

Two bases:
(a) the bundled weights. They trained on the developers' pen digits, so on that file every writer
    was SEEN in training: the figure says what teaching adds on top, not how a stranger fares.
(b) the writer cross-validation fold models (``benchmarks/writer_cv.py --keep DIR``, DIR/fold*.npz):
    each writer is taught and scored with the fold model that never saw them (read from its
    metadata), the honest case.
On a drawing file none of the bases trained on (a person on another device), (a) is honest too.

--speed times one fine-tune of the bundled weights on 50 drawings (5 of each digit, the first
writer) in a worker thread, as the window runs it, while the main thread plays the window: every
TICK_SECONDS it reads a digit with the base model. The longest gap between two ticks, with and
without the fine-tune running, says whether the fine-tune ever holds the interpreter long enough
to freeze a window (a frame is 50 ms); the machine's own load shows in the gaps without it.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

PER_DIGIT = 5
TICK_SECONDS = 0.01


def default_drawings() -> Path | None:
    from model.recipe import PEN_DIGITS
    from preprocessing.training_set import resolve_drawings

    return resolve_drawings(PEN_DIGITS)


def split_writer(drawings, per_digit: int, seed: int, writer: str):
    """(teach, rest): per_digit drawings of each digit chosen with a seed of its own for this
    writer (the same whichever writers run), at most all but one of a digit; both in file order."""
    rng = np.random.default_rng([seed, int(hashlib.sha256(writer.encode()).hexdigest()[:8], 16)])
    chosen = set()
    for digit in range(10):
        where = [i for i, d in enumerate(drawings) if d.label == digit]
        count = min(per_digit, max(len(where) - 1, 0))
        chosen.update(rng.choice(where, size=count, replace=False).tolist() if count else [])
    return ([d for i, d in enumerate(drawings) if i in chosen], [d for i, d in enumerate(drawings) if i not in chosen])


def fold_bases(folder: Path, drawings_path: Path) -> list[tuple[Path, set[str]]]:
    """(weights, writers it never saw) for every DIR/fold*.npz that trained on ``drawings_path``
    leaving some of its writers out (read from its metadata)."""
    from benchmarks.writer_cv import held_out_writers
    from model.weights_io import load_weights

    bases = []
    for path in sorted(folder.glob("fold*.npz")):
        unseen = held_out_writers(load_weights(path)[1], drawings_path)
        if unseen:
            bases.append((path, unseen))
    return bases


def personalise_writer(base_path: Path, base, meta, teach, rest, seed: int, check) -> dict:
    """Fine-tune on ``teach`` and replay ``rest`` with the base and the personal model."""
    from app.controller import DigitPadController
    from app.replay import evaluate as replay
    from preprocessing.personalise import FineTuneSettings, fine_tune

    settings = FineTuneSettings()
    settings = settings.replace(recipe=settings.recipe.replace(seed=seed))
    started = time.perf_counter()
    result = fine_tune(base, teach, settings, base_metadata=meta, base_path=base_path)
    seconds = time.perf_counter() - started
    before = replay(DigitPadController(base, metadata=meta), rest)
    after = replay(DigitPadController(result.model, metadata=meta), rest)
    record = {"n": before["n"], "before": before["accuracy"], "after": after["accuracy"],
              "fine_tune_seconds": round(seconds, 2), "taught": len(result.taught),
              "held_out_in_fine_tune": len(result.held_out),
              "own_held_out_before": None if result.before is None else result.before.accuracy,
              "own_held_out_after": None if result.after is None else result.after.accuracy}
    if check is not None:
        from model.evaluation import evaluate

        record["mnist_after"] = evaluate(result.model, check.images, check.labels).accuracy
    return record


def summarise(records: dict[str, dict], base_mnist: dict[str, float]) -> dict:
    """Mean and worst writer before/after, writers made worse, MNIST of the personal models, time."""
    before = {w: r["before"] for w, r in records.items()}
    after = {w: r["after"] for w, r in records.items()}
    worst_before, worst_after = min(before, key=before.get), min(after, key=after.get)
    mnist = [r["mnist_after"] for r in records.values() if "mnist_after" in r]
    seconds = [r["fine_tune_seconds"] for r in records.values()]
    return {
        "writers": len(records), "mean_before": statistics.fmean(before.values()),
        "mean_after": statistics.fmean(after.values()),
        "worst_before": {"writer": worst_before, "accuracy": before[worst_before]},
        "worst_after": {"writer": worst_after, "accuracy": after[worst_after]},
        "made_worse": sorted(w for w in records if after[w] < before[w]),
        "made_better": sorted(w for w in records if after[w] > before[w]),
        "base_mnist_test": base_mnist,
        "mnist_after_mean": statistics.fmean(mnist) if mnist else None,
        "mnist_after_min": min(mnist) if mnist else None, "mnist_models_scored": len(mnist),
        "fine_tune_seconds_mean": statistics.fmean(seconds), "fine_tune_seconds_max": max(seconds),
    }


def run_case(name: str, bases: list[tuple[Path, set[str] | None]], by_writer: dict, args, check, log) -> dict | None:
    """Personalise every writer some base never saw (unseen None: every writer, labelled as seen)."""
    from model.evaluation import evaluate
    from model.weights_io import load_weights

    records, base_mnist = {}, {}
    for path, unseen in bases:
        base, meta = load_weights(path)
        if check is not None:
            base_mnist[str(path)] = evaluate(base, check.images, check.labels).accuracy
        for writer, drawings in by_writer.items():
            if unseen is not None and writer not in unseen:
                continue
            teach, rest = split_writer(drawings, args.per_digit, args.seed, writer)
            record = personalise_writer(path, base, meta, teach, rest, args.seed, check)
            record["base"] = str(path)
            records[writer] = record
            log(f"{name}: {writer}: {record['before'] * 100:.2f} % -> {record['after'] * 100:.2f} % "
                f"({record['n']} drawings; fine-tune {record['fine_tune_seconds']:.1f} s"
                + (f", MNIST {record['mnist_after'] * 100:.2f} %)" if "mnist_after" in record else ")"))
    if not records:
        return None
    return {"summary": summarise(records, base_mnist), "writers": records}


def tick_gaps(seconds: float | None, model, busy=None) -> list[float]:
    """Gaps (s) between the ticks of a main-thread loop that reads one digit every TICK_SECONDS,
    for ``seconds`` or until ``busy`` (a thread) ends."""
    import threading

    image = np.zeros((28, 28), np.float32)
    image[6:22, 13:15] = 1.0
    gaps, last = [], time.perf_counter()
    end = None if seconds is None else last + seconds
    while (busy.is_alive() if busy is not None else time.perf_counter() < end):
        model.predict_proba(image)
        time.sleep(TICK_SECONDS)
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
    assert threading.current_thread() is threading.main_thread()
    return gaps


def measure_speed(by_writer: dict, seed: int) -> dict:
    """One fine-tune of the bundled weights on 50 drawings in a worker thread; main-thread stalls."""
    import threading

    from model.weights_io import BUNDLED_WEIGHTS, load_weights
    from preprocessing.personalise import fine_tune, mnist_check_set

    base, meta = load_weights(BUNDLED_WEIGHTS)
    writer, drawings = next(iter(by_writer.items()))
    teach, _ = split_writer(drawings, PER_DIGIT, seed, writer)
    outcome = {}

    def work():
        started = time.perf_counter()
        check = mnist_check_set()
        outcome["result"] = fine_tune(base, teach, base_metadata=meta, base_path=BUNDLED_WEIGHTS, check=check)
        outcome["seconds"] = time.perf_counter() - started

    idle = tick_gaps(5.0, base)
    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    busy = tick_gaps(None, base, worker)
    worker.join()
    result = outcome["result"]

    def stats(gaps):
        extra = np.array(gaps) - TICK_SECONDS
        return {"ticks": len(gaps), "longest_ms": round(float(extra.max()) * 1000, 1),
                "p99_ms": round(float(np.percentile(extra, 99)) * 1000, 1),
                "over_50ms": int((extra > 0.05).sum())}

    return {"writer": writer, "drawings": len(teach), "seconds_with_mnist_check": round(outcome["seconds"], 2),
            "fine_tune_seconds": round(result.seconds, 2), "mnist_check": result.check.name,
            "main_thread_stalls_idle": stats(idle), "main_thread_stalls_during_fine_tune": stats(busy),
            "timing": "measured on a shared machine, under load"}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Per-writer personalisation: fine-tune on a few of each writer's "
                                                 "drawings, replay the rest before and after.")
    parser.add_argument("--drawings", type=Path, default=None,
                        help="drawing file with writers (default: the developers' pen digits)")
    parser.add_argument("--folds", type=Path, metavar="DIR",
                        help="folder of writer-CV fold models (fold*.npz, benchmarks/writer_cv.py --keep DIR): "
                             "the honest case, each writer with the fold that never saw them")
    parser.add_argument("--no-bundled", action="store_true", help="skip the bundled weights")
    parser.add_argument("--writers", type=int, metavar="N", help="only the first N writers (sorted), for a quick run")
    parser.add_argument("--per-digit", type=int, default=PER_DIGIT,
                        help=f"drawings of each digit a writer teaches with (default {PER_DIGIT})")
    parser.add_argument("--seed", type=int, default=0, help="seed of the choice and of the fine-tune (default 0)")
    parser.add_argument("--no-mnist", action="store_true", help="skip the MNIST test accuracy of the personal models")
    parser.add_argument("--speed", action="store_true",
                        help="only time one fine-tune on 50 drawings in a worker thread and the main thread's stalls")
    parser.add_argument("--out", type=Path, metavar="FILE", help="also write the results (JSON) to FILE")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    from benchmarks.writer_cv import held_out_writers
    from model.atomic import atomic_write_text
    from model.weights_io import BUNDLED_WEIGHTS, WeightsError, load_weights
    from preprocessing.drawing import DrawingFormatError, read_drawings
    from preprocessing.personalise import mnist_check_set

    drawings_path = args.drawings or default_drawings()
    if drawings_path is None or not drawings_path.is_file():
        print(f"error: no drawing file ({drawings_path or 'the developers pen digits are not here'}); "
              "pass --drawings FILE.jsonl", file=sys.stderr)
        return 2
    try:
        drawings = read_drawings(drawings_path)
        bases = {} if args.no_bundled else {
            "bundled": [(BUNDLED_WEIGHTS, held_out_writers(load_weights(BUNDLED_WEIGHTS)[1], drawings_path))]}
        if args.folds:
            bases["folds"] = fold_bases(args.folds, drawings_path)
            if not bases["folds"]:
                raise ValueError(f"{args.folds}: no fold*.npz that names its held-out writers of {drawings_path}")
    except (DrawingFormatError, WeightsError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    writers = sorted({d.writer for d in drawings if d.writer})[:args.writers]
    by_writer = {w: [d for d in drawings if d.writer == w and d.label is not None] for w in writers}
    if args.speed:
        speed = measure_speed(by_writer, args.seed)
        if args.out:
            atomic_write_text(args.out, json.dumps(speed, indent=1) + "\n")
        print(json.dumps(speed) if args.json else "\n".join(f"{k}: {v}" for k, v in speed.items()))
        return 0
    check = None if args.no_mnist else mnist_check_set()

    def log(message: str) -> None:
        if not args.json:
            print(message, flush=True)

    results = {"drawings": str(drawings_path), "per_digit": args.per_digit, "seed": args.seed,
               "mnist_check": None if check is None else check.name,
               "timing": "measured on a shared machine, under load", "cases": {}}
    for name, case_bases in bases.items():
        if name == "bundled":
            unseen = case_bases[0][1]  # None: the file was not in its training data at all
            honest = unseen is None or set(writers) <= unseen
            label = ("bundled weights; these writers were NOT in their training data (honest)" if honest
                     else "bundled weights; they trained on these writers (not held out)")
            case_bases = [(case_bases[0][0], None)]
        else:
            label = "writer-CV fold models, each writer with the fold that never saw them (honest)"
        outcome = run_case(name, case_bases, by_writer, args, check, log)
        if outcome is not None:
            results["cases"][name] = {"what": label, **outcome}
    if args.out:
        atomic_write_text(args.out, json.dumps(results, indent=1) + "\n")
    if args.json:
        print(json.dumps(results))
        return 0
    for name, case in results["cases"].items():
        s = case["summary"]
        print(f"\n{name}: {case['what']}")
        print(f"  {s['writers']} writers, {args.per_digit} drawings of each digit taught, the rest replayed")
        print(f"  mean {s['mean_before'] * 100:.2f} % -> {s['mean_after'] * 100:.2f} %;  worst writer "
              f"{s['worst_before']['accuracy'] * 100:.2f} % ({s['worst_before']['writer']}) -> "
              f"{s['worst_after']['accuracy'] * 100:.2f} % ({s['worst_after']['writer']})")
        print(f"  made worse: {', '.join(s['made_worse']) or 'none'};  made better: {len(s['made_better'])}")
        if s["mnist_after_mean"] is not None:
            print(f"  MNIST ({results['mnist_check']}) of the personal models: "
                  f"mean {s['mnist_after_mean'] * 100:.2f} %, "
                  f"lowest {s['mnist_after_min'] * 100:.2f} % (bases: "
                  + ", ".join(f"{v * 100:.2f} %" for v in s["base_mnist_test"].values()) + ")")
        print(f"  fine-tune time: mean {s['fine_tune_seconds_mean']:.1f} s, longest {s['fine_tune_seconds_max']:.1f} s "
              f"({results['timing']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
