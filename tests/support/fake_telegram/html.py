"""Telegram's HTML parse mode, as strict as the real server: text plus entities, or an error.

https://core.telegram.org/bots/api#html-style: only the listed tags; every `<` and `&` that
is not part of a tag or an entity must be escaped; tags must nest properly. Offsets and
lengths are counted in UTF-16 code units, as the Bot API counts them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# tag → entity type; None where the type depends on attributes.
_TAGS: dict[str, str | None] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": None,
    "a": None,
    "code": "code",
    "pre": "pre",
    "blockquote": None,
    "tg-emoji": None,
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
_ATTRIBUTE = re.compile(r"\s*([a-zA-Z_-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+))?")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]+);")
_PLAIN = re.compile(r"[^<&]+")
_BOT_COMMAND = re.compile(r"(?<![\w/@])/[a-zA-Z0-9_]{1,32}(?:@[a-zA-Z0-9_]{3,32})?(?![\w/])")


class EntityParseError(ValueError):
    """Telegram answers 400 "Bad Request: can't parse entities: <message>"."""


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    name: str
    start: int  # UTF-16 offset in the output text
    attributes: dict[str, str] = field(default_factory=dict)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse `source` as Telegram does; returns (text, entities) or raises EntityParseError."""
    out: list[str] = []
    out_len = 0  # UTF-16 units written so far
    entities: list[dict[str, Any]] = []
    stack: list[_Open] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            end = source.find(">", i)
            if end < 0:
                raise EntityParseError(
                    f'Unsupported start tag "" at byte offset {_byte_offset(source, i)}'
                )
            raw = source[i + 1 : end]
            if raw.startswith("/"):
                name = raw[1:].strip().lower()
                if not stack:
                    raise EntityParseError(
                        f"Unexpected end tag at byte offset {_byte_offset(source, i)}"
                    )
                if stack[-1].name != name:
                    raise EntityParseError(
                        f"Unmatched end tag at byte offset {_byte_offset(source, i)}, "
                        f'expected "</{stack[-1].name}>", found "</{name}>"'
                    )
                opened = stack.pop()
                entity = _entity_for(opened, out_len, stack)
                if entity is not None:
                    entities.append(entity)
            else:
                match = _TAG_NAME.match(raw)
                name = match.group(0).lower() if match else ""
                if name not in _TAGS:
                    raise EntityParseError(
                        f'Unsupported start tag "{name}" at byte offset {_byte_offset(source, i)}'
                    )
                attributes = _parse_attributes(raw[len(name) :], source, i)
                _check_start_tag(name, attributes, source, i)
                stack.append(_Open(name, out_len, attributes))
            i = end + 1
            continue
        if char == "&":
            match = _ENTITY.match(source, i)
            if not match:
                raise EntityParseError(
                    f"Character entity expected at byte offset {_byte_offset(source, i)}"
                )
            decoded = _decode_entity(match.group(1), source, i)
            out.append(decoded)
            out_len += utf16_length(decoded)
            i = match.end()
            continue
        # A run of plain text at once: a character at a time costs the fake milliseconds
        # for a long message, and the benchmarks time the fake too.
        run = _PLAIN.match(source, i)
        assert run is not None  # `char` itself is plain
        out.append(run.group())
        out_len += utf16_length(run.group())
        i = run.end()
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    return _trim("".join(out), entities)


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _parse_attributes(raw: str, source: str, at: int) -> dict[str, str]:
    attributes: dict[str, str] = {}
    rest = raw
    while rest.strip():
        match = _ATTRIBUTE.match(rest)
        if not match or not match.group(0):
            raise EntityParseError(
                f"Expected equal sign in declaration of an attribute of a start tag at byte "
                f"offset {_byte_offset(source, at)}"
            )
        value = match.group(2) or ""
        if value[:1] in "\"'":
            value = value[1:-1]
        attributes[match.group(1).lower()] = _unescape_attribute(value)
        rest = rest[match.end() :]
    return attributes


def _unescape_attribute(value: str) -> str:
    return _ENTITY.sub(lambda m: _decode_entity(m.group(1), value, 0), value)


def _decode_entity(body: str, source: str, at: int) -> str:
    if body.startswith("#x"):
        return chr(int(body[2:], 16))
    if body.startswith("#"):
        return chr(int(body[1:]))
    if body in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[body]
    raise EntityParseError(f'Unsupported HTML entity "&{body};" at byte offset {at}')


def _check_start_tag(name: str, attributes: dict[str, str], source: str, at: int) -> None:
    if name == "a" and not attributes.get("href"):
        raise EntityParseError(f'Empty href in "a" tag at byte offset {_byte_offset(source, at)}')
    if name == "span" and attributes.get("class") != "tg-spoiler":
        raise EntityParseError(
            f'Tag "span" must have class "tg-spoiler" at byte offset {_byte_offset(source, at)}'
        )
    if name == "tg-emoji" and not attributes.get("emoji-id"):
        raise EntityParseError(
            f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset '
            f"{_byte_offset(source, at)}"
        )


def _entity_for(opened: _Open, end: int, stack: list[_Open]) -> dict[str, Any] | None:
    length = end - opened.start
    if length <= 0:
        return None  # Telegram drops empty entities
    entity: dict[str, Any] = {"offset": opened.start, "length": length}
    kind = _TAGS[opened.name]
    if opened.name == "a":
        href = opened.attributes["href"]
        if href.startswith("tg://user?id="):
            entity.update(type="text_mention", user={"id": int(href.split("=", 1)[1])})
        else:
            entity.update(type="text_link", url=href)
    elif opened.name == "span":
        entity["type"] = "spoiler"
    elif opened.name == "blockquote":
        expandable = "expandable" in opened.attributes
        entity["type"] = "expandable_blockquote" if expandable else "blockquote"
    elif opened.name == "tg-emoji":
        entity.update(type="custom_emoji", custom_emoji_id=opened.attributes["emoji-id"])
    elif opened.name == "code" and stack and stack[-1].name == "pre":
        language = opened.attributes.get("class", "")
        if language.startswith("language-"):
            stack[-1].attributes["language"] = language.removeprefix("language-")
        return None  # folded into the enclosing <pre>
    elif opened.name == "pre":
        entity["type"] = "pre"
        if opened.attributes.get("language"):
            entity["language"] = opened.attributes["language"]
    else:
        assert kind is not None
        entity["type"] = kind
    return entity


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram strips leading and trailing whitespace and shifts the entities with it."""
    stripped = text.strip()
    lead = utf16_length(text[: len(text) - len(text.lstrip())])
    total = utf16_length(stripped)
    kept = []
    for entity in entities:
        start = max(0, entity["offset"] - lead)
        end = min(total, entity["offset"] - lead + entity["length"])
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    kept.sort(key=lambda e: (e["offset"], -e["length"]))
    return stripped, kept


def command_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entities Telegram adds to a message someone typed."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_length(text[: m.start()]),
            "length": utf16_length(m.group(0)),
        }
        for m in _BOT_COMMAND.finditer(text)
    ]
