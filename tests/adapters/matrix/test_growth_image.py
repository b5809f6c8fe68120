"""/growth on a real Synapse: the chart is uploaded to the media repository and posted as
m.image (with its size and dimensions), its caption as a notice after it."""

from __future__ import annotations

import aiohttp

from tests.adapters.matrix.conftest import StartBot, StartHuman
from tests.adapters.matrix.human import body_of
from tests.support.synapse import Synapse


async def test_growth_arrives_as_an_uploaded_m_image(
    synapse: Synapse, start_bot: StartBot, start_human: StartHuman
) -> None:
    bot = await start_bot(synapse)
    ann = await start_human(synapse)
    room = await ann.direct_chat(bot.user_id)
    await ann.say(room, "!growth all")
    image = await ann.expect(room, bot.user_id, "Members per month", timeout=20)
    content = image["content"]
    assert content["msgtype"] == "m.image" and content["url"].startswith("mxc://")
    assert content["info"]["mimetype"] == "image/png"
    assert (content["info"]["w"], content["info"]["h"]) == (800, 450)
    caption = await ann.expect(room, bot.user_id, "Growth of")
    assert caption["content"]["msgtype"] == "m.notice"
    assert "Growth of" in body_of(caption)
    # The picture is really in the media repository.
    server_name, media_id = content["url"].removeprefix("mxc://").split("/", 1)
    url = f"{ann.client.homeserver}/_matrix/client/v1/media/download/{server_name}/{media_id}"
    headers = {"Authorization": f"Bearer {ann.client.access_token}"}
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as response:
        assert response.status == 200
        data = await response.read()
    assert data.startswith(b"\x89PNG") and len(data) == content["info"]["size"]
