"""Single-image prediction latency: MLP.predict_proba on one (28, 28) image.

Usage: python benchmarks/predict_speed.py [--weights PATH] [--repeats 5000] [--threads 1] [--json]

Times predict_proba call by call (after a warm-up) on varied inputs and prints the median and the
95th percentile in milliseconds. Default weights: the bundled weights/mlp.npz; where that file does
not exist yet, a freshly initialised 784-256-128-10 network (same cost) and says so. BLAS runs on
one thread by default, as in the app (`python -m app` pins it): for one image, a second OpenBLAS
thread only adds hand-over cost, and on a busy machine a great deal of it.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from model.blas_threads import blas_threads  # noqa: E402
from model.mlp import MLP  # noqa: E402
from model.weights_io import BUNDLED_WEIGHTS, WeightsError, load_weights  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default=None, help=f"weights file (default {BUNDLED_WEIGHTS})")
    parser.add_argument("--repeats", type=int, default=5000, help="predictions timed (default 5000)")
    parser.add_argument("--threads", type=int, default=1,
                        help="OpenBLAS threads (default 1, as the app uses; 0 = leave as it is)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.repeats < 10:
        parser.error("--repeats must be at least 10")

    note = None
    path = args.weights or BUNDLED_WEIGHTS
    if args.weights is None and not os.path.exists(path):
        model = MLP([784, 256, 128, 10], seed=0)
        note = f"{path} does not exist: timed an untrained 784-256-128-10 network"
        source = "untrained 784-256-128-10"
    else:
        try:
            model, _ = load_weights(path)
        except WeightsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        source = str(path)

    rng = np.random.default_rng(0)
    images = rng.random((64, 28, 28), dtype=np.float32)
    times = np.empty(args.repeats)
    with blas_threads(args.threads or None):
        for image in images:
            model.predict_proba(image)
        for i in range(args.repeats):
            image = images[i % len(images)]
            start = time.perf_counter()
            model.predict_proba(image)
            times[i] = time.perf_counter() - start
    times *= 1e3
    result = {"median_ms": float(np.median(times)), "p95_ms": float(np.percentile(times, 95)),
              "mean_ms": float(times.mean()), "repeats": args.repeats, "weights": source,
              "layer_sizes": model.layer_sizes, "batch_norm": model.batch_norm, "blas_threads": args.threads or None,
              "load_average_1min": os.getloadavg()[0], "note": note}
    if args.json:
        print(json.dumps(result))
    else:
        if note:
            print(note)
        print(f"predict_proba, one 28x28 image, {'-'.join(map(str, model.layer_sizes))}"
              f"{' with batch norm' if model.batch_norm else ''}, {args.repeats} calls: "
              f"median {result['median_ms']:.4f} ms, p95 {result['p95_ms']:.4f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
