"""Where a trained model is saved, and which files a run must never replace.

A training run (train.py, its --fine-tune) saves to a NEW file in the user's models folder unless
it is told where; a file it is told to replace is checked before any long work. The installed
package is never written; the bundled weights (maintainers regenerate weights/mlp.npz from a source
checkout) and the model the app opens with (the one chosen in Model > Open weights) only by a
complete run of the default recipe, so that a quick experiment cannot replace either. If the final
save still fails (a full disk, a folder gone meanwhile) the model goes to a new file in the models
folder instead of being lost. The person's own model, taught their handwriting, has one fixed place
(``personal_model_path``).
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Callable

from model.atomic import atomic_write_bytes, check_writable
from model.oneline import one_line
from model.recipe import Recipe
from model.userdata import ensure, models_dir
from model.weights_io import BUNDLED_WEIGHTS, save_weights


class UsageError(ValueError):
    """A bad option value or output path, found before any work (one line)."""


#: The personal model's file name in the models folder, and where "Reset" moves it.
PERSONAL_MODEL = "personal.npz"
PREVIOUS_PERSONAL_MODEL = "personal-previous.npz"


def new_model_path(recipe: Recipe | None, kind: str = "mlp") -> Path:
    """A file name not yet taken in the models folder: kind, "quick" for a quick training run
    (recipe None: not a training run of its own, e.g. a fine-tune), the time."""
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = ensure(models_dir())
    name = f"{kind}-{'quick-' if recipe is not None and recipe.is_quick else ''}{stamp}"
    out, number = folder / f"{name}.npz", 1
    while out.exists():
        number += 1
        out = folder / f"{name}-{number}.npz"
    return out


def protected_reason(out: Path, recipe: Recipe, source_root: Path, stopped: bool = False) -> str | None:
    """Why ``out`` must not receive this run's model, or None when it may.

    source_root: the folder train.py runs from; a source checkout has pyproject.toml there, an
    installed copy (site-packages) does not."""
    target = Path(out).expanduser().resolve()
    installed = not (Path(source_root) / "pyproject.toml").is_file()
    if installed and BUNDLED_WEIGHTS.parent.resolve().parent in target.parents:
        return f"{out} is inside the installed Digit Pad package; save elsewhere (default: your models folder)"
    for protected, what in ((BUNDLED_WEIGHTS, "the bundled model"), (_app_model(), "the model the app uses")):
        if protected is not None and target == protected.resolve():
            changed = recipe.differences()
            if changed or stopped:
                why = f"changes {', '.join(changed)}" if changed else "was stopped before the end"
                return (f"{out} is {what}: only a complete run of the default recipe may replace it "
                        f"(this run {why})")
    return None


def _app_model() -> Path | None:
    """The weights file the app opens with, when the person chose one (model.settings)."""
    from model.settings import load
    from model.userdata import settings_path

    chosen = load(settings_path())[0].model
    return None if chosen is None else Path(chosen).expanduser()


def check_out(path: str | Path | None, recipe: Recipe, source_root: Path) -> Path:
    """The file a run will write, checked up front: a new file in the models folder when ``path``
    is None; otherwise not protected, a regular file or absent, in a writable folder (UsageError or
    OSError naming the problem)."""
    if path is None:
        return new_model_path(recipe)
    out = Path(path).expanduser()
    reason = protected_reason(out, recipe, source_root)
    if reason:
        raise UsageError(reason)
    check_writable(out)
    return out


def save_with_fallback(out: Path, model, metadata: dict, recipe: Recipe, stopped: bool,
                       log: Callable[[str], None], source_root: Path, kind: str = "mlp") -> tuple[Path, bool]:
    """Save to ``out``; when that is not allowed (a stopped run and a protected file) or fails,
    save to a new file in the models folder (named by ``kind``) and say why. Returns (the file
    written, whether it is ``out``)."""
    reason = protected_reason(out, recipe, source_root, stopped)
    if reason is None:
        try:
            return save_weights(out, model, metadata), True
        except OSError as exc:
            reason = f"could not write {out} ({one_line(exc.strerror or exc)})"
    fallback = new_model_path(recipe if kind == "mlp" else None, kind)
    log(f"note: {reason}; saving to {fallback} instead")
    return save_weights(fallback, model, metadata), False


# ------------------------------------------------------------------------------ the personal model
def personal_model_path() -> Path:
    """Where the app keeps the person's own model (it may not exist). The app opens it as it opens
    any chosen model (app.model_choice, the saved setting), so "Use it" saves it here and chooses
    it, and Model > Use the bundled model goes back."""
    return models_dir() / PERSONAL_MODEL


def save_personal_model(model, metadata: dict) -> Path:
    """Make ``model`` the personal model ("Use it"): the one before it, if any, is first copied
    to PREVIOUS_PERSONAL_MODEL; both writes are atomic, so a crash at any point leaves a
    complete personal model (old or new). Returns its path."""
    target = personal_model_path()
    ensure(target.parent)
    if target.is_file():
        atomic_write_bytes(target.with_name(PREVIOUS_PERSONAL_MODEL), target.read_bytes())
    return save_weights(target, model, metadata)


def reset_personal_model() -> Path | None:
    """"Reset to the bundled model": move the personal model aside (to PREVIOUS_PERSONAL_MODEL,
    so nothing is lost) and return where it went; None when there was none."""
    target = personal_model_path()
    if not target.is_file():
        return None
    previous = target.with_name(PREVIOUS_PERSONAL_MODEL)
    target.replace(previous)
    return previous
