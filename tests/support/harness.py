"""Talk to the whole core as a member would, and read what it answered."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

from bot.adapters.terminal.render import render
from bot.app import Application
from bot.core.events import (
    BotAdded,
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
from bot.scheduling.outbox import OutboxDrainer
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
        # Babel separates numbers and units with (narrow) no-break spaces; tests read spaces.
        rendered = (render(m).replace("\u202f", " ").replace("\xa0", " ") for m in self.messages)
        return [text for text in rendered if text]

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
        # What the outbox delivered to other chats (notices to organizers, welcomes…).
        self.delivered = RecordingOutbox()
        self._read: dict[str, int] = {}

    async def inbox(self, member: str = "alice", chat: str | None = None) -> Reply:
        """Messages that reached a member's private chat (or a group) since the last look."""
        await OutboxDrainer(self.app.services.database, PLATFORM, self.delivered).drain_once(1000)
        chat_id = chat or f"dm-{member}"
        mine = [m for m in self.delivered.sent if m.chat.chat_id == chat_id]
        start = self._read.get(chat_id, 0)
        self._read[chat_id] = len(mine)
        return Reply(mine[start:])

    async def onboard(
        self, member: str, lang: str = "en", place: str = "Brussels", name: str | None = None
    ) -> None:
        """A member who went through onboarding without joining a chapter."""
        answers = ["/start", {"en": "1", "fr": "2", "nl": "3"}[lang], name or member.title()]
        for answer in answers:
            await self.say(answer, member=member, lang=lang)
        reply = await self.say(place, member=member, lang=lang)
        if any(o.key == "other" for o in reply.choice.options):
            reply = await self.say("1", member=member, lang=lang)
        await self.say(reply.option_number("none"), member=member, lang=lang)
        await self.say("1", member=member, lang=lang)
        await self.say("2", member=member, lang=lang)

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

    async def say_in_group(
        self, text: str, member: str, chat: str, moderator: bool = False, lang: str | None = None
    ) -> Reply:
        common = self._common(member, lang, chat)
        command = parse_command(text)
        if command:
            incoming: Incoming = CommandMessage(
                name=command[0], args=command[1], chat_moderator=moderator, **common
            )
        else:
            incoming = TextMessage(text=text, chat_moderator=moderator, **common)
        return await self.send(incoming)

    async def add_bot_to_group(self, chat: str, by: str) -> Reply:
        return await self.send(BotAdded(title=chat, **self._common(by, None, chat)))

    async def share_location(self, lat: float, lon: float, member: str = "alice") -> Reply:
        return await self.send(
            LocationShared(latitude=lat, longitude=lon, **self._common(member, None, None))
        )

    async def press(self, prompt_id: str, *keys: str, member: str = "alice") -> Reply:
        """A button press (prompt id and option keys, no text)."""
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
