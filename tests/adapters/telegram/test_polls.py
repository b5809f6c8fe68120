"""Quick polls on Telegram, played by people in a group through the fake: a named poll is
Telegram's own (not anonymous: each vote reaches the bot as a poll_answer), stopped with
stopPoll; an anonymous one is a message with buttons whose presses are confirmed to the presser
alone, counted once per member, and name nobody."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from bot.adapters.telegram import TelegramAdapter
from bot.core.events import ChatRef
from bot.core.outgoing import ClosePoll, Option, Outgoing, Poll
from tests.adapters.telegram.conftest import Json, Talk, buttons, texts
from tests.support.fake_telegram import Chat, FakeTelegram, Person


@dataclass
class Group:
    chat: Chat
    ann: Person  # creates the polls
    bo: Person
    cy: Person

    @property
    def people(self) -> list[Person]:
        return [self.ann, self.bo, self.cy]


@pytest.fixture
async def group(fake: FakeTelegram, talk: Any) -> Group:
    """A group chat linked to no chapter (polls work in any group), with the bot in it."""
    ann = fake.person("Annelore", language_code="en", username="annelore")
    bo = fake.person("Bohumil", language_code="en", username="bohumil")
    cy = fake.person("Cyriaque", language_code="fr")
    chat = fake.group("Poll club", {ann: "creator", bo: "member", cy: "member"})
    await talk(ann, chat).handled(fake.add_bot(ann, chat))
    return Group(chat, ann, bo, cy)


async def new_messages(fake: FakeTelegram, chat: Chat, before: int, count: int) -> list[Json]:
    """Wait until the bot has sent `count` more messages in `chat` (through the outbox)."""
    await fake.wait_for(
        lambda: len(chat.bot_message_ids) >= before + count,
        what=f"{count} message(s) from the bot in chat {chat.id}",
    )
    return fake.bot_messages(chat)[before:]


async def press(fake: FakeTelegram, talk: Talk, message: Json, button: str) -> str | None:
    """Press a poll button; returns what the bot answered the presser (None: no text)."""
    update_id = fake.press(talk.person, message, button)
    await talk.handled(update_id)
    answer = fake.answer_to_press(update_id)
    assert answer is not None, "the press was never answered"
    return answer.get("text")


def shown_now(fake: FakeTelegram, chat: Chat, message: Json) -> Json:
    """The bot's `message` as the group sees it now."""
    return next(m for m in fake.bot_messages(chat) if m["message_id"] == message["message_id"])


def said_since(fake: FakeTelegram, first_call: int) -> str:
    """Every text the bot sent, edited or answered with since call number `first_call`."""
    said = []
    for call in fake.calls[first_call:]:
        params = call.params
        said += [str(params.get(name, "")) for name in ("text", "question")]
        said += [str(option) for option in params.get("options", [])]
        markup = params.get("reply_markup") or {}
        said += [b.get("text", "") for row in markup.get("inline_keyboard", []) for b in row]
    return "\n".join(said)


# -- a named poll: Telegram's own ---------------------------------------------------------------


async def test_a_named_poll_is_native_counts_each_member_once_and_is_stopped_by_its_author(
    fake: FakeTelegram, talk: Any, group: Group
) -> None:
    ann, bo, cy = (talk(p, group.chat) for p in group.people)
    sent = await ann.say("/poll Where do we meet? | Ghent | Brussels")
    [poll_message] = [m for m in sent if "poll" in m]
    [call] = fake.calls_of("sendPoll")
    assert call.params["chat_id"] == group.chat.id
    assert call.params["question"] == "Where do we meet?"
    assert call.params["options"] == [{"text": "Ghent"}, {"text": "Brussels"}]
    # Not anonymous: otherwise Telegram would never say who voted, and nobody could be held
    # to one ballot.
    assert call.params["is_anonymous"] is False
    assert call.params.get("allows_multiple_answers", False) is False
    assert poll_message["poll"]["is_anonymous"] is False

    await bo.handled(fake.vote(group.bo, poll_message, [0]))
    await cy.handled(fake.vote(group.cy, poll_message, [1]))
    results = await cy.say("/results")
    assert "2 people voted" in texts(results)
    assert "50%" in texts(results)

    # Bo takes his vote back in the app: his ballot goes.
    await bo.handled(fake.retract_vote(group.bo, poll_message))
    results = await bo.say("/results")
    assert "1 person voted" in texts(results)
    assert "100%" in texts(results)

    # Only the author (or the chapter's organizers) may close it.
    refused = await bo.say("/closepoll")
    assert "Only the poll's author" in texts(refused)
    assert fake.calls_of("stopPoll") == []

    before = len(group.chat.bot_message_ids)
    await ann.say("/closepoll")
    [posted] = await new_messages(fake, group.chat, before, 1)
    [stop] = fake.calls_of("stopPoll")
    assert stop.error is None
    assert stop.params == {"chat_id": group.chat.id, "message_id": poll_message["message_id"]}
    assert fake.polls[poll_message["poll"]["id"]].is_closed
    assert "Where do we meet?" in posted["text"]
    assert "1 person voted" in posted["text"] and "This poll is closed" in posted["text"]
    # The stop came before the results.
    assert fake.calls.index(stop) < next(
        i
        for i, c in enumerate(fake.calls)
        if c.method == "sendMessage" and "This poll is closed" in c.params.get("text", "")
    )


