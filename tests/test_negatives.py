"""The negative-drawing generator (preprocessing.negatives): seeded, valid drawings, a fixed split by
source, no digit-like letters, renders the network can read."""
from __future__ import annotations

import numpy as np
import pytest

from preprocessing import negatives
from preprocessing.drawing import Drawing, read_drawings, validate_drawing
from preprocessing.negative_glyphs import EXCLUDED_LETTERS, GLYPHS, glyph_shape, letter_maker
from preprocessing.negative_shapes import SYMBOLS, symbol_maker
from preprocessing.negatives import SOURCES, SPLITS, generate, generate_split, render_negatives, source_of, sources


@pytest.fixture(scope="module")
def pen_digits(test_data_dir) -> list[Drawing]:
    return [d for d in read_drawings(test_data_dir / "drawings_sample.jsonl") if d.label is not None]


def _as_lists(drawings):
    return [[list(map(tuple, stroke)) for stroke in d.strokes] for d in drawings]


@pytest.mark.parametrize("name", list(SOURCES))
def test_every_source_makes_valid_nonempty_drawings_named_after_it(name, pen_digits):
    drawings = generate(name, 12, seed=3, digits=pen_digits)
    assert len(drawings) == 12
    for drawing in drawings:
        validate_drawing(drawing)
        assert not drawing.is_empty
        assert drawing.label is None
        assert source_of(drawing) == name
        points = np.array([p for stroke in drawing.strokes for p in stroke])
        height = points[:, 1].max() - points[:, 1].min()
        width = points[:, 0].max() - points[:, 0].min()
        assert max(height, width) > 0.2  # drawn at a digit's size, not a speck


def test_same_seed_same_drawings_other_seed_other_drawings(pen_digits):
    first = generate_split("train", 5, seed=7, digits=pen_digits)
    again = generate_split("train", 5, seed=7, digits=pen_digits)
    other = generate_split("train", 5, seed=8, digits=pen_digits)
    assert _as_lists(first) == _as_lists(again)
    assert _as_lists(first) != _as_lists(other)


def test_asking_for_more_keeps_the_first_drawings():
    assert _as_lists(generate("star", 3, seed=1)) == _as_lists(generate("star", 6, seed=1)[:3])


def test_split_is_fixed_disjoint_and_covers_every_source():
    by_split = {split: set(sources(split)) for split in SPLITS}
    assert set().union(*by_split.values()) == set(SOURCES)
    assert sum(len(names) for names in by_split.values()) == len(SOURCES)
    # The split is part of the code: figures quoted for it mean these kinds of drawing.
    assert by_split["test"] == {"star", "doodle", "scribble_loops", "letters_test", "symbols_test"}
    assert by_split["val"] == {"tick", "bracket", "spiral", "letters_val", "symbols_val", "crossed_out"}
    with pytest.raises(ValueError, match="unknown split"):
        sources("holdout")


def test_letters_and_symbols_differ_between_splits():
    def members(name: str) -> set[str]:
        return set(SOURCES[name].description.split(" ", 1)[1].split())

    letters = [members(f"letters_{split}") for split in SPLITS]
    symbols = [members(f"symbols_{split}") for split in SPLITS]
    for group in (letters, symbols):
        for i in range(3):
            for j in range(i + 1, 3):
                assert not group[i] & group[j]
    # A capital and its lower-case look-alike stay on one side.
    for capital, small in (("C", "c"), ("P", "p"), ("X", "x"), ("U", "u"), ("V", "v"), ("W", "w")):
        assert [capital in g for g in letters] == [small in g for g in letters]


def test_digit_like_letters_are_never_drawn():
    for letter in "OoQDIlijZzSsGbBgqady":
        assert letter in EXCLUDED_LETTERS
        assert letter not in GLYPHS
        with pytest.raises(ValueError, match="written like the digit"):
            glyph_shape(letter)
        with pytest.raises(ValueError):
            letter_maker("A" + letter)
    described = "".join(SOURCES[f"letters_{split}"].description for split in SPLITS)
    assert not set(described.split()) & set(EXCLUDED_LETTERS)


def test_unknown_symbol_is_refused():
    with pytest.raises(ValueError, match="unknown symbols"):
        symbol_maker("#1")
    assert "!" not in SYMBOLS and "∞" not in SYMBOLS


def test_sources_built_from_digits_need_digits():
    with pytest.raises(ValueError, match="needs pen digits"):
        generate("side_by_side", 1)
    # ... and a split without digits simply leaves them out.
    names = {source_of(d) for d in generate_split("train", 1)}
    assert names == {n for n in sources("train") if not SOURCES[n].needs_digits}


def test_unknown_source_and_negative_count_are_refused():
    with pytest.raises(ValueError, match="unknown negative source"):
        generate("circle", 1)
    with pytest.raises(ValueError, match="count"):
        generate("star", -1)


def test_renders_are_nonempty_28x28_inputs_and_deterministic(pen_digits):
    drawings = generate_split("test", 2, seed=0) + generate("crossed_out", 2, digits=pen_digits)
    images, index = render_negatives(drawings, variants=2, seed=5)
    assert images.shape == (2 * len(drawings), 28, 28) and images.dtype == np.float32
    assert np.array_equal(index, np.repeat(np.arange(len(drawings)), 2))
    assert images.min() >= 0 and images.max() <= 1
    assert (images.reshape(len(images), -1).sum(axis=1) > 10).all()
    again, _ = render_negatives(drawings, variants=2, seed=5)
    assert np.array_equal(images, again)


def test_command_line_writes_drawings_and_preview(tmp_path, capsys):
    out, preview = tmp_path / "neg.jsonl", tmp_path / "neg.png"
    assert negatives.main(["--split", "val", "--per-source", "2", "--out", str(out), "--preview", str(preview)]) == 0
    written = read_drawings(out)
    assert {source_of(d) for d in written} == {n for n in sources("val") if not SOURCES[n].needs_digits}
    from PIL import Image

    with Image.open(preview) as picture:
        assert picture.size[0] > 0
    assert negatives.main(["--per-source", "0"]) == 2
    assert "per-source" in capsys.readouterr().err
