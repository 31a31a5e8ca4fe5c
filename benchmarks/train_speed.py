"""Training speed: one epoch of our NumPy trainer against one epoch of the PyTorch reference.

Usage: python benchmarks/train_speed.py [--repeats 5] [--hidden 256 128] [--batch-size 128]
                                        [--optimizer sgd|adam] [--data PATH] [--threads N]
                                        [--numpy-threads N] [--json]

Both train a 784-H1-...-10 ReLU MLP with softmax cross-entropy on the 60,000 MNIST training images
(float32 scaled to [0, 1], reshuffled every epoch, no augmentation) with the same optimiser as
../shared/bench/torch_reference.py (SGD lr 0.05 momentum 0.9, or Adam lr 1e-3). In one process the
two alternate, epoch by epoch, so both see the same machine load; the median epoch time of each and
their ratio (ours / PyTorch's) are printed. Only the training loop is timed, as in the reference.
PyTorch is imported here only, for measuring; without it our figures are printed alone.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from model.data import DataError, load_mnist  # noqa: E402
from model.augment import AugmentSettings  # noqa: E402
from model.recipe import Recipe  # noqa: E402
from model.training import as_training_inputs, build_model, fit  # noqa: E402

SGD_LR, MOMENTUM, ADAM_LR = 0.05, 0.9, 1e-3


def numpy_epoch_runner(X, y, hidden, batch_size, optimizer, blas_threads=1):
    """A function running one epoch of our trainer on a persistent model -> seconds of the loop."""
    # The reference's loop: plain SGD with momentum (or Adam), constant rate, no batch norm,
    # no weight decay, no augmentation, no validation.
    config = Recipe(optimizer=optimizer, lr=SGD_LR if optimizer == "sgd" else ADAM_LR, momentum=MOMENTUM,
                    nesterov=False, weight_decay=0.0, schedule="constant", warmup_epochs=0.0, batch_size=batch_size,
                    epochs=1, val_split=0.0, hidden=tuple(hidden), batch_norm=False, seed=0,
                    augment=AugmentSettings.off())
    model = build_model(config)
    state = {"seed": 0}

    def run():
        state["seed"] += 1
        result = fit(config.replace(seed=state["seed"]), X, y, model=model, blas_threads_during=blas_threads)
        run.last_train_acc = result.history[0]["train_acc"]
        return result.history[0]["train_seconds"]

    return run


def torch_epoch_runner(X, y, hidden, batch_size, optimizer, threads):
    """The loop of ../shared/bench/torch_reference.py, one epoch per call -> seconds."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    tX, ty = torch.from_numpy(X), torch.from_numpy(y)
    layers, width = [], X.shape[1]
    for h in hidden:
        layers += [torch.nn.Linear(width, h), torch.nn.ReLU()]
        width = h
    model = torch.nn.Sequential(*layers, torch.nn.Linear(width, 10))
    opt = (torch.optim.SGD(model.parameters(), lr=SGD_LR, momentum=MOMENTUM) if optimizer == "sgd"
           else torch.optim.Adam(model.parameters(), lr=ADAM_LR))

    def run():
        start = time.perf_counter()
        order = torch.randperm(len(tX))
        for i in range(0, len(tX), batch_size):
            idx = order[i:i + batch_size]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(tX[idx]), ty[idx]).backward()
            opt.step()
        return time.perf_counter() - start

    return run, f"torch {torch.__version__}", torch.get_num_threads()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="epochs of each (default 5)")
    parser.add_argument("--hidden", type=int, nargs="+", default=[256, 128],
                        help="hidden layer widths (default 256 128, the reference's)")
    parser.add_argument("--batch-size", type=int, default=128, help="mini-batch size (default 128)")
    parser.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd", help="optimiser (default sgd)")
    parser.add_argument("--data", default=None, help="MNIST folder or file (default: model.data search order)")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch decides)")
    parser.add_argument("--numpy-threads", type=int, default=1,
                        help="OpenBLAS threads for our trainer (default 1, the trainer's default: best on a "
                             "busy machine; on an idle one 2 can be faster for wide layers)")
    parser.add_argument("--no-torch", action="store_true", help="time our trainer only")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.batch_size < 1 or any(h < 1 for h in args.hidden):
        parser.error("--repeats, --batch-size and --hidden must be positive")

    try:
        mnist = load_mnist(args.data, download=False, progress=False)
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    X, y = as_training_inputs(mnist.train_images, mnist.train_labels)

    ours = numpy_epoch_runner(X, y, args.hidden, args.batch_size, args.optimizer, args.numpy_threads)
    theirs, framework, threads = None, None, None
    torch_note = None
    if args.no_torch:
        torch_note = "PyTorch comparison switched off (--no-torch)"
    else:
        try:
            theirs, framework, threads = torch_epoch_runner(X, y, args.hidden, args.batch_size,
                                                            args.optimizer, args.threads)
        except ImportError:
            torch_note = "PyTorch is not installed: our figures only"

    # one untimed warm-up epoch each: first-touch memory, BLAS thread start-up, torch's allocator
    ours()
    if theirs:
        theirs()
    numpy_seconds, torch_seconds = [], []
    for _ in range(args.repeats):
        numpy_seconds.append(ours())
        if theirs:
            torch_seconds.append(theirs())

    numpy_median = statistics.median(numpy_seconds)
    torch_median = statistics.median(torch_seconds) if torch_seconds else None
    ratio = numpy_median / torch_median if torch_median else None
    result = {
        "numpy_seconds": numpy_median, "torch_seconds": torch_median, "ratio": ratio,
        "numpy_epochs": numpy_seconds, "torch_epochs": torch_seconds or None,
        "numpy_train_accuracy_last_epoch": ours.last_train_acc,
        "framework": framework, "torch_threads": threads, "numpy_threads": args.numpy_threads, "numpy_version": np.__version__,
        "hidden": args.hidden, "batch_size": args.batch_size, "optimizer": args.optimizer,
        "repeats": args.repeats, "samples": int(len(X)), "cpus": os.cpu_count(), "note": torch_note,
    }
    if args.json:
        print(json.dumps(result))
        return 0
    arch = "-".join(map(str, [784, *args.hidden, 10]))
    print(f"{arch}, batch {args.batch_size}, {args.optimizer}, {len(X)} images, {args.repeats} epochs each "
          f"(after one warm-up), alternating")
    print(f"numpy : median {numpy_median:.3f} s/epoch  ({', '.join(f'{s:.2f}' for s in numpy_seconds)})")
    if torch_median is None:
        print(torch_note)
    else:
        print(f"torch : median {torch_median:.3f} s/epoch  ({', '.join(f'{s:.2f}' for s in torch_seconds)})"
              f"  [{framework}, {threads} threads]")
        print(f"ratio : {ratio:.2f} (numpy / torch; target <= 1.25)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
