"""The webhook endpoint: Telegram posts each update here with the secret token header."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024


class WebhookServer:
    def __init__(
        self,
        host: str,
        port: int,
        path: str,
        secret: str,
        receive: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        self.host, self.port, self.path = host, port, path
        self._secret = secret.encode()
        self._receive = receive
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post(self.path, self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        log.info("Telegram webhook listening on %s:%s%s", self.host, self.port, self.path)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        offered = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(offered, self._secret):
            log.warning("webhook call without the right secret from %s", request.remote)
            return web.Response(status=403)
        try:
            data = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=400)
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400)
        try:
            await self._receive(data)
        except Exception:
            # Telegram would send the same update again and again: log it and move on.
            log.exception("webhook update %s could not be read", data["update_id"])
        return web.Response(status=200)
