"""The HTTP side of the fake: routes, parameters, injected errors, updates and their delivery.

Bots reach it at `<url>/bot<token>/<method>` exactly as they reach api.telegram.org. Updates
wait in a queue until the bot confirms them (a getUpdates `offset` past them, or a webhook
answered with 200), as on Telegram; a bot that restarts before confirming gets them again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.support.fake_telegram import shapes
from tests.support.fake_telegram.flood import FloodControl
from tests.support.fake_telegram.params import CANONICAL, ParamError, decode

log = logging.getLogger(__name__)
Json = dict[str, Any]

# What Telegram sends by default when a bot never said which updates it wants.
DEFAULT_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "callback_query",
        "poll",
        "poll_answer",
        "my_chat_member",
    }
)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class ApiError(Exception):
    """An error answer of the Bot API: {"ok": false, "error_code", "description"}."""

    def __init__(
        self,
        code: int,
        description: str,
        retry_after: int | None = None,
        injected: bool = False,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after
        self.injected = injected  # put there by the test, not caused by the bot
        self.migrate_to_chat_id = migrate_to_chat_id  # the group became this supergroup

    def json(self) -> Json:
        data: Json = {"ok": False, "error_code": self.code, "description": self.description}
        parameters: Json = {}
        if self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        if parameters:
            data["parameters"] = parameters
        return data


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    error: ApiError | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Injection:
    method: str
    error: ApiError
    times: int
    when: Callable[[dict[str, Any]], bool] | None


@dataclass
class Chaos:
    """Faults at random, as a busy Bot API and a poor network give them: a 429, a 5xx, or
    the connection lost before the request is handled or after (the bot cannot tell
    whether it was). `counts` says what was injected, for the test's sums."""

    methods: frozenset[str]
    rate: float
    random: random.Random
    counts: Counter[str] = field(default_factory=Counter)

    KINDS = ("429", "500", "502", "lost before", "lost after")

    def pick(self, method: str) -> str | None:
        if method not in self.methods or self.random.random() >= self.rate:
            return None
        kind = self.random.choice(self.KINDS)
        self.counts[kind] += 1
        return kind


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


