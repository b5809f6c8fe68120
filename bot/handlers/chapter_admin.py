"""Running a chapter: answering join requests, introducing founders, organizers, numbers."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from bot.core.access import ANYONE, ORGANIZERS, Access, is_admin
from bot.core.conversation import Conversation
from bot.core.events import ChatRef, ChoiceMade, CommandMessage, Incoming
from bot.core.flow import Flow
from bot.core.markup import Markup, escape
from bot.core.notify import Notifier
from bot.core.outgoing import Option
from bot.core.router import Router
from bot.core.services import Services
from bot.core.voice import Voice
from bot.handlers.chapters import REQUEST_INTERVAL, REVIEW, notify_reviewers
from bot.handlers.growth import (
    chapter_history,
    chapter_lines,
    organization_lines,
    reader_months,
)
from bot.handlers.people import name_of, told_apart
from bot.i18n.catalog import N_
from bot.i18n.formatting import zone
from bot.i18n.parsing import fold
from bot.storage.actions import ActionRepository
from bot.storage.chapters import ChapterRepository
from bot.storage.conversations import ConversationRepository
from bot.storage.members import MemberRepository
from bot.storage.memberships import ORGANIZER, MembershipRepository
from bot.storage.models import Chapter, Member, PendingAction, utcnow

router = Router("chapter_admin")
roles = router.include_flow(Flow("roles"))

INTRODUCE = "chapter.introduce"
REMIND_AFTER = timedelta(days=3)


def may_run(conv: Conversation, chapter: Chapter) -> bool:
    """Organizers of this chapter and the organization's admins run it."""
    membership = MembershipRepository(conv.session).membership(chapter.id, conv.member.id)
    return (membership is not None and membership.role == ORGANIZER) or is_admin(conv)


def handle_of(session: Session, member: Member) -> str:
    """How others can reach a member who agreed to share it: "@ann (telegram)"; each
    adapter gives the handle as its users write it."""
    return ", ".join(
        f"{identity.handle or identity.user_id} ({identity.platform})"
        for identity in MemberRepository(session).identities(member.id)
    )


# -- answering a join request ----------------------------------------------------------------


@router.action(REVIEW)
async def review(conv: Conversation, action: PendingAction, answer: str) -> None:
    memberships = MembershipRepository(conv.session)
    request = memberships.request(action.payload["request_id"])
    chapter = ChapterRepository(conv.session).get(request.chapter_id) if request else None
    newcomer = conv.session.get(Member, request.member_id) if request else None
    if request is None or chapter is None or newcomer is None:
        conv.reply(conv._("This request no longer exists (the member may have erased their data)."))
        return
    if request.status != "pending":
        conv.reply(already_decided(conv, request.status, newcomer, chapter))
        return
    if not may_run(conv, chapter):
        conv.reply(
            conv._("Only the organizers of %(chapter)s can answer this.", chapter=chapter.name)
        )
        return
    notifier = Notifier(conv.services, conv.session)
    ActionRepository(conv.session).close_all(REVIEW, "request_id", request.id)
    if answer == "decline":
        memberships.decide(request, "declined", conv.member.id)
        notifier.tell(
            newcomer,
            lambda voice: voice._(
                "The organizers of %(chapter)s could not accept your request this time. "
                "You can look for another chapter with /chapters.",
                chapter=chapter.name,
            ),
        )
        conv.reply(conv._("Declined. I've told %(name)s.", name=newcomer.display_name or "?"))
        return
    memberships.decide(request, "accepted", conv.member.id)
    memberships.add(chapter.id, newcomer.id, shares_contact=request.shares_contact)
    welcome(conv.services, notifier, newcomer, chapter)
    conv.reply(
        conv._(
            "Accepted: %(name)s is now a member of %(chapter)s.",
            name=newcomer.display_name or "?",
            chapter=chapter.name,
        )
    )
    check_founding(conv.services, notifier, chapter)


def already_decided(voice: Voice, status: str, newcomer: Member, chapter: Chapter) -> str:
    name = newcomer.display_name or "?"
    if status == "withdrawn":
        return voice._("%(name)s withdrew this request.", name=name)
    if status == "accepted":
        return voice._(
            "This request was already accepted: %(name)s is a member of %(chapter)s.",
            name=name,
            chapter=chapter.name,
        )
    return voice._("This request was already declined.")


