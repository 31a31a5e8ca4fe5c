"""Saving and loading the network: one self-describing .npz file, and per-layer CSV files.

The .npz holds the arrays (W1, b1, ..., bn1_gamma, ...; see ``MLP.arrays``) and, under the key
"metadata_json", a JSON string with format_version, layer_sizes, activation, batch_norm, dropout,
preprocessing, training, data, results and created. It is written with np.savez_compressed to a
temporary file in the same folder and moved into place (atomic), and read with allow_pickle=False.
Every problem found on loading raises WeightsError with one line naming the file and the problem.
"""
from __future__ import annotations

import datetime as _dt
import importlib.resources
import inspect
import json
from pathlib import Path

import numpy as np

from model.atomic import atomic_write, atomic_write_text
from model.limits import ERROR_CHARS, MAX_LAYER_WIDTH, MAX_LAYERS, MAX_METADATA_BYTES, MAX_PARAMETERS
from model.mlp import INPUT_SIZE, MLP, OUTPUT_SIZE, expected_shapes
from model.npz_reader import NpzArchive, NpzFormatError
from model.oneline import escape, one_line, os_problem

FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)
METADATA_KEY = "metadata_json"
CSV_CONFIG_NAME = "model.json"
#: The network reads a square image of INPUT_SIDE x INPUT_SIDE pixels: the preprocessing field.
INPUT_SIDE = 28
#: Smallest preprocessing box (the digit's larger side in the input) a weights file may ask for.
MIN_BOX = 8
# numpy >= 2 accepts allow_pickle when saving; older versions never pickle numeric/str arrays anyway
_NO_PICKLE = {"allow_pickle": False} if "allow_pickle" in inspect.signature(np.savez_compressed).parameters else {}
#: The weights shipped with the app: package data of the `weights` package, so a source checkout
#: and an installed copy (wheel, pipx) both find them. pip installs packages as plain folders, so
#: the resource is a real file that np.load can open.
BUNDLED_WEIGHTS = Path(str(importlib.resources.files("weights").joinpath("mlp.npz")))


class WeightsError(ValueError):
    """A weights file or CSV folder that cannot be used; the message is one line naming it (made
    so by `model.oneline.one_line`, whatever the path or the file put in it)."""

    def __init__(self, message: object) -> None:
        super().__init__(one_line(message, ERROR_CHARS))


