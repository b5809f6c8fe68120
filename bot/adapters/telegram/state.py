"""What the Telegram adapter remembers across restarts, in the adapter state table."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from bot.storage.adapter_state import AdapterStateRepository
from bot.storage.database import STARTUP_LOCK, Database
from bot.storage.members import MemberRepository

PLATFORM = "telegram"
WEBHOOK_SECRET = "webhook_secret"


class TelegramState:
    def __init__(self, database: Database) -> None:
        self.database = database

    def _get(self, key: str, default: Any = None) -> Any:
        with self.database.session() as session:
            return AdapterStateRepository(session).get(PLATFORM, key, default)

    def _set(self, key: str, value: Any) -> None:
        with self.database.session() as session:
            AdapterStateRepository(session).set(PLATFORM, key, value)

    # -- polls: poll_answer carries only Telegram's poll id ----------------------------

    def remember_poll(
        self,
        telegram_poll_id: str,
        poll_id: str,
        option_keys: list[str],
        chat_id: str,
        kind: str,
        message_id: int | None = None,
    ) -> None:
        self._set(
            f"poll:{telegram_poll_id}",
            {
                "poll": poll_id,
                "options": option_keys,
                "chat": chat_id,
                "kind": kind,
                "message": message_id,
            },
        )

    def poll(self, telegram_poll_id: str) -> dict[str, Any] | None:
        return self._get(f"poll:{telegram_poll_id}")

    # -- polls: what was posted in each chat, to stop it (and to vote with buttons) ----

    def remember_posted_poll(self, ref: str, chat_id: str, posted: dict[str, Any]) -> None:
        """`ref` is the poll's name in callback data (polls.poll_ref); `posted` holds at least
        "poll" (the core's id), "message" (its message id) and "native" (a Telegram poll, or
        a message with buttons)."""
        self._set(f"posted-poll:{ref}:{chat_id}", posted)

    def posted_poll(self, ref: str, chat_id: str) -> dict[str, Any] | None:
        return self._get(f"posted-poll:{ref}:{chat_id}")

    # -- prompt ids too long for callback data -----------------------------------------

    def short_prompt(self, prompt_id: str) -> str:
        digest = hashlib.blake2b(prompt_id.encode(), digest_size=8).hexdigest()
        self._set(f"prompt:{digest}", prompt_id)
        return f"~{digest}"

    def prompt(self, reference: str) -> str | None:
        if not reference.startswith("~"):
            return reference
        return self._get(f"prompt:{reference[1:]}")

    # -- webhook -----------------------------------------------------------------------

    def webhook_secret(self) -> str:
        """The secret Telegram sends with each webhook call: made once, then kept."""
        with self.database.session() as session:
            # Processes starting together on a fresh database make one secret, not one each.
            self.database.lock_for_transaction(session, STARTUP_LOCK)
            repository = AdapterStateRepository(session)
            secret = repository.get(PLATFORM, WEBHOOK_SECRET)
            if not secret:
                secret = secrets.token_urlsafe(32)
                repository.set(PLATFORM, WEBHOOK_SECRET, secret)
            return str(secret)

    # -- members -----------------------------------------------------------------------

    def mark_unreachable(self, user_id: str) -> None:
        with self.database.session() as session:
            MemberRepository(session).mark_unreachable(PLATFORM, user_id)
