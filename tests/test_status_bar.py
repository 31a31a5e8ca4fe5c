"""app.status_bar: the message line and the model line."""
from __future__ import annotations

import pytest

from app import theme
from app.status_bar import WELCOME, StatusBar


@pytest.mark.gui
def test_messages_errors_and_the_model_line(toplevel):
    theme.apply(toplevel)
    changes = []
    status = StatusBar(toplevel, on_change=lambda: changes.append(1))
    status.frame.pack(fill="x")
    toplevel.update()
    assert status.message == WELCOME and not status.error
    changes.clear()
    status.say("Could not open drawing: x.jsonl: line 2:\n bad\x1b[31m", error=True)
    assert status.error and status.message == "Could not open drawing: x.jsonl: line 2: bad\\x1b[31m"
    assert status.message_label.cget("style") == "Error.Status.TLabel"
    status.say("Saved a.jsonl")
    assert not status.error and status.message_label.cget("style") == "Status.TLabel"
    status.show_model("Model: bundled - MLP 784-10")
    assert status.model == "Model: bundled - MLP 784-10" == status.model_label.cget("text")
    assert len(changes) == 3


@pytest.mark.gui
def test_a_long_message_never_widens_the_window(toplevel):
    theme.apply(toplevel)
    status = StatusBar(toplevel)
    status.frame.pack(fill="x")
    toplevel.update()
    width = toplevel.winfo_reqwidth()
    status.say("x" * 280)
    toplevel.update()
    assert toplevel.winfo_reqwidth() == width and len(status.message) == 280
