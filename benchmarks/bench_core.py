"""Core throughput: many members onboarding at once through the whole core on an SQLite file.

Baseline, measured in the same run: python-telegram-bot's Application.process_update
dispatching equivalent updates to a no-op handler, with no network. It shows what a
framework's dispatch alone costs on this machine; the core's figure adds storage, state,
languages and the gazetteer.

Run with `make bench`. Figures are printed as `BENCH <name> <value> <unit>`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from telegram.request import BaseRequest, RequestData

from bot.app import build_application
from bot.config import DEMO_ORG_FILE, Settings, default_locales_dir
from bot.core.events import ChatRef, CommandMessage, Incoming, Sender, TextMessage, parse_command

SCRIPT = ["/start", "2", "Amélie", "Bruxelles", "1", "1, 3", "1"]


class CountingOutbox:
    def __init__(self) -> None:
        self.count = 0

    async def send(self, message: object) -> None:
        self.count += 1


def incoming_for(member: int, text: str) -> Incoming:
    sender = Sender("bench", str(member), display_name=f"m{member}", language_hint="fr")
    common = {"chat": ChatRef("bench", f"dm-{member}"), "chat_kind": "direct", "sender": sender}
    command = parse_command(text)
    if command:
        return CommandMessage(name=command[0], args=command[1], **common)
    return TextMessage(text=text, **common)


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


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(name: str, latencies: list[float], elapsed: float) -> None:
    print(f"BENCH {name}.throughput {len(latencies) / elapsed:.0f} msg/s")
    print(f"BENCH {name}.p50 {statistics.median(latencies) * 1000:.3f} ms")
    print(f"BENCH {name}.p99 {percentile(latencies, 0.99) * 1000:.3f} ms")


async def bench_core(members: int, concurrency: int, workdir: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{workdir / 'bench.sqlite'}",
        org_file=DEMO_ORG_FILE,
        locales_dir=default_locales_dir(),
        cache_dir=None,
    )
    app = build_application(settings)
    outbox = CountingOutbox()
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def one_member(member: int) -> None:
        async with gate:
            for text in SCRIPT:
                started = time.perf_counter()
                await app.dispatcher.handle(incoming_for(member, text), outbox)
                latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(one_member(m) for m in range(20)))  # warm-up members
    latencies.clear()
    started = time.perf_counter()
    await asyncio.gather(*(one_member(m) for m in range(1000, 1000 + members)))
    elapsed = time.perf_counter() - started
    report("core.onboarding", latencies, elapsed)
    print(f"# core: {members} members x {len(SCRIPT)} messages, {outbox.count} replies")
    app.close()


async def bench_ptb_baseline(messages: int) -> None:
    from telegram import Update
    from telegram.ext import Application, MessageHandler, filters

    application = (
        Application.builder()
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
    latencies: list[float] = []
    for update in updates[:200]:
        await application.process_update(update)
    started = time.perf_counter()
    for update in updates:
        begin = time.perf_counter()
        await application.process_update(update)
        latencies.append(time.perf_counter() - begin)
    report("baseline.ptb.process_update", latencies, time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        asyncio.run(bench_core(args.members, args.concurrency, Path(workdir)))
    asyncio.run(bench_ptb_baseline(args.members * len(SCRIPT)))


if __name__ == "__main__":
    main()
