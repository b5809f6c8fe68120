"""Reply latency on Telegram: `/help` through the whole adapter and core, over real HTTP.

Each bot talks to its own fake Bot API (tests/support/fake_telegram) by long polling:
  - telegram.help: chapterbot's Telegram adapter answering /help (core, storage, catalogs);
  - telegram.baseline_echo: a bare echo bot written directly with python-telegram-bot;
  - telegram.baseline_same_reply: a bare python-telegram-bot bot answering every message
    with the very text chapterbot's /help sends (HTML), so that the cost of sending a long
    message is not counted as chapterbot's.
All run at once and are sent their messages in turn, one to each, so that a machine whose
load changes during the run slows both alike. Latency is from the moment the fake makes the
update available to the moment the bot's answer reaches it. Messages are paced under
Telegram's limits (25 a second overall, from 20 members in turn), so that the figures are
latency and not the rate limiter's queue.

Run with `make bench` (or `.venv/bin/python benchmarks/bench_telegram.py`). Figures are
printed as `BENCH <name> <value> <unit>`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from telegram import Update
from telegram.ext import Application as PtbApplication
from telegram.ext import ContextTypes, MessageHandler, filters

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the fake lives in tests/support

from bot.adapters.telegram import create_adapter  # noqa: E402
from bot.app import build_application  # noqa: E402
from bot.config import DEMO_ORG_FILE, Settings, default_locales_dir  # noqa: E402
from tests.support.fake_telegram import FakeTelegram, Person  # noqa: E402

MEMBERS = 20
INTERVAL = 1 / 25  # seconds between messages: under Telegram's 30 a second


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def latency(fake: FakeTelegram, person: Person, text: str) -> float:
    """Send one message; the latency of its first answer."""
    chat = fake.private_chat(person)
    before = len(chat.bot_message_ids)
    started = time.perf_counter()
    fake.say(person, text)
    await fake.next_bot_message(chat, before)
    return time.perf_counter() - started


def report(name: str, latencies: list[float]) -> None:
    print(f"BENCH {name}.median {statistics.median(latencies) * 1000:.2f} ms")
    print(f"BENCH {name}.p95 {percentile(latencies, 0.95) * 1000:.2f} ms")


@asynccontextmanager
async def echo_bot(fake: FakeTelegram, reply: str | None = None) -> AsyncIterator[None]:
    """Echoes each text, or answers it with `reply` (HTML)."""
    application = (
        PtbApplication.builder()
        .token(fake.token)
        .base_url(f"{fake.url}/bot")
        .base_file_url(f"{fake.url}/file/bot")
        .job_queue(None)
        .build()
    )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None and message.text is not None
        if reply is None:
            await context.bot.send_message(message.chat_id, message.text)
        else:
            await context.bot.send_message(message.chat_id, reply, parse_mode="HTML")

    application.add_handler(MessageHandler(filters.TEXT, echo))
    await application.initialize()
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(timeout=30)
    try:
        yield
    finally:
        await application.updater.stop()
        await application.stop()
        await application.shutdown()


@asynccontextmanager
async def chapterbot(fake: FakeTelegram, workdir: Path) -> AsyncIterator[None]:
    settings = Settings(
        database_url=f"sqlite:///{workdir / 'bench.sqlite'}",
        org_file=DEMO_ORG_FILE,
        locales_dir=default_locales_dir(),
        cache_dir=None,
    )
    settings = dataclasses.replace(settings, telegram_token=fake.token, telegram_api_url=fake.url)
    app = build_application(settings)
    adapter = create_adapter(app)
    await adapter.start()
    try:
        yield
    finally:
        await adapter.stop()
        app.close()


async def help_text(fake: FakeTelegram, workdir: Path) -> str:
    """The HTML chapterbot's /help sends, as the fake received it."""
    person = fake.person("Reader", language_code="en")
    async with chapterbot(fake, workdir):
        await latency(fake, person, "/help")
    [answer] = fake.bot_messages(fake.private_chat(person))[-1:]
    return html_of(answer)


def html_of(message: dict) -> str:
    """A received message's text with its entities as HTML again (bold, links, code)."""
    from telegram import Message

    return Message.de_json(message, None).text_html  # type: ignore[arg-type]


async def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as workdir:
        async with FakeTelegram() as probe:
            reply = await help_text(probe, Path(workdir))
    async with FakeTelegram() as echo_fake, FakeTelegram() as same_fake, FakeTelegram() as bot_fake:
        fakes = (echo_fake, same_fake, bot_fake)
        people = [
            [fake.person(f"Member {n}", language_code="en") for n in range(MEMBERS)]
            for fake in fakes
        ]
        with tempfile.TemporaryDirectory() as workdir:
            async with (
                echo_bot(echo_fake),
                echo_bot(same_fake, reply),
                chapterbot(bot_fake, Path(workdir)),
            ):
                measured: tuple[list[float], ...] = ([], [], [])
                # A warm-up of one message per member (chapterbot creates them), then in turn.
                for number in range(MEMBERS + count):
                    for side, fake in enumerate(fakes):
                        elapsed = await latency(fake, people[side][number % MEMBERS], "/help")
                        if number >= MEMBERS:
                            measured[side].append(elapsed)
                        await asyncio.sleep(max(0.0, INTERVAL - elapsed))
        for fake in fakes:
            assert not fake.problems, fake.problems
    echo, same, helped = measured
    report("telegram.baseline_echo", echo)
    report("telegram.baseline_same_reply", same)
    report("telegram.help", helped)
    ratio = statistics.median(helped) / statistics.median(echo)
    print(f"BENCH telegram.help.median_vs_echo {ratio:.2f} x")
    ratio = statistics.median(helped) / statistics.median(same)
    print(f"BENCH telegram.help.median_vs_same_reply {ratio:.2f} x")
    print(f"# the same reply: {len(reply):,} characters of HTML")
    print(
        f"# {count} messages each, in turn; {MEMBERS} members each, "
        f"one message every {INTERVAL * 1000:.0f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=200)
    asyncio.run(main(parser.parse_args().messages))
