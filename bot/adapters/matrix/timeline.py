"""One sync batch: invitations, rooms left, and each joined room's new events, in order."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

from nio import (
    AsyncClient,
    InviteEvent,
    InviteMemberEvent,
    MessageDirection,
    RoomMessagesResponse,
    SyncResponse,
)
from nio.responses import RoomInfo

from bot.adapters.matrix.inbound import Room, to_incoming
from bot.adapters.matrix.moderators import Moderators
from bot.adapters.matrix.outbox import NETWORK_ERRORS, LiveOutbox, MatrixOutbox, tx_id_for
from bot.adapters.matrix.rooms import RoomKeeper, membership_of, previous_membership
from bot.adapters.matrix.store import PLATFORM, MatrixStore
from bot.adapters.matrix.sync import BatchIncomplete
from bot.app import Application
from bot.core.events import (
    BotAdded,
    BotRemoved,
    ChatKind,
    ChatRef,
    CommandMessage,
    Incoming,
    MemberJoined,
    MemberLeft,
    Sender,
)
from bot.core.outbox import DeliveryFailed
from bot.storage.conversations import ConversationRepository

log = logging.getLogger(__name__)

# A room with more new events than one sync shows has its gap fetched, up to this many.
MAX_GAP_EVENTS = 1000


def invite_event(event: InviteEvent) -> dict[str, Any]:
    """The invite's JSON again: nio takes the content out of a member event's source."""
    if isinstance(event, InviteMemberEvent):
        return {**event.source, "content": event.content}
    return event.source


@dataclass(slots=True)
class RoomBatch:
    room_id: str
    known: list[dict[str, Any]]  # everything this batch shows, state included
    events: list[dict[str, Any]]  # the events to act on, oldest first
    joined_now: bool


class TimelineHandler:
    def __init__(
        self,
        app: Application,
        client: AsyncClient,
        store: MatrixStore,
        rooms: RoomKeeper,
        outbox: MatrixOutbox,
        live_outbox: LiveOutbox,
    ) -> None:
        self.app = app
        self.client = client
        self.store = store
        self.rooms = rooms
        self.moderators = Moderators(client)
        self.outbox = outbox
        self.live_outbox = live_outbox
        self._privacy: dict[str, ChatKind] = {}  # what each direct room's chat row says
        self._since: str | None = None  # the batch being handled: read from this token
        self._handled: set[str] = set()  # its events acted on (kept in the store)

    @property
    def own_user_id(self) -> str:
        return self.client.user_id

    async def handle(self, response: SyncResponse, first: bool, since: str | None) -> None:
        # Read everything first (a gap fetch may fail): then nothing is acted on twice.
        batches = [] if first else await self._read_rooms(response, since)
        self._since, self._handled = since, self.store.handled_in_batch(since)
        await self.rooms.retry_pending_invites()
        for room_id, invite in response.rooms.invite.items():
            await self.rooms.answer_invite(room_id, [invite_event(e) for e in invite.invite_state])
        if not first:
            for room_id, left in response.rooms.leave.items():
                await self._guard(room_id, self._left(room_id, left))
        # Rooms are independent: one waiting for a rate limit does not hold the others.
        await asyncio.gather(*(self._guard(b.room_id, self._room(b)) for b in batches))

    async def _guard(self, room_id: str, work: Any) -> None:
        try:
            await work
        except Exception:
            log.exception("Matrix: handling events of %s failed", room_id)

    # -- reading -------------------------------------------------------------------------

    async def _read_rooms(self, response: SyncResponse, since: str | None) -> list[RoomBatch]:
        batches = []
        for room_id, info in response.rooms.join.items():
            timeline = [e.source for e in info.timeline.events]
            known = [e.source for e in info.state] + timeline
            events = timeline
            joined_at = self._own_join_index(timeline)
            if joined_at is not None:
                events = timeline[self._after_own_invite(timeline[:joined_at]) :]
            elif info.timeline.limited and since and info.timeline.prev_batch:
                events = await self._gap(room_id, info, since) + timeline
            batches.append(RoomBatch(room_id, known, events, joined_at is not None))
        return batches

    def _own_join_index(self, events: list[dict[str, Any]]) -> int | None:
        for index, event in enumerate(events):
            if membership_of(event, self.own_user_id) == "join" and (
                previous_membership(event) != "join"
            ):
                return index
        return None

    def _after_own_invite(self, events: list[dict[str, Any]]) -> int:
        """Where the events worth reading start in a room just joined: after the invitation
        (a direct chat's first message often comes before the bot joins), not its history."""
        for index in range(len(events) - 1, -1, -1):
            if membership_of(events[index], self.own_user_id) == "invite":
                return index + 1
        return 0

    async def _gap(self, room_id: str, info: RoomInfo, since: str) -> list[dict[str, Any]]:
        """The events between the last batch and this one that the sync left out."""
        gathered: list[dict[str, Any]] = []
        token = info.timeline.prev_batch
        while len(gathered) < MAX_GAP_EVENTS:
            try:
                page = await self.client.room_messages(
                    room_id, start=token, end=since, direction=MessageDirection.back, limit=100
                )
            except NETWORK_ERRORS as exc:
                raise BatchIncomplete(f"fetching missed events of {room_id}: {exc!r}") from exc
            if not isinstance(page, RoomMessagesResponse):
                log.warning("Matrix: missed events of %s not fetched: %s", room_id, page)
                break
            gathered.extend(e.source for e in page.chunk)
            if not page.chunk or not page.end or page.end == token:
                break
            token = page.end
        gathered.reverse()
        return gathered

    # -- acting --------------------------------------------------------------------------

    async def _room(self, batch: RoomBatch) -> None:
        room_id = batch.room_id
        if any(e.get("type") == "m.room.power_levels" for e in batch.known + batch.events):
            self.moderators.changed(room_id)
        self._follow_privacy(room_id)
        if batch.joined_now:
            await self._joined(room_id, batch.known)
        for event in batch.events:
            event_id = event.get("event_id")
            if event_id in self._handled:
                continue  # handled before the process that read this batch died
            await self._event(room_id, event)
            if isinstance(event_id, str):
                self._handled.add(event_id)
                self.store.save_handled(self._since, self._handled)

    async def _joined(self, room_id: str, events: list[dict[str, Any]]) -> None:
        if any(e.get("type") == "m.room.encryption" for e in events):
            await self._encrypted(room_id)
        record = self.store.room(room_id)
        if record.kind == "group" and record.inviter:
            await self.dispatch(
                BotAdded(
                    chat=self.chat(room_id),
                    chat_kind="group",
                    sender=self.sender(record.inviter, room_id),
                )
            )

    async def _event(self, room_id: str, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "m.room.encryption":
            await self._encrypted(room_id)
        elif kind == "m.room.encrypted":
            if event.get("sender") != self.own_user_id:
                await self._encrypted(room_id)
        elif kind == "m.room.member":
            await self._membership(room_id, event)
        else:
            room = Room(room_id, self.kind(room_id), self.own_user_id)
            incoming = to_incoming(
                event,
                room,
                prompts=self.store.prompt,
                polls=self.store.poll,
                names=lambda user_id: self._name(room_id, user_id),
            )
            if incoming is not None:
                await self.dispatch(await self._with_moderation(incoming))

    async def _with_moderation(self, incoming: Incoming) -> Incoming:
        if isinstance(incoming, CommandMessage) and not incoming.is_direct and incoming.sender:
            room_id, user_id = incoming.chat.chat_id, incoming.sender.user_id
            try:
                moderator = await self.moderators.includes(room_id, user_id)
            except NETWORK_ERRORS:
                moderator = False  # unknown counts as no: never grant by accident
            if moderator:
                return dataclasses.replace(incoming, chat_moderator=True)
        return incoming

    async def _membership(self, room_id: str, event: dict[str, Any]) -> None:
        user_id = event.get("state_key")
        if not isinstance(user_id, str) or user_id == self.own_user_id:
            return
        now, before = membership_of(event, user_id), previous_membership(event)
        record = self.store.room(room_id)
        if record.kind == "direct":
            if user_id == record.inviter and now in ("leave", "ban"):
                # The member left their private conversation: nobody is left to talk to.
                await self.rooms.leave(room_id)
            return
        member = self.sender(user_id, room_id)
        common = {"chat": self.chat(room_id), "chat_kind": "group", "sender": member}
        if now == "join" and before != "join":
            await self.dispatch(
                MemberJoined(member=member, event_id=event.get("event_id"), **common)
            )
        elif now in ("leave", "ban") and before == "join":
            await self.dispatch(MemberLeft(member=member, event_id=event.get("event_id"), **common))

    async def _left(self, room_id: str, info: RoomInfo) -> None:
        own = [e.source for e in info.timeline.events if membership_of(e.source, self.own_user_id)]
        self.moderators.changed(room_id)
        remover = own[-1].get("sender") if own else None
        if not isinstance(remover, str) or remover == self.own_user_id:
            return  # we left (or declined) ourselves: nothing to tell
        log.info("removed from %s by %s", room_id, remover)
        record = self.store.room(room_id)
        await self.dispatch(
            BotRemoved(
                chat=self.chat(room_id), chat_kind=record.kind, sender=self.sender(remover, room_id)
            )
        )

    async def _encrypted(self, room_id: str) -> None:
        notice = self.rooms.encrypted_notice(room_id)
        if notice is None:
            return
        try:
            await self.outbox.send_event(room_id, notice, tx_id_for("encryption-notice", room_id))
        except DeliveryFailed as failure:
            log.warning("Matrix: the encryption notice to %s failed: %s", room_id, failure.reason)
            self.rooms.mark_encrypted(room_id, notice_sent=False)
            return
        self.rooms.mark_encrypted(room_id, notice_sent=True)

    # -- private or not ------------------------------------------------------------------

    def kind(self, room_id: str) -> ChatKind:
        """A room is private only while its members are the bot and the one who invited
        it: `is_direct` is the creator's word, and a third person may be there or come."""
        record = self.store.room(room_id)
        if record.kind != "direct":
            return "group"
        room = self.client.rooms.get(room_id)
        if room is None:
            return "group"  # not known yet: never assume nobody else reads
        present = set(room.users) | set(room.invited_users)
        if not present <= {self.own_user_id, record.inviter} or room.member_count > 2:
            return "group"
        return "direct"

    def _follow_privacy(self, room_id: str) -> None:
        """The chat row follows: private messages (a connect code, a notice to an
        organizer) are sent only to a room that is private now."""
        if self.store.room(room_id).kind != "direct":
            return
        kind = self.kind(room_id)
        if self._privacy.get(room_id) == kind:
            return
        with self.app.services.database.session() as session:
            ConversationRepository(session).set_kind(PLATFORM, room_id, kind)
        self._privacy[room_id] = kind
        log.info("Matrix: direct room %s is now %s", room_id, kind)

    # -- helpers -------------------------------------------------------------------------

    async def dispatch(self, incoming: Incoming) -> None:
        await self.app.dispatcher.handle(incoming, self.live_outbox)

    def chat(self, room_id: str) -> ChatRef:
        return ChatRef(PLATFORM, room_id)

    def sender(self, user_id: str, room_id: str) -> Sender:
        return Sender(PLATFORM, user_id, display_name=self._name(room_id, user_id), handle=user_id)

    def _name(self, room_id: str, user_id: str) -> str | None:
        """The display name, when the homeserver sent it (members are loaded lazily)."""
        room = self.client.rooms.get(room_id)
        user = room.users.get(user_id) if room else None
        return user.display_name if user else None
