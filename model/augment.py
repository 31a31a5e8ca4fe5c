"""Batch augmentation of 28x28 digit images, vectorised over the batch.

Every image of a batch gets its own random affine transform (rotation, scale, shear, shift) and,
optionally, its own elastic displacement field; all of them are applied in ONE batched bilinear
gather from precomputed coordinate grids (no Python loop over images). Stroke-thickness jitter is
a grey dilation or erosion (3x3) blended in with a random strength, applied to random subsets of
the batch, again as whole-array operations.

Conventions: images are float32 in [0, 1], ink = 1; a batch is (n, 784) (row-major 28x28) or
(n, 28, 28); the output has the input's shape. Angles are in degrees, positive = counter-clockwise
as seen on screen (rows grow downwards). Shifts are in pixels.

Usage in training (the `augment` hook of model.training.train):

    augmenter = Augmenter(AugmentSettings())
    batch = augmenter(batch, rng)          # (n, 784) float32 -> (n, 784) float32
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, fields

import numpy as np

SIDE = 28
_PAD = 2  # zero border so that bilinear taps just outside the image read ink 0


@dataclass(frozen=True)
class AugmentSettings:
    """What to randomise, and how much. Validated on construction.

    enabled: master switch (False = identity).
    rotation_deg: rotation drawn uniformly from [-rotation_deg, +rotation_deg].
    scale_min, scale_max: isotropic scale drawn uniformly from [scale_min, scale_max].
    shear_deg: horizontal shear angle drawn uniformly from [-shear_deg, +shear_deg].
    shift_px: translation per axis drawn uniformly from [-shift_px, +shift_px].
    thickness: fraction of the batch thickened and, separately, fraction thinned (each image at
        most one of the two); strength of the cross-shaped 3x3 dilation/erosion is uniform in [0.3, 1].
    elastic_alpha: elastic displacement magnitude in pixels (0 = off).
    elastic_sigma: smoothing (Gaussian sigma, pixels) of the random displacement fields.
    elastic_pool: number of precomputed displacement fields drawn from at random.
    """

    enabled: bool = True
    rotation_deg: float = 12.0
    scale_min: float = 0.85
    scale_max: float = 1.12
    shear_deg: float = 12.0
    shift_px: float = 2.0
    thickness: float = 0.25
    elastic_alpha: float = 1.5
    elastic_sigma: float = 3.5
    elastic_pool: int = 512

    def __post_init__(self) -> None:
        checks = [
            (0 <= self.rotation_deg <= 90, "rotation_deg must be in [0, 90]"),
            (0 < self.scale_min <= self.scale_max <= 3, "need 0 < scale_min <= scale_max <= 3"),
            (0 <= self.shear_deg <= 45, "shear_deg must be in [0, 45]"),
            (0 <= self.shift_px <= 14, "shift_px must be in [0, 14]"),
            (0 <= self.thickness <= 0.5, "thickness (fraction of the batch) must be in [0, 0.5]"),
            (0 <= self.elastic_alpha <= 20, "elastic_alpha must be in [0, 20] pixels"),
            (0 < self.elastic_sigma <= 20, "elastic_sigma must be in (0, 20] pixels"),
            (1 <= self.elastic_pool <= 100_000, "elastic_pool must be in [1, 100000]"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"augmentation: {message}")
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"augmentation: {f.name} must be finite")

    @classmethod
    def off(cls) -> "AugmentSettings":
        return cls(enabled=False)

    @property
    def is_identity(self) -> bool:
        return (not self.enabled) or (
            self.rotation_deg == 0 and self.scale_min == 1 == self.scale_max and self.shear_deg == 0
            and self.shift_px == 0 and self.thickness == 0 and self.elastic_alpha == 0)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "AugmentSettings":
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


def random_affine_inverse(n: int, settings: AugmentSettings, rng: np.random.Generator) -> np.ndarray:
    """Random per-image transforms as INVERSE maps (output pixel -> source pixel).

    Returns (n, 2, 3) float32: source (row, col) = A @ (row, col, 1) of the output pixel, both in
    pixel coordinates with the image centre at (13.5, 13.5).
    """
    angle = np.deg2rad(rng.uniform(-settings.rotation_deg, settings.rotation_deg, n))
    scale = rng.uniform(settings.scale_min, settings.scale_max, n)
    shear = np.tan(np.deg2rad(rng.uniform(-settings.shear_deg, settings.shear_deg, n)))
    shift = rng.uniform(-settings.shift_px, settings.shift_px, (n, 2))
    return affine_inverse(angle_deg=np.rad2deg(angle), scale=scale, shear=shear, shift=shift)


def affine_inverse(angle_deg, scale, shear, shift) -> np.ndarray:
    """Inverse maps for given forward parameters, per image.

    angle_deg (n,): counter-clockwise on screen; scale (n,); shear (n,): col += shear * (centre row -
    row), i.e. tops lean right for positive shear; shift (n, 2): (rows down, cols right).
    Returns (n, 2, 3) float32 (see random_affine_inverse).
    """
    angle = np.deg2rad(np.asarray(angle_deg, dtype=np.float64))
    scale = np.asarray(scale, dtype=np.float64)
    shear = np.asarray(shear, dtype=np.float64)
    shift = np.asarray(shift, dtype=np.float64).reshape(-1, 2)
    n = angle.shape[0]
    cos, sin = np.cos(angle), np.sin(angle)
    # Forward map in (row, col) with rows pointing down: a counter-clockwise turn on screen is
    # row' = cos*row - sin*col, col' = sin*row + cos*col (relative to the centre).
    rotation = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    shearing = np.zeros((n, 2, 2))
    shearing[:, 0, 0] = 1
    shearing[:, 1, 1] = 1
    shearing[:, 1, 0] = -shear
    forward = rotation @ shearing * scale[:, None, None]
    inverse = np.linalg.inv(forward)
    centre = np.full((n, 2), (SIDE - 1) / 2)
    # source = inv @ (out - centre - shift) + centre
    offset = centre - np.einsum("nij,nj->ni", inverse, centre + shift)
    return np.concatenate([inverse, offset[:, :, None]], axis=2).astype(np.float32)


def _grid() -> tuple[np.ndarray, np.ndarray]:
    rows, cols = np.meshgrid(np.arange(SIDE, dtype=np.float32), np.arange(SIDE, dtype=np.float32),
                             indexing="ij")
    return rows.ravel(), cols.ravel()


_ROWS, _COLS = _grid()


@dataclass
class WarpPlan:
    """Where every output pixel of a batch reads from: the image-independent half of a warp.

    base (n, 784) int32: flat index of the top-left bilinear tap in the zero-padded batch;
    fr, fc (n, 784) float32: fractional row and column offsets. Rows are per image, so the plan for
    the first m images is plan[:m].
    """

    base: np.ndarray
    fr: np.ndarray
    fc: np.ndarray

    def __len__(self) -> int:
        return self.base.shape[0]

    def first(self, m: int) -> "WarpPlan":
        return WarpPlan(self.base[:m], self.fr[:m], self.fc[:m])


_SIDE_PADDED = SIDE + 2 * _PAD


def plan_warp(inverse: np.ndarray, displacement: np.ndarray | None = None) -> WarpPlan:
    """The sampling plan for inverse maps (n, 2, 3) and optional displacements (n, 2, 784)."""
    n = inverse.shape[0]
    side = _SIDE_PADDED
    src_r = inverse[:, 0, 0:1] * _ROWS + inverse[:, 0, 1:2] * _COLS + inverse[:, 0, 2:3]
    src_c = inverse[:, 1, 0:1] * _ROWS + inverse[:, 1, 1:2] * _COLS + inverse[:, 1, 2:3]
    if displacement is not None:
        src_r += displacement[:, 0]
        src_c += displacement[:, 1]
    # Clamp into the zero border (shifted by _PAD so indices are >= 0): anything further out reads
    # zeros just the same.
    src_r += _PAD
    src_c += _PAD
    np.clip(src_r, 0, side - 1 - 1e-3, out=src_r)
    np.clip(src_c, 0, side - 1 - 1e-3, out=src_c)
    r0 = src_r.astype(np.int32)  # truncation = floor for non-negative values
    c0 = src_c.astype(np.int32)
    fr = src_r - r0
    fc = src_c - c0
    base = r0 * side + c0
    base += (np.arange(n, dtype=np.int32) * (side * side))[:, None]
    return WarpPlan(base, fr.astype(np.float32, copy=False), fc.astype(np.float32, copy=False))


def apply_plan(images: np.ndarray, plan: WarpPlan) -> np.ndarray:
    """Bilinear gather of (n, 28, 28) or (n, 784) float32 images through a plan -> (n, 784) float32."""
    n = images.shape[0]
    side = _SIDE_PADDED
    padded = np.zeros((n, side, side), dtype=np.float32)
    padded[:, _PAD:_PAD + SIDE, _PAD:_PAD + SIDE] = np.asarray(images, dtype=np.float32).reshape(n, SIDE, SIDE)
    source = padded.ravel()
    base, fr, fc = plan.base, plan.fr, plan.fc
    a = source[base]
    top = source[base + 1]
    top -= a
    top *= fc
    top += a
    c = source[base + side]
    bottom = source[base + (side + 1)]
    bottom -= c
    bottom *= fc
    bottom += c
    bottom -= top
    bottom *= fr
    bottom += top
    return bottom


def warp(images: np.ndarray, inverse: np.ndarray, displacement: np.ndarray | None = None) -> np.ndarray:
    """Bilinear resampling of every image through its own inverse map, in one gather.

    images (n, 28, 28) or (n, 784) float32; inverse (n, 2, 3) from affine_inverse;
    displacement (n, 2, 784) optional extra source offsets (rows, cols) in pixels, added after the
    affine map (elastic distortion). Pixels sampled from outside the image read 0.
    Returns float32 with the input's shape.
    """
    out = apply_plan(images, plan_warp(inverse, displacement))
    return out.reshape(np.shape(images))


# A 3x3 cross rather than the full square: a full-square erosion wipes out MNIST's thin strokes.
_CROSS = ((0, 1), (1, 0), (1, 2), (2, 1))


def _neighbourhood(images: np.ndarray, reduce) -> np.ndarray:
    """3x3 (cross-shaped) grey max (dilation) or min (erosion) of (k, 28, 28) images, 0 outside."""
    k = images.shape[0]
    padded = np.zeros((k, SIDE + 2, SIDE + 2), dtype=np.float32)
    padded[:, 1:-1, 1:-1] = images
    out = images.copy()
    for dr, dc in _CROSS:
        reduce(out, padded[:, dr:dr + SIDE, dc:dc + SIDE], out=out)
    return out


def dilate(images: np.ndarray, strength: np.ndarray | float = 1.0) -> np.ndarray:
    """Thicker strokes: blend of each (k, 28, 28) image with its 3x3 grey dilation.

    strength (k,) or scalar in [0, 1]: 0 = unchanged, 1 = full dilation.
    """
    strength = np.asarray(strength, dtype=np.float32).reshape(-1, 1, 1)
    return images + strength * (_neighbourhood(images, np.maximum) - images)


def erode(images: np.ndarray, strength: np.ndarray | float = 1.0) -> np.ndarray:
    """Thinner strokes: blend of each (k, 28, 28) image with its 3x3 grey erosion.

    The result is rescaled to the image's original peak, so strokes get thinner, not fainter.
    """
    strength = np.asarray(strength, dtype=np.float32).reshape(-1, 1, 1)
    out = images + strength * (_neighbourhood(images, np.minimum) - images)
    peak_before = images.max(axis=(1, 2), keepdims=True)
    peak_after = out.max(axis=(1, 2), keepdims=True)
    return out * np.where(peak_after > 1e-6, peak_before / np.maximum(peak_after, 1e-6), 1.0)


def elastic_fields(count: int, alpha: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """Smoothed random displacement fields (Simard et al. 2003), (count, 2, 784) float32 pixels.

    Each field is white noise in [-1, 1] smoothed by a Gaussian of `sigma` pixels and normalised to
    a mean displacement magnitude of `alpha` pixels, which keeps alpha meaningful across sigmas.
    """
    from scipy.ndimage import gaussian_filter

    noise = rng.uniform(-1, 1, (count, 2, SIDE, SIDE))
    smooth = gaussian_filter(noise, sigma=(0, 0, sigma, sigma), mode="constant")
    magnitude = np.sqrt((smooth ** 2).sum(axis=1)).mean(axis=(1, 2)).reshape(-1, 1, 1, 1)
    fields_ = smooth / np.maximum(magnitude, 1e-12) * alpha
    return fields_.reshape(count, 2, SIDE * SIDE).astype(np.float32)


@dataclass
class _BatchPlan:
    """Everything random about one batch: thickness choices and the warp plan."""

    choice: np.ndarray    # (n,) uniform [0, 1): < thickness thickens, > 1 - thickness thins
    strength: np.ndarray  # (n,) float32 jitter strength
    warp: WarpPlan

    def first(self, m: int) -> "_BatchPlan":
        return _BatchPlan(self.choice[:m], self.strength[:m], self.warp.first(m))


class Augmenter:
    """Callable batch augmenter: `augmenter(batch, rng) -> augmented batch` (same shape, float32).

    Everything random about a batch (thickness choices, transforms, elastic fields and the
    resulting sampling plan) does not depend on the images, so with `prefetch=True` the plan of the
    NEXT batch is computed in a background thread (NumPy releases the GIL) while the network trains
    on the current one; only the gather and the thickness jitter stay on the training thread.
    The rng's draws happen in the same order either way, so the same rng gives the same batches
    (a prefetched plan is used only for the same rng, cut to the batch's size).

    The elastic pool is built once (seeded by `pool_seed`). `seconds` accumulates the time the
    caller waits inside __call__ (the share of training time augmentation costs);
    `background_seconds` the time spent planning in the background thread.
    """

    def __init__(self, settings: AugmentSettings | None = None, *, pool_seed: int = 0,
                 prefetch: bool = False):
        self.settings = settings if settings is not None else AugmentSettings()
        self.seconds = 0.0
        self.background_seconds = 0.0
        self.calls = 0
        self._fields = None
        if self.settings.enabled and self.settings.elastic_alpha > 0:
            self._fields = elastic_fields(self.settings.elastic_pool, self.settings.elastic_alpha,
                                          self.settings.elastic_sigma, np.random.default_rng(pool_seed))
        self._executor = None
        if prefetch:
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="augment")
        self._pending = None  # (rng, n, future)

    def __call__(self, batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        start = time.perf_counter()
        try:
            return self._augment(batch, rng)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1

    def close(self) -> None:
        """Stop the prefetch thread (a pending plan is dropped)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self._pending = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _plan(self, n: int, rng: np.random.Generator) -> _BatchPlan:
        s = self.settings
        choice = rng.random(n) if s.thickness > 0 else np.full(n, 0.5)
        strength = rng.uniform(0.3, 1.0, n).astype(np.float32) if s.thickness > 0 else np.zeros(n, np.float32)
        inverse = random_affine_inverse(n, s, rng)
        displacement = None
        if self._fields is not None:
            displacement = self._fields[rng.integers(0, len(self._fields), n)]
        return _BatchPlan(choice, strength, plan_warp(inverse, displacement))

    def _background_plan(self, n: int, rng: np.random.Generator) -> _BatchPlan:
        start = time.perf_counter()
        plan = self._plan(n, rng)
        self.background_seconds += time.perf_counter() - start
        return plan

    def _next_plan(self, n: int, rng: np.random.Generator) -> _BatchPlan:
        plan = None
        if self._pending is not None:
            pending_rng, pending_n, future = self._pending
            self._pending = None
            ready = future.result()  # always collected: the rng must not be shared by two threads
            if pending_rng is rng and pending_n >= n:
                plan = ready.first(n)
        if plan is None:
            plan = self._plan(n, rng)
        if self._executor is not None:
            self._pending = (rng, n, self._executor.submit(self._background_plan, n, rng))
        return plan

    def _augment(self, batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        s = self.settings
        batch = np.asarray(batch, dtype=np.float32)
        if s.is_identity or batch.shape[0] == 0:
            return batch.copy()
        shape = batch.shape
        n = shape[0]
        plan = self._next_plan(n, rng)
        images = batch.reshape(n, SIDE, SIDE)
        if s.thickness > 0:
            thick = np.flatnonzero(plan.choice < s.thickness)
            thin = np.flatnonzero(plan.choice > 1 - s.thickness)
            if thick.size or thin.size:
                images = images.copy()
            if thick.size:
                images[thick] = dilate(images[thick], plan.strength[thick])
            if thin.size:
                images[thin] = erode(images[thin], plan.strength[thin])
        out = apply_plan(images, plan.warp)
        np.clip(out, 0.0, 1.0, out=out)
        return out.reshape(shape)
