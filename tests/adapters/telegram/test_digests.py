"""A chapter chat's digest on Telegram with the real clock: one HTML message, links in it,
link previews off."""

from __future__ import annotations

import json
from typing import Any

from bot.app import Application
from bot.scheduling.clock import Clock
from tests.support.digests import blog_for_chat, digest_due_in
from tests.support.fake_telegram import FakeTelegram


async def test_a_digest_reaches_the_group_as_one_message(
    fake: FakeTelegram, talk: Any, telegram_app: Application
) -> None:
    ann = fake.person("Ann")
    group = fake.group("Brussels", {ann: "administrator"})
    await talk(ann, group).handled(fake.add_bot(ann, group))
    blog_for_chat(telegram_app, "telegram", str(group.id))
    clock = Clock.for_router(telegram_app.services, telegram_app.dispatcher.router)
    clock.start()
    try:
        before = len(fake.calls_of("sendMessage"))
        digest_due_in(telegram_app, 1)
        await fake.wait_for(
            lambda: any("New on the blogs" in m.get("text", "") for m in fake.bot_messages(group)),
            timeout=10,
            what="the digest in the group",
        )
    finally:
        clock.stop()
    sent = [c for c in fake.calls_of("sendMessage")[before:] if "blogs" in c.params["text"]]
    assert len(sent) == 1  # one message for both posts
    params = sent[0].params
    assert str(params["chat_id"]) == str(group.id) and params["parse_mode"] == "HTML"
    text = params["text"]
    assert text.startswith("<b>New on the blogs</b>\n\n<b>Brussels chapter blog</b>\n")
    assert '<a href="https://brussels.example.org/soup">Soup &amp; solidarity</a>' in text
    assert text.index("/soup") < text.index("/flyers")  # newest first
    assert "We cooked for 80 people." in text
    assert all(
        "link_preview_options" not in c.params for c in fake.calls_of("sendMessage")[:before]
    )
    previews = params["link_preview_options"]
    previews = previews if isinstance(previews, dict) else json.loads(previews)
    assert previews == {"is_disabled": True}
