"""Neutral incoming events: what adapters turn every platform update into."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

ChatKind = Literal["direct", "group"]


@dataclass(frozen=True, slots=True)
class ChatRef:
    """A storable address: the scheduler can send to it with no incoming event."""

    platform: str
    chat_id: str

    @property
    def key(self) -> str:
        return f"{self.platform}:{self.chat_id}"


@dataclass(frozen=True, slots=True)
class Sender:
    platform: str
    user_id: str
    display_name: str | None = None
    handle: str | None = None
    language_hint: str | None = None
    is_bot: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class Incoming:
    chat: ChatRef
    chat_kind: ChatKind
    sender: Sender | None
    event_id: str | None = None
    received_at: datetime = field(default_factory=_now)
    # Set by the adapter when the sender moderates this group chat (a Telegram
    # administrator, a Matrix power level of 50 or more); never trusted from text.
    chat_moderator: bool = False
    # The platform's name for the delivery this event came in (a Telegram update id): the
    # turn records it with what it did, and does nothing if it was recorded before.
    receipt: str | None = None

    @property
    def is_direct(self) -> bool:
        return self.chat_kind == "direct"


@dataclass(frozen=True, kw_only=True)
class TextMessage(Incoming):
    text: str


@dataclass(frozen=True, kw_only=True)
class CommandMessage(Incoming):
    name: str  # lower case, without prefix or @botname
    args: str = ""


@dataclass(frozen=True, kw_only=True)
class ChoiceMade(Incoming):
    """An answer to a prompt: option keys, or option positions (0-based) for platforms that
    can only carry short data (a Telegram button, a Matrix reaction)."""

    prompt_id: str
    keys: tuple[str, ...] = ()
    indexes: tuple[int, ...] = ()


@dataclass(frozen=True, kw_only=True)
class LocationShared(Incoming):
    latitude: float
    longitude: float


@dataclass(frozen=True, kw_only=True)
class PollVote(Incoming):
    poll_id: str
    option_keys: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class MemberJoined(Incoming):
    member: Sender


@dataclass(frozen=True, kw_only=True)
class MemberLeft(Incoming):
    member: Sender


@dataclass(frozen=True, kw_only=True)
class BotAdded(Incoming):
    title: str | None = None


@dataclass(frozen=True, kw_only=True)
class BotRemoved(Incoming):
    pass


@dataclass(frozen=True, kw_only=True)
class ChatMoved(Incoming):
    """The platform gave this chat a new id (a Telegram group upgraded to a supergroup):
    the same conversation, its links and settings, under `new_chat_id`."""

    new_chat_id: str


@dataclass(frozen=True, kw_only=True)
class UnsupportedMessage(Incoming):
    """Something the bot cannot read where text was expected: a sticker, a photo, a file."""

    kind: str


def parse_command(
    text: str, prefixes: tuple[str, ...] = ("/",), bot_username: str | None = None
) -> tuple[str, str] | None:
    """'/start@chapterbot chapter-ghent' → ('start', 'chapter-ghent'); None if not a command."""
    stripped = text.strip()
    prefix = next((p for p in prefixes if stripped.startswith(p)), None)
    if prefix is None:
        return None
    head, _, args = stripped[len(prefix) :].partition(" ")
    name, _, mention = head.partition("@")
    if not name or not all(c.isalnum() or c == "_" for c in name):
        return None
    if mention and bot_username and mention.lower() != bot_username.lower():
        return None  # addressed to another bot in the group
    return name.lower(), args.strip()
