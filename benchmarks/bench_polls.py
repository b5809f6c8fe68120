"""Polls through the core: 10,000 ballots across 100 open polls (ballots/s and per-ballot
p50/p99), and the time to produce the results message of a poll with 5,000 ballots.

Baseline in the same run: the same number of plain group messages through the core that
answer no poll (what any group message costs), so the ballots' own cost shows.
Run with `make bench`; figures are printed as `BENCH <name> <value> <unit>`.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlmodel import select

from bot.app import build_application
from bot.config import DEMO_ORG_FILE, Settings, default_locales_dir
from bot.core.events import ChatRef, CommandMessage, PollVote, Sender, TextMessage
from bot.core.voice import Voice
from bot.handlers.polls import results_text
from bot.storage.models import PollRecord

POLLS = 100
BALLOTS = 10_000
BIG_POLL_BALLOTS = 5_000


class Quiet:
    async def send(self, message: object) -> None:
        return None


def sender(n: int) -> Sender:
    return Sender("bench", f"m{n}", display_name=f"M{n}", language_hint="en")


def in_group(n: int, chat: str) -> dict:
    return {"chat": ChatRef("bench", chat), "chat_kind": "group", "sender": sender(n)}


def report(name: str, timings: list[float], elapsed: float, unit: str) -> None:
    ordered = sorted(timings)
    print(f"BENCH {name}.throughput {len(timings) / elapsed:.0f} {unit}/s")
    print(f"BENCH {name}.p50 {statistics.median(ordered) * 1000:.3f} ms")
    print(f"BENCH {name}.p99 {ordered[int(0.99 * (len(ordered) - 1))] * 1000:.3f} ms")


async def main() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        settings = Settings(
            database_url=f"sqlite:///{Path(workdir) / 'bench.sqlite'}",
            org_file=DEMO_ORG_FILE,
            locales_dir=default_locales_dir(),
            cache_dir=None,
        )
        app = build_application(settings)
        handle, quiet = app.dispatcher.handle, Quiet()
        for p in range(POLLS):
            await handle(
                CommandMessage(name="poll", args=f"Poll {p}? | a | b | c", **in_group(0, f"g{p}")),
                quiet,
            )
        with app.services.database.session() as session:
            polls = [p.id for p in session.exec(select(PollRecord))]
        rng = random.Random(1)
        votes = [
            (n % 2_000, polls[rng.randrange(POLLS)], str(rng.randrange(3))) for n in range(BALLOTS)
        ]
        # Baseline: as many group messages that are no vote (the core's floor for a group).
        timings = []
        started = time.perf_counter()
        for member, _poll_id, _key in votes:
            began = time.perf_counter()
            await handle(TextMessage(text="hello all", **in_group(member, "chatter")), quiet)
            timings.append(time.perf_counter() - began)
        report("polls.baseline_group_message", timings, time.perf_counter() - started, "msg")

        timings = []
        started = time.perf_counter()
        for member, poll_id, key in votes:
            chat = f"g{polls.index(poll_id)}"
            began = time.perf_counter()
            await handle(
                PollVote(poll_id=poll_id, option_keys=(key,), **in_group(member, chat)), quiet
            )
            timings.append(time.perf_counter() - began)
        report("polls.ballots", timings, time.perf_counter() - started, "ballots")

        # One poll with 5,000 ballots (cast through the core), then its results message.
        await handle(
            CommandMessage(name="poll", args="Big? | a | b | c | d", **in_group(0, "big")), quiet
        )
        with app.services.database.session() as session:
            big = session.exec(select(PollRecord).where(PollRecord.question == "Big?")).one()
        for n in range(BIG_POLL_BALLOTS):
            vote = PollVote(poll_id=big.id, option_keys=(str(n % 4),), **in_group(n, "big"))
            await handle(vote, quiet)
        reader = Voice(app.services.catalogs.translator("fr"), "Europe/Brussels")
        with app.services.database.session() as session:
            poll = session.get(PollRecord, big.id)
            timings = []
            for _ in range(50):
                began = time.perf_counter()
                text = results_text(reader, session, poll)
                timings.append(time.perf_counter() - began)
        ordered = sorted(timings)
        print(f"BENCH polls.results_5000_ballots.p50 {statistics.median(ordered) * 1000:.2f} ms")
        print(f"BENCH polls.results_5000_ballots.max {ordered[-1] * 1000:.2f} ms")
        print(f"# results: {text.splitlines()[-1]!r}")
        app.close()


if __name__ == "__main__":
    asyncio.run(main())
