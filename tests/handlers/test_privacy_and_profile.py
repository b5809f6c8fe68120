"""/mydata, /forget, /profile and /language."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import inspect, text

from tests.handlers.test_onboarding import onboard
from tests.support.harness import Harness


def rows_about(bot: Harness, member_id: int) -> dict[str, int]:
    """How many rows of each table point at this member (every table with a member_id)."""
    engine = bot.app.services.database.engine
    counts: dict[str, int] = {}
    with engine.connect() as connection:
        for table in inspect(engine).get_table_names():
            columns = {c["name"] for c in inspect(engine).get_columns(table)}
            key = "id" if table == "member" else "member_id" if "member_id" in columns else None
            if key:
                query = text(f"SELECT COUNT(*) FROM {table} WHERE {key} = :id")
                counts[table] = connection.execute(query, {"id": member_id}).scalar_one()
    return counts


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
async def test_mydata_shows_everything_as_text_and_json(bot: Harness, lang: str) -> None:
    await onboard(bot, lang)
    reply = await bot.say("/mydata", lang=lang)
    assert len(reply.messages) == 2
    readable, exported = reply.texts
    assert "Alex" in readable and "Brussels" in readable
    document = json.loads(exported.split("\n", 1)[1])
    assert document["member"]["display_name"] == "Alex"
    assert document["member"]["language"] == lang
    assert document["identities"][0]["user_id"] == "alice"
    assert sorted(document["interests"]) == ["mutual-aid", "self-education"]
    assert len(document["join_requests"]) == 1
    # Every table that holds rows about the member appears in the export.
    member = bot.member()
    assert member is not None
    tables_with_rows = {t for t, n in rows_about(bot, member.id).items() if n}
    exported = {
        "member": "member",
        "identity": "identities",
        "memberinterest": "interests",
        "joinrequest": "join_requests",
        "conversationstate": "conversation_state",
        "chat": "private_chats",
        "delivery": "messages_to_deliver",
    }
    assert tables_with_rows <= set(exported)
    assert all(document[exported[table]] for table in tables_with_rows)


async def test_forget_asks_for_confirmation_and_keeps_data_when_declined(bot: Harness) -> None:
    await onboard(bot, "en")
    reply = await bot.say("/forget")
    assert {o.key for o in reply.choice.options} == {"erase", "keep"}
    reply = await bot.say(reply.option_number("keep"))
    assert "Nothing was erased" in reply.text
    member = bot.member()
    assert member is not None and member.display_name == "Alex"


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
async def test_forget_erases_every_row_about_the_member(bot: Harness, lang: str) -> None:
    await onboard(bot, lang)
    await onboard(bot, "en", member="bob", name="Bob")
    member = bot.member()
    assert member is not None
    assert sum(rows_about(bot, member.id).values()) > 3
    reply = await bot.say("/forget", lang=lang)
    reply = await bot.say(reply.option_number("erase"), lang=lang)
    assert reply.messages and "/forget" not in reply.text
    assert bot.member() is None
    assert sum(rows_about(bot, member.id).values()) == 0
    # Someone else's data is untouched.
    assert bot.member("bob") is not None and bot.interests("bob")
    # Writing again starts from the beginning.
    reply = await bot.say("hello", lang=lang)
    assert [o.key for o in reply.choice.options] == ["en", "fr", "nl"]


async def test_profile_changes_one_answer_and_comes_back(bot: Harness) -> None:
    await onboard(bot, "en")
    reply = await bot.say("/profile")
    assert "Alex" in reply.text
    reply = await bot.say(reply.option_number("place"))
    reply = await bot.say("Gent")
    assert "Saved" in reply.text and "Your profile" in reply.text
    member = bot.member()
    assert member is not None and member.place_name == "Gent"
    reply = await bot.say(reply.option_number("interests"))
    reply = await bot.say("Writing, events")
    assert bot.interests() == ["events", "writing"]
    reply = await bot.say(reply.option_number("nudges"))
    reply = await bot.say("2")
    member = bot.member()
    assert member is not None and member.nudges == "none"
    reply = await bot.say(reply.option_number("name"))
    reply = await bot.say("Alexandra")
    reply = await bot.say(reply.option_number("done"))
    member = bot.member()
    assert member is not None and member.display_name == "Alexandra"


async def test_profile_before_meeting_points_to_start(bot: Harness) -> None:
    reply = await bot.say("/profile")
    assert "/start" in reply.text


@pytest.mark.parametrize("lang", ["fr", "nl"])
async def test_language_command_switches_the_language(bot: Harness, lang: str) -> None:
    await onboard(bot, "en")
    reply = await bot.say(f"/language {lang}")
    assert "English" not in reply.text
    member = bot.member()
    assert member is not None and member.language == lang
    reply = await bot.say("/language")
    assert [o.label for o in reply.choice.options] == ["English", "Français", "Nederlands"]
    reply = await bot.say("1")
    assert reply.text == "From now on I'll write to you in English."


async def test_language_with_a_bad_argument_gets_the_usage(bot: Harness) -> None:
    await onboard(bot, "en")
    reply = await bot.say("/language klingon")
    assert "Usage: /language" in reply.text
    member = bot.member()
    assert member is not None and member.language == "en"


async def test_profile_during_onboarding_keeps_the_introduction_going(bot: Harness) -> None:
    for answer in ["/start", "1", "Alex"]:
        await bot.say(answer)
    reply = await bot.say("/profile")
    assert "finish the introduction" in reply.text
    assert "Where do you live" in reply.text
    reply = await bot.say("Ghent")
    member = bot.member()
    assert member is not None and member.place_name == "Ghent"
