"""The drawing format: round trips, and every malformed case reported with its line number."""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from preprocessing import drawing as drawing_module
from preprocessing.drawing import (MIN_STROKE_WIDTH, Drawing, DrawingFormatError, iter_drawings, parse_drawing_line,
                                   read_drawings, write_drawings)


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_round_trip_keeps_everything(tmp_path):
    drawings = [
        Drawing(strokes=[[(0.1, 0.2), (0.3, 0.4)], [(0.5, 0.5)]], label=7, writer="w1",
                widths=[0.05, None], erase=[False, True]),
        Drawing(strokes=[]),
        Drawing(strokes=[[(0.0, 1.0)]], label=0),
    ]
    path = tmp_path / "d.jsonl"
    write_drawings(path, drawings)
    assert read_drawings(path) == drawings
    assert [p.name for p in tmp_path.iterdir()] == ["d.jsonl"]  # no temporary file left behind


def test_reads_minimal_lines_and_skips_blank_lines(tmp_path):
    path = write_lines(tmp_path / "d.jsonl", [
        '{"strokes": [[[0.5, 0.5], [0.6, 0.7]]]}', "", "   ", '{"label": 3, "strokes": []}'])
    drawings = read_drawings(path)
    assert len(drawings) == 2
    assert drawings[0].label is None and drawings[0].writer is None
    assert drawings[0].strokes == [[(0.5, 0.5), (0.6, 0.7)]]
    assert drawings[1].is_empty and drawings[1].label == 3


def test_reads_the_pendigits_dev_set(pendigits_path):
    drawings = read_drawings(pendigits_path)
    assert len(drawings) == 7494
    assert {d.label for d in drawings} == set(range(10))
    assert all(d.writer for d in drawings)


GOOD = '{"label": 1, "strokes": [[[0.1, 0.1], [0.2, 0.2]]]}'

MALFORMED = [
    ("{not json", "not valid JSON"),
    ('[1, 2]', "expected a JSON object"),
    ('"text"', "expected a JSON object"),
    ('{"label": 1}', "missing key 'strokes'"),
    ('{"strokes": [], "colour": "red"}', "unknown key 'colour'"),
    ('{"strokes": {}}', "'strokes' must be a list"),
    ('{"strokes": [[0.1, 0.2]]}', "stroke 0 point 0 must be [x, y]"),
    ('{"strokes": [[[0.1, 0.2, 0.3]]]}', "stroke 0 point 0 must be [x, y]"),
    ('{"strokes": [[[0.1]]]}', "must be [x, y]"),
    ('{"strokes": [[["a", 0.2]]]}', "x is not a number"),
    ('{"strokes": [[[0.1, null]]]}', "y is not a number"),
    ('{"strokes": [[[true, 0.2]]]}', "x is not a number"),
    ('{"strokes": [[[0.1, NaN]]]}', "y is not finite"),
    ('{"strokes": [[[Infinity, 0.1]]]}', "x is not finite"),
    ('{"strokes": [[[1.5, 0.2]]]}', "outside [0, 1]"),
    ('{"strokes": [[[0.1, -0.01]]]}', "outside [0, 1]"),
    ('{"strokes": [5]}', "stroke 0 must be a list"),
    ('{"strokes": [[[[0.1, 0.2]]]]}', "must be [x, y]"),
    ('{"label": 10, "strokes": []}', "label must be an integer 0-9"),
    ('{"label": -1, "strokes": []}', "label must be an integer 0-9"),
    ('{"label": "7", "strokes": []}', "label must be an integer 0-9"),
    ('{"label": 7.0, "strokes": []}', "label must be an integer 0-9"),
    ('{"label": true, "strokes": []}', "label must be an integer 0-9"),
    ('{"writer": 5, "strokes": []}', "writer must be a string"),
    ('{"strokes": [[[0.1, 0.1]]], "widths": [0.1, 0.2]}', "'widths' has 2 entries for 1 strokes"),
    ('{"strokes": [[[0.1, 0.1]]], "widths": 0.1}', "'widths' must be a list"),
    ('{"strokes": [[[0.1, 0.1]]], "widths": [0]}', "widths[0] must be a number in (0, 1]"),
    ('{"strokes": [[[0.1, 0.1]]], "widths": ["x"]}', "widths[0] must be a number"),
    ('{"strokes": [[[0.1, 0.1]]], "erase": []}', "'erase' has 0 entries for 1 strokes"),
    ('{"strokes": [[[0.1, 0.1]]], "erase": [1]}', "erase[0] must be true or false"),
    ('{"strokes": [[[0.1, 0.1]]], "erase": true}', "'erase' must be a list"),
]


