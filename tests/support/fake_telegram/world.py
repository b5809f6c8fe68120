"""What the fake Telegram knows: people, chats with their messages and members, polls, links."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from tests.support.fake_telegram import shapes

Json = dict[str, Any]


@dataclass(eq=False)
class Person:
    """A human account; tests act through it (see people.py)."""

    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = None
    last_name: str | None = None

    def json(self) -> Json:
        return shapes.user(
            self.id,
            self.first_name,
            last_name=self.last_name,
            username=self.username,
            language_code=self.language_code,
        )


@dataclass(eq=False)
class Chat:
    id: int
    kind: str  # private, group, supergroup
    title: str | None = None
    peer: Person | None = None  # the person in a private chat
    # Status of each member by user id: creator, administrator, member, left, kicked.
    members: dict[int, str] = field(default_factory=dict)
    bot_status: str = "member"
    bot_rights: dict[str, bool] = field(default_factory=dict)
    messages: dict[int, Json] = field(default_factory=dict)
    bot_message_ids: list[int] = field(default_factory=list)
    # The reply keyboard the person sees under the input field (None: the normal keyboard).
    reply_keyboard: Json | None = None
    reply_keyboard_hidden: bool = False
    instance: str = ""
    # A group upgraded to a supergroup: the supergroup's id (the old id is dead).
    migrated_to: int | None = None
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def is_private(self) -> bool:
        return self.kind == "private"

    def json(self) -> Json:
        return shapes.chat(
            self.id, self.kind, title=self.title, peer=self.peer.json() if self.peer else None
        )

    def next_message_id(self) -> int:
        return next(self._ids)


@dataclass(eq=False)
class PollState:
    poll_id: str
    chat_id: int
    message_id: int
    question: str
    options: list[str]
    is_anonymous: bool
    allows_multiple_answers: bool
    is_closed: bool = False
    answers: dict[int, list[int]] = field(default_factory=dict)  # user id → option ids

    def json(self) -> Json:
        votes = [0] * len(self.options)
        for chosen in self.answers.values():
            for option in chosen:
                votes[option] += 1
        return shapes.poll(
            self.poll_id,
            self.question,
            self.options,
            votes,
            is_closed=self.is_closed,
            is_anonymous=self.is_anonymous,
            allows_multiple_answers=self.allows_multiple_answers,
        )


@dataclass(eq=False)
class InviteLink:
    link: str
    chat_id: int
    creator: Json
    name: str | None = None
    expire_date: int | None = None
    member_limit: int | None = None
    creates_join_request: bool = False
    uses: int = 0
    is_revoked: bool = False

    def json(self) -> Json:
        return shapes.chat_invite_link(
            self.link,
            self.creator,
            name=self.name,
            expire_date=self.expire_date,
            member_limit=self.member_limit,
            creates_join_request=self.creates_join_request,
            is_revoked=self.is_revoked,
        )
