"""Setting NumPy's OpenBLAS thread count from code, and restoring it."""
import numpy as np
import pytest

from model.blas_threads import blas_threads, get_blas_threads, set_blas_threads


def test_context_sets_and_restores_thread_count():
    before = get_blas_threads()
    if before is None:
        pytest.skip("NumPy is not linked against OpenBLAS here")
    with blas_threads(1):
        assert get_blas_threads() == 1
        a = np.ones((64, 64), np.float32)
        assert (a @ a)[0, 0] == 64
    assert get_blas_threads() == before


def test_restores_after_an_exception():
    before = get_blas_threads()
    with pytest.raises(KeyboardInterrupt):
        with blas_threads(1):
            raise KeyboardInterrupt
    assert get_blas_threads() == before


def test_none_leaves_blas_alone_and_bad_counts_are_refused():
    before = get_blas_threads()
    with blas_threads(None):
        assert get_blas_threads() == before
    with pytest.raises(ValueError, match="BLAS threads"):
        set_blas_threads(0)
