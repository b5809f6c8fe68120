"""The permission matrix: every command the routers declare × every role × every chat kind.

Each command says who may use it and where (bot.core.access); this runs them all, so a
command added later is covered without anyone writing a test for it. Where the declaration
refuses, the answer is the refusal, in the reader's language, and nothing else happens;
where it allows, the command runs (and does not fail).
"""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from bot.core.access import Access, Role
from bot.core.outgoing import OpenPrivateChat
from bot.core.router import Command, Router
from bot.handlers.profile import router as profile_router
from bot.storage.conversations import ConversationRepository
from bot.storage.models import Chat, ConversationState, Delivery
from tests.handlers.test_chapters import chapter, meet_organizers, request_brussels
from tests.support.harness import Harness, Reply

GROUP = "brussels-chat"
# Who plays each role: Nina is a member of Brussels, Olga organizes it, the admin runs the
# organization, Mona moderates the group chat (and is nothing else).
PLAYERS = {Role.MEMBER: "nina", Role.ORGANIZER: "olga", Role.ADMIN: "admin", Role.MODERATOR: "mona"}
APOLOGY = "Sorry, something went wrong"
PRIVATE_POINTER = (
    "Let's talk about that in a private conversation, so your details stay between us."
)


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


async def setting(bot: Harness, lang: str) -> None:
    for player in PLAYERS.values():
        await bot.onboard(player, lang, place="Antwerpen")
    await request_brussels(bot, "nina", lang)
    await bot.press((await bot.inbox("olga")).choice.prompt_id, "accept", member="olga")
    await bot.add_bot_to_group(GROUP, by="olga")
    await bot.say_in_group("/link Brussels", member="olga", chat=GROUP)
    await bot.say_in_group(f"/language {lang}", member="olga", chat=GROUP)
    await bot.inbox("nina")  # read what the setting up sent
    await bot.inbox("olga")


def holds(role: Role, who: frozenset[Role], direct: bool) -> bool:
    """What each player may do, from the roles they were given above."""
    if Role.MEMBER in who:
        return True
    if role == Role.MODERATOR:
        return Role.MODERATOR in who and not direct
    return role in who


def expected_refusal(bot: Harness, command: Command, direct: bool, lang: str) -> str | None:
    """The refusal text for a player without the role (None: offered only in private)."""
    translator = bot.app.services.catalogs.translator(lang)
    if command.access.who(direct) is None:
        if not direct:
            return None
        elsewhere = command.elsewhere or "Send /%(command)s in a group chat."
        return translator.gettext(elsewhere) % {"command": command.name}
    if command.refusal is None:
        return ""  # open to everyone there
    return translator.gettext(command.refusal) % {"chapter": "Brussels", "command": command.name}


def traces(bot: Harness, member: str) -> tuple[int, int]:
    """What a command could leave behind: messages for others, a flow begun."""
    with bot.app.services.database.session() as session:
        deliveries = session.exec(select(func.count()).select_from(Delivery)).one()
        flows = session.exec(
            select(func.count())
            .select_from(ConversationState)
            .where(ConversationState.flow.is_not(None))  # type: ignore[union-attr]
        ).one()
    return deliveries, flows


async def run(bot: Harness, member: str, text: str, direct: bool, role: Role) -> Reply:
    if direct:
        return await bot.say(text, member=member)
    return await bot.say_in_group(text, member=member, chat=GROUP, moderator=role == Role.MODERATOR)


async def restore(bot: Harness, member: str, direct: bool, role: Role, lang: str) -> None:
    """Undo what an allowed command began, so that each case starts from the same place."""
    await run(bot, member, "/cancel", direct, role)
    with bot.app.services.database.session() as session:
        chat = ConversationRepository(session).find_chat("test", GROUP)
        assert chat is not None
        chat.chapter_id, chat.language = chapter(bot, "Brussels").id, lang
        session.add(chat)
        session.commit()


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
async def test_every_command_refuses_whom_and_where_it_declares(
    chapters_bot: Harness, lang: str
) -> None:
    bot = chapters_bot
    await setting(bot, lang)
    commands = bot.app.dispatcher.router.commands
    translator = bot.app.services.catalogs.translator(lang)
    assert len(commands) >= 20  # the routers were read, not an empty list
    cases = 0
    for command in commands.values():
        for role, member in PLAYERS.items():
            for direct in (True, False):
                who = command.access.who(direct)
                allowed = who is not None and holds(role, who, direct)
                before = traces(bot, member)
                reply = await run(bot, member, f"/{command.name}", direct, role)
                case = f"/{command.name} by the {role} in a {'direct' if direct else 'group'} chat"
                assert APOLOGY not in reply.text, case
                refusal = expected_refusal(bot, command, direct, lang)
                if allowed:
                    if refusal:
                        assert plain(refusal) not in reply.text, case
                    pointer = translator.gettext(PRIVATE_POINTER)
                    assert plain(pointer) not in reply.text, case
                    await restore(bot, member, direct, role, lang)
                else:
                    assert len(reply.messages) == 1, (case, reply.texts)
                    if refusal is None:
                        body = reply.messages[0].body
                        assert isinstance(body, OpenPrivateChat) and body.start == command.name
                    else:
                        assert reply.text == plain(refusal), case
                    assert reply.messages[0].language == lang, case
                    assert traces(bot, member) == before, f"{case} left something behind"
                cases += 1
    assert cases == len(commands) * len(PLAYERS) * 2


async def test_commands_about_a_chapter_need_a_linked_chat(chapters_bot: Harness) -> None:
    bot = chapters_bot
    await meet_organizers(bot)
    await bot.add_bot_to_group("loose-chat", by="olga")
    linked_only = [c for c in bot.app.dispatcher.router.commands.values() if c.access.linked]
    assert {"unlink", "promote", "stats", "organizers", "language"} <= {c.name for c in linked_only}
    for command in linked_only:
        for member in ("olga", "admin"):
            reply = await bot.say_in_group(f"/{command.name}", member=member, chat="loose-chat")
            assert reply.text == (
                "This chat is not linked to a chapter. An organizer can link it with /link."
            ), command.name
    with bot.app.services.database.session() as session:
        loose = session.exec(select(Chat).where(Chat.chat_id == "loose-chat")).one()
        assert loose.chapter_id is None and loose.language is None


def test_a_command_cannot_be_declared_without_saying_who_and_where() -> None:
    router = Router("new")

    async def handler(*_args: object) -> None:
        return None

    with pytest.raises(TypeError):
        router.command("new", description="")(handler)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="where and by whom"):
        router.command("new", description="", access=Access())(handler)
    with pytest.raises(TypeError, match="refusal"):
        router.command("new", description="", access=Access(group=frozenset({Role.ADMIN})))
    assert "language" in profile_router.commands  # declared, so it runs in the matrix
