"""Telegram, through python-telegram-bot: long polling or a webhook, inbound and outbound.

`create_adapter(app)` gives the adapter `chapterbot run` starts beside the others.
"""

from bot.adapters.telegram.adapter import TelegramAdapter, create_adapter

__all__ = ["TelegramAdapter", "create_adapter"]
