"""Bot API calls posted as JSON bodies rather than url-encoded forms.

python-telegram-bot posts a form, which httpx encodes with urllib's quote_plus one byte at a
time: about 0.4 ms for a reply of 2,000 characters, on the way of every answer. The Bot API
takes a JSON body alike, each field as the form would carry it (a string as it is, anything
else JSON-encoded), so the same fields go out as one JSON object. Uploads stay multipart.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from telegram.request import HTTPXRequest

# As python-telegram-bot's own defaults: many calls at once, and one long poll.
CONNECTIONS = 256
POLL_CONNECTIONS = 1


class _JsonBodies(httpx.AsyncClient):
    async def request(  # type: ignore[override]
        self,
        method: str,
        url: httpx.URL | str,
        *,
        data: dict[str, Any] | None = None,
        files: Any = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        if data and not files:
            return await super().request(
                method,
                url,
                content=json.dumps(data).encode(),
                headers={**(headers or {}), "Content-Type": "application/json"},
                **kwargs,
            )
        return await super().request(method, url, data=data, files=files, headers=headers, **kwargs)


class JsonRequest(HTTPXRequest):
    def _build_client(self) -> httpx.AsyncClient:
        return _JsonBodies(**self._client_kwargs)


def requests() -> tuple[JsonRequest, JsonRequest]:
    """(for the bot's calls, for its long polls)"""
    return JsonRequest(connection_pool_size=CONNECTIONS), JsonRequest(
        connection_pool_size=POLL_CONNECTIONS
    )
