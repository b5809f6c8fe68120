"""On PostgreSQL one chat's turns take turns across processes: a turn waits while another
process holds the chat's advisory lock, and goes on when it is released."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from bot.app import build_application
from bot.core.dispatcher import chat_lock
from tests.conftest import make_settings
from tests.support.harness import Harness


def test_chat_lock_keys_are_stable_signed_64_bit_numbers() -> None:
    assert chat_lock("telegram:-100123") == chat_lock("telegram:-100123")
    assert chat_lock("telegram:-100123") != chat_lock("telegram:-100124")
    assert -(2**63) <= chat_lock("matrix:!room:example.org") < 2**63


def test_a_turn_waits_for_the_other_process_that_holds_its_chat(
    postgres_url: str, locales_dir: Path, cache_dir: Path
) -> None:
    settings = make_settings(postgres_url, locales_dir, cache_dir)
    app = build_application(settings, upgrade_database=True)
    libpq = make_url(postgres_url).set(drivername="postgresql")
    libpq = libpq.render_as_string(hide_password=False)
    try:
        bot = Harness(app)
        with psycopg.connect(libpq, autocommit=True) as other_process:
            other_process.execute("SELECT pg_advisory_lock(%s)", (chat_lock("test:dm-ann"),))
            done: list[float] = []

            def ann_says_hello() -> None:
                asyncio.run(bot.say("/help", member="ann"))
                done.append(time.monotonic())

            turn = threading.Thread(target=ann_says_hello)
            turn.start()
            time.sleep(1.0)
            assert done == [] and turn.is_alive()  # waiting for the chat
            asyncio.run(bot.say("/help", member="bob"))  # another chat is not held up
            released = time.monotonic()
            other_process.execute("SELECT pg_advisory_unlock(%s)", (chat_lock("test:dm-ann"),))
            turn.join(timeout=10)
        assert done and done[0] >= released
        assert "What I can do" in bot.outbox.sent[-1].body.text  # type: ignore[union-attr]
    finally:
        app.close()
        with psycopg.connect(libpq, autocommit=True) as admin:
            admin.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
