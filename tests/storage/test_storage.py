"""Storage on SQLite and on a real PostgreSQL server: migrations, members, chapters, erasure."""

from __future__ import annotations

import random

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import IntegrityError
from sqlmodel import SQLModel, select

from bot.app import Application
from bot.geo.distance import haversine_km
from bot.storage import migrate
from bot.storage.chapters import ChapterRepository
from bot.storage.conversations import ConversationRepository
from bot.storage.database import Database
from bot.storage.members import MemberRepository
from bot.storage.models import Chapter, Identity
from tests.support.harness import Harness


def test_migrations_create_exactly_the_models(any_database_url: str) -> None:
    database = Database(any_database_url)
    try:
        migrate.upgrade(database)
        assert migrate.current_revision(database) == "0005"
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
        assert migrate.current_revision(database) == "0005"
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
