"""Which model the app opens, and what to say about it. Headless.

At start: `--weights PATH` > `--bundled` > the choice saved in the settings > the bundled weights.
A saved file that is gone or bad does not stop the app: the bundled model opens and the status
line says why. An explicit `--weights PATH` that fails is an error (the person asked for it).
The bundled model is always one action away: the `--bundled` flag, Model > Reset to the bundled model.
The person's own model (taught their handwriting, model.model_files.personal_model_path) is a
chosen model like any other, named "your personal model" in the status line.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable, Sequence, TypeVar

from model.oneline import one_line
from model.weights_io import BUNDLED_WEIGHTS, WeightsError

T = TypeVar("T")


@dataclass(frozen=True)
class ModelChoice:
    """A weights file to open and why: origin is 'command line', 'saved' or 'bundled'."""

    path: Path
    origin: str

    @cached_property
    def bundled(self) -> bool:
        # Cached: the window asks on every update (whether Reset to the bundled model is enabled).
        return is_bundled(self.path)

    @cached_property
    def personal(self) -> bool:
        return is_personal(self.path)

    @property
    def name(self) -> str:
        """How the person knows the model: 'bundled', 'your personal model' or the file's name."""
        if self.bundled:
            return "bundled"
        return "your personal model" if self.personal else self.path.name


BUNDLED = ModelChoice(Path(BUNDLED_WEIGHTS), "bundled")


def is_bundled(path: Path | str) -> bool:
    """True when `path` is the bundled weights file (however it is spelled)."""
    try:
        return Path(path).resolve() == Path(BUNDLED_WEIGHTS).resolve()
    except OSError:
        return False


def is_personal(path: Path | str) -> bool:
    """True when `path` is the person's own model file (model.model_files.personal_model_path)."""
    from model.model_files import personal_model_path

    try:
        return Path(path).resolve() == personal_model_path().resolve()
    except OSError:
        return False


def candidates(weights: str | None, bundled: bool, saved: str | None) -> list[ModelChoice]:
    """The models to try at start, in order; only the last may not fall back to another.

    weights: the --weights option; bundled: the --bundled flag; saved: the settings' choice.
    """
    if weights:
        return [ModelChoice(Path(weights), "command line")]
    if bundled or not saved or is_bundled(saved):
        return [BUNDLED]
    return [ModelChoice(Path(saved), "saved"), BUNDLED]


def open_first(choices: Sequence[ModelChoice], load: Callable[[Path], T]) -> tuple[T, ModelChoice, str | None]:
    """Load the first choice that works -> (what `load` returned, the choice, a one-line warning
    about the choices that failed, or None). WeightsError from the last choice propagates."""
    failures = []
    for index, choice in enumerate(choices):
        try:
            loaded = load(choice.path)
        except WeightsError as exc:
            if index == len(choices) - 1:
                raise
            failures.append(f"the {choice.origin} model could not be opened ({one_line(exc, 160)})")
            continue
        warning = None
        if failures:
            warning = one_line(f"{'; '.join(failures)}; using the {choice.name} model instead "
                               "(Model > Reset to the bundled model forgets the saved one)")
        return loaded, choice, warning
    raise ValueError("no model to open")


def summary(choice: ModelChoice, description: str) -> str:
    """Which model and what it is: 'bundled - MLP 784-...' or 'mine.npz - MLP ...'."""
    return one_line(f"{choice.name} - {description}")


def status_line(choice: ModelChoice, description: str) -> str:
    """The status line's model line: 'Model: bundled - MLP 784-...'."""
    return f"Model: {summary(choice, description)}"
