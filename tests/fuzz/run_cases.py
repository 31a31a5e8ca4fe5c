"""Run command-line readers on many files, each in a forked child with bounded memory and time.

    python tests/fuzz/run_cases.py < jobs.json > results.json

jobs: a JSON list of {"id", "command", "argv"}; command is "replay" (python -m app.replay),
"data" (python -m model.data) or "train" (python train.py). Each job runs the command's
``main(argv)`` in a child forked from this process, which has already imported them all (a job
costs milliseconds instead of an interpreter start), under RLIMIT_AS = `MEMORY_LIMIT` and an
alarm of `TIME_LIMIT_S`, with stdout and stderr going to files; `PARALLEL` children at a time. What escapes ``main`` is printed
as Python prints an uncaught exception (a traceback, exit code 1), as `python -m` would.

results: a JSON list of {"id", "returncode" (negative: killed by that signal), "stdout",
"stderr", "max_rss_kb", "seconds"}.
"""
from __future__ import annotations

import json
import os
import resource
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(REPO_ROOT))

MEMORY_LIMIT = 2 << 30
TIME_LIMIT_S = 60
#: Children at a time: the CI machine has two cores.
PARALLEL = 2


def _commands() -> dict:
    import app.replay
    import model.data
    import train

    return {"replay": app.replay.main, "data": model.data.main, "train": train.main}


def _child(main, argv: list[str], out: Path, err: Path) -> None:
    """In the forked child: never returns."""
    code = 1
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        signal.alarm(TIME_LIMIT_S)
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 1)
        os.dup2(os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC), 2)
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        code = 0 if code is None else int(code)
    except BaseException:  # noqa: BLE001 - printed exactly as an uncaught exception would be
        traceback.print_exc()
        code = 1
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def run(jobs: list[dict], parallel: int = PARALLEL) -> list[dict]:
    """Run the jobs, `parallel` children at a time; results in the jobs' order."""
    commands = _commands()
    results: dict[int, dict] = {}
    running: dict[int, tuple[int, float]] = {}  # pid -> (job index, start)
    pending = list(enumerate(jobs))
    with tempfile.TemporaryDirectory(prefix="fuzz-run-") as scratch:
        def files(index: int) -> tuple[Path, Path]:
            return Path(scratch) / f"{index}.out", Path(scratch) / f"{index}.err"

        while pending or running:
            while pending and len(running) < parallel:
                index, job = pending.pop(0)
                pid = os.fork()
                if pid == 0:
                    _child(commands[job["command"]], job["argv"], *files(index))
                running[pid] = (index, time.monotonic())
            pid, status, usage = os.wait4(-1, 0)
            index, start = running.pop(pid)
            out, err = files(index)
            results[index] = {
                "id": jobs[index]["id"], "returncode": os.waitstatus_to_exitcode(status),
                "stdout": out.read_text(errors="replace"), "stderr": err.read_text(errors="replace"),
                "max_rss_kb": usage.ru_maxrss, "seconds": round(time.monotonic() - start, 2),
            }
    return [results[index] for index in range(len(jobs))]


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
