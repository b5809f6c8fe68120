"""Chapters through the whole core: directory, joining, organizers, founding, chats, roles."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.core.outgoing import Choice, Invite
from bot.handlers.chapter_admin import pass_on_held_requests, remind_waiting_requests
from bot.storage.models import Chapter, Chat, JoinRequest, Membership, utcnow
from tests.support.harness import Harness, Reply

WORDS = {
    "en": {"asks": "asks to join", "welcome": "Welcome to", "accepted": "Accepted"},
    "fr": {"asks": "demande à rejoindre", "welcome": "Bienvenue", "accepted": "acceptée"},
    "nl": {"asks": "vraagt om lid te worden", "welcome": "Welkom", "accepted": "Geaccepteerd"},
}


async def meet_organizers(bot: Harness, lang: str = "en") -> None:
    """The organizers have talked to the bot once (that is how it can reach them)."""
    await bot.onboard("olga", lang)
    await bot.onboard("gert", "nl", place="Gent")
    await bot.onboard("admin", "en")


def chapter(bot: Harness, name: str) -> Chapter:
    with bot.app.services.database.session() as session:
        return session.exec(select(Chapter).where(Chapter.name == name)).one()


def members_of(bot: Harness, name: str) -> dict[str, str]:
    """display name → role"""
    from bot.storage.memberships import MembershipRepository

    with bot.app.services.database.session() as session:
        rows = MembershipRepository(session).members_of(chapter(bot, name).id)
        return {p.display_name or "": m.role for m, p in rows}


async def request_brussels(bot: Harness, who: str, lang: str = "en") -> None:
    reply = await bot.say("/chapters", member=who, lang=lang)
    reply = await bot.say(
        reply.option_number(f"chapter:{chapter(bot, 'Brussels').id}"), member=who, lang=lang
    )
    await bot.say(reply.option_number("join"), member=who, lang=lang)


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
async def test_directory_lists_nearest_chapters_with_details(
    chapters_bot: Harness, lang: str
) -> None:
    bot = chapters_bot
    await meet_organizers(bot)
    await bot.onboard("nina", lang, place="Antwerpen")
    reply = await bot.say("/chapters", member="nina", lang=lang)
    text = reply.text
    assert text.index("Brussels") < text.index("Ghent") < text.index("Lille")
    assert "41 km" in text or "42 km" in text  # Antwerp–Brussels
    assert {"en": "1 member", "fr": "1 membre", "nl": "1 lid"}[lang] in text
    assert {
        "en": "Meets on Thursdays.",
        "fr": "Se réunit le jeudi.",
        "nl": "Komt samen op donderdag.",
    }[lang] in text
    assert "Français" in text and "Nederlands" in text


async def test_directory_for_a_place_typed_in_another_language(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await bot.onboard("nina", "fr")
    reply = await bot.say("/chapters Gent", member="nina", lang="fr")
    assert reply.text.index("Ghent") < reply.text.index("Brussels")
    reply = await bot.say("/chapters Xyzzyville", member="nina", lang="fr")
    assert "Xyzzyville" in reply.text
    reply = await bot.say("/chapters Lille", member="nina", lang="fr")
    assert isinstance(reply.messages[-1].body, Choice)  # Lille, France or Lille, Belgium


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
async def test_join_request_reaches_the_organizer_in_their_language_and_acceptance_welcomes(
    chapters_bot: Harness, lang: str
) -> None:
    bot = chapters_bot
    await meet_organizers(bot, lang)
    await bot.onboard("nina", "en", place="Antwerpen")
    await request_brussels(bot, "nina")
    question = await bot.inbox("olga")
    assert WORDS[lang]["asks"] in question.text and "Nina" in question.text
    assert [o.key for o in question.choice.options] == ["accept", "decline"]
    assert (await bot.inbox("gert")).messages == []  # Ghent's organizer is not asked
    reply = await bot.say("1", member="olga", lang=lang)  # typed answer to the notice
    assert WORDS[lang]["accepted"] in reply.text
    welcome = await bot.inbox("nina")
    assert "Welcome to Brussels" in welcome.text
    assert members_of(bot, "Brussels") == {"Olga": "organizer", "Nina": "member"}
    stats = await bot.say("/stats", member="nina")
    assert "2 members" in stats.text and "2 joined this month" in stats.text


async def test_a_button_press_declines_and_the_member_is_told(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await meet_organizers(bot)
    await bot.onboard("nina", place="Antwerpen")
    await request_brussels(bot, "nina")
    question = await bot.inbox("olga")
    reply = await bot.press(question.choice.prompt_id, "decline", member="olga")
    assert "Declined" in reply.text
    assert "could not accept" in (await bot.inbox("nina")).text
    assert "Nina" not in members_of(bot, "Brussels")


async def test_accepting_twice_or_after_withdrawal_is_explained(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await meet_organizers(bot)
    await bot.onboard("nina", place="Antwerpen")
    await bot.onboard("omar", place="Antwerpen")
    await request_brussels(bot, "nina")
    await request_brussels(bot, "omar")
    olga_questions = (await bot.inbox("olga")).messages
    nina_q, omar_q = (m.body for m in olga_questions)
    await bot.press(nina_q.prompt_id, "accept", member="olga")
    reply = await bot.press(nina_q.prompt_id, "accept", member="olga")
    assert "no longer open" in reply.text
    reply = await bot.say("/withdraw", member="omar")
    assert "withdrawn" in reply.text
    reply = await bot.press(omar_q.prompt_id, "accept", member="olga")
    assert "no longer open" in reply.text
    assert "Omar" not in members_of(bot, "Brussels")
    reply = await bot.say("/withdraw", member="omar")
    assert "no open request" in reply.text


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
async def test_asking_again_and_again_reaches_organizers_once_a_day(
    chapters_bot: Harness, lang: str
) -> None:
    """Request, withdraw, request again…: the organizers hear of it once a day at most."""
    bot = chapters_bot
    await meet_organizers(bot)
    await bot.onboard("nina", lang, place="Antwerpen")
    await request_brussels(bot, "nina", lang)
    for _ in range(2):
        await bot.say("/withdraw", member="nina", lang=lang)
        await request_brussels(bot, "nina", lang)
    held = bot.outbox.sent[-1]
    later = {"en": "tomorrow", "fr": "demain", "nl": "morgen"}[lang]
    assert held.language == lang and later in Reply([held]).text
    assert len((await bot.inbox("olga")).messages) == 1

    def pass_on(after: timedelta) -> int:
        with bot.app.services.database.session() as session:
            return pass_on_held_requests(bot.app.services, session, utcnow() + after)

    assert pass_on(timedelta(hours=12)) == 0
    assert (await bot.inbox("olga")).messages == []
    assert pass_on(timedelta(days=1, hours=1)) == 1
    assert pass_on(timedelta(days=3)) == 0  # passed on once
    again = await bot.inbox("olga")
    assert "asks to join Brussels" in again.text
    await bot.press(again.choice.prompt_id, "accept", member="olga")
    assert "Nina" in members_of(bot, "Brussels")


async def test_joining_twice_is_refused(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await meet_organizers(bot)
    await bot.onboard("nina", place="Antwerpen")
    await request_brussels(bot, "nina")
    reply = await bot.say("/chapters", member="nina")
    reply = await bot.say(
        reply.option_number(f"chapter:{chapter(bot, 'Brussels').id}"), member="nina"
    )
    assert "withdraw" in [o.key for o in reply.choice.options]
    question = await bot.inbox("olga")
    await bot.press(question.choice.prompt_id, "accept", member="olga")
    reply = await bot.say("/chapters", member="nina")
    reply = await bot.say(
        reply.option_number(f"chapter:{chapter(bot, 'Brussels').id}"), member="nina"
    )
    assert "leave" in [o.key for o in reply.choice.options]


async def test_requests_go_to_admins_when_no_organizer_is_reachable(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await bot.onboard("nina", "fr", place="Lille")
    reply = await bot.say("/chapters", member="nina", lang="fr")
    reply = await bot.say(
        reply.option_number(f"chapter:{chapter(bot, 'Lille').id}"), member="nina", lang="fr"
    )
    reply = await bot.say(reply.option_number("join"), member="nina", lang="fr")
    assert "Lille" in reply.text  # recorded, nobody reachable yet
    await bot.onboard("admin", "en")
    assert (await bot.inbox("admin")).messages == []
    # Three days later the request goes out again, now to the admin; the member is told.
    with bot.app.services.database.session() as session:
        assert remind_waiting_requests(bot.app.services, session, utcnow() + timedelta(days=4)) == 1
    question = await bot.inbox("admin")
    assert "asks to join Lille" in question.text
    assert "/withdraw" in (await bot.inbox("nina")).text
    await bot.say("1", member="admin")
    assert "Nina" in members_of(bot, "Lille")


async def test_unanswered_requests_are_sent_again_after_three_days(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await meet_organizers(bot)
    await bot.onboard("nina", place="Antwerpen")
    await request_brussels(bot, "nina")
    first = await bot.inbox("olga")
    with bot.app.services.database.session() as session:
        assert remind_waiting_requests(bot.app.services, session, utcnow() + timedelta(days=1)) == 0
    with bot.app.services.database.session() as session:
        assert remind_waiting_requests(bot.app.services, session, utcnow() + timedelta(days=4)) == 1
    again = await bot.inbox("olga")
    assert "asks to join Brussels" in again.text
    reply = await bot.press(first.choice.prompt_id, "accept", member="olga")
    assert "no longer open" in reply.text  # the old copy was replaced by the new one
    await bot.press(again.choice.prompt_id, "accept", member="olga")
    assert "Nina" in members_of(bot, "Brussels")


async def test_founding_a_chapter_and_introducing_its_members(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await bot.onboard("fred", place="Bergen")  # Bergen, Norway: no chapter within 50 km
    reply = await bot.say("/chapters", member="fred")
    assert "found" in [o.key for o in reply.choice.options]
    reply = await bot.say(reply.option_number("found"), member="fred")
    assert "You have started the chapter Bergen" in reply.text and "2 more members" in reply.text
    bergen = chapter(bot, "Bergen")
    assert bergen.status == "forming"
    # Newcomers near Bergen see the forming chapter and ask to join; the founder accepts.
    for name in ("tove", "lars"):
        await bot.onboard(name, place="Bergen")
        reply = await bot.say("/chapters", member=name)
        assert "forming chapter" in reply.text
        reply = await bot.say(reply.option_number(f"chapter:{bergen.id}"), member=name)
        await bot.say(reply.option_number("join"), member=name)
        question = await bot.inbox("fred")
        await bot.press(question.messages[-1].body.prompt_id, "accept", member="fred")
    assert chapter(bot, "Bergen").status == "active"
    # Each member is asked before being introduced; only those who agree are introduced.
    asks = {name: await bot.inbox(name) for name in ("fred", "tove", "lars")}
    for name, inbox in asks.items():
        assert "is founded" in inbox.text, name
    fred_q = next(m.body for m in asks["fred"].messages if isinstance(m.body, Choice))
    tove_q = next(m.body for m in asks["tove"].messages if isinstance(m.body, Choice))
    lars_q = next(m.body for m in asks["lars"].messages if isinstance(m.body, Choice))
    await bot.press(fred_q.prompt_id, "yes", member="fred")
    reply = await bot.press(tove_q.prompt_id, "yes", member="tove")
    assert "Fred: fred (test)" in reply.text and "/link" in reply.text
    assert "Tove: tove (test)" in (await bot.inbox("fred")).text
    await bot.press(lars_q.prompt_id, "no", member="lars")
    assert "Lars" not in (await bot.inbox("fred")).text


async def test_a_member_waiting_is_told_once_when_a_chapter_forms_nearby(
    chapters_bot: Harness,
) -> None:
    bot = chapters_bot
    await bot.onboard("wim", place="Bergen")
    reply = await bot.say("/chapters", member="wim")
    await bot.say(reply.option_number("watch"), member="wim")
    await bot.onboard("fred", place="Bergen")
    reply = await bot.say("/chapters", member="fred")
    await bot.say(reply.option_number("found"), member="fred")
    told = await bot.inbox("wim")
    assert "forming near you" in told.text
    reply = await bot.say("/chapters", member="fred")
    assert "found" not in [o.key for o in reply.choice.options]  # one forming chapter is enough
    assert (await bot.inbox("wim")).messages == []


async def test_group_chat_greeting_linking_and_language(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await meet_organizers(bot)
    await bot.onboard("nina", place="Antwerpen")
    reply = await bot.add_bot_to_group("brussels-chat", by="olga")
    assert "/link" in reply.text
    reply = await bot.say_in_group(
        "/link Brussels", member="nina", chat="brussels-chat", moderator=True
    )
    assert "Only a chapter's organizers" in reply.text
    reply = await bot.say_in_group("/link", member="olga", chat="brussels-chat")
    assert "now the chat of Brussels" in reply.text
    reply = await bot.say_in_group("/link Brussels", member="olga", chat="brussels-chat")
    assert "already linked" in reply.text
    reply = await bot.say("/link")
    assert "group chat" in reply.text
    reply = await bot.say_in_group("/language fr", member="nina", chat="brussels-chat")
    assert "Only the organizers of Brussels" in reply.text
    reply = await bot.say_in_group("/language fr", member="olga", chat="brussels-chat")
    assert "Français" in reply.text
    reply = await bot.say_in_group("/stats", member="nina", chat="brussels-chat")
    assert "1 membre" in reply.text  # the chat now speaks French
    # A newcomer accepted later is invited to the linked chat.
    await request_brussels(bot, "nina")
    question = await bot.inbox("olga")
    await bot.press(question.choice.prompt_id, "accept", member="olga")
    invites = [m.body for m in (await bot.inbox("nina")).messages if isinstance(m.body, Invite)]
    assert len(invites) == 1 and invites[0].target_chat.chat_id == "brussels-chat"
    assert invites[0].user_id == "nina"
    reply = await bot.say_in_group("/unlink", member="nina", chat="brussels-chat")
    assert "Il faut être responsable de la section Brussels" in reply.text  # in French
    reply = await bot.say_in_group("/unlink", member="olga", chat="brussels-chat")
    assert "plus lié" in reply.text or "no longer linked" in reply.text
    with bot.app.services.database.session() as session:
        assert (
            session.exec(select(Chat).where(Chat.chat_id == "brussels-chat")).one().chapter_id
            is None
        )


async def test_promote_organizers_and_leave(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await meet_organizers(bot)
    await bot.onboard("nina", place="Antwerpen")
    await request_brussels(bot, "nina")
    await bot.press((await bot.inbox("olga")).choice.prompt_id, "accept", member="olga")
    reply = await bot.say("/promote Gert", member="olga")
    assert "not a member of Brussels" in reply.text
    reply = await bot.say("/promote", member="olga")
    reply = await bot.say(reply.option_number(str(bot.member("nina").id)), member="olga")
    assert "Nina is now an organizer" in reply.text
    assert "now an organizer" in (await bot.inbox("nina")).text
    reply = await bot.say("/organizers", member="nina")
    assert "Olga" in reply.text and "Nina" in reply.text
    reply = await bot.say("/leave", member="nina")
    reply = await bot.say(reply.option_number(str(chapter(bot, "Brussels").id)), member="nina")
    assert "You have left Brussels" in reply.text
    assert "Nina" not in members_of(bot, "Brussels")


async def test_a_founder_who_forgets_leaves_the_chapter_standing(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await bot.onboard("fred", place="Bergen")
    reply = await bot.say("/chapters", member="fred")
    await bot.say(reply.option_number("found"), member="fred")
    reply = await bot.say("/forget", member="fred")
    await bot.say(reply.option_number("erase"), member="fred")
    bergen = chapter(bot, "Bergen")
    assert bergen.founded_by is None
    with bot.app.services.database.session() as session:
        assert (
            session.exec(select(Membership).where(Membership.chapter_id == bergen.id)).all() == []
        )


async def test_an_organizer_who_erased_their_data_no_longer_gets_requests(
    chapters_bot: Harness,
) -> None:
    bot = chapters_bot
    await meet_organizers(bot)
    reply = await bot.say("/forget", member="olga")
    await bot.say(reply.option_number("erase"), member="olga")
    await bot.onboard("nina", place="Antwerpen")
    await request_brussels(bot, "nina")
    assert "asks to join Brussels" in (await bot.inbox("admin")).text
    with bot.app.services.database.session() as session:
        assert len(session.exec(select(JoinRequest)).all()) == 1


PRIVILEGED = {
    "link": ("group", "/link Brussels", ""),  # "only organizers" or "already linked"
    "unlink": ("group", "/unlink", "Only the organizers of Brussels"),
    "chat language": ("group", "/language nl", "Only the organizers of Brussels"),
    "promote": ("direct", "/promote Nina", ""),
}


@pytest.mark.parametrize("who", ["plain member", "organizer of another chapter"])
@pytest.mark.parametrize("action", [*PRIVILEGED, "accept"])
async def test_privileged_actions_are_refused_to_others(
    chapters_bot: Harness, who: str, action: str
) -> None:
    bot = chapters_bot
    await meet_organizers(bot)
    for name in ("nina", "omar", "pia"):
        await bot.onboard(name, place="Antwerpen")
    await request_brussels(bot, "nina")
    await bot.press((await bot.inbox("olga")).choice.prompt_id, "accept", member="olga")
    await request_brussels(bot, "omar")
    omar_question = await bot.inbox("olga")
    await bot.say_in_group("/link Brussels", member="olga", chat="brussels-chat")
    actor = "pia" if who == "plain member" else "gert"
    if action == "accept":
        # Someone else answers the organizer's question (as a forwarded prompt would allow).
        reply = await bot.press(omar_question.choice.prompt_id, "accept", member=actor)
    else:
        where, command, refusal = PRIVILEGED[action]
        if where == "group":
            reply = await bot.say_in_group(
                command, member=actor, chat="brussels-chat", moderator=True
            )
            assert refusal in reply.text
        else:
            reply = await bot.say(command, member=actor)
    assert len(reply.messages) == 1  # a refusal, in words
    # Nothing changed: Omar still waits, Nina is still a plain member, the chat as it was.
    assert members_of(bot, "Brussels") == {"Olga": "organizer", "Nina": "member"}
    with bot.app.services.database.session() as session:
        chat = session.exec(select(Chat).where(Chat.chat_id == "brussels-chat")).one()
        assert chat.chapter_id == chapter(bot, "Brussels").id and chat.language is None
        statuses = [r.status for r in session.exec(select(JoinRequest))]
        assert sorted(statuses) == ["accepted", "pending"]


async def test_an_organizer_who_blocked_the_bot_is_skipped_for_the_admins(
    chapters_bot: Harness,
) -> None:
    from bot.storage.members import MemberRepository

    bot = chapters_bot
    await meet_organizers(bot)
    with bot.app.services.database.session() as session:
        MemberRepository(session).mark_unreachable("test", "olga")  # as a 403 would
    await bot.onboard("nina", place="Antwerpen")
    await request_brussels(bot, "nina")
    assert (await bot.inbox("olga")).messages == []
    assert "asks to join Brussels" in (await bot.inbox("admin")).text


@pytest.mark.parametrize("new_chat_seen_first", [False, True])
async def test_a_chat_that_gets_a_new_id_keeps_its_chapter_and_language(
    chapters_bot: Harness, new_chat_seen_first: bool
) -> None:
    from bot.core.events import ChatMoved

    bot = chapters_bot
    await meet_organizers(bot)
    await bot.say_in_group("/link Brussels", member="olga", chat="group-1")
    await bot.say_in_group("/language nl", member="olga", chat="group-1")
    if new_chat_seen_first:
        await bot.say_in_group("hello", member="olga", chat="supergroup-1")
    await bot.send(ChatMoved(new_chat_id="supergroup-1", **bot._common("olga", None, "group-1")))
    reply = await bot.say_in_group("/stats", member="olga", chat="supergroup-1")
    assert "1 lid" in reply.text  # still Brussels's chat, still in Dutch
    with bot.app.services.database.session() as session:
        chats = {c.chat_id: c for c in session.exec(select(Chat)) if c.kind == "group"}
    assert set(chats) == {"supergroup-1"}
    assert chats["supergroup-1"].chapter_id == chapter(bot, "Brussels").id


async def test_removed_from_a_linked_chat_the_bot_unlinks_it_and_tells_the_organizers(
    chapters_bot: Harness,
) -> None:
    from bot.core.events import BotRemoved

    bot = chapters_bot
    await meet_organizers(bot)
    await bot.say_in_group("/link Brussels", member="olga", chat="group-1")
    await bot.inbox("olga")
    await bot.send(BotRemoved(**bot._common("pia", None, "group-1")))
    assert "no longer linked" in (await bot.inbox("olga")).text
    with bot.app.services.database.session() as session:
        assert session.exec(select(Chat).where(Chat.chat_id == "group-1")).one().chapter_id is None


async def test_names_in_the_promote_menu_are_text_not_markup(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await meet_organizers(bot)
    evil = '<a href="https://e.x">Eve</a><img src="mxc://e.x/i">'
    await bot.onboard("eve", place="Antwerpen", name=evil)
    await request_brussels(bot, "eve")
    await bot.press((await bot.inbox("olga")).choice.prompt_id, "accept", member="olga")
    reply = await bot.say("/promote", member="olga")
    [label] = [o.label for o in reply.choice.options if o.key == str(bot.member("eve").id)]
    assert label == evil.replace("<", "&lt;").replace(">", "&gt;")
    assert evil in reply.text  # shown as she wrote it


async def test_a_linked_chat_speaks_its_chapters_language_until_one_is_set(
    chapters_bot: Harness,
) -> None:
    bot = chapters_bot
    await meet_organizers(bot)  # Gert organizes Ghent, whose only language is Dutch
    reply = await bot.say_in_group("/link Ghent", member="gert", chat="ghent-chat")
    assert "Ghent" in reply.text and [m.language for m in reply.messages] == ["nl"]
    reply = await bot.say_in_group("/stats", member="pia", chat="ghent-chat")
    assert "1 lid" in reply.text
    await bot.say_in_group("/language en", member="gert", chat="ghent-chat")
    reply = await bot.say_in_group("/stats", member="pia", chat="ghent-chat")
    assert "1 member" in reply.text
    # A chapter that speaks the organization's language (Brussels: fr, nl, en) keeps it.
    await bot.say_in_group("/link Brussels", member="olga", chat="brussels-chat")
    reply = await bot.say_in_group("/stats", member="pia", chat="brussels-chat")
    assert "1 member" in reply.text


async def test_an_organizer_reads_the_newcomers_town_in_their_own_language(
    chapters_bot: Harness,
) -> None:
    bot = chapters_bot
    await meet_organizers(bot, "nl")  # Olga, Brussels's organizer, reads Dutch
    await bot.onboard("nina", "fr", place="Liège")
    await request_brussels(bot, "nina", "fr")
    question = await bot.inbox("olga")
    assert "Luik" in question.text and "Liège" not in question.text


async def test_an_organizer_who_never_gave_a_name_is_listed_by_their_handle(
    chapters_bot: Harness,
) -> None:
    bot = chapters_bot
    await bot.say("/help", member="olga")  # Brussels's organizer, invited by the file
    await bot.onboard("admin")
    await bot.say_in_group("/link Brussels", member="admin", chat="brussels-chat")
    reply = await bot.say_in_group("/organizers", member="pia", chat="brussels-chat")
    assert "Organizers of Brussels: olga" in reply.text and "?" not in reply.text


async def test_namesakes_are_told_apart_in_requests_and_promote_asks_which(
    chapters_bot: Harness,
) -> None:
    bot = chapters_bot
    await meet_organizers(bot)
    for who in ("nina1", "nina2"):
        await bot.onboard(who, place="Antwerpen", name="Nina")
        await request_brussels(bot, who)
    questions = (await bot.inbox("olga")).messages
    texts = [Reply([q]).text for q in questions]
    assert len(texts) == 2 and texts[0] != texts[1]
    first, second = (bot.member(w) for w in ("nina1", "nina2"))
    assert first is not None and second is not None
    assert f"no. {second.id}" in texts[1]
    for question in questions:
        await bot.press(question.body.prompt_id, "accept", member="olga")
    reply = await bot.say("/promote Nina", member="olga")
    labels = [o.label for o in reply.choice.options]
    assert labels[:2] == [f"Nina (Antwerp, no. {first.id})", f"Nina (Antwerp, no. {second.id})"]
    assert members_of(bot, "Brussels")["Nina"] == "member"  # nobody was picked silently
    reply = await bot.say(reply.option_number(str(second.id)), member="olga")
    assert "is now an organizer" in reply.text


async def test_the_link_menu_reaches_every_chapter_a_page_at_a_time(
    chapters_bot: Harness,
) -> None:
    from bot.storage.chapters import ChapterRepository

    bot = chapters_bot
    with bot.app.services.database.session() as session:
        for n in range(9):  # 12 chapters in all
            ChapterRepository(session).create(f"Town {n}", f"Town {n}", "BE", 50.0, 4.0, ["en"])
    await bot.onboard("admin")
    reply = await bot.say_in_group("/link", member="admin", chat="new-chat")
    seen = [o.label for o in reply.choice.options if o.key != "more"]
    reply = await bot.say_in_group(reply.option_number("more"), member="admin", chat="new-chat")
    seen += [o.label for o in reply.choice.options if o.key != "more"]
    assert len(seen) == 12 and "Town 8" in seen
    reply = await bot.say_in_group(
        str(seen[8:].index("Town 8") + 1), member="admin", chat="new-chat"
    )
    assert "now the chat of Town 8" in reply.text
