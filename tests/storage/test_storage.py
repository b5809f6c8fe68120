"""Storage on SQLite and on a real PostgreSQL server: migrations, members, chapters, erasure."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import column, insert, table, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, delete, select

from bot.app import Application
from bot.geo.distance import haversine_km
from bot.storage import migrate
from bot.storage.chapters import ChapterRepository
from bot.storage.conversations import ConversationRepository
from bot.storage.database import Database
from bot.storage.members import MemberRepository
from bot.storage.models import Chapter, Identity, geo_columns
from tests.support.harness import Harness


def head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(migrate.MIGRATIONS_DIR)).get_current_head()


def test_migrations_create_exactly_the_models(any_database_url: str) -> None:
    database = Database(any_database_url)
    try:
        migrate.upgrade(database)
        assert migrate.current_revision(database) == head()
        with database.engine.connect() as connection:
            differences = compare_metadata(
                MigrationContext.configure(connection), SQLModel.metadata
            )
        assert differences == []
        migrate.upgrade(database)  # a second upgrade is a no-op
        # Every migration can be undone and redone.
        migrate.downgrade(database, "base")
        assert migrate.current_revision(database) is None
        migrate.upgrade(database)
        assert migrate.current_revision(database) == head()
    finally:
        database.dispose()


def test_the_head_is_read_from_the_files_and_a_current_database_is_left_alone(
    tmp_path: Path,
) -> None:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory(str(migrate.MIGRATIONS_DIR)).get_heads()
    assert migrate.head_revisions() == set(heads)
    database = Database(f"sqlite:///{tmp_path / 'upgraded.sqlite'}")
    try:
        migrate.upgrade_if_behind(database)  # a new database: migrated
        assert migrate.current_revision(database) == head()
        migrate.downgrade(database, "0010")
        migrate.upgrade_if_behind(database)  # behind: migrated
        assert migrate.current_revision(database) == head()
    finally:
        database.dispose()


def test_a_process_on_a_current_database_does_not_load_alembic(
    tmp_path: Path, locales_dir: Path, cache_dir: Path
) -> None:
    """Alembic is about 11 MB of an idle process's memory: not loaded when not needed."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'current.sqlite'}"
    database = Database(url)
    migrate.upgrade(database)
    database.dispose()
    script = (
        "import sys; from bot.app import build_application; from bot.config import Settings; "
        f"build_application(Settings.from_env({{'CHAPTERBOT_DATABASE_URL': {url!r}, "
        f"'CHAPTERBOT_CACHE_DIR': {str(cache_dir)!r}, "
        f"'CHAPTERBOT_LOCALES_DIR': {str(locales_dir)!r}}})); "
        "print(sorted(m for m in ('alembic', 'matplotlib') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert loaded.strip() == "[]"


def test_ballots_cast_in_private_move_to_the_poll_s_first_chat(any_database_url: str) -> None:
    from sqlalchemy import text

    database = Database(any_database_url)
    try:
        migrate.upgrade(database, "0006")
        with database.engine.begin() as connection:
            for statement in (
                "INSERT INTO member (id, created_at, updated_at) VALUES (1, :now, :now)",
                "INSERT INTO chat (platform, chat_id, kind, member_id, created_at) "
                "VALUES ('telegram', '42', 'direct', 1, :now)",
                "INSERT INTO poll (id, question, options, multiple, anonymous, hidden_results, "
                "created_at) VALUES ('p1', 'Q?', '[\"a\", \"b\"]', false, true, false, :now)",
                "INSERT INTO pollchat (poll_id, platform, chat_id, posted_at) "
                "VALUES ('p1', 'telegram', '-100', :now)",
                "INSERT INTO ballot (poll_id, choices, chat_key, cast_at) "
                "VALUES ('p1', '[0]', 'telegram:42', :now), ('p1', '[1]', 'telegram:-100', :now)",
            ):
                connection.execute(text(statement), {"now": datetime(2026, 1, 1, tzinfo=UTC)})
        migrate.upgrade(database)
        with database.engine.connect() as connection:
            keys = connection.execute(text("SELECT chat_key FROM ballot")).scalars().all()
        assert keys == ["telegram:-100", "telegram:-100"]
    finally:
        database.dispose()


def test_the_updates_telegram_handled_before_stay_handled(any_database_url: str) -> None:
    """The ids the adapter kept in its state become rows of the record of handled updates."""
    database = Database(any_database_url)
    try:
        migrate.upgrade(database, "0013")
        with database.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO adapterstate (platform, key, value, updated_at) "
                    "VALUES ('telegram', 'handled_update_ids', '[7, 8, 8]', :now)"
                ),
                {"now": datetime(2026, 1, 1, tzinfo=UTC)},
            )
        migrate.upgrade(database)
        with database.session() as session:
            from bot.storage.handled import HandledUpdates

            handled = HandledUpdates(session)
            assert handled.handled("telegram", "7") and handled.handled("telegram", "8")
            assert not handled.claim("telegram", "8") and handled.claim("telegram", "9")
        with database.engine.connect() as connection:
            left = connection.execute(text("SELECT key FROM adapterstate")).scalars().all()
        assert "handled_update_ids" not in left
    finally:
        database.dispose()


