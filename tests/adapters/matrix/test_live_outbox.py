"""Replies the homeserver does not take in time wait in the outbox table: never lost."""

from __future__ import annotations

from bot.adapters.matrix.outbox import LiveOutbox
from bot.app import Application
from bot.core.events import ChatRef
from bot.core.outbox import DeliveryFailed
from bot.core.outgoing import Outgoing, Text
from bot.storage.outbox import OutboxStore


class UnreachableOutbox:
    def __init__(self) -> None:
        self.tries = 0

    async def send(self, message: Outgoing) -> None:
        self.tries += 1
        raise DeliveryFailed("homeserver unreachable", retry_after=30)


async def test_a_reply_that_cannot_be_delivered_now_is_queued_in_order(app: Application) -> None:
    woken: list[bool] = []
    failing = UnreachableOutbox()
    live = LiveOutbox(failing, app.services.database, on_queued=lambda: woken.append(True))
    chat = ChatRef("matrix", "!room:example.org")
    first, second = Outgoing(chat, Text("one")), Outgoing(chat, Text("two"))

    await live.send(first)
    await live.send(second)  # not tried: the homeserver just failed, keep the order

    assert failing.tries == 1
    assert woken == [True, True]
    with app.services.database.session() as session:
        claimed = OutboxStore(session).claim("matrix")
    assert [message.id for _id, message in claimed] == [first.id, second.id]
