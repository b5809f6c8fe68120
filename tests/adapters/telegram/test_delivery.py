"""Sending: flood limits, blocked members, refused messages, network trouble, polls, invite
links, long texts, the stored outbox, and a token that never reaches the logs."""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

import pytest
from telegram.error import InvalidToken

from bot.adapters.telegram import TelegramAdapter
from bot.adapters.telegram.config import TelegramConfig
from bot.app import Application
from bot.core.events import ChatRef, ChoiceMade, Incoming, MemberJoined, PollVote
from bot.core.outbox import DeliveryFailed
from bot.core.outgoing import Choice, Invite, Option, Outgoing, Poll, Text
from bot.storage.members import MemberRepository
from bot.storage.models import Delivery
from bot.storage.outbox import OutboxStore
from tests.adapters.telegram.conftest import texts
from tests.support.fake_telegram import FakeTelegram, Person

# python-telegram-bot itself warns when it builds a RetryAfter (its retry_after type changes).
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)


def to(person_or_chat: Person | Any, body: Any, **extra: Any) -> Outgoing:
    return Outgoing(ChatRef("telegram", str(person_or_chat.id)), body, **extra)


def unreachable(app: Application, person: Person) -> bool:
    with app.services.database.session() as session:
        found = MemberRepository(session).find_by_identity("telegram", str(person.id))
        return found is not None and found[1].unreachable_at is not None


@pytest.fixture
def events(telegram_app: Application, monkeypatch: pytest.MonkeyPatch) -> list[Incoming]:
    seen: list[Incoming] = []
    handle = telegram_app.dispatcher.handle

    async def recording(incoming: Incoming, outbox: Any) -> None:
        seen.append(incoming)
        await handle(incoming, outbox)

    monkeypatch.setattr(telegram_app.dispatcher, "handle", recording)
    return seen


async def test_a_flood_wait_is_waited_out(fake: FakeTelegram, talk: Any) -> None:
    ann = talk(fake.person("Ann", language_code="en"))
    fake.fail("sendMessage", 429, retry_after=1)
    started = time.monotonic()
    answer = await ann.say("/help")
    assert "What I can do" in texts(answer)
    assert time.monotonic() - started >= 1.0
    attempts = fake.calls_of("sendMessage")
    assert [c.error.code if c.error else 200 for c in attempts] == [429, 200]


async def test_a_member_who_blocked_the_bot_is_marked_and_not_retried(
    fake: FakeTelegram, talk: Any, adapter: TelegramAdapter, telegram_app: Application
) -> None:
    ann = fake.person("Ann")
    await talk(ann).say("/help")  # Ann is a member now
    fake.block_bot(ann, tell_the_bot=False)  # only a 403 will tell
    with telegram_app.services.database.session() as session:
        OutboxStore(session).enqueue(to(ann, Text("A reminder for you")))
    assert adapter.drainer is not None
    adapter.drainer.wake()
    await fake.wait_for(lambda: unreachable(telegram_app, ann), what="Ann marked unreachable")
    await fake.wait_for(lambda: delivery_status(telegram_app) == "failed", what="dropped")
    sends = [c for c in fake.calls_of("sendMessage") if c.error]
    assert [c.error.code for c in sends if c.error] == [403], "retried a blocked member"


def delivery_status(app: Application) -> str | None:
    with app.services.database.session() as session:
        row = session.get(Delivery, 1)
        return row.status if row else None


async def test_blocking_the_bot_is_noticed_without_sending(
    fake: FakeTelegram, talk: Any, telegram_app: Application
) -> None:
    ann = fake.person("Ann")
    chat = talk(ann)
    await chat.say("/help")
    await chat.handled(fake.block_bot(ann))
    assert unreachable(telegram_app, ann)


async def test_a_reply_refused_for_good_is_not_retried(
    fake: FakeTelegram, talk: Any, telegram_app: Application
) -> None:
    ann = fake.person("Ann")
    await talk(ann).say("/help")
    fake.fail("sendMessage", 403)
    assert await talk(ann).say("/start") == []
    assert unreachable(telegram_app, ann)
    assert len([c for c in fake.calls_of("sendMessage") if c.error]) == 1