def test_open_polls_with_a_deadline_become_schedules(any_database_url: str) -> None:
    import json

    from bot.scheduling.rules import Rule, next_occurrence

    database = Database(any_database_url)
    closes = datetime(2030, 5, 1, 18, 30, tzinfo=UTC)
    try:
        migrate.upgrade(database, "0008")
        with database.engine.begin() as connection:
            for statement in (
                "INSERT INTO poll (id, question, options, multiple, anonymous, hidden_results, "
                "closes_at, created_at) VALUES ('p1', 'Q?', '[\"a\", \"b\"]', false, false, "
                "false, :closes, :now), ('p2', 'Old?', '[\"a\", \"b\"]', false, false, false, "
                ":closes, :now)",
                "UPDATE poll SET closed_at = :now WHERE id = 'p2'",
                "INSERT INTO schedule (kind, key, rule, timezone, payload, status, next_at, "
                "due_at, created_at, updated_at) VALUES ('periodic', 'periodic:polls.close-due', "
                "'{\"type\": \"interval\", \"seconds\": 60}', 'UTC', '{}', 'active', :now, "
                ":now, :now, :now)",
            ):
                connection.execute(
                    text(statement), {"now": datetime(2026, 1, 1, tzinfo=UTC), "closes": closes}
                )
        migrate.upgrade(database)
        with database.engine.connect() as connection:
            rows = connection.execute(text("SELECT key, rule, due_at FROM schedule")).all()
        assert [row[0] for row in rows] == ["poll:p1"]  # not the closed poll, not the old job
        rule = rows[0][1] if isinstance(rows[0][1], dict) else json.loads(rows[0][1])
        first = next_occurrence(Rule.from_dict(rule), "UTC", datetime(2026, 1, 1, tzinfo=UTC))
        assert first == closes
    finally:
        database.dispose()


def test_one_member_per_platform_identity(app_on_any_database: Application) -> None:
    database = app_on_any_database.services.database
    with database.session() as session:
        members = MemberRepository(session)
        first, identity, created = members.get_or_create("telegram", "42", "ann", "fr-BE")
        again, _, created_again = members.get_or_create("telegram", "42", "ann2", "fr")
        assert created and not created_again
        assert first.id == again.id
        other, _, _ = members.get_or_create("matrix", "42")
        assert other.id != first.id
    with pytest.raises(IntegrityError), database.session() as session:
        session.add(Identity(member_id=first.id, platform="telegram", user_id="42"))
        session.flush()
    with database.session() as session:
        identity = session.exec(
            select(Identity).where(Identity.user_id == "42", Identity.platform == "telegram")
        ).one()
        assert identity.handle == "ann2" and identity.language_hint == "fr"


def test_conversation_state_survives_a_restart(app_on_any_database: Application) -> None:
    database = app_on_any_database.services.database
    with database.session() as session:
        member, _, _ = MemberRepository(session).get_or_create("test", "carol")
        repository = ConversationRepository(session)
        state = repository.state(member.id, "test:dm-carol")
        state.flow, state.step, state.data = "onboarding", "place", {"typed_place": "Bergen"}
        repository.save(state)
    with database.session() as session:
        state = ConversationRepository(session).state(member.id, "test:dm-carol")
        assert (state.flow, state.step, state.data) == (
            "onboarding",
            "place",
            {"typed_place": "Bergen"},
        )
        state.data["candidates"] = [1, 2]  # an in-place change of a JSON column
        ConversationRepository(session).save(state)
    with database.session() as session:
        state = ConversationRepository(session).state(member.id, "test:dm-carol")
        assert state.data == {"typed_place": "Bergen", "candidates": [1, 2]}


def test_nearest_chapters_match_a_full_scan(app_on_any_database: Application) -> None:
    database = app_on_any_database.services.database
    rng = random.Random(7)
    with database.session() as session:
        for i in range(300):
            session.add(
                Chapter(
                    slug=f"c{i}",
                    name=f"C{i}",
                    city="x",
                    country_code="XX",
                    latitude=rng.uniform(35, 60),
                    longitude=rng.uniform(-10, 25),
                )
            )
    with database.session() as session:
        chapters = ChapterRepository(session)
        everything = list(session.exec(select(Chapter)))
        for _ in range(25):
            lat, lon = rng.uniform(35, 60), rng.uniform(-10, 25)
            expected = sorted(
                (haversine_km(lat, lon, c.latitude, c.longitude), c.slug) for c in everything
            )
            expected = [slug for distance, slug in expected if distance <= 500][:3]
            found = [n.chapter.slug for n in chapters.nearest(lat, lon, 3, 500)]
            assert found == expected


