"""The one background job type (ui.workers.Job): its own connection with the session, progress,
a partial result, cancel, refusals as the user reads them, and nothing after its page is gone."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QObject, QThreadPool

from dudu_desktop.domain.problems import Problem, Refused
from dudu_desktop.ui import workers


def _wait_finished(qtbot, job) -> None:
    qtbot.waitUntil(lambda: job not in workers.running(), timeout=20000)


def test_a_job_reports_progress_a_partial_result_and_its_result_on_the_ui_thread(qtbot, ctx, db_path):
    owner = QObject()
    seen = []

    def work(job):
        assert job.conn is not None and job.conn is not ctx.conn  # a connection of its own
        assert (job.ctx.user, job.ctx.role, job.ctx.conn) == (ctx.user, ctx.role, job.conn)
        job.progress(1, 2)
        job.partial("first page")
        job.progress(2, 2)
        return job.conn.execute("SELECT count(*) FROM users").fetchone()[0]

    def note(kind):
        return lambda *args: seen.append((kind, args, threading.current_thread() is threading.main_thread()))

    job = workers.Job(work, db_path=db_path, ctx=ctx)
    job.connect(owner, progress=note("progress"), partial=note("partial"), done=note("done"), failed=note("failed"))
    with qtbot.waitSignal(job.signals.finished, timeout=20000):
        workers.start(job)
    users = ctx.conn.execute("SELECT count(*) FROM users").fetchone()[0]
    assert seen == [
        ("progress", (1, 2), True),
        ("partial", ("first page",), True),
        ("progress", (2, 2), True),
        ("done", (users,), True),
    ]
    assert job.conn is None  # closed when done


def test_a_refusal_reaches_the_page_as_its_problems_one_a_line(qtbot, ctx, db_path):
    owner, failed = QObject(), []

    def work(job):
        raise Refused([Problem("a", "第一条"), Problem("b", "第二条")])

    job = workers.Job(work, db_path=db_path, ctx=ctx).connect(owner, failed=failed.append, done=pytest.fail)
    with qtbot.waitSignal(job.signals.finished, timeout=20000):
        workers.start(job)
    assert failed == ["第一条\n第二条"]


def test_cancel_interrupts_the_running_statement_and_nothing_is_reported(qtbot, ctx, db_path):
    owner, reported, started = QObject(), [], threading.Event()

    def work(job):
        started.set()
        return job.conn.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
        ).fetchone()  # endless without a cancel

    job = workers.Job(work, db_path=db_path, ctx=ctx)
    job.connect(owner, done=reported.append, failed=reported.append)
    with qtbot.waitSignal(job.signals.finished, timeout=20000):
        workers.start(job)
        assert started.wait(10)
        job.cancel()
    qtbot.wait(50)
    assert job.cancelled and reported == []


def test_nothing_reaches_a_page_that_is_gone(qtbot, ctx, db_path):
    owner, reported, go = QObject(), [], threading.Event()

    def work(job):
        go.wait(10)
        job.partial("late")
        return "late"

    job = workers.Job(work, db_path=db_path, ctx=ctx)
    job.connect(owner, partial=reported.append, done=reported.append)
    workers.start(job)
    owner.deleteLater()  # the dialog is closed while its job runs
    qtbot.waitUntil(lambda: not _alive(owner), timeout=5000)
    go.set()
    _wait_finished(qtbot, job)
    QThreadPool.globalInstance().waitForDone(10000)
    qtbot.wait(50)
    assert reported == []


def test_without_a_file_the_job_works_on_the_callers_session(ctx):
    done = []
    job = workers.Job(lambda job: (job.conn, job.ctx), ctx=ctx)
    job.signals.done.connect(done.append)
    workers.start(job, threaded=False)
    assert done == [(None, ctx)]


def _alive(obj) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)
