"""From a canvas raster to the network's 28x28 input, the way MNIST was made.

Stages (all returned with ``keep_stages=True``):

- raw: the raster as given, float32 (H, W), ink = 1.
- cropped: the bounding box of the ink (pixels above ``ink_threshold``).
- blurred: the crop area-downsampled by an integer factor (to about ``oversample`` pixels per
  output pixel, so the rest works on a small array) and blurred by ``blur_sigma`` OUTPUT pixels,
  with a margin so the blur's halo is kept.
- scaled: the ink box resampled so that its larger side is ``box`` (20) pixels, keeping the aspect
  ratio: a '1' stays narrow.
- centred: the ``field`` x ``field`` (28x28) input, the centre of mass moved to ``com_target``
  with sub-pixel accuracy. When that shift would push ink out of the field the digit is shrunk
  just enough to fit, so the centre-of-mass property always holds.

Blur, scaling and centring are one linear map computed exactly: the small array is taken as
piecewise constant, convolved with the Gaussian and area-averaged over each output pixel, which
reduces to two small matrices (rows and columns) built from the Gaussian's integrals. There is
one interpolation in total, any sub-pixel position is honoured, and ink is neither created nor
lost. The result is clipped to [0, 1], float32, ink = 1: the scaling of MNIST / 255.
"""
from __future__ import annotations

import io
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError
from scipy import special

from model.oneline import one_line


class ImageError(ValueError):
    """An image file that cannot be used as a drawing; the message is one line naming the file."""


@dataclass(frozen=True)
class PipelineSettings:
    """How a raster becomes the network's input. Stored in the weights' metadata.

    field: side of the output (28). box: larger side of the ink box after scaling (20).
    blur_sigma: Gaussian blur in output pixels (0 = none). com_target: (row, col) of the centre of
    mass in the output, pixel-index coordinates (pixel centres at integers), measured on the MNIST
    training set. ink_threshold: raster values above it count as ink for the bounding box.
    min_ink: total ink (in raster pixels at full intensity) below which the canvas counts as empty.
    oversample: the crop is area-downsampled to about this many pixels per output pixel before
    the blur and the final resample.
    input_pen: strokes are drawn for the network with a pen this many output pixels wide (in the
    `box`-pixel ink box), whatever the brush on screen (preprocessing.input_pen); 0 draws them
    with the brush as shown. A weights file without this setting predates it and gets 0.
    """

    field: int = 28
    box: int = 20
    blur_sigma: float = 0.2
    com_target: tuple[float, float] = (13.996, 14.007)
    ink_threshold: float = 0.05
    min_ink: float = 0.5
    oversample: float = 3.0
    input_pen: float = 0.6

    def __post_init__(self) -> None:
        _validate_settings(self)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["com_target"] = [float(v) for v in self.com_target]
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "PipelineSettings":
        """Settings from a dict (as stored in a weights file); ValueError names the bad key."""
        if not isinstance(data, dict):
            raise ValueError(f"preprocessing settings must be a mapping, got {type(data).__name__}")
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown preprocessing setting {unknown[0]!r}")
        values = dict(data)
        if "com_target" in values:
            target = values["com_target"]
            if not isinstance(target, (list, tuple)) or len(target) != 2:
                raise ValueError(f"preprocessing setting com_target must be [row, col], got {target!r}")
            values["com_target"] = tuple(target)
        values.setdefault("input_pen", 0.0)  # such files were trained on strokes as drawn
        return cls(**values)


def _is_real(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and math.isfinite(value)


def _validate_settings(s: PipelineSettings) -> None:
    for name in ("field", "box"):
        value = getattr(s, name)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"preprocessing setting {name} must be a positive integer, got {value!r}")
    if s.box > s.field:
        raise ValueError(f"preprocessing setting box ({s.box}) must not exceed field ({s.field})")
    checks = (
        ("blur_sigma", lambda v: 0 <= v <= 5, "in [0, 5]"),
        ("ink_threshold", lambda v: 0 <= v < 1, "in [0, 1)"),
        ("min_ink", lambda v: v >= 0, ">= 0"),
        ("oversample", lambda v: 1 <= v <= 16, "in [1, 16]"),
    )
    for name, ok, text in checks:
        value = getattr(s, name)
        if not _is_real(value) or not ok(value):
            raise ValueError(f"preprocessing setting {name} must be a number {text}, got {value!r}")
    if not _is_real(s.input_pen) or not 0 <= s.input_pen < s.box / 2:
        raise ValueError(f"preprocessing setting input_pen must be a number in [0, {s.box / 2}), "
                         f"got {s.input_pen!r}")
    target = s.com_target
    if not isinstance(target, tuple) or len(target) != 2 or not all(_is_real(v) for v in target):
        raise ValueError(f"preprocessing setting com_target must be (row, col) numbers, got {target!r}")
    lo, hi = 0.25 * s.field, 0.75 * s.field
    if not all(lo <= v <= hi for v in target):
        raise ValueError(f"preprocessing setting com_target {target} must lie in the middle of the field")


