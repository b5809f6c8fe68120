"""The cost of one message through the whole core, in one process, on SQLite and PostgreSQL:

- an ignored group message (a group chat's text that is no command and needs no answer),
- a ballot (a vote in an open poll of a group chat),
- an onboarding step (a new member's /start, language, name, place, chapter, interests).

Messages go one after another, each from another member (all seen once before timing, except
the onboarding members, whose /start is their first message). Goals: ≥ 5,000 ignored group
messages/s, ≥ 2,000 ballots/s, ≥ 1,000 onboarding steps/s, each p99 ≤ 5 ms.

Floors measured in the same run: one transaction inserting one row, per second: with the
`sqlite3` module on a file with the same pragmas, with psycopg on the same PostgreSQL server.
Also python-telegram-bot's Application.process_update dispatching to a no-op handler with no
network: what a framework's dispatch alone costs on this machine.

Run with `make bench`. Figures are printed as `BENCH <name> <value> <unit>`.
`--profile ignored|ballot|onboarding` prints a cProfile of that part on SQLite instead.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from scratch_db import libpq, scratch_database
from sqlmodel import select
from telegram.request import BaseRequest, RequestData

from bot.app import Application, build_application
from bot.config import DEMO_ORG_FILE, Settings, default_locales_dir
from bot.core.events import (
    ChatRef,
    CommandMessage,
    Incoming,
    PollVote,
    Sender,
    TextMessage,
    parse_command,
)
from bot.storage.models import PollRecord

SCRIPT = ["/start", "2", "Amélie", "Bruxelles", "1", "1, 3", "1"]
GROUP_MESSAGES = 5_000
BALLOTS = 5_000
ONBOARDING_MEMBERS = 300
SPEAKERS = 1_000
POLLS = 20
FLOOR_ROWS = 5_000
DATABASE = "chapterbot_bench_core"


class CountingOutbox:
    def __init__(self) -> None:
        self.count = 0

    async def send(self, message: object) -> None:
        self.count += 1


def sender(member: int) -> Sender:
    return Sender("bench", str(member), display_name=f"m{member}", language_hint="fr")


def direct(member: int, text: str) -> Incoming:
    common = {
        "chat": ChatRef("bench", f"dm-{member}"),
        "chat_kind": "direct",
        "sender": sender(member),
    }
    command = parse_command(text)
    if command:
        return CommandMessage(name=command[0], args=command[1], **common)
    return TextMessage(text=text, **common)


def in_group(member: int, chat: str) -> dict:
    return {"chat": ChatRef("bench", chat), "chat_kind": "group", "sender": sender(member)}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(name: str, latencies: list[float], elapsed: float, unit: str = "msg") -> None:
    print(f"BENCH {name}.throughput {len(latencies) / elapsed:.0f} {unit}/s")
    print(f"BENCH {name}.p50 {statistics.median(latencies) * 1000:.3f} ms")
    print(f"BENCH {name}.p99 {percentile(latencies, 0.99) * 1000:.3f} ms")


async def timed(messages: list[Incoming], app: Application) -> tuple[list[float], float]:
    handle, outbox = app.dispatcher.handle, CountingOutbox()
    latencies = []
    started = time.perf_counter()
    for message in messages:
        began = time.perf_counter()
        await handle(message, outbox)
        latencies.append(time.perf_counter() - began)
    return latencies, time.perf_counter() - started


def group_messages() -> list[Incoming]:
    return [
        TextMessage(text="hello all", **in_group(n % SPEAKERS, "chatter"))
        for n in range(GROUP_MESSAGES)
    ]


def ballots(polls: list[str]) -> list[Incoming]:
    return [
        PollVote(
            poll_id=polls[n % POLLS],
            option_keys=(str(n % 3),),
            **in_group(n % SPEAKERS, f"g{n % POLLS}"),
        )
        for n in range(BALLOTS)
    ]


def onboarding(first: int) -> list[Incoming]:
    # Members in step: everyone's /start, then everyone's language, and so on.
    members = range(first, first + ONBOARDING_MEMBERS)
    return [direct(m, text) for text in SCRIPT for m in members]


async def prepare(app: Application) -> list[str]:
    """Every speaker seen once in each group, the polls opened; warm caches."""
    outbox = CountingOutbox()
    handle = app.dispatcher.handle
    for p in range(POLLS):
        args = f"Poll {p}? | a | b | c"
        await handle(CommandMessage(name="poll", args=args, **in_group(0, f"g{p}")), outbox)
    with app.services.database.session() as session:
        by_question = {p.question: p.id for p in session.exec(select(PollRecord))}
    polls = [by_question[f"Poll {p}?"] for p in range(POLLS)]
    for n in range(SPEAKERS):
        await handle(TextMessage(text="hi", **in_group(n, "chatter")), outbox)
        await handle(
            PollVote(poll_id=polls[n % POLLS], option_keys=("0",), **in_group(n, f"g{n % POLLS}")),
            outbox,
        )
    for message in onboarding(10_000_000)[: ONBOARDING_MEMBERS // 10 * len(SCRIPT)]:
        await handle(message, outbox)
    return polls


async def measure(engine: str, app: Application) -> None:
    polls = await prepare(app)
    report(f"core.{engine}.ignored_group_message", *await timed(group_messages(), app))
    latencies, elapsed = await timed(ballots(polls), app)
    report(f"core.{engine}.ballot", latencies, elapsed, "ballots")
    report(f"core.{engine}.onboarding_step", *await timed(onboarding(1_000_000), app))


def settings(url: str) -> Settings:
    return Settings(
        database_url=url, org_file=DEMO_ORG_FILE, locales_dir=default_locales_dir(), cache_dir=None
    )


def floor_rate(name: str, insert_one: Callable[[int], None]) -> None:
    for n in range(200):
        insert_one(-n - 1)
    started = time.perf_counter()
    for n in range(FLOOR_ROWS):
        insert_one(n)
    elapsed = time.perf_counter() - started
    print(f"BENCH core.{name}.floor.one_row_transaction {FLOOR_ROWS / elapsed:.0f} tx/s")


def sqlite_floor(workdir: Path) -> None:
    connection = sqlite3.connect(workdir / "floor.sqlite", isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        connection.execute(f"PRAGMA {pragma}")
    connection.execute("CREATE TABLE row (id INTEGER PRIMARY KEY, value TEXT NOT NULL)")

    def insert_one(n: int) -> None:
        connection.execute("BEGIN")
        connection.execute("INSERT INTO row (id, value) VALUES (?, ?)", (n, "x"))
        connection.execute("COMMIT")

    floor_rate("sqlite", insert_one)
    connection.close()


def postgres_floor(url: str) -> None:
    with psycopg.connect(url) as connection:
        connection.execute("CREATE TABLE floor_row (id integer PRIMARY KEY, value text NOT NULL)")
        connection.commit()

        def insert_one(n: int) -> None:
            with connection.transaction():
                connection.execute("INSERT INTO floor_row (id, value) VALUES (%s, %s)", (n, "x"))

        floor_rate("postgresql", insert_one)


class OfflineRequest(BaseRequest):
    """Answers the one call Application.initialize makes (getMe) without a network."""

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = None,
        write_timeout: object = None,
        connect_timeout: object = None,
        pool_timeout: object = None,
    ) -> tuple[int, bytes]:
        me = {"id": 123456, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
        return 200, json.dumps({"ok": True, "result": me}).encode()


async def bench_ptb_baseline(messages: int) -> None:
    from telegram import Update
    from telegram.ext import Application as PtbApplication
    from telegram.ext import MessageHandler, filters

    application = (
        PtbApplication.builder()
        .token("123456:benchmark")
        .request(OfflineRequest())
        .get_updates_request(OfflineRequest())
        .updater(None)
        .build()
    )
    await application.initialize()

    async def noop(update: Update, context: object) -> None:
        return None

    application.add_handler(MessageHandler(filters.ALL, noop))
    updates = []
    for i in range(messages):
        text = SCRIPT[i % len(SCRIPT)]
        data = {
            "update_id": i + 1,
            "message": {
                "message_id": i + 1,
                "date": 1_700_000_000,
                "chat": {"id": 1000 + i // len(SCRIPT), "type": "private"},
                "from": {
                    "id": 1000 + i // len(SCRIPT),
                    "is_bot": False,
                    "first_name": "M",
                    "language_code": "fr",
                },
                "text": text,
                **(
                    {"entities": [{"type": "bot_command", "offset": 0, "length": len(text)}]}
                    if text.startswith("/")
                    else {}
                ),
            },
        }
        updates.append(Update.de_json(data, application.bot))
    for update in updates[:200]:
        await application.process_update(update)
    latencies: list[float] = []
    started = time.perf_counter()
    for update in updates:
        begin = time.perf_counter()
        await application.process_update(update)
        latencies.append(time.perf_counter() - begin)
    report("baseline.ptb.process_update", latencies, time.perf_counter() - started)


async def profile(part: str, workdir: Path) -> None:
    app = build_application(settings(f"sqlite:///{workdir / 'profile.sqlite'}"))
    polls = await prepare(app)
    messages = {
        "ignored": group_messages,
        "ballot": lambda: ballots(polls),
        "onboarding": lambda: onboarding(1_000_000),
    }[part]()
    profiler = cProfile.Profile()
    profiler.enable()
    latencies, elapsed = await timed(messages, app)
    profiler.disable()
    report(f"core.sqlite.profiled.{part}", latencies, elapsed)
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    app.close()


async def bench(engines: list[str], workdir: Path) -> None:
    if "sqlite" in engines:
        app = build_application(settings(f"sqlite:///{workdir / 'bench.sqlite'}"))
        try:
            await measure("sqlite", app)
        finally:
            app.close()
        sqlite_floor(workdir)
    if "postgresql" in engines:
        with scratch_database(DATABASE) as url:
            if url is not None:
                app = build_application(settings(url), upgrade_database=True)
                try:
                    await measure("postgresql", app)
                finally:
                    app.close()
                postgres_floor(libpq(url))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--profile", choices=["ignored", "ballot", "onboarding"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        if args.profile:
            asyncio.run(profile(args.profile, Path(workdir)))
            return
        engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
        asyncio.run(bench(engines, Path(workdir)))
    asyncio.run(bench_ptb_baseline(ONBOARDING_MEMBERS * len(SCRIPT)))


if __name__ == "__main__":
    main()
