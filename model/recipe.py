"""The training recipe: everything that decides what a training run produces, with one set of defaults.

``Recipe()`` is the recipe of the bundled weights: a plain ``python train.py`` trains it. Each field
carries its command-line help, so ``train.py`` builds its options from this class, and the saved
weights record ``recipe.to_dict()`` (metadata "training" -> "recipe"), so any weights file says how
it was made and ``Recipe.from_dict`` reads it back. Validation happens once, on construction:
a bad value raises ValueError naming the field.

What is not here is a property of one run, not of the model: where the data comes from, where the
result goes, how many BLAS threads do the work.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Mapping

from model.augment import AugmentSettings
from model.mlp import INPUT_SIZE, OUTPUT_SIZE

OPTIMIZERS = ("sgd", "adam")
SCHEDULES = ("cosine", "step", "constant")
#: The developers' pen digits, relative to a source checkout (absent elsewhere: a run then says so
#: and trains on MNIST alone).
PEN_DIGITS = "../shared/data/strokes/pendigits-dev.jsonl"
#: Adam diverges at SGD's learning rate; when a run picks Adam without naming a rate, it gets this.
ADAM_DEFAULT_LR = 1e-3


def _option(default: Any, group: str, help: str, **extra: Any):
    """A recipe field with its command-line group and help text."""
    metadata = {"group": group, "help": help, **extra}
    if callable(default):
        return dataclasses.field(default_factory=default, metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Recipe:
    """A training recipe. Sequences are tuples, so a Recipe is hashable and comparable."""

    # network
    hidden: tuple[int, ...] = _option((768, 768), "network", "hidden layer widths")
    batch_norm: bool = _option(True, "network", "batch normalisation in hidden layers")
    dropout: float = _option(0.0, "network", "dropout rate after hidden layers")
    # optimisation
    optimizer: str = _option("sgd", "optimisation", "optimiser", choices=OPTIMIZERS)
    lr: float = _option(0.1, "optimisation", "peak learning rate")
    momentum: float = _option(0.9, "optimisation", "SGD momentum")
    nesterov: bool = _option(True, "optimisation", "Nesterov momentum for SGD")
    betas: tuple[float, float] = _option((0.9, 0.999), "optimisation", "Adam's betas", cli=False)
    eps: float = _option(1e-8, "optimisation", "Adam's epsilon", cli=False)
    weight_decay: float = _option(5e-4, "optimisation", "L2 weight decay")
    schedule: str = _option("cosine", "optimisation", "learning-rate schedule after warm-up", choices=SCHEDULES)
    warmup_epochs: float = _option(1.0, "optimisation", "linear warm-up length in epochs")
    step_epochs: int = _option(10, "optimisation", "period of the step schedule in epochs")
    gamma: float = _option(0.1, "optimisation", "factor of each step of the step schedule", cli=False)
    min_lr: float = _option(0.0, "optimisation", "learning rate at the end of the cosine schedule", cli=False)
    batch_size: int = _option(128, "optimisation", "mini-batch size")
    epochs: int = _option(24, "optimisation", "epochs")
    seed: int = _option(0, "optimisation", "random seed; same seed, same result")
    val_split: float = _option(0.05, "optimisation",
                               "fraction held out for validation; the best epoch on it is kept")
    patience: int = _option(0, "optimisation",
                            "stop after this many epochs without a better validation accuracy, 0 = never")
    # augmentation
    augment: AugmentSettings = _option(AugmentSettings, "augmentation", "batch augmentation", cli=False)
    # data
    drawings: tuple[str, ...] = _option((PEN_DIGITS,), "data",
                                        "drawn digits (JSON Lines drawing files) rendered and added to MNIST")
    drawing_variants: int = _option(8, "data", "random renders (size, position, brush) of each drawing")
    picture_variants: int = _option(3, "data",
                                    "random low-resolution marker bitmaps of each drawing, read through the "
                                    "picture steps (preprocessing.picture_samples); 0 = none")
    exclude_writers: tuple[str, ...] = _option((), "data",
                                               "leave out these writers' drawings (writer cross-validation)")
    limit: int | None = _option(None, "data", "quick run: only the first N MNIST images and N drawings")
    negatives_per_source: int = _option(1000, "data",
                                        "drawings that are not digits, per training source of "
                                        "preprocessing.negatives, taught as 'no digit'; 0 = none")
    negative_variants: int = _option(2, "data", "random renders of each negative drawing")
    negative_weight: float = _option(0.5, "optimisation",
                                     "weight of the negatives' loss (cross-entropy to a flat output)")

    def __post_init__(self) -> None:
        def set_(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        for name in ("hidden", "betas", "drawings", "exclude_writers"):
            value = getattr(self, name)
            if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
                self._fail(name, "must be a list")
            set_(name, tuple(value))
        if not isinstance(self.augment, AugmentSettings):
            self._fail("augment", "must be augmentation settings")
        self._check_types()
        checks = [
            ("hidden", len(self.hidden) >= 1 and all(1 <= h <= 100_000 for h in self.hidden),
             "must be one or more layer widths from 1 to 100000"),
            ("dropout", 0 <= self.dropout < 1, "must be in [0, 1)"),
            ("optimizer", self.optimizer in OPTIMIZERS, f"choose from {', '.join(OPTIMIZERS)}"),
            ("lr", 0 < self.lr <= 10, "must be in (0, 10]"),
            ("momentum", 0 <= self.momentum < 1, "must be in [0, 1)"),
            ("nesterov", not (self.nesterov and self.optimizer == "sgd" and self.momentum == 0),
             "needs momentum > 0"),
            ("betas", len(self.betas) == 2 and all(0 <= b < 1 for b in self.betas), "must be two numbers in [0, 1)"),
            ("eps", 0 < self.eps < 1, "must be in (0, 1)"),
            ("weight_decay", 0 <= self.weight_decay < 1, "must be in [0, 1)"),
            ("schedule", self.schedule in SCHEDULES, f"choose from {', '.join(SCHEDULES)}"),
            ("epochs", 1 <= self.epochs <= 10_000, "must be from 1 to 10000"),
            ("warmup_epochs", 0 <= self.warmup_epochs <= self.epochs, "must be between 0 and the number of epochs"),
            ("step_epochs", self.step_epochs >= 1, "must be at least 1"),
            ("gamma", 0 < self.gamma <= 1, "must be in (0, 1]"),
            ("min_lr", 0 <= self.min_lr <= self.lr, "must be in [0, lr]"),
            ("batch_size", 1 <= self.batch_size <= 65_536, "must be from 1 to 65536"),
            ("seed", 0 <= self.seed < 2 ** 63, "must be a non-negative integer"),
            ("val_split", 0 <= self.val_split < 1, "must be in [0, 1)"),
            ("patience", self.patience >= 0, "must be 0 (never stop early) or more"),
            ("drawing_variants", 1 <= self.drawing_variants <= 1000, "must be from 1 to 1000"),
            ("picture_variants", 0 <= self.picture_variants <= 100, "must be from 0 to 100"),
            ("limit", self.limit is None or self.limit >= 1, "must be a positive number of samples"),
            ("negatives_per_source", 0 <= self.negatives_per_source <= 100_000, "must be from 0 to 100000"),
            ("negative_variants", 1 <= self.negative_variants <= 100, "must be from 1 to 100"),
            ("negative_weight", 0 <= self.negative_weight <= 10, "must be in [0, 10]"),
        ]
        for name, ok, why in checks:
            if not ok:
                self._fail(name, why)

    def _fail(self, name: str, why: str):
        raise ValueError(f"invalid training setting {name}={getattr(self, name)!r}: {why}")

    def _check_types(self) -> None:
        """Numbers must be numbers (finite), integers integers, switches booleans, words strings."""
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
            if kind == "bool":
                ok = isinstance(value, bool)
            elif kind in ("int", "int | None"):
                ok = (value is None and kind != "int") or (isinstance(value, int) and not isinstance(value, bool))
            elif kind == "float":
                ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            elif kind == "str":
                ok = isinstance(value, str)
            elif kind == "tuple[int, ...]":
                ok = all(isinstance(v, int) and not isinstance(v, bool) for v in value)
            elif kind == "tuple[float, float]":
                ok = all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value)
            elif kind == "tuple[str, ...]":
                ok = all(isinstance(v, str) for v in value)
            else:
                continue
            if not ok:
                self._fail(f.name, f"must be {_KIND_WORDS.get(kind, kind)}")

    # ------------------------------------------------------------------ derived
    @property
    def layer_sizes(self) -> list[int]:
        return [INPUT_SIZE, *self.hidden, OUTPUT_SIZE]

    def differences(self, other: "Recipe | None" = None) -> list[str]:
        """Names of the fields where this recipe differs from ``other`` (default: the defaults)."""
        other = Recipe() if other is None else other
        return [f.name for f in dataclasses.fields(self) if getattr(self, f.name) != getattr(other, f.name)]

    @property
    def uses_negatives(self) -> bool:
        return self.negatives_per_source > 0 and self.negative_weight > 0

    @property
    def is_quick(self) -> bool:
        """A quick or partial run: a data limit or fewer epochs than the default recipe."""
        return self.limit is not None or self.epochs < Recipe().epochs

    def replace(self, **changes: Any) -> "Recipe":
        return dataclasses.replace(self, **changes)

    # ------------------------------------------------------------------ as JSON
    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: tuples as lists, augmentation as a nested object."""
        data = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            data[f.name] = value.to_dict() if f.name == "augment" else list(value) if isinstance(value, tuple) else value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Recipe":
        """A recipe from ``to_dict``'s output (missing fields take their defaults); ValueError names
        an unknown or bad field. Older weights files recorded ``warmup_epochs`` and the rest under
        the same names, so their settings read the same way."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a training recipe must be a JSON object, got {type(data).__name__}")
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown training setting {unknown[0]!r}")
        values = dict(data)
        if "augment" in values:
            augment = values["augment"]
            if not isinstance(augment, Mapping):
                raise ValueError(f"invalid training setting augment={augment!r}: must be an object")
            try:
                values["augment"] = AugmentSettings.from_dict(dict(augment))
            except TypeError as exc:
                raise ValueError(f"invalid training setting augment: {exc}") from None
        return cls(**values)

    @classmethod
    def cli_fields(cls) -> list[dataclasses.Field]:
        """The fields that are command-line options of train.py, in order."""
        return [f for f in dataclasses.fields(cls) if f.metadata.get("cli", True)]


_KIND_WORDS = {
    "bool": "true or false", "int": "an integer", "int | None": "an integer or null", "float": "a finite number",
    "str": "a word", "tuple[int, ...]": "a list of integers", "tuple[float, float]": "two numbers",
    "tuple[str, ...]": "a list of strings",
}


def recipe_from_metadata(metadata: Mapping[str, Any]) -> Recipe | None:
    """The recipe a weights file records (None when it records none); ValueError when it is bad.

    Files written before the recipe existed keep it under "training" -> "settings", and were
    trained without negatives."""
    training = metadata.get("training") if isinstance(metadata, Mapping) else None
    if not isinstance(training, Mapping):
        return None
    if "recipe" in training:
        return Recipe.from_dict(training["recipe"])
    recorded = training.get("settings")
    if recorded is None:
        return None
    if not isinstance(recorded, Mapping):
        raise ValueError(f"a training recipe must be a JSON object, got {type(recorded).__name__}")
    return Recipe.from_dict({"negatives_per_source": 0, **recorded})
