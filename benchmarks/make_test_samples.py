"""Rebuild the committed MNIST samples under tests/data from the four IDX files.

    python benchmarks/make_test_samples.py [--mnist ../shared/data/mnist] [--out tests/data]

mnist_test_sample.npz:  the first 2,000 images and labels of the MNIST test set.
mnist_train_sample.npz: 500 training images per digit (5,000), chosen with a fixed seed and kept
                        in MNIST's own order.
Keys x (uint8 (n, 28, 28)) and y (int64 (n,)); the same input always gives the same arrays.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from model.atomic import atomic_write  # noqa: E402
from model.data import DataError, load_mnist  # noqa: E402

TEST_SAMPLE_SIZE = 2000
TRAIN_PER_CLASS = 500
SEED = 20240601


def balanced_indices(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Indices of `per_class` examples of each digit, drawn with `seed`, in ascending order."""
    rng = np.random.default_rng(seed)
    chosen = [rng.choice(np.flatnonzero(labels == digit), size=per_class, replace=False)
              for digit in range(10)]
    return np.sort(np.concatenate(chosen))


def save_sample(path: Path, images: np.ndarray, labels: np.ndarray) -> None:
    atomic_write(path, lambda handle: np.savez_compressed(handle, x=images.astype(np.uint8),
                                                          y=labels.astype(np.int64)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, default=REPO_ROOT.parent / "shared" / "data" / "mnist",
                        help="folder with the four MNIST IDX files (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "tests" / "data",
                        help="where to write the samples (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        data = load_mnist(args.mnist, download=False)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if data.test_images is None or data.test_labels is None:
        print(f"error: {args.mnist}: has no test split", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    save_sample(args.out / "mnist_test_sample.npz",
                data.test_images[:TEST_SAMPLE_SIZE], data.test_labels[:TEST_SAMPLE_SIZE])
    chosen = balanced_indices(data.train_labels, TRAIN_PER_CLASS, SEED)
    save_sample(args.out / "mnist_train_sample.npz", data.train_images[chosen], data.train_labels[chosen])
    print(f"source {data.source}; official checksums: {data.is_official}")
    print(f"wrote {args.out / 'mnist_test_sample.npz'}: {TEST_SAMPLE_SIZE} test images")
    print(f"wrote {args.out / 'mnist_train_sample.npz'}: {chosen.size} training images "
          f"({TRAIN_PER_CLASS} per digit, seed {SEED})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
