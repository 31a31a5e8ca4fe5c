"""model.chart: tick values, text placement, the font fallback."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import ImageFont

from model import chart


@pytest.mark.parametrize("span, ticks, step", [(1.0, 6, 0.2), (0.93, 6, 0.2), (24, 7, 5.0), (10, 5, 2.5),
                                               (1e-4, 6, 2e-5), (999, 6, 200.0)])
def test_nice_steps(span, ticks, step) -> None:
    assert chart.nice_step(span, ticks) == pytest.approx(step)


def test_nice_range_covers_the_data_with_whole_steps() -> None:
    lo, hi, ticks = chart.nice_range(69.87, 99.63)
    assert (lo, hi) == (60.0, 100.0) and ticks == [60.0, 70.0, 80.0, 90.0, 100.0]
    lo, hi, ticks = chart.nice_range(5.0, 5.0)  # a flat series still gets a range
    assert lo < 5.0 < hi and len(ticks) >= 2
    with pytest.raises(ValueError, match="non-finite"):
        chart.nice_range(0.0, float("nan"))


def test_log_ticks() -> None:
    assert chart.log_ticks(0.012, 1.17) == [0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
    assert chart.log_ticks(0.8, 20000) == [1.0, 10.0, 100.0, 1000.0, 10000.0]
    assert chart.log_ticks(2.5, 4.5) == [3.0, 4.0]


@pytest.mark.parametrize("value, step, text", [(0.25, 0.25, "0.25"), (98.0, 2.0, "98"), (0.6, 0.2, "0.6"),
                                               (1e-4, None, "0.0001"), (7.5, 2.5, "7.5")])
def test_tick_labels(value, step, text) -> None:
    assert chart.format_tick(value, step) == text


def _dark_columns(image) -> np.ndarray:
    pixels = np.asarray(image.convert("L"))
    return np.flatnonzero((pixels < 128).any(axis=0))


@pytest.mark.parametrize("align", ["left", "center", "right"])
def test_text_is_placed_by_its_box(align) -> None:
    fig = chart.Figure(200, 40)
    fig.text(100, 10, "Digit 7", 14, align=align)
    columns = _dark_columns(fig.image())
    assert columns.size
    if align == "left":
        assert 99 <= columns.min() <= 102
    elif align == "right":
        assert 98 <= columns.max() <= 101
    else:
        assert abs((columns.min() + columns.max()) / 2 - 100) <= 2


def test_vertical_text_is_taller_than_wide() -> None:
    fig = chart.Figure(100, 200)
    fig.vertical_text(50, 100, "accuracy (%)", 14)
    rows = np.flatnonzero((np.asarray(fig.image().convert("L")) < 128).any(axis=1))
    columns = _dark_columns(fig.image())
    assert rows.max() - rows.min() > 3 * (columns.max() - columns.min())


def test_without_sizeable_fonts_the_bitmap_font_is_used(monkeypatch) -> None:
    def old_pillow(*args, **kwargs):
        if kwargs:
            raise TypeError("load_default() got an unexpected keyword argument 'size'")
        return original()
    original = ImageFont.load_default
    chart.font.cache_clear()
    monkeypatch.setattr(ImageFont, "load_default", old_pillow)
    try:
        fig = chart.Figure(120, 30)
        fig.text(5, 5, "epoch", 14)
        assert _dark_columns(fig.image()).size
    finally:
        chart.font.cache_clear()


def test_save_png_writes_the_image(tmp_path) -> None:
    fig = chart.Figure(20, 10)
    fig.rectangle((0, 0, 10, 10), fill=(255, 0, 0))
    path = chart.save_png(fig.image(), tmp_path / "a.png")
    from PIL import Image
    with Image.open(path) as saved:
        assert saved.format == "PNG" and saved.size == (20, 10)
        assert saved.getpixel((3, 5)) == (255, 0, 0) and saved.getpixel((17, 5)) == (255, 255, 255)
    assert [p.name for p in tmp_path.iterdir()] == ["a.png"]  # no temporary file left behind
