"""The app's remembered settings: a small JSON file in the user data folder.

    {"model": "/home/ann/.local/share/digit-pad/models/mine.npz"}

`model` is the weights file chosen in the app (Model > Open weights...), absent for the bundled
model. The file is read once at start and rewritten atomically on each change. A missing file
means the defaults; a bad one (not JSON, not an object, a wrong value, unreadable, huge) means
the defaults for what is bad plus a one-line warning the window shows in its status line, never
a crash. Keys this version does not know are kept, so an older app does not wipe a newer one's.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from model import userdata
from model.atomic import atomic_write_text
from model.oneline import one_line, os_problem

#: A settings file is a few hundred bytes; anything far bigger is not one (and is not read whole).
MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class Settings:
    """model: path of the chosen weights file, None for the bundled model.
    other: the file's keys this version does not use, written back unchanged."""

    model: str | None = None
    other: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.other)
        data.pop("model", None)
        if self.model is not None:
            data["model"] = self.model
        return data


def parse(data: Any, source: str) -> tuple[Settings, list[str]]:
    """Settings from a decoded JSON value, and one-line warnings for what had to be ignored."""
    if not isinstance(data, dict):
        return Settings(), [f"{source}: not a JSON object; using the default settings"]
    warnings = []
    other = {k: v for k, v in data.items() if k != "model"}
    model = data.get("model")
    if model is not None and (not isinstance(model, str) or not model.strip()):
        warnings.append(f"{source}: 'model' must be the path of a weights file, got {one_line(repr(model), 60)}; "
                        "using the bundled model")
        model = None
    return Settings(model=model, other=other), warnings


def load(path: Path) -> tuple[Settings, str | None]:
    """(settings, warning): the defaults and no warning when the file does not exist."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return Settings(), None
    except OSError as exc:
        return Settings(), one_line(f"{path}: {os_problem(exc, 'settings file')}; using the default settings")
    if len(raw) > MAX_BYTES:
        return Settings(), f"{path}: larger than {MAX_BYTES // 1024} KB, not a settings file; using the defaults"
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return Settings(), f"{path}: not UTF-8 text; using the default settings"
    except ValueError as exc:
        return Settings(), one_line(f"{path}: not valid JSON ({exc}); using the default settings")
    settings, warnings = parse(data, str(path))
    return settings, one_line("; ".join(warnings)) if warnings else None


class SettingsStore:
    """The settings file at `path` (default: model.userdata.settings_path()).

    `settings` is what was read at start (or last saved); `warning` says what was wrong with
    the file at start, or None.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else userdata.settings_path()
        self.settings, self.warning = load(self.path)

    def update(self, **changes: Any) -> str | None:
        """Change and save settings (atomically); returns a one-line warning if the file could not
        be written (the change still holds for this session), else None."""
        self.settings = replace(self.settings, **changes)
        try:
            userdata.ensure(self.path.parent)
            atomic_write_text(self.path, json.dumps(self.settings.to_dict(), indent=1) + "\n")
        except OSError as exc:
            return one_line(f"could not save the settings to {self.path}: {exc.strerror or exc}")
        return None
