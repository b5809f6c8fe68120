"""Neutral outgoing messages; each adapter renders them in its platform's best form."""

from __future__ import annotations

import base64
import secrets
from dataclasses import asdict, dataclass, field
from enum import IntEnum
from typing import Any

from bot.core.events import ChatRef


class Priority(IntEnum):
    """Replies to a person go ahead of broadcasts."""

    REPLY = 0
    NOTICE = 1
    BROADCAST = 2


@dataclass(frozen=True, slots=True)
class Option:
    key: str
    label: str


@dataclass(frozen=True, slots=True)
class Text:
    """Text in a small HTML subset: <b>, <i>, <a href>, <code>, <pre>. User text is escaped."""

    text: str
    # A digest's many links would each want a preview card: platforms that draw them don't.
    previews: bool = True


@dataclass(frozen=True, slots=True)
class Choice:
    prompt_id: str
    text: str
    options: tuple[Option, ...]
    multiple: bool = False
    # In a group chat, the platform user id of the member asked: nobody else answers it.
    asked: str | None = None
    # A start payload (a personal invitation) the reader may forward: adapters show its link
    # or the words to send under the text, as for a shared OpenPrivateChat.
    invitation: str = ""


@dataclass(frozen=True, slots=True)
class AskLocation:
    """Ask for a place: a location button where the platform has one, else a city name."""

    prompt_id: str
    text: str
    button_label: str


@dataclass(frozen=True, slots=True)
class Poll:
    poll_id: str
    question: str
    options: tuple[Option, ...]
    anonymous: bool = False
    multiple: bool = False
    hidden: bool = False  # results shown only once the poll closes


def new_message_id() -> str:
    return secrets.token_hex(6)


@dataclass(frozen=True, slots=True)
class Outgoing:
    chat: ChatRef
    body: Body
    priority: Priority = Priority.REPLY
    reply_to: str | None = None
    # Which language this was written in: adapters use it for their own fallback texts.
    language: str = "en"
    # The core's id for this message: in logs about its delivery, and to deduplicate.
    id: str = field(default_factory=new_message_id)
    # Reminders must ping (Matrix m.text, Telegram with sound); answers and digests need not.
    notify: bool = False


@dataclass(frozen=True, slots=True)
class OpenPrivateChat:
    """In a group: point the member to their private conversation with the bot.

    Adapters add what the platform offers (a deep link button on Telegram); `start` is the
    payload the private conversation begins with. `shared`: the message is meant to be
    forwarded (an invitation), so the link or the words to send are shown in the text too.
    """

    text: str
    button_label: str
    start: str = ""
    shared: bool = False


@dataclass(frozen=True, slots=True)
class Invite:
    """Give the recipient of this message (platform user `user_id`) a way into `target_chat`:
    a one-time invite link on Telegram, an invitation to the room on Matrix."""

    text: str
    target_chat: ChatRef
    user_id: str
    button_label: str


@dataclass(frozen=True, slots=True)
class ClosePoll:
    """Stop the native poll `poll_id` in this chat (Telegram stopPoll, Matrix m.poll.end);
    platforms without native polls have nothing to do. The results follow as text."""

    poll_id: str


@dataclass(frozen=True, slots=True)
class Image:
    """A picture (a growth chart): PNG bytes as base64 (so the message stays JSON), a text
    for those who cannot see it, and a caption in the reader's language (HTML subset).
    `text` is a one-line fallback for platforms that show no pictures (a sparkline)."""

    png_base64: str
    alt: str
    caption: str
    text: str = ""
    filename: str = "image.png"

    @property
    def png(self) -> bytes:
        return base64.b64decode(self.png_base64)

    @classmethod
    def of(
        cls, png: bytes, alt: str, caption: str, text: str = "", filename: str = "image.png"
    ) -> Image:
        return cls(base64.b64encode(png).decode("ascii"), alt, caption, text, filename)


Body = Text | Choice | AskLocation | Poll | OpenPrivateChat | Invite | ClosePoll | Image

_BODY_TYPES: dict[str, type] = {
    cls.__name__: cls
    for cls in (Text, Choice, AskLocation, Poll, OpenPrivateChat, Invite, ClosePoll, Image)
}


def to_record(message: Outgoing) -> dict[str, Any]:
    """A JSON-able form of a message, for the outbox table."""
    return {
        "id": message.id,
        "chat": asdict(message.chat),
        "type": type(message.body).__name__,
        "body": asdict(message.body),
        "priority": int(message.priority),
        "reply_to": message.reply_to,
        "language": message.language,
        "notify": message.notify,
    }


def from_record(record: dict[str, Any]) -> Outgoing:
    fields = dict(record["body"])
    if "options" in fields:
        fields["options"] = tuple(Option(**option) for option in fields["options"])
    if "target_chat" in fields:
        fields["target_chat"] = ChatRef(**fields["target_chat"])
    return Outgoing(
        chat=ChatRef(**record["chat"]),
        body=_BODY_TYPES[record["type"]](**fields),
        priority=Priority(record["priority"]),
        reply_to=record.get("reply_to"),
        language=record.get("language", "en"),
        id=record["id"],
        notify=record.get("notify", False),
    )
