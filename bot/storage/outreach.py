"""Logged conversations, personal invitation codes and the newcomers they brought."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.storage.bulk import write_rows
from bot.storage.models import InvitationCode, OutreachEntry, Recruitment, utcnow

# Crockford's base 32 (no I, L, O, U): a code copied by hand survives. 10 characters: 50 bits.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10


# Random bytes to code characters: 256 is a multiple of 32, so each is equally likely.
_TO_ALPHABET = bytes.maketrans(bytes(range(256)), (ALPHABET * 8).encode())


def new_code() -> str:
    return secrets.token_bytes(CODE_LENGTH).translate(_TO_ALPHABET).decode()


class OutreachRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- logged conversations ------------------------------------------------------------

    def log(
        self, member_id: int, chapter_id: int | None, people: int, note: str | None
    ) -> OutreachEntry:
        entry = OutreachEntry(member_id=member_id, chapter_id=chapter_id, people=people, note=note)
        self.session.add(entry)
        self.session.flush()
        return entry

    def people_of_member(self, member_id: int, since: datetime) -> int:
        total = self.session.exec(
            select(func.coalesce(func.sum(OutreachEntry.people), 0)).where(
                OutreachEntry.member_id == member_id, col(OutreachEntry.logged_at) >= since
            )
        ).one()
        return int(total)

    def people_of_chapter(self, chapter_id: int, since: datetime) -> int:
        total = self.session.exec(
            select(func.coalesce(func.sum(OutreachEntry.people), 0)).where(
                OutreachEntry.chapter_id == chapter_id, col(OutreachEntry.logged_at) >= since
            )
        ).one()
        return int(total)

    def logged_times(self, member_id: int, since: datetime) -> list[datetime]:
        return list(
            self.session.exec(
                select(OutreachEntry.logged_at).where(
                    OutreachEntry.member_id == member_id, col(OutreachEntry.logged_at) >= since
                )
            )
        )

    # -- invitations ---------------------------------------------------------------------

    def code_of(self, member_id: int) -> str:
        """The member's code, made on first use and kept (it may already be shared)."""
        row = self.session.exec(
            select(InvitationCode).where(InvitationCode.member_id == member_id)
        ).first()
        if row is not None:
            return row.code
        while True:
            code = new_code()
            if self.session.get(InvitationCode, code) is None:
                break
        self.session.add(InvitationCode(code=code, member_id=member_id))
        self.session.flush()
        return code

    def codes_of(self, member_ids: list[int]) -> dict[int, str]:
        """Every listed member's code, the missing ones made at once (a monthly nudge carries
        each member's invitation): existing codes are kept; new ones are drawn unlike every
        code there is, and written in bulk (a code made meanwhile by /invite fails the write,
        which the clock then runs again)."""
        codes: dict[int, str] = {}
        taken: set[str] = set()
        for member_id, code in self.session.exec(
            select(InvitationCode.member_id, InvitationCode.code)
        ):
            codes[member_id] = code
            taken.add(code)
        now = utcnow()
        rows = []
        for member_id in member_ids:
            if member_id in codes:
                continue
            code = new_code()
            while code in taken:
                code = new_code()
            taken.add(code)
            codes[member_id] = code
            rows.append({"code": code, "member_id": member_id, "created_at": now})
        write_rows(self.session, InvitationCode.__table__, rows)  # type: ignore[attr-defined]
        return {member_id: codes[member_id] for member_id in member_ids}

    def inviter_of_code(self, code: str) -> int | None:
        row = self.session.get(InvitationCode, code.upper()) if code else None
        return row.member_id if row is not None else None

    def credit(
        self, inviter_id: int, newcomer_id: int, chapter_id: int | None, name_shared: bool
    ) -> Recruitment | None:
        """Once per newcomer: a second start with another code credits nobody."""
        known = self.session.exec(
            select(Recruitment).where(Recruitment.newcomer_id == newcomer_id)
        ).first()
        if known is not None:
            return None
        row = Recruitment(
            inviter_id=inviter_id,
            newcomer_id=newcomer_id,
            chapter_id=chapter_id,
            name_shared=name_shared,
        )
        self.session.add(row)
        self.session.flush()
        return row

    def recruited_by(self, member_id: int) -> int:
        return int(
            self.session.exec(select(func.count()).where(Recruitment.inviter_id == member_id)).one()
        )
