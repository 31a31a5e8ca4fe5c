"""Ideal shapes that are not digits: polygons, stars, arrows, ticks, crosses, brackets, symbols,
doodles, spirals, waves and scribbles.

Every maker is ``make(rng) -> Shape`` (strokes in a unit box, y down; see
`preprocessing.negative_pen`), picking one variant of its kind at random. Left out on purpose,
because a person could mean a digit by them: circles and ellipses (0), a lone vertical bar (1), an
infinity sign (an 8 on its side) and "!" (a 1 with a dot).
"""
from __future__ import annotations

import math

import numpy as np

from preprocessing.negative_pen import Shape, arc, curve, dot, fit_box, line, polyline, rotation, transform


def _regular(n: int, rng: np.random.Generator, irregular: float = 0.08, star_inner: float | None = None) -> list:
    """Corners of a regular n-gon (or an n-pointed star) around (0.5, 0.5), slightly uneven."""
    start = rng.uniform(0, 360) if rng.random() < 0.3 else -90.0
    corners = []
    count = 2 * n if star_inner else n
    for k in range(count):
        angle = math.radians(start + 360.0 * k / count)
        radius = 0.5 if not star_inner or k % 2 == 0 else 0.5 * star_inner
        radius *= 1 + rng.uniform(-irregular, irregular)
        corners.append((0.5 + radius * math.cos(angle), 0.5 + radius * math.sin(angle)))
    return corners


# ------------------------------------------------------------------------------ polygons (train)
def polygon(rng: np.random.Generator) -> Shape:
    """Triangle, square, rectangle, diamond, pentagon, hexagon or trapezoid; one stroke or one a side."""
    kind = rng.choice(["triangle", "square", "rectangle", "diamond", "pentagon", "hexagon", "trapezoid"])
    if kind == "square":
        corners = [(0, 0), (1, 0), (1, 1), (0, 1)]
    elif kind == "rectangle":
        w = rng.uniform(0.35, 0.65)
        corners = [(0, 0), (1, 0), (1, w), (0, w)] if rng.random() < 0.5 else [(0, 0), (w, 0), (w, 1), (0, 1)]
    elif kind == "diamond":
        corners = [(0.5, 0), (1, 0.5), (0.5, 1), (0, 0.5)]
    elif kind == "trapezoid":
        inset = rng.uniform(0.15, 0.35)
        corners = [(inset, 0), (1 - inset, 0), (1, 0.7), (0, 0.7)]
    elif kind == "triangle" and rng.random() < 0.4:
        corners = [(0, 0), (0, 1), (1, 1)]  # a right triangle
    else:
        corners = _regular({"triangle": 3, "pentagon": 5, "hexagon": 6}[kind], rng)
    if rng.random() < 0.25:  # drawn a side at a time
        closed = corners + [corners[0]]
        return [line(*closed[i], *closed[i + 1]) for i in range(len(corners))]
    first = int(rng.integers(len(corners)))
    return [polyline(*(corners[first:] + corners[:first]), closed=True)]


# ------------------------------------------------------------------------------ stars (test)
def star(rng: np.random.Generator) -> Shape:
    """A five-pointed star drawn in one go (pentagram or outline), or an asterisk of 3-4 lines."""
    kind = rng.choice(["pentagram", "outline", "asterisk", "six"])
    if kind == "pentagram":
        c = _regular(5, rng)
        return [polyline(*[c[(2 * k) % 5] for k in range(6)])]
    if kind == "outline":
        return [polyline(*_regular(5, rng, star_inner=rng.uniform(0.35, 0.5)), closed=True)]
    if kind == "six":  # two triangles
        c = _regular(6, rng)
        return [polyline(c[0], c[2], c[4], closed=True), polyline(c[1], c[3], c[5], closed=True)]
    lines = int(rng.integers(3, 5))
    return [line(0.5 + 0.5 * math.cos(a), 0.5 + 0.5 * math.sin(a), 0.5 - 0.5 * math.cos(a), 0.5 - 0.5 * math.sin(a))
            for a in np.radians(np.arange(lines) * 180.0 / lines + rng.uniform(0, 30))]