def full_scan(
    everything: list[Chapter], lat: float, lon: float, limit: int, max_km: float
) -> list[str]:
    ranked = sorted((haversine_km(lat, lon, c.latitude, c.longitude), c.slug) for c in everything)
    return [slug for distance, slug in ranked if distance <= max_km][:limit]


def test_nearest_chapters_anywhere_match_a_full_scan(app_on_any_database: Application) -> None:
    """Across the antimeridian, at the poles, in a dense town and in empty oceans."""
    database = app_on_any_database.services.database
    rng = random.Random(11)
    points = [
        *(
            (math.degrees(math.asin(rng.uniform(-1, 1))), rng.uniform(-180, 180))
            for _ in range(150)
        ),
        *((rng.uniform(-20, 20), 180 - rng.uniform(0, 3)) for _ in range(25)),
        *((rng.uniform(-20, 20), -180 + rng.uniform(0, 3)) for _ in range(25)),
        *((rng.uniform(87, 90), rng.uniform(-180, 180)) for _ in range(25)),
        *((rng.uniform(-90, -87), rng.uniform(-180, 180)) for _ in range(25)),
        *((rng.gauss(50.85, 0.03), rng.gauss(4.35, 0.05)) for _ in range(100)),
    ]
    with database.session() as session:
        # A Core bulk insert, like the benchmark's: the column defaults fill the search columns.
        session.execute(
            insert(Chapter),
            [
                {
                    "slug": f"w{i}",
                    "name": f"W{i}",
                    "city": "x",
                    "country_code": "XX",
                    "latitude": lat,
                    "longitude": lon,
                    "languages": "en",
                    "status": "active",
                    "descriptions": {},
                }
                for i, (lat, lon) in enumerate(points)
            ],
        )
    probes = [
        (0.0, 179.95),
        (10.0, -179.99),
        (-15.0, 180.0),
        (5.0, 540.0),  # the same meridian, written another way
        (89.9, 0.0),
        (90.0, 45.0),
        (-89.95, 120.0),
        (-88.0, -179.5),
        (50.85, 4.35),
        (51.0, 4.3),
        (-45.0, -130.0),  # the South Pacific
        *((math.degrees(math.asin(rng.uniform(-1, 1))), rng.uniform(-180, 180)) for _ in range(20)),
    ]
    with database.session() as session:
        chapters = ChapterRepository(session)
        everything = list(session.exec(select(Chapter)))
        for lat, lon in probes:
            for limit, max_km in [(1, 50.0), (3, 500.0), (10, 3000.0), (5, 25_000.0)]:
                found = chapters.nearest(lat, lon, limit, max_km)
                assert [n.chapter.slug for n in found] == full_scan(
                    everything, lat, lon, limit, max_km
                ), (lat, lon, limit, max_km)
                distances = [n.distance_km for n in found]
                assert distances == sorted(distances)
                assert all(d <= max_km for d in distances)
        assert chapters.nearest(50.85, 4.35, 0) == []


def test_chapter_search_columns_are_filled_and_kept_up(any_database_url: str) -> None:
    """Filled for chapters that predate them, empty tables answered, and moved with a chapter."""
    database = Database(any_database_url)
    try:
        migrate.upgrade(database, "0005")  # the revision before the search columns
        old = table(
            "chapter",
            *(column(name) for name in ("slug", "name", "city", "country_code", "latitude")),
            *(column(name) for name in ("longitude", "languages", "status", "descriptions")),
            column("created_at"),
        )
        with database.engine.begin() as connection:
            connection.execute(
                old.insert(),
                [
                    {
                        "slug": slug,
                        "name": slug,
                        "city": slug,
                        "country_code": "XX",
                        "latitude": lat,
                        "longitude": lon,
                        "languages": "en",
                        "status": "active",
                        "descriptions": "{}",
                        "created_at": datetime.now(UTC),
                    }
                    for slug, lat, lon in [("brussels", 50.85, 4.35), ("suva", -18.14, 178.44)]
                ],
            )
        migrate.upgrade(database)
        with database.session() as session:
            chapters = ChapterRepository(session)
            for chapter in session.exec(select(Chapter)):
                expected = geo_columns(chapter.latitude, chapter.longitude)
                assert {key: getattr(chapter, key) for key in expected} == expected
            assert [n.chapter.slug for n in chapters.nearest(-18.0, -179.9, 3, 500)] == ["suva"]
            brussels = chapters.by_slug("brussels")
            assert brussels is not None
            # Moved as the CSV import and the organization file do: the search follows.
            brussels.latitude, brussels.longitude = 51.05, 3.72
            session.add(brussels)
            created = chapters.create("Lille", "Lille", "FR", 50.63, 3.06, ["fr"])
        with database.session() as session:
            chapters = ChapterRepository(session)
            found = chapters.nearest(51.05, 3.72, 3, 100)
            assert [n.chapter.slug for n in found] == ["brussels", created.slug]
            assert found[0].distance_km == pytest.approx(0.0, abs=1e-6)
            assert chapters.nearest(50.85, 4.35, 3, 20) == []
        migrate.downgrade(database, "0005")
        migrate.upgrade(database)
        with database.session() as session:
            assert [n.chapter.slug for n in ChapterRepository(session).nearest(51, 3.7, 1)] == [
                "brussels"
            ]
            session.exec(delete(Chapter))
        with database.session() as session:
            chapters = ChapterRepository(session)
            for lat, lon in [(50.85, 4.35), (90.0, 0.0), (-10.0, 180.0)]:
                assert chapters.nearest(lat, lon, 3, 25_000) == []
    finally:
        database.dispose()


