"""app.read: pictures read from the command line through the window's own controller code."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from app import read
from app.controller import DigitPadController
from preprocessing.drawing import Drawing, read_drawings
from preprocessing.raster import render_drawing


@pytest.fixture(scope="module")
def pictures(tmp_path_factory, test_data_dir):
    """Sample drawings rendered as dark-on-light PNG and JPEG files, with their labels."""
    folder = tmp_path_factory.mktemp("pictures")
    files = {}
    seen = set()
    for drawing in read_drawings(test_data_dir / "drawings_sample.jsonl"):
        if drawing.label in seen or len(seen) >= 4:
            continue
        seen.add(drawing.label)
        ink = render_drawing(Drawing(strokes=drawing.strokes), 200, 14)
        picture = Image.fromarray((255 - 200 * ink).astype(np.uint8))
        path = folder / f"digit{drawing.label}.{'jpg' if len(files) % 2 else 'png'}"
        picture.save(path)
        files[path] = drawing.label
    return files


def test_each_file_is_read_as_the_controller_reads_it(pictures, bundled_weights, capsys):
    paths = [str(p) for p in pictures]
    assert read.main([*paths, "--json", "--weights", str(bundled_weights)]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in records] == paths
    controller = DigitPadController.from_weights(bundled_weights)
    for record, path in zip(records, pictures):
        assert set(record) >= {"file", "digit", "confidence", "verdict", "probabilities"}
        reading = controller.open_image(path)
        assert record["digit"] == reading.digit and record["verdict"] == reading.verdict
        assert record["probabilities"] == pytest.approx(reading.probabilities.tolist(), abs=1e-5)
        assert record["confidence"] == pytest.approx(max(record["probabilities"]), abs=1e-5)
        assert record["digit"] == pictures[path]  # the bundled model reads these clear pictures right


def test_a_bad_file_gets_one_line_and_the_others_are_still_read(pictures, tmp_path, capsys):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a picture")
    good = str(next(iter(pictures)))
    code = read.main([str(bad), good, str(tmp_path / "missing.jpg")])
    out, err = capsys.readouterr()
    assert code == 1
    assert err.splitlines() == [f"error: {bad}: not an image (unrecognised format)",
                                f"error: {tmp_path / 'missing.jpg'}: no such file"]
    (line,) = out.splitlines()
    assert line.startswith(f"{good}: {pictures[next(iter(pictures))]}  ") and " %  " in line


def test_json_marks_failed_files_and_several_digits(pictures, tmp_path, capsys):
    files = list(pictures)
    with Image.open(files[0]) as a, Image.open(files[2]) as b:
        pair = Image.new("L", (a.width + b.width, a.height), 255)
        pair.paste(a.convert("L"), (0, 0))
        pair.paste(b.convert("L"), (a.width, 0))
    pair.save(tmp_path / "pair.png")
    (tmp_path / "empty.png").write_bytes(b"")
    code = read.main([str(tmp_path / "pair.png"), str(tmp_path / "empty.png"), "--json"])
    records = json.loads(capsys.readouterr().out)
    assert code == 1
    assert records[0]["note"] == "several digits" and records[0]["digit"] is not None
    assert records[1]["verdict"] == "error" and records[1]["digit"] is None and "empty.png" in records[1]["error"]


def test_bad_weights_are_one_line_and_exit_2(pictures, tmp_path, capsys):
    (tmp_path / "w.npz").write_bytes(b"nope")
    assert read.main([str(next(iter(pictures))), "--weights", str(tmp_path / "w.npz")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "w.npz" in err


def test_runs_as_a_module(pictures, repo_root):
    path = str(next(iter(pictures)))
    done = subprocess.run([sys.executable, "-m", "app.read", path], cwd=repo_root, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{path}: ")
