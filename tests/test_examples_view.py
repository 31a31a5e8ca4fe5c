"""app.examples_view: browsing the bundled MNIST examples (F5) and loading one (R)."""
from __future__ import annotations

import numpy as np
import pytest

from app.examples_view import CELL_PX, COLUMNS, GAP_PX, PAGE, ROWS, THUMB_SCALE, ExampleBrowser, describe
from app.theme import ACCENT, ERROR, rgb
from model.examples import Example, ExampleSet
from model.mlp import MLP
from screens import grab, pump


def small_set(n_per_digit=5):
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), n_per_digit)
    images = (rng.random((labels.size, 28, 28)) * 255).astype(np.uint8)
    return ExampleSet(images, labels, np.arange(labels.size) + 1000)


@pytest.fixture
def browser():
    model = MLP([784, 8, 10], seed=0)
    return ExampleBrowser(small_set(), lambda: model, np.random.default_rng(1))


def test_the_offer_follows_the_digit_and_the_mistakes_filter(browser):
    examples = browser.examples
    assert len(browser.positions()) == 50 and browser.pages == 2
    browser.set_filter(3, False)
    assert list(browser.positions()) == list(np.flatnonzero(examples.labels == 3))
    assert browser.offer_text().startswith("5 examples of 3")
    browser.set_filter(None, True)
    wrong = examples.predictions(browser.model) != examples.labels
    assert list(browser.positions()) == list(np.flatnonzero(wrong)) and wrong.any()
    assert browser.offer_text().endswith("that the model gets wrong")
    assert browser.misread(browser.positions()).all()
    with pytest.raises(ValueError):
        browser.set_filter(10, False)


def test_pages_turn_within_bounds(browser):
    assert len(browser.page_positions()) == PAGE
    browser.turn(5)
    assert browser.page == 1 and len(browser.page_positions()) == 50 - PAGE
    browser.turn(-9)
    assert browser.page == 0
    browser.set_filter(2, False)
    assert browser.page == 0 and browser.pages == 1


def test_a_random_pick_passes_the_filter_and_is_never_the_one_shown(browser):
    browser.set_filter(4, False)
    seen = set()
    for _ in range(30):
        current = browser.current
        example = browser.random()
        assert example.label == 4 and (current is None or example.position != current.position)
        seen.add(example.position)
    assert len(seen) > 1
    browser.set_filter(None, True)
    assert all(browser.random().position in set(browser.positions()) for _ in range(10))
    empty = ExampleBrowser(ExampleSet(np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64)), lambda: None)
    assert empty.random() is None and empty.pages == 1 and empty.offer_text() == "0 examples of every digit"


def test_the_sheet_shows_the_page_dark_on_paper_framing_mistakes_red_and_the_loaded_one_blue(browser):
    sheet = np.asarray(browser.sheet())
    assert sheet.shape == (ROWS * CELL_PX, COLUMNS * CELL_PX, 3)
    positions = browser.page_positions()
    side = 28 * THUMB_SCALE
    first = positions[1]
    top, left = 0 * CELL_PX + GAP_PX // 2, 1 * CELL_PX + GAP_PX // 2
    expected = 255 - np.repeat(np.repeat(browser.examples.images[first], THUMB_SCALE, 0), THUMB_SCALE, 1)
    np.testing.assert_array_equal(sheet[top + 2:top + side - 2, left + 2:left + side - 2, 0],
                                  expected[2:-2, 2:-2])
    misread = browser.misread(positions)
    index = int(np.flatnonzero(misread)[0])
    row, column = divmod(index, COLUMNS)
    assert tuple(sheet[row * CELL_PX + GAP_PX // 2 - 2, column * CELL_PX + GAP_PX // 2 + 5]) == rgb(ERROR)
    browser.pick(positions[index])
    sheet = np.asarray(browser.sheet())
    assert tuple(sheet[row * CELL_PX + GAP_PX // 2 - 2, column * CELL_PX + GAP_PX // 2 + 5]) == rgb(ACCENT)
    assert browser.position_at(column * CELL_PX + 10, row * CELL_PX + 10) == positions[index]
    assert browser.position_at(-1, 5) is None and browser.position_at(COLUMNS * CELL_PX + 1, 5) is None


def test_the_status_line_names_the_example_and_what_the_model_reads():
    example = Example(3, np.zeros((28, 28), np.float32), 8, 1234)
    assert describe(example, 8) == "Example: an 8 from the MNIST test set (#1234); the model reads 8. R loads another"
    assert "reads 3 (wrong)" in describe(Example(0, example.image, 5, -1), 3)
    assert "#" not in describe(Example(0, example.image, 5, -1), None)


# ---------------------------------------------------------------------- in the window
@pytest.fixture
def window(bundled_window):
    return bundled_window



@pytest.mark.gui
def test_f5_browses_a_click_loads_an_example_and_r_a_random_one(window, artifacts_dir):
    window.commands.run("examples")
    pump(window)
    view = window.examples
    assert view.is_open and window.variables["examples"].get()
    # Only the 9s the model gets wrong.
    view.digit_var.set(9)
    view.wrong_var.set(True)
    view._filter()
    pump(window)
    positions = window.browser.positions()
    assert len(positions) > 0 and (window.browser.examples.labels[positions] == 9).all()
    assert view.offer_label.cget("text").startswith(f"{len(positions)} example")
    view.sheet.event_generate("<ButtonPress-1>", x=CELL_PX // 2, y=CELL_PX // 2)
    pump(window)
    reading = window.controller.reading()
    example = window.browser.current
    assert example.position == positions[0] and reading.source == "example"
    np.testing.assert_array_equal(reading.input, example.image)
    assert reading.digit != 9  # the model gets it wrong, as promised
    assert window.status.message.startswith("Example: a 9 from the MNIST test set")
    grab(view.window, artifacts_dir / "examples_view.png")
    top = view.window
    assert top.winfo_reqwidth() <= 1024 and top.winfo_reqheight() <= 600
    # R in the main window: another 9 the model misreads (when there is another).
    window.root.focus_force()
    pump(window)
    window.canvas.canvas.event_generate("<r>")
    pump(window)
    second = window.browser.current
    assert second.label == 9 and (second.position != example.position or len(positions) == 1)
    np.testing.assert_array_equal(window.controller.reading().input, second.image)
    assert window.canvas.canvas.itemcget(window.canvas.placeholder, "text").startswith("The grid holds an example")
    top.tk.eval(top.protocol("WM_DELETE_WINDOW"))
    pump(window)
    grab(window.root, artifacts_dir / "examples_loaded.png")
    assert not view.is_open and not window.variables["examples"].get()
    # R works with the window closed, with the filter chosen in it.
    window.random_example()
    assert window.browser.current.label == 9
