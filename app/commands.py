"""The command table: every action a person can take, from which the menus, the key bindings,
the toolbar's labels and the F1 help are all built, so they cannot disagree.

A command runs a method of the window or of one of its parts (`action`, a dotted attribute path
such as 'files.open_drawing', called with the command's `args`, usually none). A check command
(`check`) shows a tick in its menu and flips a boolean Tk variable of the same name before its
action runs, whether it comes from a key, the menu or a toolbar button; the action reads the
variable. `enabled_when` names a boolean attribute of the window (dotted, as `action`) that
decides whether the menu entry and the toolbar button are enabled; keys of a disabled command do
nothing.
"""
from __future__ import annotations

import tkinter as tk
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

#: The menu bar, left to right.
MENUS = ("File", "Edit", "View", "Model", "Help")


@dataclass(frozen=True)
class Command:
    """name: what the command is called in the table; label: its menu entry; menu: its menu (None:
    keys only); help: one line for the F1 help; accelerator: the keys as a menu shows them; keys:
    the Tk event sequences bound on the window; help_keys: the keys as the help names them, when
    more than the accelerator; check: the name of a boolean variable for a check entry; button:
    the toolbar's shorter label; separator: a line above the menu entry; args: what the action is
    called with (Ctrl+0..9 share one action, each with its digit)."""

    name: str
    label: str
    menu: str | None
    action: str
    help: str
    accelerator: str = ""
    keys: tuple[str, ...] = ()
    help_keys: str = ""
    check: str | None = None
    enabled_when: str | None = None
    button: str | None = None
    separator: bool = False
    args: tuple = ()

    @property
    def shortcut(self) -> str:
        """How the help names the keys ('' when the command has none)."""
        return self.help_keys or self.accelerator


COMMANDS: tuple[Command, ...] = (
    Command("open_drawing", "Open drawing...", "File", "files.open_drawing", "open a drawing (.jsonl)",
            "Ctrl+O", ("<Control-o>",)),
    Command("open_image", "Open image...", "File", "files.open_image",
            "open a picture of a digit (PNG, JPEG...)",
            "Ctrl+Shift+O", ("<Control-O>", "<Control-Shift-O>")),
    Command("save_drawing", "Save drawing...", "File", "files.save_drawing", "save the drawing (.jsonl and .png)",
            "Ctrl+S", ("<Control-s>",)),
    Command("quit", "Quit", "File", "quit", "quit", "Ctrl+Q", ("<Control-q>",), separator=True),
    # Caps Lock turns Ctrl+Z into Ctrl+Lock+Z: still undo; Ctrl+Shift+Z redoes.
    Command("undo", "Undo", "Edit", "undo", "undo the last stroke (or clear)", "Ctrl+Z",
            ("<Control-z>", "<Control-Lock-Z>"), enabled_when="controller.can_undo", button="Undo"),
    Command("redo", "Redo", "Edit", "redo", "redo", "Ctrl+Y", ("<Control-y>", "<Control-Y>", "<Control-Shift-Z>"),
            help_keys="Ctrl+Y  or  Ctrl+Shift+Z", enabled_when="controller.can_redo", button="Redo"),
    Command("clear", "Clear", "Edit", "clear", "clear the canvas (undoable)", "Esc", ("<Escape>", "<Delete>"),
            help_keys="Esc  or  Delete", button="Clear"),
    Command("eraser", "Eraser", "Edit", "apply_eraser", "the left button erases instead of drawing", "E",
            ("<e>",), check="eraser", button="Eraser", separator=True),
    Command("brush_bigger", "Thicker brush", "Edit", "brush_bigger",
            "thicker brush (for the eye: the network reads a fine pen scaled to the digit)", "]",
            ("<bracketright>",)),
    Command("brush_smaller", "Thinner brush", "Edit", "brush_smaller", "thinner brush", "[", ("<bracketleft>",)),
    Command("stages", "Pipeline stages", "View", "apply_stages",
            "show or hide the pipeline stages, from the strokes to the network's input", "F2",
            ("<F2>",), check="stages", button="Stages"),
    Command("evidence", "Evidence overlay", "View", "apply_evidence",
            "colour the grid: ink for the top digit blue, ink for the runner-up orange", "F3",
            ("<F3>",), check="evidence"),
    Command("network", "Network view", "View", "apply_network",
            "show every layer's activations live; hover or click a unit for its weights", "F4",
            ("<F4>",), check="network"),
    Command("examples", "Examples", "View", "apply_examples",
            "browse MNIST test digits by digit, or only those the model gets wrong", "F5",
            ("<F5>",), check="examples", separator=True),
    Command("random_example", "Random example", "View", "random_example",
            "load a random example into the grid (the examples window's choice of digit)", "R",
            ("<r>", "<R>")),
    Command("open_weights", "Open weights...", "Model", "files.open_weights",
            "open a weights file; Digit Pad starts with it from then on", "Ctrl+L", ("<Control-l>",)),
    Command("use_bundled_model", "Reset to the bundled model", "Model", "files.use_bundled_model",
            "back to the model that comes with Digit Pad (a personal model is kept aside)",
            enabled_when="files.custom_model"),
    Command("describe_model", "Describe the model", "Model", "describe_model",
            "the model card: architecture, recipe, training curves, confusion matrix", "Ctrl+I",
            ("<Control-i>",), separator=True),
    # Teach it your handwriting (issue 12): say what a drawing is, see your digits, teach.
    Command("teach", "Teach it my handwriting...", "Model", "teaching.start_teach",
            "teach a copy of the model your labelled drawings, in the background",
            "Ctrl+T", ("<Control-t>",), button="Teach", separator=True),
    Command("my_digits", "My digits...", "Model", "teaching.show_my_digits",
            "your labelled drawings: see, delete, export, import"),
    *(Command(f"label_{digit}", f"This is a {digit}", None, "teaching.label_as",
              "this drawing is that digit (or click its bar): kept for Teach",
              "Ctrl+0..9", (f"<Control-Key-{digit}>",), args=(digit,)) for digit in range(10)),
    Command("help", "Keyboard and mouse", "Help", "show_help", "this help", "F1", ("<F1>",), button="Help"),
    Command("about", "About Digit Pad", "Help", "show_about", "version, licence, model and data folder"),
)