def welcome(services: Services, notifier: Notifier, member: Member, chapter: Chapter) -> None:
    """Tell the new member, with a way into each of the chapter's chats on their platform."""
    chats = ConversationRepository(notifier.session).linked_chats(chapter.id)
    notifier.tell(
        member,
        lambda voice: voice._(
            "Welcome to %(chapter)s! Your request was accepted.", chapter=chapter.name
        ),
    )
    for chat in chats:
        notifier.invite(
            member,
            ChatRef(chat.platform, chat.chat_id),
            lambda voice: voice._(
                "Here is your way into the chat of %(chapter)s.", chapter=chapter.name
            ),
            lambda voice: voice._("Join the chat"),
        )


# -- founding: introductions once a forming chapter has enough members ------------------------


def check_founding(services: Services, notifier: Notifier, chapter: Chapter) -> None:
    if chapter.status != "forming":
        return
    memberships = MembershipRepository(notifier.session)
    members = memberships.members_of(chapter.id)
    if len(members) < services.organization.founding_threshold:
        return
    chapter.status = "active"
    notifier.session.add(chapter)

    def question(voice: Voice) -> tuple[str, list[Option]]:
        text = voice.ngettext(
            "%(chapter)s now has %(count)s member and is founded! May I introduce you to the "
            "others, with your name and how to reach you?",
            "%(chapter)s now has %(count)s members and is founded! May I introduce you to the "
            "others, with your name and how to reach you?",
            len(members),
            chapter=chapter.name,
        )
        return text, [
            Option("yes", voice._("Yes, introduce me")),
            Option("no", voice._("No, thanks")),
        ]

    for _membership, person in members:
        notifier.ask(person, INTRODUCE, {"chapter_id": chapter.id}, question)


@router.action(INTRODUCE)
async def introduce(conv: Conversation, action: PendingAction, answer: str) -> None:
    chapter = ChapterRepository(conv.session).get(action.payload["chapter_id"])
    memberships = MembershipRepository(conv.session)
    membership = memberships.membership(chapter.id, conv.member.id) if chapter else None
    if chapter is None or membership is None:
        conv.reply(conv._("You are no longer a member of that chapter."))
        return
    if answer != "yes":
        conv.reply(conv._("All right: I won't share your name or handle."))
        return
    membership.shares_contact = True
    conv.session.add(membership)
    others = [
        person
        for m, person in memberships.members_of(chapter.id)
        if m.shares_contact and person.id != conv.member.id
    ]
    notifier = Notifier(conv.services, conv.session)
    me = f"{conv.member.display_name or '?'}: {handle_of(conv.session, conv.member)}"
    for person in others:
        notifier.tell(
            person,
            lambda voice: voice._(
                "Meet another member of %(chapter)s: %(who)s", chapter=chapter.name, who=me
            ),
            about=conv.member,
        )
    lines = [
        conv._("Thank you! The members of %(chapter)s who agreed so far:", chapter=chapter.name)
    ]
    lines += [
        f"• {escape(p.display_name or '?')}: {escape(handle_of(conv.session, p))}" for p in others
    ]
    if not others:
        lines.append(conv._("Nobody else yet: I'll introduce them to you as they agree."))
    lines.append(
        conv._("Next: create a group chat for the chapter, add me to it, and send /link there.")
    )
    conv.reply(Markup("\n".join(lines)))


# -- people ----------------------------------------------------------------------------------


def chapters_in_view(conv: Conversation) -> list[Chapter]:
    """The chapter of this group chat, or the member's own chapters in private."""
    if not conv.incoming.is_direct:
        chat = conv.chat
        chapter = (
            ChapterRepository(conv.session).get(chat.chapter_id)
            if chat and chat.chapter_id
            else None
        )
        return [chapter] if chapter else []
    return [c for _m, c in MembershipRepository(conv.session).chapters_of(conv.member.id)]


