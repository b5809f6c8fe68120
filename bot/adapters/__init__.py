"""Adapters: translate platform events to neutral ones and neutral messages to the platform.

Each platform package exposes `create_adapter(app) -> Adapter`; `chapterbot run` starts every
configured one in one event loop.
"""

from __future__ import annotations

from typing import Protocol


class Adapter(Protocol):
    name: str

    async def start(self) -> None:
        """Connect and begin handling updates; return once running."""

    async def stop(self) -> None:
        """Stop taking updates, finish what is in hand, disconnect."""
