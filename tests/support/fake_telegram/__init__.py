"""A strict, test-only fake of the Telegram Bot API that bots reach over real HTTP."""

from tests.support.fake_telegram.fake import FakeTelegram
from tests.support.fake_telegram.server import SECRET_HEADER, ApiError
from tests.support.fake_telegram.world import Chat, Person

__all__ = ["SECRET_HEADER", "ApiError", "Chat", "FakeTelegram", "Person"]
