"""Groups: the bot added, command menus per language and scope, private-only commands, and
who moderates."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import Application
from bot.core.events import BotAdded, BotRemoved, CommandMessage, Incoming, MemberJoined, MemberLeft
from tests.adapters.telegram.conftest import texts
from tests.support.fake_telegram import FakeTelegram


@pytest.fixture
def events(telegram_app: Application, monkeypatch: pytest.MonkeyPatch) -> list[Incoming]:
    """Every neutral event the adapter hands to the core (the core still handles them)."""
    seen: list[Incoming] = []
    dispatcher = telegram_app.dispatcher
    handle = dispatcher.handle

    async def recording(incoming: Incoming, outbox: Any) -> None:
        seen.append(incoming)
        await handle(incoming, outbox)

    monkeypatch.setattr(dispatcher, "handle", recording)
    return seen


async def test_added_to_a_group_the_bot_greets_it_once(
    fake: FakeTelegram, talk: Any, events: list[Incoming]
) -> None:
    ann = fake.person("Ann", language_code="en")
    group = fake.group("Ghent chapter", {ann: "creator"})
    chat = talk(ann, group)
    update_id = fake.add_bot(ann, group)
    await chat.handled(update_id)
    said = chat.messages
    assert len(said) == 1, texts(said)
    assert "Common Ground" in said[0]["text"]
    added = [e for e in events if isinstance(e, BotAdded)]
    assert len(added) == 1
    assert added[0].title == "Ghent chapter" and added[0].chat_kind == "group"
    assert added[0].chat.chat_id == str(group.id)
    assert added[0].sender is not None and added[0].sender.user_id == str(ann.id)

    await chat.handled(fake.remove_bot(ann, group))
    assert [e for e in events if isinstance(e, BotRemoved)]
    assert len(chat.messages) == 1  # nothing said on leaving (and it could not be)


async def test_members_joining_and_leaving_become_events(
    fake: FakeTelegram, talk: Any, events: list[Incoming]
) -> None:
    ann, bo = fake.person("Ann"), fake.person("Bo", username="bo")
    group = fake.group("Ghent chapter", {ann: "creator"})
    chat = talk(ann, group)
    await chat.handled(fake.add_bot(ann, group))
    await chat.handled(fake.join(bo, group))
    joined = [e for e in events if isinstance(e, MemberJoined)]
    assert [(e.member.user_id, e.member.handle) for e in joined] == [(str(bo.id), "@bo")]
    group.members[bo.id] = "left"
    await chat.handled(
        fake.push_update("message", fake._user_message(bo, group, left_chat_member=bo.json()))
    )
    assert [e.member.user_id for e in events if isinstance(e, MemberLeft)] == [str(bo.id)]


async def test_menus_per_language_and_scope(fake: FakeTelegram, adapter: Any) -> None:
    private_nl = fake.commands["all_private_chats", "nl"]
    assert {"start", "help", "mydata", "forget"} <= {c["command"] for c in private_nl}
    help_nl = next(c["description"] for c in private_nl if c["command"] == "help")
    assert help_nl == "Wat ik kan doen"
    help_fr = next(
        c["description"] for c in fake.commands["all_private_chats", "fr"] if c["command"] == "help"
    )
    assert help_fr == "Ce que je peux faire"
    default = fake.commands_for("all_private_chats")
    assert default == fake.commands_for("all_private_chats", "en")
    for language in ("", "en", "fr", "nl"):
        in_groups = fake.commands_for("all_group_chats", language)
        assert "help" in in_groups
        assert not {"start", "mydata", "forget"} & set(in_groups), "private-only in a group menu"


async def test_a_private_command_in_a_group_points_to_the_private_chat(
    fake: FakeTelegram, talk: Any
) -> None:
    ann = fake.person("Ann", language_code="fr")
    group = fake.group("Bruxelles", {ann: "member"})
    chat = talk(ann, group)
    await chat.handled(fake.add_bot(ann, group))
    answer = await chat.say("/mydata@chapter_test_bot")
    assert len(answer) == 1
    button = answer[0]["reply_markup"]["inline_keyboard"][0][0]
    assert button["url"] == "https://t.me/chapter_test_bot?start=mydata"
    # A group speaks its own language (here the organization's default), not the member's.
    assert button["text"] == "Open a private conversation"
    assert "private conversation" in answer[0]["text"]

    # Following the link, Telegram sends "/start mydata" in the private chat.
    private = await talk(ann).say("/start mydata")
    assert private and "reply_markup" in private[-1]


async def test_commands_for_another_bot_are_ignored(fake: FakeTelegram, talk: Any) -> None:
    ann = fake.person("Ann")
    group = fake.group("Ghent", {ann: "member"})
    chat = talk(ann, group)
    await chat.handled(fake.add_bot(ann, group))
    assert await chat.say("/help@some_other_bot") == []
    assert await chat.say("/help@chapter_test_bot")


async def test_group_administrators_are_moderators(
    fake: FakeTelegram, talk: Any, events: list[Incoming]
) -> None:
    ann, bo = fake.person("Ann"), fake.person("Bo")
    group = fake.group("Ghent", {ann: "administrator", bo: "member"})
    await talk(ann, group).handled(fake.add_bot(ann, group))
    await talk(ann, group).say("/help")
    await talk(ann, group).say("/help")
    await talk(bo, group).say("/help")
    await talk(bo).say("/help")  # in private: no moderator check at all
    commands = [e for e in events if isinstance(e, CommandMessage)]
    assert [c.chat_moderator for c in commands] == [True, True, False, False]
    # Asked once per member and cached, not on every command.
    asked = [c.params["user_id"] for c in fake.calls_of("getChatMember")]
    assert asked == [ann.id, bo.id]


async def test_unreadable_messages_get_a_polite_answer(fake: FakeTelegram, talk: Any) -> None:
    ann = talk(fake.person("Ann", language_code="en"))
    await ann.say("/start")
    await ann.press("English")
    before = len(ann.messages)
    await ann.handled(fake.send_sticker(ann.person))
    said = ann.messages[before:]
    assert len(said) == 2
    assert "only read text" in said[0]["text"]
    assert "call you" in said[1]["text"]  # and the open question is asked again


async def test_only_the_asked_member_answers_a_question_in_a_group(
    fake: FakeTelegram, talk: Any, events: list[Incoming]
) -> None:
    """Bo pressing Ann's buttons changes nothing: no redrawn keyboard, no answer stamped on
    her question, nothing for the core; he alone is told, in his language."""
    ann = fake.person("Ann", language_code="en")
    bo = fake.person("Bo", language_code="fr")
    group = fake.group("Ghent", {ann: "member", bo: "member"})
    ann_here, bo_here = talk(ann, group), talk(bo, group)
    await ann_here.handled(fake.add_bot(ann, group))
    await ann_here.say("/poll")
    await ann_here.say("Where do we meet?")
    [settings] = await ann_here.say("Ghent | Brussels")
    assert "Any settings?" in settings["text"]
    edits = len(fake.calls_of("editMessageReplyMarkup")) + len(fake.calls_of("editMessageText"))
    before = len(events)

    for button in ("Anonymous", "None of these"):
        update_id = fake.press(bo, settings, button)
        await bo_here.handled(update_id)
        answer = fake.answer_to_press(update_id)
        assert (
            answer is not None
            and answer.get("text") == "Cette question s’adresse à quelqu’un d’autre."
        )
    assert len(events) == before  # the core never heard of Bo's presses
    assert (
        len(fake.calls_of("editMessageReplyMarkup")) + len(fake.calls_of("editMessageText"))
        == edits
    )

    update_id = fake.press(ann, settings, "Anonymous")
    await ann_here.handled(update_id)
    assert not (fake.answer_to_press(update_id) or {}).get("text")
    [redrawn] = fake.calls_of("editMessageReplyMarkup")
    labels = [b["text"] for row in redrawn.params["reply_markup"]["inline_keyboard"] for b in row]
    assert "✅ Anonymous" in labels