# ------------------------------------------------------------------------------ arrows (train)
def arrow(rng: np.random.Generator) -> Shape:
    """A straight or bent arrow in any of eight directions, head drawn in one or two strokes."""
    length = rng.uniform(0.6, 1.0)
    head = rng.uniform(0.15, 0.3)
    if rng.random() < 0.2:  # a bent arrow
        shaft = curve((0, 0.6), (0.4, 0.2), (length, 0.5))
        tip, back = shaft[-1], shaft[-6]
    else:
        shaft = line(0, 0.5, length, 0.5)
        tip, back = shaft[-1], shaft[0]
    direction = (tip - back) / (np.linalg.norm(tip - back) + 1e-9)
    normal = np.array([-direction[1], direction[0]])
    left = tip - head * direction + head * 0.7 * normal
    right = tip - head * direction - head * 0.7 * normal
    strokes = [shaft, polyline(tuple(left), tuple(tip), tuple(right))] if rng.random() < 0.7 else \
        [shaft, line(*tip, *left), line(*tip, *right)]
    if rng.random() < 0.2:  # double-headed
        tail = shaft[0]
        strokes.append(polyline(tuple(tail + head * direction + head * 0.7 * normal), tuple(tail),
                                tuple(tail + head * direction - head * 0.7 * normal)))
    return transform(strokes, rotation(float(rng.integers(8)) * 45 + rng.normal(0, 5)))


# ------------------------------------------------------------------------------ ticks (val)
def tick(rng: np.random.Generator) -> Shape:
    """A check mark: short stroke down, long stroke up to the right."""
    x = rng.uniform(0.25, 0.45)
    bottom = (x, 1.0)
    start = (0.0, rng.uniform(0.45, 0.7))
    end = (1.0, rng.uniform(-0.1, 0.15))
    if rng.random() < 0.5:
        return [curve(start, (x * 0.6, 0.85), bottom, (0.6, 0.5), end)]
    return [polyline(start, bottom, end)]


# ------------------------------------------------------------------------------ crosses (train)
def cross(rng: np.random.Generator) -> Shape:
    """An X or a plus sign, two strokes (an X sometimes in one, as a loop of the pen)."""
    if rng.random() < 0.55:
        a, b = rng.uniform(0.0, 0.15, 2)
        strokes = [line(a, b, 1 - b, 1 - a), line(1 - a, b, a, 1 - b)]
    else:
        strokes = [line(0, 0.5, 1, 0.5 + rng.normal(0, 0.03)), line(0.5, 0, 0.5 + rng.normal(0, 0.03), 1)]
    return transform(strokes, rotation(rng.normal(0, 8)))


# ------------------------------------------------------------------------------ brackets (val)
def bracket(rng: np.random.Generator) -> Shape:
    """One of ( ) [ ] { } < >, or a pair of them side by side."""
    def one(kind: str, x0: float) -> list:
        w = 0.35
        if kind in "()":
            s = arc(x0 + (w if kind == "(" else 0), 0.5, w, 0.5, 120, 240) if kind == "(" else \
                arc(x0, 0.5, w, 0.5, -60, 60)
            return [s]
        if kind in "[]":
            a, b = (x0 + w, x0) if kind == "[" else (x0, x0 + w)
            return [polyline((a, 0), (b, 0), (b, 1), (a, 1))]
        if kind in "{}":
            a, m, b = (x0 + w, x0 + w * 0.5, x0) if kind == "{" else (x0, x0 + w * 0.5, x0 + w)
            return [curve((a, 0), (m, 0.1), (m, 0.4), (b, 0.5), (m, 0.6), (m, 0.9), (a, 1))]
        a, b = (x0 + w, x0) if kind == "<" else (x0, x0 + w)
        return [polyline((a, 0.1), (b, 0.5), (a, 0.9))]

    kinds = "()[]{}<>"
    if rng.random() < 0.3:
        pair = ["()", "[]", "{}", "<>"][int(rng.integers(4))]
        return one(pair[0], 0.0) + one(pair[1], rng.uniform(0.5, 0.9))
    return one(kinds[int(rng.integers(len(kinds)))], 0.0)


