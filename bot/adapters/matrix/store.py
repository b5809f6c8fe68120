"""What the Matrix adapter remembers across restarts, in the adapter state table.

Keys: `session` (user, device, access token), `sync_token` (next_batch), `batch` (the
events handled so far of the batch after it), `room:<room id>`
(what the bot knows about a room), `prompt:<event id>` and `poll:<event id>` (which neutral
prompt or poll a sent event carries, so that reactions and poll answers can be mapped back),
`poll-start:<poll id>:<room id>` (the event that started a poll in a room, so that it can be
ended).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from bot.core.events import ChatKind
from bot.storage.adapter_state import AdapterStateRepository
from bot.storage.conversations import ConversationRepository
from bot.storage.database import STARTUP_LOCK, Database

PLATFORM = "matrix"
BATCH = "batch"  # the batch being handled: from which token, which events are done
CACHE_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class SavedSession:
    homeserver: str
    user_id: str
    device_id: str
    access_token: str

    def __repr__(self) -> str:
        return f"SavedSession({self.user_id!r}, device {self.device_id!r})"


@dataclass(slots=True)
class RoomRecord:
    kind: ChatKind = "group"
    inviter: str | None = None
    encrypted: bool = False
    encryption_notice_sent: bool = False


@dataclass(frozen=True, slots=True)
class PollStartRecord:
    event_id: str
    unstable: bool  # the start also carried the unstable (MSC3381) form: so does the end


@dataclass(frozen=True, slots=True)
class PromptRecord:
    prompt_id: str
    options: int


class MatrixStore:
    def __init__(self, database: Database) -> None:
        self.database = database
        # Rooms and prompts are read on every event: keep what was read or written.
        self._rooms: dict[str, RoomRecord] = {}
        self._prompts: dict[str, PromptRecord | None] = {}

    def _get(self, key: str) -> Any:
        with self.database.session() as session:
            return AdapterStateRepository(session).get(PLATFORM, key)

    def _set(self, key: str, value: Any) -> None:
        with self.database.session() as session:
            AdapterStateRepository(session).set(PLATFORM, key, value)

    # -- session and sync token ----------------------------------------------------------

    def session(self) -> SavedSession | None:
        value = self._get("session")
        return SavedSession(**value) if isinstance(value, dict) else None

    def save_session(self, saved: SavedSession) -> None:
        with self.database.session() as session:
            # Processes logging in together on a fresh database: one writes after the other.
            self.database.lock_for_transaction(session, STARTUP_LOCK)
            AdapterStateRepository(session).set(PLATFORM, "session", asdict(saved))

    def forget_session(self) -> None:
        with self.database.session() as session:
            AdapterStateRepository(session).delete(PLATFORM, "session")

    def sync_token(self) -> str | None:
        value = self._get("sync_token")
        return value if isinstance(value, str) else None

    def save_sync_token(self, token: str) -> None:
        with self.database.session() as session:
            repository = AdapterStateRepository(session)
            repository.set(PLATFORM, "sync_token", token)
            repository.delete(PLATFORM, BATCH)  # the batch is done: its record with it

    def handled_in_batch(self, since: str | None) -> set[str]:
        """The events already handled of the batch read from `since`: a process that died
        in the middle of a batch never stored the token after it, so the next one (another
        leader) reads the same batch again, and must not act on these twice."""
        value = self._get(BATCH)
        if isinstance(value, dict) and value.get("since") == since:
            return set(value.get("handled", []))
        return set()

    def save_handled(self, since: str | None, handled: set[str]) -> None:
        self._set(BATCH, {"since": since, "handled": sorted(handled)})

    # -- rooms ---------------------------------------------------------------------------

    def room(self, room_id: str) -> RoomRecord:
        record = self._rooms.get(room_id)
        if record is None:
            value = self._get(f"room:{room_id}")
            record = RoomRecord(**value) if isinstance(value, dict) else RoomRecord()
            self._rooms[room_id] = record
        return record

    def save_room(self, room_id: str, record: RoomRecord) -> None:
        self._rooms[room_id] = record
        with self.database.session() as session:
            AdapterStateRepository(session).set(PLATFORM, f"room:{room_id}", asdict(record))
            # The core's chat row learns the kind now, before anyone speaks.
            ConversationRepository(session).set_kind(PLATFORM, room_id, record.kind)

    # -- prompts and polls ---------------------------------------------------------------

    def save_prompt(self, event_id: str, record: PromptRecord) -> None:
        self._remember_prompt(event_id, record)
        self._set(f"prompt:{event_id}", asdict(record))

    def prompt(self, event_id: str) -> PromptRecord | None:
        if event_id not in self._prompts:
            value = self._get(f"prompt:{event_id}")
            self._remember_prompt(
                event_id, PromptRecord(**value) if isinstance(value, dict) else None
            )
        return self._prompts[event_id]

    def _remember_prompt(self, event_id: str, record: PromptRecord | None) -> None:
        if len(self._prompts) >= CACHE_LIMIT:
            self._prompts.clear()  # reactions to anything are looked up: keep memory bounded
        self._prompts[event_id] = record

    def save_poll(self, event_id: str, poll_id: str) -> None:
        self._set(f"poll:{event_id}", poll_id)

    def poll(self, event_id: str) -> str | None:
        value = self._get(f"poll:{event_id}")
        return value if isinstance(value, str) else None

    def save_poll_start(self, poll_id: str, room_id: str, record: PollStartRecord) -> None:
        self._set(f"poll-start:{poll_id}:{room_id}", asdict(record))

    def poll_start(self, poll_id: str, room_id: str) -> PollStartRecord | None:
        value = self._get(f"poll-start:{poll_id}:{room_id}")
        return PollStartRecord(**value) if isinstance(value, dict) else None
