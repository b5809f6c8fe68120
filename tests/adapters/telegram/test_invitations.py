"""A personal invitation on Telegram: a deep link shown in the text and on a button, and the
newcomer who follows it lands in onboarding."""

from __future__ import annotations

import re
from typing import Any

from tests.support.fake_telegram import FakeTelegram


async def test_invite_gives_a_deep_link_that_starts_onboarding(
    fake: FakeTelegram, talk: Any
) -> None:
    ann, bo = fake.person("Ann", language_code="en"), fake.person("Bo", language_code="fr")
    answer = await talk(ann).say("/invite")
    assert "You are invited to Common Ground" in answer[-1]["text"]  # no name given yet
    await talk(ann).say("/start")
    await talk(ann).say("1")
    await talk(ann).say("Ann")
    answer = await talk(ann).say("/invite")
    shared = answer[-1]
    button = shared["reply_markup"]["inline_keyboard"][0][0]
    match = re.fullmatch(r"https://t\.me/chapter_test_bot\?start=(i-[0-9A-Z]{10})", button["url"])
    assert match, button
    assert button["url"] in shared["text"]  # forwarded without its button, it still works
    assert "Ann invites you" in shared["text"]
    # Following the link, Telegram sends "/start i-…" in the newcomer's private chat.
    reply = await talk(bo).say(f"/start {match.group(1)}")
    assert "Quelle langue" in reply[-1]["text"], reply[-1]["text"]
