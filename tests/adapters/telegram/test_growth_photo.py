"""/growth on Telegram: the chart goes out with sendPhoto (an uploaded PNG, the caption in
HTML under it), which the fake checks as strictly as Telegram."""

from __future__ import annotations

from typing import Any

from telegram import Message

from tests.support.fake_telegram import FakeTelegram


async def test_growth_is_sent_as_a_photo_with_its_caption(fake: FakeTelegram, talk: Any) -> None:
    ann = fake.person("Ann", language_code="nl")
    chat = talk(ann)
    await chat.say("/start")
    await chat.press(2)  # Nederlands
    answer = await chat.say("/growth all")
    [call] = fake.calls_of("sendPhoto")
    assert call.params["photo"].startswith(b"\x89PNG") and call.params["parse_mode"] == "HTML"
    assert call.params["caption"].startswith("<b>Groei van Common Ground</b>")
    [photo] = [m for m in answer if "photo" in m]
    assert photo["caption"].startswith("Groei van Common Ground")
    assert photo["caption_entities"][0]["type"] == "bold"
    assert photo["photo"][0]["width"] == 800 and photo["photo"][0]["height"] == 450
    parsed = Message.de_json(photo, None)  # the shape PTB reads
    assert parsed is not None and parsed.photo[0].file_size == len(call.params["photo"])
    assert not fake.problems


async def test_the_fake_refuses_a_photo_that_is_not_an_image(fake: FakeTelegram) -> None:
    import aiohttp

    ann = fake.person("Ann")
    fake.private_chat(ann)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(ann.id))
    form.add_field("photo", b"not a picture", filename="x.png", content_type="image/png")
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.url}/bot{fake.token}/sendPhoto", data=form) as response,
    ):
        body = await response.json()
    assert response.status == 400 and "photo" in body["description"]
    fake.problems.clear()
