"""app.worker: background jobs whose news is delivered by poll() on the caller's thread (headless)."""
from __future__ import annotations

import threading

import pytest

from app.worker import Cancelled, Job, poll_every


class Record:
    """Collects what a job reports, and on which thread."""

    def __init__(self):
        self.events = []
        self.threads = set()

    def __getattr__(self, kind):
        def callback(*payload):
            self.threads.add(threading.get_ident())
            self.events.append((kind, *payload))
        return callback

    def job(self, work):
        return Job(work, on_progress=self.progress, on_done=self.done, on_error=self.error,
                   on_cancelled=self.cancelled)


def finish(job: Job) -> None:
    job.join(10)
    assert not job.poll()


def test_progress_then_the_result_arrive_in_order_on_the_polling_thread():
    record = Record()

    def work(report, cancelled):
        for step in range(3):
            report(step)
        return "weights"

    job = record.job(work).start()
    assert job.running
    finish(job)
    assert record.events == [("progress", 0), ("progress", 1), ("progress", 2), ("done", "weights")]
    assert record.threads == {threading.get_ident()}
    assert not job.running and not job.poll()
    assert len(record.events) == 4  # the end is delivered once


def test_an_exception_in_the_work_is_delivered_not_lost():
    record = Record()

    def work(report, cancelled):
        report("started")
        raise ValueError("mlp.npz: not a weights file")

    finish(record.job(work).start())
    kinds = [event[0] for event in record.events]
    assert kinds == ["progress", "error"]
    assert isinstance(record.events[1][1], ValueError) and "mlp.npz" in str(record.events[1][1])


def test_cancelling_stops_cooperative_work_and_reports_cancelled():
    record = Record()
    started = threading.Event()

    def work(report, cancelled):
        started.set()
        while not cancelled.wait(0.01):
            pass
        raise Cancelled()

    job = record.job(work).start()
    assert started.wait(10)
    assert job.poll()  # still running
    job.cancel()
    finish(job)
    assert record.events == [("cancelled",)]


def test_work_that_finishes_after_a_cancel_is_still_reported_cancelled():
    record = Record()
    go = threading.Event()

    def work(report, cancelled):
        go.wait(10)
        return "late result"

    job = record.job(work).start()
    job.cancel()
    go.set()
    finish(job)
    assert record.events == [("cancelled",)]


def test_a_job_without_callbacks_just_runs():
    job = Job(lambda report, cancelled: report("ignored") or 42).start()
    finish(job)
    assert job.finished


class FakeWidget:
    """Records after() calls so a test can run the scheduled polls by hand."""

    def __init__(self):
        self.scheduled = []

    def after(self, ms, callback):
        self.scheduled.append((ms, callback))


def test_poll_every_keeps_polling_with_after_until_the_job_is_over():
    widget, record, release = FakeWidget(), Record(), threading.Event()
    job = record.job(lambda report, cancelled: release.wait(10) and "ok")
    assert poll_every(widget, job, 20) is job
    assert [ms for ms, _ in widget.scheduled] == [20]
    widget.scheduled.pop(0)[1]()  # the job is still waiting: it polls again
    assert len(widget.scheduled) == 1 and record.events == []
    release.set()
    job.join(10)
    widget.scheduled.pop(0)[1]()
    assert record.events == [("done", "ok")] and widget.scheduled == []


@pytest.mark.parametrize("interval", [1, 50])
def test_poll_every_uses_the_interval_it_is_given(interval):
    widget = FakeWidget()
    job = poll_every(widget, Job(lambda report, cancelled: None), interval)
    job.join(10)
    assert widget.scheduled[0][0] == interval
