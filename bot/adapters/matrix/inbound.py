"""Matrix room events (raw JSON, as the homeserver sent them) → neutral incoming events."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.adapters.matrix.render import keycap_index
from bot.adapters.matrix.store import PLATFORM, PromptRecord
from bot.core.events import (
    ChatKind,
    ChatRef,
    ChoiceMade,
    CommandMessage,
    Incoming,
    LocationShared,
    PollVote,
    Sender,
    TextMessage,
    UnsupportedMessage,
    parse_command,
)

COMMAND_PREFIXES = ("!", "/")
POLL_RESPONSES = ("m.poll.response", "org.matrix.msc3381.poll.response")
MEDIA_MSGTYPES = {"m.image": "photo", "m.file": "file", "m.audio": "audio", "m.video": "video"}
_GEO_URI = re.compile(r"^geo:\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Room:
    """What the conversion needs to know about the room an event came from."""

    room_id: str
    kind: ChatKind
    own_user_id: str


PromptLookup = Callable[[str], PromptRecord | None]
PollLookup = Callable[[str], str | None]
NameLookup = Callable[[str], str | None]


def parse_geo_uri(uri: str) -> tuple[float, float] | None:
    """'geo:50.85,4.35;u=20' → (50.85, 4.35)."""
    match = _GEO_URI.match(uri.strip())
    if not match:
        return None
    latitude, longitude = float(match.group(1)), float(match.group(2))
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude


def strip_reply_fallback(body: str) -> str:
    """A reply's body quotes the message it answers ('> <@ann:x> …'): keep only the answer."""
    lines = body.split("\n")
    while lines and lines[0].startswith(">"):
        lines.pop(0)
    return "\n".join(lines).lstrip("\n")


def to_incoming(
    event: dict[str, Any],
    room: Room,
    *,
    prompts: PromptLookup,
    polls: PollLookup,
    names: NameLookup,
) -> Incoming | None:
    """The neutral form of one event, or None for what the core need not see."""
    sender_id = event.get("sender")
    content = event.get("content")
    if not isinstance(sender_id, str) or not isinstance(content, dict):
        return None
    if sender_id == room.own_user_id:
        return None  # our own messages and reactions come back through sync
    common: dict[str, Any] = {
        "chat": ChatRef(PLATFORM, room.room_id),
        "chat_kind": room.kind,
        "sender": Sender(PLATFORM, sender_id, display_name=names(sender_id), handle=sender_id),
        "event_id": event.get("event_id"),
    }
    kind = event.get("type")
    if kind == "m.room.message":
        return _message(content, common)
    if kind == "m.sticker":
        return UnsupportedMessage(kind="sticker", **common)
    if kind == "m.reaction":
        return _reaction(content, common, prompts)
    if kind in POLL_RESPONSES:
        return _poll_response(content, common, polls)
    return None


def _message(content: dict[str, Any], common: dict[str, Any]) -> Incoming | None:
    msgtype = content.get("msgtype")
    if "m.new_content" in content:
        return None  # an edit: the original was already answered
    if msgtype == "m.notice":
        return None  # notices are what bots send: never answer one, no loops
    if msgtype == "m.location":
        uri = content.get("geo_uri") or (content.get("org.matrix.msc3488.location") or {}).get(
            "uri", ""
        )
        coordinates = parse_geo_uri(uri) if isinstance(uri, str) else None
        if coordinates is None:
            return UnsupportedMessage(kind="location", **common)
        return LocationShared(latitude=coordinates[0], longitude=coordinates[1], **common)
    if msgtype in MEDIA_MSGTYPES:
        return UnsupportedMessage(kind=MEDIA_MSGTYPES[msgtype], **common)
    body = content.get("body")
    if msgtype not in ("m.text", "m.emote") or not isinstance(body, str):
        return UnsupportedMessage(kind=str(msgtype or "unknown"), **common)
    relates = content.get("m.relates_to")
    if isinstance(relates, dict) and "m.in_reply_to" in relates:
        body = strip_reply_fallback(body)
    command = parse_command(body, prefixes=COMMAND_PREFIXES)
    if command:
        return CommandMessage(name=command[0], args=command[1], **common)
    return TextMessage(text=body, **common)


def _reaction(
    content: dict[str, Any], common: dict[str, Any], prompts: PromptLookup
) -> Incoming | None:
    relates = content.get("m.relates_to")
    if not isinstance(relates, dict) or relates.get("rel_type") != "m.annotation":
        return None
    target, key = relates.get("event_id"), relates.get("key")
    if not isinstance(target, str) or not isinstance(key, str):
        return None
    index = keycap_index(key)
    if index is None:
        return None  # 👍 and friends are not answers
    prompt = prompts(target)
    if prompt is None or index >= prompt.options:
        return None  # a reaction under something that is not (or no longer) a prompt
    return ChoiceMade(prompt_id=prompt.prompt_id, indexes=(index,), **common)


def _poll_response(
    content: dict[str, Any], common: dict[str, Any], polls: PollLookup
) -> Incoming | None:
    relates = content.get("m.relates_to")
    target = relates.get("event_id") if isinstance(relates, dict) else None
    poll_id = polls(target) if isinstance(target, str) else None
    if poll_id is None:
        return None
    selections = content.get("m.selections")
    if not isinstance(selections, list):
        unstable = content.get("org.matrix.msc3381.poll.response")
        selections = unstable.get("answers") if isinstance(unstable, dict) else None
    if not isinstance(selections, list):
        return None
    keys = tuple(dict.fromkeys(s for s in selections if isinstance(s, str)))
    return PollVote(poll_id=poll_id, option_keys=keys, **common)
