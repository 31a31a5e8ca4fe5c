"""What every window of its own beside the main one shares (help, About, examples, network view,
model card, My digits, Teach): opened once, asking again brings it to the front; placed beside the
main window and kept on the screen; closing it tells the main window (`on_change`), which tells
its observers.
"""
from __future__ import annotations

import tkinter as tk
from typing import Callable


def on_screen(position: tuple[int, int], size: tuple[int, int], screen: tuple[int, int]) -> tuple[int, int]:
    """`position` (x, y) moved, if need be, so that a window of `size` placed there is on the screen."""
    return (max(0, min(position[0], screen[0] - size[0])), max(0, min(position[1], screen[1] - size[1])))


def place_beside(window: tk.Toplevel, master: tk.Misc, offset: tuple[int, int]) -> None:
    """Put `window` at `offset` (x, y) from the main window's corner, moved onto the screen if need be."""
    window.update_idletasks()
    top = master.winfo_toplevel()
    x, y = on_screen((top.winfo_rootx() + offset[0], top.winfo_rooty() + offset[1]),
                     (window.winfo_reqwidth(), window.winfo_reqheight()),
                     (window.winfo_screenwidth(), window.winfo_screenheight()))
    window.geometry(f"+{x}+{y}")


class SideWindow:
    """Base of the side windows: `window` is their Toplevel while open (else None), `_on_change()`
    is called when it closes. A subclass lets go of what it holds in `_closing` (photos, timers)."""

    window: tk.Toplevel | None = None
    _on_change: Callable[[], None]
    #: Binds the main window's command keys on a toplevel (the window sets it for the views a
    #: person works in, so that F2-F5, Ctrl+Z ... work there too).
    main_keys: Callable[[tk.Misc], None] | None = None

    def share_main_keys(self, window: tk.Toplevel) -> None:
        """Bind the main window's keys on `window`; bind the window's own keys after this call."""
        if self.main_keys is not None:
            self.main_keys(window)

    @property
    def is_open(self) -> bool:
        return self.window is not None and bool(self.window.winfo_exists())

    def lift_if_open(self) -> bool:
        """Bring an open window to the front -> whether it was open."""
        if self.is_open:
            self.window.lift()
            return True
        return False

    def close(self) -> None:
        if self.window is None:
            return
        self._closing()
        if self.window.winfo_exists():
            self.window.destroy()
        self.window = None
        self._on_change()

    def _closing(self) -> None:
        """Called as the window closes, while it still exists."""