@router.command(
    "organizers",
    description=N_("Who organizes your chapter"),
    access=Access(direct=ANYONE, group=ANYONE, linked=True),
)
async def organizers(conv: Conversation, _command: CommandMessage) -> None:
    chapters = chapters_in_view(conv)
    if not chapters:
        conv.reply(no_chapter_here(conv))
        return
    lines = []
    for chapter in chapters:
        names = [
            name_of(conv.session, p) or conv._("an organizer who has not written to me yet")
            for p in MembershipRepository(conv.session).organizers_of(chapter.id)
        ]
        if names:
            lines.append(
                conv._(
                    "Organizers of %(chapter)s: %(names)s",
                    chapter=chapter.name,
                    names=conv.fmt.list(names),
                )
            )
        else:
            lines.append(
                conv._(
                    "%(chapter)s has no organizer yet; "
                    "the organization's admins answer its requests.",
                    chapter=chapter.name,
                )
            )
    conv.reply(Markup("\n".join(lines)))


def no_chapter_here(conv: Conversation) -> str:
    if conv.incoming.is_direct:
        return conv._("You are not a member of any chapter yet. Send /chapters to find one.")
    return conv._("This chat is not linked to a chapter. An organizer can link it with /link.")


@router.command(
    "promote",
    description=N_("Make a member an organizer (organizers)"),
    access=Access(direct=ORGANIZERS, group=ORGANIZERS, linked=True),
    refusal=N_("Only a chapter's organizers can promote its members."),
)
async def promote(conv: Conversation, command: CommandMessage) -> None:
    chapters = [c for c in chapters_in_view(conv) if may_run(conv, c)]
    if not conv.incoming.is_direct and not chapters_in_view(conv):
        conv.reply(no_chapter_here(conv))
        return
    if not chapters:
        if is_admin(conv) and conv.incoming.is_direct:
            conv.reply(
                conv._("Send /promote in the chapter's linked chat to promote one of its members.")
            )
        else:
            conv.reply(conv._("Only a chapter's organizers can promote its members."))
        return
    chapter = chapters[0]
    candidates = [
        (m, p)
        for m, p in MembershipRepository(conv.session).members_of(chapter.id)
        if m.role != ORGANIZER
    ]
    wanted = command.args.strip()
    if wanted:
        match = [p for _m, p in candidates if fold(name_of(conv.session, p) or "") == fold(wanted)]
        if not match:
            conv.reply(
                conv._(
                    "%(name)s is not a member of %(chapter)s (or is already an organizer).",
                    name=wanted,
                    chapter=chapter.name,
                )
            )
            return
        if len(match) == 1:
            make_organizer(conv, chapter, match[0])
            return
        # Namesakes: ask which one, never pick one silently.
        matched = {p.id for p in match}
        candidates = [(m, p) for m, p in candidates if p.id in matched]
    elif not candidates:
        conv.reply(
            conv._("Every member of %(chapter)s is already an organizer.", chapter=chapter.name)
        )
        return
    # Labels are markup: a member's name is shown as they wrote it, never rendered.
    labels = told_apart(conv, conv.session, [p for _m, p in candidates])
    options = [Option(str(p.id), escape(labels[p.id])) for _m, p in candidates]
    await conv.enter(roles, "promote", chapter_id=chapter.id, options=options)


@roles.prompt("promote")
async def ask_promote(conv: Conversation) -> None:
    options = conv.remembered_options()
    options.append(Option("cancel", conv._("Cancel")))
    conv.ask(conv._("Whom do you want to make an organizer?"), options)


