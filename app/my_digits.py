"""My digits: the person's own labelled drawings, kept in their data folder (headless, no Tk).

One JSON Lines file, ``model.userdata.data_dir() / "my_digits.jsonl"``, one labelled drawing a line
in the drawing format (``preprocessing.drawing``), so the file is itself a drawing file:
``train.py --fine-tune`` reads it, and export is a copy of its readable lines.

Nothing is lost if the app is killed:

- ``add`` appends one line with a single write, flushed to disk. A kill in the middle leaves an
  unfinished last line (no newline, not valid JSON): reading reports and skips it, and the next
  write drops it, since it never was a saved sample.
- ``delete``, relabelling and ``import_file`` rewrite the whole file atomically (``model.atomic``).
- A line that cannot be read is reported (file, line number, problem) and skipped; every other line
  loads, and rewrites keep that line as it was, so a damaged line is never silently thrown away.

A sample's id is a fingerprint of its strokes (label excluded): stable across reloads, and the same
drawing labelled again is relabelled, not stored twice.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from model.atomic import atomic_write_text
from model.oneline import one_line
from model.userdata import data_dir, ensure
from preprocessing.drawing import Drawing, parse_drawing_line, validate_drawing, write_drawings

FILE_NAME = "my_digits.jsonl"
#: A file or line larger than this is refused rather than read (memory stays bounded). A drawing
#: line is a few kB; 64 MB holds tens of thousands.
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_LINE_CHARS = 1_000_000


class SampleStoreError(ValueError):
    """A file that cannot be used as a whole, or a drawing that cannot be stored; one line."""


def default_path() -> Path:
    return data_dir() / FILE_NAME


def fingerprint(drawing: Drawing) -> str:
    """The id of a drawing: SHA-256 (16 hex digits) of its strokes, widths and erase flags."""
    record = drawing.to_json()
    shape = {key: record[key] for key in ("strokes", "widths", "erase") if key in record}
    return hashlib.sha256(json.dumps(shape, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Sample:
    """One stored drawing: id (its fingerprint) and the drawing (label 0-9)."""

    id: str
    drawing: Drawing

    @property
    def label(self) -> int:
        return int(self.drawing.label)


@dataclass
class ImportReport:
    """added: new samples; duplicates: drawings already stored (skipped); refused: one line each."""

    added: int = 0
    duplicates: int = 0
    refused: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"imported {self.added} drawing{'s' if self.added != 1 else ''}"]
        if self.duplicates:
            parts.append(f"{self.duplicates} already there")
        if self.refused:
            parts.append(f"{len(self.refused)} refused")
        return ", ".join(parts)


@dataclass
class _Line:
    """A line of the file as read: its text, and the sample or the problem."""

    text: str
    sample: Sample | None = None
    problem: str | None = None
    unfinished: bool = False


def storable(drawing: Drawing, label: int | None = None) -> Drawing:
    """``drawing`` with ``label`` (default: its own), checked: a label 0-9, some ink, a valid
    drawing; SampleStoreError (one line) otherwise."""
    label = drawing.label if label is None else label
    if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label <= 9:
        raise SampleStoreError(f"a stored drawing needs a label 0-9, got {one_line(repr(label), 40)}")
    if drawing.is_empty:
        raise SampleStoreError("an empty drawing cannot be stored: draw a digit first")
    labelled = Drawing(strokes=drawing.strokes, label=label, writer=drawing.writer, widths=drawing.widths,
                       erase=drawing.erase)
    try:
        validate_drawing(labelled)
    except ValueError as exc:
        raise SampleStoreError(f"the drawing cannot be stored: {one_line(exc)}") from None
    return labelled


def _as_line(drawing: Drawing) -> str:
    return json.dumps(drawing.to_json(), separators=(",", ":"))


def _read_text(path: Path, what: str) -> str | None:
    """The file's text (None when it does not exist); SampleStoreError when it cannot be used."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise SampleStoreError(f"{path}: cannot read ({one_line(exc.strerror or exc)})") from None
    if path.is_dir():
        raise SampleStoreError(f"{path}: is a folder, not {what}")
    if size > MAX_FILE_BYTES:
        raise SampleStoreError(f"{path}: too large for {what} ({size / 1e6:.0f} MB, at most "
                               f"{MAX_FILE_BYTES / 1e6:.0f} MB)")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SampleStoreError(f"{path}: cannot read ({one_line(exc.strerror or exc)})") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise SampleStoreError(f"{path} line {line}: not UTF-8 text") from None


def _parse(text: str) -> Iterable[tuple[int, str, Drawing | None, str | None]]:
    """(line number, text, drawing or None, problem or None) for every non-blank line."""
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.rstrip("\r")
        if not stripped.strip():
            continue
        if len(stripped) > MAX_LINE_CHARS:
            yield number, stripped, None, f"too long ({len(stripped)} characters, at most {MAX_LINE_CHARS})"
            continue
        try:
            drawing = parse_drawing_line(stripped)
            yield number, stripped, storable(drawing), None
        except (ValueError, SampleStoreError) as exc:
            yield number, stripped, None, one_line(exc)


