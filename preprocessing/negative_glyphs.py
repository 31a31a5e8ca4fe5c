"""Letters as a person writes them, for the negative-drawing generator: strokes drawn by hand for
this project (no font package, no font data: MIT like the rest of the repository).

Each glyph is a list of strokes; a stroke is ``("L", points)`` (straight segments through the
points) or ``("C", points)`` (a smooth curve through them). Coordinates: x to the right, y down,
capital height from 0 to 1, lowercase x-height from 0.45 to 1, descenders below 1.

Left out, because people write them like digits and a model must not learn to reject those digits:
O, o, Q, D (a closed loop: 0); I, l, i, j (a bar: 1); Z, z (2); S, s (5); G, b (a loop with a
stroke rising from it: 6); B (8); g, q, a, d, y (a loop with a stem on its right, or an open 4:
9 and 4). Near-duplicates of a capital (c, p, x beside C, P, X) are kept in the capital's split.
"""
from __future__ import annotations

import numpy as np

from preprocessing.negative_pen import Shape, curve, polyline

#: Letters never generated, with the digit each can pass for.
EXCLUDED_LETTERS = {
    "O": "0", "o": "0", "Q": "0", "D": "0", "I": "1", "l": "1", "i": "1", "j": "1", "Z": "2", "z": "2",
    "S": "5", "s": "5", "G": "6", "b": "6", "B": "8", "g": "9", "q": "9", "a": "9", "d": "9", "y": "4",
}

