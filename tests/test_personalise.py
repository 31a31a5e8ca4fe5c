"""Personal fine-tuning (preprocessing.personalise) and its command line (train.py --fine-tune)."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import threading

import numpy as np
import pytest

import train
from model.recipe import recipe_from_metadata
from model.model_files import (PREVIOUS_PERSONAL_MODEL, personal_model_path, reset_personal_model,
                               save_personal_model)
from model.weights_io import BUNDLED_WEIGHTS, load_weights, save_weights
from preprocessing.drawing import Drawing, read_drawings, write_drawings
from preprocessing.personalise import (FINE_TUNE_RECIPE, FineTuneCancelled, FineTuneError, FineTuneSettings,
                                       describe_personal, fine_tune, load_rehearsal, mnist_check_set, read_as_app,
                                       split_drawings, variants_for)

#: Small enough for a test (a few seconds on the bundled network), strong enough to learn a style.
# Three epochs instead of six, at a learning rate three times the product's (0.003) so that they
# still teach; ten times (0.03) made the bundled model forget 3 points of MNIST on the mirrored
# writer, where the product's own settings lose 0.2.
QUICK = FineTuneSettings(recipe=FINE_TUNE_RECIPE.replace(epochs=3, drawing_variants=8, lr=0.01), rehearsal=300,
                         holdout=0.4)


@pytest.fixture(scope="module")
def base():
    return load_weights(BUNDLED_WEIGHTS)


@pytest.fixture(scope="module")
def sample_drawings(test_data_dir):
    return read_drawings(test_data_dir / "drawings_sample.jsonl")


@pytest.fixture(scope="module")
def mirrored(sample_drawings):
    """A toy writer who writes every digit mirrored left to right: a style the network misreads
    about half the time, and one that collides with no other digit's usual shape."""
    return [Drawing([[(1 - x, y) for x, y in stroke] for stroke in d.strokes], d.label, "mirror", d.widths, d.erase)
            for d in sample_drawings]


@pytest.fixture(scope="module")
def check():
    rehearsal = load_rehearsal()
    return mnist_check_set(prefer_full=False, rehearsal=rehearsal)


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_split_is_stratified_seeded_and_keeps_a_single_drawing_for_teaching(sample_drawings):
    teach, held = split_drawings(sample_drawings, 0.2, seed=1)
    assert len(teach) == 40 and len(held) == 10
    assert sorted(d.label for d in held) == list(range(10))  # one of each digit's five
    assert split_drawings(sample_drawings, 0.2, seed=1) == (teach, held)
    assert split_drawings(sample_drawings, 0.2, seed=2)[1] != held
    lonely = [d for d in sample_drawings if d.label != 3] + [next(d for d in sample_drawings if d.label == 3)]
    teach, held = split_drawings(lonely, 0.5, seed=0)
    assert [d.label for d in teach].count(3) == 1 and all(d.label != 3 for d in held)


def test_many_drawings_get_fewer_renders_each():
    settings = FineTuneSettings(max_own_images=40 * FINE_TUNE_RECIPE.drawing_variants)
    assert variants_for(40, settings) == FINE_TUNE_RECIPE.drawing_variants
    assert variants_for(500, settings) == 2 and variants_for(5000, settings) == 1


def test_held_out_drawings_are_read_exactly_as_the_app_reads_them(sample_drawings, base):
    from app.controller import DigitPadController
    from app.replay import replay_drawing
    from preprocessing.personalise import pipeline_settings

    controller = DigitPadController(base[0], metadata=base[1])
    images = read_as_app(sample_drawings[:8], pipeline_settings(base[1]))
    for drawing, image in zip(sample_drawings[:8], images):
        assert np.array_equal(replay_drawing(controller, drawing).input, image)


