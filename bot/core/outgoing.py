"""Neutral outgoing messages; each adapter renders them in its platform's best form."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

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


@dataclass(frozen=True, slots=True)
class Choice:
    prompt_id: str
    text: str
    options: tuple[Option, ...]
    multiple: bool = False


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


@dataclass(frozen=True, slots=True)
class Outgoing:
    chat: ChatRef
    body: Body
    priority: Priority = Priority.REPLY
    reply_to: str | None = None
    # Which language this was written in: adapters use it for their own fallback texts.
    language: str = "en"
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OpenPrivateChat:
    """In a group: point the member to their private conversation with the bot.

    Adapters add what the platform offers (a deep link button on Telegram); `start` is the
    payload the private conversation begins with.
    """

    text: str
    button_label: str
    start: str = ""


Body = Text | Choice | AskLocation | Poll | OpenPrivateChat
