"""Drain pace: a broadcast queued for 5,000 members, sent against the fake Bot API that
enforces Telegram's flood limits (429 past them), by one and by three processes on one
PostgreSQL database (Applications with their own engines; only the leader drains).

Baselines in the same run: the configured limit itself, and a bare python-telegram-bot loop
sending as fast as the same rate limiter lets it (no database, no outbox). Goal: ≥ 95 % of
the limit, zero 429s. `--rate` sets the limit (Telegram's 30 a second by default; a bot
allowed paid broadcasts may go higher), `--recipients` the broadcast's size.

Run with `make bench` (or `.venv/bin/python benchmarks/bench_drain.py`). Figures are printed
as `BENCH <name> <value> <unit>`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from telegram.ext import ExtBot

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the fake lives in tests/support

from bot.adapters.telegram.ratelimit import Limits, TelegramRateLimiter  # noqa: E402
from bot.config import DEMO_ORG_FILE, Settings, default_locales_dir  # noqa: E402
from bot.storage import migrate  # noqa: E402
from bot.storage.database import Database  # noqa: E402
from tests.support.fake_telegram import FakeTelegram  # noqa: E402
from tests.support.fake_telegram.flood import FloodControl  # noqa: E402
from tests.support.postgres import throwaway_database  # noqa: E402
from tests.support.processes import queue_broadcast, telegram_processes  # noqa: E402


def report(name: str, sent: int, elapsed: float, rate: float, refused: int) -> None:
    pace = sent / elapsed
    print(f"BENCH drain.{name}.pace {pace:.1f} msg/s")
    print(f"BENCH drain.{name}.share_of_limit {100 * pace / rate:.1f} %")
    print(f"BENCH drain.{name}.refused_429 {refused} count")


async def bare_loop(recipients: int, rate: float) -> None:
    """python-telegram-bot alone, through the same limiter: the floor of what a sender does."""
    async with FakeTelegram() as fake:
        fake.flood = flood = FloodControl(overall_per_second=rate)
        chats = [fake.private_chat(fake.person(f"M{n}")) for n in range(recipients)]
        limiter = TelegramRateLimiter(Limits(overall_per_second=rate))
        bot = ExtBot(fake.token, base_url=f"{fake.url}/bot", rate_limiter=limiter)
        await bot.initialize()
        try:
            started = time.perf_counter()
            for chat in chats:
                await bot.send_message(chat.id, "Assembly on Sunday")
            elapsed = time.perf_counter() - started
        finally:
            await bot.shutdown()
        report("baseline_bare_ptb", recipients, elapsed, rate, flood.refusals)


async def drained_by(count: int, recipients: int, rate: float) -> None:
    with throwaway_database() as url:
        database = Database(url)
        migrate.upgrade(database)
        settings = Settings(
            database_url=url,
            org_file=DEMO_ORG_FILE,
            locales_dir=default_locales_dir(),
            cache_dir=None,
        )
        async with FakeTelegram() as fake:
            fake.flood = flood = FloodControl(overall_per_second=rate)
            chats = [fake.private_chat(fake.person(f"M{n}")) for n in range(recipients)]
            limits = Limits(overall_per_second=rate)
            async with telegram_processes(settings, fake, count, limits=limits):
                queue_broadcast(database, [chat.id for chat in chats], "Assembly on Sunday")
                started = time.perf_counter()
                while flood.accepted < recipients:
                    await asyncio.sleep(0.01)
                elapsed = time.perf_counter() - started
        database.dispose()
        report(f"processes_{count}", recipients, elapsed, rate, flood.refusals)


async def main(recipients: int, rate: float) -> None:
    print(f"BENCH drain.baseline_configured_limit {rate:.1f} msg/s")
    await bare_loop(recipients, rate)
    await drained_by(1, recipients, rate)
    await drained_by(3, recipients, rate)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=30.0)
    args = parser.parse_args()
    asyncio.run(main(args.recipients, args.rate))
