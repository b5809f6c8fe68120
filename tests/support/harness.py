"""Talk to the whole core as a member would, and read what it answered."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

from bot.adapters.terminal.render import render
from bot.app import Application
from bot.core.events import (
    ChatKind,
    ChatRef,
    ChoiceMade,
    CommandMessage,
    Incoming,
    LocationShared,
    Sender,
    TextMessage,
    UnsupportedMessage,
    parse_command,
)
from bot.core.outgoing import Choice, Outgoing
from bot.storage.members import MemberRepository
from bot.storage.models import Member

PLATFORM = "test"


@dataclass
class RecordingOutbox:
    """The fake outbox: keeps every message the core sent, in order."""

    sent: list[Outgoing] = field(default_factory=list)

    async def send(self, message: Outgoing) -> None:
        self.sent.append(message)


@dataclass
class Reply:
    messages: list[Outgoing]

    @property
    def texts(self) -> list[str]:
        return [render(m) for m in self.messages]

    @property
    def text(self) -> str:
        return "\n\n".join(self.texts)

    @property
    def choice(self) -> Choice:
        choices = [m.body for m in self.messages if isinstance(m.body, Choice)]
        assert choices, f"no choice was offered; the bot said: {self.text!r}"
        return choices[-1]

    def option_number(self, key: str) -> str:
        keys = [o.key for o in self.choice.options]
        assert key in keys, f"no option {key!r} in {keys}"
        return str(keys.index(key) + 1)


class Harness:
    def __init__(self, app: Application) -> None:
        self.app = app
        self.outbox = RecordingOutbox()
        self._ids = count(1)

    def sender(self, member: str, lang: str | None) -> Sender:
        return Sender(PLATFORM, member, display_name=member, handle=member, language_hint=lang)

    def _common(self, member: str, lang: str | None, chat: str | None) -> dict:
        kind: ChatKind = "group" if chat else "direct"
        return {
            "chat": ChatRef(PLATFORM, chat or f"dm-{member}"),
            "chat_kind": kind,
            "sender": self.sender(member, lang),
            "event_id": str(next(self._ids)),
        }

    async def send(self, incoming: Incoming) -> Reply:
        before = len(self.outbox.sent)
        await self.app.dispatcher.handle(incoming, self.outbox)
        return Reply(self.outbox.sent[before:])

    async def say(
        self, text: str, member: str = "alice", lang: str | None = None, chat: str | None = None
    ) -> Reply:
        common = self._common(member, lang, chat)
        command = parse_command(text)
        if command:
            return await self.send(CommandMessage(name=command[0], args=command[1], **common))
        return await self.send(TextMessage(text=text, **common))

    async def share_location(self, lat: float, lon: float, member: str = "alice") -> Reply:
        return await self.send(
            LocationShared(latitude=lat, longitude=lon, **self._common(member, None, None))
        )

    async def press(self, prompt_id: str, *keys: str, member: str = "alice") -> Reply:
        """A button press, as Telegram sends it (prompt id and option keys, no text)."""
        return await self.send(
            ChoiceMade(prompt_id=prompt_id, keys=keys, **self._common(member, None, None))
        )

    async def send_sticker(self, member: str = "alice") -> Reply:
        return await self.send(
            UnsupportedMessage(kind="sticker", **self._common(member, None, None))
        )

    def member(self, name: str = "alice") -> Member | None:
        with self.app.services.database.session() as session:
            found = MemberRepository(session).find_by_identity(PLATFORM, name)
            return found[0] if found else None

    def interests(self, name: str = "alice") -> list[str]:
        member = self.member(name)
        assert member is not None
        with self.app.services.database.session() as session:
            return MemberRepository(session).interests(member.id)


# Answers that take a newcomer through onboarding, per language.
ONBOARDING_SCRIPT = {
    "en": ["/start", "1", "Alice", "London", "1", "1, 2", "1"],
    "fr": ["/start", "2", "Amélie", "Bruxelles", "1", "3", "1"],
    "nl": ["/start", "3", "Jan", "Den Haag", "1", "2 3", "2"],
}
