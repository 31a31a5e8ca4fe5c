"""The pipeline stages strip: the strokes as read, cropped, blurred, scaled and centred, as thumbnails;
for a picture (File > Open image): the picture, lighting levelled, the ink kept, its width
normalised (thinned and redrawn with the input pen unless MNIST-like) and centred
(preprocessing.image_input).

Shown on demand (View > Pipeline stages, F2): computing the stages costs the controller a little,
so it keeps them only while the strip is visible.
"""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk

import numpy as np
from PIL import ImageTk

from app.controller import Reading
from app.imaging import thumbnail
from app.theme import BORDER, PAD, PAPER, card

#: The stages in pipeline order, and what the strip calls them. The first is the strokes as the
#: network reads them (drawn with the digit-scaled pen when the weights ask for one), which is
#: not the canvas as shown.
STAGES = (("raw", "strokes read"), ("cropped", "cropped"), ("blurred", "blurred"), ("scaled", "scaled"),
          ("centred", "centred"))
#: The same strip for a picture: its own steps, then the network's input.
IMAGE_STAGES = (("picture", "picture"), ("levelled", "lighting levelled"), ("ink", "ink kept"),
                ("thinned", "width normalised"), ("centred", "centred"))
#: Side of each thumbnail, in pixels.
STAGE_PX = 64


def stages_for(reading: Reading) -> tuple[tuple[str, str], ...]:
    """STAGES, or IMAGE_STAGES when the reading comes from a picture (also after grid edits of it)."""
    return IMAGE_STAGES if "picture" in reading.stages else STAGES


def stage_arrays(reading: Reading) -> list[np.ndarray | None]:
    """The array each thumbnail shows, in `stages_for(reading)` order (None: blank). After grid
    edits the last one is the edited network input, since that is what the network reads."""
    arrays = []
    for name, _ in stages_for(reading):
        stage = reading.stages.get(name)
        if name == "centred" and (stage is None or reading.source == "grid"):
            stage = reading.input
        arrays.append(None if stage is None or np.asarray(stage).size == 0 else np.asarray(stage, np.float32))
    return arrays


class StagesPanel:
    """The strip (`frame`, not laid out until the window shows it); `show(reading)` paints it."""

    def __init__(self, parent: tk.Misc) -> None:
        self.frame = card(parent, "Pipeline stages")
        self._blank = tk.PhotoImage(master=self.frame, width=STAGE_PX, height=STAGE_PX)
        self._photos: list[ImageTk.PhotoImage] = []
        self._pool: list[ImageTk.PhotoImage | None] = [None] * len(STAGES)  # Tk needs the references
        self._showing = [False] * len(STAGES)
        self.images: list[tk.Label] = []
        self.titles: list[ttk.Label] = []
        for column, (_, title) in enumerate(STAGES):
            image = tk.Label(self.frame, image=self._blank, background=PAPER, highlightbackground=BORDER,
                             highlightthickness=1)
            image.grid(row=1, column=column, padx=(PAD, PAD if column == len(STAGES) - 1 else 0), pady=(2, 0))
            caption = ttk.Label(self.frame, text=title, style="Muted.TLabel")
            caption.grid(row=2, column=column, pady=(1, PAD - 2))
            self.images.append(image)
            self.titles.append(caption)

    def show(self, reading: Reading) -> None:
        for caption, (_, title) in zip(self.titles, stages_for(reading)):
            if caption.cget("text") != title:
                caption.configure(text=title)
        # One photo image per thumbnail, painted over from one update to the next: a new image and
        # a label change per stage cost about a millisecond per update with every view open.
        photos = []
        for index, (label, array) in enumerate(zip(self.images, stage_arrays(reading))):
            if array is None:
                if self._showing[index]:
                    label.configure(image=self._blank)
                    self._showing[index] = False
                continue
            image = thumbnail(array, STAGE_PX)
            photo = self._pool[index]
            if photo is None:
                photo = self._pool[index] = ImageTk.PhotoImage(image, master=self.frame)
            else:
                photo.paste(image)
            if not self._showing[index]:
                label.configure(image=photo)
                self._showing[index] = True
            photos.append(photo)
        self._photos = photos  # the thumbnails shown now
