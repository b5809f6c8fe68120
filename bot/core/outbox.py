"""Where the core puts what it says. Each adapter provides one; tests record into one."""

from __future__ import annotations

from typing import Protocol

from bot.core.outgoing import Outgoing


class Outbox(Protocol):
    async def send(self, message: Outgoing) -> None:
        """Deliver (or queue) one message; return once the platform has accepted it."""
