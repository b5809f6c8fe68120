"""Where the adapter reaches Telegram, and how Telegram reaches it (polling or a webhook)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.config import ConfigError, Settings

DEFAULT_API_URL = "https://api.telegram.org"
DEFAULT_LISTEN = "0.0.0.0:8080"


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    token: str
    api_url: str  # the root: /bot<token>/<method> and /file/bot<token>/ are appended
    webhook_url: str | None = None
    listen_host: str = "0.0.0.0"
    listen_port: int = 8080
    webhook_secret: str | None = None  # None: generated once and kept in the database
    # The bot's overall pace: Telegram's 30 by default; more for a bot allowed paid
    # broadcasts. One limiter applies it: the leader's, which sends every broadcast.
    messages_per_second: float = 30.0

    @property
    def webhook_path(self) -> str:
        return urlsplit(self.webhook_url or "").path or "/"

    def __repr__(self) -> str:
        # The token and the secret never reach a log, even through a debug print.
        return (
            f"TelegramConfig(api_url={self.api_url!r}, webhook_url={self.webhook_url!r}, "
            f"listen={self.listen_host}:{self.listen_port})"
        )

    @classmethod
    def load(cls, settings: Settings, env: Mapping[str, str] | None = None) -> TelegramConfig:
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(f"CHAPTERBOT_TELEGRAM_{name}", "").strip()
            return value or None

        if not settings.telegram_token:
            raise ConfigError("CHAPTERBOT_TELEGRAM_TOKEN is not set")
        host, port = parse_listen(get("LISTEN") or DEFAULT_LISTEN)
        return cls(
            token=settings.telegram_token,
            api_url=(settings.telegram_api_url or DEFAULT_API_URL).rstrip("/"),
            webhook_url=get("WEBHOOK_URL"),
            listen_host=host,
            listen_port=port,
            webhook_secret=get("WEBHOOK_SECRET"),
            messages_per_second=parse_pace(get("MESSAGES_PER_SECOND") or "30"),
        )


def parse_listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"CHAPTERBOT_TELEGRAM_LISTEN must look like 0.0.0.0:8080, not {value!r}")
    return host.strip("[]"), int(port)


def parse_pace(value: str) -> float:
    try:
        pace = float(value)
    except ValueError:
        pace = 0.0
    if not 0 < pace <= 1000:
        raise ConfigError(
            "CHAPTERBOT_TELEGRAM_MESSAGES_PER_SECOND must be a number above 0 and at most "
            f"1000, not {value!r}"
        )
    return pace
