"""The sample store: append, relabel, delete, reload, export/import, and damage that loses nothing."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from app.my_digits import (MAX_FILE_BYTES, MyDigits, SampleStoreError, default_path, fingerprint, storable)
from preprocessing.drawing import Drawing, read_drawings


def digit(label: int | None, shift: float = 0.0) -> Drawing:
    """A small distinct drawing; ``shift`` makes another one of the same digit."""
    x = 0.3 + 0.05 * (label or 0) + shift
    return Drawing(strokes=[[(x, 0.2), (x + 0.1, 0.5), (x, 0.8)]], label=label)


@pytest.fixture
def store(tmp_path):
    return MyDigits(tmp_path / "my_digits.jsonl")


def test_default_file_is_in_the_data_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "data"))
    assert default_path() == tmp_path / "data" / "my_digits.jsonl"
    assert MyDigits().path == default_path()


def test_add_appends_a_drawing_file_line_and_reloads(store):
    first = store.add(digit(3))
    second = store.add(digit(None, 0.01), label=7)
    assert [s.label for s in store.samples] == [3, 7]
    assert store.counts() == [0, 0, 0, 1, 0, 0, 0, 1, 0, 0]
    assert store.by_digit(7) == [second]
    assert first.id == fingerprint(digit(3))
    # the file is a plain drawing file: any drawing reader (train.py --fine-tune) reads it
    assert [d.label for d in read_drawings(store.path)] == [3, 7]
    again = MyDigits(store.path)
    assert [s.id for s in again.samples] == [first.id, second.id] and again.problems == []


def test_unlabelled_or_empty_drawings_are_refused(store):
    with pytest.raises(SampleStoreError, match="label 0-9"):
        store.add(digit(None))
    with pytest.raises(SampleStoreError, match="label 0-9"):
        store.add(digit(1), label=10)
    with pytest.raises(SampleStoreError, match="empty"):
        store.add(Drawing(strokes=[], label=4))
    assert not store.path.exists()


def test_the_same_strokes_labelled_again_are_relabelled_not_doubled(store):
    store.add(digit(1))
    store.add(digit(2))
    store.add(digit(1), label=7)
    assert [s.label for s in store.samples] == [7, 2]
    store.add(digit(2))  # pressed twice: nothing changes
    assert len(MyDigits(store.path)) == 2


def test_delete_removes_only_that_sample(store):
    samples = [store.add(digit(d)) for d in range(4)]
    assert store.delete(samples[1].id) == 1
    assert store.delete("no-such-id") == 0
    assert [s.label for s in MyDigits(store.path).samples] == [0, 2, 3]
    assert store.delete([samples[0].id, samples[3].id]) == 2
    assert [s.label for s in MyDigits(store.path).samples] == [2]


def test_corrupt_lines_are_reported_and_skipped_and_survive_rewrites(store):
    store.add(digit(0))
    with open(store.path, "a", encoding="utf-8") as handle:
        handle.write('{"label": 5, "strokes": [[[0.1, 2.0]]]}\n')   # a point outside the canvas
        handle.write("not json at all\n")
        handle.write(json.dumps(digit(None, 0.02).to_json()) + "\n")  # no label
    store.add(digit(6))
    store.reload()
    assert [s.label for s in store.samples] == [0, 6]
    assert len(store.problems) == 3
    assert all(p.startswith(f"{store.path} line ") and "\n" not in p for p in store.problems)
    assert "line 2:" in store.problems[0] and "outside [0, 1]" in store.problems[0]
    assert "line 3:" in store.problems[1] and "not valid JSON" in store.problems[1]
    assert "line 4:" in store.problems[2] and "label" in store.problems[2]
    store.delete(store.samples[0].id)  # a rewrite keeps the lines it could not read, as they were
    text = store.path.read_text()
    assert "not json at all" in text and '"strokes": [[[0.1, 2.0]]]' in text
    assert [s.label for s in MyDigits(store.path).samples] == [6]


def test_an_unfinished_last_line_is_skipped_then_dropped_by_the_next_add(store):
    store.add(digit(1))
    store.add(digit(2))
    whole = store.path.read_bytes()
    store.path.write_bytes(whole + json.dumps(digit(3).to_json()).encode()[:25])  # killed mid-append
    torn = MyDigits(store.path)
    assert [s.label for s in torn.samples] == [1, 2]
    assert len(torn.problems) == 1 and "unfinished save" in torn.problems[0]
    torn.add(digit(4))
    assert store.path.read_bytes() == whole + (json.dumps(digit(4).to_json(), separators=(",", ":")) + "\n").encode()
    healed = MyDigits(store.path)
    assert [s.label for s in healed.samples] == [1, 2, 4] and healed.problems == []


def test_a_complete_last_line_without_newline_is_kept(store):
    store.path.write_text(json.dumps(digit(5).to_json()))
    store.reload()
    assert [s.label for s in store.samples] == [5] and store.problems == []
    store.add(digit(8))
    assert [s.label for s in MyDigits(store.path).samples] == [5, 8]


def test_a_kill_during_append_loses_no_earlier_sample(tmp_path):
    """A real process killed while appending in a loop: every line it finished is there."""
    path = tmp_path / "my_digits.jsonl"
    script = ("import sys, itertools\nfrom app.my_digits import MyDigits\nfrom preprocessing.drawing import Drawing\n"
              "store = MyDigits(sys.argv[1])\nprint('ready', flush=True)\n"
              "for i in itertools.count():\n"
              "    x = 0.1 + (i % 7000) / 10000\n"
              "    store.add(Drawing(strokes=[[(x, 0.1), (x, 0.9)]], label=i % 10))\n")
    env = {**os.environ, "PYTHONPATH": str(os.getcwd())}
    child = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE, env=env, text=True)
    assert child.stdout.readline().strip() == "ready"
    while not path.exists() or path.stat().st_size < 4000:
        time.sleep(0.005)
    child.kill()
    child.wait()
    after = MyDigits(path)
    assert len(after) >= 10
    assert all(s.label == i % 10 for i, s in enumerate(after.samples))
    assert len(after.problems) <= 1


def test_export_and_import_round_trip(store, tmp_path):
    for d in range(3):
        store.add(digit(d))
    out = tmp_path / "mine.jsonl"
    assert store.export(out) == 3
    other = MyDigits(tmp_path / "other.jsonl")
    other.add(digit(1))
    report = other.import_file(out)
    assert (report.added, report.duplicates, report.refused) == (2, 1, [])
    assert report.summary() == "imported 2 drawings, 1 already there"
    assert sorted(s.label for s in MyDigits(other.path).samples) == [0, 1, 2]
    with pytest.raises(SampleStoreError, match="the store itself"):
        store.export(store.path)


def test_import_refuses_bad_lines_one_line_each_and_takes_the_rest(store, tmp_path):
    source = tmp_path / "import.jsonl"
    source.write_text("\n".join([json.dumps(digit(4).to_json()), "{broken", json.dumps(digit(None, 0.03).to_json()),
                                 json.dumps({"label": 2, "strokes": [], "colour": "red"}),
                                 json.dumps(digit(9).to_json())]) + "\n")
    report = store.import_file(source)
    assert report.added == 2 and report.duplicates == 0
    assert [r.split(":")[0] for r in report.refused] == [f"{source} line {n}" for n in (2, 3, 4)]
    assert "unknown key 'colour'" in report.refused[2]
    assert [s.label for s in MyDigits(store.path).samples] == [4, 9]


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"\xff\xfe{}\n", "not UTF-8"),
])
def test_import_of_an_unusable_file_is_one_line(store, tmp_path, content, message):
    source = tmp_path / "in.jsonl"
    if content is not None:
        source.write_bytes(content)
    with pytest.raises(SampleStoreError, match=message) as caught:
        store.import_file(source)
    assert "\n" not in str(caught.value) and str(source) in str(caught.value)


def test_a_huge_file_is_refused_without_reading_it(store, tmp_path):
    huge = tmp_path / "huge.jsonl"
    with open(huge, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)
    with pytest.raises(SampleStoreError, match="too large"):
        store.import_file(huge)
    with pytest.raises(SampleStoreError, match="too large"):
        MyDigits(huge)


def test_storable_keeps_strokes_widths_and_writer():
    drawing = Drawing(strokes=[[(0.2, 0.2), (0.3, 0.6)]], widths=[0.05], erase=[False], writer="me")
    kept = storable(drawing, 2)
    assert (kept.label, kept.widths, kept.erase, kept.writer) == (2, [0.05], [False], "me")
    assert fingerprint(kept) == fingerprint(drawing)