#: Measured by benchmarks/measure_preprocessing.py. com_target: the mean centre of mass of the
#: 60,000 MNIST training digits, (13.9959, 14.0068) +- 0.0012 (standard error). blur_sigma 0.2:
#: the accuracy of an MNIST-trained MLP on drawn digits is flat for sigma 0-0.3 (within 0.3
#: points), and the stroke statistics (width, mean intensity, soft-edge share) come closest to
#: MNIST's with the least blur; 0.2 output px is the slightest blur that still does something
#: beyond the area resample's own smoothing.
DEFAULT_SETTINGS = PipelineSettings()


@dataclass
class PipelineResult:
    """image: (field, field) float32 in [0, 1], or None when the raster holds no ink (empty=True).

    ink_box: (row0, col0, row1, col1) of the ink in the raster, half-open. scale: output pixels per
    raster pixel (the ink box's larger side times scale is at most ``box``). centre_of_mass: (row,
    col) of the output. stages: name -> array, only with keep_stages.
    """

    image: np.ndarray | None
    empty: bool
    ink_box: tuple[int, int, int, int] | None = None
    scale: float | None = None
    centre_of_mass: tuple[float, float] | None = None
    stages: dict[str, np.ndarray] = field(default_factory=dict)


def _as_raster(raster) -> tuple[np.ndarray, tuple[int, int, int, int] | None]:
    hint = None
    if hasattr(raster, "pixels"):
        hint = getattr(raster, "ink_box", None)
        raster = raster.pixels
    array = np.asarray(raster)
    if array.ndim != 2 or array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(f"a raster must be a 2-D array, got shape {array.shape}")
    if array.dtype == np.uint8:
        array = array.astype(np.float32) / np.float32(255.0)
    elif array.dtype != np.float32:
        array = array.astype(np.float32)
    return array, hint


def _find_ink_box(pixels: np.ndarray, threshold: float, hint) -> tuple[int, int, int, int] | None:
    r_off = c_off = 0
    region = pixels
    if hint is not None:
        r0, c0, r1, c1 = (int(v) for v in hint)
        r0, c0 = max(0, r0), max(0, c0)
        region = pixels[r0:r1, c0:c1]
        r_off, c_off = r0, c0
    if region.size == 0:
        return None
    # Reducing over axis 0 of a C-ordered array is the fast direction; the row search then only
    # looks at the columns that hold ink. fmax skips NaN, so a bad pixel cannot hide a column.
    cols = np.flatnonzero(np.fmax.reduce(region, axis=0) > threshold)
    if cols.size == 0:
        return None
    band = region[:, cols[0]: cols[-1] + 1]
    rows = np.flatnonzero(np.fmax.reduce(band, axis=1) > threshold)
    return (r_off + int(rows[0]), c_off + int(cols[0]), r_off + int(rows[-1]) + 1, c_off + int(cols[-1]) + 1)


