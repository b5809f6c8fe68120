"""Outreach: /talked logs conversations, /outreach shows the month and the streak, /invite
gives the member's personal invitation (onboarding credits the inviter, see onboarding.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from bot.core.access import EVERYWHERE, PRIVATE, chapter_in_view
from bot.core.conversation import Conversation
from bot.core.events import CommandMessage
from bot.core.markup import Markup
from bot.core.notify import Notifier
from bot.core.outgoing import OpenPrivateChat
from bot.core.router import Router
from bot.handlers.chapter_admin import month_start
from bot.i18n.catalog import N_
from bot.i18n.formatting import zone
from bot.i18n.parsing import whole_number
from bot.storage.memberships import MembershipRepository
from bot.storage.models import Chapter, Member, utcnow
from bot.storage.outreach import OutreachRepository

router = Router("outreach")

MIN_PEOPLE = 1
MAX_PEOPLE = 50
MAX_NOTE = 200
INVITE_PREFIX = "i-"


def home_chapter(session: Session, member_id: int) -> Chapter | None:
    """The chapter a member's outreach counts for: the one they joined first."""
    rows = MembershipRepository(session).chapters_of(member_id)
    return min(rows, key=lambda row: row[0].joined_at)[1] if rows else None


def month_begins(conv: Conversation, now: datetime) -> datetime:
    return month_start(now, conv.member.timezone).astimezone(UTC)


# -- /talked ---------------------------------------------------------------------------------


@router.command(
    "talked",
    description=N_("Log the people you talked with about us, e.g. /talked 2 colleagues"),
    access=EVERYWHERE,
)
async def talked(conv: Conversation, command: CommandMessage) -> None:
    head, _, rest = command.args.strip().partition(" ")
    note = " ".join(rest.split())
    people = whole_number(head)  # '²' passes isdigit() and is no number; nor are 5,000 digits
    if people is None or not MIN_PEOPLE <= people <= MAX_PEOPLE:
        conv.reply(
            Markup(
                "\n".join(
                    [
                        count_problem(conv, head),
                        conv._(
                            "For example: /talked 2 colleagues at work, or /talked 3 neighbours."
                        ),
                    ]
                )
            )
        )
        return
    if len(note) > MAX_NOTE:
        conv.reply(conv._("A note can have at most %(limit)s characters.", limit=MAX_NOTE))
        return
    log_people(conv, people, note or None)


def count_problem(conv: Conversation, head: str) -> str:
    if not head:
        return conv._("How many people did you talk with? Give a number from 1 to 50.")
    if head.isdecimal():
        return conv._(
            "Please give a number from 1 to 50: one entry is one person or a few, not a crowd."
        )
    return conv._("“%(typed)s” is not a number. Give a number from 1 to 50.", typed=head[:20])


def log_people(conv: Conversation, people: int, note: str | None) -> None:
    """Record, thank, and say where the month stands."""
    chapter = chapter_in_view(conv) or home_chapter(conv.session, conv.member.id)
    repo = OutreachRepository(conv.session)
    repo.log(conv.member.id, chapter.id if chapter else None, people, note)
    month = repo.people_of_member(conv.member.id, month_begins(conv, utcnow()))
    conv.reply(
        Markup(
            "\n".join(
                [
                    conv.ngettext(
                        "Logged: %(count)s conversation. Thank you!",
                        "Logged: %(count)s conversations. Thank you!",
                        people,
                    ),
                    conv.ngettext(
                        "This month you talked with %(count)s person.",
                        "This month you talked with %(count)s people.",
                        month,
                    ),
                ]
            )
        )
    )


# -- /outreach -------------------------------------------------------------------------------


