"""Neutral outgoing messages as plain terminal text."""

from __future__ import annotations

import html
import re

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

_LINK = re.compile(r'<a\s+href="([^"]*)"\s*>(.*?)</a>', re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?(?:b|strong|i|em|u|s|code|pre|a)(?:\s[^>]*)?>", re.IGNORECASE)


def html_to_plain(text: str) -> str:
    text = _LINK.sub(
        lambda m: m.group(2) if m.group(1) == m.group(2) else f"{m.group(2)} ({m.group(1)})", text
    )
    return html.unescape(_TAG.sub("", text))


def render(message: Outgoing) -> str:
    body = message.body
    if isinstance(body, OpenPrivateChat) and body.shared and body.start:
        return f"{html_to_plain(body.text)}\n/start {body.start}"
    if isinstance(body, Text | AskLocation | OpenPrivateChat | Invite):
        return html_to_plain(body.text)
    if isinstance(body, Image):
        return f"{html_to_plain(body.caption)}\n{body.text}"
    if isinstance(body, ClosePoll):
        return ""  # nothing to stop in a terminal: the results follow as text
    if isinstance(body, Choice | Poll):
        question = body.text if isinstance(body, Choice) else body.question
        lines = [html_to_plain(question)]
        if isinstance(body, Choice) and body.invitation:
            lines.append(f"/start {body.invitation}")
        lines += [
            f"  {number}. {html_to_plain(o.label)}" for number, o in enumerate(body.options, 1)
        ]
        return "\n".join(lines)
    raise TypeError(f"cannot render {type(body).__name__}")
