"""Where Digit Pad keeps each person's files: never inside the installed package.

Two folders, each the platform's usual place (the XDG base directories on Linux):

- the data folder holds what a person would miss if it were deleted: retrained and personal
  models (``models/``), settings (``settings.json``) and their own labelled digits;
- the cache folder holds what can be fetched or computed again: MNIST downloads (``mnist/``) and
  rendered training images (``drawn/``).

``$DIGITPAD_DATA_DIR`` and ``$DIGITPAD_CACHE_DIR`` replace either folder (the tests point them at
temporary folders). Nothing here creates a folder until a caller asks for one with ``ensure``.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "digit-pad"
#: Folder name where the platform's convention uses display names (macOS, Windows).
APP_DISPLAY_NAME = "Digit Pad"


def _home() -> Path:
    return Path(os.path.expanduser("~"))


def _xdg(variable: str, fallback: str) -> Path:
    # The XDG spec says a relative path in these variables is invalid and must be ignored.
    value = os.environ.get(variable, "")
    return Path(value) if os.path.isabs(value) else _home() / fallback


def data_dir() -> Path:
    """The per-user data folder (models, settings, the person's own digits)."""
    explicit = os.environ.get("DIGITPAD_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "darwin":
        return _home() / "Library" / "Application Support" / APP_DISPLAY_NAME
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA") or _home() / "AppData" / "Roaming") / APP_DISPLAY_NAME
    return _xdg("XDG_DATA_HOME", ".local/share") / APP_NAME


def cache_dir() -> Path:
    """The per-user cache folder (downloads and renders that can be made again)."""
    explicit = os.environ.get("DIGITPAD_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    if sys.platform == "darwin":
        return _home() / "Library" / "Caches" / APP_DISPLAY_NAME
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA") or _home() / "AppData" / "Local"
        return Path(local) / APP_DISPLAY_NAME / "Cache"
    return _xdg("XDG_CACHE_HOME", ".cache") / APP_NAME


def models_dir() -> Path:
    """Retrained and personal models."""
    return data_dir() / "models"


def settings_path() -> Path:
    """The app's settings (JSON)."""
    return data_dir() / "settings.json"


def ensure(folder: Path) -> Path:
    """Create ``folder`` (and its parents) if needed and return it; OSError names the folder."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot create the folder ({exc.strerror or exc})", str(folder)) from None
    return folder


def describe() -> dict[str, str]:
    """What `digit-pad --where` prints: each folder Digit Pad uses, by role."""
    from model.weights_io import BUNDLED_WEIGHTS

    return {
        "data": str(data_dir()),
        "models": str(models_dir()),
        "settings": str(settings_path()),
        "cache": str(cache_dir()),
        "bundled weights": str(BUNDLED_WEIGHTS),
    }
