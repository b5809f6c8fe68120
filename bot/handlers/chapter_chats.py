"""Chapter group chats: the bot's greeting, linking a chat to its chapter, the chat's language."""

from __future__ import annotations

from bot.core.access import ORGANIZERS, Access
from bot.core.conversation import Conversation
from bot.core.events import BotAdded, BotRemoved, ChatMoved, ChoiceMade, CommandMessage, Incoming
from bot.core.flow import Flow
from bot.core.notify import Notifier
from bot.core.outgoing import Option
from bot.core.router import Router
from bot.handlers import reminders
from bot.handlers.chapter_admin import is_admin, may_run
from bot.i18n.catalog import N_
from bot.i18n.locale import SUPPORTED_LANGUAGES, autonym
from bot.storage.chapters import ChapterRepository
from bot.storage.conversations import ConversationRepository
from bot.storage.memberships import MembershipRepository
from bot.storage.models import Chapter
from bot.storage.schedules import ScheduleRepository

router = Router("chapter_chats")
linking = router.include_flow(Flow("linking"))

PAGE_SIZE = 8  # chapters per page of the /link menu


@router.on(ChatMoved)
async def follow_moved_chat(conv: Conversation, event: Incoming) -> None:
    """A group that got a new id keeps its chapter, its language, open questions and
    reminders."""
    assert isinstance(event, ChatMoved)
    ConversationRepository(conv.session).move_chat(
        event.chat.platform, event.chat.chat_id, event.new_chat_id
    )
    ScheduleRepository(conv.session).retarget(
        event.chat.platform, event.chat.chat_id, event.new_chat_id
    )
    conv.state_replaced = True


@router.on(BotRemoved)
async def removed_from_group(conv: Conversation, _event: Incoming) -> None:
    """Removed from a chapter's chat: unlink it (invitations there would fail) and tell the
    chapter's organizers, who may link another chat."""
    chat = conv.chat
    reminders.pause_in_chat(conv.services, conv.session, conv.chat_ref)
    if chat is None or chat.chapter_id is None:
        return
    chapter = ChapterRepository(conv.session).get(chat.chapter_id)
    ConversationRepository(conv.session).link(chat, None)
    if chapter is None:
        return
    notifier = Notifier(conv.services, conv.session)
    for organizer in MembershipRepository(conv.session).organizers_of(chapter.id):
        notifier.tell(
            organizer,
            lambda voice: voice._(
                "I was removed from a group chat of %(chapter)s, so it is no longer linked. "
                "To link another one, add me to it and send /link there.",
                chapter=chapter.name,
            ),
        )


@router.on(BotAdded)
async def greet_group(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, BotAdded)
    if conv.chat is not None and event.title:
        conv.chat.title = event.title[:255]  # how the chat is named to members (results)
        conv.session.add(conv.chat)
    conv.reply(
        conv._(
            "Hello! I'm the assistant of %(organization)s. Members can talk to me in a private "
            "conversation to find their chapter. A chapter organizer can link this chat to "
            "the chapter with /link.",
            organization=conv.services.organization.name,
        )
    )


def linkable_chapters(conv: Conversation) -> list[Chapter]:
    if is_admin(conv):
        return ChapterRepository(conv.session).all()
    return MembershipRepository(conv.session).organized_by(conv.member.id)


@router.command(
    "link",
    description=N_("Link this group chat to your chapter (organizers)"),
    access=Access(group=ORGANIZERS),
    refusal=N_("Only a chapter's organizers can link a chat to it."),
    elsewhere=N_(
        "/link works in a chapter's group chat: add me to the group, then send /link there."
    ),
)
async def link(conv: Conversation, command: CommandMessage) -> None:
    chat = conv.chat
    assert chat is not None
    chapters = ChapterRepository(conv.session)
    mine = linkable_chapters(conv)  # not empty: the command is for organizers
    if chat.chapter_id is not None:
        linked = chapters.get(chat.chapter_id)
        conv.reply(
            conv._(
                "This chat is already linked to %(chapter)s. Send /unlink first to change it.",
                chapter=linked.name if linked else "?",
            )
        )
        return
    wanted = command.args.strip()
    if wanted:
        matches = chapters.named(wanted, among=mine)
        if not matches:
            conv.reply(
                conv._(
                    "You can't link this chat to “%(chapter)s”: you don't organize a chapter by "
                    "that name.",
                    chapter=wanted,
                )
            )
            return
        link_to(conv, matches[0])
        return
    if len(mine) == 1:
        link_to(conv, mine[0])
        return
    options = [Option(str(c.id), c.name) for c in mine]
    await conv.enter(linking, "pick", options=options, page=0)


