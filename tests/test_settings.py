"""model.settings: the remembered settings file; a bad file never stops the app."""
from __future__ import annotations

import json

import pytest

from model.settings import MAX_BYTES, Settings, SettingsStore, load


def test_no_file_means_the_defaults_without_a_warning(tmp_path):
    store = SettingsStore(tmp_path / "settings.json")
    assert store.settings == Settings() and store.settings.model is None and store.warning is None


def test_the_default_path_is_in_the_user_data_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "data"))
    assert SettingsStore().path == tmp_path / "data" / "settings.json"


def test_a_saved_choice_survives_a_restart_and_the_file_is_written_atomically(tmp_path):
    path = tmp_path / "new-folder" / "settings.json"
    store = SettingsStore(path)
    assert store.update(model="/models/mine.npz") is None
    assert json.loads(path.read_text()) == {"model": "/models/mine.npz"}
    assert SettingsStore(path).settings.model == "/models/mine.npz"
    assert store.update(model=None) is None
    assert json.loads(path.read_text()) == {}
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]  # no temporary files left


def test_keys_this_version_does_not_know_are_kept(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"model": "/a.npz", "personal_model": {"path": "/p.npz"}, "theme": "dark"}))
    store = SettingsStore(path)
    assert store.warning is None and store.settings.model == "/a.npz"
    store.update(model="/b.npz")
    assert json.loads(path.read_text()) == {"model": "/b.npz", "personal_model": {"path": "/p.npz"}, "theme": "dark"}


@pytest.mark.parametrize("content, fragment", [
    (b'{"model": "/a.npz"', "not valid JSON"),
    (b"", "not valid JSON"),
    (b"[1, 2, 3]", "not a JSON object"),
    (b'"just text"', "not a JSON object"),
    (b'{"model": 42}', "'model' must be the path"),
    (b'{"model": ""}', "'model' must be the path"),
    (b'{"model": "\xff\xfe"}', "not UTF-8"),
    (b'{"model": ["\\u001b[31m", "\\n"]}', "'model' must be the path"),
])
def test_a_bad_file_gives_the_defaults_and_a_one_line_warning_naming_it(tmp_path, content, fragment):
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    settings, warning = load(path)
    assert settings.model is None
    assert fragment in warning and str(path) in warning
    assert "\n" not in warning and "\x1b" not in warning and warning.isprintable()


def test_an_unreadable_or_huge_file_is_a_warning_too(tmp_path):
    folder = tmp_path / "settings.json"
    folder.mkdir()  # a folder where the file should be: reading fails
    settings, warning = load(folder)
    assert settings == Settings() and "is a folder, not a settings file" in warning and str(folder) in warning
    huge = tmp_path / "huge.json"
    huge.write_text('{"model": "' + "x" * (MAX_BYTES + 10) + '"}')
    settings, warning = load(huge)
    assert settings == Settings() and "not a settings file" in warning


def test_a_settings_file_that_cannot_be_written_is_a_warning_and_the_change_still_holds(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    store = SettingsStore(blocker / "settings.json")
    warning = store.update(model="/m.npz")
    assert warning and "could not save the settings" in warning and "\n" not in warning
    assert store.settings.model == "/m.npz"

