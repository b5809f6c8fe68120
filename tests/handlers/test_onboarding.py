"""Onboarding through the whole core, in each language, with the fake outbox."""

from __future__ import annotations

import pytest

from bot.core.outgoing import AskLocation, Choice
from bot.i18n.formatting import Formatter
from bot.storage.chapters import ChapterRepository
from tests.support.harness import Harness

LANG_NUMBER = {"en": "1", "fr": "2", "nl": "3"}
# Per language: a place typed in that language (or another one), and words the replies use.
CASES = {
    "en": {"place": "Brussels", "chapter": "Brussels", "join": "Ask to join", "done": "all set"},
    "fr": {"place": "Brussel", "chapter": "Brussels", "join": "rejoindre", "done": "Tout est prêt"},
    "nl": {"place": "Bruxelles", "chapter": "Brussels", "join": "lid te worden", "done": "klaar"},
}


async def onboard(bot: Harness, lang: str, member: str = "alice", name: str = "Alex") -> list[str]:
    """Run the whole onboarding and return everything the bot said."""
    said: list[str] = []
    answers = ["/start", LANG_NUMBER[lang], name, CASES[lang]["place"], "1", "1, 3", "1"]
    for answer in answers:
        reply = await bot.say(answer, member=member, lang=lang)
        assert reply.messages, f"no answer to {answer!r}"
        said.extend(reply.texts)
    return said


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
async def test_onboarding_reaches_a_next_step_in_at_most_eight_messages(
    bot: Harness, lang: str
) -> None:
    said = await onboard(bot, lang)
    member = bot.member("alice")
    assert member is not None
    assert member.onboarded_at is not None
    assert member.language == lang
    assert member.display_name == "Alex"
    assert member.country_code == "BE"
    assert member.timezone == "Europe/Brussels"
    assert member.nudges == "monthly"
    assert member.chapter_choice == "join"
    assert bot.interests("alice") == sorted(["self-education", "mutual-aid"])
    assert CASES[lang]["done"].lower() in said[-2].lower()
    assert "/mydata" in " ".join(said) and "/forget" in " ".join(said)


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
async def test_greeting_follows_the_platform_hint(bot: Harness, lang: str) -> None:
    reply = await bot.say("/start", lang=lang)
    expected = {"en": "Hello", "fr": "Bonjour", "nl": "Hallo"}[lang]
    assert expected in reply.text
    assert [o.label for o in reply.choice.options] == ["English", "Français", "Nederlands"]


async def test_greeting_without_hint_uses_the_organization_default(bot: Harness) -> None:
    reply = await bot.say("hi there")
    assert "Hello" in reply.text  # the demo organization's default is English
    assert isinstance(reply.messages[-1].body, Choice)


@pytest.mark.parametrize(
    ("first_words", "lang"),
    [("Bonjour", "fr"), ("Hallo, ik wil lid worden", "nl"), ("Hello, I'd like to join", "en")],
)
async def test_without_hint_the_first_words_choose_the_greetings_language(
    bot: Harness, first_words: str, lang: str
) -> None:
    reply = await bot.say(first_words)  # as on Matrix: no language hint at all
    assert [m.language for m in reply.messages] == [lang]
    assert [o.label for o in reply.choice.options] == ["English", "Français", "Nederlands"]
    # Asked again (an answer that is no option), still in the language of the first words.
    reply = await bot.say("euh")
    assert {m.language for m in reply.messages} == {lang}


async def test_a_platform_hint_outweighs_the_first_words(bot: Harness) -> None:
    reply = await bot.say("Bonjour", lang="nl")
    assert [m.language for m in reply.messages] == ["nl"]


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
async def test_distances_are_formatted_for_the_reader(bot: Harness, lang: str) -> None:
    for answer in ["/start", LANG_NUMBER[lang], "Alex"]:
        await bot.say(answer, lang=lang)
    reply = await bot.say({"en": "Antwerp", "fr": "Anvers", "nl": "Antwerpen"}[lang], lang=lang)
    member = bot.member()
    assert member is not None and member.latitude is not None and member.longitude is not None
    with bot.app.services.database.session() as session:
        nearest = ChapterRepository(session).nearest(member.latitude, member.longitude, 3)
    assert [n.chapter.name for n in nearest] == ["Brussels", "Ghent", "The Hague"]
    for nearby in nearest:
        expected = Formatter(lang).distance(nearby.distance_km).replace("\u202f", " ")
        assert expected.replace("\xa0", " ") in reply.text
    assert CASES[lang]["join"].lower() in reply.text.lower()


def test_distance_format_follows_the_language() -> None:
    def plain(text: str) -> str:
        return text.replace("\u202f", " ").replace("\xa0", " ")

    assert plain(Formatter("fr").distance(12.54)) == "13 km"
    assert plain(Formatter("fr").distance(2.54)) == "2,5 km"
    assert plain(Formatter("nl").distance(2.54)) == "2,5 km"
    assert plain(Formatter("en").distance(2.54)) == "2.5 km"
    assert plain(Formatter("en").distance(263.7)) == "264 km"


