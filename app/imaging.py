"""Pictures the window shows or saves, made with Pillow from arrays (no Tk here).

- the grid view: the 28x28 network input as square cells with thin lines (`GridPainter`);
- stage thumbnails: any [0, 1] ink array as a dark-on-paper square (`thumbnail`);
- the drawing as a PNG file, written atomically (`save_png`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageChops

from app.theme import GRID_LINE, INK, PAPER, rgb
from model.atomic import atomic_write

#: RGB of a cell of value level/255, from paper (0) to ink (1); shape (256, 3) uint8.
GRID_PALETTE = np.rint(np.array(rgb(PAPER), float)
                       + (np.array(rgb(INK), float) - np.array(rgb(PAPER), float))
                       * (np.arange(256)[:, None] / 255.0)).astype(np.uint8)


def grid_levels(image: np.ndarray | None) -> np.ndarray:
    """(28, 28) int16 shades 0..255 of a [0, 1] network input (all 0 for None)."""
    if image is None:
        return np.zeros((28, 28), np.int16)
    return np.clip(np.rint(image * 255), 0, 255).astype(np.int16)


class GridPainter:
    """Draws (28, 28) levels as cells of `cell_px` pixels; lines show on light cells only."""

    def __init__(self, cell_px: int) -> None:
        if int(cell_px) < 2:
            raise ValueError(f"a grid cell needs at least 2 pixels, got {cell_px}")
        self.cell_px = int(cell_px)
        self.side = 28 * self.cell_px
        pixels = np.full((self.side, self.side, 3), 255, np.uint8)
        pixels[::self.cell_px, :] = rgb(GRID_LINE)
        pixels[:, ::self.cell_px] = rgb(GRID_LINE)
        #: White with the grid's lines; combined with 'darker', the lines vanish under dark cells.
        self.lines = Image.fromarray(pixels, "RGB")

    def image(self, levels: np.ndarray) -> Image.Image:
        """The grid view of (28, 28) levels 0..255, (side, side) RGB."""
        cells = Image.fromarray(np.ascontiguousarray(GRID_PALETTE[levels]), "RGB")
        return ImageChops.darker(cells.resize((self.side, self.side), Image.NEAREST), self.lines)

    def colour_image(self, colours: np.ndarray) -> Image.Image:
        """The grid view of (28, 28, 3) uint8 cell colours (the evidence overlay), (side, side) RGB."""
        cells = Image.fromarray(np.ascontiguousarray(colours, dtype=np.uint8), "RGB")
        return ImageChops.darker(cells.resize((self.side, self.side), Image.NEAREST), self.lines)


def thumbnail(array: np.ndarray, side: int) -> Image.Image:
    """A dark-on-paper (side, side) greyscale thumbnail of a [0, 1] ink array, aspect ratio kept."""
    h, w = array.shape
    grey = Image.fromarray(np.clip(255 - np.asarray(array, np.float32) * 255, 0, 255).astype(np.uint8))
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    # Upscaled small arrays stay crisp (their pixels are the point); big ones are smoothed down.
    resample = Image.NEAREST if max(h, w) <= side else Image.BILINEAR
    grey = grey.resize(size, resample)
    canvas = Image.new("L", (side, side), 255)
    canvas.paste(grey, ((side - size[0]) // 2, (side - size[1]) // 2))
    return canvas


def save_png(pixels: np.ndarray, path: Path) -> None:
    """Write a [0, 1] ink raster (h, w) as an 8-bit greyscale PNG (ink = 255), atomically."""
    image = Image.fromarray(np.clip(np.rint(pixels * 255), 0, 255).astype(np.uint8), mode="L")
    atomic_write(path, lambda handle: image.save(handle, format="PNG"))
