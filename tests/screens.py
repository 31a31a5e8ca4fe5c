"""In-process Tk windows on the tests' Xvfb display: letting them update, and screenshots (for tests/artifacts)."""
from __future__ import annotations

import os
from pathlib import Path


def grab(widget, path: Path):
    """Save what the X server shows of `widget`'s toplevel as a PNG at `path`; returns the image."""
    from PIL import ImageGrab

    top = widget.winfo_toplevel()
    top.update()
    x, y, width, height = top.winfo_rootx(), top.winfo_rooty(), top.winfo_width(), top.winfo_height()
    image = ImageGrab.grab(bbox=(x, y, x + width, y + height), xdisplay=os.environ["DISPLAY"])
    image.save(path)
    return image


def pump(window, times=3):
    """Let a DigitPadWindow's event loop run a few passes (idle updates, scheduled paints)."""
    for _ in range(times):
        window.root.update()