def _window(start: int, length: int, factor: int, limit: int) -> tuple[int, int, int]:
    """A window of a multiple of `factor` pixels holding [start, start + length) inside [0, limit).

    Returns (window_start, window_end, zeros_needed_after): when the raster is too small the
    window is the whole axis and the remainder is zero padding.
    """
    needed = -(-length // factor) * factor
    if needed > limit:
        return 0, limit, needed - limit
    window_start = min(start, limit - needed)
    return window_start, window_start + needed, 0


def _area_downsample(window: np.ndarray, factor: int, pad_rows: int, pad_cols: int) -> np.ndarray:
    """Mean over factor x factor blocks; window (h, w) with h + pad_rows, w + pad_cols multiples of factor."""
    if pad_rows or pad_cols:
        window = np.pad(window, ((0, pad_rows), (0, pad_cols)))
    if factor == 1:
        return np.array(window, dtype=np.float32)
    h, w = window.shape
    # Splitting the row axis keeps the view's strides, so no copy of the (possibly large) window.
    rows = np.add.reduce(window.reshape(h // factor, factor, w), axis=1)
    blocks = np.add.reduce(rows.reshape(h // factor, w // factor, factor), axis=2)
    blocks *= np.float32(1.0 / (factor * factor))
    return blocks


def _centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    """(row, col) in pixel-index coordinates (the centre of pixel (i, j) is (i, j))."""
    total = float(image.sum(dtype=np.float64))
    rows = image.sum(axis=1, dtype=np.float64)
    cols = image.sum(axis=0, dtype=np.float64)
    return (float(rows @ np.arange(rows.size)) / total, float(cols @ np.arange(cols.size)) / total)


def _integrated_ramp(u: np.ndarray, sigma: float) -> np.ndarray:
    """Second antiderivative of a Gaussian of width sigma (a ramp max(u, 0) when sigma is 0)."""
    if sigma <= 1e-6:
        return np.maximum(u, 0.0)
    x = u / sigma
    return sigma * (x * special.ndtr(x) + np.exp(-0.5 * x * x) * _INV_SQRT_2PI)


_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _resample_matrix(n_source: int, n_out: int, start: float, step: float, sigma: float) -> np.ndarray:
    """(n_out, n_source) float32: area-average of the Gaussian-blurred source into output pixels.

    Source pixel j is the box [j, j + 1) (continuous coordinates), blurred by a Gaussian of `sigma`
    source pixels; output pixel i averages it over [start + i * step, start + (i + 1) * step).
    Exact integration, so sub-pixel positions are honoured and no mass leaks between pixels.
    """
    out_edges = start + step * np.arange(n_out + 1, dtype=np.float64)
    source_edges = np.arange(n_source + 1, dtype=np.float64)
    ramp = _integrated_ramp(out_edges[:, None] - source_edges[None, :], sigma)
    per_edge = ramp[1:] - ramp[:-1]                      # (n_out, n_source + 1)
    return ((per_edge[:, :-1] - per_edge[:, 1:]) / step).astype(np.float32)


def _place(small: np.ndarray, start: tuple[float, float], step: float, sigma: float,
           size: tuple[int, int]) -> np.ndarray:
    """Blur and resample `small` into `size` (rows, cols); start (row, col) of the output's corner."""
    rows = _resample_matrix(small.shape[0], size[0], start[0], step, sigma)
    cols = _resample_matrix(small.shape[1], size[1], start[1], step, sigma)
    return rows @ small @ cols.T


def preprocess(raster, settings: PipelineSettings = DEFAULT_SETTINGS, keep_stages: bool = False) -> PipelineResult:
    """Turn a raster (float32 (H, W) in [0, 1], ink = 1, or a StrokeRaster) into the network input.

    Returns PipelineResult with image (field, field) float32 in [0, 1], or image=None and
    empty=True when there is no ink.
    """
    pixels, hint = _as_raster(raster)
    stages: dict[str, np.ndarray] = {}
    if keep_stages:
        stages["raw"] = pixels
    ink_box = _find_ink_box(pixels, settings.ink_threshold, hint)
    if ink_box is None:
        return PipelineResult(image=None, empty=True, stages=stages)
    r0, c0, r1, c1 = ink_box
    height, width = r1 - r0, c1 - c0
    if keep_stages:
        stages["cropped"] = np.clip(np.nan_to_num(pixels[r0:r1, c0:c1]), 0.0, 1.0)

    # Area-downsample by an integer factor so that the ink box keeps about `oversample` pixels per
    # output pixel: the blur and the resample then work on a small array.
    factor = max(1, int(max(height, width) // (settings.oversample * settings.box)))
    wr0, wr1, pad_rows = _window(r0, height, factor, pixels.shape[0])
    wc0, wc1, pad_cols = _window(c0, width, factor, pixels.shape[1])
    with np.errstate(invalid="ignore", over="ignore"):  # NaN/inf in a bad raster are handled below
        small = _area_downsample(pixels[wr0:wr1, wc0:wc1], factor, pad_rows, pad_cols)
        total = float(small.sum(dtype=np.float64))
    if not math.isfinite(total) or small.min() < 0 or small.max() > 1:
        small = np.clip(np.nan_to_num(small, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
        total = float(small.sum(dtype=np.float64))
    if total * factor * factor < settings.min_ink:
        return PipelineResult(image=None, empty=True, ink_box=ink_box, stages=stages)

    # Continuous coordinates of the small array (pixel edges at integers).
    box_top, box_left = (r0 - wr0) / factor, (c0 - wc0) / factor
    box_h, box_w = height / factor, width / factor
    com_row, com_col = _centre_of_mass(small)
    centre = (com_row + 0.5, com_col + 0.5)
    target = (settings.com_target[0] + 0.5, settings.com_target[1] + 0.5)
    field_px = settings.field
    scale = settings.box / max(box_h, box_w)  # output pixels per small pixel
    # Shrink just enough that the ink box, and most of the blur's halo (2 sigma), stays inside the
    # field with its centre of mass on target.
    # Without blur a quarter pixel still: ink sampled right at the field's edge would be cut, which
    # moves the centre of mass (a 1x26 image with ink at both ends did).
    margin = min(max(2.0 * settings.blur_sigma, 0.25), 0.5 * (field_px - settings.box))
    for c, t, lo, extent in ((centre[0], target[0], box_top, box_h), (centre[1], target[1], box_left, box_w)):
        before, after = c - lo, lo + extent - c
        if before > 1e-9:
            scale = min(scale, max(t - margin, 1.0) / before)
        if after > 1e-9:
            scale = min(scale, max(field_px - t - margin, 1.0) / after)
    step = 1.0 / scale
    sigma = settings.blur_sigma * step  # blur in small pixels
    start = [centre[0] - target[0] * step, centre[1] - target[1] * step]
    image = _place(small, start, step, sigma, (field_px, field_px))
    if float(image.sum()) > 0:
        # Pixel-centre sampling of the exactly placed ink leaves a few hundredths of a pixel;
        # one correction step removes it.
        got = _centre_of_mass(image)
        error = (got[0] - settings.com_target[0], got[1] - settings.com_target[1])
        if max(abs(error[0]), abs(error[1])) > 0.01:
            start = [start[0] + error[0] * step, start[1] + error[1] * step]
            image = _place(small, start, step, sigma, (field_px, field_px))
    np.clip(image, 0.0, 1.0, out=image)
    if keep_stages:
        halo = int(math.ceil(3.0 * sigma))
        stages["blurred"] = np.clip(_place(small, (-halo, -halo), 1.0, sigma,
                                           (small.shape[0] + 2 * halo, small.shape[1] + 2 * halo)), 0.0, 1.0)
        scaled_size = (max(1, int(round(box_h * scale))), max(1, int(round(box_w * scale))))
        stages["scaled"] = np.clip(_place(small, (box_top, box_left), step, sigma, scaled_size), 0.0, 1.0)
        stages["centred"] = image
    if float(image.sum()) <= 0:
        return PipelineResult(image=None, empty=True, ink_box=ink_box, stages=stages)
    return PipelineResult(
        image=image, empty=False, ink_box=ink_box, scale=scale / factor,
        centre_of_mass=_centre_of_mass(image), stages=stages,
    )


# --------------------------------------------------------------------------------------------
# Imported images

def raster_from_image(source, *, name: str | None = None) -> np.ndarray:
    """Load an image (path or PIL image, any mode) as a raster: float32 (H, W) in [0, 1], ink = 1.

    Transparent images are composited on a background that contrasts with their ink; dark ink on a
    light background (judged by the border's median brightness) is inverted; the background level
    is subtracted and the ink stretched to a maximum of 1. Raises ImageError naming the file.
    """
    return _normalise_ink(load_luminance(source, name=name))


def load_luminance(source, *, name: str | None = None, draft_side: int | None = None) -> np.ndarray:
    """Brightness float32 (H, W) in [0, 1] of an image (path or PIL image, any mode), turned the way
    its EXIF orientation says, transparency composited on a background that contrasts with its ink.

    draft_side: a JPEG file may be decoded at a reduced scale whose larger side is still at least
    this (a photo read for its digit needs no 12 megapixels). Raises ImageError naming the file.
    """
    image, label = open_image(source, name=name, draft_side=draft_side)
    try:
        return _luminance(image)
    except Exception as exc:  # noqa: BLE001
        raise ImageError(f"{label}: cannot convert image mode {image.mode} ({one_line(exc, 120)})") from None


def open_image(source, *, name: str | None = None, draft_side: int | None = None) -> tuple[Image.Image, str]:
    """(the loaded PIL image, oriented by its EXIF data, and the label naming it in messages)."""
    label = name
    if isinstance(source, Image.Image):
        label = label or getattr(source, "filename", None) or "<image>"
        image = source
        try:
            image.load()
        except Exception as exc:  # noqa: BLE001 - PIL raises many kinds for corrupt data
            raise ImageError(f"{label}: cannot read image ({one_line(exc, 120)})") from None
    else:
        if not isinstance(source, (str, os.PathLike)):
            raise ImageError(f"{label or '<image>'}: expected a file path or a PIL image, got {type(source).__name__}")
        path = Path(source)
        label = label or str(path)
        if not path.exists():
            raise ImageError(f"{label}: no such file")
        if path.is_dir():
            raise ImageError(f"{label}: is a folder, not an image")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ImageError(f"{label}: cannot read ({exc.strerror or exc})") from None
        try:
            image = Image.open(io.BytesIO(data))
            if draft_side and image.format == "JPEG" and max(image.size) > 2 * draft_side:
                scale = draft_side / max(image.size)
                image.draft(image.mode, (max(1, int(image.width * scale)), max(1, int(image.height * scale))))
            image.load()
        except UnidentifiedImageError:
            raise ImageError(f"{label}: not an image (unrecognised format)") from None
        except Image.DecompressionBombError:
            raise ImageError(f"{label}: image is too large") from None
        except Exception as exc:  # noqa: BLE001 - truncated/corrupt files raise OSError, SyntaxError, ...
            raise ImageError(f"{label}: corrupt or unreadable image ({one_line(exc, 120)})") from None
    try:
        image = ImageOps.exif_transpose(image) or image  # photos: the orientation the camera meant
    except Exception:  # noqa: BLE001 - a broken EXIF block should not stop the import
        pass
    if image.width < 1 or image.height < 1:
        raise ImageError(f"{label}: image has no pixels")
    return image, label


def _luminance(image: Image.Image) -> np.ndarray:
    """Brightness float32 (H, W) in [0, 1]; transparency composited on a contrasting background."""
    if getattr(image, "n_frames", 1) > 1:
        image.seek(0)
    mode = image.mode
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in image.info) \
        or (mode in ("RGB", "L") and "transparency" in image.info)
    if has_alpha:
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32) / np.float32(255.0)
        alpha = rgba[..., 3]
        grey = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
        weight = float(alpha.sum())
        if weight > 0 and float(alpha.min()) < 1.0:
            opaque_brightness = float((grey * alpha).sum()) / weight
            # Dark ink goes on white paper, light ink on black, so that it stays visible.
            background = 1.0 if opaque_brightness < 0.5 else 0.0
            grey = grey * alpha + background * (1.0 - alpha)
        return grey.astype(np.float32)
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        values = np.asarray(image, dtype=np.float64)
        peak = 255.0 if values.max(initial=0) <= 255 else 65535.0
        return np.clip(values / peak, 0.0, 1.0).astype(np.float32)
    if mode == "F":
        values = np.nan_to_num(np.asarray(image, dtype=np.float64), nan=0.0)
        peak = 1.0 if values.max(initial=0) <= 1.0 else 255.0
        return np.clip(values / peak, 0.0, 1.0).astype(np.float32)
    if mode == "1":
        return np.asarray(image, dtype=np.float32)
    if mode == "CMYK":
        image = image.convert("RGB")
    return np.asarray(image.convert("L"), dtype=np.float32) / np.float32(255.0)


def _normalise_ink(grey: np.ndarray) -> np.ndarray:
    h, w = grey.shape
    if h >= 3 and w >= 3:
        border = np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])
    else:
        border = grey.ravel()
    background = float(np.median(border))
    if abs(background - 0.5) < 0.1:
        background = float(np.median(grey))  # an ambiguous border: trust the bulk of the image
    ink = 1.0 - grey if background > 0.5 else grey
    level = 1.0 - background if background > 0.5 else background
    peak = float(ink.max())
    if peak - level <= 1e-6:
        return np.zeros_like(ink, dtype=np.float32)
    ink = (ink - level) / (peak - level)
    return np.clip(ink, 0.0, 1.0).astype(np.float32)
