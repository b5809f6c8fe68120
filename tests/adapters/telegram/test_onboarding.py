"""Onboarding on Telegram: buttons, the location keyboard, multiple choice, languages."""

from __future__ import annotations

from typing import Any

from bot.app import Application
from bot.storage.members import MemberRepository
from tests.adapters.telegram.conftest import buttons, texts
from tests.support.fake_telegram import FakeTelegram


def member_of(app: Application, user_id: int) -> Any:
    with app.services.database.session() as session:
        found = MemberRepository(session).find_by_identity("telegram", str(user_id))
        assert found is not None, f"no member for Telegram user {user_id}"
        return found[0], MemberRepository(session).interests(found[0].id)


async def test_onboarding_in_dutch_from_the_app_language(
    fake: FakeTelegram, talk: Any, telegram_app: Application
) -> None:
    jan = talk(fake.person("Jan", language_code="nl", username="jan_gent"))

    greeting = await jan.say("/start")
    assert "Hallo" in greeting[-1]["text"]
    assert buttons(greeting[-1]) == ["English", "Français", "Nederlands"]

    after_language = await jan.press("Nederlands")
    # The question stays in the chat with the answer, and without its buttons.
    answered = jan.messages[len(jan.messages) - len(after_language) - 1]
    assert "✅ Nederlands" in answered["text"] and "reply_markup" not in answered
    assert fake.callback_queries and all(a is not None for a in fake.callback_queries.values())

    after_name = await jan.say("Jan")
    assert "Jan" in texts(after_name)
    assert jan.chat.reply_keyboard is not None
    location_button = jan.chat.reply_keyboard["keyboard"][0][0]
    assert location_button["request_location"] is True
    assert jan.chat.reply_keyboard["one_time_keyboard"] is True

    chapters = await jan.share_location(52.08, 4.30)  # The Hague
    assert "The Hague" in chapters[-1]["text"]
    after_chapter = await jan.press(0)
    assert jan.chat.reply_keyboard is None, "the location keyboard was not removed"
    interests = after_chapter[-1]
    assert "Done" not in " ".join(buttons(interests)) and "Klaar" not in buttons(interests)

    await jan.press(1)  # toggles, redrawing the keyboard with a tick and a "done" button
    await jan.press(2)
    redrawn = jan.last_with_buttons()
    assert redrawn["message_id"] == interests["message_id"]
    labels = buttons(redrawn)
    assert labels[1].startswith("✅") and labels[2].startswith("✅")
    assert not labels[0].startswith("✅")
    nudges = await jan.press(labels[-1])  # the "done" button, in Dutch
    assert labels[-1] != "Done"

    await jan.press(1, nudges[-1])
    member, chosen = member_of(telegram_app, jan.person.id)
    assert member.language == "nl"
    assert member.display_name == "Jan"
    assert member.place_name and member.country_code == "NL"
    assert member.nudges == "none"
    assert member.onboarded_at is not None
    assert len(chosen) == 2


async def test_a_french_member_types_her_town_in_dutch(
    fake: FakeTelegram, talk: Any, telegram_app: Application
) -> None:
    amelie = talk(fake.person("Amélie", language_code="fr-BE"))
    greeting = await amelie.say("Bonjour !")
    assert "Bonjour" in greeting[-1]["text"]
    await amelie.press("Français")
    await amelie.say("Amélie <3 & co")  # markup-looking names are escaped, not refused
    chapters = await amelie.say("Brussel")
    assert "Brussels" in chapters[-1]["text"]
    assert "rejoindre" in " ".join(buttons(chapters[-1])).lower()
    member, _ = member_of(telegram_app, amelie.person.id)
    assert member.display_name == "Amélie <3 & co"
    assert member.place_name == "Brussel"
    assert member.language == "fr"
