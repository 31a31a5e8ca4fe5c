"""model.oneline: one printable, bounded line whatever the message holds."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from model.oneline import MAX_CHARS, escape, one_line


def test_line_breaks_and_runs_of_spaces_become_one_space():
    assert one_line("bad file:\n  line 3\r\n\tnot JSON") == "bad file: line 3 not JSON"
    assert one_line("a\u2028b\x85c") == "a b c"


def test_control_characters_are_escaped_not_printed():
    assert one_line("writer \x1b[31mred\x07") == "writer \\x1b[31mred\\x07"
    assert one_line("zero\u200bwidth") == "zero\\u200bwidth"


def test_long_messages_are_cut():
    text = one_line("x" * 10_000)
    assert len(text) == MAX_CHARS and text.endswith("...")
    assert escape("w" * 500) == "w" * 77 + "..."


def test_an_exception_without_a_message_shows_its_class():
    assert one_line(KeyError()) == "KeyError"
    assert one_line(ValueError("bad value")) == "bad value"


@given(st.text())
def test_any_text_gives_one_printable_bounded_line(text):
    line = one_line(text)
    assert "\n" not in line and "\r" not in line
    assert line.isprintable()
    assert len(line) <= MAX_CHARS


def test_os_problems_are_named_plainly():
    from model.oneline import os_problem

    assert os_problem(FileNotFoundError(2, "No such file"), "drawing file") == "no such drawing file"
    assert os_problem(IsADirectoryError(21, "Is a directory")) == "is a folder, not a file"
    assert os_problem(PermissionError(13, "Permission denied")) == "cannot read (permission denied)"
    assert os_problem(OSError(5, "Input/output\nerror")) == "cannot read (Input/output error)"
