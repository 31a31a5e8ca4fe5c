"""One line for a person to read: every error message Digit Pad shows goes through `one_line`.

Messages often quote what came from a file (a writer's name, a path, a bad value). Printed raw, a
control character in it can move the cursor or rewrite the terminal, a newline breaks the
one-line promise, and a huge value (a 700 KB list of layer sizes) floods the screen. So the text
is collapsed to one line, control characters are shown as escapes, and long text is cut.
"""
from __future__ import annotations

import unicodedata

#: Longest message shown; the start names the file and the problem, which is what matters.
MAX_CHARS = 300


def _visible(char: str) -> str:
    if char in " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\u2028\u2029":
        return " "
    if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
    return char


def one_line(message: object, limit: int = MAX_CHARS) -> str:
    """``message`` (a string or an exception) as one printable line of at most ``limit`` characters.

    Whitespace runs (line breaks included) become one space; other control and format characters
    become escapes such as ``\\x1b``; text over the limit is cut and ends with "...". An exception
    without a message is shown by its class name.
    """
    text = str(message)
    if not text.strip() and isinstance(message, BaseException):
        text = type(message).__name__
    if not text.isprintable():
        text = "".join(_visible(c) for c in text[:limit * 4])
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:max(limit - 3, 0)] + "..."
    return text


def escape(value: object, limit: int = 80) -> str:
    """A value read from a file (a writer's name, say) made safe to print inside a message."""
    return one_line(value, limit)


def os_problem(error: OSError, what: str = "file") -> str:
    """Why a file could not be opened or read, as the end of a message: "no such drawing file",
    "is a folder, not a file", "cannot read (permission denied)", "cannot read (I/O error)"."""
    if isinstance(error, FileNotFoundError):
        return f"no such {what}"
    if isinstance(error, IsADirectoryError):
        return f"is a folder, not a {what}"
    if isinstance(error, PermissionError):
        return "cannot read (permission denied)"
    return f"cannot read ({one_line(error.strerror or error, 80)})"
