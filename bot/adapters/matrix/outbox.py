"""Sending: neutral messages to Matrix rooms, at the homeserver's pace, each exactly once.

Every event of a message has a transaction id derived from the message id, so a retry (after
a 429, a lost connection or a restart) is the same request again: the homeserver keeps the
first and never shows a message twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import ClientError
from nio import (
    AsyncClient,
    ErrorResponse,
    RoomInviteResponse,
    RoomSendResponse,
    UploadResponse,
)

from bot.adapters.matrix.render import (
    KEYCAPS,
    POLL_START,
    UNSTABLE_POLL_START,
    MatrixEvent,
    Renderer,
    width_height,
)
from bot.adapters.matrix.store import PLATFORM, MatrixStore, PollStartRecord, PromptRecord
from bot.core.outbox import DeliveryFailed, Outbox
from bot.core.outgoing import Choice, ClosePoll, Image, Invite, Outgoing, Poll
from bot.storage.database import Database
from bot.storage.outbox import OutboxStore

log = logging.getLogger(__name__)

# Errors after which the same request can never succeed.
PERMANENT_ERRORS = frozenset(
    {"M_FORBIDDEN", "M_NOT_FOUND", "M_BAD_JSON", "M_NOT_JSON", "M_TOO_LARGE", "M_INVALID_PARAM"}
)
NETWORK_ERRORS = (ClientError, TimeoutError, OSError)
FIRST_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 10.0


def tx_id_for(*parts: str) -> str:
    """A transaction id that is the same each time the same thing is sent."""
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


def failure_of(response: ErrorResponse, what: str) -> DeliveryFailed:
    reason = f"{what}: {response.status_code} {response.message}"
    if response.status_code == "M_LIMIT_EXCEEDED":
        return DeliveryFailed(reason, retry_after=(response.retry_after_ms or 1000) / 1000)
    return DeliveryFailed(reason, permanent=response.status_code in PERMANENT_ERRORS)


class MatrixOutbox:
    """Delivers one message; waits out rate limits and outages for up to `patience` seconds,
    then raises DeliveryFailed (the caller decides what to do with the message)."""

    def __init__(
        self, client: AsyncClient, store: MatrixStore, renderer: Renderer, patience: float
    ) -> None:
        self.client = client
        self.store = store
        self.renderer = renderer
        self.patience = patience

    async def send(self, message: Outgoing) -> None:
        if message.chat.platform != PLATFORM:
            raise DeliveryFailed(f"not a Matrix chat: {message.chat.key}", permanent=True)
        room_id, body = message.chat.chat_id, message.body
        deadline = time.monotonic() + self.patience
        if isinstance(body, Invite):
            await self._invite(body, message, deadline)
        if isinstance(body, Image):
            url = await self._upload(body, message, deadline)
            events = self.renderer.image(body, url, width_height(body.png))
        else:
            events = self._events(message)
        for index, event in enumerate(events):
            tx_id, what = f"{message.id}.{index}", f"message {message.id} to {room_id}"
            event_id = await self.send_event(room_id, event, tx_id, deadline, what)
            log.debug("message %s delivered to %s as %s", message.id, room_id, event_id)
            if isinstance(body, Choice):
                await self._offer_reactions(room_id, event_id, body, message.id)
            elif isinstance(body, Poll) and event.type == POLL_START:
                # Only a native poll has answers to map and an end to send (an anonymous
                # one is a notice: its votes come privately).
                self.store.save_poll(event_id, body.poll_id)
                start = PollStartRecord(event_id, unstable=UNSTABLE_POLL_START in event.content)
                self.store.save_poll_start(body.poll_id, room_id, start)

    def _events(self, message: Outgoing) -> list[MatrixEvent]:
        body = message.body
        if isinstance(body, ClosePoll):
            start = self.store.poll_start(body.poll_id, message.chat.chat_id)
            if start is None:
                log.info("no poll %s was started in %s: nothing to end", body.poll_id, message.chat)
                return []
            return [self.renderer.poll_end(start, message.language)]
        return self.renderer.render(message)

    async def send_event(
        self,
        room_id: str,
        event: MatrixEvent,
        tx_id: str,
        deadline: float | None = None,
        what: str | None = None,
    ) -> str:
        """One event, sent once whatever the retries: the homeserver knows the tx id."""
        deadline = deadline or time.monotonic() + self.patience

        async def attempt() -> RoomSendResponse | ErrorResponse:
            return await self.client.room_send(room_id, event.type, event.content, tx_id=tx_id)

        response = await self._persist(attempt, what or f"event {tx_id} to {room_id}", deadline)
        assert isinstance(response, RoomSendResponse)
        return response.event_id

    async def _upload(self, image: Image, message: Outgoing, deadline: float) -> str:
        """The picture into the homeserver's media repository: its mxc:// address."""
        png = image.png

        async def attempt() -> UploadResponse | ErrorResponse:
            response, _keys = await self.client.upload(
                lambda *_: io.BytesIO(png),
                content_type="image/png",
                filename=image.filename,
                filesize=len(png),
            )
            return response

        response = await self._persist(attempt, f"uploading for message {message.id}", deadline)
        assert isinstance(response, UploadResponse)
        return response.content_uri

    async def _invite(self, invite: Invite, message: Outgoing, deadline: float) -> None:
        room_id = invite.target_chat.chat_id

        async def attempt() -> RoomInviteResponse | ErrorResponse:
            response = await self.client.room_invite(room_id, invite.user_id)
            if isinstance(response, ErrorResponse) and "already in the room" in (
                response.message or ""
            ):
                return RoomInviteResponse()  # a repeated delivery: the first one worked
            return response

        await self._persist(attempt, f"inviting for message {message.id}", deadline)

    async def _persist(
        self,
        attempt: Callable[[], Awaitable[object]],
        what: str,
        deadline: float,
    ) -> object:
        """Repeat one request until it succeeds, fails for good, or patience runs out."""
        delay = FIRST_RETRY_DELAY
        while True:
            try:
                response = await attempt()
            except NETWORK_ERRORS as exc:
                failure = DeliveryFailed(f"{what}: homeserver unreachable ({exc!r})")
                wait, delay = delay, min(delay * 2, MAX_RETRY_DELAY)
            else:
                if not isinstance(response, ErrorResponse):
                    return response
                failure = failure_of(response, what)
                if failure.permanent:
                    raise failure
                if failure.retry_after is not None:
                    wait = failure.retry_after
                else:
                    wait, delay = delay, min(delay * 2, MAX_RETRY_DELAY)
            if time.monotonic() + wait > deadline:
                failure.retry_after = failure.retry_after or wait
                raise failure
            log.info("%s; trying again in %.1f s", failure.reason, wait)
            await asyncio.sleep(wait)

    async def _offer_reactions(
        self, room_id: str, event_id: str, choice: Choice, message_id: str
    ) -> None:
        """1️⃣ 2️⃣ 3️⃣ under a prompt, to answer with one tap (single-answer prompts only: one
        reaction could not say "1 and 3")."""
        if choice.multiple or len(choice.options) > len(KEYCAPS):
            return
        self.store.save_prompt(event_id, PromptRecord(choice.prompt_id, len(choice.options)))
        for index in range(len(choice.options)):
            content = {
                "m.relates_to": {
                    "rel_type": "m.annotation",
                    "event_id": event_id,
                    "key": KEYCAPS[index],
                }
            }
            tx_id = f"{message_id}.r{index}"
            try:
                response = await self.client.room_send(room_id, "m.reaction", content, tx_id=tx_id)
            except NETWORK_ERRORS:
                return
            # A convenience only: never delay the conversation for it (a rate limit stops it).
            if isinstance(response, ErrorResponse):
                log.info("no more reactions under %s: %s", event_id, response.status_code)
                return


class LiveOutbox:
    """What the dispatcher answers through. A reply the homeserver does not take in time is
    put in the outbox table, so that the drainer delivers it later: never lost."""

    def __init__(self, outbox: Outbox, database: Database, on_queued: Callable[[], None]) -> None:
        self.outbox = outbox
        self.database = database
        self.on_queued = on_queued
        self._queue_until = 0.0

    async def send(self, message: Outgoing) -> None:
        if time.monotonic() < self._queue_until:
            self._enqueue(message)  # the homeserver just failed us: keep the order, queue too
            return
        try:
            await self.outbox.send(message)
        except DeliveryFailed as failure:
            if failure.permanent:
                raise
            log.warning("message %s queued for later: %s", message.id, failure.reason)
            self._queue_until = time.monotonic() + (failure.retry_after or MAX_RETRY_DELAY)
            self._enqueue(message)

    def _enqueue(self, message: Outgoing) -> None:
        with self.database.session() as session:
            OutboxStore(session).enqueue(message)
        self.on_queued()
