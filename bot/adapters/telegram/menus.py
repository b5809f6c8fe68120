"""The command menus Telegram shows: per language, and apart for private chats and groups."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
)

from bot.core.router import Command
from bot.i18n.catalog import Catalogs
from bot.i18n.locale import SUPPORTED_LANGUAGES

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
MAX_DESCRIPTION = 256


def menu(commands: Iterable[Command], catalogs: Catalogs, language: str) -> list[BotCommand]:
    translator = catalogs.translator(language)
    entries = []
    for command in commands:
        if not _NAME.match(command.name):
            log.warning("command /%s cannot appear in Telegram's menu", command.name)
            continue
        description = translator.gettext(command.description).strip() or command.name
        entries.append(BotCommand(command.name, description[:MAX_DESCRIPTION]))
    return entries


async def publish_menus(
    bot: Bot, commands: dict[str, Command], catalogs: Catalogs, default_language: str
) -> None:
    """Private chats list every command; groups only those that make sense there. The menu
    without a language is for apps in other languages: the bot answers them in the
    organization's default language, so their menu is in it too."""
    scopes: list[tuple[BotCommandScope, list[Command]]] = [
        (BotCommandScopeAllPrivateChats(), list(commands.values())),
        (BotCommandScopeAllGroupChats(), [c for c in commands.values() if not c.direct_only]),
    ]
    for scope, listed in scopes:
        for language in (None, *SUPPORTED_LANGUAGES):
            await bot.set_my_commands(
                menu(listed, catalogs, language or default_language),
                scope=scope,
                language_code=language,
            )
