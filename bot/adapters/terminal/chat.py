"""Reads lines as one member's messages and prints the bot's answers."""

from __future__ import annotations

import asyncio
import io
import sys
from pathlib import Path
from typing import TextIO

from bot.adapters.terminal.render import render
from bot.app import Application
from bot.core.events import (
    ChatKind,
    ChatRef,
    CommandMessage,
    Incoming,
    LocationShared,
    Sender,
    TextMessage,
    parse_command,
)
from bot.core.outgoing import Image, Outgoing, Text
from bot.i18n.locale import negotiate_language
from bot.i18n.parsing import parse_coordinates
from bot.scheduling.clock import Clock
from bot.scheduling.outbox import OutboxDrainer
from bot.storage.conversations import ConversationRepository
from bot.storage.members import MemberRepository

PLATFORM = "terminal"


class TerminalOutbox:
    def __init__(self, out: TextIO, pictures: Path | None = None) -> None:
        self.out = out
        self.pictures = pictures  # where pictures are saved (the data folder)

    async def send(self, message: Outgoing) -> None:
        text = render(message)
        if isinstance(message.body, Image) and self.pictures is not None:
            # A terminal shows no pictures: the PNG is saved and its path printed.
            self.pictures.mkdir(parents=True, exist_ok=True)
            path = self.pictures / f"{message.id}-{message.body.filename}"
            path.write_bytes(message.body.png)
            text = f"{text}\n{path}"
        if not text:
            return
        self.out.write(text + "\n\n")
        self.out.flush()


class TerminalChat:
    def __init__(
        self,
        app: Application,
        member: str,
        language: str | None = None,
        chat_name: str | None = None,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.app = app
        self.clock = clock
        self.stdin = stdin or sys.stdin
        if isinstance(self.stdin, io.TextIOWrapper):
            # A byte that is not UTF-8 is shown as �, never passed on as a lone surrogate.
            self.stdin.reconfigure(errors="replace")
        self.stdout = stdout or sys.stdout
        self.sender = Sender(
            PLATFORM, member, display_name=member, handle=member, language_hint=language
        )
        self.chat_kind: ChatKind = "group" if chat_name else "direct"
        self.chat = ChatRef(PLATFORM, f"group:{chat_name}" if chat_name else f"dm:{member}")
        self.outbox = TerminalOutbox(self.stdout, app.services.settings.data_dir)
        self.interactive = self.stdin.isatty()
        self._counter = 0
        # Messages other members' actions left for this chat (e.g. a join request to an
        # organizer) are shown when this member's terminal is open.
        self.waiting = OutboxDrainer(
            app.services.database, PLATFORM, self.outbox, chat_id=self.chat.chat_id
        )

    def to_incoming(self, line: str) -> Incoming:
        self._counter += 1
        common = {
            "chat": self.chat,
            "chat_kind": self.chat_kind,
            "sender": self.sender,
            "event_id": f"{self.sender.user_id}-{self._counter}",
        }
        command = parse_command(line)
        if command and command[0] == "location":
            coordinates = parse_coordinates(command[1])
            if coordinates:
                return LocationShared(latitude=coordinates[0], longitude=coordinates[1], **common)
        if command:
            return CommandMessage(name=command[0], args=command[1], **common)
        return TextMessage(text=line, **common)

    async def handle_line(self, line: str) -> None:
        incoming = self.to_incoming(line)
        if isinstance(incoming, CommandMessage) and incoming.name == "location":
            await self.location_usage()
            return
        await self.app.dispatcher.handle(incoming, self.outbox)

    async def location_usage(self) -> None:
        translator = self.app.services.catalogs.translator(self.reader_language())
        text = translator.gettext(
            "To share a location here, type /location followed by latitude and longitude, "
            "for example: /location 50.85 4.35"
        )
        await self.outbox.send(Outgoing(self.chat, Text(text)))

    def reader_language(self) -> str:
        """As the core would answer: the member's choice, else the --lang hint, else the
        chat's language, else the organization's."""
        default = self.app.services.organization.default_language
        with self.app.services.database.session() as session:
            found = MemberRepository(session).find_by_identity(PLATFORM, self.sender.user_id)
            if self.chat_kind == "direct":
                hint = self.sender.language_hint or (found[1].language_hint if found else None)
                return negotiate_language(found[0].language if found else None, hint, None, default)
            chat = ConversationRepository(session).find_chat(PLATFORM, self.chat.chat_id)
            return ConversationRepository(session).chat_language(chat, default)

    async def read_line(self) -> str | None:
        loop = asyncio.get_running_loop()
        if self.interactive:
            try:
                return await loop.run_in_executor(None, input, f"{self.sender.user_id}> ")
            except EOFError:
                return None
        line = await loop.run_in_executor(None, self.stdin.readline)
        return line.rstrip("\r\n") if line else None

    async def run(self) -> None:
        # Each line is handled before the next is read: replies come in order, and a script
        # can wait for them before writing its next line. Meanwhile the clock runs and what
        # arrives for this chat (a reminder, a request to an organizer) is printed at once.
        listeners = self.app.services.outbox_listeners
        listeners.append(self.waiting.wake)
        if self.clock is not None:
            self.clock.start()
        await self.waiting.drain_once()
        await self.waiting.start()
        try:
            while (line := await self.read_line()) is not None:
                if self.interactive and not line.strip():
                    continue
                await self.handle_line(line)
                await self.waiting.drain_once()
        finally:
            if self.clock is not None:
                self.clock.stop()
            await self.waiting.stop()
            listeners.remove(self.waiting.wake)