@router.command(
    "outreach", description=N_("Your outreach this month and your streak"), access=EVERYWHERE
)
async def outreach(conv: Conversation, _command: CommandMessage) -> None:
    now = utcnow()
    since = month_begins(conv, now)
    repo = OutreachRepository(conv.session)
    mine = repo.people_of_member(conv.member.id, since)
    lines = [
        conv._("<b>Your outreach</b>"),
        conv.ngettext(
            "This month you talked with %(count)s person.",
            "This month you talked with %(count)s people.",
            mine,
        ),
    ]
    chapter = chapter_in_view(conv) or home_chapter(conv.session, conv.member.id)
    if chapter is not None:
        lines.append(
            conv.ngettext(
                "%(chapter)s this month: %(count)s conversation logged.",
                "%(chapter)s this month: %(count)s conversations logged.",
                repo.people_of_chapter(chapter.id, since),
                chapter=chapter.name,
            )
        )
    months = streak(
        repo.logged_times(conv.member.id, since.replace(year=since.year - 10)),
        conv.member.timezone,
        now,
    )
    if months:
        lines.append(
            conv.ngettext(
                "Your streak: %(count)s month in a row.",
                "Your streak: %(count)s months in a row.",
                months,
            )
        )
    else:
        lines.append(
            conv._("Log your first conversations with /talked, for example /talked 2 neighbours.")
        )
    conv.reply(Markup("\n".join(lines)))


def month_index(moment: datetime, timezone: str | None) -> int:
    local = moment.astimezone(zone(timezone))
    return local.year * 12 + local.month - 1


def streak(times: list[datetime], timezone: str | None, now: datetime) -> int:
    """Months in a row with logged conversations, up to this month; a streak whose last month
    was the previous one still holds until this month ends."""
    months = {month_index(t if t.tzinfo else t.replace(tzinfo=UTC), timezone) for t in times}
    current = month_index(now, timezone)
    if current not in months:
        current -= 1
    count = 0
    while current in months:
        count += 1
        current -= 1
    return count


# -- /invite ---------------------------------------------------------------------------------


@router.command("invite", description=N_("Your personal invitation to share"), access=PRIVATE)
async def invite(conv: Conversation, _command: CommandMessage) -> None:
    code = OutreachRepository(conv.session).code_of(conv.member.id)
    conv.reply(
        conv._(
            "Here is your personal invitation. Forward the next message to someone you talked "
            "with: when they start with it, I will tell you they joined (with their first name, "
            "if they agree)."
        )
    )
    conv.send(
        OpenPrivateChat(
            text=invitation_words(conv),
            button_label=conv._("Start"),
            start=f"{INVITE_PREFIX}{code}",
            shared=True,
        )
    )


def invitation_words(conv: Conversation) -> str:
    organization = conv.services.organization.name
    if conv.member.display_name:
        return conv._(
            "%(name)s invites you to %(organization)s.",
            name=conv.member.display_name,
            organization=organization,
        )
    return conv._("You are invited to %(organization)s.", organization=organization)


def inviter_from(conv: Conversation, start: str) -> Member | None:
    """The member whose invitation this /start payload is; None for an unknown code or the
    member's own (they hear why)."""
    inviter_id = OutreachRepository(conv.session).inviter_of_code(start.removeprefix(INVITE_PREFIX))
    if inviter_id is None:
        return None
    if inviter_id == conv.member.id:
        conv.reply(conv._("That is your own invitation: send it to someone you talked with."))
        return None
    return conv.session.get(Member, inviter_id)


def credit_inviter(conv: Conversation, inviter_id: int, name_shared: bool) -> None:
    """The newcomer finished onboarding: the inviter is credited once, and told."""
    inviter = conv.session.get(Member, inviter_id)
    if inviter is None:
        return
    chapter = home_chapter(conv.session, inviter_id)
    credited = OutreachRepository(conv.session).credit(
        inviter_id, conv.member.id, chapter.id if chapter else None, name_shared
    )
    if credited is None:
        return
    first_name = (conv.member.display_name or "").split(" ")[0]
    if name_shared and first_name:
        Notifier(conv.services, conv.session).tell(
            inviter,
            lambda voice: voice._(
                "%(name)s, whom you invited, has joined us. Thank you!", name=first_name
            ),
            about=conv.member,
        )
    else:
        Notifier(conv.services, conv.session).tell(
            inviter, lambda voice: voice._("Someone you invited has joined us. Thank you!")
        )
