"""Rebuild the examples sample the app ships (weights/examples.npz) from the MNIST test set.

    python benchmarks/make_examples.py [--mnist ../shared/data/mnist] [--weights weights/mlp.npz]
                                       [--per-digit 100] [--out weights/examples.npz]

100 test digits of each kind (1,000 in all), kept in MNIST's order: every test digit of that kind
the given weights misread, then others drawn with a fixed seed to make up the number. The misread
ones are there so that "only those the model gets wrong" has something to show; so the sample is
not a random one, and its accuracy is not the model's. Keys: x (uint8 (n, 28, 28), white digit on
black), y (int64 (n,)), index (int64 (n,), the position in the MNIST test set) and about (a JSON
string: source, selection, seed, licence). The same inputs always give the same file.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from model.atomic import atomic_write  # noqa: E402
from model.data import DataError, load_mnist  # noqa: E402
from model.weights_io import BUNDLED_WEIGHTS, WeightsError, load_weights  # noqa: E402

SEED = 20261202
LICENCE = ("MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges, "
           "http://yann.lecun.com/exdb/mnist/, CC BY-SA 3.0; an unmodified subset")


def choose(labels: np.ndarray, misread: np.ndarray, per_digit: int, seed: int) -> np.ndarray:
    """Indices (ascending) of per_digit examples of each digit: its misread ones first (all of
    them, or per_digit of them), then others drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    chosen = []
    for digit in range(10):
        of_digit = labels == digit
        wrong = np.flatnonzero(of_digit & misread)[:per_digit]
        right = np.flatnonzero(of_digit & ~misread)
        extra = rng.choice(right, size=min(per_digit - wrong.size, right.size), replace=False)
        chosen.append(np.concatenate([wrong, extra]))
    return np.sort(np.concatenate(chosen))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, default=REPO_ROOT.parent / "shared" / "data" / "mnist",
                        help="folder with the MNIST IDX files (default: %(default)s)")
    parser.add_argument("--weights", type=Path, default=BUNDLED_WEIGHTS,
                        help="weights whose misread test digits are included (default: %(default)s)")
    parser.add_argument("--per-digit", type=int, default=100, help="examples of each digit (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "weights" / "examples.npz",
                        help="where to write the sample (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.per_digit < 1:
        parser.error("--per-digit must be at least 1")
    try:
        data = load_mnist(args.mnist, download=False)
        model, meta = load_weights(args.weights)
    except (DataError, WeightsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if data.test_images is None or data.test_labels is None:
        print(f"error: {args.mnist}: has no test split", file=sys.stderr)
        return 2
    predicted = model.predict(data.test_images.astype(np.float32) / 255)
    misread = predicted != data.test_labels
    chosen = choose(data.test_labels, misread, args.per_digit, SEED)
    about = {
        "what": f"{args.per_digit} MNIST test digits of each kind, in test-set order",
        "selection": (f"every test digit the weights misread (up to {args.per_digit} a digit), the rest "
                      f"drawn at random with seed {SEED}; not a random sample, so its accuracy is not "
                      f"the model's"),
        "misread_by": {"weights_sha256": hashlib.sha256(Path(args.weights).read_bytes()).hexdigest(),
                       "created": meta.get("created"), "misread_included": int(misread[chosen].sum())},
        "source": {"files_sha256": dict(data.checksums)},
        "licence": LICENCE,
        "command": "python benchmarks/make_examples.py" + (f" --per-digit {args.per_digit}"
                                                           if args.per_digit != 100 else ""),
    }
    arrays = {"x": data.test_images[chosen].astype(np.uint8), "y": data.test_labels[chosen].astype(np.int64),
              "index": chosen.astype(np.int64), "about": np.array(json.dumps(about, sort_keys=True))}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(args.out, lambda handle: np.savez_compressed(handle, **arrays))
    print(f"wrote {args.out}: {chosen.size} test digits, {int(misread[chosen].sum())} of them misread by "
          f"{args.weights} ({args.out.stat().st_size / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
