"""The Tk window: a thin shell that lays out the panels around `app.controller.DigitPadController`.

    toolbar                                      (app.toolbar)
    canvas        | prediction | the grid        (app.canvas_panel, prediction_panel, grid_panel)
                  | pipeline stages, on demand   (app.stages_panel)
    status line: message, model in use           (app.status_bar)

The see-inside views (issue 13): the evidence overlay on the grid (app.evidence_view), and windows
of their own for the network view, the examples and the model card (app.network_view,
app.examples_view, app.model_card_view); the overlay and the network view share one explanation
per reading (app.insight), computed only while one of them is open.

Menus and key bindings come from the command table (app.commands); file and model actions from
app.file_actions; help and About from app.help_panel; labelling drawings, My digits and Teach from
app.teach_actions. Predictions are recomputed at most once per
pass of the event loop: every input event marks the controller dirty and schedules one idle
callback, so a burst of motion events costs one update. The canvas takes all spare room and
shrinks, never below its minimum, when the screen is small; the window's minimum size keeps every
panel whole. Observers (app.observer) hear about updates; the window has no instrumentation.
"""
from __future__ import annotations

import tkinter as tk
from tkinter import ttk
from typing import Sequence

from app import model_choice, theme
from app.canvas_panel import MIN_CANVAS_PX, CanvasPanel, fitting_side
from app.commands import COMMANDS, CommandRunner
from app.controller import DigitPadController, Reading
from app.evidence_view import evidence
from app.examples_view import ExampleBrowser, ExamplesView, describe
from app.insight import Insight
from app.model_card_view import ModelCardView
from app.network_view import NetworkView
from app.file_actions import FileActions
from app.grid_panel import GridPanel
from app.help_panel import about_rows, about_window, help_window
from app.model_choice import BUNDLED, ModelChoice
from app.observer import WindowObserver
from app.prediction_panel import PredictionPanel
from model.settings import SettingsStore
from app.stages_panel import StagesPanel
from app.status_bar import StatusBar
from app.teach_actions import TeachActions
from app.theme import PAD
from app.toolbar import Toolbar
from model import userdata
from preprocessing.raster import DEFAULT_CANVAS_PX


PLACEHOLDER = "Draw a digit here"
#: The empty canvas while the network reads an example (View > Examples).
EXAMPLE_PLACEHOLDER = "The grid holds an example:\ndraw here to replace it"