# ------------------------------------------------------------------------------ symbols
def _hash() -> Shape:
    return [line(0.35, 0, 0.25, 1), line(0.75, 0, 0.65, 1), line(0, 0.33, 1, 0.33), line(0, 0.67, 1, 0.67)]


def _at() -> Shape:
    inner = arc(0.5, 0.5, 0.16, 0.2, 0, 360)
    return [np.vstack([inner, line(0.66, 0.3, 0.68, 0.7)[1:], curve((0.68, 0.7), (0.85, 0.72), (0.97, 0.5),
                       (0.8, 0.1), (0.45, 0.03), (0.1, 0.25), (0.05, 0.65), (0.35, 0.97), (0.75, 0.92))])]


def _ampersand() -> Shape:
    return [curve((0.95, 0.95), (0.35, 0.35), (0.3, 0.1), (0.5, 0.0), (0.65, 0.15), (0.5, 0.4),
                  (0.1, 0.65), (0.2, 0.95), (0.55, 0.9), (0.9, 0.55))]


def _percent() -> Shape:
    return [line(0.9, 0.0, 0.1, 1.0), arc(0.2, 0.2, 0.15, 0.17, 0, 360), arc(0.8, 0.8, 0.15, 0.17, 0, 360)]


def _question() -> Shape:
    return [curve((0.1, 0.25), (0.45, 0.0), (0.85, 0.2), (0.5, 0.5), (0.5, 0.75)), dot(0.5, 0.95)]


def _dollar() -> Shape:
    return [curve((0.85, 0.2), (0.5, 0.1), (0.2, 0.3), (0.5, 0.5), (0.8, 0.7), (0.5, 0.9), (0.15, 0.8)),
            line(0.5, 0.0, 0.5, 1.0)]


def _equals() -> Shape:
    return [line(0, 0.3, 1, 0.3), line(0, 0.7, 1, 0.7)]


def _tilde() -> Shape:
    return [curve((0, 0.6), (0.25, 0.35), (0.5, 0.55), (0.75, 0.7), (1, 0.4))]


def _caret() -> Shape:
    return [polyline((0, 1), (0.5, 0), (1, 1))]


def _not_equal() -> Shape:
    return [line(0, 0.35, 1, 0.35), line(0, 0.65, 1, 0.65), line(0.7, 0, 0.3, 1)]


def _pi() -> Shape:
    return [line(0, 0.1, 1, 0.05), line(0.3, 0.1, 0.25, 1), curve((0.7, 0.08), (0.68, 0.7), (0.85, 1.0))]


def _divide() -> Shape:
    return [line(0, 0.5, 1, 0.5), dot(0.5, 0.15, 0.06), dot(0.5, 0.8, 0.06)]


def _euro() -> Shape:
    return [arc(0.6, 0.5, 0.45, 0.5, -50, -310), line(0, 0.4, 0.6, 0.4), line(0, 0.6, 0.6, 0.6)]


def _sigma() -> Shape:
    return [polyline((1, 0), (0, 0), (0.5, 0.5), (0, 1), (1, 1))]


SYMBOLS = {"#": _hash, "@": _at, "&": _ampersand, "%": _percent, "?": _question, "$": _dollar,
           "=": _equals, "~": _tilde, "^": _caret, "≠": _not_equal, "π": _pi, "÷": _divide,
           "€": _euro, "Σ": _sigma}


def symbol_maker(names: str):
    """A maker drawing one of the named symbols (keys of SYMBOLS) at random."""
    chosen = list(names)
    unknown = [c for c in chosen if c not in SYMBOLS]
    if unknown:
        raise ValueError(f"unknown symbols {unknown}")

    def make(rng: np.random.Generator) -> Shape:
        return SYMBOLS[chosen[int(rng.integers(len(chosen)))]]()
    return make