@pytest.mark.parametrize("line, problem", MALFORMED)
def test_malformed_line_is_reported_with_file_and_line_number(tmp_path, line, problem):
    path = write_lines(tmp_path / "bad.jsonl", [GOOD, "", line, GOOD])
    with pytest.raises(DrawingFormatError) as info:
        read_drawings(path)
    message = str(info.value)
    assert message.startswith(f"{path} line 3: ")
    assert problem in message
    assert "\n" not in message


def test_missing_file_and_folder_give_one_clear_line(tmp_path):
    with pytest.raises(DrawingFormatError, match="no such drawing file"):
        read_drawings(tmp_path / "absent.jsonl")
    with pytest.raises(DrawingFormatError, match="is a folder"):
        read_drawings(tmp_path)


def test_binary_garbage_is_refused_with_its_line(tmp_path):
    path = tmp_path / "bin.jsonl"
    path.write_bytes(GOOD.encode() + b"\n\xff\xfe\x00garbage\n")
    with pytest.raises(DrawingFormatError, match=r"line 2: not UTF-8"):
        read_drawings(path)


def test_writing_an_invalid_drawing_is_refused_and_leaves_the_old_file(tmp_path):
    path = tmp_path / "d.jsonl"
    write_drawings(path, [Drawing(strokes=[[(0.5, 0.5)]], label=1)])
    before = path.read_text()
    with pytest.raises(DrawingFormatError, match="drawing 1: label must be an integer 0-9"):
        write_drawings(path, [Drawing(strokes=[]), Drawing(strokes=[], label=12)])
    with pytest.raises(DrawingFormatError, match="outside"):
        write_drawings(path, [Drawing(strokes=[[(2.0, 0.5)]])])
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["d.jsonl"]


def test_written_file_is_plain_json_lines(tmp_path):
    path = tmp_path / "d.jsonl"
    write_drawings(path, [Drawing(strokes=[[(0.25, 0.75)]], label=4, writer="me")])
    record = json.loads(path.read_text().splitlines()[0])
    assert record == {"label": 4, "writer": "me", "strokes": [[[0.25, 0.75]]]}


def test_iter_drawings_streams_one_drawing_at_a_time(tmp_path):
    path = write_lines(tmp_path / "d.jsonl", [GOOD, GOOD, "not json"])
    stream = iter_drawings(path)
    assert next(stream).label is not None and next(stream).label is not None  # read before the bad line
    with pytest.raises(DrawingFormatError, match=r"d\.jsonl line 3: not valid JSON"):
        next(stream)


def test_lines_end_at_newline_only(tmp_path):
    """U+2028, U+0085 and a form feed are text inside a JSON string, not line ends (str.splitlines
    would split there and refuse the line)."""
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"writer": "a\u2028b\x85c\x0cd", "strokes": []}, ensure_ascii=False) + "\r\n",
                    encoding="utf-8")
    assert [d.writer for d in read_drawings(path)] == ["a\u2028b\x85c\x0cd"]


def test_a_line_longer_than_the_cap_is_refused_without_reading_on(tmp_path, monkeypatch):
    monkeypatch.setattr(drawing_module, "MAX_DRAWING_LINE_BYTES", 1 << 20)
    path = tmp_path / "long.jsonl"
    path.write_bytes(GOOD.encode() + b"\n" + b" " * (3 << 20))
    with pytest.raises(DrawingFormatError, match=r"long\.jsonl line 2 is longer than 1 MiB"):
        read_drawings(path)
    path.write_bytes(b"{" + b" " * ((1 << 20) - 3) + b"}\n")  # exactly at the cap: read
    with pytest.raises(DrawingFormatError, match="missing key 'strokes'"):
        read_drawings(path)


