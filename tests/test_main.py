"""app.__main__ (`digit-pad`): the options, and which model the window opens with."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import app
import model
from app.__main__ import build_parser, main, open_window
from app.model_choice import BUNDLED
from model.mlp import MLP
from model.weights_io import WeightsError, save_weights
from preprocessing.pipeline import DEFAULT_SETTINGS

PACKAGE_ROOT = Path(app.__file__).parent.parent


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0 and capsys.readouterr().out.strip() == f"digit-pad {model.__version__}"
    help_text = build_parser().format_help()
    for option in ("--weights", "--bundled", "--where", "--version", "--drawing"):
        assert option in help_text
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--weights", "a.npz", "--bundled"])  # one or the other


def test_where_prints_each_folder_without_needing_a_display(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    env.update(DIGITPAD_DATA_DIR=str(tmp_path / "data"), DIGITPAD_CACHE_DIR=str(tmp_path / "cache"))
    result = subprocess.run([sys.executable, "-m", "app", "--where"], cwd=PACKAGE_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == ""
    lines = dict(line.split(": ", 1) for line in result.stdout.strip().splitlines())
    assert lines["data"] == str(tmp_path / "data") and lines["cache"] == str(tmp_path / "cache")
    assert lines["settings"] == str(tmp_path / "data" / "settings.json")
    assert lines["models"] == str(tmp_path / "data" / "models")
    assert Path(lines["bundled weights"]).name == "mlp.npz"
    assert not (tmp_path / "data").exists()  # asking where does not create anything


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def small_weights(tmp_path):
    path = tmp_path / "small.npz"
    save_weights(path, MLP([784, 16, 10], seed=1), {"preprocessing": DEFAULT_SETTINGS.to_dict(),
                                                    "layer_sizes": [784, 16, 10]})
    return path


def start(toplevel, *argv):
    window = open_window(build_parser().parse_args(list(argv)), toplevel)
    toplevel.update()
    return window


def save_choice(data_dir: Path, path) -> Path:
    data_dir.mkdir(parents=True, exist_ok=True)
    settings = data_dir / "settings.json"
    settings.write_text(json.dumps({"model": str(path)}))
    return settings


@pytest.mark.gui
def test_no_settings_opens_the_bundled_model_and_says_so(toplevel, data_dir):
    window = start(toplevel)
    assert window.files.model == BUNDLED
    assert window.status.model.startswith("Model: bundled - MLP 784-") and not window.status.error


@pytest.mark.gui
def test_the_saved_choice_opens(toplevel, data_dir, small_weights):
    save_choice(data_dir, small_weights)
    window = start(toplevel)
    assert window.files.model.path == small_weights and window.status.model.startswith("Model: small.npz - MLP 784-16")
    assert not window.status.error


@pytest.mark.gui
def test_the_weights_option_wins_for_this_session_without_forgetting_the_saved_choice(
        toplevel, data_dir, small_weights, tmp_path):
    settings = save_choice(data_dir, small_weights)
    other = tmp_path / "other.npz"
    save_weights(other, MLP([784, 8, 10], seed=2), {"preprocessing": DEFAULT_SETTINGS.to_dict()})
    window = start(toplevel, "--weights", str(other))
    assert window.files.model.path == other and window.status.model.startswith("Model: other.npz")
    assert json.loads(settings.read_text()) == {"model": str(small_weights)}


@pytest.mark.gui
def test_bundled_flag_opens_the_bundled_model_and_forgets_the_saved_choice(toplevel, data_dir, small_weights):
    settings = save_choice(data_dir, small_weights)
    window = start(toplevel, "--bundled")
    assert window.files.model == BUNDLED and window.status.model.startswith("Model: bundled")
    assert json.loads(settings.read_text()) == {}


@pytest.mark.gui
def test_a_saved_choice_that_was_deleted_opens_the_bundled_model_and_says_why(toplevel, data_dir, tmp_path):
    gone = tmp_path / "deleted.npz"
    save_choice(data_dir, gone)
    window = start(toplevel)
    assert window.files.model == BUNDLED and window.status.model.startswith("Model: bundled")
    assert window.status.error and "deleted.npz" in window.status.message
    assert "saved model could not be opened" in window.status.message


@pytest.mark.gui
def test_a_saved_choice_that_is_not_weights_opens_the_bundled_model(toplevel, data_dir, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    save_choice(data_dir, bad)
    window = start(toplevel)
    assert window.files.model == BUNDLED and "bad.npz" in window.status.message and window.status.error


@pytest.mark.gui
def test_a_corrupt_settings_file_opens_the_bundled_model_with_a_warning(toplevel, data_dir):
    data_dir.mkdir()
    (data_dir / "settings.json").write_text('{"model": ')
    window = start(toplevel)
    assert window.files.model == BUNDLED
    assert window.status.error and "settings.json" in window.status.message and "not valid JSON" in window.status.message
    assert "\n" not in window.status.message


@pytest.mark.gui
def test_an_explicit_bad_weights_file_is_an_error(toplevel, data_dir, tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"nope")
    with pytest.raises(WeightsError, match="bad.npz"):
        open_window(build_parser().parse_args(["--weights", str(bad)]), toplevel)


@pytest.mark.gui
def test_a_drawing_given_at_start_is_opened(toplevel, data_dir, test_data_dir):
    window = start(toplevel, "--drawing", str(test_data_dir / "drawings_sample.jsonl"))
    assert window.controller.strokes and window.status.message.startswith("Opened drawings_sample.jsonl")


def test_the_views_option_names_views_of_the_view_menu(capsys):
    assert build_parser().parse_args(["--views", "stages, network"]).views == ["stages", "network"]
    assert build_parser().parse_args([]).views == []
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--views", "stages,xray"])
    assert "unknown view 'xray'" in capsys.readouterr().err


@pytest.mark.gui
def test_views_named_at_start_are_open_and_ticked(toplevel, data_dir):
    window = start(toplevel, "--views", "stages,evidence,network")
    try:
        assert window.stages_visible and window.evidence_visible and window.network.is_open
        assert all(window.variables[name].get() for name in ("stages", "evidence", "network"))
        assert not window.variables["examples"].get()
    finally:
        window.network.close()