@roles.answer("promote")
async def on_promote(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    chapter = ChapterRepository(conv.session).get(conv.state.data["chapter_id"])
    conv.finish()
    if event.keys[0] == "cancel" or chapter is None:
        conv.reply(conv._("All right."))
        return
    person = conv.session.get(Member, int(event.keys[0]))
    membership = (
        MembershipRepository(conv.session).membership(chapter.id, person.id) if person else None
    )
    if person is None or membership is None:
        conv.reply(
            conv._("That person is no longer a member of %(chapter)s.", chapter=chapter.name)
        )
        return
    if not may_run(conv, chapter):
        conv.reply(conv._("Only a chapter's organizers can promote its members."))
        return
    make_organizer(conv, chapter, person)


def make_organizer(conv: Conversation, chapter: Chapter, person: Member) -> None:
    memberships = MembershipRepository(conv.session)
    membership = memberships.membership(chapter.id, person.id)
    assert membership is not None
    memberships.promote(membership)
    Notifier(conv.services, conv.session).tell(
        person,
        lambda voice: voice._(
            "You are now an organizer of %(chapter)s: join requests will reach you.",
            chapter=chapter.name,
        ),
    )
    conv.reply(
        conv._(
            "%(name)s is now an organizer of %(chapter)s.",
            name=person.display_name or "?",
            chapter=chapter.name,
        )
    )


# -- numbers ---------------------------------------------------------------------------------


def month_start(now: datetime, timezone: str | None) -> datetime:
    local = now.astimezone(zone(timezone))
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


@router.command(
    "stats",
    description=N_("Your chapter in numbers"),
    access=Access(direct=ANYONE, group=ANYONE, linked=True),
)
async def stats(conv: Conversation, command: CommandMessage) -> None:
    if command.args.strip().lower() == "all":
        conv.reply(Markup("\n".join(organization_lines(conv))))
        return
    chapters = chapters_in_view(conv)
    if not chapters:
        conv.reply(no_chapter_here(conv))
        return
    memberships = MembershipRepository(conv.session)
    now = utcnow()
    this_month = reader_months(conv, now)[-1].start
    threshold = conv.services.organization.founding_threshold
    blocks = []
    for chapter in chapters:
        past = chapter_history(conv, chapter, now)
        count = memberships.member_counts([chapter.id]).get(chapter.id, 0)
        lines = [
            conv._("<b>%(chapter)s</b>", chapter=chapter.name),
            conv.ngettext("%(count)s member", "%(count)s members", count),
            conv.ngettext(
                "%(count)s request waiting",
                "%(count)s requests waiting",
                memberships.pending_count(chapter.id),
            ),
            conv.ngettext(
                "%(count)s joined this month",
                "%(count)s joined this month",
                past.joined(this_month, now),
            ),
        ]
        if chapter.status == "forming":
            lines.append(
                conv.ngettext(
                    "Forming: %(count)s more member needed to found it.",
                    "Forming: %(count)s more members needed to found it.",
                    max(0, threshold - count),
                )
            )
        lines += chapter_lines(conv, chapter, now, past)
        blocks.append("\n".join(lines))
    conv.reply(Markup("\n\n".join(blocks)))


# -- reminders about requests nobody answered ------------------------------------------------


@router.every(timedelta(hours=1), name="join-requests.remind")
def remind_waiting_requests(
    services: Services, session: Session, now: datetime | None = None
) -> int:
    """Requests unanswered for 3 days go to the organizers again; the member is told."""
    now = now or utcnow()
    notifier = Notifier(services, session)
    chapters = ChapterRepository(session)
    reminded = 0
    for request in MembershipRepository(session).waiting_since(now - REMIND_AFTER):
        chapter = chapters.get(request.chapter_id)
        member = session.get(Member, request.member_id)
        if chapter is None or member is None:
            continue
        ActionRepository(session).close_all(REVIEW, "request_id", request.id)
        notify_reviewers(services, notifier, request, member, chapter)
        request.notified_at = now
        notifier.tell(
            member,
            lambda voice, name=chapter.name: voice._(
                "Your request to join %(chapter)s is still waiting. I've reminded its "
                "organizers; you can also withdraw it with /withdraw.",
                chapter=name,
            ),
        )
        reminded += 1
    return reminded


@router.every(timedelta(hours=1), name="join-requests.pass-on")
def pass_on_held_requests(services: Services, session: Session, now: datetime | None = None) -> int:
    """Requests made again too soon after the last one reach organizers a day after it."""
    now = now or utcnow()
    notifier = Notifier(services, session)
    memberships = MembershipRepository(session)
    passed = 0
    for request in memberships.held_back():
        if memberships.notified_since(
            request.member_id, request.chapter_id, now - REQUEST_INTERVAL
        ):
            continue
        chapter = ChapterRepository(session).get(request.chapter_id)
        member = session.get(Member, request.member_id)
        if chapter is None or member is None:
            continue
        notify_reviewers(services, notifier, request, member, chapter)
        passed += 1
    return passed
