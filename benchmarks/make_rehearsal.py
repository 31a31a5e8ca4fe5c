"""Rebuild weights/rehearsal.npz, the MNIST sample that personal fine-tuning ships with.

    python benchmarks/make_rehearsal.py [--mnist DIR] [--out weights/rehearsal.npz]

A person who installed the app has no MNIST on disk, yet teaching the network their handwriting
must not make it forget everyone else's: `preprocessing.personalise` mixes these training digits
into every fine-tune (rehearsal) and reads the test digits to say how much MNIST accuracy changed.

    x, y            TRAIN_PER_CLASS training digits of each kind, drawn with SEED, in MNIST order
    test_x, test_y  TEST_SIZE test digits drawn uniformly with SEED (a random sample, so its
                    accuracy estimates the whole test set's), in MNIST order
    train_index, test_index   their positions in the MNIST files
    about           JSON: what this is, from which files (SHA-256), the licence

Images uint8 (n, 28, 28), labels int64 (n,). The same input always gives the same file.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from benchmarks.make_test_samples import balanced_indices  # noqa: E402
from model.atomic import atomic_write  # noqa: E402
from model.data import DataError, load_mnist  # noqa: E402

TRAIN_PER_CLASS = 400
TEST_SIZE = 2000
SEED = 20260612
LICENCE = ("MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges, CC BY-SA 3.0; "
           "this file is an unmodified subset shared under the same licence")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, default=None,
                        help="folder with the four MNIST IDX files (default: the usual places, "
                             "model.data.load_mnist, without downloading)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "weights" / "rehearsal.npz",
                        help="file to write (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        data = load_mnist(args.mnist, download=False)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if data.test_images is None or data.test_labels is None:
        print(f"error: {args.mnist}: has no test split", file=sys.stderr)
        return 2
    train = balanced_indices(data.train_labels, TRAIN_PER_CLASS, SEED)
    test = np.sort(np.random.default_rng([SEED, 1]).choice(len(data.test_labels), TEST_SIZE, replace=False))
    about = {"what": "MNIST sample for personal fine-tuning: rehearsal (x, y) and a random test sample "
                     "(test_x, test_y) to estimate the MNIST change",
             "train_per_class": TRAIN_PER_CLASS, "test_size": TEST_SIZE, "seed": SEED,
             "source_sha256": dict(data.checksums), "official": data.is_official, "licence": LICENCE,
             "rebuild": "python benchmarks/make_rehearsal.py"}
    arrays = {"x": data.train_images[train].astype(np.uint8), "y": data.train_labels[train].astype(np.int64),
              "train_index": train.astype(np.int64),
              "test_x": data.test_images[test].astype(np.uint8), "test_y": data.test_labels[test].astype(np.int64),
              "test_index": test.astype(np.int64), "about": np.array(json.dumps(about, sort_keys=True))}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(args.out, lambda handle: np.savez_compressed(handle, **arrays))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB): {train.size} training digits "
          f"({TRAIN_PER_CLASS} per digit), {TEST_SIZE} random test digits; source {data.source}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
