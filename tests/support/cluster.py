"""Several `chapterbot run` processes on one PostgreSQL database, as a deployment runs them:
real subprocesses, each with its Telegram webhook server behind a round-robin load balancer,
all of them on one fake Bot API and, when given, one Synapse."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import aiohttp
from aiohttp import web

from tests.support.fake_telegram import SECRET_HEADER, FakeTelegram
from tests.support.synapse import RegisteredUser, Synapse

CHAPTERBOT = Path(sys.executable).with_name("chapterbot")
WEBHOOK_PATH = "/telegram"
WEBHOOK_SECRET = "cluster-secret_0123456789"
LEADS = "this process leads"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Balancer:
    """Round-robin in front of the webhook servers; a backend that does not answer is
    skipped for the next one (as a load balancer's health check would)."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.port = free_port()
        self.routed: Counter[int] = Counter()  # port → updates it answered with 200
        self._turn = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    async def start(self) -> None:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post(WEBHOOK_PATH, self._forward)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        body = await request.read()
        headers = {
            "Content-Type": "application/json",
            SECRET_HEADER: request.headers.get(SECRET_HEADER, ""),
        }
        for _ in self.ports:
            port = self.ports[self._turn % len(self.ports)]
            self._turn += 1
            try:
                async with self._session.post(
                    f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
                    data=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=30),
                ) as answer:
                    if answer.status == 200:
                        self.routed[port] += 1
                    return web.Response(status=answer.status, text=await answer.text())
            except (aiohttp.ClientError, TimeoutError):
                continue
        return web.Response(status=502)


class BotProcess:
    def __init__(self, env: dict[str, str], port: int, log_path: Path) -> None:
        self.env, self.port, self.log_path = env, port, log_path
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                str(CHAPTERBOT), "run", env=self.env, stdout=log, stderr=subprocess.STDOUT
            )

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.returncode is None

    @property
    def leads(self) -> bool:
        return self.alive and LEADS in self.log

    async def kill(self) -> None:
        """SIGKILL: no cleanup of any kind, as when the machine dies under it."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> int | None:
        if self.process is None or self.process.returncode is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.wait_for(self.process.wait(), 20)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()


def environment(
    database_url: str,
    fake: FakeTelegram,
    balancer: Balancer,
    folder: Path,
    locales_dir: Path,
    cache_dir: Path,
    synapse: tuple[Synapse, RegisteredUser] | None = None,
    **extra: str,
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAPTERBOT_")}
    env.update(
        CHAPTERBOT_DATABASE_URL=database_url,
        CHAPTERBOT_DATA_DIR=str(folder),
        CHAPTERBOT_LOCALES_DIR=str(locales_dir),
        CHAPTERBOT_CACHE_DIR=str(cache_dir),
        CHAPTERBOT_LOG_LEVEL="INFO",
        CHAPTERBOT_TELEGRAM_TOKEN=fake.token,
        CHAPTERBOT_TELEGRAM_API_URL=fake.url,
        CHAPTERBOT_TELEGRAM_WEBHOOK_URL=balancer.url,
        CHAPTERBOT_TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    if synapse is not None:
        server, account = synapse
        env.update(
            CHAPTERBOT_MATRIX_HOMESERVER=server.url,
            CHAPTERBOT_MATRIX_USER=account.user_id,
            CHAPTERBOT_MATRIX_PASSWORD=account.password,
        )
    env.update({f"CHAPTERBOT_{k}": v for k, v in extra.items()})
    return env


def upgrade(env: dict[str, str]) -> None:
    """`chapterbot db upgrade`, once, before the processes start."""
    subprocess.run([str(CHAPTERBOT), "db", "upgrade"], env=env, check=True, capture_output=True)


@contextlib.asynccontextmanager
async def cluster(
    count: int,
    env: dict[str, str],
    balancer: Balancer,
    folder: Path,
):  # type: ignore[no-untyped-def]
    """Start `count` processes together (each on one of the balancer's ports)."""
    processes = []
    try:
        for index, port in enumerate(balancer.ports[:count]):
            process_env = {**env, "CHAPTERBOT_TELEGRAM_LISTEN": f"127.0.0.1:{port}"}
            processes.append(BotProcess(process_env, port, folder / f"process-{index}.log"))
        await asyncio.gather(*(p.start() for p in processes))
        yield processes
    finally:
        codes = await asyncio.gather(*(p.stop() for p in processes))
        for process, code in zip(processes, codes, strict=True):
            if code not in (0, -signal.SIGKILL):
                raise AssertionError(f"a process ended with {code}:\n{process.log[-3000:]}")
