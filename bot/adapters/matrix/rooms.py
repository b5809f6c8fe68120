"""Rooms: accepting invitations, telling direct chats from groups, leaving, encryption."""

from __future__ import annotations

import logging
from typing import Any

from nio import AsyncClient, ErrorResponse, JoinResponse

from bot.adapters.matrix.config import MatrixConfig
from bot.adapters.matrix.outbox import NETWORK_ERRORS
from bot.adapters.matrix.render import MatrixEvent, Renderer
from bot.adapters.matrix.store import PLATFORM, MatrixStore, RoomRecord
from bot.core.markup import escape
from bot.core.services import Services
from bot.storage.conversations import ConversationRepository
from bot.storage.members import MemberRepository

log = logging.getLogger(__name__)


def membership_of(event: dict[str, Any], user_id: str) -> str | None:
    """The membership an m.room.member event gives `user_id`, or None if it is about another."""
    if event.get("type") != "m.room.member" or event.get("state_key") != user_id:
        return None
    content = event.get("content")
    return content.get("membership") if isinstance(content, dict) else None


def previous_membership(event: dict[str, Any]) -> str | None:
    previous = (event.get("unsigned") or {}).get("prev_content") or {}
    return previous.get("membership") if isinstance(previous, dict) else None


class RoomKeeper:
    def __init__(
        self,
        client: AsyncClient,
        config: MatrixConfig,
        store: MatrixStore,
        services: Services,
        renderer: Renderer,
    ) -> None:
        self.client = client
        self.config = config
        self.store = store
        self.services = services
        self.renderer = renderer
        # Invitations whose answer the homeserver did not take yet: tried again each sync.
        self.pending_invites: dict[str, list[dict[str, Any]]] = {}

    @property
    def own_user_id(self) -> str:
        return self.client.user_id

    # -- invitations ---------------------------------------------------------------------

    async def answer_invite(self, room_id: str, invite_state: list[dict[str, Any]]) -> None:
        """Join (or decline) a room we are invited to; remember if it is a direct chat."""
        own = next(
            (e for e in invite_state if membership_of(e, self.own_user_id) == "invite"), None
        )
        inviter = own.get("sender") if own else None
        if not isinstance(inviter, str):
            inviter = None
        allowed = inviter is None or self.config.allows_server_of(inviter)
        if allowed:
            content = (own or {}).get("content") or {}
            record = RoomRecord(
                kind="direct" if content.get("is_direct") is True else "group",
                inviter=inviter,
            )
            # Stored before joining: the join's events are read knowing what the room is.
            self.store.save_room(room_id, record)
        else:
            log.info("declining an invitation to %s from a server not allowed", room_id)
        try:
            response = await (self.client.join if allowed else self.client.room_leave)(room_id)
        except NETWORK_ERRORS as exc:
            log.warning("answering the invitation to %s failed (%r); will retry", room_id, exc)
            self.pending_invites[room_id] = invite_state
            return
        if isinstance(response, ErrorResponse) and response.status_code not in (
            "M_FORBIDDEN",
            "M_NOT_FOUND",
        ):
            log.warning("answering the invitation to %s failed: %s", room_id, response)
            self.pending_invites[room_id] = invite_state  # tried again after the next sync
            return
        self.pending_invites.pop(room_id, None)
        if isinstance(response, JoinResponse):
            log.info("joined room %s", room_id)

    async def retry_pending_invites(self) -> None:
        for room_id, invite_state in list(self.pending_invites.items()):
            await self.answer_invite(room_id, invite_state)

    # -- membership ----------------------------------------------------------------------

    async def leave(self, room_id: str) -> None:
        try:
            response = await self.client.room_leave(room_id)
        except NETWORK_ERRORS as exc:
            log.warning("could not leave %s: %r", room_id, exc)
            return
        if isinstance(response, ErrorResponse):
            log.warning("could not leave %s: %s", room_id, response.status_code)

    # -- encryption ----------------------------------------------------------------------

    def encrypted_notice(self, room_id: str) -> MatrixEvent | None:
        """The one notice an encrypted room gets; None once it was sent."""
        record = self.store.room(room_id)
        if record.encryption_notice_sent:
            return None
        translator = self.services.catalogs.translator(self._language(room_id, record))
        bot = escape(self.own_user_id)
        # TRANSLATORS: %(bot)s is the bot's Matrix ID, e.g. @chapterbot:example.org.
        text = translator.gettext(
            "I can't read the messages in this room: it is end-to-end encrypted. "
            "To talk with me, please create a room without encryption and invite %(bot)s."
        ) % {"bot": bot}
        return self.renderer.notice(text)

    def mark_encrypted(self, room_id: str, notice_sent: bool) -> None:
        record = self.store.room(room_id)
        if record.encrypted and record.encryption_notice_sent == notice_sent:
            return
        record.encrypted = True
        record.encryption_notice_sent = record.encryption_notice_sent or notice_sent
        self.store.save_room(room_id, record)

    def _language(self, room_id: str, record: RoomRecord) -> str:
        default = self.services.organization.default_language
        with self.services.database.session() as session:
            if record.kind == "direct" and record.inviter:
                found = MemberRepository(session).find_by_identity(PLATFORM, record.inviter)
                return (found[0].language if found else None) or default
            chat = ConversationRepository(session).find_chat(PLATFORM, room_id)
            return ConversationRepository(session).chat_language(chat, default)
