"""app.commands: one table for the menus, the key bindings, the toolbar and the help."""
from __future__ import annotations

import tkinter as tk
import types

import pytest

from app.commands import COMMANDS, GESTURES, MENUS, CommandRunner, command, help_rows


class Target:
    """Stands in for the window: records which actions ran; `files.custom_model` and
    `controller.can_undo` / `can_redo` decide what is enabled."""

    def __init__(self):
        self.ran = []
        self.files = type("Files", (), {"custom_model": False})()
        self.controller = type("Controller", (), {"can_undo": True, "can_redo": False})()
        # An action shared by several commands (Ctrl+0..9) tells them apart by its arguments.
        names = {(cmd.action, cmd.args): cmd.name for cmd in COMMANDS}
        for cmd in COMMANDS:
            owner = self
            *parents, method = cmd.action.split(".")
            for parent in parents:
                if not hasattr(owner, parent):
                    setattr(owner, parent, types.SimpleNamespace())
                owner = getattr(owner, parent)
            setattr(owner, method, lambda *args, action=cmd.action: self.ran.append(names[(action, args)]))


def test_the_table_is_consistent():
    names = [c.name for c in COMMANDS]
    assert len(names) == len(set(names))
    assert {c.menu for c in COMMANDS} <= set(MENUS) | {None}  # None: keys only (Ctrl+0..9)
    sequences = [key for c in COMMANDS for key in c.keys]
    assert len(sequences) == len(set(sequences)), "a key sequence is bound to two commands"
    for cmd in COMMANDS:
        assert cmd.help and cmd.label
        assert not cmd.keys or cmd.accelerator, f"{cmd.name}: keys but no accelerator to show"


def test_every_command_is_reachable_from_a_menu_or_a_key_and_is_in_the_help():
    rows = help_rows()
    meanings = [meaning for _, meaning in rows]
    keys_column = [keys for keys, _ in rows]
    for cmd in COMMANDS:
        assert cmd.menu or cmd.keys, f"{cmd.name} cannot be reached"
        assert cmd.help in meanings, f"{cmd.name} is not in the help"
        row_keys = keys_column[meanings.index(cmd.help)]
        assert row_keys == (cmd.shortcut or f"{cmd.menu} > {cmd.label}")
        if cmd.accelerator:
            assert cmd.accelerator in row_keys
    assert rows[:len(GESTURES)] == list(GESTURES)


def test_the_model_menu_keeps_the_bundled_model_one_action_away():
    bundled = command("use_bundled_model")
    assert bundled.menu == "Model" and "bundled" in bundled.label.lower()
    assert command("open_weights").keys == ("<Control-l>",)
    with pytest.raises(KeyError):
        command("no such command")


@pytest.fixture
def runner(toplevel):
    variables = {c.check: tk.BooleanVar(master=toplevel, value=False) for c in COMMANDS if c.check}
    return CommandRunner(Target(), variables)


@pytest.mark.gui
def test_a_runner_needs_a_variable_for_each_check_command(toplevel):
    with pytest.raises(ValueError, match="eraser"):
        CommandRunner(Target(), {"stages": tk.BooleanVar(master=toplevel)})


@pytest.mark.gui
def test_menus_are_built_from_the_table_in_its_order(toplevel, runner):
    bar = runner.build_menus(toplevel)
    toplevel.configure(menu=bar)
    assert [bar.entrycget(i, "label") for i in range(bar.index("end") + 1)] == list(MENUS)
    for title in MENUS:
        menu = runner.menus[title]
        entries = [(menu.entrycget(i, "label"), menu.entrycget(i, "accelerator"))
                   for i in range(menu.index("end") + 1) if menu.type(i) != "separator"]
        assert entries == [(c.label, c.accelerator) for c in COMMANDS if c.menu == title]
        checks = {menu.entrycget(i, "label") for i in range(menu.index("end") + 1) if menu.type(i) == "checkbutton"}
        assert checks == {c.label for c in COMMANDS if c.menu == title and c.check}


@pytest.mark.gui
def test_menu_entries_run_their_commands_and_checks_flip_once(toplevel, runner):
    runner.build_menus(toplevel)
    edit = runner.menus["Edit"]
    edit.invoke(edit.index("Clear"))
    assert runner.target.ran == ["clear"]
    edit.invoke(edit.index("Eraser"))  # Tk flips the variable itself; the runner must not flip it back
    assert runner.variables["eraser"].get() is True and runner.target.ran[-1] == "eraser"


@pytest.mark.gui
def test_keys_run_their_commands(toplevel, runner):
    runner.bind_keys(toplevel)
    for cmd in COMMANDS:
        for sequence in cmd.keys:
            assert toplevel.bind(sequence), f"{sequence} is not bound"
    frame = tk.Frame(toplevel, width=50, height=50)
    frame.pack()
    toplevel.update()
    toplevel.focus_force()
    toplevel.update()
    for sequence, expected in (("<Escape>", "clear"), ("<F2>", "stages"), ("<Control-l>", "open_weights"),
                               ("<e>", "eraser"), ("<Control-Key-3>", "label_3"), ("<Control-Key-0>", "label_0")):
        frame.event_generate(sequence)
        toplevel.update()
        assert runner.target.ran[-1] == expected, sequence
    assert runner.variables["stages"].get() is True and runner.variables["eraser"].get() is True
    runner.target.controller.can_redo = True
    for sequence, expected in (("<Control-Shift-Z>", "redo"), ("<Control-Lock-Z>", "undo"), ("<Control-z>", "undo"),
                               ("<Control-y>", "redo")):
        frame.event_generate(sequence)  # Caps Lock makes Ctrl+Z arrive as Z: still undo
        toplevel.update()
        assert runner.target.ran[-1] == expected, sequence


@pytest.mark.gui
def test_disabled_commands_do_nothing_and_their_menu_entries_are_greyed(toplevel, runner):
    runner.build_menus(toplevel)
    runner.refresh()
    edit, model = runner.menus["Edit"], runner.menus["Model"]
    assert edit.entrycget("Undo", "state") == "normal" and edit.entrycget("Redo", "state") == "disabled"
    assert model.entrycget("Reset to the bundled model", "state") == "disabled"
    runner.run("redo")
    runner.run("use_bundled_model")
    assert runner.target.ran == []
    runner.target.controller.can_redo = True
    runner.target.files.custom_model = True
    runner.refresh()
    assert edit.entrycget("Redo", "state") == "normal"
    assert model.entrycget("Reset to the bundled model", "state") == "normal"
    runner.run("redo")
    runner.run("use_bundled_model")
    assert runner.target.ran == ["redo", "use_bundled_model"]
