"""What the File and Model menus do: open and save drawings, open pictures, open weights, reset to
the bundled model.

Every failure is one line in the status line (the file and the problem) and changes nothing: a
drawing that cannot be read leaves the canvas as it was, weights that cannot be loaded leave the
current model reading. Weights are read on a background thread (`app.worker`), so a large file
never freezes the canvas; the model is swapped on the Tk thread once it has been checked.

The window provides `root`, `controller`, `status` (an `app.status_bar.StatusBar`),
`drawing_replaced()` and `model_changed()`.
"""
from __future__ import annotations

from pathlib import Path
from tkinter import filedialog
from typing import Any

from app.controller import LoadedModel, read_weights
from app.imaging import save_png
from app.model_choice import BUNDLED, ModelChoice, is_bundled
from model.model_files import personal_model_path, reset_personal_model
from model.settings import SettingsStore
from app.worker import Job, poll_every
from model import userdata
from model.oneline import one_line
from preprocessing.drawing import DrawingFormatError, read_drawings, write_drawings
from preprocessing.pipeline import ImageError

#: What File > Open image offers (Pillow reads more; "All files" lets a person try).
IMAGE_TYPES = [("Images", "*.png *.jpg *.jpeg *.bmp *.gif *.tif *.tiff *.webp *.PNG *.JPG *.JPEG"),
               ("All files", "*")]