async def test_a_refused_message_is_logged_with_method_and_id(
    fake: FakeTelegram, adapter: TelegramAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    ann = fake.person("Ann")
    fake.private_chat(ann)
    fake.fail("sendMessage", 400, "Bad Request: chat not found")
    message = to(ann, Text("Hello"))
    assert adapter.outbox is not None
    with pytest.raises(DeliveryFailed) as failure:
        await adapter.outbox.send(message)
    assert failure.value.permanent
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("sendMessage" in line and message.id in line for line in logged), logged


async def test_network_errors_are_retried(fake: FakeTelegram, adapter: TelegramAdapter) -> None:
    ann = fake.person("Ann")
    chat = fake.private_chat(ann)
    fake.fail("sendMessage", 502, "Bad Gateway", times=2)
    assert adapter.outbox is not None
    await adapter.outbox.send(to(ann, Text("Still there")))
    assert [m["text"] for m in fake.bot_messages(chat)] == ["Still there"]
    assert len(fake.calls_of("sendMessage")) == 3


async def test_broken_markup_still_reaches_the_member(
    fake: FakeTelegram, adapter: TelegramAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    ann = fake.person("Ann")
    chat = fake.private_chat(ann)
    fake.allow_error("can't parse entities")
    assert adapter.outbox is not None
    await adapter.outbox.send(to(ann, Text("5 < 6 & <blink>so</blink>")))
    assert [m["text"] for m in fake.bot_messages(chat)] == ["5 < 6 & so"]
    assert "can't parse entities" in caplog.text.lower()


async def test_long_text_is_split_at_paragraphs(
    fake: FakeTelegram, adapter: TelegramAdapter
) -> None:
    ann = fake.person("Ann")
    chat = fake.private_chat(ann)
    paragraphs = [f"<b>Part {n}</b> " + "word " * 350 for n in range(4)]
    assert adapter.outbox is not None
    await adapter.outbox.send(to(ann, Text("\n\n".join(paragraphs))))
    sent = fake.bot_messages(chat)
    assert len(sent) == 2
    assert sent[0]["text"].startswith("Part 0") and sent[1]["text"].startswith("Part 2")
    assert all(e["type"] == "bold" for m in sent for e in m["entities"])


async def test_polls_are_native_and_votes_come_back(
    fake: FakeTelegram, adapter: TelegramAdapter, events: list[Incoming], talk: Any
) -> None:
    ann, bo = fake.person("Ann"), fake.person("Bo")
    group = fake.group("Ghent", {ann: "creator", bo: "member"})
    await talk(ann, group).handled(fake.add_bot(ann, group))
    poll = Poll(
        "poll-7",
        "Where do we meet?",
        (Option("cafe", "Café <b>Bar</b>"), Option("library", "Library")),
    )
    assert adapter.outbox is not None
    await adapter.outbox.send(to(group, poll))
    message = fake.bot_messages(group)[-1]
    assert message["poll"]["is_anonymous"] is False
    assert [o["text"] for o in message["poll"]["options"]] == ["Café Bar", "Library"]
    await talk(bo, group).handled(fake.vote(bo, message, [1]))
    votes = [e for e in events if isinstance(e, PollVote)]
    assert len(votes) == 1
    assert votes[0].poll_id == "poll-7" and votes[0].option_keys == ("library",)
    assert votes[0].chat == ChatRef("telegram", str(group.id))
    assert votes[0].sender is not None and votes[0].sender.user_id == str(bo.id)


async def test_an_invite_is_a_one_time_link(
    fake: FakeTelegram, adapter: TelegramAdapter, events: list[Incoming], talk: Any
) -> None:
    ann, bo, eve = fake.person("Ann"), fake.person("Bo"), fake.person("Eve")
    fake.private_chat(bo)  # Bo has talked to the bot before: it may write to him
    group = fake.group("Ghent", {ann: "creator"})
    await talk(ann, group).handled(fake.add_bot(ann, group, as_admin=True))
    invite = Invite(
        "Welcome! Here is your way into the chapter chat.",
        ChatRef("telegram", str(group.id)),
        str(bo.id),
        "Join the chat",
    )
    assert adapter.outbox is not None
    await adapter.outbox.send(to(bo, invite))
    message = fake.bot_messages(fake.private_chat(bo))[-1]
    button = message["reply_markup"]["inline_keyboard"][0][0]
    assert button["text"] == "Join the chat"
    created = fake.calls_of("createChatInviteLink")[-1].params
    assert created["member_limit"] == 1 and created["chat_id"] == group.id
    await talk(bo, group).handled(fake.join_by_link(bo, button["url"]))
    assert [e.member.user_id for e in events if isinstance(e, MemberJoined)] == [str(bo.id)]
    with pytest.raises(AssertionError, match="used up"):
        fake.join_by_link(eve, button["url"])


async def test_without_admin_rights_an_invite_becomes_words_for_the_member(
    fake: FakeTelegram, adapter: TelegramAdapter, talk: Any
) -> None:
    ann, bo = fake.person("Ann"), fake.person("Bo")
    await talk(bo).say("/help")  # Bo has a private chat with the bot
    group = fake.group("Ghent", {ann: "creator"})
    await talk(ann, group).handled(fake.add_bot(ann, group))  # a plain member of the group
    fake.allow_error("not enough rights")
    invite = Invite("Welcome", ChatRef("telegram", str(group.id)), str(bo.id), "Join")
    assert adapter.outbox is not None
    before = len(fake.bot_messages(fake.private_chat(bo)))
    await adapter.outbox.send(to(bo, invite))
    [said] = fake.bot_messages(fake.private_chat(bo))[before:]
    assert said["text"].startswith("Welcome") and "administrator" in said["text"]
    assert "reply_markup" not in said  # no link to press
    [refused] = fake.calls_of("createChatInviteLink")
    assert refused.error is not None


async def test_messages_for_other_chats_leave_through_the_stored_outbox(
    fake: FakeTelegram, adapter: TelegramAdapter, telegram_app: Application
) -> None:
    ann = fake.person("Ann")
    chat = fake.private_chat(ann)
    with telegram_app.services.database.session() as session:
        OutboxStore(session).enqueue(to(ann, Text("A notice for an organizer")))
    assert adapter.drainer is not None
    adapter.drainer.wake()
    await fake.wait_for(lambda: fake.bot_messages(chat), what="the stored message")
    assert fake.bot_messages(chat)[0]["text"] == "A notice for an organizer"
    await fake.wait_for(lambda: delivery_status(telegram_app) == "sent", what="marked sent")


async def test_the_token_never_reaches_the_logs(
    fake: FakeTelegram, telegram_app: Application, caplog: pytest.LogCaptureFixture, talk: Any
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # it logs every request's URL at INFO
    ann = talk(fake.person("Ann"))
    await ann.say("/help")
    fake.fail("sendMessage", 502, "Bad Gateway")
    await ann.say("/help")
    assert caplog.records, "nothing was logged at all"
    assert any("/bot" in r.getMessage() for r in caplog.records), "no URL was logged"
    assert fake.token not in caplog.text
    secret_part = fake.token.split(":")[1]
    assert secret_part not in caplog.text


async def test_a_long_prompt_id_still_fits_in_a_button(
    fake: FakeTelegram, adapter: TelegramAdapter, events: list[Incoming], talk: Any
) -> None:
    ann = fake.person("Ann")
    chat = talk(ann)
    prompt_id = "a-prompt-id-from-some-other-part-of-the-core-" + "x" * 40
    choice = Choice(prompt_id, "Which one?", (Option("a", "A"), Option("b", "B")))
    assert adapter.outbox is not None
    await adapter.outbox.send(to(ann, choice))
    data = [
        b["callback_data"]
        for row in chat.last_with_buttons()["reply_markup"]["inline_keyboard"]
        for b in row
    ]
    assert all(len(d.encode()) <= 64 for d in data)
    await chat.press("B")
    made = [e for e in events if isinstance(e, ChoiceMade)]
    assert [(e.prompt_id, e.indexes) for e in made] == [(prompt_id, (1,))]


async def test_a_wrong_token_stops_the_start_cleanly(
    fake: FakeTelegram, telegram_app: Application
) -> None:
    config = dataclasses.replace(
        TelegramConfig.load(telegram_app.services.settings), token="42:not-the-token"
    )
    adapter = TelegramAdapter(telegram_app, config)
    with pytest.raises(InvalidToken):
        await adapter.start()
    assert adapter.application is None
    assert fake.calls_of("getUpdates") == []