class Server:
    """HTTP plumbing and the update queue; FakeTelegram adds the methods and the people."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.results: list[tuple[str, Any]] = []  # every successful answer, for the contract
        self.problems: list[str] = []
        self.allowed_errors: list[str] = []
        self.conflicts = 0
        self._injections: list[Injection] = []
        self.chaos: Chaos | None = None
        # Set: Telegram's flood limits are enforced (429 past them), see flood.py.
        self.flood: FloodControl | None = None
        self._handlers: dict[str, Callable[[dict[str, Any]], Any]] = {}
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._closing = False
        # Updates: (update_id, kind, payload), waiting for confirmation.
        self._update_ids = itertools.count(1)
        self._pending: list[tuple[int, str, Json]] = []
        self.confirmed_up_to = 0
        # True: confirmations never arrive, as when a bot is killed between handling an
        # update and confirming it; the updates are delivered again after its restart.
        self.lose_confirmations = False
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATES
        self._changed = asyncio.Event()
        self._poller = 0
        # Webhook state.
        self.webhook_url = ""
        self.webhook_secret: str | None = None
        self.webhook_retry_delay = 0.05
        self.webhook_last_error: tuple[int, str] | None = None
        self._webhook_task: asyncio.Task[None] | None = None

    # -- life cycle --------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._serve)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._serve_unknown_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner,
            "127.0.0.1",
            0,
        )
        await site.start()
        server = site._server  # the only way aiohttp tells which port it picked
        assert server is not None and server.sockets
        self._port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
        if self._runner is not None:
            await self._runner.cleanup()

    # -- strictness --------------------------------------------------------------------

    def allow_error(self, fragment: str) -> None:
        """An error answer the test expects the bot to meet (and handle) is not a problem."""
        self.allowed_errors.append(fragment)

    def fail(
        self,
        method: str,
        code: int,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        times: int = 1,
        when: Callable[[dict[str, Any]], bool] | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` (matching `when`) with an error."""
        default = {
            400: "Bad Request: injected error",
            403: "Forbidden: bot was blocked by the user",
            429: f"Too Many Requests: retry after {retry_after}",
        }
        text = description or default.get(code, f"Error {code}")
        if code == 429 and retry_after is None:
            raise ValueError("a 429 always says when to retry")
        error = ApiError(code, text, retry_after, injected=True)
        self._injections.append(Injection(method, error, times, when))

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def _injected(self, method: str, params: dict[str, Any]) -> ApiError | None:
        for injection in self._injections:
            if injection.method == method and (injection.when is None or injection.when(params)):
                injection.times -= 1
                if injection.times <= 0:
                    self._injections.remove(injection)
                return injection.error
        return None

    # -- requests ----------------------------------------------------------------------

    def register(self, method: str, handler: Callable[[dict[str, Any]], Any]) -> None:
        self._handlers[method] = handler

    async def _raw_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            content_type = request.content_type
            if content_type == "application/json":
                params.update(await request.json())
            elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                params.update({k: v for k, v in form.items() if isinstance(v, str)})
                # Uploaded files (sendPhoto): their bytes, checked by the method.
                params.update(
                    {k: v.file.read() for k, v in form.items() if isinstance(v, web.FileField)}
                )
        return params

    async def _serve(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").json(), status=401)
        requested = request.match_info["method"]
        method = CANONICAL.get(requested.lower(), requested)
        raw = await self._raw_params(request)
        handler = self._handlers.get(method)
        if handler is None:
            self.problems.append(f"the bot called {requested}, which the fake does not implement")
            self.calls.append(Call(requested, raw))
            return web.json_response(ApiError(404, "Not Found").json(), status=404)
        call = Call(method, raw)
        self.calls.append(call)
        try:
            params, unknown = decode(method, raw)
            call.params = params
            for name in unknown:
                self.problems.append(f"{method}: unknown parameter {name!r}")
            injected = self._injected(method, params)
            if injected is not None:
                raise injected
            if self.flood is not None and (wait := self.flood.check(method, params)):
                # Not a strictness problem (a bot may meet one): the test counts them.
                raise ApiError(429, f"Too Many Requests: retry after {wait}", wait, injected=True)
            fault = self.chaos.pick(method) if self.chaos else None
            if fault is not None and fault[0].isdigit():
                code = int(fault)
                raise ApiError(code, f"injected {code}", 0 if code == 429 else None, injected=True)
            if fault == "lost before":
                return self._lose(request)
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
            if fault == "lost after":
                return self._lose(request)
        except ParamError as exc:
            call.error = bad_request(str(exc).removeprefix("Bad Request: "))
        except ApiError as exc:
            call.error = exc
        if call.error is not None:
            self._check_expected(method, call.error)
            return web.json_response(call.error.json(), status=call.error.code)
        self.results.append((method, result))
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _lose(request: web.Request) -> web.Response:
        """The connection breaks: the bot gets no answer at all."""
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=500)

    def _check_expected(self, method: str, error: ApiError) -> None:
        """An error the bot caused is a problem, unless the test said it expects it. A 403 is
        what people did (blocked the bot, removed it), which no bot can foresee."""
        if error.injected or error.code in (403, 409):
            return
        if any(fragment in error.description for fragment in self.allowed_errors):
            return
        self.problems.append(f"{method} failed: {error.code} {error.description}")

    async def _serve_unknown_file(self, request: web.Request) -> web.Response:
        self.problems.append(f"the bot downloaded {request.path}, which the fake does not serve")
        return web.json_response(ApiError(404, "Not Found").json(), status=404)

    # -- updates -----------------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def push_update(self, kind: str, payload: Json) -> int:
        update_id = next(self._update_ids)
        self._pending.append((update_id, kind, payload))
        self._notify()
        return update_id

    def _deliverable(self) -> list[tuple[int, str, Json]]:
        return [u for u in self._pending if u[1] in self.allowed_updates]

    def _confirm_below(self, offset: int) -> None:
        if self.lose_confirmations:
            return
        self._pending = [u for u in self._pending if u[0] >= offset]
        self.confirmed_up_to = max(self.confirmed_up_to, offset - 1)

    def _drop_unwanted(self) -> None:
        # Telegram never keeps updates of kinds the bot did not ask for.
        self._pending = self._deliverable()

    @property
    def pending_updates(self) -> list[int]:
        return [u[0] for u in self._pending]

    def _set_allowed(self, allowed: list[str] | None) -> None:
        if allowed is not None:
            self.allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATES

    async def get_updates(self, params: dict[str, Any]) -> list[Json]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset") or 0
        if offset > 0:
            self._confirm_below(offset)
        self._set_allowed(params.get("allowed_updates"))
        self._drop_unwanted()
        limit = min(max(params.get("limit", 100), 1), 100)
        timeout = max(params.get("timeout", 0), 0)
        self._poller += 1
        me = self._poller
        if me > 1:
            self._notify()  # an older long poll still waiting is terminated
        deadline = time.monotonic() + timeout
        while True:
            if self._poller != me:
                self.conflicts += 1
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only "
                    "one bot instance is running",
                )
            ready = [u for u in self._deliverable() if u[0] >= offset]
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0 or self._closing:
                return [shapes.update(uid, kind, payload) for uid, kind, payload in ready[:limit]]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    # -- webhooks ----------------------------------------------------------------------

    def set_webhook(self, url: str, secret: str | None, allowed: list[str] | None) -> None:
        self.webhook_url, self.webhook_secret = url, secret
        self._set_allowed(allowed)
        if url and self._webhook_task is None:
            self._webhook_task = asyncio.create_task(self._deliver_webhooks())
        self._notify()

    async def _deliver_webhooks(self) -> None:
        async with aiohttp.ClientSession() as session:
            while self.webhook_url and not self._closing:
                ready = self._deliverable()
                if not ready:
                    await self._changed.wait()
                    continue
                update_id, kind, payload = ready[0]
                status, text = await self._post(session, shapes.update(update_id, kind, payload))
                if status is not None and 200 <= status < 300:
                    self._pending.remove(ready[0])
                    self.confirmed_up_to = max(self.confirmed_up_to, update_id)
                    continue
                self.webhook_last_error = (int(time.time()), f"Wrong response: {status} {text}")
                await asyncio.sleep(self.webhook_retry_delay)
            self._webhook_task = None

    async def _post(self, session: aiohttp.ClientSession, body: Json) -> tuple[int | None, str]:
        headers = {SECRET_HEADER: self.webhook_secret} if self.webhook_secret else {}
        try:
            async with session.post(
                self.webhook_url,
                data=json.dumps(body),
                headers={"Content-Type": "application/json", **headers},
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:
                return response.status, (await response.text())[:200]
        except (aiohttp.ClientError, TimeoutError) as exc:
            return None, repr(exc)