def test_teaching_a_mirrored_writer_improves_their_held_out_drawings(base, mirrored, check):
    model, meta = base
    result = fine_tune(model, mirrored, QUICK, base_metadata=meta, base_path=BUNDLED_WEIGHTS, check=check)
    assert result.before.accuracy <= 0.6
    assert result.after.accuracy >= result.before.accuracy + 0.1
    assert len(result.taught) == 30 and len(result.held_out) == 20
    assert result.own_images == 240 and result.rehearsal_images == 300
    # it must not forget MNIST wholesale while learning the style
    assert result.mnist_after.accuracy >= result.mnist_before.accuracy - 0.03
    assert result.mnist_change == pytest.approx(result.mnist_after.accuracy - result.mnist_before.accuracy)
    lines = result.summary_lines()
    before, after = result.before.accuracy * 100, result.after.accuracy * 100
    assert lines[1] == f"your 20 held-out drawings: {before:.1f} % before, {after:.1f} % after"
    assert "shipped sample of 2000 test digits" in lines[2]


def test_same_seed_same_model_other_seed_another(base, sample_drawings):
    model, meta = base
    settings = QUICK.replace(recipe=QUICK.recipe.replace(epochs=1, drawing_variants=2), rehearsal=100)
    first = fine_tune(model, sample_drawings, settings, base_metadata=meta)
    again = fine_tune(model, sample_drawings, settings, base_metadata=meta)
    other = fine_tune(model, sample_drawings, settings.replace(recipe=settings.recipe.replace(seed=5)),
                      base_metadata=meta)
    for name, array in first.model.arrays().items():
        assert np.array_equal(array, again.model.arrays()[name]), name
    assert not np.array_equal(first.model.arrays()["W1"], other.model.arrays()["W1"])
    assert first.figures() == again.figures()


def test_the_base_model_and_the_bundled_file_are_untouched(base, sample_drawings):
    model, meta = base
    before_file = sha256(BUNDLED_WEIGHTS)
    before_arrays = model.arrays()
    settings = QUICK.replace(recipe=QUICK.recipe.replace(epochs=1, drawing_variants=2), rehearsal=100)
    result = fine_tune(model, sample_drawings, settings, base_metadata=meta, base_path=BUNDLED_WEIGHTS)
    assert result.model is not model
    assert not np.array_equal(result.model.arrays()["W1"], before_arrays["W1"])
    for name, array in model.arrays().items():
        assert np.array_equal(array, before_arrays[name]), name
    assert sha256(BUNDLED_WEIGHTS) == before_file
    assert result.base_sha256 == before_file


@pytest.mark.parametrize("stage", ["render", "train"])
def test_cancel_stops_promptly_and_changes_nothing(base, sample_drawings, stage):
    model, meta = base
    before_arrays = model.arrays()
    stop = threading.Event()
    seen, stopped_at = [], []

    def on_progress(progress):
        seen.append(progress)
        if not stop.is_set() and progress.stage == stage and progress.fraction > (0.05 if stage == "render" else 0.3):
            stop.set()
            stopped_at.append(len(seen))

    with pytest.raises(FineTuneCancelled):
        fine_tune(model, sample_drawings, QUICK, base_metadata=meta, on_progress=on_progress, stop=stop)
    assert stopped_at == [len(seen)]  # no chunk rendered, no batch trained after the request
    for name, array in model.arrays().items():
        assert np.array_equal(array, before_arrays[name]), name


def test_progress_runs_from_render_to_measure_and_never_goes_back(base, sample_drawings, check):
    model, meta = base
    seen = []
    settings = QUICK.replace(recipe=QUICK.recipe.replace(epochs=1, drawing_variants=2), rehearsal=100)
    fine_tune(model, sample_drawings, settings, base_metadata=meta, check=check, on_progress=seen.append)
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert [s for i, s in enumerate(p.stage for p in seen) if i == 0 or seen[i - 1].stage != s] == \
        ["render", "train", "measure"]
    assert all(p.batch is not None for p in seen if p.stage == "train")


def test_too_few_drawings_are_refused_in_one_line(base, sample_drawings):
    model, meta = base
    with pytest.raises(FineTuneError, match=r"too few labelled drawings to teach with: 4 \(at least 10") as caught:
        fine_tune(model, sample_drawings[:4] + [Drawing(strokes=[[(0.1, 0.1)]])], base_metadata=meta)
    assert "\n" not in str(caught.value)


