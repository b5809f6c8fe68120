"""Reply latency on Matrix: a member sends `!help` to chapterbot through a real Synapse.

Baseline, measured in the same run against the same homeserver: a bare echo bot written
directly with matrix-nio (sync_forever and a callback that sends the text back). Messages to
the two bots alternate, so both see the same machine load. Latency is from the member's send
to the reply arriving in the member's sync.

Run with `make bench` (needs matrix-synapse from the test dependencies). Figures are printed
as `BENCH <name> <value> <unit>`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

from nio import (
    AsyncClient,
    AsyncClientConfig,
    InviteMemberEvent,
    MatrixRoom,
    RoomCreateResponse,
    RoomMessageText,
    RoomPreset,
    SyncResponse,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests/support is not installed with the package

from bot.adapters.matrix import MatrixAdapter  # noqa: E402
from bot.app import build_application  # noqa: E402
from bot.config import DEMO_ORG_FILE, Settings, default_locales_dir  # noqa: E402
from tests.support.synapse import RegisteredUser, Synapse  # noqa: E402

WARM_UP = 5


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(name: str, latencies: list[float]) -> None:
    print(f"BENCH {name}.median {statistics.median(latencies) * 1000:.1f} ms")
    print(f"BENCH {name}.p95 {percentile(latencies, 0.95) * 1000:.1f} ms")


def logged_in(homeserver: str, account: RegisteredUser) -> AsyncClient:
    client = AsyncClient(homeserver, account.user_id, config=AsyncClientConfig())
    client.restore_login(account.user_id, account.device_id, account.access_token)
    return client


class EchoBot:
    """The baseline: what any matrix-nio bot does at the least."""

    def __init__(self, homeserver: str, account: RegisteredUser) -> None:
        self.client = logged_in(homeserver, account)
        self.client.add_event_callback(self.on_invite, InviteMemberEvent)
        self.client.add_event_callback(self.on_text, RoomMessageText)
        self._task: asyncio.Task[None] | None = None

    async def on_invite(self, room: MatrixRoom, event: InviteMemberEvent) -> None:
        if event.state_key == self.client.user_id and event.membership == "invite":
            await self.client.join(room.room_id)

    async def on_text(self, room: MatrixRoom, event: RoomMessageText) -> None:
        if event.sender != self.client.user_id:
            content = {"msgtype": "m.notice", "body": event.body}
            await self.client.room_send(room.room_id, "m.room.message", content)

    async def start(self) -> None:
        await self.client.sync(timeout=0)  # skip what happened before, as chapterbot does
        self._task = asyncio.create_task(self.client.sync_forever(timeout=30_000))

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.close()


class Member:
    """The person measuring: sends a message, waits for the bot's next message in that room."""

    def __init__(self, homeserver: str, account: RegisteredUser) -> None:
        self.client = logged_in(homeserver, account)
        self.replies: dict[str, asyncio.Queue[tuple[str, float]]] = {}
        self.joined: dict[str, asyncio.Event] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.client.sync(timeout=0)
        self._task = asyncio.create_task(self._sync())

    async def _sync(self) -> None:
        while True:
            response = await self.client.sync(timeout=30_000)
            if not isinstance(response, SyncResponse):
                continue
            arrived = time.perf_counter()
            for room_id, info in response.rooms.join.items():
                for event in info.timeline.events:
                    source = event.source
                    if source.get("sender") == self.client.user_id:
                        continue
                    if source.get("type") == "m.room.member":
                        if room_id in self.joined:
                            self.joined[room_id].set()
                    elif source.get("type") == "m.room.message" and room_id in self.replies:
                        body = source.get("content", {}).get("body", "")
                        self.replies[room_id].put_nowait((body, arrived))

    async def direct_chat(self, bot_id: str) -> str:
        response = await self.client.room_create(
            is_direct=True, invite=[bot_id], preset=RoomPreset.trusted_private_chat
        )
        assert isinstance(response, RoomCreateResponse), response
        room_id = response.room_id
        self.replies[room_id] = asyncio.Queue()
        self.joined.setdefault(room_id, asyncio.Event())
        await asyncio.wait_for(self.joined[room_id].wait(), 30)
        return room_id

    async def round_trip(self, room_id: str, text: str) -> float:
        queue = self.replies[room_id]
        while not queue.empty():
            queue.get_nowait()
        started = time.perf_counter()
        content = {"msgtype": "m.text", "body": text}
        await self.client.room_send(room_id, "m.room.message", content, tx_id=secrets.token_hex(8))
        _body, arrived = await asyncio.wait_for(queue.get(), 30)
        return arrived - started

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.client.close()


async def bench(server: Synapse, workdir: Path, messages: int) -> None:
    bot_account, echo_account = server.register("chapterbot"), server.register("echo")
    settings = Settings(
        database_url=f"sqlite:///{workdir / 'bench.sqlite'}",
        org_file=DEMO_ORG_FILE,
        locales_dir=default_locales_dir(),
        cache_dir=None,
        matrix_homeserver=server.url,
        matrix_user=bot_account.user_id,
        matrix_password=bot_account.password,
    )
    app = build_application(settings)
    chapterbot = MatrixAdapter(app)
    await chapterbot.start()
    await asyncio.wait_for(chapterbot.ready.wait(), 30)
    echo = EchoBot(server.url, echo_account)
    await echo.start()
    member = Member(server.url, server.register("member"))
    await member.start()
    try:
        help_room = await member.direct_chat(bot_account.user_id)
        echo_room = await member.direct_chat(echo_account.user_id)
        timings: dict[str, list[float]] = {"help": [], "echo": []}
        for index in range(WARM_UP + messages):
            echo_time = await member.round_trip(echo_room, f"ping {index}")
            help_time = await member.round_trip(help_room, "!help")
            if index >= WARM_UP:
                timings["echo"].append(echo_time)
                timings["help"].append(help_time)
        report("matrix.help", timings["help"])
        report("matrix.baseline_echo", timings["echo"])
        ratio = statistics.median(timings["help"]) / statistics.median(timings["echo"])
        print(f"BENCH matrix.help.median_vs_echo {ratio:.2f} x")
        print(f"# {messages} messages each, after {WARM_UP} to warm up; Synapse at {server.url}")
    finally:
        await member.stop()
        await echo.stop()
        await chapterbot.stop()
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir, Synapse(Path(workdir) / "synapse") as server:
        asyncio.run(bench(server, Path(workdir), args.messages))


if __name__ == "__main__":
    main()
