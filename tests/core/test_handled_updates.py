"""An update is handled and recorded in one transaction, or neither: delivered again (after a
restart, or to another process) it is skipped; a turn that failed is handled again."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from bot.app import Application
from bot.core.access import EVERYWHERE
from bot.core.conversation import Conversation
from bot.core.dispatcher import Dispatcher
from bot.core.events import ChatRef, CommandMessage, Sender
from bot.core.outgoing import Text
from bot.core.router import Router
from bot.handlers import all_routers
from bot.storage.database import Database
from bot.storage.handled import HandledUpdates
from bot.storage.models import HandledUpdate, utcnow
from tests.conftest import make_settings
from tests.support.harness import PLATFORM, Harness, RecordingOutbox
from tests.support.postgres import two_processes as processes_on_one_database

COUNTED = "counted"


def counting(
    app: Application,
    failures: int = 0,
    inside: threading.Event | None = None,
    release: threading.Event | None = None,
) -> None:
    """The app's dispatcher with /count: each turn that runs it adds a mark to the member's
    name. The first `failures` turns fail after the mark; `inside`/`release` hold a turn in
    the middle of its transaction."""
    router = Router("counting")
    left = [failures]

    @router.command("count", description="", access=EVERYWHERE)
    async def count(conv: Conversation, _command: CommandMessage) -> None:
        conv.member.display_name = (conv.member.display_name or "") + "I"
        conv.reply(COUNTED)
        if inside is not None and release is not None:
            inside.set()
            release.wait()
        if left[0]:
            left[0] -= 1
            raise RuntimeError("the disk is full")

    app.dispatcher = Dispatcher(app.services, [*all_routers(), router])


def update(receipt: str) -> CommandMessage:
    return CommandMessage(
        chat=ChatRef(PLATFORM, "dm-alice"),
        chat_kind="direct",
        sender=Sender(PLATFORM, "alice", language_hint="en"),
        receipt=receipt,
        name="count",
    )


def marks(app: Application) -> str | None:
    member = Harness(app).member("alice")
    return member.display_name if member else None


def recorded(app: Application, receipt: str) -> bool:
    with app.services.database.session() as session:
        return HandledUpdates(session).handled(PLATFORM, receipt)


async def test_a_failing_turn_records_nothing_and_is_handled_again(
    app_on_any_database: Application,
) -> None:
    app = app_on_any_database
    counting(app, failures=1)
    bot = Harness(app)

    failed = await bot.send(update("41"))
    assert COUNTED not in failed.text and "Sorry, something went wrong" in failed.text
    assert not recorded(app, "41") and marks(app) in (None, "")

    # Delivered again: handled this time, and recorded with what it did.
    again = await bot.send(update("41"))
    assert again.texts == [COUNTED]
    assert recorded(app, "41") and marks(app) == "I"

    # Delivered once more: nothing happens, nothing is said.
    assert (await bot.send(update("41"))).messages == []
    assert marks(app) == "I"
    # Another update of the same chat is its own.
    assert (await bot.send(update("42"))).texts == [COUNTED]
    assert marks(app) == "II"


def test_handled_updates_are_kept_a_week(app_on_any_database: Application) -> None:
    from datetime import timedelta

    database = app_on_any_database.services.database
    with database.session() as session:
        handled = HandledUpdates(session)
        assert handled.claim("telegram", "1") and handled.claim("telegram", "2")
        assert not handled.claim("telegram", "1")
    with database.session() as session:
        session.get(HandledUpdate, ("telegram", "1")).handled_at = utcnow() - timedelta(days=8)
    with database.session() as session:
        HandledUpdates(session).prune()
    with database.session() as session:
        left = session.exec(select(HandledUpdate.update_id)).all()
    assert left == ["2"]


@pytest.fixture
def two_processes(
    postgres_url: str, locales_dir: Path, cache_dir: Path
) -> Iterator[tuple[Application, Application]]:
    with processes_on_one_database(make_settings(postgres_url, locales_dir, cache_dir)) as apps:
        yield apps


def waiting_for_a_lock(database: Database) -> int:
    with database.engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            ).scalar_one()
        )


def test_two_processes_given_the_same_update_answer_it_once(
    two_processes: tuple[Application, Application],
) -> None:
    first, second = two_processes
    inside, release = threading.Event(), threading.Event()
    counting(first, inside=inside, release=release)
    counting(second)
    outboxes = [RecordingOutbox(), RecordingOutbox()]
    errors: list[BaseException] = []

    def process(app: Application, outbox: RecordingOutbox) -> None:
        try:
            asyncio.run(app.dispatcher.handle(update("77"), outbox))
        except BaseException as error:  # pragma: no cover - shown by the assertion below
            errors.append(error)

    one = threading.Thread(target=process, args=(first, outboxes[0]))
    one.start()
    assert inside.wait(timeout=30), "the first process never reached the handler"
    # The same update, retried to the second process while the first is in its transaction.
    other = threading.Thread(target=process, args=(second, outboxes[1]))
    other.start()
    database = first.services.database
    while other.is_alive() and not waiting_for_a_lock(database):
        threading.Event().wait(0.01)
    assert other.is_alive(), "the second process did not wait for the first one"
    release.set()
    one.join(timeout=30)
    other.join(timeout=30)
    assert errors == []
    said = [m.body.text for outbox in outboxes for m in outbox.sent if isinstance(m.body, Text)]
    assert said == [COUNTED]
    assert marks(second) == "I"
    with database.session() as session:
        assert session.exec(select(func.count()).select_from(HandledUpdate)).one() == 1
