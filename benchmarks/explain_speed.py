"""Per-event cost of the see-inside views: explaining one 28x28 input, and making its pictures.

Usage: python benchmarks/explain_speed.py [--weights PATH] [--repeats 3000] [--threads 1] [--json]

Times, call by call after a warm-up, on the shipped example digits (varied real inputs):
  predict      MLP.predict_proba (the reading the window already computes; for comparison)
  explain      Explainer.explain: activations, evidence (input x gradient of the top digit's logit
               minus the runner-up's), unit contributions (what a panel needs per pen event)
  pictures     explain plus the pixel arrays: evidence overlay (28x28, with the ink) and every
               hidden layer's grid at 8 px a cell with the 5 strongest units each way framed
  unit_pattern one deeper unit's input pattern at the current input (on hover or click)
and prints the median and the 95th percentile in milliseconds. BLAS runs on one thread by
default, as in the app.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from model import heatmaps  # noqa: E402
from model.blas_threads import blas_threads  # noqa: E402
from model.data import DataError  # noqa: E402
from model.examples import bundled_examples  # noqa: E402
from model.explain import Explainer  # noqa: E402
from model.weights_io import BUNDLED_WEIGHTS, WeightsError, load_weights  # noqa: E402


def pictures(explainer: Explainer, image: np.ndarray) -> list[np.ndarray]:
    """What a panel draws per event: the explanation and its pixel arrays."""
    e = explainer.explain(image)
    out = [heatmaps.evidence_rgb(e.evidence, ink=e.image)]
    for layer, acts in enumerate(e.activations):
        out.append(heatmaps.layer_picture(acts, toward=e.strongest_units(layer, 5),
                                          against=e.strongest_units(layer, 5, toward=False)))
    return out


def time_calls(call, images: np.ndarray, repeats: int) -> np.ndarray:
    """Milliseconds of ``repeats`` calls of call(image), cycling through images, after a warm-up."""
    for image in images[:20]:
        call(image)
    times = np.empty(repeats)
    for i in range(repeats):
        image = images[i % len(images)]
        start = time.perf_counter()
        call(image)
        times[i] = time.perf_counter() - start
    return times * 1e3


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help=f"weights file (default {BUNDLED_WEIGHTS})")
    parser.add_argument("--repeats", type=int, default=3000, help="timed calls per measurement (default 3000)")
    parser.add_argument("--threads", type=int, default=1,
                        help="OpenBLAS threads (default 1, as the app uses; 0 = leave as it is)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = parser.parse_args(argv)
    if args.repeats < 10:
        parser.error("--repeats must be at least 10")
    path = args.weights or BUNDLED_WEIGHTS
    try:
        model, _ = load_weights(path)
        examples = bundled_examples()
    except (WeightsError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    images = examples.images[:200].astype(np.float32) / 255
    explainer = Explainer(model)
    deep_layer = len(explainer.hidden_sizes) - 1
    measured = {
        "predict": lambda x: model.predict_proba(x),
        "explain": lambda x: explainer.explain(x),
        "pictures": lambda x: pictures(explainer, x),
        "unit_pattern": lambda x: explainer.unit_pattern(deep_layer, 0, x),
    }
    result: dict = {"weights": str(path), "layer_sizes": model.layer_sizes, "batch_norm": model.batch_norm,
                    "repeats": args.repeats, "blas_threads": args.threads or None}
    with blas_threads(args.threads or None):
        for name, call in measured.items():
            times = time_calls(call, images, args.repeats)
            result[name] = {"median_ms": float(np.median(times)), "p95_ms": float(np.percentile(times, 95))}
    result["load_average_1min"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"{'-'.join(map(str, model.layer_sizes))}{' with batch norm' if model.batch_norm else ''}, "
          f"{args.repeats} calls each, load average {result['load_average_1min']:.2f}")
    for name in measured:
        print(f"  {name:13s} median {result[name]['median_ms']:.3f} ms   p95 {result[name]['p95_ms']:.3f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
