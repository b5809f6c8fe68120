"""Who belongs to which chapter, with what role; join requests; who waits for a chapter."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, delete, select

from bot.geo.distance import bounding_box
from bot.storage.growth import GrowthRepository
from bot.storage.models import (
    Chapter,
    ChapterWatch,
    Identity,
    InvitedOrganizer,
    JoinRequest,
    Member,
    Membership,
    utcnow,
)

ORGANIZER = "organizer"
MEMBER = "member"


class MembershipRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- memberships ---------------------------------------------------------------------

    def membership(self, chapter_id: int, member_id: int) -> Membership | None:
        return self.session.exec(
            select(Membership).where(
                Membership.chapter_id == chapter_id, Membership.member_id == member_id
            )
        ).first()

    def chapters_of(self, member_id: int) -> list[tuple[Membership, Chapter]]:
        rows = self.session.exec(
            select(Membership, Chapter)
            .join(Chapter, Chapter.id == Membership.chapter_id)
            .where(Membership.member_id == member_id)
            .order_by(Chapter.name)
        )
        return [(m, c) for m, c in rows]

    def organized_by(self, member_id: int) -> list[Chapter]:
        return [c for m, c in self.chapters_of(member_id) if m.role == ORGANIZER]

    def members_of(self, chapter_id: int) -> list[tuple[Membership, Member]]:
        rows = self.session.exec(
            select(Membership, Member)
            .join(Member, Member.id == Membership.member_id)
            .where(Membership.chapter_id == chapter_id)
            .order_by(Membership.joined_at)
        )
        return [(m, p) for m, p in rows]

    def organizers_of(self, chapter_id: int) -> list[Member]:
        """In the order they joined (not every member loaded to find them)."""
        rows = self.session.exec(
            select(Member)
            .join(Membership, Membership.member_id == Member.id)
            .where(Membership.chapter_id == chapter_id, Membership.role == ORGANIZER)
            .order_by(Membership.joined_at)
        )
        return list(rows)

    def member_counts(self, chapter_ids: list[int]) -> dict[int, int]:
        if not chapter_ids:
            return {}
        rows = self.session.exec(
            select(Membership.chapter_id, func.count())
            .where(col(Membership.chapter_id).in_(chapter_ids))
            .group_by(Membership.chapter_id)
        )
        return {chapter_id: count for chapter_id, count in rows}

    def add(
        self, chapter_id: int, member_id: int, role: str = MEMBER, shares_contact: bool = False
    ) -> Membership:
        existing = self.membership(chapter_id, member_id)
        if existing is not None:
            if role == ORGANIZER and existing.role != ORGANIZER:
                existing.role = ORGANIZER
                self.session.add(existing)
            return existing
        membership = Membership(
            chapter_id=chapter_id, member_id=member_id, role=role, shares_contact=shares_contact
        )
        self.session.add(membership)
        self.session.flush()
        return membership

    def remove(self, chapter_id: int, member_id: int) -> None:
        """The member leaves the chapter (or is removed from it): a departure keeps them in
        the chapter's history as a number."""
        membership = self.membership(chapter_id, member_id)
        if membership is None:
            return
        GrowthRepository(self.session).leave_chapter(membership)
        self.session.exec(delete(Membership).where(Membership.id == membership.id))

    def promote(self, membership: Membership) -> None:
        membership.role = ORGANIZER
        self.session.add(membership)

    # -- join requests -------------------------------------------------------------------

    def request(self, request_id: int) -> JoinRequest | None:
        return self.session.get(JoinRequest, request_id)

    def pending_request(self, member_id: int, chapter_id: int) -> JoinRequest | None:
        return self.session.exec(
            select(JoinRequest).where(
                JoinRequest.member_id == member_id,
                JoinRequest.chapter_id == chapter_id,
                JoinRequest.status == "pending",
            )
        ).first()

    def create_request(self, member_id: int, chapter_id: int, shares_contact: bool) -> JoinRequest:
        request = JoinRequest(
            member_id=member_id, chapter_id=chapter_id, shares_contact=shares_contact
        )
        self.session.add(request)
        self.session.flush()
        return request

    def notified_since(self, member_id: int, chapter_id: int, cutoff: datetime) -> bool:
        """Whether organizers were told of a request of this member to this chapter (one
        since withdrawn, too) at or after `cutoff`."""
        return (
            self.session.exec(
                select(JoinRequest.id).where(
                    JoinRequest.member_id == member_id,
                    JoinRequest.chapter_id == chapter_id,
                    col(JoinRequest.notified_at) >= cutoff,
                )
            ).first()
            is not None
        )

    def held_back(self) -> list[JoinRequest]:
        """Pending requests not yet passed on to organizers (asked again too soon)."""
        return list(
            self.session.exec(
                select(JoinRequest)
                .where(JoinRequest.status == "pending", col(JoinRequest.notified_at).is_(None))
                .order_by(JoinRequest.id)
            )
        )

    def pending_requests_of(self, member_id: int) -> list[tuple[JoinRequest, Chapter]]:
        rows = self.session.exec(
            select(JoinRequest, Chapter)
            .join(Chapter, Chapter.id == JoinRequest.chapter_id)
            .where(JoinRequest.member_id == member_id, JoinRequest.status == "pending")
            .order_by(JoinRequest.id)
        )
        return [(r, c) for r, c in rows]

    def requesters(self, chapter_id: int) -> list[Member]:
        """Who waits for an answer from this chapter."""
        rows = self.session.exec(
            select(Member)
            .join(JoinRequest, JoinRequest.member_id == Member.id)
            .where(JoinRequest.chapter_id == chapter_id, JoinRequest.status == "pending")
        )
        return list({m.id: m for m in rows}.values())

    def names_in(self, chapter_id: int) -> list[tuple[int, str | None]]:
        """(member id, name they gave) of the chapter's members and of who waits for it
        (someone may come twice): plain rows, to look for a namesake among thousands
        without loading them all."""
        members = select(Member.id, Member.display_name).join(
            Membership, Membership.member_id == Member.id
        )
        requesters = select(Member.id, Member.display_name).join(
            JoinRequest, JoinRequest.member_id == Member.id
        )
        rows = self.session.exec(
            members.where(Membership.chapter_id == chapter_id).union_all(
                requesters.where(
                    JoinRequest.chapter_id == chapter_id, JoinRequest.status == "pending"
                )
            )
        )
        return [(member_id, name) for member_id, name in rows]

    def pending_count(self, chapter_id: int) -> int:
        return self.session.exec(
            select(func.count()).where(
                JoinRequest.chapter_id == chapter_id, JoinRequest.status == "pending"
            )
        ).one()

    def waiting_since(self, cutoff: datetime) -> list[JoinRequest]:
        """Pending requests whose organizers were last told before the cutoff."""
        return list(
            self.session.exec(
                select(JoinRequest)
                .where(JoinRequest.status == "pending", col(JoinRequest.notified_at) < cutoff)
                .order_by(JoinRequest.id)
            )
        )

    def decide(self, request: JoinRequest, status: str, by_member_id: int | None) -> None:
        request.status = status
        request.decided_at = utcnow()
        request.decided_by = by_member_id
        self.session.add(request)

    # -- invited organizers (from the organization file or an import) --------------------

    def invite_organizer(self, chapter_id: int, identity: str) -> None:
        if self.session.get(InvitedOrganizer, (chapter_id, identity)) is None:
            self.session.add(InvitedOrganizer(chapter_id=chapter_id, identity=identity))

    def claim_invitations(self, member_id: int, identity: str) -> list[int]:
        """Make a member the organizer of every chapter that invited their identity."""
        rows = self.session.exec(
            select(InvitedOrganizer.chapter_id).where(InvitedOrganizer.identity == identity)
        )
        chapter_ids = list(rows)
        for chapter_id in chapter_ids:
            self.add(chapter_id, member_id, role=ORGANIZER)
        return chapter_ids

    def claim_all_invitations(self) -> None:
        """Invitations for identities that already talk to the bot take effect at once."""
        rows = self.session.exec(
            select(InvitedOrganizer, Identity).join(
                Identity,
                col(Identity.platform).concat(":").concat(col(Identity.user_id))
                == InvitedOrganizer.identity,
            )
        )
        for invitation, identity in rows:
            self.add(invitation.chapter_id, identity.member_id, role=ORGANIZER)

    def invited_organizers(self, chapter_id: int) -> list[str]:
        rows = self.session.exec(
            select(InvitedOrganizer.identity).where(InvitedOrganizer.chapter_id == chapter_id)
        )
        return sorted(rows)

    # -- members waiting for a chapter near them -----------------------------------------

    def watch(self, member_id: int, latitude: float, longitude: float) -> None:
        existing = self.session.exec(
            select(ChapterWatch).where(ChapterWatch.member_id == member_id)
        ).first()
        watch = existing or ChapterWatch(
            member_id=member_id, latitude=latitude, longitude=longitude
        )
        watch.latitude, watch.longitude = latitude, longitude
        self.session.add(watch)

    def watching(self, member_id: int) -> bool:
        query = select(ChapterWatch.id).where(ChapterWatch.member_id == member_id)
        return self.session.exec(query).first() is not None

    def watches_near(
        self, latitude: float, longitude: float, radius_km: float
    ) -> list[ChapterWatch]:
        min_lat, max_lat, min_lon, max_lon = bounding_box(latitude, longitude, radius_km)
        return list(
            self.session.exec(
                select(ChapterWatch).where(
                    col(ChapterWatch.latitude).between(min_lat, max_lat),
                    col(ChapterWatch.longitude).between(min_lon, max_lon),
                )
            )
        )

    def unwatch(self, member_id: int) -> None:
        self.session.exec(delete(ChapterWatch).where(ChapterWatch.member_id == member_id))
