"""model.recipe: one set of defaults, validated once, round trips through JSON and weights files."""
from __future__ import annotations

import dataclasses
import json

import pytest

from model.augment import AugmentSettings
from model.recipe import PEN_DIGITS, Recipe, recipe_from_metadata
from model.weights_io import load_weights


@pytest.mark.parametrize("bad", [dict(optimizer="rmsprop"), dict(lr=0), dict(batch_size=0),
                                 dict(epochs=0), dict(schedule="linear"), dict(dropout=1.0),
                                 dict(val_split=1.0), dict(patience=-1), dict(hidden=()),
                                 dict(warmup_epochs=50), dict(momentum=1.0), dict(limit=0),
                                 dict(drawing_variants=0), dict(lr=float("nan")), dict(hidden=(0,))])
def test_bad_values_are_refused_up_front_naming_the_field(bad):
    name = next(iter(bad))
    with pytest.raises(ValueError, match=f"invalid training setting {name}="):
        Recipe(**bad)


@pytest.mark.parametrize("bad", [dict(lr="0.1"), dict(epochs=2.5), dict(batch_norm=1), dict(hidden="768"),
                                 dict(hidden=[True]), dict(drawings="file.jsonl"), dict(augment=5),
                                 dict(augment={"rotation_deg": "x"}), dict(seed=None)])
def test_values_of_the_wrong_type_from_a_file_are_refused(bad):
    with pytest.raises(ValueError, match="training setting"):
        Recipe.from_dict(bad)


def test_unknown_settings_are_refused():
    with pytest.raises(ValueError, match="unknown training setting 'hiden'"):
        Recipe.from_dict({"hiden": [10]})


def test_json_round_trip_and_defaults_for_missing_fields():
    recipe = Recipe(hidden=(64, 32), patience=3, exclude_writers=("w1",), augment=AugmentSettings.off())
    again = Recipe.from_dict(json.loads(json.dumps(recipe.to_dict())))
    assert again == recipe and again.layer_sizes == [784, 64, 32, 10]
    assert Recipe.from_dict({}) == Recipe()


def test_differences_and_quick_runs():
    assert Recipe().differences() == [] and not Recipe().is_quick
    quick = Recipe(limit=500, epochs=1)
    assert quick.differences() == ["epochs", "limit"] and quick.is_quick
    assert Recipe(epochs=30).is_quick is False and Recipe(epochs=23).is_quick is True


def test_the_default_recipe_is_the_bundled_weights_recipe(bundled_weights):
    """`python train.py` must reproduce the bundled weights: their recorded recipe is the default."""
    _, metadata = load_weights(bundled_weights)
    assert recipe_from_metadata(metadata) == Recipe()
    assert Recipe().drawings == (PEN_DIGITS,)


def test_every_command_line_field_has_help_and_a_group():
    for f in Recipe.cli_fields():
        assert f.metadata["help"] and f.metadata["group"] in ("network", "optimisation", "data")
    hidden = {f.name for f in dataclasses.fields(Recipe)} - {f.name for f in Recipe.cli_fields()}
    assert hidden == {"betas", "eps", "gamma", "min_lr", "augment"}  # augmentation has its own options


def test_older_files_keep_their_settings_readable():
    legacy = {"training": {"settings": {"hidden": [128], "epochs": 5, "warmup_epochs": 1.0}}}
    assert recipe_from_metadata(legacy) == Recipe(hidden=(128,), epochs=5, negatives_per_source=0)
    assert recipe_from_metadata({}) is None and recipe_from_metadata({"training": "x"}) is None
    with pytest.raises(ValueError):
        recipe_from_metadata({"training": {"recipe": {"augment": 5}}})
