"""Quick polls through the whole core: creating, voting, results, closing, reminders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.app import Application
from bot.core.events import PollVote
from bot.core.outgoing import ClosePoll, Poll
from bot.scheduling.clock import Clock
from bot.storage.models import Ballot, PollRecord, Schedule, utcnow
from tests.handlers.test_chapters import meet_organizers, request_brussels
from tests.support.harness import Harness

GROUP = "brussels-chat"


def tick(app: Application, now: datetime) -> int:
    """One tick of the clock at `now`."""
    return Clock.for_router(app.services, app.dispatcher.router).fire_due(now)


def the_poll(bot: Harness) -> PollRecord:
    with bot.app.services.database.session() as session:
        return session.exec(select(PollRecord)).one()


def ballots(bot: Harness) -> list[Ballot]:
    with bot.app.services.database.session() as session:
        return list(session.exec(select(Ballot)))


async def linked_group(bot: Harness, *members: str) -> None:
    """Brussels's group chat, with Olga (organizer) and the given accepted members."""
    await meet_organizers(bot)
    await bot.say_in_group("/link Brussels", member="olga", chat=GROUP)
    for name in members:
        await bot.onboard(name, place="Antwerpen")
        await request_brussels(bot, name)
        question = await bot.inbox("olga")
        await bot.press(question.messages[-1].body.prompt_id, "accept", member="olga")
        await bot.inbox(name)  # the welcome, read


@pytest.mark.parametrize(
    ("lang", "command"),
    [
        ("en", "/poll Where do we meet? | Ghent | Brussels | multiple | closes friday 18:00"),
        ("fr", "/poll On se retrouve où ? | ferme vendredi 18h | Gand | Bruxelles | plusieurs"),
        ("nl", "/poll Waar spreken we af? | meerdere | Gent | Brussel | sluit vrijdag om 18u"),
    ],
)
async def test_a_poll_in_one_message_with_settings_in_any_order(
    chapters_bot: Harness, lang: str, command: str
) -> None:
    bot = chapters_bot
    await bot.onboard("ann", lang, place="Brussels")
    reply = await bot.say_in_group(command, member="ann", chat=GROUP, lang=lang)
    polls = [m.body for m in reply.messages if isinstance(m.body, Poll)]
    assert len(polls) == 1 and polls[0].multiple
    assert len(polls[0].options) == 2
    poll = the_poll(bot)
    assert poll.multiple and not poll.anonymous and poll.closes_at is not None
    assert poll.closes_at.weekday() == 4  # a Friday
    # The group speaks the organization's language (English here), whoever writes.
    assert "closes Friday" in reply.text


@pytest.mark.parametrize(
    ("command", "refusal"),
    [
        ("/poll Only one? | yes", "at least two options"),
        ("/poll Too many? | " + " | ".join(str(i) for i in range(11)), "at most ten"),
        ("/poll Twice? | Yes | yes", "the same"),
        ("/poll  | a | b", "needs a question"),
        ("/poll Past? | a | b | closes yesterday", "already passed"),
        (
            "/poll Odd? | a | b | closes whenever the cows come home",
            "don't understand the deadline",
        ),
        ("/poll " + "x" * 301 + " | a | b", "too long"),
    ],
)
async def test_bad_polls_are_refused_with_the_reason(
    chapters_bot: Harness, command: str, refusal: str
) -> None:
    bot = chapters_bot
    reply = await bot.say_in_group(command, member="ann", chat=GROUP)
    assert refusal in reply.text
    with bot.app.services.database.session() as session:
        assert session.exec(select(PollRecord)).all() == []


async def test_polls_are_for_group_chats(chapters_bot: Harness) -> None:
    reply = await chapters_bot.say("/poll Where? | a | b")
    assert "group chat" in reply.text