@linking.prompt("pick")
async def ask_pick(conv: Conversation) -> None:
    # A page at a time (a keyboard of 40 chapters helps nobody), and a way to the others.
    options = conv.remembered_options()
    pages = max(1, -(-len(options) // PAGE_SIZE))
    page = conv.state.data.get("page", 0) % pages
    shown = options[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    if pages > 1:
        shown.append(Option("more", conv._("More chapters…")))
    conv.ask(conv._("Which chapter is this chat for?"), shown)


@linking.answer("pick")
async def on_pick(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    if event.keys[0] == "more":
        await conv.enter(linking, "pick", page=conv.state.data.get("page", 0) + 1)
        return
    conv.finish()
    chapter = ChapterRepository(conv.session).get(int(event.keys[0]))
    if chapter is None or not may_run(conv, chapter):
        conv.reply(conv._("Only a chapter's organizers can link a chat to it."))
        return
    if conv.chat is not None and conv.chat.chapter_id is not None:
        conv.reply(conv._("This chat was linked in the meantime. Send /unlink first to change it."))
        return
    link_to(conv, chapter)


def link_to(conv: Conversation, chapter: Chapter) -> None:
    assert conv.chat is not None
    conversations = ConversationRepository(conv.session)
    conversations.link(conv.chat, chapter.id)
    # From now on the chat speaks the chapter's language (unless one was set for it).
    language = conversations.chat_language(conv.chat, conv.services.organization.default_language)
    if language != conv.language:
        conv.use_language(conv.services.catalogs.translator(language))
    conv.reply(
        conv._(
            "This chat is now the chat of %(chapter)s. New members will be invited here.",
            chapter=chapter.name,
        )
    )


@router.command(
    "unlink",
    description=N_("Unlink this group chat from its chapter (organizers)"),
    access=Access(group=ORGANIZERS, linked=True),
    refusal=N_("Only the organizers of %(chapter)s can unlink this chat."),
)
async def unlink(conv: Conversation, _command: CommandMessage) -> None:
    chat = conv.chat
    if conv.incoming.is_direct or chat is None or chat.chapter_id is None:
        conv.reply(conv._("This chat is not linked to a chapter."))
        return
    chapter = ChapterRepository(conv.session).get(chat.chapter_id)
    if chapter is not None and not may_run(conv, chapter):
        conv.reply(
            conv._("Only the organizers of %(chapter)s can unlink this chat.", chapter=chapter.name)
        )
        return
    ConversationRepository(conv.session).link(chat, None)
    reminders.pause_in_chat(conv.services, conv.session, conv.chat_ref)
    conv.reply(conv._("This chat is no longer linked to a chapter."))


async def set_chat_language(conv: Conversation, wanted: str) -> None:
    """/language in a group: the chat's own language, set by the chapter's organizers."""
    chat = conv.chat
    assert chat is not None
    chapter = ChapterRepository(conv.session).get(chat.chapter_id) if chat.chapter_id else None
    if chapter is None:
        conv.reply(
            conv._(
                "Link this chat to a chapter first (/link); "
                "then its organizers can set its language."
            )
        )
        return
    if not may_run(conv, chapter):
        conv.reply(
            conv._(
                "Only the organizers of %(chapter)s can change this chat's language.",
                chapter=chapter.name,
            )
        )
        return
    if wanted not in SUPPORTED_LANGUAGES:
        conv.reply(conv._("Usage: /language en, /language fr or /language nl."))
        return
    chat.language = wanted
    conv.session.add(chat)
    conv.use_language(conv.services.catalogs.translator(wanted))
    conv.reply(conv._("This chat's language is now %(language)s.", language=autonym(wanted)))
