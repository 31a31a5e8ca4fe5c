"""Teach the network one person's handwriting: fine-tune a copy of a model on their labelled drawings.

The app's Teach button and ``train.py --fine-tune`` both call ``fine_tune``; it is written to run
in a worker thread (progress callbacks, a stop request, never touching the base model, which the
window keeps reading with) and returns everything there is to show and to save:

1. split the labelled drawings, per digit and seeded, into a part to teach with and a part held
   out of the fine-tune, which says honestly whether teaching helped (``split_drawings``);
2. render the teaching drawings as training on drawn digits does: random size, position and
   brush, the app's raster, input pen and pipeline, several renders each (``render_teaching``);
3. mix in rehearsal digits, a small MNIST training sample shipped with the app, so that a machine
   without MNIST can still keep the model from forgetting everyone else's handwriting, and a small
   share of generated "not a digit" drawings (``preprocessing.negatives``, the train sources, label
   NOT_A_DIGIT) so that a personal model keeps the verdict "not a digit" its base learned;
4. ``model.training.fit`` a COPY of the base model with ``FINE_TUNE_RECIPE`` (few epochs, a low
   learning rate, the usual batch augmentation), exactly as training does, batch norm included;
5. measure the base and the personal model on the held-out drawings, read exactly as the app reads
   them, and on MNIST test digits (the full test set where it is on disk, else the shipped sample).

How it keeps from forgetting, chosen by measurement: all 30 pen-digit writers, each taught with 5
drawings of each digit by the writer-CV fold model that never saw them and scored on their other
drawings as the app reads them (mean 99.48 % before; MNIST test change against each fold model):

    rehearsal, shipped MNIST labels, lr 0.003 (chosen)   99.87 %, no writer worse, MNIST -0.04 (worst -0.12)
    the same at lr 0.01                                  99.87 %, 2 writers worse, MNIST -0.14 (worst -0.28)
    distillation: the base's outputs on the rehearsal    99.88 %, no writer worse, MNIST -0.06 (worst -0.21)
      digits instead of their labels, lr 0.01
    learning without forgetting: distillation on the     99.72 %, no writer worse, MNIST -0.03 (worst -0.09)
      person's own renders, no MNIST, batch norm frozen
    L2 anchor to the base weights, no MNIST (folds 1-2)  no gain, 1 writer worse, MNIST -0.18
    no protection at all (fold 2)                        no gain, 1 writer worse, MNIST -2.60

Rehearsal at 0.003 ties distillation and forgets least of the two, with no change to the training
loop; ten epochs or a rate of 0.005 taught no more (folds 3-5). Batch-norm running statistics must
follow the fine-tune's data, as in training: kept from the base they made two fold-1 writers worse
and cost 0.49 points of MNIST.

Renders of each teaching drawing, chosen on seeds 1 and 2 of ``benchmarks/personalise.py`` (other
teaching drawings, other fine-tune seeds; seed 0 measured once afterwards), by the writers made
worse over both seeds, then the mean after (the fold models of 2026-12-02; 99.63 / 99.60 % before):

    16 renders                                           99.78 / 99.85 %, 2 worse (pen-tra21 twice)
    16, the weights averaged over the last half of the   99.83 / 99.85 %, 1 worse (pen-tra21)
      steps (tail averaging)
    16, distillation: the base's outputs on the          99.80 / 99.83 %, 3 worse
      rehearsal digits instead of their labels
    32 renders (chosen)                                  99.83 / 99.85 %, 1 worse (pen-tra12, seed 2)

With 16 renders pen-tra21 lost the same drawing under seeds 0, 1 and 2 (a 3 with a looped top,
"unsure 3" before, "unsure 5" after): a steady effect of their teaching, not one run's noise.
Averaging and 32 renders tie to the drawing (11,969 of 11,988 right over both seeds); the rule took
32, by 0.00004 points of mean. Seed 0 with 32: 99.63 % -> 99.88 %, no writer worse, worst writer 97.0 % -> 99.5 %,
MNIST -0.03 points against each fold model (worst -0.19), a fine-tune 6.5 s (7.1 s at most).

Shapes: images are (n, 28, 28) float32 in [0, 1] (MNIST samples uint8); labels (n,) int64.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import importlib.resources
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from model.evaluation import Evaluation, evaluate
from model.losses import NOT_A_DIGIT
from model.mlp import MLP
from model.recipe import Recipe, recipe_from_metadata
from model.training import BatchProgress, FitResult, StopRequest, fit
from preprocessing.drawing import Drawing, read_drawings
from preprocessing.drawn_samples import DEFAULT_BRUSH_RANGE, render_one, render_samples
from preprocessing.pipeline import DEFAULT_SETTINGS, PipelineSettings
from preprocessing.raster import DEFAULT_BRUSH_FRACTION

#: The MNIST sample shipped for fine-tuning (package data; rebuilt by benchmarks/make_rehearsal.py).
REHEARSAL_FILE = Path(str(importlib.resources.files("weights").joinpath("rehearsal.npz")))
#: How the held-out drawings are read: the window's default canvas (app.controller.DEFAULT_CANVAS_PX;
#: preprocessing must not import the app). The network's input does not depend on the brush.
READ_CANVAS_PX = 448

#: The fine-tune's training settings: optimisation and augmentation as the bundled recipe, but six
#: epochs from a learning rate about 30 times lower, so the model moves towards the person without
#: leaving home (ten epochs taught no more). drawing_variants = renders of each teaching drawing:
#: 32 rather than 16 made fewer writers worse (module docstring).
#: The network fields are replaced by the base model's own when a fine-tune runs.
FINE_TUNE_RECIPE = Recipe(epochs=6, lr=0.003, warmup_epochs=0.0, batch_size=64, val_split=0.0, drawings=(),
                          drawing_variants=32, picture_variants=0)


@dataclass(frozen=True)
class FineTuneSettings:
    """What a fine-tune does besides its recipe. Validated on construction.

    holdout: share of each digit's drawings held out to measure before/after (a digit with a
        single drawing keeps it for teaching). max_own_images: renders of the person's drawings
        per fine-tune at most (many drawings get fewer renders each, so time stays bounded).
    rehearsal: shipped MNIST training digits mixed in. negatives_per_source: generated "not a
        digit" drawings of each train source of ``preprocessing.negatives`` mixed in (one render
        each; 0: none). min_drawings: fewer labelled drawings than this is refused.
    """

    recipe: Recipe = FINE_TUNE_RECIPE
    holdout: float = 0.2
    max_own_images: int = 2400
    rehearsal: int = 2000
    #: 30 of each of the 11 train sources: 330 images, about a tenth of a 50-drawing fine-tune.
    negatives_per_source: int = 30
    min_drawings: int = 10

    def __post_init__(self) -> None:
        checks = [("holdout", 0 <= self.holdout < 1, "must be in [0, 1)"),
                  ("max_own_images", self.max_own_images >= 1, "must be at least 1"),
                  ("rehearsal", self.rehearsal >= 0, "must be 0 or more"),
                  ("negatives_per_source", self.negatives_per_source >= 0, "must be 0 or more"),
                  ("min_drawings", self.min_drawings >= 1, "must be at least 1")]
        for name, ok, why in checks:
            if not ok:
                raise ValueError(f"invalid fine-tune setting {name}={getattr(self, name)!r}: {why}")
        if not isinstance(self.recipe, Recipe):
            raise ValueError("invalid fine-tune setting recipe: must be a Recipe")

    @property
    def seed(self) -> int:
        return self.recipe.seed

    def replace(self, **changes: Any) -> "FineTuneSettings":
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return {"recipe": self.recipe.to_dict(), "holdout": self.holdout, "max_own_images": self.max_own_images,
                "rehearsal": self.rehearsal, "negatives_per_source": self.negatives_per_source,
                "min_drawings": self.min_drawings}


class FineTuneError(ValueError):
    """The fine-tune cannot run (too few drawings, a damaged shipped sample); one line."""


class FineTuneCancelled(Exception):
    """The stop request was set: nothing was produced and nothing was changed."""


@dataclass(frozen=True)
class FineTuneProgress:
    """Where a fine-tune is: stage ('render', 'train', 'measure'), fraction of the whole run done
    in [0, 1], a short sentence for a status line, and in training the batch's own progress."""

    stage: str
    fraction: float
    message: str
    batch: BatchProgress | None = None


