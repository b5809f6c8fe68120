"""Fetching a feed: conditional GET with every cap a stranger's web server calls for.

The address check runs on the socket actually connected (a network backend that refuses
the connection before a byte is sent), so a name that resolves to a public address when
checked and to 127.0.0.1 when connected (DNS rebinding) is still refused, and it runs again
on every redirect because each hop connects anew.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import certifi
import httpcore
import httpx

from bot.feeds.addresses import AddressPolicy, parse_address, policy
from bot.feeds.errors import FeedError, Reason

USER_AGENT = "chapterbot/0.1 (feed digests for chapter chats)"
TOTAL_SECONDS = 20.0
MAX_BYTES = 5 * 1024 * 1024
MAX_REDIRECTS = 5
PER_HOST = 2
REDIRECTS = {301, 302, 303, 307, 308}
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, text/html;q=0.5, */*;q=0.1"
)


@dataclass(frozen=True, slots=True)
class Validators:
    """What the last fetch left to make the next one conditional (and cheap)."""

    etag: str | None = None
    last_modified: str | None = None
    digest: str | None = None  # of the last body: an unchanged 200 costs no parse either


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str  # after redirects
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    validators: Validators = field(default_factory=Validators)
    not_modified: bool = False  # a 304, an empty 200 or the same bytes as last time


class BlockedAddress(Exception):
    """Raised inside the connection attempt; mapped to FeedError(PRIVATE_ADDRESS)."""


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's own backend, with the peer address checked right after connecting."""

    def __init__(self, allowed: AddressPolicy) -> None:
        self._inner = httpcore.AnyIOBackend()
        self._allowed = allowed

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(
            host, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )
        peer = stream.get_extra_info("server_addr")
        address = parse_address(str(peer[0])) if peer else None
        if address is None or not self._allowed(address):
            await stream.aclose()
            raise BlockedAddress(f"{host} connected to {address}")
        return stream

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        raise BlockedAddress("unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(allowed: AddressPolicy) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport(trust_env=False)
    # httpx does not take a network backend; its pool does. Same settings, guarded backend.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl.create_default_context(cafile=certifi.where()),
        max_connections=100,
        max_keepalive_connections=20,
        keepalive_expiry=5.0,
        network_backend=GuardedBackend(allowed),
    )
    return transport


class Fetcher:
    """One client for every feed; at most PER_HOST fetches talk to one host at a time."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        allowed: AddressPolicy | None = None,
        total_seconds: float = TOTAL_SECONDS,
        max_bytes: int = MAX_BYTES,
        per_host: int = PER_HOST,
    ) -> None:
        self._allowed = allowed or policy(allow_private)
        self.total_seconds = total_seconds
        self.max_bytes = max_bytes
        self._per_host = per_host
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._client = httpx.AsyncClient(
            transport=guarded_transport(self._allowed),
            trust_env=False,
            follow_redirects=False,  # followed by hand, each hop checked
            timeout=httpx.Timeout(10.0, connect=5.0),
            headers={"User-Agent": USER_AGENT, "Accept": ACCEPT},
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def fetch(self, url: str, validators: Validators | None = None) -> FetchResult:
        validators = validators or Validators()
        deadline = asyncio.get_running_loop().time() + self.total_seconds
        for _hop in range(MAX_REDIRECTS + 1):
            host = self._check_url(url)
            async with self._slot(host):
                result = await self._one_request(url, validators, deadline)
            if isinstance(result, FetchResult):
                return result
            url = result
        raise FeedError(Reason.TOO_MANY_REDIRECTS, url)

    def _check_url(self, url: str) -> str:
        try:
            parts = urlsplit(url)
            host = parts.hostname
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError as exc:
            raise FeedError(Reason.NOT_A_URL, url) from exc
        if parts.scheme not in ("http", "https"):
            raise FeedError(Reason.SCHEME, parts.scheme or url)
        if not host:
            raise FeedError(Reason.NOT_A_URL, url)
        literal = parse_address(host)
        if literal is not None and not self._allowed(literal):
            raise FeedError(Reason.PRIVATE_ADDRESS, host)
        return host.lower()

    def _slot(self, host: str) -> asyncio.Semaphore:
        slot = self._slots.get(host)
        if slot is None:
            slot = self._slots[host] = asyncio.Semaphore(self._per_host)
        return slot

    async def _one_request(
        self, url: str, validators: Validators, deadline: float
    ) -> FetchResult | str:
        """The result, or the next URL to follow."""
        headers = {}
        if validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        try:
            # httpx's timeouts are per phase and per chunk: a body that trickles one byte
            # every few seconds would never trip them. This caps the whole fetch.
            async with asyncio.timeout_at(deadline):
                async with self._client.stream("GET", url, headers=headers) as response:
                    if response.status_code in REDIRECTS and "location" in response.headers:
                        return str(response.url.join(response.headers["location"]))
                    if response.status_code == 304:
                        return self._result(response, b"", validators, not_modified=True)
                    if response.status_code != 200:
                        raise FeedError(Reason.HTTP_STATUS, url, status=response.status_code)
                    body = await self._read_capped(response)
        except TimeoutError as exc:
            raise FeedError(Reason.TOO_SLOW, url) from exc
        except httpx.TimeoutException as exc:
            raise FeedError(Reason.TOO_SLOW, url) from exc
        except BlockedAddress as exc:
            raise FeedError(Reason.PRIVATE_ADDRESS, str(exc)) from exc
        except httpx.InvalidURL as exc:
            raise FeedError(Reason.NOT_A_URL, url) from exc
        except httpx.HTTPError as exc:
            raise FeedError(Reason.NETWORK, f"{url}: {exc!r}") from exc
        digest = hashlib.sha256(body).hexdigest()
        unchanged = not body.strip() or digest == validators.digest
        return self._result(response, body, validators, not_modified=unchanged, digest=digest)

    async def _read_capped(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise FeedError(Reason.TOO_LARGE, declared)
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise FeedError(Reason.TOO_LARGE, f">{self.max_bytes}")
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _result(
        response: httpx.Response,
        body: bytes,
        previous: Validators,
        *,
        not_modified: bool,
        digest: str | None = None,
    ) -> FetchResult:
        headers = {key.lower(): value for key, value in response.headers.items()}
        validators = Validators(
            etag=headers.get("etag") or previous.etag,
            last_modified=headers.get("last-modified") or previous.last_modified,
            digest=digest or previous.digest,
        )
        return FetchResult(
            url=str(response.url),
            status=response.status_code,
            body=body,
            headers=headers,
            validators=validators,
            not_modified=not_modified,
        )