async def test_votes_by_number_or_natively_one_ballot_per_member(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await bot.say_in_group("/poll Where? | Ghent | Brussels | Lille", member="ann", chat=GROUP)
    poll = the_poll(bot)
    assert (await bot.say_in_group("2", member="ann", chat=GROUP)).messages == []
    await bot.say_in_group("brussels", member="bob", chat=GROUP)
    await bot.say_in_group("I think 3 is nicer", member="cat", chat=GROUP)  # not a vote
    await bot.send(PollVote(poll_id=poll.id, option_keys=("0",), **bot._common("ann", None, GROUP)))
    results = await bot.say_in_group("/results", member="cat", chat=GROUP)
    assert "2 people voted" in results.text
    assert "50%" in results.text
    named = sorted((b.member_id is not None, b.choices) for b in ballots(bot))
    assert named == [(True, [0]), (True, [1])]  # Ann's second vote replaced her first
    # A vote taken back on the platform (an empty answer) removes the ballot.
    await bot.send(PollVote(poll_id=poll.id, option_keys=(), **bot._common("ann", None, GROUP)))
    assert len(ballots(bot)) == 1


async def test_anonymous_ballots_name_nobody_and_count_once(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await bot.onboard("ann")
    await bot.say_in_group("/poll Secret? | yes | no | anonymous", member="ann", chat=GROUP)
    reply = await bot.say_in_group("1", member="ann", chat=GROUP)
    assert "anonymous" in reply.text and ballots(bot) == []  # not typed in the open
    poll = the_poll(bot)
    vote = bot._common("ann", None, GROUP)
    assert (await bot.send(PollVote(poll_id=poll.id, option_keys=("0",), **vote))).messages == []
    reply = await bot.send(PollVote(poll_id=poll.id, option_keys=("1",), **vote))
    assert "already voted" in reply.text
    assert [(b.member_id, b.choices) for b in ballots(bot)] == [(None, [0])]
    # Erasing her data keeps an anonymous ballot counted.
    forget = await bot.say("/forget", member="ann")
    await bot.say(forget.option_number("erase"), member="ann")
    assert [(b.member_id, b.choices) for b in ballots(bot)] == [(None, [0])]


async def test_a_named_ballot_goes_with_a_member_who_forgets(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await bot.onboard("ann")
    await bot.say_in_group("/poll Named? | yes | no", member="ann", chat=GROUP)
    await bot.say_in_group("1", member="ann", chat=GROUP)
    forget = await bot.say("/forget", member="ann")
    await bot.say(forget.option_number("erase"), member="ann")
    assert ballots(bot) == []


async def test_hidden_results_stay_hidden_until_close(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await linked_group(bot)
    reply = await bot.say_in_group("/poll Hidden? | a | b | hidden", member="olga", chat=GROUP)
    [body] = [m.body for m in reply.messages if isinstance(m.body, Poll)]
    assert body.hidden and not body.anonymous  # adapters keep native tallies out of sight
    await bot.say_in_group("1", member="pia", chat=GROUP)
    reply = await bot.say_in_group("/results", member="pia", chat=GROUP)
    assert "when the poll closes" in reply.text and "100%" not in reply.text
    reply = await bot.say_in_group("/closepoll", member="pia", chat=GROUP)
    assert "Only the poll's author" in reply.text
    await bot.say_in_group("/closepoll", member="olga", chat=GROUP)
    posted = await bot.inbox(chat=GROUP)
    assert isinstance(posted.messages[0].body, ClosePoll)
    assert "100%" in posted.text and "This poll is closed" in posted.text
    reply = await bot.say_in_group("2", member="pia", chat=GROUP)
    assert "closed" in reply.text
    assert len(ballots(bot)) == 1


async def test_the_deadline_closes_the_poll_even_after_a_restart(chapters_bot: Harness) -> None:
    from bot.app import build_application

    bot = chapters_bot
    await bot.say_in_group("/poll Soon? | a | b | 48h", member="ann", chat=GROUP)
    deadline = the_poll(bot).closes_at
    assert deadline is not None
    deadline = deadline.replace(tzinfo=UTC)
    assert tick(bot.app, deadline - timedelta(seconds=1)) == 0
    # The bot restarts (a new application on the same database) and was down at the deadline.
    restarted = build_application(bot.app.services.settings)
    try:
        assert tick(restarted, deadline + timedelta(hours=1)) == 1
    finally:
        restarted.close()
    assert the_poll(bot).closed_at is not None
    assert "This poll is closed" in (await bot.inbox(chat=GROUP)).text
    assert tick(bot.app, deadline + timedelta(days=3)) == 0


async def test_the_deadline_closes_the_poll_within_seconds_and_closing_by_hand_ends_it(
    chapters_bot: Harness,
) -> None:
    bot = chapters_bot
    await bot.say_in_group("/poll Soon? | a | b | closes in 2 hours", member="ann", chat=GROUP)
    deadline = the_poll(bot).closes_at
    assert deadline is not None
    assert tick(bot.app, deadline.replace(tzinfo=UTC) + timedelta(seconds=1)) == 1
    assert the_poll(bot).closed_at is not None
    await bot.say_in_group("/poll Later? | a | b | 48h", member="ann", chat=GROUP)
    await bot.say_in_group("/closepoll", member="ann", chat=GROUP)
    with bot.app.services.database.session() as session:
        deadlines = session.exec(select(Schedule).where(Schedule.kind == "poll.deadline")).all()
    assert [d.status for d in deadlines] == ["done", "done"]
    assert tick(bot.app, utcnow() + timedelta(days=3)) == 0


async def test_reminders_reach_members_who_have_not_voted_once(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await linked_group(bot, "nina", "omar")
    await bot.say_in_group("/poll Meet on Monday? | yes | no", member="olga", chat=GROUP)
    await bot.say_in_group("1", member="nina", chat=GROUP)
    reply = await bot.say_in_group("/pollremind", member="olga", chat=GROUP)
    assert "reminded 2 members" in reply.text  # Olga and Omar; Nina voted
    assert (await bot.inbox("nina")).messages == []
    reminder = await bot.inbox("omar")
    assert "waiting for your vote" in reminder.text
    reply = await bot.say("2", member="omar")  # typed in the private chat
    assert "counted" in reply.text
    reply = await bot.say_in_group("/pollremind", member="olga", chat=GROUP)
    assert "less than a day ago" in reply.text  # once a day per poll
    with bot.app.services.database.session() as session:
        poll = session.exec(select(PollRecord)).one()
        poll.reminded_at = utcnow() - timedelta(days=2)
        session.add(poll)
    reply = await bot.say_in_group("/pollremind", member="olga", chat=GROUP)
    assert "reminded 0 members" in reply.text  # and once per member and poll
    results = await bot.say_in_group("/results", member="olga", chat=GROUP)
    assert "2 people voted" in results.text


async def test_one_poll_in_every_chat_of_the_chapter(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await linked_group(bot)
    await bot.say_in_group("/link Brussels", member="olga", chat="brussels-2")
    reply = await bot.say_in_group("/poll Where? | a | b", member="olga", chat=GROUP)
    reply = await bot.say_in_group(reply.option_number("all"), member="olga", chat=GROUP)
    assert any(isinstance(m.body, Poll) for m in reply.messages)
    other = await bot.inbox(chat="brussels-2")
    assert any(isinstance(m.body, Poll) for m in other.messages)
    await bot.say_in_group("1", member="pia", chat=GROUP)
    await bot.say_in_group("2", member="quin", chat="brussels-2")
    reply = await bot.say_in_group("/results chats", member="olga", chat="brussels-2")
    assert "2 people voted" in reply.text and "Each chat's share" in reply.text
    reply = await bot.say_in_group("/polls", member="olga", chat="brussels-2")
    assert "Where?" in reply.text


async def test_a_poll_step_by_step(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await bot.onboard("ann", "fr")
    await bot.say_in_group("/poll", member="ann", chat=GROUP, lang="fr")
    await bot.say_in_group("Quel jour ?", member="ann", chat=GROUP, lang="fr")
    await bot.say_in_group("lundi\nmardi\njeudi", member="ann", chat=GROUP, lang="fr")
    await bot.say_in_group("1, 2", member="ann", chat=GROUP, lang="fr")
    reply = await bot.say_in_group("dans 2 jours", member="ann", chat=GROUP, lang="fr")
    polls = [m.body for m in reply.messages if isinstance(m.body, Poll)]
    assert polls and polls[0].question == "Quel jour ?"
    poll = the_poll(bot)
    assert poll.options == ["lundi", "mardi", "jeudi"]
    assert poll.multiple and poll.anonymous and poll.closes_at is not None


async def test_the_author_s_words_are_shown_as_written(chapters_bot: Harness) -> None:
    bot = chapters_bot
    reply = await bot.say_in_group(
        "/poll Fish & <b>chips</b>? | yes & no | <i>maybe</i>", member="ann", chat=GROUP
    )
    [poll] = [m.body for m in reply.messages if isinstance(m.body, Poll)]
    assert poll.question == "Fish &amp; &lt;b&gt;chips&lt;/b&gt;?"  # markup-safe
    assert "Fish & <b>chips</b>?" in reply.text  # and shown as typed
    assert the_poll(bot).question == "Fish & <b>chips</b>?"  # stored as typed


async def test_a_private_vote_by_code(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await bot.say_in_group("/poll Secret? | yes | no | anonymous", member="ann", chat=GROUP)
    code = the_poll(bot).id
    assert "Usage: /vote" in (await bot.say("/vote", member="bob")).text
    assert "no poll with the code" in (await bot.say("/vote nope 1", member="bob")).text
    assert "Usage: /vote" in (await bot.say(f"/vote {code} 7", member="bob")).text
    assert "counted" in (await bot.say(f"/vote {code} 2", member="bob")).text
    assert "already voted" in (await bot.say(f"/vote {code} 1", member="bob")).text
    assert [(b.member_id, b.choices) for b in ballots(bot)] == [(None, [1])]
    reply = await bot.say_in_group(f"/vote {code} 1", member="bob", chat=GROUP)
    assert "private conversation" in reply.text  # never in the group


async def test_private_votes_leave_no_trace_of_the_voter_s_chat(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await linked_group(bot)
    await bot.say_in_group("/link Brussels", member="olga", chat="brussels-2")
    reply = await bot.say_in_group(
        "/poll Secret? | yes | no | anonymous", member="olga", chat=GROUP
    )
    await bot.say_in_group(reply.option_number("all"), member="olga", chat=GROUP)
    code = the_poll(bot).id
    await bot.send(
        PollVote(poll_id=code, option_keys=("1",), **bot._common("quin", None, "brussels-2"))
    )
    for voter, number in (("pia", "1"), ("rob", "2"), ("sam", "1")):
        assert "counted" in (await bot.say(f"/vote {code} {number}", member=voter)).text
    # Every private ballot counts under the poll's first chat; none names a private one.
    keys = sorted(b.chat_key for b in ballots(bot))
    assert keys == [
        "test:brussels-2",
        "test:brussels-chat",
        "test:brussels-chat",
        "test:brussels-chat",
    ]
    assert all(b.member_id is None for b in ballots(bot))
    reply = await bot.say_in_group("/results chats", member="olga", chat=GROUP)
    assert "4 people voted" in reply.text
    shares = [line for line in reply.text.splitlines() if line.startswith("•")]
    assert len(shares) == 2 and not any("dm-" in line for line in shares)


async def test_a_closed_poll_says_so_once_per_member(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await linked_group(bot)
    await bot.say_in_group("/poll Done? | yes | no", member="olga", chat=GROUP)
    await bot.say_in_group("/closepoll", member="olga", chat=GROUP)
    assert "closed" in (await bot.say_in_group("1", member="pia", chat=GROUP)).text
    for answer in ("1", "yes", "2"):
        assert (await bot.say_in_group(answer, member="pia", chat=GROUP)).messages == []
    assert "closed" in (await bot.say_in_group("yes", member="quin", chat=GROUP)).text
    assert (await bot.say_in_group("no", member="quin", chat=GROUP)).messages == []


async def test_only_organizers_remind_and_not_too_often(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await linked_group(bot, "nina", "omar")
    await bot.say_in_group("/poll Mine? | yes | no", member="nina", chat=GROUP)
    reply = await bot.say_in_group("/pollremind", member="nina", chat=GROUP)
    assert "Only the chapter's organizers" in reply.text  # its author is no organizer
    assert (await bot.inbox("omar")).messages == []
    assert (
        "reminded 3 members"
        in (await bot.say_in_group("/pollremind", member="olga", chat=GROUP)).text
    )
    reply = await bot.say_in_group("/pollremind", member="olga", chat=GROUP)
    assert "less than a day ago" in reply.text
    await bot.say_in_group("/poll Second? | yes | no", member="olga", chat=GROUP)
    assert "reminded" in (await bot.say_in_group("/pollremind", member="olga", chat=GROUP)).text
    await bot.say_in_group("/poll Third? | yes | no", member="olga", chat=GROUP)
    reply = await bot.say_in_group("/pollremind", member="olga", chat=GROUP)
    assert "already reminded of 2 polls today" in reply.text
    assert len((await bot.inbox("omar")).messages) == 2  # two reminders, not three
