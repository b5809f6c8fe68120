"""Three `chapterbot run` processes on one PostgreSQL database, as a deployment runs them:
Telegram webhook updates behind a round-robin load balancer, one Synapse, one leader for
the clock, the Matrix sync loop and the outbox; the leader killed in the middle of a
fan-out, and another one takes over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.storage.database import Database
from bot.storage.models import Schedule, utcnow
from bot.storage.schedules import ScheduleRepository
from tests.adapters.matrix import conftest as matrix_fixtures
from tests.adapters.matrix.human import Human, body_of
from tests.adapters.telegram import conftest as telegram_fixtures
from tests.support.cluster import Balancer, BotProcess, cluster, environment, free_port, upgrade
from tests.support.fake_telegram import Chat, FakeTelegram
from tests.support.postgres import throwaway_database
from tests.support.processes import queue_broadcast
from tests.support.synapse import Synapse

# The adapters' fixtures (their conftests sit in sibling folders): this module gets its own
# homeserver, started once, when it runs.
no_telegram_environment = telegram_fixtures.no_telegram_environment  # autouse
synapse = matrix_fixtures.synapse

PROCESSES = 3
RECIPIENTS = 2000
TIMEOUT = 60.0


@pytest.fixture
def database_url() -> Iterator[str]:
    with throwaway_database() as url:
        yield url


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server
    server.check()


@pytest.fixture
async def balancer() -> AsyncIterator[Balancer]:
    front = Balancer([free_port() for _ in range(PROCESSES)])
    await front.start()
    yield front
    await front.stop()


async def wait_for(condition, what: str, timeout: float = TIMEOUT):  # type: ignore[no-untyped-def]
    async def poll():  # type: ignore[no-untyped-def]
        while not (result := condition()):
            await asyncio.sleep(0.05)
        return result

    try:
        return await asyncio.wait_for(poll(), timeout)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}") from None


async def all_listening(fake: FakeTelegram, processes: list[BotProcess]) -> BotProcess:
    """Every process set the webhook (its server listens); returns the leader."""
    await wait_for(
        lambda: (
            len(fake.calls_of("setWebhook")) >= len(processes)
            or any(not p.alive for p in processes)
        ),
        "every process listening",
    )
    assert all(p.alive for p in processes), [p.log[-2000:] for p in processes if not p.alive]
    leaders = await wait_for(lambda: [p for p in processes if p.leads], "a leader")
    assert len(leaders) == 1
    return leaders[0]


def answers(fake: FakeTelegram, chat: Chat) -> list[str]:
    return [m.get("text", "") for m in fake.bot_messages(chat)]


async def test_a_burst_in_one_chat_is_answered_in_order_across_processes(
    fake: FakeTelegram,
    balancer: Balancer,
    database_url: str,
    tmp_path: Path,
    locales_dir: Path,
    cache_dir: Path,
) -> None:
    env = environment(database_url, fake, balancer, tmp_path, locales_dir, cache_dir)
    upgrade(env)
    async with cluster(PROCESSES, env, balancer, tmp_path) as processes:
        await all_listening(fake, processes)
        ann = fake.person("Ann", language_code="en")
        chat = fake.private_chat(ann)
        fake.say(ann, "/help", chat)
        await wait_for(lambda: answers(fake, chat), "the answer to /help")
        before = len(answers(fake, chat))
        burst = [f"/c{n}" for n in range(1, 31)]
        for text in burst:
            fake.say(ann, text, chat)
        await wait_for(lambda: len(answers(fake, chat)) >= before + len(burst), "every answer")
        said = answers(fake, chat)[before:]
        assert said == [
            f"I don't know the command {text}. Send /help to see what I can do." for text in burst
        ]
        # Each process took its share of the burst.
        assert sorted(balancer.routed) == sorted(p.port for p in processes)


async def test_the_leader_killed_during_a_fan_out_another_one_finishes_it(
    fake: FakeTelegram,
    balancer: Balancer,
    synapse: Synapse,
    database_url: str,
    tmp_path: Path,
    locales_dir: Path,
    cache_dir: Path,
) -> None:
    bot_account, person = synapse.register(), synapse.register()
    env = environment(
        database_url,
        fake,
        balancer,
        tmp_path,
        locales_dir,
        cache_dir,
        synapse=(synapse, bot_account),
        TELEGRAM_MESSAGES_PER_SECOND="200",  # the fan-out takes seconds, not a minute
    )
    upgrade(env)
    human = Human(synapse.url, person)
    await human.start()
    try:
        await fan_out_with_a_kill(fake, balancer, env, human, bot_account.user_id, tmp_path)
    finally:
        await human.stop()


async def fan_out_with_a_kill(
    fake: FakeTelegram,
    balancer: Balancer,
    env: dict[str, str],
    human: Human,
    bot_id: str,
    tmp_path: Path,
) -> None:
    database_url = env["CHAPTERBOT_DATABASE_URL"]
    async with cluster(PROCESSES, env, balancer, tmp_path) as processes:
        leader = await all_listening(fake, processes)
        # Matrix: only the leader syncs; it answers in a direct chat.
        room = await human.direct_chat(bot_id)
        await human.say(room, "!help")
        await human.expect(room, bot_id, "What I can do")
        # The clock: a reminder, due once another process leads.
        ann = fake.person("Ann", language_code="en")
        ann_chat = fake.private_chat(ann)
        fake.say(ann, "/remind tomorrow at 18:00 Water the plants", ann_chat)
        await wait_for(lambda: any("remind you" in t for t in answers(fake, ann_chat)), "ok")
        # A broadcast to 2,000 members, queued as a firing queues it.
        people = [fake.private_chat(fake.person(f"M{n}")) for n in range(RECIPIENTS)]
        database = Database(database_url)
        try:
            queue_broadcast(database, [chat.id for chat in people], "Assembly on Sunday")

            def delivered() -> int:
                return sum(1 for chat in people if chat.bot_message_ids)

            await wait_for(lambda: delivered() >= RECIPIENTS // 5, "the fan-out under way")
            await leader.kill()
            assert delivered() < RECIPIENTS, "the fan-out ended before the leader was killed"
            successor = await wait_for(
                lambda: [p for p in processes if p.leads], "another leader", timeout=10
            )
            assert successor[0] is not leader
            await wait_for(lambda: delivered() == RECIPIENTS, "every recipient")
            twice = sum(len(chat.bot_message_ids) for chat in people) - RECIPIENTS
            assert twice <= 1, f"{twice} messages sent twice (one was in flight)"
            assert {text for c in people for text in answers(fake, c)} == {"Assembly on Sunday"}
            # The clock runs on the new leader.
            with database.session() as session:
                reminder = session.exec(select(Schedule).where(Schedule.kind == "reminder")).one()
                reminder.next_at = utcnow() + timedelta(seconds=1)
                ScheduleRepository(session).save(reminder)
            await wait_for(
                lambda: any("Water the plants" in t and "⏰" in t for t in answers(fake, ann_chat)),
                "the reminder",
            )
        finally:
            database.dispose()
        # The Matrix sync goes on from the stored token: the next message is answered, and
        # the first one not again.
        await human.say(room, "!help")
        await human.expect(room, bot_id, "What I can do")
        helps = [e for e in human.from_user(room, bot_id)
                 if "What I can do" in body_of(e)]  # fmt: skip
        assert len(helps) == 2
