"""Idle memory of `chapterbot run` with both adapters connected: Telegram (the fake Bot API,
long polling) and Matrix (a real Synapse), on an SQLite database already migrated (every
start but the first). Goal: ≤ 120 MB RSS.

Baseline in the same run: a bare python process that imports python-telegram-bot and
matrix-nio and does nothing else.

Run with `make bench` (or `.venv/bin/python benchmarks/bench_memory.py`). Figures are printed
as `BENCH <name> <value> <unit>`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the fake and Synapse's runner live in tests/support

from bot.config import default_locales_dir  # noqa: E402
from tests.support.fake_telegram import FakeTelegram  # noqa: E402
from tests.support.synapse import Synapse  # noqa: E402

CHAPTERBOT = Path(sys.executable).with_name("chapterbot")
CACHE_DIR = Path(os.environ.get("CHAPTERBOT_TEST_CACHE_DIR", ROOT / ".cache" / "chapterbot"))
IDLE = 5.0  # seconds connected and idle before reading the figure
BARE = "import telegram, telegram.ext, nio, sys; print('ready', flush=True); sys.stdin.read()"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def baseline() -> float:
    bare = subprocess.Popen(
        [sys.executable, "-c", BARE], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert bare.stdout is not None and bare.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    figure = rss_mb(bare.pid)
    bare.communicate("")
    return figure


async def wait_until(condition, what: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def chapterbot_idle(folder: Path, synapse: Synapse) -> float:
    account = synapse.register()
    async with FakeTelegram() as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHAPTERBOT_")}
        env.update(
            CHAPTERBOT_DATA_DIR=str(folder),
            CHAPTERBOT_CACHE_DIR=str(CACHE_DIR),
            CHAPTERBOT_LOCALES_DIR=str(default_locales_dir()),
            CHAPTERBOT_LOG_LEVEL="INFO",
            CHAPTERBOT_TELEGRAM_TOKEN=fake.token,
            CHAPTERBOT_TELEGRAM_API_URL=fake.url,
            CHAPTERBOT_MATRIX_HOMESERVER=synapse.url,
            CHAPTERBOT_MATRIX_USER=account.user_id,
            CHAPTERBOT_MATRIX_PASSWORD=account.password,
        )
        # Migrated beforehand, as at every start after the first (Alembic then stays unloaded).
        subprocess.run([str(CHAPTERBOT), "db", "upgrade"], env=env, check=True, capture_output=True)
        log_path = folder / "run.log"
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                str(CHAPTERBOT), "run", env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            await wait_until(lambda: fake.calls_of("getUpdates"), "Telegram long polling")
            await wait_until(lambda: "Matrix: logged in" in log_path.read_text(), "Matrix")
            await asyncio.sleep(IDLE)
            return rss_mb(process.pid)
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)


def main() -> None:
    print(f"BENCH memory.baseline_bare_ptb_nio.rss {baseline():.1f} MB")
    with tempfile.TemporaryDirectory() as folder:
        synapse = Synapse(Path(folder) / "synapse")
        synapse.start()
        try:
            figure = asyncio.run(chapterbot_idle(Path(folder), synapse))
        finally:
            synapse.stop()
    print(f"BENCH memory.chapterbot_run_idle.rss {figure:.1f} MB (goal ≤ 120)")


if __name__ == "__main__":
    main()
