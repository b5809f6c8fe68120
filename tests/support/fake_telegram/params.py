"""The parameters each implemented method accepts, decoded as the Bot API decodes them.

python-telegram-bot posts form fields whose non-string values are JSON-encoded; the real
server also accepts JSON bodies and query strings. An unknown parameter is recorded as a
problem: it means the bot sends something this fake (and maybe Telegram) does not expect.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


class ParamError(ValueError):
    """A parameter Telegram would refuse: 400 Bad Request with this description."""


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError(value)
    return int(value)


def _float(value: Any) -> float:
    return float(value)


def _str(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if str(value).lower() in ("true", "1"):
        return True
    if str(value).lower() in ("false", "0"):
        return False
    raise ValueError(value)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _chat_id(value: Any) -> int | str:
    text = str(value)
    if text.startswith("@"):
        return text
    return int(text)


Decoder = Callable[[Any], Any]


def _photo(value: Any) -> bytes:
    """An uploaded PNG or JPEG (this fake takes no file ids or URLs)."""
    if not isinstance(value, bytes) or not value.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8")):
        raise ValueError("not an uploaded PNG or JPEG")
    return value


INT, FLOAT, STR, BOOL, JSON, CHAT = _int, _float, _str, _bool, _json, _chat_id
PHOTO = _photo

_SEND_COMMON: dict[str, Decoder] = {
    "reply_markup": JSON,
    "disable_notification": BOOL,
    "protect_content": BOOL,
    "reply_parameters": JSON,
    "message_thread_id": INT,
}

# method → (parameter → decoder, required parameters)
METHODS: dict[str, tuple[dict[str, Decoder], set[str]]] = {
    "getMe": ({}, set()),
    "logOut": ({}, set()),
    "getUpdates": (
        {"offset": INT, "limit": INT, "timeout": INT, "allowed_updates": JSON},
        set(),
    ),
    "setWebhook": (
        {
            "url": STR,
            "secret_token": STR,
            "allowed_updates": JSON,
            "drop_pending_updates": BOOL,
            "max_connections": INT,
            "ip_address": STR,
        },
        {"url"},
    ),
    "deleteWebhook": ({"drop_pending_updates": BOOL}, set()),
    "getWebhookInfo": ({}, set()),
    "sendMessage": (
        {
            "chat_id": CHAT,
            "text": STR,
            "parse_mode": STR,
            "entities": JSON,
            "link_preview_options": JSON,
            **_SEND_COMMON,
        },
        {"chat_id", "text"},
    ),
    "sendPhoto": (
        {
            "chat_id": CHAT,
            "photo": PHOTO,
            "caption": STR,
            "parse_mode": STR,
            "caption_entities": JSON,
            **_SEND_COMMON,
        },
        {"chat_id", "photo"},
    ),
    "editMessageText": (
        {
            "chat_id": CHAT,
            "message_id": INT,
            "inline_message_id": STR,
            "text": STR,
            "parse_mode": STR,
            "entities": JSON,
            "link_preview_options": JSON,
            "reply_markup": JSON,
        },
        {"text"},
    ),
    "editMessageReplyMarkup": (
        {"chat_id": CHAT, "message_id": INT, "inline_message_id": STR, "reply_markup": JSON},
        set(),
    ),
    "sendPoll": (
        {
            "chat_id": CHAT,
            "question": STR,
            "options": JSON,
            "is_anonymous": BOOL,
            "type": STR,
            "allows_multiple_answers": BOOL,
            **_SEND_COMMON,
        },
        {"chat_id", "question", "options"},
    ),
    "stopPoll": ({"chat_id": CHAT, "message_id": INT, "reply_markup": JSON}, {"chat_id"}),
    "sendLocation": (
        {"chat_id": CHAT, "latitude": FLOAT, "longitude": FLOAT, **_SEND_COMMON},
        {"chat_id", "latitude", "longitude"},
    ),
    "getChat": ({"chat_id": CHAT}, {"chat_id"}),
    "getChatMember": ({"chat_id": CHAT, "user_id": INT}, {"chat_id", "user_id"}),
    "getChatAdministrators": ({"chat_id": CHAT}, {"chat_id"}),
    "createChatInviteLink": (
        {
            "chat_id": CHAT,
            "name": STR,
            "expire_date": INT,
            "member_limit": INT,
            "creates_join_request": BOOL,
        },
        {"chat_id"},
    ),
    "setMyCommands": (
        {"commands": JSON, "scope": JSON, "language_code": STR},
        {"commands"},
    ),
    "getMyCommands": ({"scope": JSON, "language_code": STR}, set()),
    "deleteMyCommands": ({"scope": JSON, "language_code": STR}, set()),
    "answerCallbackQuery": (
        {
            "callback_query_id": STR,
            "text": STR,
            "show_alert": BOOL,
            "url": STR,
            "cache_time": INT,
        },
        {"callback_query_id"},
    ),
}

# Telegram's method names are case-insensitive.
CANONICAL = {name.lower(): name for name in METHODS}


def decode(method: str, raw: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Decoded parameters and the names of the unknown ones; ParamError if Telegram says 400."""
    spec, required = METHODS[method]
    decoded: dict[str, Any] = {}
    unknown = []
    for name, value in raw.items():
        decoder = spec.get(name)
        if decoder is None:
            unknown.append(name)
            continue
        try:
            decoded[name] = decoder(value)
        except (ValueError, TypeError) as exc:
            raise ParamError(f"Bad Request: invalid {name} parameter") from exc
    for name in required:
        if name not in decoded or decoded[name] in ("", None):
            raise ParamError(f"Bad Request: {name.replace('_', ' ')} is empty")
    return decoded, unknown
