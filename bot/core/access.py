"""Who may use a command, and where: declared with each command, checked by the dispatcher
before its handler runs (so a command cannot forget it), and tested for every command.

    @router.command(
        "unlink",
        description=N_("Unlink this group chat from its chapter (organizers)"),
        access=Access(group=ORGANIZERS, linked=True),
        refusal=N_("Only the organizers of %(chapter)s can unlink this chat."),
    )

`direct` and `group` say who may use the command in a private conversation and in a group
chat; None (the default) means not there. A handler may still refuse more finely (a poll's
author closes it), never less.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from bot.storage.chapters import ChapterRepository
from bot.storage.members import MemberRepository
from bot.storage.memberships import ORGANIZER, MembershipRepository

if TYPE_CHECKING:
    from bot.core.conversation import Conversation
    from bot.storage.models import Chapter


class Role(StrEnum):
    MEMBER = "member"  # anyone who talks to the bot
    ORGANIZER = "organizer"  # of the linked chapter (Access.linked), else of any chapter
    ADMIN = "admin"  # of the organization (its file lists them)
    MODERATOR = "moderator"  # of this group chat, as its platform says


Who = frozenset[Role]

ANYONE: Who = frozenset({Role.MEMBER})
ORGANIZERS: Who = frozenset({Role.ORGANIZER, Role.ADMIN})
MODERATORS: Who = frozenset({Role.MODERATOR, Role.ORGANIZER, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Access:
    direct: Who | None = None
    group: Who | None = None
    # In a group, the command is about the chapter the chat is linked to: an unlinked chat
    # is told so, and organizers are that chapter's.
    linked: bool = False

    def who(self, direct: bool) -> Who | None:
        return self.direct if direct else self.group

    @property
    def open_to_all(self) -> bool:
        return all(who is None or Role.MEMBER in who for who in (self.direct, self.group))


EVERYWHERE = Access(direct=ANYONE, group=ANYONE)
PRIVATE = Access(direct=ANYONE)


def chapter_in_view(conv: Conversation) -> Chapter | None:
    """The chapter a group chat is linked to (none in a private conversation)."""
    chat = conv.chat
    if conv.incoming.is_direct or chat is None or chat.chapter_id is None:
        return None
    return ChapterRepository(conv.session).get(chat.chapter_id)


def is_admin(conv: Conversation) -> bool:
    organization = conv.services.organization
    return any(
        organization.is_admin(i.platform, i.user_id)
        for i in MemberRepository(conv.session).identities(conv.member.id)
    )


def organizes(conv: Conversation, chapter: Chapter | None) -> bool:
    """An organizer of `chapter`; where no chapter is in view, of any chapter."""
    memberships = MembershipRepository(conv.session)
    if chapter is None:
        return bool(memberships.organized_by(conv.member.id))
    membership = memberships.membership(chapter.id, conv.member.id)
    return membership is not None and membership.role == ORGANIZER


def holds(conv: Conversation, who: Who, chapter: Chapter | None) -> bool:
    """Whether the speaker holds one of the roles `who` names (checked cheapest first)."""
    if Role.MEMBER in who:
        return True
    if Role.MODERATOR in who and conv.incoming.chat_moderator and not conv.incoming.is_direct:
        return True
    if Role.ADMIN in who and is_admin(conv):
        return True
    return Role.ORGANIZER in who and organizes(conv, chapter)