def test_a_line_of_too_many_values_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(drawing_module, "MAX_DRAWING_LINE_VALUES", 1000)
    with pytest.raises(ValueError, match="holds over 1,000 JSON values"):
        parse_drawing_line('{"strokes": [' + "[]," * 1000 + "[]]}")


@pytest.mark.parametrize("line, problem", [
    ('{"strokes": [[[' + "9" * 400 + ', 0.5]]]}', "x=" + "9" * 20),
    ('{"strokes": [[[0.5, -' + "9" * 400 + ']]]}', "y=-" + "9" * 20),
    ('{"strokes": [[[0.5, 0.5]]], "widths": [' + "9" * 400 + "]}", "widths[0] must be a number in (0, 1]"),
    ('{"strokes": [[[' + "9" * 5000 + ', 0.5]]]}', "not valid JSON (Exceeds the limit"),
    ('{"strokes": [' + "[]," * 1000 + "[]]}", "1001 strokes; a drawing holds at most 1000"),
])
def test_huge_integers_and_too_many_strokes_are_one_line_problems(line, problem):
    with pytest.raises(ValueError) as caught:
        parse_drawing_line(line)
    assert problem in str(caught.value) and len(str(caught.value)) < 200


def test_tiny_widths_are_read_as_the_minimum_and_replay(tmp_path):
    from app.controller import DigitPadController
    from app.replay import replay_drawing
    from model.mlp import MLP
    from preprocessing.pipeline import DEFAULT_SETTINGS

    drawing = parse_drawing_line('{"strokes": [[[0.2, 0.5], [0.8, 0.5]], [[0.5, 0.2], [0.5, 0.8]]], '
                                 '"widths": [0.05, 5e-324], "erase": [false, true]}')
    assert drawing.widths == [0.05, MIN_STROKE_WIDTH]
    controller = DigitPadController(MLP([784, 8, 10], seed=0), DEFAULT_SETTINGS)
    assert replay_drawing(controller, drawing).verdict != "empty"  # the controller's brush check passes


def test_permission_denied_is_said_so(tmp_path, monkeypatch):
    path = write_lines(tmp_path / "locked.jsonl", [GOOD])

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr("builtins.open", refuse)
    with pytest.raises(DrawingFormatError, match=r"locked\.jsonl: cannot read \(permission denied\)"):
        read_drawings(path)


def test_error_messages_are_one_printable_line_whatever_the_path(tmp_path):
    path = tmp_path / "bad\nname\x1b[2J.jsonl"
    path.write_text("[1]\n")
    with pytest.raises(DrawingFormatError) as caught:
        read_drawings(path)
    assert str(caught.value).isprintable() and "\\x1b[2J.jsonl line 1" in str(caught.value)


coordinate = st.floats(0.0, 1.0, allow_nan=False)
drawing_strategy = st.integers(0, 4).flatmap(lambda n: st.builds(
    Drawing,
    strokes=st.lists(st.lists(st.tuples(coordinate, coordinate), max_size=5), min_size=n, max_size=n),
    label=st.one_of(st.none(), st.integers(0, 9)),
    writer=st.one_of(st.none(), st.text(max_size=10)),
    widths=st.one_of(st.none(), st.lists(st.one_of(st.none(), st.floats(0.001, 1.0)), min_size=n, max_size=n)),
    erase=st.one_of(st.none(), st.lists(st.booleans(), min_size=n, max_size=n)),
))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawings=st.lists(drawing_strategy, max_size=4))
def test_any_valid_drawing_survives_a_round_trip(tmp_path, drawings):
    path = tmp_path / "round.jsonl"
    write_drawings(path, drawings)
    assert read_drawings(path) == drawings
