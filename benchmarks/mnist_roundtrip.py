"""Check the pipeline against MNIST itself.

MNIST test digits are upscaled to canvas size (bilinear by default), run back through the pipeline
(crop, blur, scale to 20 px, centre of mass), and classified by a model; the accuracy is compared
with the same model on the raw test set. Target: the pipeline loses at most 0.5 percentage points.

    python benchmarks/mnist_roundtrip.py [--weights PATH] [--canvas 560] [--limit N]
        [--data PATH] [--resample bilinear|bicubic] [--settings-from weights|default] [--blur-sigma S] [--json]
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from preprocessing.pipeline import DEFAULT_SETTINGS, PipelineSettings, preprocess  # noqa: E402

RESAMPLERS = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC}


def upscale(image: np.ndarray, size: int, resample) -> np.ndarray:
    """uint8 (28, 28) -> float32 (size, size) in [0, 1]."""
    source = Image.fromarray(image.astype(np.float32) / np.float32(255.0))
    return np.clip(np.asarray(source.resize((size, size), resample), dtype=np.float32), 0.0, 1.0)


def main(argv=None) -> int:
    from model.data import DataError, load_mnist
    from model.weights_io import BUNDLED_WEIGHTS, WeightsError, load_weights

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=BUNDLED_WEIGHTS,
                        help="weights file (default: the bundled weights)")
    parser.add_argument("--data", metavar="PATH", default=None,
                        help="MNIST folder or file (default: found as train.py finds it, never downloaded)")
    parser.add_argument("--canvas", type=int, default=560, help="canvas side to upscale to (default 560)")
    parser.add_argument("--limit", type=int, default=None, help="use the first N test digits (default all)")
    parser.add_argument("--resample", choices=sorted(RESAMPLERS), default="bilinear",
                        help="how the 28x28 digits are upscaled (default bilinear)")
    parser.add_argument("--settings-from", choices=("weights", "default"), default="weights",
                        help="pipeline settings: those stored in the weights (as the app does) or the defaults")
    parser.add_argument("--blur-sigma", type=float, default=None, help="override the settings' blur sigma")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        model, metadata = load_weights(args.weights)
        data = load_mnist(args.data, download=False, progress=False, test_only=True)
    except (WeightsError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if data.test_images is None:
        print(f"error: {data.source}: has no test split", file=sys.stderr)
        return 2
    settings = DEFAULT_SETTINGS
    stored = (metadata or {}).get("preprocessing")
    if args.settings_from == "weights" and stored:
        try:
            settings = PipelineSettings.from_dict(stored)
        except ValueError as exc:
            print(f"error: {args.weights}: bad preprocessing settings: {exc}", file=sys.stderr)
            return 2
    if args.blur_sigma is not None:
        try:
            settings = replace(settings, blur_sigma=args.blur_sigma)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    images, labels = data.test_images, data.test_labels
    if args.limit is not None:
        images, labels = images[: args.limit], labels[: args.limit]

    started = time.perf_counter()
    raw = images.reshape(len(images), 784).astype(np.float32) / np.float32(255.0)
    resample = RESAMPLERS[args.resample]
    through = np.zeros_like(raw)
    empty = 0
    for index, image in enumerate(images):
        result = preprocess(upscale(image, args.canvas, resample), settings)
        if result.empty:
            empty += 1  # left blank: the model's guess on a blank input counts as it falls
        else:
            through[index] = result.image.reshape(784)
    raw_predictions = model.predict(raw)
    through_predictions = model.predict(through)
    raw_accuracy = float(np.mean(raw_predictions == labels))
    through_accuracy = float(np.mean(through_predictions == labels))
    report = {
        "weights": str(args.weights),
        "n": int(len(labels)),
        "canvas_px": args.canvas,
        "resample": args.resample,
        "settings": settings.to_dict(),
        "raw_accuracy": round(raw_accuracy, 5),
        "pipeline_accuracy": round(through_accuracy, 5),
        "difference_pp": round(100 * (raw_accuracy - through_accuracy), 3),
        "agreement": round(float(np.mean(raw_predictions == through_predictions)), 5),
        "mean_abs_pixel_difference": round(float(np.mean(np.abs(raw - through))), 5),
        "empty_results": empty,
        "seconds": round(time.perf_counter() - started, 1),
    }
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{report['n']} MNIST test digits, upscaled ({args.resample}) to {args.canvas} px and run through the pipeline")
    print(f"  weights {args.weights}; settings {settings.to_dict()}")
    print(f"  raw test set accuracy:      {raw_accuracy:.4%}")
    print(f"  through the pipeline:       {through_accuracy:.4%}")
    print(f"  difference:                 {report['difference_pp']:.3f} percentage points (target <= 0.5)")
    print(f"  same prediction:            {report['agreement']:.4%}; mean |pixel difference| "
          f"{report['mean_abs_pixel_difference']}; empty results {empty}; {report['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
