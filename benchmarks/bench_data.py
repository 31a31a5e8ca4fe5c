"""How fast MNIST loads from each format: IDX (.gz), CSV (headerless and Kaggle), npz.

    python benchmarks/bench_data.py [--mnist ../shared/data/mnist] [--rows 60000] [--repeat 3]
                                    [--baseline] [--json]

The CSV and npz files are generated from the IDX files in a temporary folder first (not timed).
Figures are the best of --repeat runs: wall-clock and CPU seconds. --baseline also times
np.loadtxt on the headerless CSV (slow: the reason read_csv parses bytes with NumPy instead).
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from model.data import DataError, load_mnist, read_csv, read_npz_splits  # noqa: E402


def write_csv(path: Path, images: np.ndarray, labels: np.ndarray, header: bool) -> None:
    cells = [str(v).encode() for v in range(256)]
    with open(path, "wb") as stream:
        if header:
            stream.write(b",".join([b"label"] + [f"pixel{i}".encode() for i in range(784)]) + b"\n")
        for label, row in zip(labels.tolist(), images.reshape(len(images), -1).tolist()):
            stream.write(cells[label] + b"," + b",".join([cells[v] for v in row]) + b"\n")


def best_of(repeat: int, action) -> dict[str, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {"wall_s": round(min(walls), 3), "cpu_s": round(min(cpus), 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, default=REPO_ROOT.parent / "shared" / "data" / "mnist",
                        help="folder of the four MNIST IDX files (default: ../shared/data/mnist)")
    parser.add_argument("--rows", type=int, default=60000, help="rows in the generated CSV files")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each reader; the best is shown (default 3)")
    parser.add_argument("--baseline", action="store_true", help="also time np.loadtxt (slow)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        mnist = load_mnist(args.mnist, download=False)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = min(args.rows, len(mnist.train_labels))
    results: dict[str, object] = {
        "python": platform.python_version(), "numpy": np.__version__, "csv_rows": rows,
    }
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        plain, kaggle, npz = folder / "mnist_train.csv", folder / "train.csv", folder / "mnist.npz"
        write_csv(plain, mnist.train_images[:rows], mnist.train_labels[:rows], header=False)
        write_csv(kaggle, mnist.train_images[:rows], mnist.train_labels[:rows], header=True)
        np.savez_compressed(npz, x_train=mnist.train_images, y_train=mnist.train_labels.astype(np.uint8),
                            x_test=mnist.test_images, y_test=mnist.test_labels.astype(np.uint8))
        results["csv_mb"] = round(plain.stat().st_size / 1e6, 1)
        results["idx_gz_70000"] = best_of(args.repeat, lambda: load_mnist(args.mnist, download=False))
        results["npz_70000"] = best_of(args.repeat, lambda: read_npz_splits(npz))
        results["csv_headerless"] = best_of(args.repeat, lambda: read_csv(plain))
        results["csv_kaggle_header"] = best_of(args.repeat, lambda: read_csv(kaggle))
        images, labels = read_csv(plain)
        assert np.array_equal(images, mnist.train_images[:rows]) and np.array_equal(labels, mnist.train_labels[:rows])
        if args.baseline:
            results["np_loadtxt_headerless"] = best_of(
                1, lambda: np.loadtxt(plain, delimiter=",", dtype=np.int64))
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(f"Python {results['python']}, NumPy {results['numpy']}; CSV: {rows} rows, {results['csv_mb']} MB")
    for key, value in results.items():
        if isinstance(value, dict):
            print(f"{key:24s} wall {value['wall_s']:7.3f} s   cpu {value['cpu_s']:7.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
