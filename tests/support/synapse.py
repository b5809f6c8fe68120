"""A real Synapse homeserver for tests and benchmarks: started as a subprocess on 127.0.0.1.

No federation, no presence, SQLite (in memory unless a file is asked for), fast password
hashing and, unless `default_rate_limits`, rate limits raised so that clients never sleep on a
429. Users are registered with the shared secret (the admin register API).
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVER_NAME = "chapterbot.test"
STARTUP_TIMEOUT = 90.0

# Every client-facing limit Synapse has, raised far beyond what a test does.
_UNLIMITED = {"per_second": 10000, "burst_count": 10000}
RAISED_RATE_LIMITS: dict[str, Any] = {
    "rc_message": _UNLIMITED,
    "rc_registration": _UNLIMITED,
    "rc_registration_token_validity": _UNLIMITED,
    "rc_login": {"address": _UNLIMITED, "account": _UNLIMITED, "failed_attempts": _UNLIMITED},
    "rc_admin_redaction": _UNLIMITED,
    "rc_joins": {"local": _UNLIMITED, "remote": _UNLIMITED},
    "rc_joins_per_room": _UNLIMITED,
    "rc_invites": {"per_room": _UNLIMITED, "per_user": _UNLIMITED, "per_issuer": _UNLIMITED},
    "rc_third_party_invite": _UNLIMITED,
    "rc_3pid_validation": _UNLIMITED,
    "rc_key_requests": _UNLIMITED,
    "rc_media_create": _UNLIMITED,
    "rc_presence": {"per_user": _UNLIMITED},
    "rc_delayed_event_mgmt": _UNLIMITED,
    "rc_room_creation": _UNLIMITED,
    "rc_reports": _UNLIMITED,
    "rc_user_directory": _UNLIMITED,
    "rc_profile": _UNLIMITED,
}


class SynapseUnavailable(RuntimeError):
    """Synapse could not be started here; the message says why."""


@dataclass(frozen=True, slots=True)
class RegisteredUser:
    user_id: str
    password: str
    access_token: str
    device_id: str


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(
    directory: Path, port: int, secret: str, database: str, default_rate_limits: bool
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "server_name": SERVER_NAME,
        "public_baseurl": f"http://127.0.0.1:{port}/",
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": database}},
        "log_config": str(directory / "log.yaml"),
        "media_store_path": str(directory / "media"),
        "signing_key_path": str(directory / "signing.key"),
        "pid_file": str(directory / "homeserver.pid"),
        "report_stats": False,
        "enable_metrics": False,
        "registration_shared_secret": secret,
        "enable_registration": False,
        "macaroon_secret_key": secrets.token_hex(16),
        "form_secret": secrets.token_hex(16),
        "bcrypt_rounds": 4,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "federation_domain_whitelist": [],
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        "user_directory": {"enabled": False},
    }
    if not default_rate_limits:
        config.update(RAISED_RATE_LIMITS)
    return config


def _log_config(directory: Path) -> dict[str, Any]:
    # Warnings only, to a file: kept beside the config for a look after a failure.
    return {
        "version": 1,
        "formatters": {"plain": {"format": "%(asctime)s %(name)s %(levelname)s %(message)s"}},
        "handlers": {
            "file": {
                "class": "logging.FileHandler",
                "formatter": "plain",
                "filename": str(directory / "homeserver.log"),
            }
        },
        "root": {"level": "WARNING", "handlers": ["file"]},
        "disable_existing_loggers": False,
    }


def _write_signing_key(path: Path) -> None:
    from signedjson.key import generate_signing_key, write_signing_keys

    with path.open("w") as handle:
        write_signing_keys(handle, [generate_signing_key("a_test")])


class Synapse:
    """One homeserver process. `start()` waits until it answers; `stop()` ends it."""

    def __init__(
        self,
        directory: Path,
        *,
        on_disk: bool = False,
        default_rate_limits: bool = False,
        port: int | None = None,
    ) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.shared_secret = secrets.token_hex(16)
        self.process: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "media").mkdir(exist_ok=True)
        database = str(directory / "homeserver.db") if on_disk else ":memory:"
        config = _config(directory, self.port, self.shared_secret, database, default_rate_limits)
        # JSON is valid YAML: no YAML writer needed.
        self.config_path = directory / "homeserver.yaml"
        self.config_path.write_text(json.dumps(config, indent=2))
        (directory / "log.yaml").write_text(json.dumps(_log_config(directory)))
        _write_signing_key(directory / "signing.key")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.directory / "homeserver.log"

    def user_id(self, localpart: str) -> str:
        return f"@{localpart}:{SERVER_NAME}"

    # -- process -------------------------------------------------------------------------

    def start(self, timeout: float = STARTUP_TIMEOUT) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        output = (self.directory / "stdout.log").open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "synapse.app.homeserver", "-c", str(self.config_path)],
            cwd=self.directory,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one, never orphaned
        )
        output.close()
        _running.add(self)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.process = None
                _running.discard(self)
                raise SynapseUnavailable(
                    f"Synapse exited at start; see {self.directory / 'stdout.log'}: {self._tail()}"
                )
            if self._answers():
                return
            time.sleep(0.1)
        self.stop()
        raise SynapseUnavailable(f"Synapse did not answer within {timeout:.0f} s")

    def stop(self, timeout: float = 15.0) -> None:
        process, self.process = self.process, None
        _running.discard(self)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout)
        except ProcessLookupError:
            pass

    def __enter__(self) -> Synapse:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/_matrix/client/versions", timeout=1) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def _tail(self) -> str:
        try:
            text = (self.directory / "stdout.log").read_text(errors="replace")
        except OSError:
            return ""
        return text[-2000:]

    # -- HTTP ----------------------------------------------------------------------------

    def request(
        self, method: str, path: str, body: dict | None = None, token: str | None = None
    ) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")

    def register(
        self, localpart: str | None = None, *, admin: bool = False, password: str | None = None
    ) -> RegisteredUser:
        """A new account, through the shared-secret registration API."""
        localpart = localpart or f"user{secrets.token_hex(4)}"
        password = password or secrets.token_urlsafe(12)
        nonce = self.request("GET", "/_synapse/admin/v1/register")["nonce"]
        kind = "admin" if admin else "notadmin"
        message = b"\x00".join(p.encode() for p in (nonce, localpart, password, kind))
        mac = hmac.new(self.shared_secret.encode(), message, hashlib.sha1)
        result = self.request(
            "POST",
            "/_synapse/admin/v1/register",
            {
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        return RegisteredUser(
            result["user_id"], password, result["access_token"], result["device_id"]
        )

    def exempt_from_rate_limits(self, admin: RegisteredUser, user_id: str) -> None:
        self.request(
            "POST",
            f"/_synapse/admin/v1/users/{urllib.request.quote(user_id)}/override_ratelimit",
            {"messages_per_second": 0, "burst_count": 0},
            token=admin.access_token,
        )


_running: set[Synapse] = set()


@atexit.register
def _stop_all() -> None:
    """A last guard (Ctrl-C in the middle of a session): no homeserver outlives its runner."""
    for server in list(_running):
        server.stop()