#: Share of the progress bar each stage fills (rendering about a quarter of the time on 50
#: drawings, measuring a few per cent).
_STAGE_SPAN = {"render": (0.0, 0.2), "train": (0.2, 0.95), "measure": (0.95, 1.0)}


@dataclass(frozen=True)
class CheckSet:
    """Labelled MNIST test digits to measure forgetting on: images uint8 (n, 28, 28), labels (n,);
    name says where they come from; full: the whole MNIST test set (else a random sample)."""

    images: np.ndarray
    labels: np.ndarray
    name: str
    full: bool


@dataclass(frozen=True)
class Rehearsal:
    """The shipped MNIST sample: train x/y (rehearsal) and test x/y (a random test sample)."""

    x: np.ndarray
    y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray


@dataclass
class FineTuneResult:
    """Everything a fine-tune produced. model: the personal network (a new object; the base is
    untouched). before/after: base and personal model on the held-out drawings (None when none
    were held out). mnist_before/mnist_after: on ``check`` (None without one). notes: plain
    sentences on what the figures can and cannot say."""

    model: MLP
    base_path: str | None
    base_sha256: str | None
    settings: FineTuneSettings
    taught: list[Drawing]
    held_out: list[Drawing]
    before: Evaluation | None
    after: Evaluation | None
    check: CheckSet | None
    mnist_before: Evaluation | None
    mnist_after: Evaluation | None
    fit: FitResult
    seconds: float
    own_images: int
    rehearsal_images: int
    notes: list[str] = field(default_factory=list)
    negative_images: int = 0
    created: str = field(default_factory=lambda: _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))

    @property
    def mnist_change(self) -> float | None:
        """Personal minus base accuracy on the check set (a fraction; negative = forgot some)."""
        if self.mnist_before is None or self.mnist_after is None:
            return None
        return self.mnist_after.accuracy - self.mnist_before.accuracy

    def figures(self) -> dict:
        """The before/after figures as plain JSON."""
        def accuracy(scored):
            return None if scored is None else scored.accuracy

        return {"held_out": len(self.held_out), "held_out_before": accuracy(self.before),
                "held_out_after": accuracy(self.after),
                "mnist_check": None if self.check is None else self.check.name,
                "mnist_check_n": None if self.check is None else int(len(self.check.labels)),
                "mnist_before": accuracy(self.mnist_before), "mnist_after": accuracy(self.mnist_after),
                "mnist_change": self.mnist_change}

    def summary_lines(self) -> list[str]:
        """What a person reads when the fine-tune is done (the CLI prints these; the window shows them)."""
        negatives = f" and {self.negative_images} 'not a digit' drawings" if self.negative_images else ""
        lines = [f"taught on {len(self.taught)} of your drawings ({self.own_images} renders) with "
                 f"{self.rehearsal_images} MNIST digits for rehearsal{negatives}, in {self.seconds:.1f} s"]
        if self.before is not None and self.after is not None:
            lines.append(f"your {len(self.held_out)} held-out drawings: {_percent(self.before.accuracy)} before, "
                         f"{_percent(self.after.accuracy)} after")
        if self.mnist_before is not None and self.mnist_after is not None:
            change = self.mnist_change * 100
            lines.append(f"MNIST ({self.check.name}): {_percent(self.mnist_before.accuracy, 2)} before, "
                         f"{_percent(self.mnist_after.accuracy, 2)} after ({change:+.2f} points)")
        return lines + [f"note: {note}" for note in self.notes]

    def metadata(self, base_metadata: Mapping[str, Any] | None = None) -> dict:
        """Metadata to save with the personal model (``model.weights_io.save_weights``): the base's
        preprocessing and training recipe (the personal model reads as its base does), the
        fine-tune's settings, the base file, the samples used and the figures."""
        base_metadata = dict(base_metadata or {})
        fine_tune = {"settings": self.settings.to_dict(), "fit": self.fit.summary(),
                     "own_images": self.own_images, "rehearsal_images": self.rehearsal_images,
                     "negative_images": self.negative_images}
        results = {"personal": self.figures(), "fine_tune_seconds": round(self.seconds, 2)}
        if self.check is not None and self.check.full and self.mnist_after is not None:
            results.update({"mnist_test_accuracy": self.mnist_after.accuracy, "mnist_test_loss": self.mnist_after.loss,
                            "mnist_test_confusion": self.mnist_after.confusion.tolist()})
        # The base's verdict rule (thresholds, temperature) goes with it: the personal model keeps
        # saying "not a digit" as its base did (the fine-tune rehearses the negatives for that).
        verdict = {key: base_metadata[key] for key in ("verdict", "calibration") if key in base_metadata}
        return {
            **verdict,
            "preprocessing": base_metadata.get("preprocessing") or DEFAULT_SETTINGS.to_dict(),
            "training": {**_base_recipe(base_metadata), "fine_tune": fine_tune},
            "data": base_metadata.get("data") or {},
            "personal": {"base": {"path": self.base_path, "sha256": self.base_sha256,
                                  "created": base_metadata.get("created")},
                         "samples": {"taught": len(self.taught), "held_out": len(self.held_out),
                                     "taught_per_digit": _per_digit(self.taught),
                                     "held_out_per_digit": _per_digit(self.held_out),
                                     "sha256": drawings_sha256(self.taught + self.held_out)},
                         "figures": self.figures(), "notes": list(self.notes)},
            "results": results,
            "created": self.created,
        }