async def test_ambiguous_place_offers_a_choice(bot: Harness) -> None:
    for answer in ["/start", "1", "Alex"]:
        await bot.say(answer)
    reply = await bot.say("Lille")
    labels = [o.label for o in reply.choice.options]
    assert labels[0] == "Lille, France"
    assert "Lille, Belgium" in labels
    assert reply.choice.options[-1].key == "other"
    reply = await bot.say(reply.option_number(reply.choice.options[1].key))
    member = bot.member()
    assert member is not None and member.country_code == "BE"
    assert "nearest" in reply.text


async def test_paris_is_ambiguous_and_texas_can_be_chosen(bot: Harness) -> None:
    for answer in ["/start", "1", "Alex"]:
        await bot.say(answer)
    reply = await bot.say("Paris")
    labels = [o.label for o in reply.choice.options]
    assert labels[0] == "Paris, France"
    texas = next(o for o in reply.choice.options if o.label.startswith("Paris, TX"))
    await bot.say(reply.option_number(texas.key))
    member = bot.member()
    assert member is not None
    assert member.country_code == "US" and member.timezone == "America/Chicago"


async def test_none_of_these_places_asks_again(bot: Harness) -> None:
    for answer in ["/start", "1", "Alex"]:
        await bot.say(answer)
    reply = await bot.say("Bergen")
    reply = await bot.say(reply.option_number("other"))
    assert isinstance(reply.messages[-1].body, AskLocation)
    reply = await bot.say("Oslo")
    member = bot.member()
    assert member is not None and member.country_code == "NO"


async def test_unknown_place_gets_a_helpful_answer_and_stays_on_the_question(bot: Harness) -> None:
    for answer in ["/start", "1", "Alex"]:
        await bot.say(answer)
    reply = await bot.say("Xyzzyville")
    assert "Xyzzyville" in reply.text and "share your location" in reply.text
    reply = await bot.say("Oslo")
    member = bot.member()
    assert member is not None and member.country_code == "NO"
    assert "Oslo" in reply.text


async def test_shared_location_is_stored_coarsely(bot: Harness) -> None:
    for answer in ["/start", "1", "Alex"]:
        await bot.say(answer)
    reply = await bot.share_location(50.846734, 4.352543)
    member = bot.member()
    assert member is not None
    assert member.country_code == "BE"
    assert member.latitude is not None and member.longitude is not None
    # The place's coordinates to 2 decimals, never the exact point that was shared.
    assert member.latitude == round(member.latitude, 2)
    assert (member.latitude, member.longitude) != (50.846734, 4.352543)
    assert "Brussels" in reply.text


async def test_far_from_any_chapter_offers_to_start_one_or_wait(bot: Harness) -> None:
    for answer in ["/start", "1", "Alex"]:
        await bot.say(answer)
    reply = await bot.say("Tokyo")
    assert "no chapter near Tokyo" in reply.text
    keys = [o.key for o in reply.choice.options]
    assert keys == ["found", "watch", "none"]
    reply = await bot.say(reply.option_number("watch"))
    assert "I'll tell you once" in reply.text
    assert reply.choice.multiple  # on to interests
    member = bot.member()
    assert member is not None and member.chapter_choice == "waiting"


async def test_none_of_these_chapters_is_recorded(bot: Harness) -> None:
    for answer in ["/start", "1", "Alex", "Brussels"]:
        reply = await bot.say(answer)
    await bot.say(reply.option_number("none"))
    member = bot.member()
    assert member is not None and member.chapter_choice == "none"


async def test_leaving_midway_and_coming_back_resumes_at_the_same_step(bot: Harness) -> None:
    for answer in ["/start", "1", "Alex", "Brussels"]:
        await bot.say(answer)
    # Coming back later with something that is not an answer: asked the same question again.
    reply = await bot.say("sorry, where were we?")
    assert "Please pick one of the options" in reply.text
    reply = await bot.say("/start")
    assert {o.key for o in reply.choice.options} == {"keep", "restart"}
    reply = await bot.say(reply.option_number("keep"))
    assert "nearest" in reply.text  # the chapters question again
    reply = await bot.say(reply.option_number("none"))
    assert reply.choice.multiple  # and onward to interests


async def test_start_again_can_start_over(bot: Harness) -> None:
    await onboard(bot, "en")
    reply = await bot.say("/start")
    assert "Welcome back, Alex" in reply.text
    reply = await bot.say(reply.option_number("restart"))
    assert [o.key for o in reply.choice.options] == ["en", "fr", "nl"]
    reply = await bot.say("2")
    assert "Comment" in reply.text or "nom" in reply.text


async def test_names_keep_emoji_and_right_to_left_text_and_are_escaped(bot: Harness) -> None:
    for answer in ["/start", "1"]:
        await bot.say(answer)
    reply = await bot.say("<b>Ro</b>'; DROP TABLE member;-- 🌷 مريم")
    member = bot.member()
    assert member is not None
    assert member.display_name == "<b>Ro</b>'; DROP TABLE member;-- 🌷 مريم"
    body = reply.messages[0].body
    assert "&lt;b&gt;Ro&lt;/b&gt;" in body.text  # shown as text, not markup
    assert "🌷 مريم" in reply.text


