"""The fuzz corpus (tests/fuzz/corpus.py) through the command-line readers.

Every case runs through the command that reads it, in a child process limited to 2 GB of address
space and 60 s (tests/fuzz/run_cases.py): a refused file exits with code 2 and exactly one
printable stderr line naming the file and the problem; an accepted one exits with 0 and prints
plain JSON. Nothing prints a traceback. A few cases also go through a fresh `python -m ...`
process and the real window, to show the commands are wired as the runner assumes.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))  # tests/fuzz and benchmarks/ are folders of scripts, not packages
from tests.fuzz.corpus import CASES, FUZZ_DIR, build, case_path  # noqa: E402
SAMPLE_DRAWINGS = REPO_ROOT / "tests" / "data" / "drawings_sample.jsonl"
MNIST_SAMPLE = REPO_ROOT / "tests" / "data" / "mnist_test_sample.npz"
#: A refusal is one_line's 300 characters after "error: ".
MAX_LINE = 320


def _commands(reader: str, path: Path) -> dict[str, tuple[str, list[str]]]:
    """Command label -> (runner command, argv) for a case's file."""
    if reader == "drawings":
        return {"replay": ("replay", [str(path), "--weights", str(FUZZ_DIR / "weights" / "valid.npz"), "--json"])}
    if reader == "weights":
        return {"replay": ("replay", [str(SAMPLE_DRAWINGS), "--weights", str(path), "--json"]),
                "eval": ("train", ["--eval-only", "--weights", str(path), "--data", str(MNIST_SAMPLE), "--json"])}
    return {"data": ("data", ["--data", str(path), "--no-download", "--json"])}


RUNS = [(case, label) for case in CASES for label in _commands(case.reader, Path("x"))]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, dict]:
    big = tmp_path_factory.mktemp("fuzz-big")
    jobs = []
    for case in CASES:
        path = build(case, case_path(case, big)) if case.big else case_path(case)
        for label, (command, argv) in _commands(case.reader, path).items():
            jobs.append({"id": f"{case.reader}/{case.name}/{label}", "command": command, "argv": argv})
    done = subprocess.run([sys.executable, str(FUZZ_DIR / "run_cases.py")], input=json.dumps(jobs),
                          capture_output=True, text=True, cwd=REPO_ROOT, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    return {result["id"]: result for result in json.loads(done.stdout)}


def _no_nan(name: str):
    raise AssertionError(f"{name} in the JSON output")


@pytest.mark.parametrize("case, label", RUNS, ids=[f"{c.reader}/{c.name}/{label}" for c, label in RUNS])
def test_corpus_case(results, case, label):
    result = results[f"{case.reader}/{case.name}/{label}"]
    stderr = result["stderr"]
    assert "Traceback" not in stderr, stderr[-2000:]
    if case.message is None:
        assert result["returncode"] == 0, stderr[-2000:]
        json.loads(result["stdout"], parse_constant=_no_nan)
        assert result["stdout"].isascii()  # file-supplied text is escaped, never printed raw
        return
    assert result["returncode"] == 2, (result["returncode"], stderr[-2000:])
    lines = stderr.split("\n")
    assert len(lines) == 2 and lines[1] == "", stderr[-2000:]
    line = lines[0]
    assert line.startswith("error: ") and line.isprintable() and len(line) <= MAX_LINE, line
    assert case.name in line and case.message in line, line
    assert result["stdout"] == ""


def test_committed_cases_match_their_recipes(tmp_path):
    """tests/fuzz/ holds exactly what corpus.py builds (rebuild with `python tests/fuzz/corpus.py`)."""
    for case in CASES:
        if case.big:
            continue
        committed = case_path(case)
        rebuilt = build(case, tmp_path / case.reader / case.name)
        if rebuilt.is_dir():
            for part in rebuilt.iterdir():
                assert (committed / part.name).read_bytes() == part.read_bytes(), f"{committed}/{part.name}"
        else:
            assert committed.read_bytes() == rebuilt.read_bytes(), committed


# ------------------------------------------------------------------- fresh processes
def _run(*argv: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=REPO_ROOT,
                          timeout=120, env=env)


def _assert_one_line_refusal(done: subprocess.CompletedProcess, name: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1 and name in done.stderr


def test_fresh_processes_refuse_with_one_line():
    _assert_one_line_refusal(_run("-m", "app.replay", str(FUZZ_DIR / "drawings" / "int400.jsonl")), "int400.jsonl")
    _assert_one_line_refusal(_run("-m", "model.data", "--data", str(FUZZ_DIR / "data" / "shape_1e12.npz")),
                             "shape_1e12.npz")
    _assert_one_line_refusal(_run("train.py", "--eval-only", "--weights", str(FUZZ_DIR / "weights" / "weights_3e38.npz"),
                                  "--data", str(MNIST_SAMPLE), "--json"), "weights_3e38.npz")


def test_the_app_refuses_bad_weights_at_start_with_one_line(x_display):
    env = dict(os.environ, DISPLAY=x_display)
    for name in ("results_x.npz", "field_100000.npz", "not_npy_members.npz"):
        _assert_one_line_refusal(_run("-m", "app", "--weights", str(FUZZ_DIR / "weights" / name), env=env), name)


@pytest.mark.parametrize("name, status", [
    ("int400.jsonl", "Could not open drawing"),
    ("eraser_width_5e-324.jsonl", "Opened eraser_width_5e-324.jsonl"),
    ("writer_u2028_u0085.jsonl", "Opened writer_u2028_u0085.jsonl"),
])
def test_the_app_opens_or_refuses_hostile_drawings(x_display, tmp_path, name, status):
    from benchmarks.xwindow import AppWindow

    window = AppWindow(x_display, tmp_path / "state.json", "--drawing", str(FUZZ_DIR / "drawings" / name),
                       log=tmp_path / "log.txt", ready_timeout=30, wait_timeout=15, error=AssertionError)
    try:
        state = window.wait_for(lambda s: status in s["status"], f"status {status!r}")
        assert name in state["status"]
    finally:
        window.process.terminate()
        window.process.wait(timeout=10)
    assert "Traceback" not in (tmp_path / "log.txt").read_text()
