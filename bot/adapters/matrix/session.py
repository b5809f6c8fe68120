"""Logging in once: the device and access token are kept, so a restart reuses them."""

from __future__ import annotations

import logging

from nio import AsyncClient, LoginResponse, WhoamiResponse

from bot.adapters.matrix.config import MatrixConfig
from bot.adapters.matrix.store import MatrixStore, SavedSession
from bot.adapters.redact import hide_in_logs, quiet

log = logging.getLogger(__name__)

DEVICE_NAME = "chapterbot"


class LoginFailed(RuntimeError):
    """The homeserver refused the credentials: retrying will not help."""


async def open_session(client: AsyncClient, config: MatrixConfig, store: MatrixStore) -> None:
    """Restore the saved session, else log in (or adopt the configured token) and save it."""
    # nio logs whole responses at DEBUG (a login's access token, members' messages).
    quiet(("nio", logging.INFO))
    hide_in_logs(config.password or "")
    hide_in_logs(config.access_token or "")
    saved = store.session()
    usable = saved and saved.homeserver == config.homeserver and saved.user_id == config.user_id
    # A configured token that differs from the saved one is a deliberate change: adopt it.
    if usable and saved and (not config.access_token or config.access_token == saved.access_token):
        client.restore_login(saved.user_id, saved.device_id, saved.access_token)
        hide_in_logs(saved.access_token)
        log.info("Matrix: resumed session of %s (device %s)", saved.user_id, saved.device_id)
        return
    await log_in(client, config, store)


async def log_in(client: AsyncClient, config: MatrixConfig, store: MatrixStore) -> None:
    if config.access_token:
        client.access_token = config.access_token
        who = await client.whoami()
        if not isinstance(who, WhoamiResponse):
            raise LoginFailed(f"the access token was refused: {who.status_code} {who.message}")
        if who.user_id != config.user_id:
            raise LoginFailed(f"the access token belongs to {who.user_id}, not {config.user_id}")
        device_id = who.device_id or ""
        client.restore_login(who.user_id, device_id, config.access_token)
        session = SavedSession(config.homeserver, who.user_id, device_id, config.access_token)
    elif config.password:
        response = await client.login(config.password, device_name=DEVICE_NAME)
        if not isinstance(response, LoginResponse):
            raise LoginFailed(f"login refused: {response.status_code} {response.message}")
        session = SavedSession(
            config.homeserver, response.user_id, response.device_id, response.access_token
        )
    else:
        raise LoginFailed("neither a password nor an access token is configured")
    hide_in_logs(session.access_token)
    store.save_session(session)
    log.info("Matrix: logged in as %s (device %s)", session.user_id, session.device_id)
