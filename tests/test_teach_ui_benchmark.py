"""benchmarks/teach_ui.py: the heartbeat's figures and the split of long waits (headless parts)."""
from __future__ import annotations

import math

from benchmarks.teach_ui import split_waits, stats, thread_schedstat


def test_stats_count_the_time_the_loop_could_not_run():
    figures = stats([10.0] * 98 + [70.0, 12.0])
    assert figures["n"] == 100 and figures["max_extra_ms"] == 60.0 and figures["over_one_frame"] == 1
    assert figures["p50_extra_ms"] == 0.0 and 0 < figures["p99_extra_ms"] <= 60.0
    assert stats([]) == {"n": 0}


def test_long_waits_are_split_into_run_queue_own_work_and_the_rest():
    split = split_waits([10.0, 110.0, 100.0], [1.0, 3.0, 2.0], [0.0, 100.0, 5.0])
    assert split["waits_over_one_frame"] == [
        {"extra_ms": 100.0, "run_queue_ms": 100.0, "own_cpu_ms": 3.0, "other_ms": 0.0},
        {"extra_ms": 90.0, "run_queue_ms": 5.0, "own_cpu_ms": 2.0, "other_ms": 83.0}]
    assert split["max_other_ms"] == 83.0
    assert split_waits([10.0], [1.0], [0.0]) == {"waits_over_one_frame": [], "max_other_ms": 0.0}


def test_the_threads_schedstat_counts_up():
    on_cpu, queued = thread_schedstat()
    if math.isnan(on_cpu):
        return  # not Linux: the benchmark reports no split there
    sum(range(200_000))
    assert thread_schedstat()[0] >= on_cpu and queued >= 0
