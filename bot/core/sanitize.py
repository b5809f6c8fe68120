"""What no handler should ever see in text: lone surrogates (undecodable terminal input, JSON
escapes like "\\ud800") that no database can store, and NUL, which PostgreSQL refuses."""

from __future__ import annotations

import dataclasses
import re

from bot.core.events import CommandMessage, Incoming, Sender, TextMessage

_UNSTORABLE = re.compile("[\ud800-\udfff\x00]")
REPLACEMENT = "\ufffd"


def clean(text: str) -> str:
    if not _UNSTORABLE.search(text):
        return text
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else REPLACEMENT, text)


def _clean_sender(sender: Sender | None) -> Sender | None:
    if sender is None:
        return None
    fields = {
        name: clean(value)
        for name in ("user_id", "display_name", "handle", "language_hint")
        if isinstance(value := getattr(sender, name), str) and clean(value) != value
    }
    return dataclasses.replace(sender, **fields) if fields else sender


def sanitized(incoming: Incoming) -> Incoming:
    """The same event with storable text everywhere a member could have typed it."""
    changes: dict[str, object] = {}
    sender = _clean_sender(incoming.sender)
    if sender is not incoming.sender:
        changes["sender"] = sender
    if isinstance(incoming, TextMessage) and clean(incoming.text) != incoming.text:
        changes["text"] = clean(incoming.text)
    if isinstance(incoming, CommandMessage) and clean(incoming.args) != incoming.args:
        changes["args"] = clean(incoming.args)
    return dataclasses.replace(incoming, **changes) if changes else incoming
