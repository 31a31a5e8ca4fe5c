"""model.userdata: the per-user folders follow the platform's rules and the overrides."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from model import userdata


@pytest.fixture
def plain_env(monkeypatch, tmp_path):
    for name in ("DIGITPAD_DATA_DIR", "DIGITPAD_CACHE_DIR", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG rules are Linux's")
def test_linux_folders_follow_xdg(plain_env, monkeypatch, tmp_path):
    assert userdata.data_dir() == plain_env / ".local" / "share" / "digit-pad"
    assert userdata.cache_dir() == plain_env / ".cache" / "digit-pad"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    assert userdata.data_dir() == tmp_path / "xdg-data" / "digit-pad"
    assert userdata.cache_dir() == tmp_path / "xdg-cache" / "digit-pad"
    # A relative XDG path is invalid by the spec and ignored.
    monkeypatch.setenv("XDG_DATA_HOME", "relative/data")
    assert userdata.data_dir() == plain_env / ".local" / "share" / "digit-pad"


def test_explicit_folders_win(plain_env, monkeypatch, tmp_path):
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("DIGITPAD_CACHE_DIR", str(tmp_path / "cached"))
    assert userdata.data_dir() == tmp_path / "mine"
    assert userdata.models_dir() == tmp_path / "mine" / "models"
    assert userdata.settings_path() == tmp_path / "mine" / "settings.json"
    assert userdata.cache_dir() == tmp_path / "cached"


def test_nothing_is_created_until_asked(plain_env):
    userdata.data_dir(), userdata.models_dir(), userdata.cache_dir()
    assert not plain_env.exists()
    folder = userdata.ensure(userdata.models_dir())
    assert folder.is_dir() and folder == userdata.models_dir()


def test_ensure_names_the_folder_it_cannot_create(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError) as caught:
        userdata.ensure(blocker / "models")
    assert str(blocker / "models") in str(caught.value)


def test_the_tests_never_use_the_real_folders():
    # conftest points both folders into a temporary folder for the whole session.
    assert "digitpad-tests-" in str(userdata.data_dir())
    assert "digitpad-tests-" in str(userdata.cache_dir())


def test_describe_names_every_folder_and_the_bundled_weights():
    where = userdata.describe()
    assert set(where) == {"data", "models", "settings", "cache", "bundled weights"}
    assert Path(where["bundled weights"]).is_file()