#: Mouse gestures, for the help (they are bindings of the canvas and grid panels, not commands).
GESTURES: tuple[tuple[str, str], ...] = (
    ("Left drag on the canvas", "draw"),
    ("Right drag on the canvas", "erase"),
    ("Left / right click in the grid", "paint / erase a cell of the network's input"),
)

_BY_NAME = {command.name: command for command in COMMANDS}


def command(name: str) -> Command:
    """The command called `name` (KeyError for an unknown name)."""
    return _BY_NAME[name]


def help_rows(commands: Iterable[Command] = COMMANDS) -> list[tuple[str, str]]:
    """(keys, meaning) rows for the help: the mouse gestures, then every command. A command
    without keys is named by its menu path ('Model > Use the bundled model')."""
    rows = list(GESTURES)
    for cmd in commands:
        row = (cmd.shortcut or f"{cmd.menu} > {cmd.label}", cmd.help)
        if row != rows[-1]:  # a family of keys (Ctrl+0..9) is one row
            rows.append(row)
    return rows


class CommandRunner:
    """Runs the table's commands on `target` (the window): flips check variables, skips disabled
    commands, and builds the menu bar and the key bindings from the table.

    variables: check name -> tk.BooleanVar (one per check command).
    """

    def __init__(self, target: Any, variables: Mapping[str, tk.BooleanVar],
                 commands: Iterable[Command] = COMMANDS) -> None:
        self.target = target
        self.variables = dict(variables)
        self.commands = tuple(commands)
        self._by_name = {c.name: c for c in self.commands}
        self.menus: dict[str, tk.Menu] = {}
        self._shown_enabled: dict[str, bool] = {}
        missing = {c.check for c in self.commands if c.check} - set(self.variables)
        if missing:
            raise ValueError(f"no variable for the check commands {sorted(missing)}")

    def enabled(self, cmd: Command) -> bool:
        return cmd.enabled_when is None or bool(self._resolve(cmd.enabled_when))

    def run(self, name: str, flip: bool = True) -> None:
        """Run a command; flip=False when a menu or button has already flipped its variable."""
        cmd = self._by_name[name]
        if not self.enabled(cmd):
            return
        if cmd.check and flip:
            variable = self.variables[cmd.check]
            variable.set(not variable.get())
        self._resolve(cmd.action)(*cmd.args)

    def _resolve(self, path: str) -> Any:
        value = self.target
        for part in path.split("."):
            value = getattr(value, part)
        return value

    def callback(self, name: str, flip: bool = True) -> Callable[[], None]:
        return lambda: self.run(name, flip)

    def build_menus(self, master: tk.Misc) -> tk.Menu:
        """The menu bar (set it with master.configure(menu=...)); entries keep the table's order."""
        bar = tk.Menu(master, tearoff=False)
        for title in MENUS:
            entries = [c for c in self.commands if c.menu == title]
            if not entries:
                continue
            menu = tk.Menu(bar, tearoff=False)
            for index, cmd in enumerate(entries):
                if cmd.separator and index:
                    menu.add_separator()
                if cmd.check:
                    menu.add_checkbutton(label=cmd.label, accelerator=cmd.accelerator,
                                         variable=self.variables[cmd.check], command=self.callback(cmd.name, False))
                else:
                    menu.add_command(label=cmd.label, accelerator=cmd.accelerator, command=self.callback(cmd.name))
            bar.add_cascade(label=title, menu=menu)
            self.menus[title] = menu
        self._shown_enabled.clear()
        return bar

    def bind_keys(self, widget: tk.Misc) -> None:
        """Bind every command's keys on `widget` (a toplevel: keys work wherever the focus is in it)."""
        for cmd in self.commands:
            for sequence in cmd.keys:
                widget.bind(sequence, lambda event, name=cmd.name: (self.run(name), "break")[1])

    def refresh(self) -> None:
        """Enable or disable the menu entries whose `enabled_when` changed."""
        for cmd in self.commands:
            if cmd.enabled_when is None or cmd.menu not in self.menus:
                continue
            enabled = self.enabled(cmd)
            if self._shown_enabled.get(cmd.name) != enabled:
                self._shown_enabled[cmd.name] = enabled
                self.menus[cmd.menu].entryconfigure(cmd.label, state="normal" if enabled else "disabled")