async def test_overlong_name_is_refused_with_the_limit(bot: Harness) -> None:
    for answer in ["/start", "1"]:
        await bot.say(answer)
    reply = await bot.say("x" * 65)
    assert "64" in reply.text
    member = bot.member()
    assert member is not None and member.display_name is None


async def test_start_with_a_chapter_preselects_it(bot: Harness) -> None:
    for answer in ["/start chapter-chicago", "1", "Alex"]:
        await bot.say(answer)
    reply = await bot.say("Brussels")
    assert reply.choice.options[0].label == "Ask to join Chicago"


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "Friday, December 4 at 6:00 PM"),
        ("fr", "vendredi 4 décembre à 18:00"),
        ("nl", "vrijdag 4 december om 18:00"),
    ],
)
async def test_moments_are_written_in_the_reader_language_and_time_zone(
    bot: Harness, lang: str, expected: str
) -> None:
    from datetime import UTC, datetime

    await onboard(bot, lang)  # the member lives in Brussels: Europe/Brussels, UTC+1 in December
    with bot.app.services.database.session() as session:
        from bot.core.conversation import Conversation
        from bot.core.events import ChatRef, TextMessage
        from bot.storage.conversations import ConversationRepository
        from bot.storage.members import MemberRepository

        member, identity, _ = MemberRepository(session).get_or_create("test", "alice")
        conv = Conversation(
            services=bot.app.services,
            session=session,
            incoming=TextMessage(
                chat=ChatRef("test", "dm-alice"), chat_kind="direct", sender=None, text=""
            ),
            member=member,
            identity=identity,
            chat=None,
            state=ConversationRepository(session).new_state(member.id, "test:dm-alice"),
            translator=bot.app.services.catalogs.translator(lang),
        )
        written = conv.when(datetime(2026, 12, 4, 17, 0, tzinfo=UTC))
    assert written.replace("\u202f", " ").replace("\xa0", " ") == expected


async def test_the_town_is_named_in_the_readers_language_whatever_was_typed(
    bot: Harness,
) -> None:
    for answer in ["/start", "2", "Amélie"]:
        await bot.say(answer, lang="fr")
    reply = await bot.say("Luik", lang="fr")  # Liège, as Dutch speakers write it
    assert "Luik" not in reply.text
    reply = await bot.say(reply.option_number("none"), lang="fr")
    for answer in ["1", "1"]:
        reply = await bot.say(answer, lang="fr")
    assert "Liège" in reply.text and "Luik" not in reply.text  # the summary
    reply = await bot.say("/chapters", lang="fr")
    assert "Liège" in reply.text and "Luik" not in reply.text
    member = bot.member()
    assert member is not None and member.place_name == "Luik"  # what they said, kept as said


async def test_a_chapter_forming_in_town_is_offered_to_join_not_founded_again(
    bot: Harness,
) -> None:
    for answer in ["/start", "1", "Kenji", "Tokyo"]:
        reply = await bot.say(answer, member="kenji")
    await bot.say(reply.option_number("found"), member="kenji")
    for answer in ["/start", "1", "Yui"]:
        await bot.say(answer, member="yui")
    reply = await bot.say("Tokyo", member="yui")
    keys = [o.key for o in reply.choice.options]
    assert keys[0].startswith("chapter:") and "found" not in keys and "watch" not in keys
    assert "forming near you: Tokyo" in reply.text
    await bot.say(reply.option_number(keys[0]), member="yui")
    assert "asks to join Tokyo" in (await bot.inbox("kenji")).text


async def test_the_obvious_amsterdam_is_taken_and_can_be_corrected(bot: Harness) -> None:
    for answer in ["/start", "3", "Jan"]:
        await bot.say(answer, lang="nl")
    reply = await bot.say("Amsterdam", lang="nl")  # 40 times Amsterdam, NY, and in Dutch lands
    member = bot.member()
    assert member is not None and member.country_code == "NL"
    assert "Amsterdam, Nederland" in reply.text
    assert "chapter:" in reply.choice.options[0].key  # straight on to the nearest chapters
    reply = await bot.say(reply.option_number("namesake"), lang="nl")
    labels = [o.label for o in reply.choice.options]
    assert labels[0].startswith("Amsterdam, NY") and "Amsterdam, Nederland" not in labels
    reply = await bot.say("1", lang="nl")
    member = bot.member()
    assert member is not None and member.country_code == "US"
    assert "namesake" not in [o.key for o in reply.choice.options]


async def test_namesakes_of_like_size_or_abroad_are_still_asked_about(bot: Harness) -> None:
    for answer in ["/start", "1", "Alex"]:
        await bot.say(answer)
    reply = await bot.say("Amsterdam")  # an English speaker: neither is in their countries
    assert reply.choice.options[-1].key == "other"
    member = bot.member()
    assert member is not None and member.place_id is None