# ------------------------------------------------------------------------------ doodles (test)
def doodle(rng: np.random.Generator) -> Shape:
    """Heart, smiley, house, sun, lightning bolt, cloud, flower, stick figure, fish or tree."""
    kind = rng.choice(["heart", "smiley", "house", "sun", "bolt", "cloud", "flower", "figure", "fish", "tree"])
    if kind == "heart":
        return [curve((0.5, 0.3), (0.3, 0.02), (0.02, 0.2), (0.1, 0.55), (0.5, 1.0), (0.9, 0.55), (0.98, 0.2),
                      (0.7, 0.02), (0.5, 0.3))]
    if kind == "smiley":
        return [arc(0.5, 0.5, 0.5, 0.5, 0, 360), dot(0.33, 0.35, 0.05), dot(0.67, 0.35, 0.05),
                arc(0.5, 0.55, 0.28, 0.22, 20, 160)]
    if kind == "house":
        return [polyline((0.1, 0.45), (0.1, 1), (0.9, 1), (0.9, 0.45)), polyline((0, 0.5), (0.5, 0), (1, 0.5)),
                polyline((0.4, 1), (0.4, 0.7), (0.6, 0.7), (0.6, 1))]
    if kind == "sun":
        rays = [line(0.5 + 0.3 * math.cos(a), 0.5 + 0.3 * math.sin(a), 0.5 + 0.5 * math.cos(a), 0.5 + 0.5 * math.sin(a))
                for a in np.radians(np.arange(8) * 45 + rng.uniform(0, 45))]
        return [arc(0.5, 0.5, 0.22, 0.22, 0, 360)] + rays
    if kind == "bolt":
        return [polyline((0.6, 0), (0.2, 0.55), (0.55, 0.5), (0.35, 1), (0.85, 0.4), (0.5, 0.45), (0.75, 0))]
    if kind == "cloud":
        return [np.vstack([arc(0.25, 0.6, 0.2, 0.2, 90, 270), arc(0.45, 0.38, 0.22, 0.22, 180, 330),
                           arc(0.72, 0.5, 0.22, 0.22, 250, 450), line(0.72, 0.72, 0.25, 0.8)])]
    if kind == "flower":
        petals = [arc(0.5 + 0.25 * math.cos(a), 0.35 + 0.25 * math.sin(a), 0.12, 0.12, 0, 360)
                  for a in np.radians(np.arange(5) * 72)]
        return petals + [line(0.5, 0.6, 0.5, 1.0)]
    if kind == "figure":
        return [arc(0.5, 0.15, 0.13, 0.15, 0, 360), line(0.5, 0.3, 0.5, 0.7), line(0.2, 0.45, 0.8, 0.45),
                polyline((0.25, 1), (0.5, 0.7), (0.75, 1))]
    if kind == "fish":
        return [np.vstack([curve((0.75, 0.5), (0.45, 0.2), (0.1, 0.5), (0.45, 0.8), (0.75, 0.5)),
                           polyline((0.75, 0.5), (1.0, 0.3), (1.0, 0.7), (0.75, 0.5))[1:]]), dot(0.3, 0.45, 0.04)]
    return [polyline((0.5, 0), (0.1, 0.6), (0.9, 0.6), (0.5, 0)), line(0.5, 0.6, 0.5, 1.0)]  # tree


# ------------------------------------------------------------------------------ spirals (val)
def spiral(rng: np.random.Generator) -> Shape:
    """An Archimedean spiral of 1.5 to 3 turns, either way round."""
    turns = rng.uniform(1.5, 3.0)
    t = np.linspace(0, turns * 2 * math.pi, int(60 * turns))
    r = 0.05 + 0.45 * t / t[-1]
    sign = 1 if rng.random() < 0.5 else -1
    return [np.column_stack([0.5 + r * np.cos(sign * t), 0.5 + r * np.sin(sign * t)])]


