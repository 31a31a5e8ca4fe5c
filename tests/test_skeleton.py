"""preprocessing.skeleton: thinning, line ends, spur pruning and grown ends on crafted masks."""
from __future__ import annotations

import numpy as np
from scipy import ndimage

from preprocessing import skeleton as sk


def test_skeleton_of_a_thick_bar_is_one_line():
    mask = np.zeros((60, 140), bool)
    mask[20:40, 10:130] = True
    skeleton = sk.skeletonise(mask)
    columns = skeleton[:, 25:115].sum(axis=0)
    assert (columns >= 1).all() and (columns <= 2).all()
    assert ndimage.label(skeleton, structure=np.ones((3, 3)))[1] == 1


def test_skeleton_of_a_ring_keeps_its_hole():
    rows, cols = np.mgrid[0:100, 0:100]
    radius = np.hypot(rows - 50, cols - 50)
    skeleton = sk.skeletonise((radius > 20) & (radius < 35))
    assert skeleton.sum() > 100
    assert (ndimage.binary_fill_holes(skeleton) & ~skeleton)[50, 50]


def test_pruning_removes_short_spurs_and_keeps_the_line_length():
    skeleton = np.zeros((40, 100), bool)
    skeleton[20, 10:90] = True
    skeleton[21:25, 50] = True                               # a 4-pixel spur
    pruned = sk.prune_spurs(skeleton, 6)
    assert not pruned[21:25, 50].any()
    assert pruned[20, 10:90].all()


def test_line_ends_are_the_ends_of_a_line_and_ends_grow_back_along_the_stroke():
    line = np.zeros((30, 60), bool)
    line[15, 10:50] = True
    assert sorted(map(tuple, np.argwhere(sk.line_ends(line)))) == [(15, 10), (15, 49)]
    stroke = np.zeros((30, 60), bool)
    stroke[12:19, 4:56] = True  # the ink the skeleton came from: 3 px either side
    grown = sk.extend_ends(line, ndimage.distance_transform_edt(stroke))
    assert grown[15, 10:50].all() and grown[15].sum() > line[15].sum()