def test_metadata_records_the_base_the_samples_and_the_figures(base, sample_drawings, check, tmp_path):
    model, meta = base
    settings = QUICK.replace(recipe=QUICK.recipe.replace(epochs=1, drawing_variants=2), rehearsal=100)
    result = fine_tune(model, sample_drawings, settings, base_metadata=meta, base_path=BUNDLED_WEIGHTS, check=check)
    out = save_weights(tmp_path / "personal.npz", result.model, result.metadata(meta))
    _, saved = load_weights(out)
    personal = saved["personal"]
    assert personal["base"]["sha256"] == sha256(BUNDLED_WEIGHTS) and personal["base"]["path"] == str(BUNDLED_WEIGHTS)
    assert personal["samples"]["taught"] + personal["samples"]["held_out"] == 50
    assert sum(personal["samples"]["held_out_per_digit"]) == personal["samples"]["held_out"]
    assert personal["figures"]["held_out_after"] == result.after.accuracy
    assert personal["figures"]["mnist_check_n"] == 2000
    assert saved["preprocessing"] == meta["preprocessing"]
    assert recipe_from_metadata(saved) == recipe_from_metadata(meta)  # the base's data, writers left out
    assert saved["training"]["fine_tune"]["settings"]["recipe"]["hidden"] == [768, 768]
    # a sample is not the whole test set, so it is not filed as the model's MNIST test accuracy
    assert "mnist_test_accuracy" not in saved["results"]
    line = describe_personal(saved)
    assert line.startswith(f"your personal model: taught on {len(result.taught)} of your drawings on 20")
    assert f"(held-out {result.before.accuracy * 100:.1f} % -> {result.after.accuracy * 100:.1f} %)" in line
    assert describe_personal(meta) is None


def test_a_damaged_shipped_sample_is_one_line(tmp_path):
    bad = tmp_path / "rehearsal.npz"
    bad.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(FineTuneError, match="shipped MNIST sample cannot be read") as caught:
        load_rehearsal(bad)
    assert str(bad) in str(caught.value) and "\n" not in str(caught.value)


def test_the_shipped_sample_is_small_and_well_formed():
    rehearsal = load_rehearsal()
    assert rehearsal.x.shape[1:] == (28, 28) and rehearsal.x.dtype == np.uint8
    assert np.bincount(rehearsal.y, minlength=10).min() >= 300
    assert len(rehearsal.test_y) == 2000 and set(np.unique(rehearsal.test_y)) == set(range(10))
    from preprocessing.personalise import REHEARSAL_FILE
    assert REHEARSAL_FILE.stat().st_size < 1.5e6


# ------------------------------------------------------------------------------ the personal model file
def test_use_it_keeps_the_previous_personal_model_and_reset_moves_it_aside(base):
    model, meta = base
    assert not personal_model_path().exists() and reset_personal_model() is None
    first = save_personal_model(model, {"note": "first"})
    assert first == personal_model_path() and load_weights(first)[1]["note"] == "first"
    save_personal_model(model, {"note": "second"})
    assert load_weights(first)[1]["note"] == "second"
    assert load_weights(first.with_name(PREVIOUS_PERSONAL_MODEL))[1]["note"] == "first"
    moved = reset_personal_model()
    assert moved == first.with_name(PREVIOUS_PERSONAL_MODEL) and load_weights(moved)[1]["note"] == "second"
    assert not personal_model_path().exists()


# ------------------------------------------------------------------------------ train.py --fine-tune
CLI_QUICK = ["--epochs", "1", "--drawing-variants", "2", "--quiet"]


def test_cli_fine_tunes_prints_figures_and_saves_a_personal_model(sample_drawings, tmp_path, capsys):
    mine = tmp_path / "mine.jsonl"
    write_drawings(mine, sample_drawings)
    before = sha256(BUNDLED_WEIGHTS)
    out = tmp_path / "personal.npz"
    assert train.main(["--fine-tune", str(mine), "--out", str(out), "--seed", "4", *CLI_QUICK]) == 0
    printed = capsys.readouterr().out
    assert "your 10 held-out drawings:" in printed and "MNIST (" in printed and f"saved {out}" in printed
    _, meta = load_weights(out)
    assert meta["training"]["fine_tune"]["settings"]["recipe"]["seed"] == 4
    assert meta["training"]["fine_tune"]["settings"]["recipe"]["epochs"] == 1
    assert sha256(BUNDLED_WEIGHTS) == before


