"""Why a feed could not be read, as a reason a handler can put into the member's words."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    NOT_A_URL = "not_a_url"
    SCHEME = "scheme"  # not http or https
    PRIVATE_ADDRESS = "private_address"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    HTTP_STATUS = "http_status"  # 404, 500…: FeedError.status says which
    TOO_LARGE = "too_large"
    TOO_SLOW = "too_slow"
    NETWORK = "network"  # DNS, refused connection, TLS…
    NOT_A_FEED = "not_a_feed"
    NO_FEED_FOUND = "no_feed_found"  # a web page that names no feed


class FeedError(Exception):
    def __init__(self, reason: Reason, detail: str = "", status: int | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason
        self.detail = detail
        self.status = status