async def test_several_answers_are_one_ballot_in_a_native_poll(
    fake: FakeTelegram, talk: Any, group: Group
) -> None:
    ann, bo = talk(group.ann, group.chat), talk(group.bo, group.chat)
    sent = await ann.say("/poll Which days? | Mon | Tue | Wed | multiple")
    [poll_message] = [m for m in sent if "poll" in m]
    [call] = fake.calls_of("sendPoll")
    assert call.params["is_anonymous"] is False
    assert call.params["allows_multiple_answers"] is True
    await bo.handled(fake.vote(group.bo, poll_message, [0, 2]))
    results = texts(await bo.say("/results"))
    assert "1 person voted" in results
    assert results.count("50%") == 2  # Mon and Wed, one vote each


# -- an anonymous poll: buttons -----------------------------------------------------------------


async def test_an_anonymous_poll_is_buttons_counted_once_per_member_naming_nobody(
    fake: FakeTelegram, talk: Any, group: Group
) -> None:
    ann, bo, cy = (talk(p, group.chat) for p in group.people)
    first_call = len(fake.calls)
    sent = await ann.say("/poll Secret? | yes | no | anonymous")
    assert fake.calls_of("sendPoll") == [], "a native anonymous poll tells nobody who voted"
    [poll_message] = [m for m in sent if m.get("reply_markup")]
    assert poll_message["text"].startswith("📊 Secret?")
    assert buttons(poll_message) == ["yes", "no"]
    data = [
        b["callback_data"] for row in poll_message["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert all(len(d.encode()) <= 64 for d in data)
    assert len(set(data)) == 2

    before = len(group.chat.bot_message_ids)
    assert await press(fake, bo, poll_message, "yes") == "Your vote is counted."
    assert await press(fake, cy, poll_message, "no") == "Your vote is counted."
    # A second press by Bo is refused (anonymous ballots cannot be found again to replace
    # them), and said to him alone.
    second = await press(fake, bo, poll_message, "no")
    assert second is not None and "already voted" in second
    [refusal] = [
        c.params for c in fake.calls_of("answerCallbackQuery") if c.params.get("text") == second
    ]
    assert refusal.get("show_alert") is True
    # The presses said nothing to the group, and the poll's message stays as it was.
    assert len(group.chat.bot_message_ids) == before
    assert shown_now(fake, group.chat, poll_message) == poll_message

    results = texts(await cy.say("/results"))
    assert "2 people voted" in results
    assert results.count("50%") == 2

    # The author closes it: the buttons go, the results follow.
    before = len(group.chat.bot_message_ids)
    await ann.say("/closepoll")
    [posted] = await new_messages(fake, group.chat, before, 1)
    assert "2 people voted" in posted["text"] and "This poll is closed" in posted["text"]
    assert fake.calls_of("stopPoll") == []
    [removed] = fake.calls_of("editMessageReplyMarkup")
    assert removed.error is None
    assert removed.params["message_id"] == poll_message["message_id"]
    assert "reply_markup" not in shown_now(fake, group.chat, poll_message)
    assert shown_now(fake, group.chat, poll_message)["text"] == poll_message["text"]

    # Nothing the bot sent, edited or answered named anybody.
    said = said_since(fake, first_call)
    for person in group.people:
        assert person.first_name not in said
        assert not person.username or person.username not in said


async def test_an_anonymous_multiple_choice_is_selected_privately_then_cast(
    fake: FakeTelegram, talk: Any, group: Group
) -> None:
    ann, bo = talk(group.ann, group.chat), talk(group.bo, group.chat)
    sent = await ann.say("/poll Which days? | Mon | Tue | Wed | anonymous | multiple")
    [poll_message] = [m for m in sent if m.get("reply_markup")]
    assert buttons(poll_message) == ["Mon", "Tue", "Wed", "Done"]
    calls = len(fake.calls)

    # Each press shows Bo, and only him, what he has selected; the keyboard never changes.
    assert await press(fake, bo, poll_message, "Mon") == "✅ Mon"
    assert await press(fake, bo, poll_message, "Tue") == "✅ Mon, Tue"
    assert await press(fake, bo, poll_message, "Wed") == "✅ Mon, Tue, Wed"
    assert await press(fake, bo, poll_message, "Tue") == "✅ Mon, Wed"
    assert {c.method for c in fake.calls[calls:]} - {"getUpdates"} == {"answerCallbackQuery"}
    assert await press(fake, bo, poll_message, "Done") == "Your vote is counted."

    # Nothing selected: "Done" casts nothing.
    cy = talk(group.cy, group.chat)
    assert await press(fake, cy, poll_message, "Done") is None

    results = texts(await ann.say("/results"))
    assert "1 person voted" in results
    assert results.count("50%") == 2  # Mon and Wed

    again = await press(fake, bo, poll_message, "Tue")
    assert again == "✅ Tue"
    refused = await press(fake, bo, poll_message, "Done")
    assert refused is not None and "already voted" in refused
    assert "1 person voted" in texts(await ann.say("/results"))


async def test_closing_is_done_once_and_only_where_the_poll_was_posted(
    fake: FakeTelegram, adapter: TelegramAdapter, group: Group
) -> None:
    assert adapter.outbox is not None
    chat = ChatRef("telegram", str(group.chat.id))
    calls = len(fake.calls)
    await adapter.outbox.send(Outgoing(chat, ClosePoll("pNeverSent")))
    assert [c.method for c in fake.calls[calls:]] == []

    poll = Poll("pTwice", "Twice?", (Option("0", "a"), Option("1", "b")))
    await adapter.outbox.send(Outgoing(chat, poll))
    await adapter.outbox.send(Outgoing(chat, ClosePoll("pTwice")))
    # Closed already (by a deadline and by hand at once, say): Telegram refuses, and that
    # is no failure to deliver.
    fake.allow_error("poll has already been closed")
    await adapter.outbox.send(Outgoing(chat, ClosePoll("pTwice")))
    first, second = fake.calls_of("stopPoll")
    assert first.error is None and second.error is not None
