"""The Bot API methods the fake implements, with Telegram's checks and error texts."""

from __future__ import annotations

import asyncio
import copy
import re
import time
from typing import Any

from tests.support.fake_telegram import shapes
from tests.support.fake_telegram.html import EntityParseError, parse_html, utf16_length
from tests.support.fake_telegram.server import ApiError, Server, bad_request
from tests.support.fake_telegram.world import Chat, InviteLink, Person, PollState

Json = dict[str, Any]
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header (a JPEG gets a nominal size)."""
    if data.startswith(b"\x89PNG") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 1, 1


MAX_CALLBACK_DATA = 64
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_URL = re.compile(r"^(https?|tg)://\S+$")
_SCOPES = {
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    "chat",
    "chat_administrators",
    "chat_member",
}


def now() -> int:
    return int(time.time())


class BotApi(Server):
    """The bot's side: every method a bot may call, answering as Telegram would."""

    def __init__(self, token: str, bot_id: int, bot_name: str, bot_username: str) -> None:
        super().__init__(token)
        self.bot_id, self.bot_name, self.bot_username = bot_id, bot_name, bot_username
        self.people: dict[int, Person] = {}
        self.chats: dict[int, Chat] = {}
        self.polls: dict[str, PollState] = {}
        self.invite_links: dict[str, InviteLink] = {}
        self.commands: dict[tuple[str, str], list[Json]] = {}
        self.callback_queries: dict[str, Json | None] = {}  # id → the answer, once answered
        self._sent = asyncio.Event()  # set (and replaced) whenever the bot sends a message
        for name in (
            "getMe",
            "logOut",
            "setWebhook",
            "deleteWebhook",
            "getWebhookInfo",
            "sendMessage",
            "sendPhoto",
            "editMessageText",
            "editMessageReplyMarkup",
            "sendPoll",
            "stopPoll",
            "sendLocation",
            "getChat",
            "getChatMember",
            "getChatAdministrators",
            "createChatInviteLink",
            "setMyCommands",
            "getMyCommands",
            "deleteMyCommands",
            "answerCallbackQuery",
        ):
            self.register(
                name, getattr(self, "api_" + re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower())
            )
        self.register("getUpdates", self.get_updates)

    @property
    def bot_json(self) -> Json:
        return shapes.user(self.bot_id, self.bot_name, is_bot=True, username=self.bot_username)

    # -- lookups -----------------------------------------------------------------------

    def chat_for(self, chat_id: int | str) -> Chat:
        chat = self.chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise bad_request("chat not found")
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=chat.migrated_to,
            )
        return chat

    async def next_bot_message(self, chat: Chat, after: int, timeout: float = 10.0) -> Json:
        """The bot's message number `after` + 1 in `chat`, as soon as it is sent."""
        async with asyncio.timeout(timeout):
            while len(chat.bot_message_ids) <= after:
                await self._sent.wait()
        return copy.deepcopy(chat.messages[chat.bot_message_ids[after]])

    def _writable(self, chat: Chat) -> None:
        if chat.is_private and chat.bot_status == "kicked":
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if not chat.is_private and chat.bot_status in ("left", "kicked"):
            kind = "supergroup" if chat.kind == "supergroup" else "group"
            verb = "kicked from" if chat.bot_status == "kicked" else "not a member of"
            raise ApiError(403, f"Forbidden: bot is {verb} the {kind} chat")

    def _message(self, chat: Chat, message_id: int | None) -> Json:
        if message_id is None or message_id not in chat.messages:
            raise bad_request("message to edit not found")
        return chat.messages[message_id]

    def _store_bot_message(self, chat: Chat, **content: Any) -> Json:
        message_id = chat.next_message_id()
        message = shapes.message(message_id, now(), chat.json(), sender=self.bot_json, **content)
        chat.messages[message_id] = message
        chat.bot_message_ids.append(message_id)
        self._sent.set()
        self._sent = asyncio.Event()
        return copy.deepcopy(message)

    # -- text and markup ---------------------------------------------------------------

    def _text(self, params: dict[str, Any]) -> tuple[str, list[Json]]:
        text = params["text"]
        mode = params.get("parse_mode")
        if mode is None:
            entities = params.get("entities") or []
            text = text.strip()
        elif mode.upper() == "HTML":
            try:
                text, entities = parse_html(text)
            except EntityParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from exc
        else:
            raise bad_request(f"unsupported parse_mode {mode!r} in this fake")
        if not text:
            raise bad_request("message text is empty")
        if utf16_length(text) > MAX_TEXT:
            raise bad_request("message is too long")
        return text, entities

    def _markup(self, chat: Chat, markup: Json | None, *, inline_only: bool = False) -> Json | None:
        """Validates reply_markup; returns the inline keyboard to store on the message."""
        if markup is None:
            return None
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            for row in rows:
                for button in row:
                    self._check_inline_button(button)
            return {"inline_keyboard": rows}
        if inline_only:
            raise bad_request("inline keyboard expected")
        if "keyboard" in markup:
            for row in markup["keyboard"]:
                for button in row:
                    if not button.get("text"):
                        raise bad_request("keyboard button text is empty")
                    if button.get("request_location") and not chat.is_private:
                        raise bad_request("can't use location request buttons in non-private chats")
            chat.reply_keyboard = markup
            chat.reply_keyboard_hidden = False
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None
        elif markup.get("force_reply"):
            pass
        else:
            raise bad_request("unsupported reply_markup")
        return None

    @staticmethod
    def _check_inline_button(button: Json) -> None:
        if not button.get("text"):
            raise bad_request("BUTTON_TEXT_INVALID")
        kinds = [k for k in ("callback_data", "url", "switch_inline_query") if k in button]
        if len(kinds) != 1:
            raise bad_request("can't parse inline keyboard button: exactly one action expected")
        if "callback_data" in button:
            size = len(button["callback_data"].encode("utf-8"))
            if not 1 <= size <= MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")
        if "url" in button and not _URL.match(button["url"]):
            raise bad_request("BUTTON_URL_INVALID")

    # -- methods -----------------------------------------------------------------------

    def api_get_me(self, _params: dict[str, Any]) -> Json:
        return shapes.bot_user(self.bot_id, self.bot_name, self.bot_username)

    def api_log_out(self, _params: dict[str, Any]) -> bool:
        return True

    def api_set_webhook(self, params: dict[str, Any]) -> bool:
        url = params["url"]
        secret = params.get("secret_token")
        if secret is not None and not _SECRET.match(secret):
            raise bad_request("secret token contains unallowed characters")
        if url and not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.set_webhook(url, secret, params.get("allowed_updates"))
        return True

    def api_delete_webhook(self, params: dict[str, Any]) -> bool:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self.set_webhook("", None, None)
        return True

    def api_get_webhook_info(self, _params: dict[str, Any]) -> Json:
        error_date, error_message = self.webhook_last_error or (None, None)
        return shapes.webhook_info(
            self.webhook_url,
            len(self._deliverable()),
            allowed_updates=sorted(self.allowed_updates),
            last_error_date=error_date,
            last_error_message=error_message,
        )

    def api_send_message(self, params: dict[str, Any]) -> Json:
        chat = self.chat_for(params["chat_id"])
        text, entities = self._text(params)
        self._writable(chat)
        inline = self._markup(chat, params.get("reply_markup"))
        return self._store_bot_message(chat, text=text, entities=entities, reply_markup=inline)

    def api_send_photo(self, params: dict[str, Any]) -> Json:
        chat = self.chat_for(params["chat_id"])
        self._writable(chat)
        photo: bytes = params["photo"]
        if len(photo) > MAX_PHOTO_BYTES:
            raise bad_request("file is too big")
        width, height = png_size(photo)
        content: dict[str, Any] = {
            "photo": [
                shapes.photo_size(f"photo-{len(chat.messages) + 1}", width, height, len(photo))
            ]
        }
        if params.get("caption"):
            caption, entities = self._text({**params, "text": params["caption"]})
            if utf16_length(caption) > MAX_CAPTION:
                raise bad_request("message caption is too long")
            content["caption"] = caption
            if entities:
                content["caption_entities"] = entities
        inline = self._markup(chat, params.get("reply_markup"))
        return self._store_bot_message(chat, reply_markup=inline, **content)

    def api_edit_message_text(self, params: dict[str, Any]) -> Json:
        if "inline_message_id" in params:
            raise bad_request("inline messages are not supported by this fake")
        chat = self.chat_for(params.get("chat_id", 0))
        message = self._message(chat, params.get("message_id"))
        self._own(message)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._text(params)
        inline = self._markup(chat, params.get("reply_markup"), inline_only=True)
        same_text = message["text"] == text and message.get("entities", []) == entities
        if same_text and message.get("reply_markup") == inline:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        self._apply_edit(message, text=text, entities=entities, reply_markup=inline)
        return copy.deepcopy(message)

    def api_edit_message_reply_markup(self, params: dict[str, Any]) -> Json:
        if "inline_message_id" in params:
            raise bad_request("inline messages are not supported by this fake")
        chat = self.chat_for(params.get("chat_id", 0))
        message = self._message(chat, params.get("message_id"))
        self._own(message)
        inline = self._markup(chat, params.get("reply_markup"), inline_only=True)
        if message.get("reply_markup") == inline:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        self._apply_edit(message, reply_markup=inline)
        return copy.deepcopy(message)

    def _own(self, message: Json) -> None:
        if message.get("from", {}).get("id") != self.bot_id:
            raise bad_request("message can't be edited")

    @staticmethod
    def _apply_edit(message: Json, **changes: Any) -> None:
        for key, value in changes.items():
            if value in (None, []):
                message.pop(key, None)
            else:
                message[key] = value
        message["edit_date"] = now()

    def api_send_poll(self, params: dict[str, Any]) -> Json:
        chat = self.chat_for(params["chat_id"])
        question = params["question"]
        options = [o["text"] if isinstance(o, dict) else o for o in params["options"]]
        if not 1 <= len(question) <= 300:
            raise bad_request("POLL_QUESTION_INVALID")
        if not 2 <= len(options) <= 12:
            raise bad_request("POLL_ANSWERS_INVALID")
        if any(not 1 <= len(o) <= 100 for o in options) or len(set(options)) != len(options):
            raise bad_request("POLL_OPTION_INVALID")
        if params.get("type", "regular") != "regular":
            raise bad_request("quiz polls are not supported by this fake")
        self._writable(chat)
        inline = self._markup(chat, params.get("reply_markup"))
        poll_id = str(5_000_000_000_000_000_000 + len(self.polls) + 1)
        state = PollState(
            poll_id,
            chat.id,
            0,  # known once the message is stored
            question,
            options,
            is_anonymous=params.get("is_anonymous", True),
            allows_multiple_answers=params.get("allows_multiple_answers", False),
        )
        message = self._store_bot_message(chat, poll=state.json(), reply_markup=inline)
        state.message_id = message["message_id"]
        self.polls[poll_id] = state
        return message

    def api_stop_poll(self, params: dict[str, Any]) -> Json:
        chat = self.chat_for(params["chat_id"])
        message = self._message(chat, params.get("message_id"))
        poll_json = message.get("poll")
        if poll_json is None or message.get("from", {}).get("id") != self.bot_id:
            raise bad_request("message with poll to stop not found")
        state = self.polls[poll_json["id"]]
        if state.is_closed:
            raise bad_request("poll has already been closed")
        state.is_closed = True
        message["poll"] = state.json()
        return state.json()

    def api_send_location(self, params: dict[str, Any]) -> Json:
        chat = self.chat_for(params["chat_id"])
        latitude, longitude = params["latitude"], params["longitude"]
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise bad_request("wrong coordinates")
        self._writable(chat)
        inline = self._markup(chat, params.get("reply_markup"))
        return self._store_bot_message(
            chat, location=shapes.location(latitude, longitude), reply_markup=inline
        )

    def api_get_chat(self, params: dict[str, Any]) -> Json:
        return shapes.chat_full_info(self.chat_for(params["chat_id"]).json())

    def api_get_chat_member(self, params: dict[str, Any]) -> Json:
        chat = self.chat_for(params["chat_id"])
        user_id = params["user_id"]
        if user_id == self.bot_id:
            return shapes.chat_member(chat.bot_status, self.bot_json, rights=chat.bot_rights)
        person = self.people.get(user_id)
        if person is None:
            raise bad_request("PARTICIPANT_ID_INVALID")
        status = "member" if chat.is_private else chat.members.get(user_id, "left")
        return shapes.chat_member(status, person.json())

    def api_get_chat_administrators(self, params: dict[str, Any]) -> list[Json]:
        chat = self.chat_for(params["chat_id"])
        if chat.is_private:
            raise bad_request("there are no administrators in the private chat")
        admins = [
            shapes.chat_member(status, self.people[user_id].json())
            for user_id, status in chat.members.items()
            if status in ("creator", "administrator")
        ]
        if chat.bot_status == "administrator":
            admins.append(
                shapes.chat_member("administrator", self.bot_json, rights=chat.bot_rights)
            )
        return admins

    def api_create_chat_invite_link(self, params: dict[str, Any]) -> Json:
        chat = self.chat_for(params["chat_id"])
        if chat.is_private:
            raise bad_request("can't invite members to a private chat")
        if chat.bot_status != "administrator" or not chat.bot_rights.get("can_invite_users", True):
            raise bad_request("not enough rights to manage chat invite link")
        limit = params.get("member_limit")
        if limit is not None and not 1 <= limit <= 99999:
            raise bad_request("member limit must be between 1 and 99999")
        if limit is not None and params.get("creates_join_request"):
            raise bad_request("member limit can't be specified for links requiring approval")
        if len(params.get("name", "")) > 32:
            raise bad_request("invite link name is too long")
        link = InviteLink(
            f"https://t.me/+fake{chat.id & 0xFFFF:04x}{len(self.invite_links) + 1:06d}",
            chat.id,
            self.bot_json,
            name=params.get("name"),
            expire_date=params.get("expire_date"),
            member_limit=limit,
            creates_join_request=params.get("creates_join_request", False),
        )
        self.invite_links[link.link] = link
        return link.json()

    def _scope_key(self, params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        kind = scope.get("type")
        if kind not in _SCOPES:
            raise bad_request("wrong scope type")
        if "chat_id" in scope:
            kind = f"{kind}:{scope['chat_id']}"
        language = params.get("language_code", "")
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
        return kind, language

    def api_set_my_commands(self, params: dict[str, Any]) -> bool:
        key = self._scope_key(params)
        commands = params["commands"]
        if len(commands) > 100:
            raise bad_request("too many commands")
        for command in commands:
            if not _COMMAND_NAME.match(command.get("command", "")):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[key] = [shapes.bot_command(c["command"], c["description"]) for c in commands]
        return True

    def api_get_my_commands(self, params: dict[str, Any]) -> list[Json]:
        return copy.deepcopy(self.commands.get(self._scope_key(params), []))

    def api_delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(self._scope_key(params), None)
        return True

    def api_answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = params["callback_query_id"]
        if query_id not in self.callback_queries or self.callback_queries[query_id] is not None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(params.get("text", "")) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self.callback_queries[query_id] = params
        return True
