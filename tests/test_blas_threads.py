"""Setting NumPy's OpenBLAS thread count from code, and restoring it.

The test session runs OpenBLAS on one thread (conftest.py), so each test first sets a different
count (2): a context that set nothing or restored nothing would then be caught.
"""
import numpy as np
import pytest

from model.blas_threads import blas_threads, get_blas_threads, set_blas_threads


@pytest.fixture
def two_threads():
    original = get_blas_threads()
    if original is None:
        pytest.skip("NumPy is not linked against OpenBLAS here")
    set_blas_threads(2)
    if get_blas_threads() != 2:
        pytest.skip("this OpenBLAS cannot run two threads")
    yield 2
    set_blas_threads(original)


def test_context_sets_and_restores_thread_count(two_threads):
    with blas_threads(1):
        assert get_blas_threads() == 1
        a = np.ones((64, 64), np.float32)
        assert (a @ a)[0, 0] == 64
    assert get_blas_threads() == two_threads


def test_restores_after_an_exception(two_threads):
    with pytest.raises(KeyboardInterrupt):
        with blas_threads(1):
            assert get_blas_threads() == 1
            raise KeyboardInterrupt
    assert get_blas_threads() == two_threads


def test_none_leaves_blas_alone_and_bad_counts_are_refused(two_threads):
    with blas_threads(None):
        assert get_blas_threads() == two_threads
    with pytest.raises(ValueError, match="BLAS threads"):
        set_blas_threads(0)
    assert get_blas_threads() == two_threads


def test_wide_networks_train_on_two_threads_narrow_ones_on_one():
    from model.blas_threads import WIDE_LAYER, training_threads
    from model.recipe import Recipe

    assert training_threads(Recipe().hidden) == 2  # the bundled 768-768
    assert training_threads((256, 128)) == 1
    assert training_threads((WIDE_LAYER - 1,)) == 1 and training_threads((16, WIDE_LAYER)) == 2