class DigitPadWindow:
    """The main window in `root` (a fresh tk.Tk, or a Toplevel in tests).

    controller: holds the model and the drawing; model: which weights it was made from;
    settings: where the chosen model is remembered (None: nowhere); notices: lines to show in
    the status line at start (a bad settings file, a saved model that could not be opened).
    """

    def __init__(self, root: tk.Tk | tk.Toplevel, controller: DigitPadController, *,
                 model: ModelChoice = BUNDLED, settings: SettingsStore | None = None,
                 notices: Sequence[str] = ()) -> None:
        self.root = root
        self.controller = controller
        self.observers: list[WindowObserver] = []
        self.shown: Reading | None = None
        self.title = ""
        self._update_pending = False
        self._ready = False
        self.fonts = theme.apply(root)
        self.variables = {cmd.check: tk.BooleanVar(master=root, value=False) for cmd in COMMANDS if cmd.check}
        self.commands = CommandRunner(self, self.variables)
        self.files = FileActions(self, model, settings)
        self.teaching = TeachActions(self)
        root.configure(menu=self.commands.build_menus(root))
        self._build_panels()
        self.commands.bind_keys(root)
        root.protocol("WM_DELETE_WINDOW", self.quit)
        self.help = help_window(root, self.fonts, self.changed)
        self.about = about_window(root, self.fonts, self._about_rows, self.changed)
        self.insight = Insight(controller)
        self.network = NetworkView(root, self.fonts, self.insight, self._example_images, on_change=self.changed,
                                   on_closed=lambda: self._untick("network"))
        self.browser = ExampleBrowser(_examples(), lambda: self.controller.model)
        self.examples = ExamplesView(root, self.fonts, self.browser, on_load=self.load_example,
                                     on_change=self.changed, on_closed=lambda: self._untick("examples"))
        self.card = ModelCardView(root, self.fonts, self.changed)
        for view in (self.network, self.examples):
            view.main_keys = self.commands.bind_keys
        self._fit()
        self.status.show_model(model_choice.status_line(self.files.model, controller.describe_model()))
        if notices:
            self.status.say("; ".join(notices), error=True)
        self._show(controller.reading(), force=True)
        self.toolbar.refresh()
        self.commands.refresh()
        root.bind("<Map>", self._mapped, add="+")

    # ------------------------------------------------------------------ construction
    def _build_panels(self) -> None:
        root, controller = self.root, self.controller
        root.columnconfigure(0, weight=1)
        root.rowconfigure(1, weight=1)
        self.toolbar = Toolbar(root, self.commands, controller, on_brush=self.changed)
        self.toolbar.frame.grid(row=0, column=0, sticky="ew")
        body = ttk.Frame(root, padding=PAD)
        body.grid(row=1, column=0, sticky="nsew")
        body.columnconfigure(0, weight=1)
        body.rowconfigure(0, weight=1)
        self.canvas = CanvasPanel(body, controller, self.fonts, on_input=self._input, on_resized=self._resized,
                                  side=DEFAULT_CANVAS_PX)
        self.canvas.frame.grid(row=0, column=0, sticky="nsew")
        # The side column keeps its natural size; the canvas takes whatever room is left.
        self.side_column = ttk.Frame(body, padding=(PAD, 0, 0, 0))
        self.side_column.grid(row=0, column=1, sticky="n")
        self.prediction = PredictionPanel(self.side_column, self.fonts, on_bar_click=self.teaching.label_as)
        self.prediction.frame.grid(row=0, column=0, sticky="nsew")
        self.grid = GridPanel(self.side_column, controller, on_input=self._input)
        self.grid.frame.grid(row=0, column=1, sticky="nsew", padx=(PAD, 0))
        self.stages = StagesPanel(self.side_column)  # gridded by apply_stages
        self.status = StatusBar(root, on_change=self.changed)
        self.status.frame.grid(row=2, column=0, sticky="ew")

    def panels(self) -> dict[str, tk.Misc]:
        """The window's parts by name (what a layout check looks at)."""
        return {"toolbar": self.toolbar.frame, "canvas": self.canvas.canvas, "prediction": self.prediction.frame,
                "bars": self.prediction.bars, "grid": self.grid.frame, "stages": self.stages.frame,
                "status": self.status.frame}

    @property
    def menu_height(self) -> int:
        """Height of the menu bar inside the window (0 where the platform draws menus elsewhere)."""
        menu = self.root.cget("menu")
        # On X11, Tk draws the menu bar as a clone named after the toplevel and the menu.
        clone = f"{self.root._w.rstrip('.')}.{str(menu).replace('.', '#')}"
        try:
            return int(self.root.tk.eval(f"winfo reqheight {clone}"))
        except tk.TclError:
            return 0

    def _fit(self) -> None:
        """Shrink the canvas (never below MIN_CANVAS_PX) until the window fits the screen, and set
        the minimum size at which every panel is whole (the canvas at its minimum)."""
        root = self.root
        root.update_idletasks()
        screen = (root.winfo_screenwidth(), root.winfo_screenheight())
        requested = self.canvas.frame.winfo_reqheight() - 2
        natural = (root.winfo_reqwidth(), root.winfo_reqheight() + self.menu_height)
        side = fitting_side(natural, screen, requested)
        if side != requested:
            self.canvas.request(side)
            root.update_idletasks()
        # The canvas is as tall as the side column or taller; at its minimum it is maybe shorter.
        column = self.side_column.winfo_reqheight()
        min_height = root.winfo_reqheight() - max(side + 2, column) + max(MIN_CANVAS_PX + 2, column)
        min_width = max(self.toolbar.frame.winfo_reqwidth(), root.winfo_reqwidth() - (side - MIN_CANVAS_PX))
        root.minsize(min_width, min_height)
        if root.winfo_ismapped() and root.winfo_height() < min_height:
            root.geometry(f"{root.winfo_width()}x{min_height}")

    def observe(self, observer: WindowObserver) -> None:
        self.observers.append(observer)

    def _tell(self, what: str, *args) -> None:
        for observer in self.observers:
            getattr(observer, what)(*args)

    def changed(self) -> None:
        """Something shown besides the reading changed (observers may want to know)."""
        self._tell("changed")

    # ------------------------------------------------------------------ updates
    def _input(self, event: tk.Event | None) -> None:
        if event is not None:
            self._tell("input_event", event)
        self.schedule_update()

    def schedule_update(self) -> None:
        if not self._update_pending:
            self._update_pending = True
            self.root.after_idle(self._update)

    def _update(self) -> None:
        self._update_pending = False
        self._tell("updating")
        reading = self.controller.reading()  # cached unless something changed
        if reading is not self.shown:
            self._show(reading)
        self.toolbar.refresh()
        self.commands.refresh()
        self.root.update_idletasks()  # paint now, so "updated" means on screen
        self._tell("updated")

    def _show(self, reading: Reading, force: bool = False) -> None:
        self.shown = reading
        self.prediction.show(reading, force)
        if self.evidence_visible:  # the overlay paints the grid instead of the plain shades
            explanation = self.insight.explain(reading)
            self.grid.show_evidence(reading, None if explanation is None else evidence(explanation))
        else:
            self.grid.show(reading, force)
        if self.stages_visible:
            self.stages.show(reading)
        self.canvas.set_placeholder(EXAMPLE_PLACEHOLDER if reading.source == "example" else PLACEHOLDER)
        self.network.show(reading, force)
        if reading.title != self.title:
            self.title = reading.title
            self.root.title(reading.title)

    def _resized(self) -> None:
        self.toolbar.refresh()
        self.schedule_update()

    def _mapped(self, event: tk.Event) -> None:
        """The window is on screen: from now on it is usable."""
        if event.widget is not self.root or self._ready:
            return
        self.root.update_idletasks()
        self._ready = True
        self._tell("ready")

    # ------------------------------------------------------------------ commands
    def clear(self) -> None:
        self.controller.clear()
        self.drawing_replaced()

    def undo(self) -> None:
        if self.controller.undo():
            self.drawing_replaced()

    def redo(self) -> None:
        if self.controller.redo():
            self.drawing_replaced()

    def drawing_replaced(self) -> None:
        """The controller's strokes were replaced (clear, undo, redo, open): draw them again."""
        self.canvas.redraw()
        self.schedule_update()

    def apply_eraser(self) -> None:
        on = self.variables["eraser"].get()
        self.controller.set_eraser(on)
        self.canvas.set_eraser_cursor(on)
        self.changed()

    def brush_bigger(self) -> None:
        self.controller.brush_bigger()
        self.toolbar.refresh()
        self.changed()

    def brush_smaller(self) -> None:
        self.controller.brush_smaller()
        self.toolbar.refresh()
        self.changed()

    @property
    def stages_visible(self) -> bool:
        return bool(self.variables["stages"].get())

    def apply_stages(self) -> None:
        show = self.stages_visible
        self.controller.set_keep_stages(show)
        if show:
            self.stages.frame.grid(row=1, column=0, columnspan=2, sticky="ew", pady=(PAD, 0))
        else:
            self.stages.frame.grid_remove()
        self._fit()
        self.schedule_update()

    # ------------------------------------------------------------------ see inside (issue 13)
    @property
    def evidence_visible(self) -> bool:
        return bool(self.variables["evidence"].get())

    def apply_evidence(self) -> None:
        self.grid.set_overlay(self.evidence_visible)
        self._fit()
        self._show(self.controller.reading(), force=True)
        self.changed()

    def apply_network(self) -> None:
        if self.variables["network"].get():
            self.network.open()
            self.network.show(self.controller.reading(), force=True)
        else:
            self.network.close()

    def apply_examples(self) -> None:
        if self.variables["examples"].get():
            self.examples.open()
        else:
            self.examples.close()

    def _untick(self, name: str) -> None:
        """A view's window was closed by the person: its menu entry follows."""
        self.variables[name].set(False)

    def _example_images(self):
        """(n, 28, 28) float32 examples: the network view's brightness scales are measured on them."""
        return self.browser.examples.images.astype("float32") / 255

    def random_example(self) -> None:
        """Load a random example on offer (the examples window's digit and mistakes filter)."""
        example = self.browser.random()
        if example is None:
            self.status.say("No example passes the examples window's filter")
            return
        self.load_example(example)

    def load_example(self, example) -> None:
        """Make an example (model.examples.Example) what the network reads."""
        self.controller.show_input(example.image, "example")
        self.canvas.redraw()
        reading = self.controller.reading()
        self.status.say(describe(example, reading.digit))
        self.examples.refresh()
        self.schedule_update()

    def model_changed(self) -> None:
        """The model in use changed (app.file_actions): say so and read the drawing with it."""
        self.examples.refresh()
        if self.network.is_open:  # its layers may have other sizes now
            self.network.close()
            self.network.open()
        self.status.show_model(model_choice.status_line(self.files.model, self.controller.describe_model()))
        self.schedule_update()
        self.changed()

    def describe_model(self) -> None:
        self.status.say(model_choice.status_line(self.files.model, self.controller.describe_model()))
        self.card.open(self.controller.metadata, self.files.model.name)
        self.changed()

    def _about_rows(self) -> list[tuple[str, str]]:
        return about_rows(model_choice.summary(self.files.model, self.controller.describe_model()),
                          self.files.model.path, userdata.data_dir())

    def show_help(self) -> None:
        self.help.open()

    def show_about(self) -> None:
        self.about.open()

    def quit(self) -> None:
        if self.files.job is not None:
            self.files.job.cancel()
        self.teaching.closing()
        self._tell("closing")
        self.root.destroy()


def _examples():
    """The bundled examples (an empty set, with the examples window saying so, if they are lost)."""
    import numpy as np

    from model.data import DataError
    from model.examples import ExampleSet, bundled_examples

    try:
        return bundled_examples()
    except DataError:
        return ExampleSet(np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64))