class MyDigits:
    """The sample store at ``path`` (default: ``default_path()``), read on construction.

    samples: the readable samples in file order; problems: one line per line skipped.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._lines: list[_Line] = []
        self.reload()

    # ------------------------------------------------------------------ reading
    def reload(self) -> "MyDigits":
        """Read the file again (SampleStoreError when it cannot be read at all)."""
        text = _read_text(self.path, "a file of your digits") or ""
        lines: list[_Line] = []
        seen: dict[str, int] = {}
        for number, raw, drawing, problem in _parse(text):
            line = _Line(raw)
            if drawing is None:
                line.problem = f"{self.path} line {number}: {problem}; skipped"
            elif fingerprint(drawing) in seen:
                line.problem = (f"{self.path} line {number}: the same drawing as line "
                                f"{seen[fingerprint(drawing)]}; skipped")
            else:
                line.sample = Sample(fingerprint(drawing), drawing)
                seen[line.sample.id] = number
            lines.append(line)
        if lines and not text.endswith("\n") and not _is_drawing_line(lines[-1].text.encode("utf-8")):
            lines[-1].unfinished = True
            lines[-1].problem = (f"{self.path} line {text.count(chr(10)) + 1}: an unfinished save (the app "
                                 "stopped while writing it); skipped")
        self._lines = lines
        return self

    @property
    def samples(self) -> list[Sample]:
        return [line.sample for line in self._lines if line.sample is not None]

    @property
    def problems(self) -> list[str]:
        return [line.problem for line in self._lines if line.problem is not None]

    def __len__(self) -> int:
        return len(self.samples)

    def get(self, sample_id: str) -> Sample | None:
        return next((s for s in self.samples if s.id == sample_id), None)

    def counts(self) -> list[int]:
        """Samples per digit, 0-9."""
        counts = [0] * 10
        for sample in self.samples:
            counts[sample.label] += 1
        return counts

    def by_digit(self, digit: int) -> list[Sample]:
        return [s for s in self.samples if s.label == digit]

    def drawings(self) -> list[Drawing]:
        return [s.drawing for s in self.samples]

    # ------------------------------------------------------------------ writing
    def add(self, drawing: Drawing, label: int | None = None) -> Sample:
        """Store ``drawing`` with ``label`` (default: its own) and return the sample. The same
        strokes stored before are relabelled instead (a rewrite); a new drawing is appended.
        SampleStoreError for an unlabelled or empty drawing, OSError naming the file when it
        cannot be written."""
        drawing = storable(drawing, label)
        sample_id = fingerprint(drawing)
        existing = self.get(sample_id)
        if existing is not None:
            if existing.label != drawing.label:
                for line in self._lines:
                    if line.sample is existing:
                        line.text = _as_line(drawing)
                        line.sample = Sample(sample_id, drawing)
                self._rewrite()
            return self.get(sample_id)
        text = _as_line(drawing)
        self._append(text)
        # What the file now holds, without reading it all again (labelling stays instant).
        if self._lines and self._lines[-1].unfinished:
            self._lines.pop()
        sample = Sample(sample_id, drawing)
        self._lines.append(_Line(text, sample))
        return sample

    def delete(self, sample_ids: str | Sequence[str]) -> int:
        """Remove the samples with these ids (rewrites the file); returns how many were removed."""
        wanted = {sample_ids} if isinstance(sample_ids, str) else set(sample_ids)
        kept = [line for line in self._lines if line.sample is None or line.sample.id not in wanted]
        removed = len(self._lines) - len(kept)
        if removed:
            self._lines = kept
            self._rewrite()
        return removed

    def export(self, path: str | Path) -> int:
        """Write the readable samples to ``path`` (a drawing file, atomically); returns how many."""
        path = Path(path)
        if path.resolve() == self.path.resolve():
            raise SampleStoreError(f"{path}: is the store itself; export to another file")
        write_drawings(path, self.drawings())
        return len(self)

    def import_file(self, path: str | Path) -> ImportReport:
        """Merge the labelled drawings of a .jsonl file into the store (one atomic rewrite).
        Lines that cannot be stored are refused, each with one line naming the file, the line
        and the problem; drawings already stored are skipped. SampleStoreError when the file
        cannot be read at all."""
        path = Path(path)
        text = _read_text(path, "a drawing file")
        if text is None:
            raise SampleStoreError(f"{path}: no such file")
        report = ImportReport()
        known = {s.id for s in self.samples}
        new_lines = []
        for number, _, drawing, problem in _parse(text):
            if drawing is None:
                report.refused.append(f"{path} line {number}: {problem}")
                continue
            sample_id = fingerprint(drawing)
            if sample_id in known:
                report.duplicates += 1
                continue
            known.add(sample_id)
            new_lines.append(_Line(_as_line(drawing)))
            report.added += 1
        if new_lines:
            self._lines.extend(new_lines)
            self._rewrite()
        return report

    # ------------------------------------------------------------------ internals
    def _rewrite(self) -> None:
        """The whole file, atomically: every line but an unfinished last one, in order."""
        ensure(self.path.parent)
        atomic_write_text(self.path, "".join(line.text + "\n" for line in self._lines if not line.unfinished))
        self.reload()

    def _append(self, text: str) -> None:
        """One line at the end with a single write, flushed to disk. An unfinished last line is
        cut off first (a kill during an earlier append; another program may have written since
        this store was read, so the file itself is checked); a complete one missing its newline
        gets it."""
        ensure(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            size = os.fstat(fd).st_size
            prefix = b""
            if size:
                tail_start = max(0, size - MAX_LINE_CHARS * 4 - 1)
                tail = os.pread(fd, size - tail_start, tail_start)
                cut = tail.rfind(b"\n")
                if not tail.endswith(b"\n"):
                    if (cut >= 0 or tail_start == 0) and not _is_drawing_line(tail[cut + 1:]):
                        os.ftruncate(fd, tail_start + cut + 1)
                    else:
                        prefix = b"\n"
            data = prefix + text.encode("utf-8") + b"\n"
            os.lseek(fd, 0, os.SEEK_END)
            written = 0
            while written < len(data):
                written += os.write(fd, data[written:])
            os.fsync(fd)
        finally:
            os.close(fd)


def _is_drawing_line(raw: bytes) -> bool:
    try:
        parse_drawing_line(raw.decode("utf-8"))
        return True
    except (ValueError, UnicodeDecodeError):
        return False
