"""Conversation state and chats: where each member is in a flow, what each chat speaks."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import Session, select

from bot.storage.models import Chat, ConversationState, utcnow


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
        return ConversationState(member_id=member_id, chat_key=chat_key, data={})

    def save(self, state: ConversationState) -> None:
        state.updated_at = utcnow()
        if inspect(state).persistent:
            # JSON columns do not track in-place changes; say they changed.
            flag_modified(state, "data")
            flag_modified(state, "prompt")
        self.session.add(state)

    def chat(self, platform: str, chat_id: str, kind: str) -> Chat:
        found = self.session.exec(
            select(Chat).where(Chat.platform == platform, Chat.chat_id == chat_id)
        ).first()
        if found:
            return found
        chat = Chat(platform=platform, chat_id=chat_id, kind=kind)
        self.session.add(chat)
        return chat