def _base_recipe(metadata: Mapping[str, Any]) -> dict:
    """{"recipe": the base's recipe} so that the personal model records what data its base saw
    (the writers it left out, say); {} when the base records none or an unreadable one."""
    try:
        recipe = recipe_from_metadata(metadata)
    except ValueError:
        return {}
    return {} if recipe is None else {"recipe": recipe.to_dict()}


def _percent(value: float, decimals: int = 1) -> str:
    return f"{value * 100:.{decimals}f} %"


def _per_digit(drawings: Sequence[Drawing]) -> list[int]:
    return np.bincount([d.label for d in drawings], minlength=10).astype(int).tolist()


def drawings_sha256(drawings: Sequence[Drawing]) -> str:
    """A fingerprint of a set of drawings (their JSON lines, in order)."""
    digest = hashlib.sha256()
    for drawing in drawings:
        digest.update(json.dumps(drawing.to_json(), sort_keys=True, separators=(",", ":")).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# ------------------------------------------------------------------------------ the pieces
def labelled(drawings: Sequence[Drawing]) -> list[Drawing]:
    """The drawings that can teach: a label and some ink."""
    return [d for d in drawings if d.label is not None and not d.is_empty]


def enough_drawings(drawings: list[Drawing], settings: FineTuneSettings, source: str | Path | None = None
                    ) -> list[Drawing]:
    """``drawings`` when they are at least settings.min_drawings, else FineTuneError (naming
    ``source``, the file they came from, if given)."""
    if len(drawings) < settings.min_drawings:
        where = f"{source}: " if source is not None else ""
        what = "no labelled drawings (each line needs a \"label\" 0-9 and strokes)" if not drawings else \
            f"too few labelled drawings to teach with: {len(drawings)}"
        raise FineTuneError(f"{where}{what} (at least {settings.min_drawings}; label a few of each digit you "
                            "want read better)")
    return drawings


def read_teaching_file(path: str | Path, settings: FineTuneSettings) -> list[Drawing]:
    """The labelled drawings of a drawing file (DrawingFormatError for a bad file, FineTuneError
    naming it when it has none or too few)."""
    return enough_drawings(labelled(read_drawings(path)), settings, path)


def split_drawings(drawings: Sequence[Drawing], holdout: float, seed: int) -> tuple[list[Drawing], list[Drawing]]:
    """(teach, held_out): of each digit's n drawings, round(holdout * n) are held out, chosen with
    ``seed``, but never the last one (a digit drawn once is taught). Both keep the input order."""
    rng = np.random.default_rng([int(seed), 11])
    labels = np.array([d.label for d in drawings], dtype=np.int64)
    held = np.zeros(len(drawings), bool)
    for digit in range(10):
        where = np.flatnonzero(labels == digit)
        count = min(int(round(holdout * len(where))), len(where) - 1)
        if count > 0:
            held[rng.choice(where, size=count, replace=False)] = True
    return ([d for d, h in zip(drawings, held) if not h], [d for d, h in zip(drawings, held) if h])


def variants_for(n_drawings: int, settings: FineTuneSettings) -> int:
    """Renders of each teaching drawing: the recipe's drawing_variants, fewer when there are so
    many drawings that max_own_images would be exceeded (at least 1)."""
    return max(1, min(settings.recipe.drawing_variants, settings.max_own_images // max(n_drawings, 1)))


def render_teaching(drawings: Sequence[Drawing], variants: int, seed: int, pipeline: PipelineSettings,
                    on_fraction: Callable[[float], None] | None = None, stop: StopRequest | None = None,
                    chunk: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """Random renders of each drawing (random size, position, brush; ``render_samples``) ->
    images (n, 28, 28) float32, labels (n,) int64. Rendered in this process, a few drawings at a
    time, so that a stop request is seen within a fraction of a second; FineTuneCancelled then."""
    images, labels = [], []
    for start in range(0, len(drawings), chunk):
        if stop is not None and stop.is_set():
            raise FineTuneCancelled()
        chunk_seed = int(np.random.SeedSequence([int(seed), 13, start]).generate_state(1)[0])
        samples = render_samples(drawings[start:start + chunk], variants, seed=chunk_seed,
                                 brush_range=DEFAULT_BRUSH_RANGE, settings=pipeline, workers=1)
        images.append(samples.images)
        labels.append(samples.labels)
        if on_fraction is not None:
            on_fraction(min(start + chunk, len(drawings)) / len(drawings))
    if not images:
        return np.zeros((0, 28, 28), np.float32), np.zeros(0, np.int64)
    return np.concatenate(images), np.concatenate(labels)


def render_negative_share(per_source: int, digits: Sequence[Drawing], seed: int, pipeline: PipelineSettings,
                          stop: StopRequest | None = None, chunk: int = 64) -> np.ndarray:
    """``per_source`` generated "not a digit" drawings of every train source of
    ``preprocessing.negatives`` (those made of digits from the person's own ``digits``), one render
    each as drawn digits are rendered -> images (m, 28, 28) float32. FineTuneCancelled on a stop."""
    from preprocessing import negatives

    if per_source <= 0:
        return np.zeros((0, 28, 28), np.float32)
    drawings = negatives.generate_split("train", per_source, int(seed), list(digits) or None)
    images = []
    for start in range(0, len(drawings), chunk):
        if stop is not None and stop.is_set():
            raise FineTuneCancelled()
        chunk_seed = int(np.random.SeedSequence([int(seed), 19, start]).generate_state(1)[0])
        rendered, _ = negatives.render_negatives(drawings[start:start + chunk], 1, chunk_seed, settings=pipeline,
                                                 workers=1)
        images.append(rendered)
    return np.concatenate(images).astype(np.float32, copy=False)


def read_as_app(drawings: Sequence[Drawing], pipeline: PipelineSettings,
                canvas_px: int = READ_CANVAS_PX) -> np.ndarray:
    """The network input the app makes of each drawing as drawn (its own size and place):
    (n, 28, 28) float32, all zeros where the pipeline finds no ink. Bit-identical to replaying
    the drawing through app.controller on a canvas of ``canvas_px``."""
    out = np.zeros((len(drawings), 28, 28), np.float32)
    for i, drawing in enumerate(drawings):
        image = render_one(drawing, DEFAULT_BRUSH_FRACTION, canvas_px, pipeline)
        if image is not None:
            out[i] = image
    return out


def copy_model(model: MLP) -> MLP:
    """An independent network with the same arrays (no buffer shared with ``model``)."""
    return MLP.from_arrays(model.arrays(), model.layer_sizes, batch_norm=model.batch_norm, dropout=model.dropout)


def pipeline_settings(metadata: Mapping[str, Any] | None) -> PipelineSettings:
    """The pipeline settings the model was trained with (DEFAULT_SETTINGS when not recorded)."""
    recorded = (metadata or {}).get("preprocessing")
    if not recorded:
        return DEFAULT_SETTINGS
    try:
        return PipelineSettings.from_dict(recorded)
    except (TypeError, ValueError, KeyError) as exc:
        raise FineTuneError(f"the base model's preprocessing settings are unreadable: {exc}") from None


def load_rehearsal(path: str | Path = REHEARSAL_FILE) -> Rehearsal:
    """The shipped MNIST sample; FineTuneError when it is missing or damaged."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            parts = {name: archive[name] for name in ("x", "y", "test_x", "test_y")}
    except Exception as exc:  # missing, truncated, a key missing: all mean the installation is damaged
        raise FineTuneError(f"{path}: the shipped MNIST sample cannot be read ({type(exc).__name__}: {exc}); "
                            "reinstall Digit Pad") from None
    for images, labels in (("x", "y"), ("test_x", "test_y")):
        x, y = parts[images], parts[labels]
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28) or y.shape != (len(x),) \
                or y.dtype.kind not in "iu" or (len(y) and (y.min() < 0 or y.max() > 9)):
            raise FineTuneError(f"{path}: the shipped MNIST sample is damaged ({images}/{labels}); reinstall Digit Pad")
    return Rehearsal(parts["x"], parts["y"].astype(np.int64), parts["test_x"], parts["test_y"].astype(np.int64))


def mnist_check_set(prefer_full: bool = True, rehearsal: Rehearsal | None = None) -> CheckSet:
    """MNIST test digits to measure forgetting on: the whole test set where it is on disk (never
    downloaded), else the shipped random sample of it."""
    if prefer_full:
        from model.data import DataError, load_mnist

        try:
            data = load_mnist(test_only=True, download=False, progress=False)
            if data.test_images is not None:
                return CheckSet(data.test_images, np.asarray(data.test_labels, np.int64),
                                f"test set, {len(data.test_labels)} digits", True)
        except (DataError, OSError):
            pass
    rehearsal = load_rehearsal() if rehearsal is None else rehearsal
    return CheckSet(rehearsal.test_x, rehearsal.test_y, f"shipped sample of {len(rehearsal.test_y)} test digits",
                    False)


# ------------------------------------------------------------------------------ the whole run
def fine_tune(base: MLP, drawings: Sequence[Drawing], settings: FineTuneSettings | None = None, *,
              base_metadata: Mapping[str, Any] | None = None, base_path: str | Path | None = None,
              check: CheckSet | None = None, rehearsal: Rehearsal | None = None,
              on_progress: Callable[[FineTuneProgress], None] | None = None,
              stop: StopRequest | None = None) -> FineTuneResult:
    """Fine-tune a copy of ``base`` on the labelled ``drawings`` -> FineTuneResult.

    ``base`` is only read (the app may keep predicting with it from another thread). check: MNIST
    test digits for the forgetting figure (None: measure none); rehearsal: the shipped sample
    (default: loaded from REHEARSAL_FILE). on_progress gets a FineTuneProgress after every
    rendered chunk and training batch; stop.is_set() ends the run with FineTuneCancelled.
    FineTuneError (one line) when there are fewer than settings.min_drawings labelled drawings.
    """
    settings = FineTuneSettings() if settings is None else settings
    started = time.perf_counter()
    usable = enough_drawings(labelled(drawings), settings)
    report = _Reporter(on_progress)
    pipeline = pipeline_settings(base_metadata)
    recipe = settings.recipe.replace(hidden=tuple(base.layer_sizes[1:-1]), batch_norm=base.batch_norm,
                                     dropout=base.dropout)
    teach, held_out = split_drawings(usable, settings.holdout, settings.seed)
    notes = _honest_notes(teach, held_out)

    variants = variants_for(len(teach), settings)
    report("render", 0.0, f"rendering {len(teach)} drawings ({variants} each)")
    own_x, own_y = render_teaching(teach, variants, settings.seed, pipeline, stop=stop,
                                   on_fraction=lambda f: report("render", f, "rendering your drawings"))
    rehearsal = load_rehearsal() if rehearsal is None and settings.rehearsal else rehearsal
    rehearse_x, rehearse_y = _rehearsal_sample(rehearsal, settings.rehearsal, settings.seed)
    negative_x = render_negative_share(settings.negatives_per_source, teach, settings.seed, pipeline, stop)
    X = np.concatenate([own_x.reshape(len(own_x), 784),
                        rehearse_x.reshape(len(rehearse_x), 784).astype(np.float32) * np.float32(1 / 255),
                        negative_x.reshape(len(negative_x), 784)])
    y = np.concatenate([own_y, rehearse_y, np.full(len(negative_x), NOT_A_DIGIT, np.int64)])

    model = copy_model(base)
    fitted = fit(recipe, X, y, model=model, stop=stop,
                 on_batch=lambda p: report("train", p.fraction, f"teaching: epoch {p.epoch} of {p.epochs}", p))
    if fitted.stopped or (stop is not None and stop.is_set()):
        raise FineTuneCancelled()

    report("measure", 0.0, "measuring before and after")
    before = after = None
    if held_out:
        held_x = read_as_app(held_out, pipeline)
        held_y = np.array([d.label for d in held_out], np.int64)
        before, after = evaluate(base, held_x, held_y), evaluate(model, held_x, held_y)
    mnist_before = mnist_after = None
    if check is not None:
        mnist_before, mnist_after = evaluate(base, check.images, check.labels), evaluate(model, check.images,
                                                                                         check.labels)
        if not check.full:
            notes.append(f"MNIST figures are from a sample of {len(check.labels)} test digits, not the whole test set")
    report("measure", 1.0, "done")
    return FineTuneResult(
        model=model, base_path=None if base_path is None else str(base_path),
        base_sha256=None if base_path is None else file_sha256(base_path), settings=settings.replace(recipe=recipe),
        taught=teach, held_out=held_out, before=before, after=after, check=check, mnist_before=mnist_before,
        mnist_after=mnist_after, fit=fitted, seconds=time.perf_counter() - started, own_images=len(own_y),
        rehearsal_images=len(rehearse_y), notes=notes, negative_images=len(negative_x))


def _honest_notes(teach: list[Drawing], held_out: list[Drawing]) -> list[str]:
    notes = []
    if not held_out:
        notes.append("no drawing could be held out (each digit needs two or more), so before/after "
                     "on your own drawings is not measured")
    elif len(held_out) < 20:
        notes.append(f"only {len(held_out)} of your drawings were held out, so the before/after figure on "
                     f"them moves in steps of {100 / len(held_out):.0f} points: label more for a firmer one")
    missing = [d for d in range(10) if not any(x.label == d for x in teach)]
    if missing:
        notes.append(f"no drawings of {', '.join(map(str, missing))}: those digits are read as before")
    return notes


def _rehearsal_sample(rehearsal: Rehearsal | None, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if rehearsal is None or count == 0:
        return np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64)
    count = min(count, len(rehearsal.y))
    chosen = np.sort(np.random.default_rng([int(seed), 17]).choice(len(rehearsal.y), size=count, replace=False))
    return rehearsal.x[chosen], rehearsal.y[chosen]


class _Reporter:
    """Turns (stage, fraction of the stage) into overall FineTuneProgress for the callback."""

    def __init__(self, callback: Callable[[FineTuneProgress], None] | None) -> None:
        self.callback = callback

    def __call__(self, stage: str, fraction: float, message: str, batch: BatchProgress | None = None) -> None:
        if self.callback is None:
            return
        low, high = _STAGE_SPAN[stage]
        self.callback(FineTuneProgress(stage, low + (high - low) * min(max(fraction, 0.0), 1.0), message, batch))


def describe_personal(metadata: Mapping[str, Any] | None) -> str | None:
    """One line for a status bar about a personal model's metadata, e.g. "your personal model:
    taught on 40 of your drawings on 2026-12-02 (held-out 80.0 % -> 100.0 %)"; None when the
    metadata is not a personal model's."""
    personal = (metadata or {}).get("personal")
    if not isinstance(personal, Mapping):
        return None
    samples = personal.get("samples") if isinstance(personal.get("samples"), Mapping) else {}
    figures = personal.get("figures") if isinstance(personal.get("figures"), Mapping) else {}
    text = "your personal model"
    if isinstance(samples.get("taught"), int):
        text += f": taught on {samples['taught']} of your drawings"
    created = (metadata or {}).get("created")
    if isinstance(created, str):
        text += f" on {created[:10]}"
    before, after = figures.get("held_out_before"), figures.get("held_out_after")
    if isinstance(before, (int, float)) and isinstance(after, (int, float)):
        text += f" (held-out {_percent(before)} -> {_percent(after)})"
    return text
