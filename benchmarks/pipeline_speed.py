"""Time the pipeline from canvas raster to the 28x28 input, per canvas size.

Renders drawn digits (../shared/data/strokes/pendigits-dev.jsonl, or synthetic strokes where it
is absent) with the default brush and times `preprocess(raster.pixels)`, which is what the app
calls, and `preprocess(raster)` (a StrokeRaster, whose tracked ink box limits the search). Also
times one mouse-motion segment of the rasteriser. Target: p95 <= 2 ms at the app's canvas size.

    python benchmarks/pipeline_speed.py [--sizes 400 448 560 800 2000] [--drawings 300] [--repeat 3] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from preprocessing.drawing import Drawing, DrawingFormatError, read_drawings  # noqa: E402
from preprocessing.pipeline import preprocess  # noqa: E402
from preprocessing.raster import DEFAULT_BRUSH_FRACTION, StrokeRaster  # noqa: E402

PENDIGITS = REPO_ROOT.parent / "shared" / "data" / "strokes" / "pendigits-dev.jsonl"


def synthetic_drawings(count: int, seed: int = 0) -> list[Drawing]:
    """Random wobbly strokes spanning 35-85 % of the canvas, for machines without ../shared."""
    rng = np.random.default_rng(seed)
    drawings = []
    for _ in range(count):
        size = rng.uniform(0.35, 0.85)
        centre = rng.uniform(0.5 - (1 - size) / 2, 0.5 + (1 - size) / 2, size=2)
        strokes = []
        for _ in range(rng.integers(1, 3)):
            t = np.linspace(0, 2 * np.pi * rng.uniform(0.5, 1.5), 40)
            x = centre[0] + size / 2 * 0.6 * np.sin(t * rng.uniform(0.5, 2) + rng.uniform(0, 6))
            y = centre[1] + size / 2 * np.cos(t + rng.uniform(0, 6))
            strokes.append([(float(a), float(b)) for a, b in zip(np.clip(x, 0, 1), np.clip(y, 0, 1))])
        drawings.append(Drawing(strokes=strokes))
    return drawings


def percentiles(samples_s: list[float]) -> dict:
    ms = np.array(samples_s) * 1e3
    return {"median_ms": round(float(np.median(ms)), 4), "p95_ms": round(float(np.percentile(ms, 95)), 4),
            "max_ms": round(float(ms.max()), 4)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[400, 448, 560, 800, 2000],
                        help="canvas sides in pixels to time (default 400 448 560 800 2000)")
    parser.add_argument("--drawings", type=int, default=300, help="drawings to time (default 300)")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes over the drawings")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)

    if PENDIGITS.is_file():
        try:
            drawings = read_drawings(PENDIGITS)
        except DrawingFormatError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        every = max(1, len(drawings) // args.drawings)
        drawings = drawings[::every][: args.drawings]
        source = str(PENDIGITS)
    else:
        drawings = synthetic_drawings(args.drawings)
        source = "synthetic strokes (pendigits-dev.jsonl absent)"

    report = {"source": source, "drawings": len(drawings), "brush_fraction": DEFAULT_BRUSH_FRACTION,
              "cpus": os.cpu_count(), "load_average_1min": round(os.getloadavg()[0], 2), "sizes": {}}
    for size in args.sizes:
        rasters = []
        segment_times = []
        for drawing in drawings:
            raster = StrokeRaster(size)
            scale = float(size)
            for stroke in drawing.strokes:
                points = [(x * scale, y * scale) for x, y in stroke]
                for (xa, ya), (xb, yb) in zip(points, points[1:]):
                    started = time.perf_counter()
                    raster.add_segment(xa, ya, xb, yb)
                    segment_times.append(time.perf_counter() - started)
                if len(points) == 1:
                    raster.add_dot(*points[0])
            rasters.append(raster)
        for raster in rasters[:20]:  # warm-up
            preprocess(raster.pixels)
        array_times, array_cpu_times, raster_times = [], [], []
        for _ in range(args.repeat):
            for raster in rasters:
                started = time.perf_counter()
                started_cpu = time.thread_time()
                preprocess(raster.pixels)
                array_cpu_times.append(time.thread_time() - started_cpu)
                array_times.append(time.perf_counter() - started)
                started = time.perf_counter()
                preprocess(raster)
                raster_times.append(time.perf_counter() - started)
        report["sizes"][str(size)] = {
            "pipeline_from_pixels": percentiles(array_times),
            # CPU time of this thread: what the pipeline costs when other processes compete for
            # the two cores (wall-clock p95 then mostly measures the scheduler).
            "pipeline_from_pixels_cpu": percentiles(array_cpu_times),
            "pipeline_from_stroke_raster": percentiles(raster_times),
            "segment": percentiles(segment_times),
        }
        del rasters

    if args.json:
        print(json.dumps(report))
        return 0
    print(f"{report['drawings']} drawings from {source}; default brush {DEFAULT_BRUSH_FRACTION} of the canvas; "
          f"{report['cpus']} CPUs, load average {report['load_average_1min']}")
    print("milliseconds, median / p95:")
    print(f"{'canvas':>7}  {'pipeline(pixels)':>17}  {'same, CPU time':>17}  {'pipeline(StrokeRaster)':>22}  "
          f"{'one segment':>17}")
    for size, figures in report["sizes"].items():
        a, c = figures["pipeline_from_pixels"], figures["pipeline_from_pixels_cpu"]
        r, s = figures["pipeline_from_stroke_raster"], figures["segment"]
        print(f"{size:>7}  {a['median_ms']:>7.3f} / {a['p95_ms']:<7.3f}  {c['median_ms']:>7.3f} / {c['p95_ms']:<7.3f}  "
              f"{r['median_ms']:>12.3f} / {r['p95_ms']:<7.3f}  {s['median_ms']:>7.4f} / {s['p95_ms']:<7.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
