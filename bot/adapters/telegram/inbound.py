"""Every Telegram update as neutral events for the dispatcher (and the button chores)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from telegram import Bot, Chat, Message, Update, User
from telegram import CallbackQuery as TgCallbackQuery
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import BadRequest, TelegramError

from bot.adapters.telegram import callbacks, keyboards, polls
from bot.adapters.telegram.callbacks import Pick, Toggle
from bot.adapters.telegram.moderators import Moderators
from bot.adapters.telegram.outbound import TelegramOutbox
from bot.adapters.telegram.selections import Selections
from bot.adapters.telegram.state import PLATFORM, TelegramState
from bot.adapters.telegram.text import MAX_MESSAGE_LENGTH, plain_length, to_plain
from bot.app import Application
from bot.core.events import (
    BotAdded,
    BotRemoved,
    ChatKind,
    ChatMoved,
    ChatRef,
    ChoiceMade,
    CommandMessage,
    Incoming,
    LocationShared,
    MemberJoined,
    MemberLeft,
    PollVote,
    Sender,
    TextMessage,
    UnsupportedMessage,
    parse_command,
)
from bot.core.outbox import Outbox
from bot.core.outgoing import Outgoing, Text
from bot.i18n.locale import negotiate_language
from bot.storage.conversations import ConversationRepository
from bot.storage.members import MemberRepository

log = logging.getLogger(__name__)

MAX_CALLBACK_ANSWER = 200

# The updates the adapter asks Telegram for; anything else is never sent to it.
ALLOWED_UPDATES = ["message", "callback_query", "poll_answer", "my_chat_member"]
_PRESENT = {
    ChatMemberStatus.MEMBER,
    ChatMemberStatus.ADMINISTRATOR,
    ChatMemberStatus.OWNER,
    ChatMemberStatus.RESTRICTED,
}
_UNSUPPORTED = (
    "sticker",
    "photo",
    "document",
    "video",
    "voice",
    "audio",
    "animation",
    "video_note",
    "contact",
    "dice",
    "poll",
    "story",
    "game",
)


def sender_of(user: User) -> Sender:
    return Sender(
        PLATFORM,
        str(user.id),
        display_name=user.full_name,
        # As Telegram users write it to reach someone.
        handle=f"@{user.username}" if user.username else None,
        language_hint=user.language_code,
        is_bot=user.is_bot,
    )


def chat_move(message: Message) -> tuple[int, int] | None:
    """(old id, new id) when this service message says a group became a supergroup (it is
    said twice: in the old group and in the new supergroup)."""
    if message.migrate_to_chat_id:
        return message.chat.id, message.migrate_to_chat_id
    if message.migrate_from_chat_id:
        return message.migrate_from_chat_id, message.chat.id
    return None


def chat_kind(chat: Chat) -> ChatKind | None:
    if chat.type == ChatType.PRIVATE:
        return "direct"
    if chat.type in (ChatType.GROUP, ChatType.SUPERGROUP):
        return "group"
    return None  # channels: the bot has nothing to say there


class Inbound:
    def __init__(
        self,
        bot: Bot,
        app: Application,
        outbox: TelegramOutbox,
        state: TelegramState,
        moderators: Moderators,
        turn_outbox: Callable[[], Outbox],
    ) -> None:
        self.bot = bot
        self.app = app
        self.outbox = outbox
        self.state = state
        self.moderators = moderators
        self.turn_outbox = turn_outbox
        self.selections = Selections(app.services.database)

    async def handle(self, update: Update) -> None:
        if update.callback_query is not None:
            await self._callback_query(update, update.callback_query)
        elif update.poll_answer is not None:
            await self._poll_answer(update)
        elif update.my_chat_member is not None:
            await self._my_chat_member(update)
        elif update.message is not None:
            await self._message(update, update.message)

    async def _dispatch(self, incoming: Incoming) -> None:
        await self.app.dispatcher.handle(incoming, self.turn_outbox())

    @staticmethod
    def _common(update: Update, chat: Chat, kind: ChatKind, user: User) -> dict[str, Any]:
        return {
            "chat": ChatRef(PLATFORM, str(chat.id)),
            "chat_kind": kind,
            "sender": sender_of(user),
            "event_id": str(update.update_id),
            "receipt": str(update.update_id),
        }

    # -- messages ----------------------------------------------------------------------

    async def _message(self, update: Update, message: Message) -> None:
        kind, user = chat_kind(message.chat), message.from_user
        if kind is None or user is None:
            return
        moved = chat_move(message)
        if moved is not None:
            old_id, new_id = moved
            common = self._common(update, message.chat, kind, user)
            common["chat"] = ChatRef(PLATFORM, str(old_id))
            await self._dispatch(ChatMoved(new_chat_id=str(new_id), **common))
            return
        common = self._common(update, message.chat, kind, user)
        if message.new_chat_members:
            for member in message.new_chat_members:
                if member.id != self.bot.id:  # our own arrival comes as my_chat_member
                    # One turn per newcomer, each recorded on its own.
                    common["receipt"] = f"{update.update_id}:{member.id}"
                    await self._dispatch(MemberJoined(member=sender_of(member), **common))
            return
        if message.left_chat_member is not None:
            if message.left_chat_member.id != self.bot.id:
                member = sender_of(message.left_chat_member)
                await self._dispatch(MemberLeft(member=member, **common))
            return
        if message.location is not None:
            self.outbox.location_shared(message.chat.id)
            location = message.location
            await self._dispatch(
                LocationShared(latitude=location.latitude, longitude=location.longitude, **common)
            )
            return
        if message.text is not None:
            await self._text(message, user, kind, common)
            return
        unsupported = next((name for name in _UNSUPPORTED if getattr(message, name, None)), None)
        if unsupported is not None:
            await self._dispatch(UnsupportedMessage(kind=unsupported, **common))

    async def _text(
        self, message: Message, user: User, kind: ChatKind, common: dict[str, Any]
    ) -> None:
        text = message.text or ""
        command = parse_command(text, bot_username=self.bot.username)
        if command is None:
            if parse_command(text) is not None:
                return  # "/start@another_bot": not for us
            await self._dispatch(TextMessage(text=text, **common))
            return
        moderator = kind == "group" and await self.moderators.is_moderator(message.chat.id, user.id)
        await self._dispatch(
            CommandMessage(name=command[0], args=command[1], chat_moderator=moderator, **common)
        )

    # -- buttons -----------------------------------------------------------------------

    async def _callback_query(self, update: Update, query: TgCallbackQuery) -> None:
        vote = polls.decode(query.data)
        if vote is not None:
            await self._poll_press(update, query, vote)
            return
        press = callbacks.decode(query.data)
        message = query.message
        refusal = None
        if press is not None and press.owner not in (None, query.from_user.id):
            # Someone else's question: the buttons stay as they are, the core hears nothing.
            translator = self.app.services.catalogs.translator(self._language_of(query))
            refusal = translator.gettext("This question is for someone else.")
        try:
            # Always answered, so that the button stops spinning.
            await (query.answer(refusal) if refusal else query.answer())
        except TelegramError as error:
            log.warning("could not answer callback query %s: %s", query.id, error)
        if press is None or message is None or refusal:
            return
        kind = chat_kind(message.chat)
        if kind is None:
            return
        readable = message if isinstance(message, Message) else None  # else too old to read
        shown = keyboards.read_choice(readable.reply_markup) if readable else None
        if isinstance(press, Toggle):
            if readable is not None and shown is not None:
                await self._redraw(readable, press, shown)
            return
        indexes = (press.index,) if isinstance(press, Pick) else callbacks.indexes(press.mask)
        if not indexes:
            return
        if readable is not None and shown is not None:
            chosen = [shown.labels[i] for i in indexes if i < len(shown.labels)]
            await self._show_answer(readable, chosen)
        prompt_id = self.state.prompt(press.prompt) or ""
        common = self._common(update, message.chat, kind, query.from_user)
        await self._dispatch(ChoiceMade(prompt_id=prompt_id, indexes=indexes, **common))

    async def _redraw(self, message: Message, press: Toggle, shown: keyboards.ShownChoice) -> None:
        translator = self.app.services.catalogs.translator(press.language)
        markup = keyboards.multiple_choice(
            press.prompt,
            shown.labels,
            press.mask,
            translator.gettext("Done"),
            press.language,
            press.owner,
        )
        await self._edit(message, "editMessageReplyMarkup", reply_markup=markup)

    def _language_of(self, query: TgCallbackQuery) -> str:
        """The presser's language: their choice, else their app's, else the chat's."""
        user_id = str(query.from_user.id)
        chat_id = str(query.message.chat.id) if query.message else None
        with self.app.services.database.session() as session:
            found = MemberRepository(session).find_by_identity(PLATFORM, user_id)
            chat = ConversationRepository(session).find_chat(PLATFORM, chat_id) if chat_id else None
            return negotiate_language(
                found[0].language if found else None,
                query.from_user.language_code,
                ConversationRepository(session).chat_language(
                    chat, self.app.services.organization.default_language
                ),
                self.app.services.organization.default_language,
            )

    async def _show_answer(self, message: Message, chosen: list[str]) -> None:
        """Leave the question in the chat with what was chosen, without its buttons."""
        answered = keyboards.with_answer(message.text_html, chosen) if message.text else None
        if answered is None or plain_length(answered) > MAX_MESSAGE_LENGTH:
            await self._edit(message, "editMessageReplyMarkup", reply_markup=None)
        else:
            await self._edit(message, "editMessageText", text=answered)

    async def _edit(self, message: Message, method: str, **changes: Any) -> None:
        try:
            if method == "editMessageText":
                await self.bot.edit_message_text(
                    chat_id=message.chat.id,
                    message_id=message.message_id,
                    parse_mode=ParseMode.HTML,
                    **changes,
                )
            else:
                await self.bot.edit_message_reply_markup(
                    chat_id=message.chat.id, message_id=message.message_id, **changes
                )
        except BadRequest as error:
            # "message is not modified" after a double press, or a message too old to edit.
            log.info("%s on message %s failed: %s", method, message.message_id, error.message)
        except TelegramError as error:
            log.warning("%s on message %s failed: %s", method, message.message_id, error)

    # -- polls ------------------------------------------------------------------------

    async def _poll_press(
        self, update: Update, query: TgCallbackQuery, press: polls.PollPress
    ) -> None:
        """A button of an anonymous poll: a vote, or a step in selecting several options.
        The press is always answered, once, with what became of it (seen by the presser
        alone). A press delivered again after it was handled was answered then: Telegram
        would refuse a second answer."""
        answer: tuple[str | None, bool] | None = (None, False)
        try:
            answer = await self._poll_vote(update, query, press)
        finally:
            if answer is not None:
                await self._answer_press(query, *answer)

    async def _answer_press(self, query: TgCallbackQuery, text: str | None, alert: bool) -> None:
        try:
            if text:
                await query.answer(text[:MAX_CALLBACK_ANSWER], show_alert=alert)
            else:
                await query.answer()
        except TelegramError as error:
            log.warning("could not answer callback query %s: %s", query.id, error)

    async def _poll_vote(
        self, update: Update, query: TgCallbackQuery, press: polls.PollPress
    ) -> tuple[str | None, bool] | None:
        """(what to answer the press with, whether as an alert to dismiss); None for a
        selection changed by this update before."""
        message = query.message
        kind = chat_kind(message.chat) if message is not None else None
        if message is None or kind is None:
            return None, False
        chat_id = message.chat.id
        posted = self.state.posted_poll(press.ref, str(chat_id))
        if posted is None or posted.get("native", True):
            return None, False  # not a poll of ours (any more)
        options: list[str] = posted["options"]
        user_id = query.from_user.id
        if posted["multiple"]:
            if press.index is not None:
                if not 0 <= press.index < len(options):
                    return None, False
                selected = self.selections.toggle(
                    press.ref, chat_id, user_id, press.index, update.update_id
                )
                if selected is None:
                    return None
                shown = message.reply_markup if isinstance(message, Message) else None
                return polls.selection_text(selected, polls.labels_of(shown)), False
            chosen = self.selections.selected(press.ref, chat_id, user_id)
        else:
            chosen = [press.index] if press.index is not None else []
        keys = tuple(options[i] for i in chosen if 0 <= i < len(options))
        if not keys:
            return None, False  # nothing selected yet: nothing to cast
        common = self._common(update, message.chat, kind, query.from_user)
        vote = PollVote(poll_id=posted["poll"], option_keys=keys, **common)
        answer = await self._cast(vote, posted["language"])
        if posted["multiple"]:
            self.selections.cast(press.ref, chat_id, user_id, update.update_id)
        return answer

    async def _cast(self, vote: PollVote, language: str) -> tuple[str | None, bool]:
        """Hand the vote to the core and say what became of it. The core answers only a
        refused vote; what it says goes to the presser alone: the group needs no echo."""
        replies = _KeptReplies(self.turn_outbox(), vote.chat)
        await self.app.dispatcher.handle(vote, replies)
        if replies.texts:
            return to_plain(replies.texts[0]).strip(), True
        return self.app.services.catalogs.translator(language).gettext(
            "Your vote is counted."
        ), False

    # -- native polls and membership ---------------------------------------------------

    async def _poll_answer(self, update: Update) -> None:
        answer = update.poll_answer
        assert answer is not None
        mapping = self.state.poll(answer.poll_id)
        if mapping is None or answer.user is None:
            return  # not a poll of ours, or a vote on behalf of a chat
        options: list[str] = mapping["options"]
        keys = tuple(options[i] for i in answer.option_ids if 0 <= i < len(options))
        await self._dispatch(
            PollVote(
                chat=ChatRef(PLATFORM, mapping["chat"]),
                chat_kind=mapping["kind"],
                sender=sender_of(answer.user),
                event_id=str(update.update_id),
                receipt=str(update.update_id),
                poll_id=mapping["poll"],
                option_keys=keys,
            )
        )

    async def _my_chat_member(self, update: Update) -> None:
        change = update.my_chat_member
        assert change is not None
        chat, actor = change.chat, change.from_user
        was_in = change.old_chat_member.status in _PRESENT
        is_in = change.new_chat_member.status in _PRESENT
        if chat.type == ChatType.PRIVATE:
            if change.new_chat_member.status == ChatMemberStatus.BANNED:
                self.state.mark_unreachable(str(chat.id))  # the member blocked the bot
            return
        kind = chat_kind(chat)
        if kind is None or was_in == is_in:
            return
        common = self._common(update, chat, kind, actor)
        if is_in:
            await self._dispatch(BotAdded(title=chat.title, **common))
        else:
            await self._dispatch(BotRemoved(**common))


class _KeptReplies:
    """A turn's outbox that keeps the texts for one chat instead of sending them there."""

    def __init__(self, outbox: Outbox, chat: ChatRef) -> None:
        self.outbox = outbox
        self.chat = chat
        self.texts: list[str] = []

    async def send(self, message: Outgoing) -> None:
        if message.chat == self.chat and isinstance(message.body, Text):
            self.texts.append(message.body.text)
            return
        await self.outbox.send(message)
