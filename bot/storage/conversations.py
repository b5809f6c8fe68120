"""Conversation state and chats: where each member is in a flow, what each chat speaks."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, inspect
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session, col, delete, select, update

from bot.i18n.locale import SUPPORTED_LANGUAGES
from bot.storage.models import (
    Chapter,
    Chat,
    ConversationState,
    Delivery,
    PendingAction,
    utcnow,
)
from bot.storage.rows import new_row

# Built once: every message and every firing looks a chat up.
_FIND_CHAT = select(Chat).where(
    Chat.platform == bindparam("platform"), Chat.chat_id == bindparam("chat_id")
)


class ConversationRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def state(self, member_id: int, chat_key: str) -> ConversationState:
        """The member's state in this chat, created empty (not yet saved) if there is none."""
        found = self.session.exec(
            select(ConversationState).where(
                ConversationState.member_id == member_id,
                ConversationState.chat_key == chat_key,
            )
        ).first()
        return found or self.new_state(member_id, chat_key)

    @staticmethod
    def new_state(member_id: int, chat_key: str) -> ConversationState:
        """An empty state, saved only once a flow begins."""
        return new_row(ConversationState, member_id=member_id, chat_key=chat_key, data={})

    def save(self, state: ConversationState) -> None:
        state.updated_at = utcnow()
        if inspect(state).persistent:
            # JSON columns do not track in-place changes; say they changed.
            flag_modified(state, "data")
            flag_modified(state, "prompt")
        self.session.add(state)

    def find_chat(self, platform: str, chat_id: str) -> Chat | None:
        return self.session.exec(
            _FIND_CHAT, params={"platform": platform, "chat_id": chat_id}
        ).first()

    def find_chats(self, refs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Chat]:
        """Many chats in one query per platform: (platform, chat id) → row, for those found."""
        by_platform: dict[str, set[str]] = {}
        for platform, chat_id in refs:
            by_platform.setdefault(platform, set()).add(chat_id)
        found: dict[tuple[str, str], Chat] = {}
        for platform, ids in by_platform.items():
            query = select(Chat).where(Chat.platform == platform, col(Chat.chat_id).in_(ids))
            for chat in self.session.exec(query):
                found[(chat.platform, chat.chat_id)] = chat
        return found

    def chat(self, platform: str, chat_id: str, kind: str, member_id: int | None = None) -> Chat:
        """The chat row, created on first sight (a private one remembers whose it is)."""
        return self.seen(self.find_chat(platform, chat_id), platform, chat_id, kind, member_id)

    def seen(
        self,
        found: Chat | None,
        platform: str,
        chat_id: str,
        kind: str,
        member_id: int | None = None,
    ) -> Chat:
        """Like chat(), with the row already read (None: there is none yet)."""
        if found:
            if kind == "direct" and member_id is not None and found.member_id is None:
                found.member_id = member_id
                self.session.add(found)
            return found
        chat = new_row(Chat, platform=platform, chat_id=chat_id, kind=kind)
        if kind == "direct":
            chat.member_id = member_id
        self.session.add(chat)
        return chat

    def chat_language(self, chat: Chat | None, default: str) -> str:
        """What a chat speaks: its own setting; else, in a chat linked to a chapter that does
        not speak `default` (the organization's), the chapter's first language; else
        `default`. A chat of a French-only chapter speaks French from the start."""
        if chat is None or chat.language:
            return chat.language if chat and chat.language else default
        chapter = self.session.get(Chapter, chat.chapter_id) if chat.chapter_id else None
        spoken = [c for c in (chapter.languages.split(",") if chapter else []) if c]
        spoken = [code for code in spoken if code in SUPPORTED_LANGUAGES]
        return default if not spoken or default in spoken else spoken[0]

    def set_kind(self, platform: str, chat_id: str, kind: str) -> Chat:
        """Adapters that learn a chat's kind before anyone speaks (a Matrix invite)."""
        chat = self.chat(platform, chat_id, kind)
        if chat.kind != kind:
            chat.kind = kind
            self.session.add(chat)
        return chat

    def private_chats_of(self, member_id: int) -> list[Chat]:
        """Where a member can be reached privately, the most recently created first."""
        return list(
            self.session.exec(
                select(Chat)
                .where(Chat.member_id == member_id, Chat.kind == "direct")
                .order_by(Chat.id.desc())  # type: ignore[union-attr]
            )
        )

    def linked_chats(self, chapter_id: int) -> list[Chat]:
        return list(self.session.exec(select(Chat).where(Chat.chapter_id == chapter_id)))

    def link(self, chat: Chat, chapter_id: int | None) -> None:
        chat.chapter_id = chapter_id
        self.session.add(chat)

    def move_chat(self, platform: str, old_id: str, new_id: str) -> None:
        """Re-key a chat and what refers to it; a no-op once done (both notices may come)."""
        old = self.find_chat(platform, old_id)
        if old is None:
            return
        new = self.find_chat(platform, new_id)
        if new is None:
            old.chat_id = new_id
            self.session.add(old)
        else:
            # The new id was seen first: it inherits the link and the language.
            new.chapter_id = new.chapter_id or old.chapter_id
            new.language = new.language or old.language
            self.session.add(new)
            self.session.delete(old)
        old_key, new_key = f"{platform}:{old_id}", f"{platform}:{new_id}"
        taken = select(ConversationState.member_id).where(ConversationState.chat_key == new_key)
        self.session.exec(
            update(ConversationState)
            .where(
                ConversationState.chat_key == old_key,
                col(ConversationState.member_id).not_in(taken),
            )
            .values(chat_key=new_key)
        )
        self.session.exec(delete(ConversationState).where(ConversationState.chat_key == old_key))
        self.session.exec(
            update(PendingAction).where(PendingAction.chat_key == old_key).values(chat_key=new_key)
        )
        self.session.exec(
            update(Delivery)
            .where(
                Delivery.platform == platform,
                Delivery.chat_id == old_id,
                col(Delivery.status).in_(["pending", "sending"]),
            )
            .values(chat_id=new_id)
        )
