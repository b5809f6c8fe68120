"""Quick polls on a real homeserver: started with !poll, answered with the clients' own poll
responses (under both names), counted once per person, ended with m.poll.end."""

from __future__ import annotations

from collections import Counter

from sqlmodel import select

from bot.adapters.matrix.render import Renderer
from bot.adapters.matrix.store import PollStartRecord
from bot.app import Application
from bot.core.events import ChatRef, PollVote
from bot.core.outgoing import ClosePoll, Outgoing
from bot.storage.models import Ballot, PollRecord
from bot.storage.polls import PollRepository
from tests.adapters.matrix.conftest import Bot, StartBot, StartHuman
from tests.adapters.matrix.human import Human, body_of
from tests.support.synapse import Synapse


def the_poll(bot: Bot) -> PollRecord:
    with bot.app.services.database.session() as session:
        return session.exec(select(PollRecord)).one()


def tally(bot: Bot) -> tuple[Counter[int], int]:
    """(votes per option, ballots) as the core counts them."""
    with bot.app.services.database.session() as session:
        poll = PollRepository(session).get(the_poll(bot).id)
        assert poll is not None
        counts, ballots, _chats = PollRepository(session).tally(poll)
        return counts, ballots


async def group_room(bot: Bot, ann: Human, *others: Human) -> str:
    room = await ann.create_room([bot.user_id, *(o.user_id for o in others)])
    await ann.expect_membership(room, bot.user_id, "join")
    for other in others:
        await other.client.join(room)
        await ann.expect_membership(room, other.user_id, "join")
    await ann.expect(room, bot.user_id, "Hello! I'm the assistant of")
    return room


async def test_a_poll_is_answered_natively_changed_and_ended(
    synapse: Synapse, start_bot: StartBot, start_human: StartHuman
) -> None:
    bot = await start_bot(synapse)
    ann = await start_human(synapse)
    ben = await start_human(synapse)
    room = await group_room(bot, ann, ben)

    await ann.say(room, "!poll Where do we meet? | Ghent | Brussels")
    start = await ann.expect(room, bot.user_id, event_type="m.poll.start")
    content = start["content"]
    stable = content["m.poll"]
    assert stable["question"] == {"m.text": [{"body": "Where do we meet?"}]}
    assert stable["answers"] == [
        {"m.id": "0", "m.text": [{"body": "Ghent"}]},
        {"m.id": "1", "m.text": [{"body": "Brussels"}]},
    ]
    assert (stable["kind"], stable["max_selections"]) == ("m.disclosed", 1)
    unstable = content["org.matrix.msc3381.poll.start"]
    assert unstable["kind"] == "org.matrix.msc3381.poll.disclosed"
    assert [a["id"] for a in unstable["answers"]] == ["0", "1"]
    assert body_of(start) == "Where do we meet?\n1. Ghent\n2. Brussels"

    await ann.answer_poll(room, start["event_id"], ["0"])
    await ben.answer_poll(room, start["event_id"], ["1"], unstable=True)
    await ann.say(room, "!results")
    results = await ann.expect(room, bot.user_id, "2 people voted.")
    assert "Where do we meet?" in body_of(results)
    assert tally(bot) == (Counter({0: 1, 1: 1}), 2)
    votes = await bot.wait_for_count(PollVote, 2)
    assert {v.sender.user_id: v.option_keys for v in votes} == {
        ann.user_id: ("0",),
        ben.user_id: ("1",),
    }

    # Ben changes his mind: his answer replaces his vote, it is not a second one.
    await ben.answer_poll(room, start["event_id"], ["0"])
    await ann.say(room, "!results")
    await ann.expect(room, bot.user_id, "2 people voted.")
    assert tally(bot) == (Counter({0: 2}), 2)

    await ann.say(room, "!closepoll")
    end = await ann.expect(room, bot.user_id, event_type="m.poll.end")
    reference = {"rel_type": "m.reference", "event_id": start["event_id"]}
    assert end["content"]["m.relates_to"] == reference
    closed = bot.gettext("en", "This poll is closed.")
    assert end["content"]["m.text"] == [{"body": closed}]
    assert body_of(end) == closed
    assert "org.matrix.msc3381.poll.end" in end["content"]  # the start had the unstable form
    final = await ann.expect(room, bot.user_id, "2 people voted.")
    assert closed in body_of(final)
    assert the_poll(bot).closed_at is not None

    # An answer after the end is not counted (and the voter hears why).
    await ben.answer_poll(room, start["event_id"], ["1"], unstable=True)
    await ann.expect(room, bot.user_id, "This poll is closed: “Where do we meet?”.")
    assert tally(bot) == (Counter({0: 2}), 2)
    ends = [e for e in ann.timeline[room] if e.get("type") == "m.poll.end"]
    assert len(ends) == 1


async def test_an_anonymous_poll_is_answered_privately_and_ends_once_whatever_the_retries(
    synapse: Synapse, start_bot: StartBot, start_human: StartHuman
) -> None:
    bot = await start_bot(synapse)
    ann = await start_human(synapse)
    room = await group_room(bot, ann)

    # Matrix poll answers are room events anyone can read: an anonymous poll is announced in
    # the room and answered in each member's direct chat with the bot.
    await ann.say(room, "!poll Secret? | Yes | No | anonymous")
    notice = await ann.expect(room, bot.user_id, "Anonymous poll")
    code = the_poll(bot).id
    assert f"!vote {code}" in body_of(notice)
    assert "1. Yes" in body_of(notice) and "2. No" in body_of(notice)
    assert not [e for e in ann.timeline[room] if e.get("type") == "m.poll.start"]
    direct = await ann.direct_chat(bot.user_id)
    await ann.say(direct, f"!vote {code} 2")
    await ann.expect(direct, bot.user_id, "Thank you, your vote is counted.")
    await ann.say(direct, f"!vote {code} 1")
    await ann.expect(direct, bot.user_id, "You have already voted in this anonymous poll")
    assert tally(bot) == (Counter({1: 1}), 1)
    with bot.app.services.database.session() as session:
        assert [b.member_id for b in session.exec(select(Ballot))] == [None]

    # The same ClosePoll delivered twice (a retry) sends nothing: no m.poll.start to end.
    chat = ChatRef("matrix", room)
    close = Outgoing(chat, ClosePoll(the_poll(bot).id), id="close-once")
    await bot.adapter.outbox.send(close)
    await bot.adapter.outbox.send(close)
    await ann.say(room, "!polls")
    await ann.expect(room, bot.user_id, "1 open poll:")
    assert not [e for e in ann.timeline[room] if e.get("type") == "m.poll.end"]


def test_the_end_speaks_the_chat_language_and_mirrors_the_start_form(app: Application) -> None:
    renderer = Renderer(app.services.catalogs, "@chapterbot:example.org", ["poll"])
    stable_only = renderer.poll_end(PollStartRecord("$start", unstable=False), "fr")
    closed = app.services.catalogs.translator("fr").gettext("This poll is closed.")
    assert closed != "This poll is closed."
    assert stable_only.type == "m.poll.end"
    assert stable_only.content == {
        "m.relates_to": {"rel_type": "m.reference", "event_id": "$start"},
        "m.text": [{"body": closed}],
        "body": closed,
    }
    both = renderer.poll_end(PollStartRecord("$start", unstable=True), "fr")
    assert both.content["org.matrix.msc3381.poll.end"] == {}
    assert both.content["org.matrix.msc1767.text"] == closed
