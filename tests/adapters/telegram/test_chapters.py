"""Chapters on Telegram, played by people through the fake: a join request answered with a
button and ending with a one-time invite link, group chats linked and given a language by
their organizers (and by nobody else), and the group command menu."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.app import Application, build_application
from bot.storage.members import MemberRepository
from bot.storage.memberships import MembershipRepository
from bot.storage.models import Chapter, Delivery
from bot.storage.models import Chat as ChatRow
from tests.adapters.telegram.conftest import Json, Talk, buttons, texts
from tests.conftest import make_settings
from tests.support.fake_telegram import Chat, FakeTelegram, Person
from tests.support.organizations import CHAPTERS_ORG

WEEK = 7 * 24 * 3600


@dataclass
class Cast:
    """The people the organization file knows, by their Telegram identities."""

    olga: Person  # organizer of Brussels, her app in Dutch
    gert: Person  # organizer of Ghent
    admin: Person  # the organization's admin


@pytest.fixture
def cast(fake: FakeTelegram) -> Cast:
    return Cast(
        olga=fake.person("Olga", language_code="nl", username="olga_bxl"),
        gert=fake.person("Gert", language_code="nl"),
        admin=fake.person("Ada", language_code="en"),
    )


@pytest.fixture
def telegram_app(
    fake: FakeTelegram, cast: Cast, tmp_path: Path, locales_dir: Path, cache_dir: Path
) -> Iterator[Application]:
    """The application on the fake, with an organization whose organizers and admin are the
    cast's Telegram accounts (overrides the conftest's, which uses the demo organization)."""
    org = (
        CHAPTERS_ORG.replace('"test:olga"', f'"telegram:{cast.olga.id}"')
        .replace('"test:gert"', f'"telegram:{cast.gert.id}"')
        .replace('"test:admin"', f'"telegram:{cast.admin.id}"')
    )
    assert "test:" not in org
    org_file = tmp_path / "organization.toml"
    org_file.write_text(org, encoding="utf-8")
    settings = dataclasses.replace(
        make_settings(f"sqlite:///{tmp_path / 'bot.sqlite'}", locales_dir, cache_dir),
        telegram_token=fake.token,
        telegram_api_url=fake.url,
        org_file=org_file,
    )
    application = build_application(settings)
    yield application
    application.close()


# -- helpers ---------------------------------------------------------------------------------


async def new_messages(fake: FakeTelegram, chat: Chat, before: int, count: int) -> list[Json]:
    """Wait until the bot has sent `count` more messages in `chat` (through the outbox)."""
    await fake.wait_for(
        lambda: len(chat.bot_message_ids) >= before + count,
        what=f"{count} message(s) from the bot in chat {chat.id}",
    )
    return fake.bot_messages(chat)[before:]


def outbox_settled(app: Application) -> bool:
    with app.services.database.session() as session:
        return all(row.status in ("sent", "failed") for row in session.exec(select(Delivery)))


def brussels(app: Application) -> Chapter:
    with app.services.database.session() as session:
        return session.exec(select(Chapter).where(Chapter.name == "Brussels")).one()


def members_of_brussels(app: Application) -> dict[int, str]:
    """Telegram user id → role (the organizers never told the bot their name)."""
    with app.services.database.session() as session:
        rows = MembershipRepository(session).members_of(brussels(app).id)
        members = MemberRepository(session)
        return {
            int(identity.user_id): m.role
            for m, person in rows
            for identity in members.identities(person.id)
            if identity.platform == "telegram"
        }


def chat_row(app: Application, chat: Chat) -> tuple[int | None, str | None]:
    """What the core stored about a Telegram group: (chapter id, language)."""
    with app.services.database.session() as session:
        row = session.exec(
            select(ChatRow).where(ChatRow.platform == "telegram", ChatRow.chat_id == str(chat.id))
        ).one()
        return row.chapter_id, row.language


async def add_bot_and_link(talk: Any, organizer: Person, group: Chat) -> Talk:
    """The organizer adds the bot to the group (as an administrator, so that it may create
    invite links) and links the group to their chapter."""
    in_group = talk(organizer, group)
    await in_group.handled(in_group.fake.add_bot(organizer, group, as_admin=True))
    assert "/link" in texts(in_group.messages)
    linked = await in_group.say("/link")
    assert texts(linked) == (
        "This chat is now the chat of Brussels. New members will be invited here."
    )
    return in_group


async def newcomer_asks_for_brussels(talk: Any, newcomer: Person, place: str) -> Talk:
    """A French-speaking newcomer onboards up to the chapters near her and asks for Brussels."""
    her = talk(newcomer)
    greeting = await her.say("/start")
    assert "Bonjour" in greeting[-1]["text"]
    await her.press("Français")
    await her.say(newcomer.first_name)
    nearest = await her.say(place)
    assert "Brussels" in nearest[-1]["text"]
    assert "Demander à rejoindre Brussels" in buttons(nearest[-1])
    sent = await her.press("Demander à rejoindre Brussels")
    assert (
        "J’ai transmis votre demande d’adhésion aux responsables de la section Brussels."
        in texts(sent)
    )
    return her


# -- 1. a join request, answered with a button, ends with a one-time invite link -------------


async def test_an_accepted_request_ends_with_a_one_time_invite_to_the_linked_group(
    fake: FakeTelegram, talk: Any, telegram_app: Application, cast: Cast
) -> None:
    olga, gert = talk(cast.olga), talk(cast.gert)
    await olga.say("/start")  # the organizers have started the bot once: it can reach them
    await gert.say("/start")
    olga_before, gert_before = len(olga.messages), len(gert.messages)

    group = fake.group("Common Ground Brussels", {cast.olga: "creator"})
    await add_bot_and_link(talk, cast.olga, group)
    assert chat_row(telegram_app, group) == (brussels(telegram_app).id, None)

    amelie = fake.person("Amélie", language_code="fr")
    her = await newcomer_asks_for_brussels(talk, amelie, "Bruxelles")
    her_before = len(her.messages)

    # The request reaches Olga in her private chat, in her own language, with two buttons.
    [question] = await new_messages(fake, olga.chat, olga_before, 1)
    # Her town as Olga reads it in Dutch, though Amélie typed "Bruxelles".
    assert question["text"] == "Amélie uit Brussel vraagt om lid te worden van Brussels."
    assert buttons(question) == ["Accepteren", "Afwijzen"]
    sent = next(
        c.params
        for c in fake.calls_of("sendMessage")
        if c.params["chat_id"] == cast.olga.id and "vraagt om" in c.params["text"]
    )
    assert sent["parse_mode"] == "HTML"
    data = [b["callback_data"] for row in sent["reply_markup"]["inline_keyboard"] for b in row]
    assert len(data) == 2 and all(len(d.encode()) <= 64 for d in data)
    # Only the organizers of Brussels are asked; the organizer of Ghent hears nothing.
    await fake.wait_for(lambda: outbox_settled(telegram_app), what="the outbox drained")
    assert len(gert.messages) == gert_before
    assert fake.calls_of("createChatInviteLink") == []

    # Olga accepts with the button.
    answer = await olga.press("Accepteren", question)
    assert texts(answer) == "Geaccepteerd: Amélie is nu lid van Brussels."
    answered = olga.messages[olga_before]
    assert answered["message_id"] == question["message_id"]
    assert "✅ Accepteren" in answered["text"] and "reply_markup" not in answered
    assert all(answer is not None for answer in fake.callback_queries.values())
    assert members_of_brussels(telegram_app) == {cast.olga.id: "organizer", amelie.id: "member"}

    # Amélie is welcomed in French, then gets a button into the group: a one-time link.
    welcome, invite = await new_messages(fake, her.chat, her_before, 2)
    assert welcome["text"] == (
        "Bienvenue dans la section Brussels\u202f! Votre demande d’adhésion a été acceptée."
    )
    assert "reply_markup" not in welcome
    assert invite["text"] == (
        "Voici comment rejoindre le groupe de discussion de la section Brussels."
    )
    [[button]] = invite["reply_markup"]["inline_keyboard"]
    assert button["text"] == "Rejoindre le groupe"

    [created] = fake.calls_of("createChatInviteLink")
    assert created.error is None
    assert set(created.params) == {"chat_id", "name", "member_limit", "expire_date"}
    assert created.params["chat_id"] == group.id
    assert created.params["member_limit"] == 1
    assert created.params["name"] == f"for {amelie.id}"
    assert abs(created.params["expire_date"] - (time.time() + WEEK)) < 120
    link = fake.invite_links[button["url"]]
    assert (link.chat_id, link.member_limit, link.uses) == (group.id, 1, 0)

    # The link lets Amélie in, and nobody after her.
    await talk(amelie, group).handled(fake.join_by_link(amelie, button["url"]))
    assert group.members[amelie.id] == "member"
    with pytest.raises(AssertionError, match="used up"):
        fake.join_by_link(fake.person("Eve"), button["url"])

    await fake.wait_for(lambda: outbox_settled(telegram_app), what="the outbox drained")
    assert len(gert.messages) == gert_before
    assert len(fake.calls_of("createChatInviteLink")) == 1  # one invite, one link


async def test_a_declined_request_from_the_directory_creates_no_invite(
    fake: FakeTelegram, talk: Any, telegram_app: Application, cast: Cast
) -> None:
    olga = talk(cast.olga)
    await olga.say("/start")
    olga_before = len(olga.messages)
    await add_bot_and_link(talk, cast.olga, fake.group("Brussels", {cast.olga: "creator"}))

    # Bruno stops onboarding at the chapter step and looks through /chapters instead.
    bruno = talk(fake.person("Bruno", language_code="fr"))
    await bruno.say("/start")
    await bruno.press("Français")
    await bruno.say("Bruno")
    await bruno.say("Ixelles")
    listed = await bruno.say("/chapters")
    assert "Brussels" in listed[-1]["text"]
    details = await bruno.press("Brussels")
    assert "Se réunit le jeudi." in details[-1]["text"]
    assert buttons(details[-1])[0] == "Demander à rejoindre"
    sent = await bruno.press("Demander à rejoindre")
    assert "Brussels" in texts(sent)
    bruno_before = len(bruno.messages)

    [question] = await new_messages(fake, olga.chat, olga_before, 1)
    assert question["text"].startswith("Bruno uit Ixelles vraagt om lid te worden van Brussels")
    answer = await olga.press("Afwijzen", question)
    assert texts(answer) == "Afgewezen. Ik heb het Bruno laten weten."

    [told] = await new_messages(fake, bruno.chat, bruno_before, 1)
    assert told["text"].startswith("Les responsables de la section Brussels n’ont pas pu")
    await fake.wait_for(lambda: outbox_settled(telegram_app), what="the outbox drained")
    assert fake.calls_of("createChatInviteLink") == []
    assert members_of_brussels(telegram_app) == {cast.olga.id: "organizer"}


# -- 2. a group's link and language: its organizers decide, nobody else --------------------


async def test_organizers_link_and_set_the_language_of_a_group_and_others_change_nothing(
    fake: FakeTelegram, talk: Any, telegram_app: Application, cast: Cast
) -> None:
    # Pia administers the Telegram group but organizes nothing; Gert organizes Ghent.
    pia = fake.person("Pia", language_code="fr")
    group = fake.group(
        "Brussels", {cast.olga: "creator", pia: "administrator", cast.gert: "member"}
    )
    olga, pia_in_group, gert = talk(cast.olga, group), talk(pia, group), talk(cast.gert, group)
    await olga.handled(fake.add_bot(cast.olga, group))

    # Before any link, Pia cannot link the chat.
    refused = await pia_in_group.say("/link")
    assert texts(refused) == "Only a chapter's organizers can link a chat to it."
    refused = await pia_in_group.say("/link Brussels")
    assert texts(refused) == "Only a chapter's organizers can link a chat to it."
    assert chat_row(telegram_app, group) == (None, None)

    linked = await olga.say("/link")
    assert texts(linked).startswith("This chat is now the chat of Brussels.")
    chapter_id = brussels(telegram_app).id
    assert chat_row(telegram_app, group) == (chapter_id, None)

    # Neither a group administrator nor another chapter's organizer may unlink it or set its
    # language; each is refused in words, once.
    for who in (pia_in_group, gert):
        refused = await who.say("/unlink")
        assert texts(refused) == "Only the organizers of Brussels can unlink this chat."
        refused = await who.say("/language fr")
        assert texts(refused) == (
            "Only the organizers of Brussels can change this chat's language."
        )
    refused = await gert.say("/link")  # Gert may link chats, but not one already linked
    assert texts(refused) == (
        "This chat is already linked to Brussels. Send /unlink first to change it."
    )
    assert chat_row(telegram_app, group) == (chapter_id, None)

    # The organizer sets the chat's language; the bot answers in it at once and from then on,
    # whatever language the asker's app uses.
    changed = await olga.say("/language nl")
    assert texts(changed) == "De taal van deze groepschat is nu Nederlands."
    assert chat_row(telegram_app, group) == (chapter_id, "nl")
    numbers = await pia_in_group.say("/stats")
    assert len(numbers) == 1
    assert numbers[0]["text"].splitlines()[:2] == ["Brussels", "1 lid"]
    refused = await pia_in_group.say("/unlink")
    assert texts(refused) == (
        "Alleen de organisatoren van Brussels kunnen deze groepschat ontkoppelen."
    )
    assert chat_row(telegram_app, group) == (chapter_id, "nl")

    # The organizer unlinks it.
    unlinked = await olga.say("/unlink")
    assert len(unlinked) == 1 and "Brussels" not in unlinked[0]["text"]
    assert chat_row(telegram_app, group)[0] is None
    assert members_of_brussels(telegram_app) == {cast.olga.id: "organizer"}


# -- 3. the group menu ------------------------------------------------------------------------


async def test_the_group_menu_lists_chapter_commands_but_no_private_ones(
    fake: FakeTelegram, adapter: Any
) -> None:
    group_calls = [
        c.params
        for c in fake.calls_of("setMyCommands")
        if c.params.get("scope") == {"type": "all_group_chats"}
    ]
    assert sorted(c.get("language_code", "") for c in group_calls) == ["", "en", "fr", "nl"]
    assert all(c.error is None for c in fake.calls_of("setMyCommands"))
    for language in ("", "en", "fr", "nl"):
        in_groups = set(fake.commands_for("all_group_chats", language))
        assert {"link", "unlink", "stats", "organizers", "language", "help"} <= in_groups
        assert not {"start", "mydata", "forget", "withdraw", "leave"} & in_groups, language
        in_private = set(fake.commands_for("all_private_chats", language))
        assert {"start", "mydata", "link", "stats"} <= in_private
    described = {
        language: {c["command"]: c["description"] for c in fake.commands["all_group_chats", lang]}
        for language, lang in (("default", ""), ("en", "en"), ("fr", "fr"), ("nl", "nl"))
    }
    assert described["nl"]["link"] == "Deze groepschat aan je afdeling koppelen (organisatoren)"
    assert described["fr"]["link"] == "Lier ce groupe de discussion à votre section (responsables)"
    assert described["en"]["link"] == "Link this group chat to your chapter (organizers)"
    assert described["nl"]["stats"] == "Je afdeling in cijfers"
    assert described["default"] == described["en"]  # other apps: the organization's language


# -- 4. a linked basic group upgraded to a supergroup (found while writing the above) ----------


async def linked_basic_group(fake: FakeTelegram, talk: Any, cast: Cast) -> Chat:
    group = fake.group("Brussels", {cast.olga: "creator"}, kind="group")
    await add_bot_and_link(talk, cast.olga, group)
    fake.allow_error("upgraded to a supergroup")  # the bot may learn it from one refusal
    return group


async def test_an_invite_into_a_group_that_became_a_supergroup_follows_it(
    fake: FakeTelegram, talk: Any, cast: Cast
) -> None:
    olga = talk(cast.olga)
    await olga.say("/start")
    olga_before = len(olga.messages)
    group = await linked_basic_group(fake, talk, cast)
    # Telegram upgrades the group; the bot missed the service messages, so the core still
    # links the chapter to the old id and only a refusal can tell the adapter.
    supergroup, _ = fake.upgrade_to_supergroup(cast.olga, group, tell_the_bot=False)

    amelie = fake.person("Amélie", language_code="fr")
    her = await newcomer_asks_for_brussels(talk, amelie, "Bruxelles")
    her_before = len(her.messages)
    [question] = await new_messages(fake, olga.chat, olga_before, 1)
    await olga.press("Accepteren", question)

    await fake.wait_for(
        lambda: (
            len(her.chat.bot_message_ids) >= her_before + 2
            or len(fake.calls_of("createChatInviteLink")) > 3
        ),
        what="the invite, or the bot stuck on the old group",
    )
    targets = [c.params["chat_id"] for c in fake.calls_of("createChatInviteLink")]
    assert targets == [group.id, supergroup.id], "one refusal, then the supergroup"
    welcome, invite = fake.bot_messages(her.chat)[her_before:]
    assert welcome["text"].startswith("Bienvenue dans la section Brussels")
    [[button]] = invite["reply_markup"]["inline_keyboard"]
    assert fake.invite_links[button["url"]].chat_id == supergroup.id
    assert fake.invite_links[button["url"]].member_limit == 1
    assert fake.bot_messages(supergroup) == [], "the member's invite went into the group"


async def test_a_linked_group_upgraded_to_a_supergroup_stays_the_chapters_chat(
    fake: FakeTelegram, talk: Any, telegram_app: Application, cast: Cast
) -> None:
    group = await linked_basic_group(fake, talk, cast)
    changed = await talk(cast.olga, group).say("/language nl")
    assert texts(changed) == "De taal van deze groepschat is nu Nederlands."
    supergroup, update_id = fake.upgrade_to_supergroup(cast.olga, group)
    in_supergroup = talk(cast.olga, supergroup)
    await in_supergroup.handled(update_id)
    numbers = await in_supergroup.say("/stats")
    assert texts(numbers).splitlines()[:2] == ["Brussels", "1 lid"]


async def test_without_admin_rights_in_the_group_the_member_is_told_how_to_get_in(
    fake: FakeTelegram, talk: Any, telegram_app: Application, cast: Cast
) -> None:
    fake.allow_error("not enough rights to manage chat invite link")
    olga = talk(cast.olga)
    await olga.say("/start")
    olga_before = len(olga.messages)
    group = fake.group("Common Ground Brussels", {cast.olga: "creator"})
    in_group = talk(cast.olga, group)
    await in_group.handled(fake.add_bot(cast.olga, group))  # a plain member: no invite links
    await in_group.say("/link")
    amelie = fake.person("Amélie", language_code="fr")
    her = await newcomer_asks_for_brussels(talk, amelie, "Bruxelles")
    her_before = len(her.messages)
    [question] = await new_messages(fake, olga.chat, olga_before, 1)
    await olga.press("Accepteren", question)
    welcome, invite = await new_messages(fake, her.chat, her_before, 2)
    assert welcome["text"].startswith("Bienvenue dans la section Brussels")
    assert invite["text"].startswith(
        "Voici comment rejoindre le groupe de discussion de la section Brussels."
    )
    assert "Demandez aux responsables de vous y ajouter" in invite["text"]
    assert "reply_markup" not in invite
    [refused] = fake.calls_of("createChatInviteLink")
    assert refused.error is not None


# -- the logs of a whole scenario hold no secret ------------------------------------------


async def test_the_logs_of_a_whole_scenario_hold_no_token_invitation_or_code(
    fake: FakeTelegram,
    talk: Any,
    telegram_app: Application,
    cast: Cast,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import logging
    import re

    caplog.set_level(logging.DEBUG)  # every logger, every level: httpx, PTB, ours
    olga = talk(cast.olga)
    await olga.say("/start")
    olga_before = len(olga.messages)
    group = fake.group("Common Ground Brussels", {cast.olga: "creator"})
    await add_bot_and_link(talk, cast.olga, group)
    amelie = fake.person("Amélie", language_code="fr")
    her = await newcomer_asks_for_brussels(talk, amelie, "Bruxelles")
    her_before = len(her.messages)
    [question] = await new_messages(fake, olga.chat, olga_before, 1)
    await olga.press("Accepteren", question)
    _welcome, invite = await new_messages(fake, her.chat, her_before, 2)
    [[button]] = invite["reply_markup"]["inline_keyboard"]
    shown = texts(await her.say("/connect"))
    code = re.search(r"/connect ([0-9A-Z]{5}-[0-9A-Z]{5})", shown)
    assert code, shown
    await her.say("/connect 00000-00000")  # a wrong code is not logged either
    with telegram_app.services.database.session() as session:
        from bot.adapters.telegram.state import WEBHOOK_SECRET
        from bot.storage.adapter_state import AdapterStateRepository

        webhook = AdapterStateRepository(session).get("telegram", WEBHOOK_SECRET)
    logged = "\n".join(
        [caplog.text]
        + [r.getMessage() for r in caplog.records]
        + [repr(r.args) for r in caplog.records]
    )
    assert len(caplog.records) > 10  # the scenario did log
    secrets = {
        "token": fake.token,
        "token's secret part": fake.token.split(":", 1)[-1],
        "invitation": button["url"],
        "connect code": code.group(1),
        "connect code, bare": code.group(1).replace("-", ""),
        "wrong code": "0000000000",
    }
    if webhook:
        secrets["webhook secret"] = str(webhook)
    leaks = [
        (r.name, r.levelname, r.getMessage()[:200])
        for r in caplog.records
        if any(v in r.getMessage() or v in repr(r.args) for v in secrets.values())
    ]
    assert [name for name, value in secrets.items() if value in logged] == [], leaks