# ------------------------------------------------------------------------------ waves (train)
def wave(rng: np.random.Generator) -> Shape:
    """A zigzag, a wave, a row of loops (cursive e's) or a horizontal line, 2-5 periods."""
    periods = int(rng.integers(2, 6))
    kind = rng.choice(["zigzag", "wave", "loops", "dash"])
    if kind == "dash":
        return [line(0, 0.5, 1, 0.5 + rng.normal(0, 0.05))]
    if kind == "zigzag":
        corners = [(k / (2 * periods), 0.0 if k % 2 else 1.0) for k in range(2 * periods + 1)]
        return [polyline(*corners)]
    t = np.linspace(0, 2 * math.pi * periods, 40 * periods)
    if kind == "wave":
        return [np.column_stack([t / t[-1], 0.5 - 0.5 * np.sin(t)])]
    return [np.column_stack([t / t[-1] + 0.12 * np.sin(t), 0.5 - 0.5 * np.cos(t) * 0.8])]


# ------------------------------------------------------------------------------ scribbles
def scribble(rng: np.random.Generator) -> Shape:
    """A random walk with momentum: one to three strokes that turn every which way (train)."""
    strokes = []
    for _ in range(int(rng.integers(1, 4))):
        n = int(rng.integers(6, 20))
        heading = rng.uniform(0, 2 * math.pi)
        pos = rng.uniform(0.2, 0.8, 2)
        points = [pos.copy()]
        for _ in range(n):
            heading += rng.normal(0, 1.2)
            pos = np.clip(pos + 0.18 * np.array([math.cos(heading), math.sin(heading)]), 0, 1)
            points.append(pos.copy())
        strokes.append(curve(*[tuple(p) for p in points], points=12 * n))
    return strokes


def scribble_loops(rng: np.random.Generator) -> Shape:
    """Scribbled-over loops, as when colouring in or testing a pen (test): circles of drifting
    centre and radius, many turns."""
    turns = rng.uniform(3, 7)
    t = np.linspace(0, 2 * math.pi * turns, int(50 * turns))
    centre = np.column_stack([0.5 + 0.25 * np.sin(t / turns * rng.uniform(0.5, 1.5) + rng.uniform(0, 6)),
                              0.5 + 0.25 * np.cos(t / turns * rng.uniform(0.5, 1.5) + rng.uniform(0, 6))])
    radius = 0.2 + 0.1 * np.sin(t * rng.uniform(0.1, 0.4))
    return [centre + np.column_stack([radius * np.cos(t), radius * 0.7 * np.sin(t)])]


# ------------------------------------------------------------------------------ random strokes (train)
def _random_stroke(rng: np.random.Generator) -> np.ndarray:
    kind = rng.choice(["line", "arc", "curve", "angle"])
    a, b = rng.uniform(0, 1, 2), rng.uniform(0, 1, 2)
    if kind == "line":
        return line(*a, *b)
    if kind == "angle":
        return polyline(tuple(a), tuple(rng.uniform(0, 1, 2)), tuple(b))
    if kind == "arc":
        start = rng.uniform(0, 360)
        return arc(*rng.uniform(0.3, 0.7, 2), *rng.uniform(0.1, 0.4, 2), start, start + rng.uniform(90, 300))
    return curve(tuple(a), tuple(rng.uniform(0, 1, 2)), tuple(rng.uniform(0, 1, 2)), tuple(b))


def random_strokes(rng: np.random.Generator) -> Shape:
    """Two to four random lines, corners, arcs and curves: shapes of no kind at all. Two strokes at
    least, since a single arc or line can be a 1, a 7 or an open 0."""
    return [_random_stroke(rng) for _ in range(int(rng.integers(2, 5)))]


def overlay(*makers):
    """A maker drawing two shapes of the given makers, over each other or next to each other."""
    def make(rng: np.random.Generator) -> Shape:
        first = fit(makers[int(rng.integers(len(makers)))](rng))
        second = fit(makers[int(rng.integers(len(makers)))](rng))
        if rng.random() < 0.5:  # next to each other
            return first + [s * 0.8 + np.array([1.1, rng.normal(0, 0.1)]) for s in second]
        scale = rng.uniform(0.4, 1.0)
        return first + [s * scale + rng.uniform(0, 1 - scale, 2) for s in second]
    return make


def fit(shape: Shape) -> Shape:
    """The shape fitted into the unit box (makers may draw outside it)."""
    return fit_box(shape, 0, 0, 1, 1)
