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
import zipfile
from pathlib import Path

import numpy as np

from model.atomic import atomic_write, atomic_write_text
from model.mlp import INPUT_SIZE, MLP, OUTPUT_SIZE, expected_shapes

FORMAT_VERSION = 1
SUPPORTED_VERSIONS = (1,)
METADATA_KEY = "metadata_json"
CSV_CONFIG_NAME = "model.json"
# numpy >= 2 accepts allow_pickle when saving; older versions never pickle numeric/str arrays anyway
_NO_PICKLE = {"allow_pickle": False} if "allow_pickle" in inspect.signature(np.savez_compressed).parameters else {}
#: The weights shipped with the app: package data of the `weights` package, so a source checkout
#: and an installed copy (wheel, pipx) both find them. pip installs packages as plain folders, so
#: the resource is a real file that np.load can open.
BUNDLED_WEIGHTS = Path(str(importlib.resources.files("weights").joinpath("mlp.npz")))


class WeightsError(ValueError):
    """A weights file or CSV folder that cannot be used; the message is one line naming it."""


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
    problem: missing or unreadable file, truncated or corrupted archive, bad or missing metadata,
    unknown format version, missing arrays, shapes not chaining 784 -> ... -> 10, wrong dtype,
    non-finite values."""
    path = Path(path)
    if not path.exists():
        raise WeightsError(f"{path}: no such weights file")
    if not path.is_file():
        raise WeightsError(f"{path}: not a file")
    if not zipfile.is_zipfile(path):
        # np.load would try to read a non-zip file as a pickle and complain about allow_pickle.
        raise WeightsError(f"{path}: not a valid weights archive (truncated or corrupted: not a complete .npz/zip file)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            contents = {name: archive[name] for name in archive.files}
    except PermissionError:
        raise WeightsError(f"{path}: cannot read the file (permission denied)") from None
    except (zipfile.BadZipFile, EOFError) as exc:
        raise WeightsError(f"{path}: not a valid weights archive (truncated or corrupted: {exc})") from None
    except Exception as exc:  # zlib.error, CRC mismatch, bad .npy header: all mean a damaged file
        raise WeightsError(f"{path}: not a valid weights archive (truncated or corrupted: "
                           f"{type(exc).__name__}: {exc})") from None
    if METADATA_KEY not in contents:
        raise WeightsError(f"{path}: no metadata (array '{METADATA_KEY}' is missing)")
    meta = _parse_metadata(path, contents.pop(METADATA_KEY))
    layer_sizes, batch_norm, dropout = _check_config(path, meta)
    _check_arrays(path, contents, layer_sizes, batch_norm)
    model = MLP.from_arrays(contents, layer_sizes, batch_norm=batch_norm, dropout=dropout)
    return model, meta


def _parse_metadata(path: Path, raw: np.ndarray) -> dict:
    if raw.shape != () or raw.dtype.kind != "U":
        raise WeightsError(f"{path}: metadata must be a single JSON string")
    try:
        meta = json.loads(str(raw))
    except json.JSONDecodeError as exc:
        raise WeightsError(f"{path}: metadata is not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise WeightsError(f"{path}: metadata must be a JSON object")
    return meta


def _check_config(path: Path, meta: dict) -> tuple[list[int], bool, float]:
    version = meta.get("format_version")
    if version not in SUPPORTED_VERSIONS:
        raise WeightsError(f"{path}: unknown format version {version!r} (this program reads "
                           f"{', '.join(map(str, SUPPORTED_VERSIONS))})")
    sizes = meta.get("layer_sizes")
    if (not isinstance(sizes, list) or len(sizes) < 2 or not all(isinstance(s, int) and s > 0 for s in sizes)
            or sizes[0] != INPUT_SIZE or sizes[-1] != OUTPUT_SIZE):
        raise WeightsError(f"{path}: layer_sizes {sizes!r} must be positive integers from {INPUT_SIZE} to {OUTPUT_SIZE}")
    if meta.get("activation", "relu") != "relu":
        raise WeightsError(f"{path}: unsupported activation {meta.get('activation')!r} (only 'relu')")
    batch_norm = meta.get("batch_norm", False)
    if not isinstance(batch_norm, bool):
        raise WeightsError(f"{path}: batch_norm must be true or false, got {batch_norm!r}")
    dropout = meta.get("dropout", 0.0)
    if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise WeightsError(f"{path}: dropout must be a number in [0, 1), got {dropout!r}")
    return sizes, batch_norm, float(dropout)


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
        meta = json.loads(config_path.read_text())
    except FileNotFoundError:
        raise WeightsError(f"{config_path}: missing (it describes the layer sizes)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise WeightsError(f"{config_path}: not valid JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise WeightsError(f"{config_path}: must be a JSON object")
    layer_sizes, batch_norm, dropout = _check_config(config_path, meta)
    arrays = {}
    for name, shape in expected_shapes(layer_sizes, batch_norm).items():
        arrays[name] = _read_csv_array(folder / f"{name}.csv", shape)
    _check_arrays(folder, arrays, layer_sizes, batch_norm)
    return MLP.from_arrays(arrays, layer_sizes, batch_norm=batch_norm, dropout=dropout)


def _read_csv_array(path: Path, shape: tuple[int, ...]) -> np.ndarray:
    if not path.is_file():
        raise WeightsError(f"{path}: missing")
    try:
        a = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise WeightsError(f"{path}: not a numeric CSV ({str(exc).splitlines()[0]})") from None
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
