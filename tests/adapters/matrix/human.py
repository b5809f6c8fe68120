"""A person on Matrix, played by a second matrix-nio client: sends, reacts, reads what came."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from nio import (
    AsyncClient,
    AsyncClientConfig,
    InviteEvent,
    RoomCreateResponse,
    RoomPreset,
    RoomSendResponse,
    SyncResponse,
)

from tests.support.synapse import RegisteredUser

Event = dict[str, Any]
DEFAULT_TIMEOUT = 20.0


def body_of(event: Event) -> str:
    return str(event.get("content", {}).get("body", ""))


class Human:
    def __init__(self, homeserver: str, account: RegisteredUser) -> None:
        self.account = account
        self.user_id = account.user_id
        # A person's client retries quickly once the homeserver is back (nio would wait up to
        # a minute between tries after a long outage).
        config = AsyncClientConfig(request_timeout=30, max_timeout_retry_wait_time=1)
        self.client = AsyncClient(homeserver, account.user_id, config=config)
        self.client.restore_login(account.user_id, account.device_id, account.access_token)
        self.timeline: dict[str, list[Event]] = defaultdict(list)
        self.invites: set[str] = set()
        self.invite_state: dict[str, list[InviteEvent]] = defaultdict(list)
        self._cursor: dict[str, int] = defaultdict(int)
        self._changed = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    # -- reading -------------------------------------------------------------------------

    async def start(self) -> None:
        first = await self.client.sync(timeout=0, full_state=False)
        assert isinstance(first, SyncResponse), first
        self._task = asyncio.create_task(self._sync_forever())

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.close()

    async def _sync_forever(self) -> None:
        while True:
            try:
                response = await self.client.sync(timeout=2000)
            except Exception:  # the homeserver may be restarting: try again
                await asyncio.sleep(0.2)
                continue
            if not isinstance(response, SyncResponse):
                await asyncio.sleep(0.2)
                continue
            async with self._changed:
                for room_id, info in response.rooms.join.items():
                    self.timeline[room_id].extend(e.source for e in info.timeline.events)
                self.invites.update(response.rooms.invite)
                for room_id, invited in response.rooms.invite.items():
                    self.invite_state[room_id].extend(invited.invite_state)
                self._changed.notify_all()

    async def wait_until(self, condition: Callable[[], Any], timeout: float = DEFAULT_TIMEOUT):
        async def check() -> Any:
            async with self._changed:
                while not (result := condition()):
                    await self._changed.wait()
                return result

        return await asyncio.wait_for(check(), timeout)

    def from_user(self, room_id: str, user_id: str, msgtype: str | None = None) -> list[Event]:
        return [
            e
            for e in self.timeline[room_id]
            if e.get("sender") == user_id
            and e.get("type") == "m.room.message"
            and (msgtype is None or e.get("content", {}).get("msgtype") == msgtype)
        ]

    async def expect(
        self,
        room_id: str,
        sender: str,
        contains: str | None = None,
        *,
        event_type: str = "m.room.message",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Event:
        """The next event of `sender` (after the last one expected) whose body contains
        `contains`; fails after `timeout` with everything the sender said."""

        def found() -> Event | None:
            events = self.timeline[room_id]
            for index in range(self._cursor[room_id], len(events)):
                event = events[index]
                if event.get("sender") != sender or event.get("type") != event_type:
                    continue
                if contains is None or contains in body_of(event):
                    self._cursor[room_id] = index + 1
                    return event
            return None

        try:
            return await self.wait_until(found, timeout)
        except TimeoutError:
            said = [body_of(e) for e in self.from_user(room_id, sender)]
            raise AssertionError(
                f"no {contains!r} from {sender} in {room_id}; said: {said}"
            ) from None

    async def expect_membership(
        self, room_id: str, user_id: str, membership: str, timeout: float = DEFAULT_TIMEOUT
    ) -> Event:
        def found() -> Event | None:
            return next(
                (
                    e
                    for e in self.timeline[room_id]
                    if e.get("type") == "m.room.member"
                    and e.get("state_key") == user_id
                    and e.get("content", {}).get("membership") == membership
                ),
                None,
            )

        return await self.wait_until(found, timeout)

    # -- acting --------------------------------------------------------------------------

    async def create_room(
        self,
        invite: list[str],
        *,
        direct: bool = False,
        encrypted: bool = False,
        room_version: str | None = None,
    ) -> str:
        initial_state = []
        if encrypted:
            initial_state.append(
                {
                    "type": "m.room.encryption",
                    "state_key": "",
                    "content": {"algorithm": "m.megolm.v1.aes-sha2"},
                }
            )
        response = await self.client.room_create(
            name=None if direct else f"room {secrets.token_hex(3)}",
            is_direct=direct,
            invite=invite,
            preset=RoomPreset.trusted_private_chat if direct else RoomPreset.private_chat,
            initial_state=initial_state,
            room_version=room_version,
        )
        assert isinstance(response, RoomCreateResponse), response
        return response.room_id

    async def direct_chat(self, bot_id: str) -> str:
        """A direct chat with the bot, once the bot has joined it."""
        room_id = await self.create_room([bot_id], direct=True)
        await self.expect_membership(room_id, bot_id, "join")
        return room_id

    async def send(self, room_id: str, event_type: str, content: dict[str, Any]) -> str:
        response = await self.client.room_send(
            room_id, event_type, content, tx_id=secrets.token_hex(8)
        )
        assert isinstance(response, RoomSendResponse), response
        return response.event_id

    async def say(self, room_id: str, text: str) -> str:
        return await self.send(room_id, "m.room.message", {"msgtype": "m.text", "body": text})

    async def react(self, room_id: str, event_id: str, key: str) -> str:
        relation = {"rel_type": "m.annotation", "event_id": event_id, "key": key}
        return await self.send(room_id, "m.reaction", {"m.relates_to": relation})

    async def answer_poll(
        self, room_id: str, start_event_id: str, answers: list[str], *, unstable: bool = False
    ) -> str:
        """A poll response, under the stable name or the unstable (MSC3381) one."""
        relation = {"rel_type": "m.reference", "event_id": start_event_id}
        content: dict[str, Any]
        if unstable:
            content = {
                "m.relates_to": relation,
                "org.matrix.msc3381.poll.response": {"answers": answers},
            }
            return await self.send(room_id, "org.matrix.msc3381.poll.response", content)
        content = {"m.relates_to": relation, "m.selections": answers}
        return await self.send(room_id, "m.poll.response", content)
