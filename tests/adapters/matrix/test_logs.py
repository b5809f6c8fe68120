"""What the Matrix adapter logs, at every level, holds no password, access token or
connect code (a scenario from login to /connect)."""

from __future__ import annotations

import logging
import re

import pytest

from tests.adapters.matrix.conftest import StartBot, StartHuman
from tests.adapters.matrix.human import body_of
from tests.support.synapse import Synapse


async def test_the_matrix_logs_hold_no_password_token_or_code(
    synapse: Synapse,
    start_bot: StartBot,
    start_human: StartHuman,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, every level: nio, aiohttp, ours
    bot = await start_bot(synapse)
    ann = await start_human(synapse)
    room = await ann.direct_chat(bot.user_id)
    await ann.say(room, "!start")
    await ann.expect(room, bot.user_id)
    await ann.say(room, "!connect")
    shown = body_of(await ann.expect(room, bot.user_id, "connect"))
    code = re.search(r"([0-9A-Z]{5}-[0-9A-Z]{5})", shown)
    assert code, shown
    await ann.say(room, "!connect 00000-00000")
    await ann.expect(room, bot.user_id)
    logged = "\n".join(
        [caplog.text]
        + [r.getMessage() for r in caplog.records]
        + [repr(r.args) for r in caplog.records]
    )
    assert len(caplog.records) > 10  # the scenario did log
    token = bot.adapter.client.access_token
    assert token
    secrets = {
        "password": bot.account.password,
        "access token": token,
        "connect code": code.group(1),
        "connect code without its dash": code.group(1).replace("-", ""),
    }
    leaked = [name for name, secret in secrets.items() if secret in logged]
    assert leaked == []
