"""The Matrix adapter's settings: the shared Settings plus what only this adapter reads."""

from __future__ import annotations

import os
from dataclasses import dataclass

from bot.config import ConfigError, Settings

ALLOWED_SERVERS_ENV = "CHAPTERBOT_MATRIX_ALLOWED_SERVERS"


@dataclass(frozen=True, slots=True)
class MatrixConfig:
    homeserver: str
    user_id: str
    password: str | None
    access_token: str | None
    # Invitations are accepted only from these servers; empty means from anywhere.
    allowed_servers: frozenset[str]

    def __repr__(self) -> str:
        # Secrets never reach logs, even through a debug print.
        return (
            f"MatrixConfig(homeserver={self.homeserver!r}, user_id={self.user_id!r}, "
            f"password={'***' if self.password else None}, "
            f"access_token={'***' if self.access_token else None}, "
            f"allowed_servers={sorted(self.allowed_servers)!r})"
        )

    def allows_server_of(self, user_id: str) -> bool:
        return not self.allowed_servers or server_name(user_id) in self.allowed_servers

    @classmethod
    def from_settings(cls, settings: Settings, env: dict[str, str] | None = None) -> MatrixConfig:
        env = dict(os.environ if env is None else env)
        if not settings.matrix_configured:
            raise ConfigError(
                "Matrix needs CHAPTERBOT_MATRIX_HOMESERVER, CHAPTERBOT_MATRIX_USER and "
                "CHAPTERBOT_MATRIX_PASSWORD or CHAPTERBOT_MATRIX_ACCESS_TOKEN"
            )
        assert settings.matrix_homeserver and settings.matrix_user
        user_id = settings.matrix_user.strip()
        if not (user_id.startswith("@") and ":" in user_id):
            raise ConfigError(
                f"CHAPTERBOT_MATRIX_USER must be a full Matrix ID like @bot:example.org, "
                f"not {user_id!r}"
            )
        servers = env.get(ALLOWED_SERVERS_ENV, "")
        return cls(
            homeserver=settings.matrix_homeserver.rstrip("/"),
            user_id=user_id,
            password=settings.matrix_password,
            access_token=settings.matrix_access_token,
            allowed_servers=frozenset(s.strip().lower() for s in servers.split(",") if s.strip()),
        )


def server_name(user_id: str) -> str:
    """'@ann:example.org' → 'example.org' (a port, if any, is part of the name)."""
    return user_id.partition(":")[2].lower()
