"""benchmarks/image_import.py: the picture builders and a tiny run of the whole benchmark."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from benchmarks import image_import as bench
from preprocessing.drawing import Drawing

DRAWING = Drawing(strokes=[[(0.3, 0.2), (0.7, 0.2), (0.45, 0.85)]], label=7, writer="w")


@pytest.mark.parametrize("family", bench.MNIST_FAMILIES)
def test_every_mnist_family_makes_a_picture_of_the_digit(family):
    digit = np.zeros((28, 28), np.uint8)
    digit[6:22, 12:16] = 255
    picture = bench.mnist_image(family, digit, np.random.default_rng(0))
    assert isinstance(picture, Image.Image) and min(picture.size) >= 28
    grey = np.asarray(picture.convert("L"), np.float32)
    assert np.ptp(grey) > 100  # the digit shows


def test_pen_bitmaps_are_one_bit_at_their_size_and_photos_are_jpeg():
    rng = np.random.default_rng(0)
    for side in (16, 32):
        bitmap = bench.pen_bitmap(DRAWING, side, rng)
        assert bitmap.size == (side, side) and bitmap.mode == "1"
        assert 0 < np.asarray(bitmap).mean() < 1
    photo = bench.pen_photo(DRAWING, rng)
    assert photo.format == "JPEG" and photo.mode == "RGB" and min(photo.size) >= 300


def test_a_tiny_run_prints_json_per_family(shared_dir, capsys):
    code = bench.main(["--per-family", "3", "--families", "mnist_png28", "pen_bitmap16", "--no-timing", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["split"] == "report"
    assert [row["family"] for row in report["families"]] == ["mnist_png28", "pen_bitmap16"]
    for row in report["families"]:
        assert row["n"] == 3 and 0 <= row["before"] <= 1 and 0 <= row["after"] <= 1
    assert report["pen_writers_seen_in_training"] is True
    assert any("trained on these writers" in note for note in report["notes"])


def test_unknown_families_are_refused(capsys):
    with pytest.raises(SystemExit):
        bench.main(["--families", "nope"])
    assert "unknown families" in capsys.readouterr().err
