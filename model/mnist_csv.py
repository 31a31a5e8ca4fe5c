"""MNIST as CSV: Kaggle style (header `label,pixel0..pixel783`) or headerless (label first),
plain or gzip-compressed.

The file is read up to `MAX_CSV_BYTES` (decompressed as a stream, so a gzip bomb is refused at the
cap), then parsed in blocks: plain integers by a vectorised parser, anything else (decimals,
spaces, signs) line by line. Each block is checked and converted to uint8 as it is parsed, so
only the images are kept, and the first problem in the file is reported with its line number.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import numpy as np

from model.limits import MAX_CSV_BYTES, MiB
from model.mnist_readers import IMAGE_SIDE, PIXELS, DataError, format_value, open_data, read_stream
from model.oneline import escape

_READ_CHUNK = 1 << 20

_LABEL_HEADER_NAMES = {"label", "labels", "class", "digit", "target", "y"}
_COMMA, _NEWLINE, _CR = 44, 10, 13


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _csv_header(first_line: str, name: str) -> tuple[bool, bool]:
    """Returns (has_header, labelled) from the first line."""
    cells = [c.strip().strip('"').strip("'") for c in first_line.split(",")]
    if all(_is_number(c) for c in cells if c):
        return False, True
    if cells[0].lower() in _LABEL_HEADER_NAMES:
        return True, True
    if len(cells) == PIXELS:
        return True, False
    raise DataError(
        f"{name} line 1: header starts with '{escape(cells[0])}' and has {len(cells)} columns; "
        f"expected 'label' followed by 784 pixel columns"
    )


def _read_csv_bytes(path: Path) -> bytearray:
    """The whole (decompressed) content, refused past MAX_CSV_BYTES."""
    content = bytearray()
    with open_data(path) as stream:
        while chunk := read_stream(stream, min(_READ_CHUNK, MAX_CSV_BYTES + 1 - len(content)), str(path)):
            content += chunk
            if len(content) > MAX_CSV_BYTES:
                raise DataError(f"{path}: larger than {MAX_CSV_BYTES // MiB} MiB of CSV "
                                f"(MNIST's 60,000 training images take 109 MB); not read")
    return content


def read_csv(path: str | os.PathLike, *, require_labels: bool = True
             ) -> tuple[np.ndarray, np.ndarray | None]:
    """Read MNIST CSV: Kaggle style (header `label,pixel0..pixel783`) or headerless (label first).

    Returns images uint8 (n, 28, 28) and labels int64 (n,). A header of 784 pixel columns and no
    label (Kaggle's test.csv) is refused unless require_labels=False, which returns labels None.
    Rows are checked as they are parsed; the first problem in the file is reported.
    """
    path = Path(path)
    name = str(path)
    raw = _read_csv_bytes(path)  # a .csv.gz is read as well
    start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    if not raw[start:].strip():
        raise DataError(f"{name}: file is empty")
    first_end = raw.find(b"\n", start)
    first_end = len(raw) if first_end < 0 else first_end
    try:
        first_line = raw[start:first_end].decode("utf-8").strip()
    except UnicodeDecodeError:
        raise DataError(f"{name} line 1: not UTF-8 text (is this really a CSV file?)") from None
    has_header, labelled = _csv_header(first_line, name)
    if not labelled and require_labels:
        raise DataError(
            f"{name}: no label column (784 pixel columns, like Kaggle's test.csv); "
            f"training and testing need labelled data such as Kaggle's train.csv"
        )
    columns = PIXELS + 1 if labelled else PIXELS
    body_start = first_end + 1 if has_header else start
    first_line_number = 2 if has_header else 1
    try:
        images, labels = _checked_blocks(_parse_csv_fast(raw, body_start, columns, name, first_line_number),
                                         labelled, name)
    except _NotPlainIntegers:
        images, labels = _checked_blocks(_parse_csv_slow(raw, body_start, columns, name, first_line_number),
                                         labelled, name)
    if len(images) == 0:
        raise DataError(f"{name}: has a header but no data rows")
    return images, labels


def _checked_blocks(blocks: Iterator[tuple[np.ndarray, np.ndarray]], labelled: bool, name: str
                    ) -> tuple[np.ndarray, np.ndarray | None]:
    """Check and convert each block of rows as it is parsed (only the uint8 result is kept)."""
    images, labels = [], []
    for values, line_numbers in blocks:
        block_images, block_labels = _checked_rows(values, line_numbers, labelled, name)
        images.append(block_images)
        labels.append(block_labels)
    if not images:
        return np.zeros((0, IMAGE_SIDE, IMAGE_SIDE), np.uint8), np.zeros(0, np.int64) if labelled else None
    return np.concatenate(images), np.concatenate(labels) if labelled else None


def _checked_rows(values: np.ndarray, line_numbers: np.ndarray, labelled: bool, name: str
                  ) -> tuple[np.ndarray, np.ndarray | None]:
    """Rows of numbers (rows, columns) -> images uint8 (rows, 28, 28), labels int64 (rows,) or
    None; DataError naming the line of the first value out of range."""
    pixels = values[:, 1:] if labelled else values
    bad_rows = np.flatnonzero(((pixels < 0) | (pixels > 255)).any(axis=1))
    if bad_rows.size:
        row = bad_rows[0]
        col = int(np.flatnonzero((pixels[row] < 0) | (pixels[row] > 255))[0])
        raise DataError(
            f"{name} line {line_numbers[row]}: pixel {col} value {format_value(pixels[row, col])} "
            f"is outside 0-255"
        )
    images = pixels.astype(np.uint8).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
    if not labelled:
        return images, None
    labels = values[:, 0]
    bad_rows = np.flatnonzero((labels < 0) | (labels > 9))
    if bad_rows.size:
        row = bad_rows[0]
        raise DataError(
            f"{name} line {line_numbers[row]}: label {format_value(labels[row])} is outside 0-9"
        )
    return images, labels.astype(np.int64)


def _gaps(positions: np.ndarray) -> np.ndarray:
    """Count of positions strictly between consecutive entries (from -1 for the first)."""
    gaps = np.empty_like(positions)
    if positions.size:
        gaps[0] = positions[0]
        np.subtract(positions[1:], positions[:-1], out=gaps[1:])
        gaps[1:] -= 1
    return gaps


_CSV_CHUNK_BYTES = 1 << 21  # small enough that the temporaries of a chunk stay in cache


class _NotPlainIntegers(Exception):
    """The CSV holds more than plain unsigned integers: the line-by-line parser takes over."""


def _parse_csv_fast(raw: bytearray, body_start: int, columns: int, name: str, first_line_number: int
                    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Vectorised parse of plain unsigned integers separated by commas and newlines.

    Yields (values int32 (rows, columns), file line number per row) a chunk; raises
    _NotPlainIntegers when the text holds anything else (decimals, signs, spaces, words): the slow
    parser then handles it and finds the offending cell. Structural problems (column count, empty
    cells) are reported here.
    The text is parsed in chunks of whole lines, which is several times faster than one pass
    over the whole file (far fewer page faults for the temporaries), and needs no copy of it.
    """
    buf = np.frombuffer(raw, dtype=np.uint8)[body_start:]
    start, line_number = 0, first_line_number
    while start < buf.size:
        stop = _end_of_line(buf, min(start + _CSV_CHUNK_BYTES, buf.size) - 1)
        chunk = buf[start:stop]
        if (chunk == _CR).any():
            chunk = chunk[chunk != _CR]
        if chunk.size == 0 or chunk[-1] != _NEWLINE:
            chunk = np.append(chunk, np.uint8(_NEWLINE))
        parsed = _parse_csv_chunk(chunk, columns, name, line_number)
        if parsed is None:
            raise _NotPlainIntegers
        chunk_values, chunk_lines, line_count = parsed
        yield chunk_values, chunk_lines
        start, line_number = stop, line_number + line_count


def _end_of_line(buf: np.ndarray, position: int) -> int:
    """Index just after the first newline at or after `position`, or the end of buf."""
    window = 1 << 14
    while position < buf.size:
        found = np.flatnonzero(buf[position:position + window] == _NEWLINE)
        if found.size:
            return position + int(found[0]) + 1
        position += window
        window *= 4
    return buf.size


def _parse_csv_chunk(buf: np.ndarray, columns: int, name: str, first_line_number: int
                     ) -> tuple[np.ndarray, np.ndarray, int] | None:
    """Parse whole lines (buf ends with a newline): (values (rows, columns), line numbers, lines)."""
    if (buf > 57).any():  # letters and punctuation above the digits in ASCII
        return None
    # Every cell ends in a separator: a comma or newline, both below the digits in ASCII.
    separators = np.flatnonzero(buf < 48)
    kinds = buf[separators]
    is_line_end = kinds == _NEWLINE
    if not (is_line_end | (kinds == _COMMA)).all():  # spaces, signs, decimal points
        return None
    line_ends = np.flatnonzero(is_line_end)  # indices into `separators`
    cells_per_line = _gaps(line_ends) + 1
    lengths = _gaps(separators)  # digits in the cell ending at each separator
    blank = (cells_per_line == 1) & (lengths[line_ends] == 0)
    wrong_count = np.flatnonzero(~blank & (cells_per_line != columns))
    if wrong_count.size:
        line = int(wrong_count[0])
        raise DataError(f"{name} line {line + first_line_number}: expected {columns} columns, "
                        f"found {int(cells_per_line[line])}")
    if blank.any():
        keep = np.ones(separators.size, dtype=bool)
        keep[line_ends[blank]] = False
        separators, lengths = separators[keep], lengths[keep]
    rows = np.flatnonzero(~blank)
    line_numbers = rows + first_line_number
    empty = np.flatnonzero(lengths == 0)
    if empty.size:
        row, col = divmod(int(empty[0]), columns)
        raise DataError(f"{name} line {line_numbers[row]}, column {col + 1}: empty cell")
    values = buf[separators - 1].astype(np.int32) - 48
    for place, scale in ((2, 10), (3, 100)):  # cells of 0-255 have at most three digits
        digit = buf[np.maximum(separators - place, 0)].astype(np.int32) - 48
        values += np.where(lengths >= place, digit * scale, 0)
    for index in np.flatnonzero(lengths > 3):  # rare: leading zeros or out-of-range values
        digits = buf[separators[index] - lengths[index]:separators[index]].tobytes()
        values[index] = min(int(digits), np.iinfo(np.int32).max)
    return values.reshape(rows.size, columns), line_numbers, int(line_ends.size)


def _parse_csv_slow(raw: bytearray, body_start: int, columns: int, name: str, first_line_number: int
                    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Line-by-line parse that accepts any number syntax and names the first bad cell.

    Lines end at "\\n" only, as in the fast parser. Yields blocks of up to 1024 rows as float64
    (rows, columns) with their line numbers.
    """
    rows: list[np.ndarray] = []
    numbers: list[int] = []
    number, start = first_line_number, body_start
    while start < len(raw):
        end = raw.find(b"\n", start)
        end = len(raw) if end < 0 else end
        try:
            line = raw[start:end].decode("utf-8")
        except UnicodeDecodeError:
            raise DataError(f"{name} line {number}: not UTF-8 text") from None
        if line.strip():
            rows.append(_parse_csv_row(line, columns, name, number))
            numbers.append(number)
        if len(rows) == 1024:
            yield np.stack(rows), np.array(numbers)
            rows, numbers = [], []
        number, start = number + 1, end + 1
    if rows:
        yield np.stack(rows), np.array(numbers)


def _parse_csv_row(line: str, columns: int, name: str, number: int) -> np.ndarray:
    cells = line.split(",")
    if len(cells) != columns:
        raise DataError(f"{name} line {number}: expected {columns} columns, found {len(cells)}")
    try:
        row = np.array(cells, dtype=np.float64)
    except ValueError:
        for col, cell in enumerate(cells):
            if not _is_number(cell):
                what = "empty cell" if not cell.strip() else f"'{escape(cell.strip())}' is not a number"
                raise DataError(f"{name} line {number}, column {col + 1}: {what}") from None
        raise DataError(f"{name} line {number}: cannot parse as numbers") from None
    bad = np.flatnonzero(~np.isfinite(row) | (row != np.round(row)))
    if bad.size:
        col = int(bad[0])
        raise DataError(
            f"{name} line {number}, column {col + 1}: '{escape(cells[col].strip())}' is not a whole number"
        )
    return row