def test_cli_without_out_writes_a_new_personal_file_in_the_models_folder(sample_drawings, tmp_path, capsys):
    mine = tmp_path / "mine.jsonl"
    write_drawings(mine, sample_drawings)
    assert train.main(["--fine-tune", str(mine), "--weights", str(BUNDLED_WEIGHTS), *CLI_QUICK]) == 0
    saved = capsys.readouterr().out.split("saved ")[1].split(";")[0]
    assert os.path.basename(saved).startswith("personal-")
    assert os.path.dirname(saved) == str(personal_model_path().parent)


@pytest.mark.parametrize("content, extra, fragment", [
    ("{bad json\n", [], "line 1: not valid JSON"),
    (json.dumps({"strokes": [[[0.1, 0.1], [0.2, 0.3]]]}) + "\n", [], "no labelled drawings"),
    (None, [], "too few labelled drawings"),
    (None, ["--weights", "WEIGHTS"], "not a valid weights archive"),
    (None, ["--out", str(BUNDLED_WEIGHTS)], "is the bundled model"),
])
def test_cli_bad_input_is_one_line_and_exit_2(sample_drawings, tmp_path, capsys, content, extra, fragment):
    mine = tmp_path / "mine.jsonl"
    if content is None:
        write_drawings(mine, sample_drawings[:3] if "too few" in fragment else sample_drawings)
    else:
        mine.write_text(content)
    bad_weights = tmp_path / "bad.npz"
    bad_weights.write_bytes(b"junk")
    extra = [str(bad_weights) if a == "WEIGHTS" else a for a in extra]
    assert train.main(["--fine-tune", str(mine), *extra, *CLI_QUICK]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and fragment in err, err


def test_cli_ctrl_c_during_the_fine_tune_writes_nothing(sample_drawings, tmp_path, monkeypatch, capsys):
    from model.progress import TerminalProgress

    def interrupt_at_batch_3(self, progress):
        if progress.batch == 3:
            os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr(TerminalProgress, "on_batch", interrupt_at_batch_3)
    mine = tmp_path / "mine.jsonl"
    write_drawings(mine, sample_drawings)
    out = tmp_path / "never.npz"
    assert train.main(["--fine-tune", str(mine), "--out", str(out), "--epochs", "1", "--drawing-variants", "2"]) == 130
    assert "stopped (SIGINT): nothing was written" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == [mine]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_personal_model_still_says_not_a_digit_for_a_star(base, sample_drawings):
    """The fine-tune rehearses generated negatives (a small share) and the personal model keeps
    its base's verdict rule, so a star stays 'not a digit' while the person's digits are digits."""
    from app.controller import DigitPadController
    from app.replay import replay_drawing
    from model.verdict import VerdictRule
    from preprocessing import negatives

    model, meta = base
    rule = VerdictRule(not_digit_top2_below=0.8)
    base_meta = {**meta, **rule.to_metadata()}
    result = fine_tune(model, sample_drawings, QUICK.replace(negatives_per_source=5), base_metadata=base_meta)
    assert result.negative_images == 5 * len(negatives.sources("train"))
    assert result.metadata(base_meta)["training"]["fine_tune"]["negative_images"] == result.negative_images
    personal_meta = result.metadata(base_meta)
    assert VerdictRule.from_metadata(personal_meta) == rule
    personal = DigitPadController(result.model, metadata=personal_meta)
    stars = negatives.generate("star", 5, seed=3)  # a test source: never taught
    verdicts = [replay_drawing(personal, star).verdict for star in stars]
    assert verdicts.count("not_digit") >= 4, verdicts
    readings = [replay_drawing(personal, d) for d in sample_drawings[:10]]
    assert all(r.verdict != "not_digit" for r in readings)


def test_no_negatives_when_switched_off(base, sample_drawings):
    settings = QUICK.replace(recipe=QUICK.recipe.replace(epochs=1, drawing_variants=2), rehearsal=50,
                             negatives_per_source=0)
    result = fine_tune(base[0], sample_drawings, settings, base_metadata=base[1])
    assert result.negative_images == 0
    with pytest.raises(ValueError, match="negatives_per_source"):
        FineTuneSettings(negatives_per_source=-1)
