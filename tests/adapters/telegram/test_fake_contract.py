"""The fake keeps Telegram's contract: every shape it returns parses with python-telegram-bot's
own classes, with no field left over, and it refuses what Telegram refuses."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    ChatFullInfo,
    ChatInviteLink,
    ChatMember,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    Poll,
    ReplyKeyboardMarkup,
    TelegramObject,
    Update,
    User,
    WebhookInfo,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, EndPointNotFound, Forbidden, RetryAfter

from tests.support.fake_telegram import FakeTelegram
from tests.support.fake_telegram.flood import FloodControl
from tests.support.fake_telegram.html import EntityParseError, parse_html

# What each method answers with, as python-telegram-bot reads it.
RESULT_TYPES: dict[str, type[TelegramObject]] = {
    "getMe": User,
    "sendMessage": Message,
    "editMessageText": Message,
    "editMessageReplyMarkup": Message,
    "sendPoll": Message,
    "sendLocation": Message,
    "stopPoll": Poll,
    "getChat": ChatFullInfo,
    "getChatMember": ChatMember,
    "getChatAdministrators": ChatMember,
    "createChatInviteLink": ChatInviteLink,
    "getWebhookInfo": WebhookInfo,
    "getMyCommands": BotCommand,
    "getUpdates": Update,
}

# python-telegram-bot itself warns when it builds a RetryAfter (its retry_after type changes).
pytestmark = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)


def leftovers(obj: Any, path: str = "") -> list[str]:
    """Fields python-telegram-bot did not recognize, anywhere in a parsed object."""
    if isinstance(obj, list | tuple):
        return [x for i, item in enumerate(obj) for x in leftovers(item, f"{path}[{i}]")]
    if not isinstance(obj, TelegramObject):
        return []
    found = [f"{path or type(obj).__name__}: {sorted(obj.api_kwargs)}"] if obj.api_kwargs else []
    for name, value in obj._get_attrs(recursive=False).items():
        found += leftovers(value, f"{path}.{name}")
    return found


@pytest.fixture
async def bare() -> AsyncIterator[tuple[FakeTelegram, Bot]]:
    """The fake and a plain python-telegram-bot Bot, no chapterbot in between."""
    fake = FakeTelegram()
    await fake.start()
    bot = Bot(fake.token, base_url=f"{fake.url}/bot", base_file_url=f"{fake.url}/file/bot")
    await bot.initialize()
    try:
        yield fake, bot
    finally:
        await bot.shutdown()
        await fake.stop()


async def exercise_everything(fake: FakeTelegram, bot: Bot) -> None:
    """Call every method the fake implements and push every kind of update."""
    ann, bo = fake.person("Ann", language_code="fr", username="ann"), fake.person("Bo")
    private = fake.private_chat(ann)
    group = fake.group("Ghent", {ann: "creator", bo: "administrator"})
    fake.add_bot(ann, group, as_admin=True)
    fake.join(fake.person("Cy"), group)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="c|p|0")]])
    sent = await bot.send_message(
        ann.id,
        "<b>Hi</b> <a href='https://example.org'>there</a> 🙂 /help",
        ParseMode.HTML,
        reply_markup=keyboard,
    )
    await bot.send_message(
        ann.id,
        "Where?",
        reply_markup=ReplyKeyboardMarkup([[KeyboardButton("Here", request_location=True)]]),
    )
    fake.press(ann, sent.to_dict(), "Yes")
    fake.say(ann, "/start chapter-ghent")
    fake.share_location(ann, 50.85, 4.35)
    fake.send_sticker(ann)
    await bot.edit_message_text("<i>Hi</i>", ann.id, sent.message_id, parse_mode=ParseMode.HTML)
    await bot.edit_message_reply_markup(ann.id, sent.message_id, reply_markup=keyboard)
    poll_message = await bot.send_poll(group.id, "When?", ["Mon", "Tue"], is_anonymous=False)
    fake.vote(bo, poll_message.to_dict(), [1])
    await bot.stop_poll(group.id, poll_message.message_id)
    await bot.send_location(ann.id, 50.85, 4.35)
    await bot.get_chat(private.id)
    await bot.get_chat(group.id)
    for user_id in (ann.id, bo.id, fake.bot_id, fake.person("Dee").id):
        await bot.get_chat_member(group.id, user_id)
    await bot.get_chat_administrators(group.id)
    await bot.create_chat_invite_link(group.id, member_limit=1, name="for Bo")
    await bot.set_my_commands([BotCommand("help", "Help")], scope=BotCommandScopeAllGroupChats())
    await bot.get_my_commands(scope=BotCommandScopeAllGroupChats())
    await bot.get_webhook_info()
    fake.block_bot(bo)
    fake.remove_bot(ann, group)
    await bot.get_updates(timeout=0)
    await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="s3cret")
    await bot.get_webhook_info()
    await bot.delete_webhook()
    for query_id in list(fake.callback_queries):
        await bot.answer_callback_query(query_id)


async def test_every_shape_parses_with_python_telegram_bot(
    bare: tuple[FakeTelegram, Bot],
) -> None:
    fake, bot = bare
    await exercise_everything(fake, bot)
    methods = {method for method, _result in fake.results}
    assert set(RESULT_TYPES) <= methods, f"not exercised: {set(RESULT_TYPES) - methods}"
    problems = []
    for method, result in fake.results:
        kind = RESULT_TYPES.get(method)
        if kind is None:
            assert result is True, f"{method} answered {result!r}"
            continue
        items = result if isinstance(result, list) else [result]
        for item in items:
            parsed = kind.de_json(item, bot)
            problems += [f"{method}: {p}" for p in leftovers(parsed)]
    kinds = {
        key
        for method, result in fake.results
        if method == "getUpdates"
        for u in result
        for key in u
    }
    assert {"message", "callback_query", "poll", "poll_answer", "my_chat_member"} <= kinds
    assert not problems, "\n".join(problems)
    fake.check()


async def test_unknown_methods_and_parameters_are_problems(
    bare: tuple[FakeTelegram, Bot],
) -> None:
    fake, bot = bare
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendCarrierPigeon", api_kwargs={"chat_id": 1})
    fake.private_chat(fake.person("Ann"))
    await bot.send_message(1001, "hi", api_kwargs={"colour": "red"})
    assert any("sendCarrierPigeon" in p for p in fake.problems)
    assert any("colour" in p for p in fake.problems)
    with pytest.raises(AssertionError, match="problems"):
        fake.check()


async def test_unanswered_buttons_are_problems(bare: tuple[FakeTelegram, Bot]) -> None:
    fake, bot = bare
    ann = fake.person("Ann")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await bot.send_message(fake.private_chat(ann).id, "Ready?", reply_markup=keyboard)
    fake.press(ann, sent.to_dict(), "Go")
    with pytest.raises(AssertionError, match="never answered"):
        fake.check()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a < b", "Unsupported start tag"),
        ("fish & chips", "Character entity expected"),
        ("<blink>x</blink>", 'Unsupported start tag "blink"'),
        ("<b>bold", "Can't find end tag"),
        ("<b><i>x</b></i>", "Unmatched end tag"),
        ("x</b>", "Unexpected end tag"),
        ("<a>x</a>", "Empty href"),
        ("&nbsp;", "Unsupported HTML entity"),
    ],
)
def test_html_that_telegram_refuses(text: str, message: str) -> None:
    with pytest.raises(EntityParseError, match=message):
        parse_html(text)


def test_html_that_telegram_accepts() -> None:
    text, entities = parse_html(
        '  🙂 <b>bold <i>both</i></b> &lt;3 &amp; <a href="https://x.org/?a=1&amp;b=2">link</a>'
        '\n<pre><code class="language-python">x = 1</code></pre>  '
    )
    assert text == "🙂 bold both <3 & link\nx = 1"
    by_type = {e["type"]: e for e in entities}
    assert by_type["bold"] == {"type": "bold", "offset": 3, "length": 9}  # 🙂 is 2 UTF-16 units
    assert by_type["italic"]["offset"] == 8
    assert by_type["text_link"]["url"] == "https://x.org/?a=1&b=2"
    assert by_type["pre"]["language"] == "python"


async def test_telegram_errors_reach_the_bot_as_telegram_sends_them(
    bare: tuple[FakeTelegram, Bot],
) -> None:
    fake, bot = bare
    ann = fake.person("Ann")
    chat = fake.private_chat(ann)
    fake.allow_error("")  # this test provokes errors on purpose
    with pytest.raises(BadRequest, match="parse entities"):
        await bot.send_message(chat.id, "1 < 2", parse_mode=ParseMode.HTML)
    sent = await bot.send_message(chat.id, "same")
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("same", chat.id, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        long_data = InlineKeyboardButton("x", callback_data="x" * 65)
        await bot.send_message(chat.id, "hi", reply_markup=InlineKeyboardMarkup([[long_data]]))
    with pytest.raises(BadRequest, match=r"[Cc]hat not found"):
        await bot.send_message(424242, "hi")
    fake.fail("sendMessage", 429, retry_after=7)
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(chat.id, "hi")
    assert flood.value._retry_after.total_seconds() == 7
    fake.block_bot(ann, tell_the_bot=False)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(chat.id, "hi")


async def test_flood_control_answers_429_past_telegrams_limits(
    bare: tuple[FakeTelegram, Bot],
) -> None:
    fake, bot = bare
    fake.flood = FloodControl(slack=0)
    ann, bob = fake.person("Ann"), fake.person("Bob")
    ann_chat, bob_chat = fake.private_chat(ann), fake.private_chat(bob)
    group = fake.group("Chapter", {ann: "creator"})
    fake.add_bot(ann, group)
    # A private chat takes a short burst, then about one message a second.
    for n in range(20):
        await bot.send_message(ann_chat.id, f"burst {n}")
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(ann_chat.id, "one too many")
    assert flood.value._retry_after.total_seconds() >= 1
    await bot.send_message(bob_chat.id, "another chat is not held back")
    assert fake.flood.refused == {"private": 1}
    # A group: 20 a minute.
    fake.flood = FloodControl(slack=0)
    for n in range(20):
        await bot.send_message(group.id, f"group {n}")
    with pytest.raises(RetryAfter):
        await bot.send_message(group.id, "one too many")
    assert fake.flood.refused == {"group": 1}
    # The whole bot: about 30 a second, whatever the chats (a getMe does not count).
    fake.flood = FloodControl(slack=0)
    people = [fake.private_chat(fake.person(f"P{n}")) for n in range(60)]
    await bot.get_me()
    answers = await asyncio.gather(
        *(bot.send_message(chat.id, "hi") for chat in people), return_exceptions=True
    )
    refused = [a for a in answers if isinstance(a, RetryAfter)]
    assert refused and len(refused) == fake.flood.refused["overall"] == fake.flood.refusals
    assert len(answers) - len(refused) == fake.flood.accepted >= 30