def _full_metadata(model: MLP, metadata: dict | None) -> dict:
    meta = dict(metadata or {})
    meta.update(model.config())
    meta["format_version"] = FORMAT_VERSION
    meta.setdefault("created", _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    for key in ("preprocessing", "training", "data", "results"):
        meta.setdefault(key, {})
    return meta


# ---------------------------------------------------------------------------------- npz
def save_weights(path, model: MLP, metadata: dict | None = None) -> Path:
    """Write model and metadata to ``path`` (.npz) atomically; returns the path.

    The model's own config (layer_sizes, activation, batch_norm, dropout) and format_version
    override same-named metadata keys; 'created' defaults to now (UTC, ISO 8601).
    """
    path = Path(path)
    meta = _full_metadata(model, metadata)
    try:
        meta_json = json.dumps(meta, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise WeightsError(f"{path}: metadata is not JSON-serialisable: {exc}") from None
    arrays = {name: np.ascontiguousarray(a, dtype=np.float32) for name, a in model.arrays().items()}
    arrays[METADATA_KEY] = np.array(meta_json)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: np.savez_compressed(f, **_NO_PICKLE, **arrays))
    return path


def load_weights(path) -> tuple[MLP, dict]:
    """Read and check a weights file -> (model, metadata). WeightsError names the file and the
    problem: missing or unreadable file, truncated or corrupted archive, bad or missing metadata
    (checked against `METADATA_SCHEMA`), unknown format version, missing, unexpected or misshapen
    arrays, wrong dtype, non-finite values, outputs that could overflow.

    Memory is bounded by the architecture the metadata declares (at most `MAX_PARAMETERS`
    weights): the metadata is read first, then each expected array's .npy header is checked
    against its expected shape and dtype before its data is decompressed. A member the
    architecture does not call for (an extra array, batch-norm arrays without ``batch_norm``) is
    refused by its name, unread.
    """
    path = Path(path)
    if not path.exists():
        raise WeightsError(f"{path}: no such weights file")
    if not path.is_file():
        raise WeightsError(f"{path}: not a file")
    try:
        archive = NpzArchive(path)
    except OSError as exc:
        raise WeightsError(f"{path}: {os_problem(exc, 'weights file')}") from None
    except NpzFormatError as exc:
        raise WeightsError(f"{path}: not a valid weights archive (truncated or corrupted: {exc})") from None
    with archive:
        try:
            if METADATA_KEY not in archive:
                raise WeightsError(f"{path}: no metadata (array '{METADATA_KEY}' is missing)")
            meta = _parse_metadata(path, _read_metadata_text(path, archive))
            layer_sizes, batch_norm, dropout = check_metadata(path, meta)
            arrays = _read_arrays(path, archive, layer_sizes, batch_norm)
        except NpzFormatError as exc:  # a member (the archive itself opened): exc names it
            raise WeightsError(f"{path}: not a valid weights archive: {exc}") from None
        except OSError as exc:
            raise WeightsError(f"{path}: {os_problem(exc, 'weights file')}") from None
    _check_arrays(path, arrays, layer_sizes, batch_norm)
    model = MLP.from_arrays(arrays, layer_sizes, batch_norm=batch_norm, dropout=dropout)
    _check_outputs(path, model)
    return model, meta


def _read_metadata_text(path: Path, archive: NpzArchive) -> str:
    header = archive.header(METADATA_KEY)
    if header.shape != () or header.dtype.kind != "U":
        raise WeightsError(f"{path}: metadata must be a single JSON string")
    if header.nbytes > MAX_METADATA_BYTES:
        raise WeightsError(f"{path}: metadata is {header.nbytes} bytes (at most {MAX_METADATA_BYTES} read)")
    return str(archive.read(METADATA_KEY, header))


def _read_arrays(path: Path, archive: NpzArchive, layer_sizes: list[int], batch_norm: bool) -> dict:
    """The arrays the architecture calls for, each header checked before its data is read."""
    shapes = expected_shapes(layer_sizes, batch_norm)
    unexpected = [name for name in archive.names if name not in shapes and name != METADATA_KEY]
    if unexpected:
        name = escape(unexpected[0])
        if not batch_norm and unexpected[0].startswith("bn"):
            raise WeightsError(f"{path}: holds batch-norm arrays ({name}) but its metadata does not say "
                               f"batch_norm: true")
        raise WeightsError(f"{path}: unexpected member '{name}' (a weights file holds only the arrays "
                           f"its layer_sizes call for and {METADATA_KEY})")
    arrays = {}
    for name, shape in shapes.items():
        if name not in archive:
            raise WeightsError(f"{path}: array {name} is missing")
        header = archive.header(name)
        if header.shape != shape:
            raise WeightsError(f"{path}: array {name} has shape {header.shape}, expected {shape} "
                               f"(layer sizes {' -> '.join(map(str, layer_sizes))})")
        if header.dtype != np.float32:
            raise WeightsError(f"{path}: array {name} has dtype {header.dtype}, expected float32")
        arrays[name] = archive.read(name, header)
    return arrays


def _parse_metadata(path: Path, text: str) -> dict:
    def refuse_constant(name: str):
        raise ValueError(f"{name} is not JSON")

    try:
        meta = json.loads(text, parse_constant=refuse_constant)
    except json.JSONDecodeError as exc:
        raise WeightsError(f"{path}: metadata is not valid JSON ({one_line(exc)})") from None
    except (ValueError, RecursionError) as exc:  # NaN, an integer of 5,000 digits, deep nesting
        raise WeightsError(f"{path}: metadata is not valid JSON ({one_line(exc)})") from None
    if not isinstance(meta, dict):
        raise WeightsError(f"{path}: metadata must be a JSON object")
    return meta


# ------------------------------------------------------------------------------ metadata
def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_format_version(value) -> str | None:
    if not _is_int(value) or value not in SUPPORTED_VERSIONS:
        return (f"unknown format version {one_line(repr(value), 40)} (this program reads "
                f"{', '.join(map(str, SUPPORTED_VERSIONS))})")
    return None


def _check_layer_sizes(sizes) -> str | None:
    if (not isinstance(sizes, list) or not 2 <= len(sizes) <= MAX_LAYERS
            or not all(_is_int(s) and 0 < s <= MAX_LAYER_WIDTH for s in sizes)
            or sizes[0] != INPUT_SIZE or sizes[-1] != OUTPUT_SIZE):
        return (f"layer_sizes {one_line(repr(sizes), 60)} must be 2-{MAX_LAYERS} positive integers "
                f"(at most {MAX_LAYER_WIDTH}) from {INPUT_SIZE} to {OUTPUT_SIZE}")
    parameters = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    if parameters > MAX_PARAMETERS:
        return f"layer_sizes {sizes} make {parameters} weights (at most {MAX_PARAMETERS} read)"
    return None


def _check_activation(value) -> str | None:
    return None if value == "relu" else f"unsupported activation {one_line(repr(value), 40)} (only 'relu')"


def _check_batch_norm(value) -> str | None:
    return None if isinstance(value, bool) else f"batch_norm must be true or false, got {one_line(repr(value), 40)}"


def _check_dropout(value) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1:
        return None
    return f"dropout must be a number in [0, 1), got {one_line(repr(value), 40)}"


def _check_preprocessing(value) -> str | None:
    if not isinstance(value, dict):
        return f"preprocessing must be a JSON object, got {_json_type(value)}"
    if not value:
        return None  # recorded as {}: the defaults
    field = value.get("field", INPUT_SIDE)
    if field != INPUT_SIDE or isinstance(field, bool):
        return (f"preprocessing field is {one_line(repr(field), 40)}, but the network reads "
                f"{INPUT_SIDE}x{INPUT_SIDE} = {INPUT_SIZE} inputs, so it must be {INPUT_SIDE}")
    # Imported here: the pipeline brings SciPy and Pillow, which plain model imports do not need.
    from preprocessing.pipeline import PipelineSettings

    try:
        settings = PipelineSettings.from_dict(value)
    except (TypeError, ValueError, KeyError) as exc:
        return f"bad preprocessing settings: {one_line(exc, 120)}"
    if not MIN_BOX <= settings.box <= INPUT_SIDE:
        return f"preprocessing box is {settings.box}; it must be {MIN_BOX}-{INPUT_SIDE} pixels (MNIST's is 20)"
    return None


def _must_be_object(key: str):
    def check(value) -> str | None:
        return None if isinstance(value, dict) else f"{key} must be a JSON object, got {_json_type(value)}"
    return check


def _check_created(value) -> str | None:
    return None if isinstance(value, str) else f"created must be a date string, got {_json_type(value)}"


def _json_type(value) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


#: The metadata schema, checked once on loading: key -> (required, check returning a problem or
#: None). Keys not listed are kept and ignored. ``training`` belongs to the training library,
#: which records its recipe there; only its type is checked here.
METADATA_SCHEMA = {
    "format_version": (True, _check_format_version),
    "layer_sizes": (True, _check_layer_sizes),
    "activation": (False, _check_activation),
    "batch_norm": (False, _check_batch_norm),
    "dropout": (False, _check_dropout),
    "preprocessing": (False, _check_preprocessing),
    "training": (False, _must_be_object("training")),
    "data": (False, _must_be_object("data")),
    "results": (False, _must_be_object("results")),
    "created": (False, _check_created),
    "verdict": (False, _must_be_object("verdict")),
    "calibration": (False, _must_be_object("calibration")),
}


def _check_verdict_rule(meta: dict) -> str | None:
    """The verdict thresholds and the calibration must make a valid rule (model.verdict)."""
    from model.verdict import VerdictRule

    try:
        VerdictRule.from_metadata(meta)
    except (TypeError, ValueError) as exc:
        return f"bad verdict or calibration: {exc}"
    return None


def check_metadata(path, meta: dict) -> tuple[list[int], bool, float]:
    """Check metadata against `METADATA_SCHEMA` -> (layer_sizes, batch_norm, dropout);
    WeightsError names the file and the first problem."""
    for key, (required, check) in METADATA_SCHEMA.items():
        if key not in meta and not required:
            continue
        problem = check(meta.get(key))  # a required key that is absent is checked as null
        if problem:
            raise WeightsError(f"{path}: {problem}")
    problem = _check_verdict_rule(meta)
    if problem:
        raise WeightsError(f"{path}: {problem}")
    return list(meta["layer_sizes"]), meta.get("batch_norm", False), float(meta.get("dropout", 0.0))


def _check_arrays(path, arrays: dict, layer_sizes: list[int], batch_norm: bool) -> None:
    for name, shape in expected_shapes(layer_sizes, batch_norm).items():
        if name not in arrays:
            raise WeightsError(f"{path}: array {name} is missing")
        a = arrays[name]
        if a.shape != shape:
            raise WeightsError(f"{path}: array {name} has shape {a.shape}, expected {shape} "
                               f"(layer sizes {' -> '.join(map(str, layer_sizes))})")
        if a.dtype != np.float32:
            raise WeightsError(f"{path}: array {name} has dtype {a.dtype}, expected float32")
        if not np.all(np.isfinite(a)):
            raise WeightsError(f"{path}: array {name} contains non-finite values (NaN or inf)")
    for i in range(1, len(layer_sizes) - 1):
        if batch_norm and np.any(arrays[f"bn{i}_var"] < 0):
            raise WeightsError(f"{path}: array bn{i}_var has negative variances")


def _check_outputs(path, model: MLP) -> None:
    """Refuse a network whose outputs can overflow float32 for some input in [0, 1] (finite but
    huge weights, such as 3e38, give NaN probabilities): a bound on every activation, then the
    logits of a blank, a full and a random input, which must be finite."""
    bound = activation_bound(model)
    if not bound < _SAFE_MAGNITUDE:
        raise WeightsError(f"{path}: weights too large: activations could reach {bound:.3g}, "
                           f"beyond what float32 holds ({_SAFE_MAGNITUDE:.0e})")
    probes = np.stack([np.zeros(INPUT_SIZE, np.float32), np.ones(INPUT_SIZE, np.float32),
                       np.random.default_rng(0).random(INPUT_SIZE, dtype=np.float32)])
    with np.errstate(all="ignore"):
        logits = model.forward(probes)
        probabilities = model.predict_proba(probes)
    if not (np.all(np.isfinite(logits)) and np.all(np.isfinite(probabilities))):
        raise WeightsError(f"{path}: the network's outputs are not finite numbers (NaN or inf)")


#: Activations are refused above this: float32 holds up to 3.4e38, and a matrix product adds
#: hundreds of terms; the bound leaves a factor of 1,000 for rounding.
_SAFE_MAGNITUDE = float(np.finfo(np.float32).max) / 1e3


def activation_bound(model: MLP) -> float:
    """The largest magnitude any activation or logit can take for inputs in [0, 1]^784 (interval
    arithmetic through every layer, in float64): a sound bound, finite weights can still exceed
    float32 through it."""
    low = np.zeros(INPUT_SIZE)
    high = np.ones(INPUT_SIZE)
    largest = 1.0
    last = len(model.dense) - 1
    with np.errstate(all="ignore"):
        for i, dense in enumerate(model.dense):
            W = dense.W.astype(np.float64)
            centre = (low + high) / 2 @ W + dense.b
            radius = (high - low) / 2 @ np.abs(W)
            low, high = centre - radius, centre + radius
            largest = max(largest, _magnitude(low, high))
            if i < last:
                if model.batch_norm:
                    norm = model.norms[i]
                    scale = norm.gamma.astype(np.float64) / np.sqrt(norm.running_var.astype(np.float64) + norm.eps)
                    low, high = low - norm.running_mean, high - norm.running_mean
                    largest = max(largest, _magnitude(low, high), float(np.max(np.abs(scale))))
                    low, high = (np.minimum(low * scale, high * scale) + norm.beta,
                                 np.maximum(low * scale, high * scale) + norm.beta)
                    largest = max(largest, _magnitude(low, high))
                low, high = np.maximum(low, 0), np.maximum(high, 0)
    return largest


def _magnitude(low: np.ndarray, high: np.ndarray) -> float:
    value = float(max(np.max(np.abs(low)), np.max(np.abs(high))))
    return value if np.isfinite(value) else float("inf")


# ---------------------------------------------------------------------------------- CSV
def export_csv(model: MLP, folder) -> Path:
    """Write W1.csv, b1.csv, ... (and bn1_gamma.csv, ... with batch norm) plus model.json (the
    config and format version) into ``folder``, each file atomically. Matrices are one CSV row per
    input unit (d_in rows, d_out columns); vectors are a single row. Returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = model.arrays()
    for name, a in arrays.items():
        rows = a if a.ndim == 2 else a[None, :]
        atomic_write(folder / f"{name}.csv",
                     lambda f, rows=rows: np.savetxt(f, rows, fmt="%.9g", delimiter=","))
    config = {"format_version": FORMAT_VERSION, **model.config(), "arrays": sorted(arrays)}
    text = json.dumps(config, indent=2, sort_keys=True) + "\n"
    atomic_write_text(folder / CSV_CONFIG_NAME, text)
    return folder


def import_csv(folder) -> MLP:
    """Read a folder written by ``export_csv`` -> model; WeightsError names the file and problem."""
    folder = Path(folder)
    if not folder.is_dir():
        raise WeightsError(f"{folder}: no such folder of CSV weights")
    config_path = folder / CSV_CONFIG_NAME
    try:
        with open(config_path, "rb") as stream:
            meta = json.loads(stream.read(MAX_METADATA_BYTES + 1).decode("utf-8"))
    except FileNotFoundError:
        raise WeightsError(f"{config_path}: missing (it describes the layer sizes)") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WeightsError(f"{config_path}: not valid JSON ({one_line(exc)})") from None
    if not isinstance(meta, dict):
        raise WeightsError(f"{config_path}: must be a JSON object")
    layer_sizes, batch_norm, dropout = check_metadata(config_path, meta)
    arrays = {}
    for name, shape in expected_shapes(layer_sizes, batch_norm).items():
        arrays[name] = _read_csv_array(folder / f"{name}.csv", shape)
    _check_arrays(folder, arrays, layer_sizes, batch_norm)
    model = MLP.from_arrays(arrays, layer_sizes, batch_norm=batch_norm, dropout=dropout)
    _check_outputs(folder, model)
    return model


#: A CSV weight is at most this many characters with its comma ("-1.23456789e-38," is 16; padding
#: and spaces allowed): files larger than the architecture needs are refused unread.
_MAX_CSV_CHARS_PER_VALUE = 64


def _read_csv_array(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    if not path.is_file():
        raise WeightsError(f"{path}: missing")
    most = (int(np.prod(shape)) + 1) * _MAX_CSV_CHARS_PER_VALUE
    if path.stat().st_size > most:
        raise WeightsError(f"{path}: {path.stat().st_size} bytes, too large for {' x '.join(map(str, shape))} values")
    try:
        a = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise WeightsError(f"{path}: not a numeric CSV ({one_line(exc)})") from None
    if len(shape) == 1:
        if a.shape != (1, shape[0]):
            raise WeightsError(f"{path}: expected one row of {shape[0]} values, got {a.shape[0]} x {a.shape[1]}")
        a = a[0]
    elif a.shape != shape:
        raise WeightsError(f"{path}: expected {shape[0]} rows x {shape[1]} columns, got {a.shape[0]} x {a.shape[1]}")
    if not np.all(np.isfinite(a)):
        raise WeightsError(f"{path}: contains non-finite values (NaN or inf)")
    if np.any(np.abs(a) > np.finfo(np.float32).max):
        raise WeightsError(f"{path}: values too large for float32")
    return a.astype(np.float32)
