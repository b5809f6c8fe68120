from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.feeds.fetch import Fetcher


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    """A fetcher for the local server: private addresses allowed, as a self-hosted site."""
    async with Fetcher(allow_private=True) as client:
        yield client
