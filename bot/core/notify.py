"""Telling a member something outside the conversation they are in: in their language, in
their private conversation, through the outbox (committed with what caused it)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bot.core.events import ChatRef
from bot.core.outgoing import Body, Choice, Invite, Option, Outgoing, Priority, Text
from bot.core.voice import Voice
from bot.i18n.locale import negotiate_language, normalize_language
from bot.storage.actions import ActionRepository
from bot.storage.conversations import ConversationRepository
from bot.storage.members import MemberRepository
from bot.storage.models import MessageAbout
from bot.storage.outbox import OutboxStore

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.core.services import Services
    from bot.storage.models import Chat, Identity, Member

Words = Callable[[Voice], str]
Question = Callable[[Voice], tuple[str, list[Option]]]


class Notifier:
    def __init__(
        self,
        services: Services,
        session: Session,
        occurrence: tuple[int, datetime] | None = None,
    ) -> None:
        self.services = services
        self.session = session
        # Set when a schedule's firing writes: (schedule id, occurrence) on every message.
        self.occurrence = occurrence

    def voice_for(self, member: Member) -> Voice:
        """The member's chosen language, else what their platform said, else the default."""
        hints = [i.language_hint for i in MemberRepository(self.session).identities(member.id)]
        language = negotiate_language(
            member.language,
            next((h for h in hints if normalize_language(h)), None),
            None,
            self.services.organization.default_language,
        )
        return Voice(self.services.catalogs.translator(language), member.timezone)

    def chat_voice(self, chat: Chat | None, timezone: str | None = None) -> Voice:
        """What a chat reads: its language (bot.storage.conversations.chat_language), in
        `timezone` where times are shown."""
        language = ConversationRepository(self.session).chat_language(
            chat, self.services.organization.default_language
        )
        return Voice(self.services.catalogs.translator(language), timezone)

    def reach(self, member: Member, platform: str | None = None) -> tuple[ChatRef, Identity] | None:
        """The member's most recent private conversation on a platform that still reaches
        them (on `platform`, if given)."""
        identities = {
            i.platform: i
            for i in MemberRepository(self.session).identities(member.id)
            if i.unreachable_at is None
        }
        for chat in ConversationRepository(self.session).private_chats_of(member.id):
            if chat.platform in identities and platform in (None, chat.platform):
                return ChatRef(chat.platform, chat.chat_id), identities[chat.platform]
        return None

    def tell(
        self,
        member: Member,
        words: Words,
        priority: Priority = Priority.NOTICE,
        platform: str | None = None,
        about: Member | None = None,
    ) -> bool:
        """`about`: the member the words name, whose /forget takes the message away."""
        voice = self.voice_for(member)
        return self._send(member, voice, Text(words(voice)), priority, platform, about=about)

    def ask(
        self,
        member: Member,
        kind: str,
        payload: dict,
        question: Question,
        priority: Priority = Priority.NOTICE,
        notify: bool = False,
        about: Member | None = None,
    ) -> bool:
        """A question answered outside any flow; the answer reaches the router's action."""
        reached = self.reach(member)
        if reached is None:
            return False
        voice = self.voice_for(member)
        text, options = question(voice)
        action = ActionRepository(self.session).create(
            member.id, reached[0].key, kind, payload, [(o.key, o.label) for o in options]
        )
        body = Choice(prompt_id=action.id, text=text, options=tuple(options))
        return self._send(member, voice, body, priority, notify=notify, about=about)

    def invite(self, member: Member, target: ChatRef, words: Words, button: Words) -> bool:
        """A way into a chapter's chat, when the member uses that chat's platform."""
        reached = self.reach(member)
        if reached is None or reached[0].platform != target.platform:
            return False
        voice = self.voice_for(member)
        body = Invite(
            text=words(voice),
            target_chat=target,
            user_id=reached[1].user_id,
            button_label=button(voice),
        )
        return self._send(member, voice, body, Priority.NOTICE)

    def _send(
        self,
        member: Member,
        voice: Voice,
        body: Body,
        priority: Priority,
        platform: str | None = None,
        *,
        notify: bool = False,
        about: Member | None = None,
    ) -> bool:
        reached = self.reach(member, platform)
        if reached is None:
            return False
        message = Outgoing(
            chat=reached[0], body=body, priority=priority, language=voice.language, notify=notify
        )
        OutboxStore(self.session).enqueue(message, member.id, self.occurrence)
        if about is not None and about.id is not None and about.id != member.id:
            self.session.add(MessageAbout(message_id=message.id, member_id=about.id))
        return True