def test_chapters_follow_the_organization_file(app_on_any_database: Application) -> None:
    database = app_on_any_database.services.database
    organization = app_on_any_database.services.organization
    with database.session() as session:
        slugs = {c.slug for c in session.exec(select(Chapter))}
        assert slugs == {c.slug for c in organization.chapters}
        ChapterRepository(session).sync(organization.chapters)  # idempotent
    with database.session() as session:
        assert len(list(session.exec(select(Chapter)))) == len(organization.chapters)


async def test_onboarding_and_forgetting_on_each_database(app_on_any_database: Application) -> None:
    bot = Harness(app_on_any_database)
    for answer in ["/start", "2", "Zoé", "La Haye", "1", "1", "2"]:
        await bot.say(answer, lang="fr")
    member = bot.member()
    assert member is not None and member.onboarded_at is not None
    assert member.country_code == "NL" and member.place_name == "La Haye"
    reply = await bot.say("/forget")
    await bot.say(reply.option_number("erase"))
    assert bot.member() is None
    with app_on_any_database.services.database.session() as session:
        assert session.exec(select(Identity)).all() == []


def test_a_speaker_met_by_two_processes_at_once_is_created_once(postgres_url: str) -> None:
    """Their first messages handled together: the second waits for the first, then uses the
    identity it made (no unique violation, no second member)."""
    import threading

    from sqlmodel import Session as SqlSession

    from bot.storage.members import MemberRepository
    from bot.storage.models import Identity, Member

    database = Database(postgres_url)
    try:
        empty_schema(database)
        SQLModel.metadata.create_all(database.engine)
        results: list[object] = []
        with SqlSession(database.engine) as first:
            member, identity, _state, created = MemberRepository(first).speaker(
                "telegram", "77", "telegram:77"
            )
            ids = (member.id, identity.id)

            def second_process() -> None:
                with SqlSession(database.engine) as second:
                    try:
                        found = MemberRepository(second).speaker("telegram", "77", "telegram:77")
                        second.commit()
                        results.append((found[0].id, found[1].id, found[3]))
                    except Exception as exc:
                        results.append(exc)

            other = threading.Thread(target=second_process)
            other.start()
            other.join(timeout=1.0)
            assert other.is_alive()  # waiting for the first transaction
            first.commit()
            other.join(timeout=10)
        assert results == [(*ids, False)] and created
        with SqlSession(database.engine) as session:
            assert len(session.exec(select(Identity)).all()) == 1
            assert len(session.exec(select(Member)).all()) == 1
    finally:
        empty_schema(database)
        database.dispose()


def test_processes_starting_together_sync_the_chapters_once(
    postgres_url: str, locales_dir: Path, cache_dir: Path
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from bot.app import build_application
    from tests.conftest import make_settings

    settings = make_settings(postgres_url, locales_dir, cache_dir)
    database = Database(postgres_url)
    try:
        empty_schema(database)
        migrate.upgrade(database)  # `chapterbot db upgrade`, once, before they start

        def start(_n: int) -> int:
            app = build_application(settings, upgrade_database=False)
            app.close()
            return 1

        with ThreadPoolExecutor(3) as pool:
            assert sum(pool.map(start, range(3))) == 3
        with database.engine.connect() as connection:
            slugs = connection.execute(text("SELECT slug FROM chapter")).scalars().all()
        assert len(slugs) == len(set(slugs)) > 0
    finally:
        empty_schema(database)
        database.dispose()


def empty_schema(database: Database) -> None:
    with database.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