class FileActions:
    """The menus' file work for `window`; `model` is the model in use, `settings` remembers the
    chosen one (None: nothing is remembered, e.g. in tests)."""

    def __init__(self, window: Any, model: ModelChoice = BUNDLED, settings: SettingsStore | None = None) -> None:
        self.window = window
        self.model = model
        self.settings = settings
        self.job: Job | None = None
        # Whether a personal model is on disk; kept up to date here (Use it, Reset) rather than
        # looked up on every update.
        self.personal_saved = personal_model_path().is_file()
        self._moved_aside: Path | None = None  # where Reset put the personal model, for its message

    @property
    def custom_model(self) -> bool:
        """True when the model in use is not the bundled one, or a personal model is kept (Model >
        Reset to the bundled model is enabled)."""
        return not self.model.bundled or self.personal_saved

    # ------------------------------------------------------------------ drawings
    def open_drawing(self) -> None:
        path = filedialog.askopenfilename(parent=self.window.root, title="Open drawing",
                                          filetypes=[("Drawings", "*.jsonl"), ("All files", "*")])
        if path:
            self.open_drawing_file(Path(path))

    def open_drawing_file(self, path: Path) -> bool:
        """Show the file's first drawing (undoable); False and a message when it cannot be read."""
        try:
            drawings = read_drawings(path)
        except (DrawingFormatError, OSError) as exc:
            self.window.status.say(f"Could not open drawing: {one_line(exc)}", error=True)
            return False
        if not drawings:
            self.window.status.say(f"Could not open drawing: {path}: the file holds no drawings", error=True)
            return False
        drawing = drawings[0]
        self.window.controller.load_drawing(drawing)
        self.window.drawing_replaced()
        label = f", labelled {drawing.label}" if drawing.label is not None else ""
        more = f" (the first of {len(drawings)})" if len(drawings) > 1 else ""
        self.window.status.say(f"Opened {path.name}{more}{label}")
        return True

    # ------------------------------------------------------------------ pictures
    def open_image(self) -> None:
        path = filedialog.askopenfilename(parent=self.window.root, title="Open image", filetypes=IMAGE_TYPES)
        if path:
            self.open_image_file(Path(path))

    def open_image_file(self, path: Path) -> bool:
        """Make the picture the input (undoable); False and a one-line message when it cannot be read."""
        path = Path(path)
        try:
            reading = self.window.controller.open_image(path, label=path.name)
        except ImageError as exc:
            self.window.status.say(f"Could not open image: {one_line(exc)}", error=True)
            return False
        self.window.drawing_replaced()
        if reading.note:
            self.window.status.say(f"Opened {path.name}: {reading.note}, reading the largest")
        elif reading.verdict == "empty":
            self.window.status.say(f"Opened {path.name}: no ink found in it")
        else:
            self.window.status.say(f"Opened {path.name}; drawing on the canvas starts over, Ctrl+Z brings it back")
        return True

    def save_drawing(self) -> None:
        path = filedialog.asksaveasfilename(parent=self.window.root, title="Save drawing", defaultextension=".jsonl",
                                            filetypes=[("Drawing (and a PNG beside it)", "*.jsonl")])
        if path:
            self.save_drawing_files(Path(path))

    def save_drawing_files(self, path: Path) -> bool:
        """Write the drawing to PATH.jsonl and the canvas to PATH.png, each atomically."""
        stem = path.with_suffix("") if path.suffix.lower() in (".jsonl", ".png") else path
        jsonl, png = stem.with_suffix(".jsonl"), stem.with_suffix(".png")
        try:
            write_drawings(jsonl, [self.window.controller.to_drawing()])
            save_png(self.window.controller.raster.pixels, png)
        except (OSError, ValueError) as exc:
            self.window.status.say(f"Could not save: {one_line(exc)}", error=True)
            return False
        self.window.status.say(f"Saved {jsonl.name} and {png.name} in {stem.parent}")
        return True

    # ------------------------------------------------------------------ models
    def open_weights(self) -> None:
        try:
            folder = str(userdata.ensure(userdata.models_dir()))
        except OSError:
            folder = None  # the dialog then starts where it likes
        path = filedialog.askopenfilename(parent=self.window.root, title="Open weights", initialdir=folder,
                                          filetypes=[("Weights", "*.npz"), ("All files", "*")])
        if path:
            self.open_weights_file(Path(path))

    def use_bundled_model(self) -> Job:
        """Reset to the bundled model: the personal model, if any, is moved aside (to
        PREVIOUS_PERSONAL_MODEL in the models folder, so nothing is lost) and Digit Pad starts with
        the bundled model from then on."""
        try:
            moved = reset_personal_model()
        except OSError as exc:
            self.window.status.say(f"Could not move your personal model aside: {one_line(exc)}", error=True)
            return self.open_weights_file(BUNDLED.path)
        self.personal_saved = personal_model_path().is_file()
        self._moved_aside = moved
        return self.open_weights_file(BUNDLED.path)

    def use_personal_model(self, path: Path) -> Job:
        """Use it: the personal model just saved at `path` becomes the model in use and the one
        Digit Pad starts with."""
        self.personal_saved = True
        return self.open_weights_file(path)

    def open_weights_file(self, path: Path) -> Job:
        """Read and check the weights in the background; on success they become the model in use
        and the one Digit Pad starts with. A job still loading other weights is cancelled."""
        if self.job is not None and self.job.running:
            self.job.cancel()
        path = Path(path)
        name = "the bundled model" if is_bundled(path) else path.name
        self.window.status.say(f"Opening {name}...")
        self.job = Job(lambda report, cancelled: read_weights(path),
                       on_done=lambda loaded: self._adopt(path, loaded),
                       on_error=lambda exc: self.window.status.say(
                           f"Could not load weights: {one_line(exc)} (keeping the current model)", error=True),
                       name="digit-pad: open weights")
        return poll_every(self.window.root, self.job)

    def _adopt(self, path: Path, loaded: LoadedModel) -> None:
        description = self.window.controller.use_model(loaded)
        self.model = BUNDLED if is_bundled(path) else ModelChoice(path, "opened")
        message = f"Now using the bundled model: {description}" if self.model.bundled else \
            f"Now using {self.model.name if self.model.personal else path.name}: {description}"
        moved, self._moved_aside = self._moved_aside, None
        if moved is not None and self.model.bundled:
            message += f" (your personal model is kept as {moved.name})"
        warning = None
        if self.settings is not None:
            warning = self.settings.update(model=None if self.model.bundled else str(path.resolve()))
        self.window.status.say(f"{message}; but {warning}" if warning else message, error=bool(warning))
        self.window.model_changed()
