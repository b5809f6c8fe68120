"""Bad input, old prompts, ordering and the error boundary, through the whole core."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.core.access import EVERYWHERE
from bot.core.conversation import Conversation
from bot.core.dispatcher import Dispatcher
from bot.core.events import CommandMessage, parse_command
from bot.core.outgoing import OpenPrivateChat, Text
from bot.core.router import Router
from bot.handlers import all_routers
from tests.support.harness import Harness

ENGLISH_APOLOGY = "Sorry, something went wrong"


async def to_name_step(bot: Harness, lang: str = "en") -> None:
    await bot.say("/start", lang=lang)
    await bot.say({"en": "1", "fr": "2", "nl": "3"}[lang], lang=lang)


def test_commands_are_parsed_with_arguments_and_bot_mentions() -> None:
    assert parse_command("/start") == ("start", "")
    assert parse_command("/Start@ChapterBot chapter-ghent", bot_username="chapterbot") == (
        "start",
        "chapter-ghent",
    )
    assert parse_command("/start@otherbot", bot_username="chapterbot") is None
    assert parse_command("!help", prefixes=("!", "/")) == ("help", "")
    assert parse_command("just text") is None
    assert parse_command("/") is None
    assert parse_command("/drop;table") is None


async def test_unknown_command_gets_an_answer(bot: Harness) -> None:
    reply = await bot.say("/frobnicate")
    assert "/frobnicate" in reply.text and "/help" in reply.text


async def test_empty_and_whitespace_messages_get_an_answer(bot: Harness) -> None:
    await to_name_step(bot)
    reply = await bot.say("   \n\t ")
    assert "empty" in reply.text
    member = bot.member()
    assert member is not None and member.display_name is None


async def test_overlong_message_is_refused_and_changes_nothing(bot: Harness) -> None:
    await to_name_step(bot)
    reply = await bot.say("a" * 5000)
    assert "too long" in reply.text and "4,096" in reply.text
    member = bot.member()
    assert member is not None and member.display_name is None


async def test_sticker_where_text_was_expected_gets_an_answer_and_the_question_again(
    bot: Harness,
) -> None:
    await to_name_step(bot)
    reply = await bot.send_sticker()
    assert "only read text" in reply.texts[0]
    assert "What would you like me to call you" in reply.texts[1]


async def test_number_outside_the_choices(bot: Harness) -> None:
    await bot.say("/start")
    reply = await bot.say("7")
    assert "from 1 to 3" in reply.text
    member = bot.member()
    assert member is not None and member.language is None


async def test_choice_by_option_text_ignores_case_and_accents(bot: Harness) -> None:
    await bot.say("/start")
    await bot.say("francais")
    member = bot.member()
    assert member is not None and member.language == "fr"


async def test_answering_an_old_prompt_is_refused_and_the_current_question_asked(
    bot: Harness,
) -> None:
    first = await bot.say("/start")
    old_prompt = first.choice.prompt_id
    await bot.say("1")
    await bot.say("Alex")
    reply = await bot.press(old_prompt, "nl")
    assert "no longer open" in reply.text
    assert "Where do you live" in reply.text
    member = bot.member()
    assert member is not None and member.language == "en"


async def test_a_pressed_button_answers_the_current_prompt(bot: Harness) -> None:
    first = await bot.say("/start")
    reply = await bot.press(first.choice.prompt_id, "fr")
    member = bot.member()
    assert member is not None and member.language == "fr"
    assert reply.messages


async def test_a_forged_option_key_is_refused(bot: Harness) -> None:
    first = await bot.say("/start")
    reply = await bot.press(first.choice.prompt_id, "de")
    assert "no longer open" in reply.text
    member = bot.member()
    assert member is not None and member.language is None


async def test_two_messages_from_one_member_are_handled_in_order(bot: Harness) -> None:
    await to_name_step(bot)
    chat_before = len(bot.outbox.sent)
    await asyncio.gather(bot.say("Alex"), bot.say("Brussels"))
    member = bot.member()
    assert member is not None
    assert member.display_name == "Alex"
    assert member.country_code == "BE"
    texts = [m.body.text for m in bot.outbox.sent[chat_before:]]
    assert texts[0].startswith("Nice to meet you, Alex")


async def test_direct_only_commands_in_a_group_point_to_the_private_chat(bot: Harness) -> None:
    reply = await bot.say("/mydata", chat="group-1")
    assert len(reply.messages) == 1
    body = reply.messages[0].body
    assert isinstance(body, OpenPrivateChat)
    assert body.start == "mydata"
    assert "private conversation" in body.text


async def test_plain_text_in_a_group_is_left_alone(bot: Harness) -> None:
    reply = await bot.say("hello everyone", chat="group-1")
    assert reply.messages == []


async def test_help_lists_commands_in_the_member_language(bot: Harness) -> None:
    reply = await bot.say("/help", lang="fr")
    assert "/mydata" in reply.text and "/forget" in reply.text
    assert "What I can do" not in reply.text


@pytest.mark.parametrize("lang", ["en", "fr", "nl"])
async def test_an_unexpected_exception_becomes_an_apology_and_a_log_line(
    app, caplog: pytest.LogCaptureFixture, lang: str
) -> None:
    broken = Router("broken")

    @broken.command("explode", description="", access=EVERYWHERE)
    async def explode(conv: Conversation, _command: CommandMessage) -> None:
        conv.reply("half-done")
        conv.member.display_name = "should not be saved"
        raise RuntimeError("boom")

    app.dispatcher = Dispatcher(app.services, [*all_routers(), broken])
    bot = Harness(app)
    with caplog.at_level(logging.ERROR):
        reply = await bot.say("/explode", lang=lang)
    assert len(reply.messages) == 1 and isinstance(reply.messages[0].body, Text)
    # In the member's language: the English words only for an English reader.
    assert (ENGLISH_APOLOGY in reply.text) == (lang == "en")
    assert "half-done" not in reply.text
    logged = [r for r in caplog.records if "error" in r.getMessage() and r.exc_info]
    assert logged, "the failure was not logged"
    error_id = logged[0].getMessage().split()[1]
    assert error_id in reply.text
    member = bot.member()
    assert member is None or member.display_name != "should not be saved"
    # The bot keeps running: the next message is answered normally.
    reply = await bot.say("/help", lang=lang)
    assert "/mydata" in reply.text


async def test_a_button_position_answers_like_its_key(bot: Harness) -> None:
    from bot.core.events import ChatRef, ChoiceMade

    first = await bot.say("/start")
    reply = await bot.send(
        ChoiceMade(
            chat=ChatRef("test", "dm-alice"),
            chat_kind="direct",
            sender=bot.sender("alice", None),
            prompt_id=first.choice.prompt_id,
            indexes=(2,),
        )
    )
    member = bot.member()
    assert member is not None and member.language == "nl"
    assert reply.messages
