"""PostgreSQL restarted mid-run: the bot reconnects, and a turn whose commit failed is
apologised for, not half done. On a server of the test's own (the shared one stays up)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.app import Application, build_application
from bot.storage.models import ConversationState, Member
from tests.conftest import make_settings
from tests.support.harness import Harness, Reply
from tests.support.pg_server import PrivateServer, private_postgres


@pytest.fixture
def server() -> Iterator[PrivateServer]:
    with private_postgres() as running:
        yield running


@pytest.fixture
def app(server: PrivateServer, locales_dir: Path, cache_dir: Path) -> Iterator[Application]:
    application = build_application(
        make_settings(server.url, locales_dir, cache_dir), upgrade_database=True
    )
    yield application
    application.close()


def apology(reply: Reply) -> bool:
    """The dispatcher's apology, alone: it names the error by its id (8 hex digits)."""
    return len(reply.messages) == 1 and re.search(r"\b[0-9a-f]{8}\b", reply.text) is not None


def stored(app: Application) -> tuple[str | None, str | None]:
    """The member's name and the step of their conversation, as the database has them."""
    with app.services.database.session() as session:
        member = session.exec(select(Member)).one()
        state = session.exec(select(ConversationState)).one()
        return member.display_name, state.step


async def test_a_restarted_server_is_reconnected_and_a_failed_commit_is_apologised_for(
    server: PrivateServer, app: Application
) -> None:
    bot = Harness(app)
    await bot.say("/start", lang="fr")
    reply = await bot.say("2", lang="fr")  # French: now asked for a name
    assert stored(app) == (None, "name")

    # The server goes away while the bot talks: the member is told, in their language.
    server.stop()
    reply = await bot.say("Amélie", lang="fr")
    assert apology(reply) and reply.messages[0].language == "fr"
    server.start()

    # It dies again just as a turn commits: the turn said nothing of what it did.
    armed = True

    def die_at_commit(_connection) -> None:  # type: ignore[no-untyped-def]
        nonlocal armed
        if armed:
            armed = False
            server.stop("immediate")

    event.listen(app.services.database.engine, "commit", die_at_commit)
    try:
        reply = await bot.say("Amélie", lang="fr")
    finally:
        event.remove(app.services.database.engine, "commit", die_at_commit)
    assert apology(reply) and reply.messages[0].language == "fr"
    assert "Amélie" not in reply.text  # no "nice to meet you": it was not stored
    server.start()
    assert stored(app) == (None, "name")  # nothing half done

    # Reconnected: the same answer now goes through and the conversation goes on.
    reply = await bot.say("Amélie", lang="fr")
    assert "Amélie" in reply.text and not apology(reply)
    assert stored(app) == ("Amélie", "place")
