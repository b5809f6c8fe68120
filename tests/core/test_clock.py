"""The clock runs the routers' periodic work: one job per piece, coalesced, failures logged."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.app import Application
from bot.core.router import Periodic
from bot.scheduling.clock import Clock


async def test_jobs_are_registered_with_explicit_ids_and_coalesced(app: Application) -> None:
    clock = Clock(app.services, app.dispatcher.router.periodic)
    clock.start()
    try:
        job = clock.scheduler.get_job("join-requests.remind")
        assert job is not None
        assert job.coalesce is True
        assert job.trigger.interval == timedelta(hours=1)
        assert job.misfire_grace_time == 3600
    finally:
        clock.stop()


def test_run_all_now_runs_each_job_in_its_own_transaction_and_survives_failures(
    app: Application, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def works(services, session) -> None:  # type: ignore[no-untyped-def]
        ran.append("works")

    def fails(services, session) -> None:  # type: ignore[no-untyped-def]
        ran.append("fails")
        raise RuntimeError("boom")

    jobs = {
        "a": Periodic("a", timedelta(minutes=5), fails),
        "b": Periodic("b", timedelta(minutes=5), works),
    }
    with caplog.at_level(logging.ERROR):
        Clock(app.services, jobs).run_all_now()
    assert ran == ["fails", "works"]
    assert any("periodic job a failed" in r.getMessage() for r in caplog.records)
