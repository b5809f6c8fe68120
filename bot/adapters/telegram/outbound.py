"""Neutral outgoing messages rendered the way Telegram users expect, and delivery failures
turned into DeliveryFailed for whoever sends (a reply in a turn, or the outbox drainer)."""

from __future__ import annotations

import asyncio
import dataclasses
import html
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from telegram import (
    Bot,
    ChatInviteLink,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    LinkPreviewOptions,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from bot.adapters.telegram import keyboards, polls
from bot.adapters.telegram.callbacks import MAX_CALLBACK_DATA
from bot.adapters.telegram.ratelimit import retry_after_seconds
from bot.adapters.telegram.state import PLATFORM, TelegramState
from bot.adapters.telegram.text import split_markup, to_plain
from bot.core.events import ChatRef
from bot.core.outbox import DeliveryFailed
from bot.core.outgoing import (
    AskLocation,
    Choice,
    ClosePoll,
    Image,
    Invite,
    OpenPrivateChat,
    Outgoing,
    Poll,
    Text,
)
from bot.i18n.catalog import Catalogs

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_POLL_QUESTION = 300
MAX_POLL_OPTION = 100
INVITE_LIFETIME = timedelta(days=7)
MAX_CAPTION = 1024
_START_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Room left in callback data for "t||" + a selection of up to 100 options in base 36 + "|fr"
# + "|" and the asked member's user id in base 36.
_MAX_PROMPT_IN_DATA = MAX_CALLBACK_DATA - 40


class CallFailed(Exception):
    """A Bot API call failed for good (after the network retries); says which method."""

    def __init__(self, method: str, error: TelegramError) -> None:
        super().__init__(f"{method}: {error}")
        self.method = method
        self.error = error


def chat_id_of(chat: ChatRef) -> int | str:
    try:
        return int(chat.chat_id)
    except ValueError:
        return chat.chat_id  # "@channelname"


def is_private(chat_id: int | str) -> bool:
    # Telegram gives people positive ids and groups negative ones.
    return isinstance(chat_id, int) and chat_id > 0


class TelegramOutbox:
    """Sends one neutral message; raises DeliveryFailed when Telegram will not take it."""

    def __init__(
        self,
        bot: Bot,
        catalogs: Catalogs,
        state: TelegramState,
        *,
        network_retries: int = 3,
        network_backoff: float = 0.5,
    ) -> None:
        self.bot = bot
        self.catalogs = catalogs
        self.state = state
        self.network_retries = network_retries
        self.network_backoff = network_backoff
        # Private chats showing our location keyboard: "open" while its question may still be
        # answered with it, "answered" once the conversation moved on (removed with the next
        # text). Process-local: at worst a keyboard lingers after a restart.
        self._location_keyboards: dict[int | str, str] = {}
        self._renderers: dict[type, Callable[[int | str, Any, Outgoing], Awaitable[None]]] = {
            Text: self._text,
            Choice: self._choice,
            AskLocation: self._ask_location,
            OpenPrivateChat: self._open_private_chat,
            Poll: self._poll,
            Invite: self._invite,
            ClosePoll: self._close_poll,
            Image: self._photo,
        }

    # -- the outbox protocol -----------------------------------------------------------

    async def send(self, message: Outgoing) -> None:
        if message.chat.platform != PLATFORM:
            raise DeliveryFailed(f"not a Telegram chat: {message.chat.key}", permanent=True)
        renderer = self._renderers.get(type(message.body))
        if renderer is None:
            raise DeliveryFailed(f"cannot render {type(message.body).__name__}", permanent=True)
        try:
            await renderer(chat_id_of(message.chat), message.body, message)
        except CallFailed as failed:
            if isinstance(failed.error, ChatMigrated) and failed.method != "createChatInviteLink":
                # The group became a supergroup: same conversation, new id. (An invite's
                # target moving is handled where the link is made, never by re-addressing
                # the member's one-time link to the group.)
                moved = ChatRef(PLATFORM, str(failed.error.new_chat_id))
                log.info("chat %s moved to %s", message.chat.chat_id, moved.chat_id)
                await self.send(dataclasses.replace(message, chat=moved))
                return
            raise self._delivery_failed(message, failed) from failed.error

    def _delivery_failed(self, message: Outgoing, failed: CallFailed) -> DeliveryFailed:
        error, method = failed.error, failed.method
        reason = f"{method}: {error.message}"
        if isinstance(error, RetryAfter):
            return DeliveryFailed(reason, retry_after=retry_after_seconds(error))
        if isinstance(error, Forbidden):
            chat_id = chat_id_of(message.chat)
            if is_private(chat_id):
                self.state.mark_unreachable(str(chat_id))
            log.info("message %s not delivered to %s: %s", message.id, message.chat.key, reason)
            return DeliveryFailed(reason, permanent=True)
        if isinstance(error, BadRequest):
            log.error("Telegram refused %s for message %s: %s", method, message.id, error.message)
            return DeliveryFailed(reason, permanent=True)
        log.warning("message %s not delivered yet: %s", message.id, reason)
        return DeliveryFailed(reason)

    async def _call(self, method: str, call: Callable[..., Awaitable[T]], **kwargs: Any) -> T:
        """One Bot API call; network errors are retried with backoff (429s are waited out by
        the rate limiter below)."""
        attempt = 0
        while True:
            try:
                return await call(**kwargs)
            except BadRequest as error:  # a NetworkError subclass, but never worth retrying
                raise CallFailed(method, error) from error
            except NetworkError as error:
                if attempt >= self.network_retries:
                    raise CallFailed(method, error) from error
                delay = self.network_backoff * 2**attempt
                attempt += 1
                log.info("%s failed (%s); retrying in %.1f s", method, error.message, delay)
                await asyncio.sleep(delay)
            except TelegramError as error:
                raise CallFailed(method, error) from error

    # -- renderers ---------------------------------------------------------------------

    async def _send_text(
        self,
        chat_id: int | str,
        markup: str,
        message: Outgoing,
        reply_markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None,
    ) -> Message:
        """Over-long text goes out as several messages; buttons go under the last one."""
        chunks = split_markup(markup)
        sent: Message | None = None
        for position, chunk in enumerate(chunks):
            last = position == len(chunks) - 1
            sent = await self._send_chunk(chat_id, chunk, message, reply_markup if last else None)
        assert sent is not None
        return sent

    async def _send_chunk(
        self,
        chat_id: int | str,
        chunk: str,
        message: Outgoing,
        reply_markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None,
    ) -> Message:
        try:
            return await self._call(
                "sendMessage",
                self.bot.send_message,
                chat_id=chat_id,
                text=chunk,
                parse_mode=ParseMode.HTML,
                reply_markup=reply_markup,
                **previews(message),
            )
        except CallFailed as failed:
            if not (
                isinstance(failed.error, BadRequest)
                and "can't parse entities" in failed.error.message.lower()
            ):
                raise
            # A markup mistake in the core must not silence the bot: say it without markup.
            log.error(
                "Telegram refused the markup of message %s (%s); sending it as plain text",
                message.id,
                failed.error.message,
            )
            return await self._call(
                "sendMessage",
                self.bot.send_message,
                chat_id=chat_id,
                text=to_plain(chunk),
                reply_markup=reply_markup,
            )

    async def _text(self, chat_id: int | str, body: Text, message: Outgoing) -> None:
        remove = None
        if self._location_keyboards.get(chat_id) == "answered":
            remove = ReplyKeyboardRemove()
        await self._send_text(chat_id, body.text, message, remove)
        if remove is not None:
            self._location_keyboards.pop(chat_id, None)

    async def _choice(self, chat_id: int | str, body: Choice, message: Outgoing) -> None:
        if self._location_keyboards.get(chat_id) == "open":
            self._location_keyboards[chat_id] = "answered"  # a new question: the old one is done
        labels = [to_plain(option.label) for option in body.options]
        prompt = body.prompt_id
        if len(prompt.encode()) > _MAX_PROMPT_IN_DATA or "|" in prompt:
            prompt = self.state.short_prompt(prompt)
        owner = (
            int(body.asked)
            if body.asked and body.asked.isascii() and body.asked.isdigit()
            else None
        )
        if body.multiple:
            done = self.catalogs.translator(message.language).gettext("Done")
            markup = keyboards.multiple_choice(prompt, labels, 0, done, message.language, owner)
        else:
            markup = keyboards.single_choice(prompt, labels, owner)
        text = body.text
        if body.invitation:
            # The buttons are the answers: the invitation to forward is its link, in the text.
            text = f"{text}\n{self.start_link(body.invitation)}"
        await self._send_text(chat_id, text, message, markup)

    async def _ask_location(self, chat_id: int | str, body: AskLocation, message: Outgoing) -> None:
        if not is_private(chat_id):
            # Telegram allows location buttons only in private chats; a town name will do.
            await self._send_text(chat_id, body.text, message, None)
            return
        keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton(to_plain(body.button_label), request_location=True)]],
            one_time_keyboard=True,
            resize_keyboard=True,
        )
        await self._send_text(chat_id, body.text, message, keyboard)
        self._location_keyboards[chat_id] = "open"

    def location_shared(self, chat_id: int | str) -> None:
        """The member used the location keyboard: remove it with our next text."""
        if chat_id in self._location_keyboards:
            self._location_keyboards[chat_id] = "answered"

    def start_link(self, start: str) -> str:
        """The deep link into the private chat, beginning with `start` when it is valid."""
        url = f"https://t.me/{self.bot.username}"
        return f"{url}?start={start}" if start and _START_PAYLOAD.match(start) else url

    async def _open_private_chat(
        self, chat_id: int | str, body: OpenPrivateChat, message: Outgoing
    ) -> None:
        url = self.start_link(body.start)
        button = InlineKeyboardButton(to_plain(body.button_label), url=url)
        # A message to forward shows its link too: a button may not survive copying.
        text = f"{body.text}\n{url}" if body.shared else body.text
        await self._send_text(chat_id, text, message, InlineKeyboardMarkup([[button]]))

    async def _photo(self, chat_id: int | str, body: Image, message: Outgoing) -> None:
        """sendPhoto with the caption under it; a caption longer than Telegram allows
        follows as text."""
        fits = len(to_plain(body.caption)) <= MAX_CAPTION
        await self._call(
            "sendPhoto",
            self.bot.send_photo,
            chat_id=chat_id,
            photo=body.png,
            filename=body.filename,
            caption=body.caption if fits else None,
            parse_mode=ParseMode.HTML if fits else None,
        )
        if not fits:
            await self._send_text(chat_id, body.caption, message, None)

    async def _poll(self, chat_id: int | str, body: Poll, message: Outgoing) -> None:
        """A named poll is Telegram's own, not anonymous (the core needs each voter's
        poll_answer for one ballot per member); an anonymous one is a message with buttons,
        as Telegram's anonymous polls tell nobody who voted (see polls.py). A poll whose
        results stay hidden until it closes uses buttons too: a native poll shows the
        results to everyone who voted."""
        if body.anonymous or body.hidden:
            await self._button_poll(chat_id, body, message)
            return
        sent = await self._call(
            "sendPoll",
            self.bot.send_poll,
            chat_id=chat_id,
            question=to_plain(body.question)[:MAX_POLL_QUESTION],
            options=[to_plain(o.label)[:MAX_POLL_OPTION] for o in body.options],
            is_anonymous=False,
            allows_multiple_answers=body.multiple,
        )
        assert sent.poll is not None
        kind = "direct" if is_private(chat_id) else "group"
        keys = [o.key for o in body.options]
        self.state.remember_poll(
            sent.poll.id, body.poll_id, keys, str(chat_id), kind, sent.message_id
        )
        posted = {"poll": body.poll_id, "message": sent.message_id, "native": True}
        self.state.remember_posted_poll(polls.poll_ref(body.poll_id), str(chat_id), posted)

    async def _button_poll(self, chat_id: int | str, body: Poll, message: Outgoing) -> None:
        ref = polls.poll_ref(body.poll_id)
        labels = [to_plain(o.label)[:MAX_POLL_OPTION] for o in body.options]
        cast_label = None
        if body.multiple:
            cast_label = self.catalogs.translator(message.language).gettext("Done")
        question = html.escape(to_plain(body.question)[:MAX_POLL_QUESTION], quote=False)
        # The options in full (a button shows one line of its label), without numbers: a vote
        # typed in the group would show everyone who chose what.
        lines = [f"📊 <b>{question}</b>", ""]
        lines += [f"• {html.escape(label, quote=False)}" for label in labels]
        markup = polls.keyboard(ref, labels, cast_label)
        sent = await self._send_text(chat_id, "\n".join(lines), message, markup)
        posted = {
            "poll": body.poll_id,
            "message": sent.message_id,
            "native": False,
            "options": [o.key for o in body.options],
            "multiple": body.multiple,
            "language": message.language,
        }
        self.state.remember_posted_poll(ref, str(chat_id), posted)

    async def _close_poll(self, chat_id: int | str, body: ClosePoll, message: Outgoing) -> None:
        """Stop the native poll, or take the buttons off an anonymous one; nothing if this
        chat never got the poll from us. The core posts the results next."""
        posted = self.state.posted_poll(polls.poll_ref(body.poll_id), str(chat_id))
        if posted is None:
            return
        try:
            if posted["native"]:
                await self._call(
                    "stopPoll",
                    self.bot.stop_poll,
                    chat_id=chat_id,
                    message_id=posted["message"],
                )
            else:
                await self._call(
                    "editMessageReplyMarkup",
                    self.bot.edit_message_reply_markup,
                    chat_id=chat_id,
                    message_id=posted["message"],
                    reply_markup=None,
                )
        except CallFailed as failed:
            if not isinstance(failed.error, BadRequest):
                raise
            # Already stopped, deleted by someone, or too old to edit: nothing left to close.
            log.info(
                "poll %s in %s not closed by %s: %s",
                body.poll_id,
                chat_id,
                failed.method,
                failed.error.message,
            )

    async def _invite(self, chat_id: int | str, body: Invite, message: Outgoing) -> None:
        target = body.target_chat
        if target.platform != PLATFORM:
            raise DeliveryFailed(f"cannot invite into {target.key} from Telegram", permanent=True)
        target_id = chat_id_of(target)
        try:
            try:
                link = await self._invite_link(target_id, body.user_id)
            except CallFailed as failed:
                if not isinstance(failed.error, ChatMigrated):
                    raise
                # The chapter's group became a supergroup: the link is for the new one.
                link = await self._invite_link(failed.error.new_chat_id, body.user_id)
        except CallFailed as failed:
            if not isinstance(failed.error, BadRequest | Forbidden):
                raise
            # Usually the bot is not an administrator of the group: the member still hears
            # what happened and what to do, rather than nothing.
            log.warning("no invite link into %s for message %s: %s", target.key, message.id, failed)
            note = self.catalogs.translator(message.language).gettext(
                "I could not make an invitation to the chapter's group chat: I need to be an "
                "administrator there. Please ask an organizer to add you."
            )
            await self._send_text(chat_id, f"{body.text}\n\n{html.escape(note)}", message, None)
            return
        button = InlineKeyboardButton(to_plain(body.button_label), url=link.invite_link)
        await self._send_text(chat_id, body.text, message, InlineKeyboardMarkup([[button]]))

    async def _invite_link(self, chat_id: int | str, user_id: str) -> ChatInviteLink:
        return await self._call(
            "createChatInviteLink",
            self.bot.create_chat_invite_link,
            chat_id=chat_id,
            name=f"for {user_id}"[:32],
            member_limit=1,  # one person, once: a forwarded link lets nobody else in
            expire_date=datetime.now(UTC) + INVITE_LIFETIME,
        )


def previews(message: Outgoing) -> dict[str, LinkPreviewOptions]:
    """Link previews off for text that asks so (a digest); the default otherwise."""
    body = message.body
    if isinstance(body, Text) and not body.previews:
        return {"link_preview_options": LinkPreviewOptions(is_disabled=True)}
    return {}
