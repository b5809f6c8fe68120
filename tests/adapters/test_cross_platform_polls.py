"""One application, one database, both platforms at once: the Telegram adapter against the fake
Bot API and the Matrix adapter against a real Synapse. Brussels has an organizer on each
platform; each links a chat (a Telegram group, a Matrix room). A poll created in the Telegram
group and posted in all of the chapter's chats is native on both sides, and the votes from
both are one tally."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.adapters.matrix import MatrixAdapter
from bot.adapters.telegram import TelegramAdapter, create_adapter
from bot.app import Application, build_application
from bot.core.events import ChatRef
from bot.storage.conversations import ConversationRepository
from bot.storage.models import Chapter, PollRecord
from bot.storage.polls import PollRepository
from tests.adapters.matrix import conftest as matrix_fixtures
from tests.adapters.matrix.conftest import READY_TIMEOUT, StartHuman
from tests.adapters.matrix.human import Human, body_of
from tests.adapters.telegram import conftest as telegram_fixtures
from tests.adapters.telegram.conftest import Talk, buttons, texts
from tests.conftest import make_settings
from tests.support.fake_telegram import Chat, FakeTelegram, Person
from tests.support.organizations import CHAPTERS_ORG
from tests.support.synapse import RegisteredUser, Synapse

TIMEOUT = 20.0
QUESTION = "Where do we meet?"

# The adapters' own fixtures, made visible here (their conftests sit in sibling folders). A
# session-scoped fixture defined in two places is two fixtures: this module gets its own
# homeserver, started once, when it runs.
fake = telegram_fixtures.fake
no_telegram_environment = telegram_fixtures.no_telegram_environment  # autouse
synapse = matrix_fixtures.synapse
start_human = matrix_fixtures.start_human


# -- one application on both platforms --------------------------------------------------------


@dataclass
class Both:
    app: Application
    telegram: TelegramAdapter
    matrix: MatrixAdapter
    matrix_bot: str  # the bot's Matrix ID


@dataclass
class Cast:
    """The organizers of Brussels, one per platform (both named in the organization file)."""

    olga: Person  # on Telegram
    marc: RegisteredUser  # on Matrix


@pytest.fixture
def cast(fake: FakeTelegram, synapse: Synapse) -> Cast:
    return Cast(
        olga=fake.person("Olga", language_code="en", username="olga_bxl"),
        marc=synapse.register(),
    )


def write_org(folder: Path, cast: Cast) -> Path:
    """The chapters organization, with Brussels organized from Telegram and from Matrix."""
    one = 'organizers = ["test:olga"]'
    assert CHAPTERS_ORG.count(one) == 1
    both = f'organizers = ["telegram:{cast.olga.id}", "matrix:{cast.marc.user_id}"]'
    path = folder / "organization.toml"
    path.write_text(CHAPTERS_ORG.replace(one, both), encoding="utf-8")
    return path


@pytest.fixture
async def both(
    fake: FakeTelegram,
    synapse: Synapse,
    cast: Cast,
    tmp_path: Path,
    locales_dir: Path,
    cache_dir: Path,
) -> AsyncIterator[Both]:
    account = synapse.register()
    settings = dataclasses.replace(
        make_settings(f"sqlite:///{tmp_path / 'bot.sqlite'}", locales_dir, cache_dir),
        org_file=write_org(tmp_path, cast),
        telegram_token=fake.token,
        telegram_api_url=fake.url,
        matrix_homeserver=synapse.url,
        matrix_user=account.user_id,
        matrix_password=account.password,
    )
    app = build_application(settings)
    telegram = create_adapter(app)
    telegram.network_backoff = 0.01
    matrix = MatrixAdapter(app)
    started: list[TelegramAdapter | MatrixAdapter] = []
    try:
        await telegram.start()
        started.append(telegram)
        await matrix.start()
        started.append(matrix)
        await asyncio.wait_for(matrix.ready.wait(), READY_TIMEOUT)
        yield Both(app, telegram, matrix, account.user_id)
    finally:
        for adapter in reversed(started):
            await adapter.stop()
        app.close()


# -- helpers ----------------------------------------------------------------------------------


async def eventually(condition: Callable[[], Any], what: str, timeout: float = TIMEOUT) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.02)
    return result


def brussels_chats(app: Application) -> set[ChatRef]:
    with app.services.database.session() as session:
        chapter = session.exec(select(Chapter).where(Chapter.name == "Brussels")).one()
        linked = ConversationRepository(session).linked_chats(chapter.id)
        return {ChatRef(c.platform, c.chat_id) for c in linked}


def tally(app: Application) -> tuple[Counter[int], int, dict[str, Counter[int]]]:
    with app.services.database.session() as session:
        poll = session.exec(select(PollRecord)).one()
        return PollRepository(session).tally(poll)


async def telegram_group_linked(
    fake: FakeTelegram, both: Both, olga: Person, *members: Person
) -> Chat:
    """Olga adds the bot to a Telegram group of hers (as an administrator) and links it."""
    people = {olga: "creator"} | dict.fromkeys(members, "member")
    group = fake.group("Brussels on Telegram", people)
    in_group = Talk(fake, both.telegram, olga, group)
    await in_group.handled(fake.add_bot(olga, group, as_admin=True))
    assert "/link" in texts(in_group.messages)
    linked = await in_group.say("/link")
    assert texts(linked) == (
        "This chat is now the chat of Brussels. New members will be invited here."
    )
    return group


async def matrix_room_linked(both: Both, marc: Human, ben: Human) -> str:
    """Marc creates a room, invites the bot and Ben, and links it with !link."""
    room = await marc.create_room([both.matrix_bot, ben.user_id])
    await marc.expect_membership(room, both.matrix_bot, "join")
    await ben.client.join(room)
    await marc.expect_membership(room, ben.user_id, "join")
    await marc.expect(room, both.matrix_bot, "Hello! I'm the assistant of Common Ground.")
    await marc.say(room, "!link")
    await marc.expect(
        room,
        both.matrix_bot,
        "This chat is now the chat of Brussels. New members will be invited here.",
    )
    return room


# -- the test -----------------------------------------------------------------------------------


async def test_a_poll_posted_in_all_chapter_chats_is_native_on_both_platforms_with_one_tally(
    fake: FakeTelegram,
    start_human: StartHuman,
    synapse: Synapse,
    both: Both,
    cast: Cast,
) -> None:
    # Brussels gets a Telegram group and a Matrix room, each linked by its own organizer.
    bo = fake.person("Bohumil", language_code="en")
    cy = fake.person("Cyriaque", language_code="fr")
    group = await telegram_group_linked(fake, both, cast.olga, bo, cy)
    marc = await start_human(synapse, cast.marc)
    ben = await start_human(synapse)
    room = await matrix_room_linked(both, marc, ben)
    assert brussels_chats(both.app) == {
        ChatRef("telegram", str(group.id)),
        ChatRef("matrix", room),
    }

    # Olga starts a poll in the Telegram group; with two chats, she is asked where it goes.
    olga = Talk(fake, both.telegram, cast.olga, group)
    asked = await olga.say(f"/poll {QUESTION} | Ghent | Brussels")
    assert texts(asked) == "Post this poll here only, or in every chat of Brussels?"
    assert buttons(asked[-1]) == ["Here only", "In all 2 chats of the chapter"]
    assert fake.calls_of("sendPoll") == []
    posted = await olga.press("In all 2 chats of the chapter")

    # Native in the Telegram group: Telegram's own poll, not anonymous.
    [poll_message] = [m for m in posted if "poll" in m]
    [send_poll] = fake.calls_of("sendPoll")
    assert send_poll.params["chat_id"] == group.id
    assert send_poll.params["question"] == QUESTION
    assert send_poll.params["options"] == [{"text": "Ghent"}, {"text": "Brussels"}]
    assert send_poll.params["is_anonymous"] is False

    # Native in the Matrix room: an m.poll.start from the bot.
    start = await marc.expect(room, both.matrix_bot, event_type="m.poll.start")
    stable = start["content"]["m.poll"]
    assert stable["question"] == {"m.text": [{"body": QUESTION}]}
    assert stable["answers"] == [
        {"m.id": "0", "m.text": [{"body": "Ghent"}]},
        {"m.id": "1", "m.text": [{"body": "Brussels"}]},
    ]
    assert (stable["kind"], stable["max_selections"]) == ("m.disclosed", 1)

    # Two people vote on Telegram, one on Matrix.
    await olga.handled(fake.vote(bo, poll_message, [0]))  # Ghent
    await olga.handled(fake.vote(cy, poll_message, [1]))  # Brussels
    await ben.answer_poll(room, start["event_id"], ["1"])  # Brussels
    await eventually(lambda: tally(both.app)[1] == 3, "three ballots")
    counts, ballots, per_chat = tally(both.app)
    assert (counts, ballots) == (Counter({0: 1, 1: 2}), 3)
    assert per_chat == {
        f"telegram:{group.id}": Counter({0: 1, 1: 1}),
        f"matrix:{room}": Counter({1: 1}),
    }

    # One tally, whichever chat asks.
    on_telegram = texts(await olga.say("/results"))
    assert QUESTION in on_telegram
    assert "3 people voted." in on_telegram
    assert "33%" in on_telegram and "67%" in on_telegram
    assert "Each chat's share:" not in on_telegram

    await ben.say(room, "!results")
    on_matrix = body_of(await marc.expect(room, both.matrix_bot, "3 people voted."))
    assert QUESTION in on_matrix
    assert "33%" in on_matrix and "67%" in on_matrix
    assert "Each chat's share:" not in on_matrix

    # Each chat's share, on both platforms.
    shares = [
        "Each chat's share:",
        "• Brussels on Telegram (Telegram): Ghent 1 and Brussels 1",  # the group's title
        "• Matrix: Brussels 1",  # Matrix invitations carry no room name
    ]
    detailed = texts(await olga.say("/results chats"))
    assert "3 people voted." in detailed
    for line in shares:
        assert line in detailed.splitlines(), (line, detailed)

    await marc.say(room, "!results chats")
    detailed = body_of(await marc.expect(room, both.matrix_bot, "Each chat's share:"))
    assert "3 people voted." in detailed
    for line in shares:
        assert line in detailed.splitlines(), (line, detailed)

    # Nothing was posted twice.
    assert len(fake.calls_of("sendPoll")) == 1
    starts = [e for e in marc.timeline[room] if e.get("type") == "m.poll.start"]
    assert len(starts) == 1
