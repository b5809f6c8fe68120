"""The core's small HTML subset on Telegram: plain-text forms and splitting at 4096 characters."""

from __future__ import annotations

import html
import re

# Telegram counts message length in UTF-16 code units, after parsing the markup.
MAX_MESSAGE_LENGTH = 4096

_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)[^>]*>")


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def to_plain(markup: str) -> str:
    """What the reader sees of a piece of markup: for buttons, poll options, fallbacks."""
    return html.unescape(_TAG.sub("", markup))


def plain_length(markup: str) -> int:
    return utf16_length(to_plain(markup).strip())


def _balanced(markup: str) -> bool:
    depth = 0
    for match in _TAG.finditer(markup):
        depth += -1 if match.group(1) else 1
    return depth == 0


def split_markup(markup: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Cut over-long text into messages at paragraph boundaries, then at line boundaries,
    never inside a tag pair; a single line still too long is sent as escaped plain text."""
    if plain_length(markup) <= limit:
        return [markup]
    return [c for c in _greedy(markup, ["\n\n", "\n"], limit) if c.strip()]


def _greedy(markup: str, separators: list[str], limit: int) -> list[str]:
    if not separators:
        return [html.escape(part, quote=False) for part in _hard_split(markup, limit)]
    separator, finer = separators[0], separators[1:]
    chunks: list[str] = []
    current = ""
    for piece in _pieces(markup, separator):
        joined = f"{current}{separator}{piece}" if current else piece
        if plain_length(joined) <= limit:
            current = joined
            continue
        if current:
            chunks.append(current)
        if plain_length(piece) <= limit:
            current = piece
        else:
            chunks.extend(_greedy(piece, finer, limit))
            current = ""
    if current:
        chunks.append(current)
    return chunks


def _pieces(markup: str, separator: str) -> list[str]:
    """Split at `separator`, rejoining parts so that no tag pair is cut in two."""
    pieces: list[str] = []
    current: str | None = None
    for part in markup.split(separator):
        current = part if current is None else f"{current}{separator}{part}"
        if _balanced(current):
            pieces.append(current)
            current = None
    if current is not None:
        pieces.append(current)
    return pieces


def _hard_split(markup: str, limit: int) -> list[str]:
    plain = to_plain(markup)
    parts, current, size = [], [], 0
    for char in plain:
        width = utf16_length(char)
        if size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current:
        parts.append("".join(current))
    return parts
