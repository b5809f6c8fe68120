"""Who moderates a room: a power level of 50 or more, or (room version 12 on) its creators."""

from __future__ import annotations

from typing import Any

from nio import AsyncClient, RoomGetStateEventResponse, RoomGetStateResponse

MODERATOR_LEVEL = 50
# From room version 12 on, the creators outrank every power level.
CREATORS_OUTRANK_FROM_VERSION = 12


def user_level(levels: dict[str, Any], user_id: str) -> float:
    users = levels.get("users")
    users = users if isinstance(users, dict) else {}
    try:
        return float(users.get(user_id, levels.get("users_default", 0)))
    except (TypeError, ValueError):
        return 0.0


def creators_outrank(create_content: dict[str, Any]) -> bool:
    version = str(create_content.get("room_version", "1"))
    return version.isdigit() and int(version) >= CREATORS_OUTRANK_FROM_VERSION


class Moderators:
    """Power levels per room, read when first needed and again after they change."""

    def __init__(self, client: AsyncClient) -> None:
        self.client = client
        self._rooms: dict[str, tuple[dict[str, Any], frozenset[str]]] = {}

    def changed(self, room_id: str) -> None:
        self._rooms.pop(room_id, None)

    async def includes(self, room_id: str, user_id: str) -> bool:
        known = self._rooms.get(room_id)
        if known is None:
            known = self._rooms[room_id] = await self._load(room_id)
        levels, creators = known
        return user_id in creators or user_level(levels, user_id) >= MODERATOR_LEVEL

    async def _load(self, room_id: str) -> tuple[dict[str, Any], frozenset[str]]:
        levels = await self._state_content(room_id, "m.room.power_levels") or {}
        create = await self._state_content(room_id, "m.room.create") or {}
        creators: frozenset[str] = frozenset()
        if creators_outrank(create):
            # The state API gives contents only; the creator is the create event's sender.
            response = await self.client.room_get_state(room_id)
            events = response.events if isinstance(response, RoomGetStateResponse) else []
            sender = next(
                (e.get("sender") for e in events if e.get("type") == "m.room.create"), None
            )
            extra = create.get("additional_creators") or []
            creators = frozenset(c for c in (sender, *extra) if isinstance(c, str))
        return levels, creators

    async def _state_content(self, room_id: str, event_type: str) -> dict[str, Any] | None:
        response = await self.client.room_get_state_event(room_id, event_type)
        if isinstance(response, RoomGetStateEventResponse):
            return response.content
        return None
