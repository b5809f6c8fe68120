"""Logged conversations, personal invitation codes and the newcomers they brought."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.storage.database import insert_for
from bot.storage.models import InvitationCode, OutreachEntry, Recruitment, utcnow

# Crockford's base 32 (no I, L, O, U): a code copied by hand survives. 10 characters: 50 bits.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


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
        each member's invitation): existing codes are kept, a rare clash is drawn again."""
        wanted = set(member_ids)
        codes: dict[int, str] = {}
        for member_id, code in self.session.exec(
            select(InvitationCode.member_id, InvitationCode.code)
        ):
            if member_id in wanted:
                codes[member_id] = code
        taken = set(codes.values())
        now = utcnow()
        while missing := [m for m in member_ids if m not in codes]:
            rows = []
            for member_id in missing:
                code = new_code()
                while code in taken:
                    code = new_code()
                taken.add(code)
                rows.append({"code": code, "member_id": member_id, "created_at": now})
            statement = insert_for(self.session)(InvitationCode.__table__)  # type: ignore[attr-defined]
            written = self.session.execute(
                statement.on_conflict_do_nothing().returning(
                    InvitationCode.__table__.c.member_id,  # type: ignore[attr-defined]
                    InvitationCode.__table__.c.code,  # type: ignore[attr-defined]
                ),
                rows,
            )
            codes.update({member_id: code for member_id, code in written})
        return codes

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
