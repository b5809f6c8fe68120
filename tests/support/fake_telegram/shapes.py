"""The JSON shapes of Bot API objects, exactly as the fake returns them.

Every object the fake sends to a bot is built here, so the contract test can parse each shape
with python-telegram-bot's own `de_json` and prove that nothing required is missing and
nothing is misnamed.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)


def _without_none(data: Json) -> Json:
    return {k: v for k, v in data.items() if v is not None}


def user(
    user_id: int,
    first_name: str,
    *,
    is_bot: bool = False,
    last_name: str | None = None,
    username: str | None = None,
    language_code: str | None = None,
) -> Json:
    return _without_none(
        {
            "id": user_id,
            "is_bot": is_bot,
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "language_code": language_code,
        }
    )


def bot_user(user_id: int, first_name: str, username: str) -> Json:
    """getMe: the bot describes itself with its capabilities."""
    return {
        **user(user_id, first_name, is_bot=True, username=username),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


def chat(chat_id: int, kind: str, *, title: str | None = None, peer: Json | None = None) -> Json:
    if kind == "private":
        assert peer is not None
        return _without_none(
            {
                "id": chat_id,
                "type": "private",
                "first_name": peer["first_name"],
                "last_name": peer.get("last_name"),
                "username": peer.get("username"),
            }
        )
    return {"id": chat_id, "type": kind, "title": title}


def chat_full_info(short: Json) -> Json:
    """getChat: the short chat plus the fields Bot API 10 always sends."""
    return {
        **short,
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


def message(
    message_id: int,
    date: int,
    chat_json: Json,
    *,
    sender: Json | None = None,
    text: str | None = None,
    entities: list[Json] | None = None,
    reply_markup: Json | None = None,
    edit_date: int | None = None,
    **content: Any,
) -> Json:
    """A message; `content` holds the one kind of content it carries (location, poll…)."""
    data: Json = {"message_id": message_id, "date": date, "chat": chat_json}
    if sender is not None:
        data["from"] = sender
    if text is not None:
        data["text"] = text
    if entities:
        data["entities"] = entities
    if reply_markup is not None:
        data["reply_markup"] = reply_markup
    if edit_date is not None:
        data["edit_date"] = edit_date
    data.update(_without_none(content))
    return data


def photo_size(file_id: str, width: int, height: int, file_size: int) -> Json:
    return {
        "file_id": file_id,
        "file_unique_id": f"u-{file_id}",
        "width": width,
        "height": height,
        "file_size": file_size,
    }


def location(latitude: float, longitude: float) -> Json:
    return {"latitude": latitude, "longitude": longitude}


def chat_member(status: str, member: Json, *, rights: dict[str, bool] | None = None) -> Json:
    """A ChatMember in one of the shapes the Bot API sends, by status."""
    data: Json = {"status": status, "user": member}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data.update(can_be_edited=False, is_anonymous=False)
        data.update({right: bool((rights or {}).get(right, True)) for right in ADMIN_RIGHTS})
    elif status == "kicked":
        data["until_date"] = 0
    return data


def chat_member_updated(chat_json: Json, actor: Json, date: int, old: Json, new: Json) -> Json:
    return {
        "chat": chat_json,
        "from": actor,
        "date": date,
        "old_chat_member": old,
        "new_chat_member": new,
    }


def poll(
    poll_id: str,
    question: str,
    options: list[str],
    votes: list[int],
    *,
    is_closed: bool,
    is_anonymous: bool,
    allows_multiple_answers: bool,
) -> Json:
    return {
        "id": poll_id,
        "question": question,
        "options": [
            {"text": text, "voter_count": count, "persistent_id": option_persistent_id(poll_id, i)}
            for i, (text, count) in enumerate(zip(options, votes, strict=True))
        ],
        "total_voter_count": sum(votes),
        "is_closed": is_closed,
        "is_anonymous": is_anonymous,
        "type": "regular",
        "allows_multiple_answers": allows_multiple_answers,
        "allows_revoting": True,
        "members_only": False,
    }


def option_persistent_id(poll_id: str, index: int) -> str:
    return f"{poll_id}-{index}"


def poll_answer(poll_id: str, voter: Json, option_ids: list[int]) -> Json:
    return {
        "poll_id": poll_id,
        "user": voter,
        "option_ids": option_ids,
        "option_persistent_ids": [option_persistent_id(poll_id, i) for i in option_ids],
    }


def callback_query(
    query_id: str, sender: Json, message_json: Json, chat_instance: str, data: str
) -> Json:
    return {
        "id": query_id,
        "from": sender,
        "message": message_json,
        "chat_instance": chat_instance,
        "data": data,
    }


def chat_invite_link(
    link: str,
    creator: Json,
    *,
    name: str | None = None,
    expire_date: int | None = None,
    member_limit: int | None = None,
    creates_join_request: bool = False,
    is_revoked: bool = False,
) -> Json:
    return _without_none(
        {
            "invite_link": link,
            "creator": creator,
            "creates_join_request": creates_join_request,
            "is_primary": False,
            "is_revoked": is_revoked,
            "name": name,
            "expire_date": expire_date,
            "member_limit": member_limit,
        }
    )


def webhook_info(
    url: str,
    pending: int,
    *,
    allowed_updates: list[str] | None = None,
    last_error_date: int | None = None,
    last_error_message: str | None = None,
) -> Json:
    return _without_none(
        {
            "url": url,
            "has_custom_certificate": False,
            "pending_update_count": pending,
            "max_connections": 40 if url else None,
            "allowed_updates": allowed_updates if url else None,
            "last_error_date": last_error_date,
            "last_error_message": last_error_message,
        }
    )


def bot_command(command: str, description: str) -> Json:
    return {"command": command, "description": description}


def update(update_id: int, kind: str, payload: Json) -> Json:
    return {"update_id": update_id, kind: payload}