GLYPHS: dict[str, list[tuple[str, list[tuple[float, float]]]]] = {
    "A": [("L", [(0, 1), (0.4, 0), (0.8, 1)]), ("L", [(0.17, 0.6), (0.63, 0.6)])],
    "C": [("C", [(0.8, 0.15), (0.45, 0), (0.08, 0.25), (0.05, 0.7), (0.4, 1), (0.82, 0.85)])],
    "c": [("C", [(0.55, 0.55), (0.3, 0.45), (0.05, 0.65), (0.08, 0.92), (0.35, 1), (0.58, 0.92)])],
    "E": [("L", [(0.7, 0), (0, 0), (0, 1), (0.7, 1)]), ("L", [(0, 0.5), (0.55, 0.5)])],
    "e": [("C", [(0.05, 0.72), (0.55, 0.7), (0.5, 0.5), (0.28, 0.45), (0.05, 0.65), (0.1, 0.92), (0.35, 1),
                 (0.58, 0.92)])],
    "F": [("L", [(0.7, 0), (0, 0), (0, 1)]), ("L", [(0, 0.48), (0.55, 0.48)])],
    "f": [("C", [(0.6, 0.08), (0.45, 0), (0.3, 0.12), (0.28, 0.5), (0.28, 1.0)]), ("L", [(0.08, 0.45), (0.5, 0.45)])],
    "H": [("L", [(0, 0), (0, 1)]), ("L", [(0.7, 0), (0.7, 1)]), ("L", [(0, 0.5), (0.7, 0.5)])],
    "h": [("L", [(0, 0), (0, 1)]), ("C", [(0, 0.62), (0.25, 0.45), (0.5, 0.55), (0.52, 0.75), (0.52, 1)])],
    "J": [("C", [(0.7, 0), (0.7, 0.7), (0.55, 0.98), (0.25, 0.98), (0.05, 0.75)]), ("L", [(0.4, 0), (0.95, 0)])],
    "K": [("L", [(0, 0), (0, 1)]), ("L", [(0.7, 0), (0.02, 0.55), (0.72, 1)])],
    "k": [("L", [(0, 0), (0, 1)]), ("L", [(0.5, 0.45), (0.02, 0.75), (0.52, 1)])],
    "L": [("L", [(0, 0), (0, 1), (0.65, 1)])],
    "M": [("L", [(0, 1), (0.05, 0), (0.45, 0.65), (0.85, 0), (0.9, 1)])],
    "m": [("C", [(0, 0.45), (0, 1)]), ("C", [(0, 0.6), (0.18, 0.45), (0.36, 0.55), (0.38, 1)]),
          ("C", [(0.38, 0.6), (0.56, 0.45), (0.74, 0.55), (0.76, 1)])],
    "N": [("L", [(0, 1), (0, 0), (0.7, 1), (0.7, 0)])],
    "n": [("L", [(0, 0.45), (0, 1)]), ("C", [(0, 0.62), (0.25, 0.45), (0.5, 0.55), (0.52, 0.75), (0.52, 1)])],
    "P": [("L", [(0, 1), (0, 0)]), ("C", [(0, 0), (0.5, 0.02), (0.65, 0.25), (0.5, 0.48), (0, 0.5)])],
    "p": [("L", [(0, 1.35), (0, 0.45)]), ("C", [(0, 0.5), (0.4, 0.45), (0.55, 0.72), (0.4, 0.98), (0, 0.95)])],
    "R": [("L", [(0, 1), (0, 0)]), ("C", [(0, 0), (0.5, 0.02), (0.65, 0.25), (0.5, 0.48), (0, 0.5)]),
          ("L", [(0.25, 0.5), (0.7, 1)])],
    "r": [("L", [(0, 0.45), (0, 1)]), ("C", [(0, 0.68), (0.15, 0.5), (0.35, 0.45), (0.5, 0.5)])],
    "T": [("L", [(0, 0), (0.8, 0)]), ("L", [(0.4, 0), (0.4, 1)])],
    "t": [("C", [(0.25, 0.1), (0.25, 0.85), (0.35, 1), (0.55, 0.95)]), ("L", [(0.02, 0.42), (0.52, 0.42)])],
    "U": [("C", [(0, 0), (0.02, 0.7), (0.35, 1), (0.68, 0.7), (0.7, 0)])],
    "u": [("C", [(0, 0.45), (0.02, 0.85), (0.25, 1), (0.5, 0.88), (0.52, 0.45)]), ("L", [(0.52, 0.45), (0.55, 1)])],
    "V": [("L", [(0, 0), (0.4, 1), (0.8, 0)])],
    "v": [("L", [(0, 0.45), (0.28, 1), (0.56, 0.45)])],
    "W": [("L", [(0, 0), (0.25, 1), (0.5, 0.3), (0.75, 1), (1, 0)])],
    "w": [("L", [(0, 0.45), (0.18, 1), (0.36, 0.6), (0.54, 1), (0.72, 0.45)])],
    "X": [("L", [(0, 0), (0.75, 1)]), ("L", [(0.75, 0), (0, 1)])],
    "x": [("L", [(0, 0.45), (0.5, 1)]), ("L", [(0.5, 0.45), (0, 1)])],
    "Y": [("L", [(0, 0), (0.4, 0.5), (0.8, 0)]), ("L", [(0.4, 0.5), (0.4, 1)])],
}


def glyph_shape(letter: str) -> Shape:
    """The strokes of one letter -> Shape (a list of (m, 2) arrays)."""
    if letter in EXCLUDED_LETTERS:
        raise ValueError(f"letter {letter!r} is written like the digit {EXCLUDED_LETTERS[letter]}: not a negative")
    try:
        strokes = GLYPHS[letter]
    except KeyError:
        raise ValueError(f"no strokes for letter {letter!r}") from None
    return [polyline(*points) if kind == "L" else curve(*points) for kind, points in strokes]


def letter_maker(letters: str):
    """A maker drawing one of `letters` at random, occasionally two side by side (a short word)."""
    chosen = list(letters)
    for letter in chosen:
        glyph_shape(letter)  # fails now for an excluded or unknown letter

    def make(rng: np.random.Generator) -> Shape:
        first = glyph_shape(chosen[int(rng.integers(len(chosen)))])
        if rng.random() >= 0.15:
            return first
        second = glyph_shape(chosen[int(rng.integers(len(chosen)))])
        right = max(float(s[:, 0].max()) for s in first) + 0.25
        return first + [s + np.array([right, 0.0]) for s in second]
    return make
