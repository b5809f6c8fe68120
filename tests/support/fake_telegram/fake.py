"""FakeTelegram: the Bot API for the bot, and for tests the people who talk to it."""

from __future__ import annotations

import asyncio
import copy
import itertools
import time
from collections.abc import Callable
from typing import Any

from tests.support.fake_telegram import shapes
from tests.support.fake_telegram.api import BotApi, now
from tests.support.fake_telegram.html import command_entities
from tests.support.fake_telegram.world import Chat, Person

Json = dict[str, Any]


class FakeTelegram(BotApi):
    def __init__(
        self,
        token: str = "123456789:AAFakeTokenForTestsOnly-abcdefghijklm",
        bot_username: str = "chapter_test_bot",
        bot_name: str = "Chapterbot",
    ) -> None:
        super().__init__(token, int(token.split(":")[0]), bot_name, bot_username)
        self._person_ids = itertools.count(1001)
        self._group_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._pressed: dict[int, str] = {}  # update id of a press → its callback query id

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.stop()

    def check(self) -> None:
        """Fail the test with everything the bot did that Telegram would not accept."""
        problems = list(self.problems)
        unanswered = [q for q, answer in self.callback_queries.items() if answer is None]
        if unanswered:
            problems.append(f"callback queries never answered: {unanswered}")
        assert not problems, "the fake Telegram saw problems:\n  " + "\n  ".join(problems)

    # -- people and chats --------------------------------------------------------------

    def person(
        self,
        first_name: str,
        *,
        language_code: str | None = None,
        username: str | None = None,
        last_name: str | None = None,
    ) -> Person:
        person = Person(next(self._person_ids), first_name, username, language_code, last_name)
        self.people[person.id] = person
        return person

    def private_chat(self, person: Person) -> Chat:
        chat = self.chats.get(person.id)
        if chat is None:
            chat = Chat(person.id, "private", peer=person, instance=f"inst-{person.id}")
            self.chats[person.id] = chat
        return chat

    def group(self, title: str, members: dict[Person, str], kind: str = "supergroup") -> Chat:
        """A group the bot is not in yet; members map a person to creator/administrator/member."""
        number = next(self._group_ids)
        chat_id = -1001000000000 - number if kind == "supergroup" else -4000 - number
        chat = Chat(chat_id, kind, title=title, bot_status="left", instance=f"inst{chat_id}")
        chat.members = {p.id: status for p, status in members.items()}
        self.chats[chat_id] = chat
        return chat

    # -- what people do (each returns the update_id the bot will receive) ----------------

    def _user_message(self, person: Person, chat: Chat, **content: Any) -> Json:
        message_id = chat.next_message_id()
        message = shapes.message(message_id, now(), chat.json(), sender=person.json(), **content)
        chat.messages[message_id] = message
        return message

    def say(self, person: Person, text: str, chat: Chat | None = None) -> int:
        chat = chat or self.private_chat(person)
        message = self._user_message(person, chat, text=text, entities=command_entities(text))
        return self.push_update("message", message)

    def send_sticker(self, person: Person, chat: Chat | None = None) -> int:
        chat = chat or self.private_chat(person)
        sticker = {
            "file_id": "CAACAgIAAxkBAAEB",
            "file_unique_id": "AgADBAADwDZPEw",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self.push_update("message", self._user_message(person, chat, sticker=sticker))

    def share_location(
        self, person: Person, latitude: float, longitude: float, *, via_button: bool = True
    ) -> int:
        """Share a location: by pressing the bot's location button, or from the attach menu."""
        chat = self.private_chat(person)
        if via_button:
            keyboard = chat.reply_keyboard
            buttons = [b for row in (keyboard or {}).get("keyboard", []) for b in row]
            assert any(b.get("request_location") for b in buttons), (
                "the bot shows no location button to press"
            )
            if keyboard and keyboard.get("one_time_keyboard"):
                chat.reply_keyboard_hidden = True
        message = self._user_message(person, chat, location=shapes.location(latitude, longitude))
        return self.push_update("message", message)

    def press(self, person: Person, message: Json, button: str | int) -> int:
        """Press an inline button (by its text, or its position) under a bot's message."""
        chat = self.chats[message["chat"]["id"]]
        current = chat.messages[message["message_id"]]
        buttons = [
            b for row in current.get("reply_markup", {}).get("inline_keyboard", []) for b in row
        ]
        if isinstance(button, int):
            chosen = buttons[button]
        else:
            matches = [b for b in buttons if b["text"] == button] or [
                b for b in buttons if button in b["text"]
            ]
            assert matches, f"no button {button!r} in {[b['text'] for b in buttons]}"
            chosen = matches[0]
        assert "callback_data" in chosen, f"button {chosen['text']!r} is a link, not a callback"
        query_id = str(next(self._query_ids))
        self.callback_queries[query_id] = None
        query = shapes.callback_query(
            query_id, person.json(), copy.deepcopy(current), chat.instance, chosen["callback_data"]
        )
        update_id = self.push_update("callback_query", query)
        self._pressed[update_id] = query_id
        return update_id

    def answer_to_press(self, update_id: int) -> Json | None:
        """How the bot answered the press that made update `update_id` (answerCallbackQuery's
        parameters: the text the presser alone sees, if any), or None while unanswered."""
        return self.callback_queries[self._pressed[update_id]]

    def vote(self, person: Person, poll_message: Json, option_ids: list[int]) -> int | None:
        state = self.polls[poll_message["poll"]["id"]]
        assert not state.is_closed, "the poll is closed"
        assert state.allows_multiple_answers or len(option_ids) <= 1
        state.answers[person.id] = list(option_ids)
        chat = self.chats[state.chat_id]
        chat.messages[state.message_id]["poll"] = state.json()
        self.push_update("poll", state.json())
        if state.is_anonymous:
            return None
        return self.push_update(
            "poll_answer", shapes.poll_answer(state.poll_id, person.json(), list(option_ids))
        )

    def retract_vote(self, person: Person, poll_message: Json) -> int | None:
        """`person` takes their vote back ("Retract vote" in the app): a poll_answer with no
        options, for a poll that is not anonymous."""
        state = self.polls[poll_message["poll"]["id"]]
        assert state.answers.get(person.id), "nothing to retract"
        return self.vote(person, poll_message, [])

    def add_bot(self, person: Person, chat: Chat, *, as_admin: bool = False) -> int:
        """`person` adds the bot to a group: my_chat_member, then the service message."""
        old = shapes.chat_member(chat.bot_status, self.bot_json)
        chat.bot_status = "administrator" if as_admin else "member"
        new = shapes.chat_member(chat.bot_status, self.bot_json, rights=chat.bot_rights)
        self.push_update(
            "my_chat_member",
            shapes.chat_member_updated(chat.json(), person.json(), now(), old, new),
        )
        message = self._user_message(person, chat, new_chat_members=[self.bot_json])
        return self.push_update("message", message)

    def remove_bot(self, person: Person, chat: Chat) -> int:
        old = shapes.chat_member(chat.bot_status, self.bot_json, rights=chat.bot_rights)
        chat.bot_status = "left"
        new = shapes.chat_member("left", self.bot_json)
        self.push_update(
            "my_chat_member",
            shapes.chat_member_updated(chat.json(), person.json(), now(), old, new),
        )
        message = self._user_message(person, chat, left_chat_member=self.bot_json)
        return self.push_update("message", message)

    def upgrade_to_supergroup(
        self, person: Person, group: Chat, *, tell_the_bot: bool = True
    ) -> tuple[Chat, int | None]:
        """`person` turns a basic group into a supergroup (as Telegram does when, say, its
        history is made visible to new members): a new chat with a new id and the same people,
        the old id answering "upgraded" with the new one. Returns the supergroup and the last
        update: the service messages in the old and the new chat, unless the bot is not told
        (as when those updates were missed), so that only a refusal reveals it."""
        assert group.kind == "group" and group.migrated_to is None, "not a basic group"
        supergroup = Chat(
            -1001000000000 - next(self._group_ids),
            "supergroup",
            title=group.title,
            members=dict(group.members),
            bot_status=group.bot_status,
            bot_rights=dict(group.bot_rights),
        )
        supergroup.instance = f"inst{supergroup.id}"
        self.chats[supergroup.id] = supergroup
        moved = self._user_message(person, group, migrate_to_chat_id=supergroup.id)
        opened = self._user_message(person, supergroup, migrate_from_chat_id=group.id)
        group.migrated_to = supergroup.id
        if not tell_the_bot:
            return supergroup, None
        self.push_update("message", moved)
        return supergroup, self.push_update("message", opened)

    def join(self, person: Person, chat: Chat) -> int:
        chat.members[person.id] = "member"
        message = self._user_message(person, chat, new_chat_members=[person.json()])
        return self.push_update("message", message)

    def join_by_link(self, person: Person, link: str) -> int:
        invite = self.invite_links[link]
        assert not invite.is_revoked, "the link was revoked"
        assert invite.expire_date is None or invite.expire_date > now(), "the link expired"
        assert invite.member_limit is None or invite.uses < invite.member_limit, "link used up"
        invite.uses += 1
        return self.join(person, self.chats[invite.chat_id])

    def block_bot(self, person: Person, *, tell_the_bot: bool = True) -> int | None:
        """`person` blocks the bot; Telegram tells the bot (my_chat_member) unless told not to,
        as when the update was missed, so that only a 403 on sending reveals it."""
        chat = self.private_chat(person)
        old = shapes.chat_member("member", self.bot_json)
        chat.bot_status = "kicked"
        if not tell_the_bot:
            return None
        new = shapes.chat_member("kicked", self.bot_json)
        return self.push_update(
            "my_chat_member",
            shapes.chat_member_updated(chat.json(), person.json(), now(), old, new),
        )

    # -- what the bot did --------------------------------------------------------------

    def bot_messages(self, chat: Chat) -> list[Json]:
        """The bot's messages in `chat` as they look now (after any edits)."""
        return [copy.deepcopy(chat.messages[i]) for i in chat.bot_message_ids]

    def commands_for(self, scope: str, language: str = "") -> list[str]:
        return [c["command"] for c in self.commands.get((scope, language), [])]

    async def wait_for(
        self, condition: Callable[[], Any], timeout: float = 5.0, what: str = "a condition"
    ) -> Any:
        """Poll `condition` until it is truthy; fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            await asyncio.sleep(0.005)
