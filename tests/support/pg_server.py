"""A PostgreSQL server of a test's own (initdb + pg_ctl on a free port in a temp dir), for
tests that stop and start it: the shared server other tests use is never touched."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest


def _binaries() -> Path | None:
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(folder, "pg_ctl")):
            return Path(folder)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PrivateServer:
    bin: Path
    data: Path
    port: int
    run_as: list[str]  # PostgreSQL refuses to run as root: as the postgres user then

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.data), *args],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg_ctl("-w", "-l", str(self.data / "server.log"), "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-w", "-m", mode, "stop")


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (under CI the PostgreSQL fault tests must run)")
    pytest.skip(reason)


@contextmanager
def private_postgres() -> Iterator[PrivateServer]:
    folder = _binaries()
    if folder is None:
        _skip_or_fail("no PostgreSQL binaries (initdb, pg_ctl) on this machine")
    assert folder is not None
    run_as: list[str] = []
    root = tempfile.mkdtemp(prefix="chapterbot-pg-")
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            _skip_or_fail("running as root and there is no postgres user to run PostgreSQL")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data = Path(root) / "data"
    try:
        subprocess.run(
            [
                *run_as,
                str(folder / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        server = PrivateServer(folder, data, _free_port(), run_as)
        server.start()
        try:
            yield server
        finally:
            with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
                server.stop("immediate")
    finally:
        shutil.rmtree(root, ignore_errors=True)
