"""Several processes on one PostgreSQL database: what one process knows of a chat or a member
is read from the database on every turn, so another process's /forget leaves nothing stale."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from bot.app import build_application
from bot.storage.conversations import ConversationRepository
from bot.storage.models import ConversationState
from tests.conftest import make_settings
from tests.support.harness import PLATFORM, Harness


async def test_a_member_forgotten_by_one_process_starts_afresh_on_another(
    postgres_url: str, locales_dir: Path, cache_dir: Path
) -> None:
    settings = make_settings(postgres_url, locales_dir, cache_dir)
    first_app = build_application(settings, upgrade_database=True)
    second_app = build_application(settings)
    try:
        first, second = Harness(first_app), Harness(second_app)
        await first.onboard("fern")
        # The second process has handled this private chat too before the erasure.
        reply = await second.say("/profile", member="fern")
        assert "Fern" in reply.text
        reply = await first.say("/forget", member="fern")
        await first.say(reply.option_number("erase"), member="fern")
        assert first.member("fern") is None

        reply = await second.say("hello", member="fern", lang="en")
        assert [o.key for o in reply.choice.options] == ["en", "fr", "nl"]
        member = second.member("fern")
        assert member is not None
        with second_app.services.database.session() as session:
            # The private chat is stored again, as the new member's (where to reach them).
            chat = ConversationRepository(session).find_chat(PLATFORM, "dm-fern")
            assert chat is not None and chat.member_id == member.id
            states = session.exec(
                select(ConversationState).where(ConversationState.chat_key == chat_key())
            ).all()
            assert [s.member_id for s in states] == [member.id]
            assert states[0].flow == "onboarding"
        # Both processes carry on the same conversation.
        reply = await first.say("1", member="fern", lang="en")
        assert reply.text.endswith("What would you like me to call you?")
    finally:
        first_app.close()
        second_app.close()


def chat_key() -> str:
    return f"{PLATFORM}:dm-fern"
