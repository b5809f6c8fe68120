"""Adapters: translate platform events to neutral ones and neutral messages to the platform.

Each platform package exposes `create_adapter(app) -> Adapter`; `chapterbot run` starts every
configured one in one event loop.
"""

from __future__ import annotations

from typing import Protocol


class Adapter(Protocol):
    name: str

    async def start(self, lead: bool = True) -> None:
        """Connect and begin handling what every process handles (webhook updates); with
        `lead`, also what only the leader does (see lead()). Return once running."""

    async def lead(self) -> None:
        """Start the leader-only work: polling or syncing, the outbox drainer."""

    async def follow(self) -> None:
        """Stop the leader-only work; what every process does goes on."""

    async def stop(self) -> None:
        """Stop taking updates, finish what is in hand, disconnect."""
