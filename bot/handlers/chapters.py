"""Chapters for members: find them, ask to join, withdraw, leave, found one where none is near,
or be told when one forms nearby."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from bot.core.access import EVERYWHERE, PRIVATE
from bot.core.conversation import Conversation
from bot.core.events import ChoiceMade, CommandMessage, Incoming
from bot.core.flow import Flow
from bot.core.markup import Markup, escape
from bot.core.notify import Notifier
from bot.core.outgoing import Option
from bot.core.router import Router
from bot.core.services import Services
from bot.core.voice import Voice
from bot.geo.distance import haversine_km
from bot.geo.labels import named_place, place_in, place_label
from bot.handlers.people import name_of, told_apart
from bot.i18n.catalog import N_
from bot.i18n.locale import autonym
from bot.i18n.parsing import fold
from bot.storage.actions import ActionRepository
from bot.storage.chapters import ChapterRepository, NearbyChapter
from bot.storage.members import MemberRepository
from bot.storage.memberships import MembershipRepository
from bot.storage.models import Chapter, JoinRequest, Member, utcnow

router = Router("chapters")
directory = router.include_flow(Flow("chapters"))

LIST_SIZE = 5
SEARCH_KM = 1000.0
REVIEW = "join.review"
# One request per member and chapter a day reaches organizers, however often it is made.
REQUEST_INTERVAL = timedelta(days=1)


# -- describing chapters ---------------------------------------------------------------------


def status_label(voice: Voice, chapter: Chapter) -> str:
    if chapter.status == "forming":
        return voice._("forming chapter")
    return voice._("active chapter")


def chapter_languages(chapter: Chapter) -> list[str]:
    return [autonym(code) for code in chapter.languages.split(",") if code]


def chapter_block(voice: Voice, nearby: NearbyChapter, members: int) -> str:
    """Name, status, distance, members, languages and description, for a list."""
    chapter = nearby.chapter
    if nearby.distance_km < 1:
        where = voice._("in your town")
    else:
        where = voice._("%(distance)s away", distance=voice.fmt.distance(nearby.distance_km))
    lines = [
        voice._(
            "<b>%(chapter)s</b> (%(status)s): %(where)s",
            chapter=chapter.name,
            status=status_label(voice, chapter),
            where=where,
        ),
        voice.ngettext("%(count)s member", "%(count)s members", members)
        + " · "
        + escape(voice.fmt.list(chapter_languages(chapter))),
    ]
    # In the reader's language, else in whichever language the chapter wrote it.
    description = chapter.descriptions.get(voice.language) or next(
        iter(chapter.descriptions.values()), ""
    )
    if description:
        lines.append(escape(description))
    return Markup("\n".join(lines))


def nearby(
    conv: Conversation, latitude: float, longitude: float, limit: int
) -> list[NearbyChapter]:
    return ChapterRepository(conv.session).nearest(latitude, longitude, limit, SEARCH_KM)


def active_chapter_within_radius(conv: Conversation, latitude: float, longitude: float) -> bool:
    radius = conv.services.organization.chapter_radius_km
    found = ChapterRepository(conv.session).nearest(latitude, longitude, 10, radius)
    return any(n.chapter.status == "active" for n in found)


def forming_chapter_within_radius(
    conv: Conversation, latitude: float, longitude: float
) -> Chapter | None:
    radius = conv.services.organization.chapter_radius_km
    found = ChapterRepository(conv.session).nearest(latitude, longitude, 10, radius)
    return next((n.chapter for n in found if n.chapter.status == "forming"), None)


# -- /chapters -------------------------------------------------------------------------------


@router.command(
    "chapters", description=N_("Find chapters near you or near a place"), access=EVERYWHERE
)
async def chapters_command(conv: Conversation, command: CommandMessage) -> None:
    if not conv.incoming.is_direct:
        await group_chapters(conv)
        return
    typed = " ".join(command.args.split())[:100]
    if typed:
        places = conv.services.gazetteer.search(typed, limit=5)
        if not places:
            conv.reply(
                conv._(
                    "I don't know a place called “%(place)s”. Check the spelling or try "
                    "the nearest larger town.",
                    place=typed,
                )
            )
            return
        if len(places) > 1:
            conv.finish()
            options = [
                Option(str(p.geoname_id), place_label(p, conv.language, typed)) for p in places
            ]
            await conv.enter(directory, "place", typed=typed, options=options)
            return
        place = places[0]
        await show_list(
            conv, place.latitude, place.longitude, named_place(conv.language, place, typed)
        )
        return
    member = conv.member
    if member.latitude is None or member.longitude is None:
        conv.reply(
            conv._("Where should I look? For example: /chapters Brussels. Or send /start first.")
        )
        return
    town = place_in(conv.language, member.place_id, member.place_name)
    await show_list(conv, member.latitude, member.longitude, town, home=True)


async def group_chapters(conv: Conversation) -> None:
    conv.point_to_private_chat(
        conv._("Ask me privately and I'll show the chapters near you."), start="chapters"
    )


async def show_list(
    conv: Conversation, latitude: float, longitude: float, place: str, home: bool = False
) -> None:
    conv.finish()
    await conv.enter(directory, "list", lat=latitude, lon=longitude, place=place, home=home)


@directory.prompt("place")
async def ask_place(conv: Conversation) -> None:
    options = conv.remembered_options()
    conv.ask(
        conv._(
            "There are several places called “%(place)s”. Which one do you mean?",
            place=conv.state.data["typed"],
        ),
        options,
    )


@directory.answer("place")
async def on_place(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    place = conv.services.gazetteer.get(int(event.keys[0]))
    if place is None:
        conv.finish()
        conv.reply(conv._("That place is no longer known. Please try again."))
        return
    typed = conv.state.data["typed"]
    await show_list(conv, place.latitude, place.longitude, named_place(conv.language, place, typed))


@directory.prompt("list")
async def ask_list(conv: Conversation) -> None:
    data = conv.state.data
    found = nearby(conv, data["lat"], data["lon"], LIST_SIZE)
    counts = MembershipRepository(conv.session).member_counts([n.chapter.id for n in found])
    blocks = [chapter_block(conv, n, counts.get(n.chapter.id, 0)) for n in found]
    options = [Option(f"chapter:{n.chapter.id}", escape(n.chapter.name)) for n in found]
    if not active_chapter_within_radius(conv, data["lat"], data["lon"]):
        radius = conv.fmt.distance(conv.services.organization.chapter_radius_km)
        blocks.append(
            conv._(
                "No active chapter is within %(radius)s of %(place)s.",
                radius=radius,
                place=data["place"],
            )
        )
        # Founding is offered where the member lives, and only where nobody has begun yet.
        at_home = conv.member.latitude is not None and data.get(
            "home", data["place"] == conv.member.place_name
        )
        if at_home and not forming_chapter_within_radius(conv, data["lat"], data["lon"]):
            options.append(
                Option("found", conv._("Start a chapter in %(place)s", place=data["place"]))
            )
            if not MembershipRepository(conv.session).watching(conv.member.id):
                options.append(Option("watch", conv._("Tell me when a chapter forms near me")))
    if found:
        header = conv.ngettext(
            "The chapter nearest to %(place)s:",
            "The chapters nearest to %(place)s:",
            len(found),
            place=data["place"],
        )
    else:
        header = conv._("There is no chapter near %(place)s yet.", place=data["place"])
    options.append(Option("done", conv._("Close")))
    conv.ask(Markup("\n\n".join([header, *blocks])), options)


@directory.answer("list")
async def on_list(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    key = event.keys[0]
    if key == "done":
        conv.finish()
        conv.reply(conv._("All right."))
    elif key == "found":
        conv.finish()
        await found_chapter(conv)
    elif key == "watch":
        conv.finish()
        watch(conv)
    else:
        await conv.enter(directory, "details", chapter_id=int(key.split(":", 1)[1]))


@directory.prompt("details")
async def ask_details(conv: Conversation) -> None:
    chapters = ChapterRepository(conv.session)
    memberships = MembershipRepository(conv.session)
    chapter = chapters.get(conv.state.data["chapter_id"])
    if chapter is None:
        conv.finish()
        conv.reply(conv._("That chapter no longer exists."))
        return
    member = conv.member
    distance = (
        haversine_km(member.latitude, member.longitude, chapter.latitude, chapter.longitude)
        if member.latitude is not None and member.longitude is not None
        else None
    )
    block = chapter_block(
        conv,
        NearbyChapter(chapter, distance if distance is not None else 0.0),
        memberships.member_counts([chapter.id]).get(chapter.id, 0),
    )
    if distance is None:
        block = block.replace(conv._("in your town"), escape(chapter.city))
    options = []
    if memberships.membership(chapter.id, member.id):
        options.append(Option("leave", conv._("Leave this chapter")))
    elif memberships.pending_request(member.id, chapter.id):
        options.append(Option("withdraw", conv._("Withdraw my request")))
    else:
        options.append(Option("join", conv._("Request to join")))
    if "lat" in conv.state.data:
        options.append(Option("back", conv._("Back to the list")))
    options.append(Option("done", conv._("Close")))
    conv.ask(Markup(block), options)


@directory.answer("details")
async def on_details(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    key = event.keys[0]
    chapter = ChapterRepository(conv.session).get(conv.state.data["chapter_id"])
    if key == "back":
        await conv.enter(directory, "list")
        return
    conv.finish()
    if chapter is None or key == "done":
        conv.reply(conv._("All right."))
    elif key == "join":
        await request_to_join(conv, chapter)
    elif key == "withdraw":
        withdraw(conv, chapter)
    elif key == "leave":
        leave(conv, chapter)


# -- joining ---------------------------------------------------------------------------------


async def request_to_join(conv: Conversation, chapter: Chapter) -> JoinRequest | None:
    """Ask the chapter's organizers (or the admins) to let the member in."""
    memberships = MembershipRepository(conv.session)
    if memberships.membership(chapter.id, conv.member.id):
        conv.reply(conv._("You are already a member of %(chapter)s.", chapter=chapter.name))
        return None
    if memberships.pending_request(conv.member.id, chapter.id):
        conv.reply(
            conv._(
                "You have already asked to join %(chapter)s; its organizers will answer soon.",
                chapter=chapter.name,
            )
        )
        return None
    request = memberships.create_request(conv.member.id, chapter.id, shares_contact=False)
    if memberships.notified_since(conv.member.id, chapter.id, utcnow() - REQUEST_INTERVAL):
        # Asked, withdrew, asked again: organizers hear of it once a day at most.
        conv.reply(
            conv._(
                "I've recorded your request to join %(chapter)s. Its organizers heard of your "
                "last request less than a day ago, so I'll pass this one on to them tomorrow.",
                chapter=chapter.name,
            )
        )
        return request
    if notify_reviewers(
        conv.services, Notifier(conv.services, conv.session), request, conv.member, chapter
    ):
        conv.reply(
            conv._(
                "I've sent your request to join %(chapter)s to its organizers. "
                "I'll tell you as soon as they answer.",
                chapter=chapter.name,
            )
        )
    else:
        conv.reply(
            conv._(
                "I've recorded your request to join %(chapter)s, but I can't reach its "
                "organizers right now. I'll keep trying and tell you when they answer.",
                chapter=chapter.name,
            )
        )
    return request


def reviewers(services: Services, notifier: Notifier, chapter: Chapter) -> list[Member]:
    """The chapter's organizers who can be reached, else the organization's admins."""
    session = notifier.session
    organizers = [
        m for m in MembershipRepository(session).organizers_of(chapter.id) if notifier.reach(m)
    ]
    if organizers:
        return organizers
    members = MemberRepository(session)
    admins = []
    for admin in services.organization.admins:
        platform, _, user_id = admin.partition(":")
        found = members.find_by_identity(platform, user_id)
        if found and notifier.reach(found[0]) and found[0] not in admins:
            admins.append(found[0])
    return admins


def first_namesake(session: Session, member: Member, chapter: Chapter) -> list[Member]:
    """One of the chapter's members or requesters with the member's name, if any: enough to
    tell the member apart. Names are compared as plain rows (a chapter may have thousands);
    only someone who gave no name is loaded, to be named as elsewhere."""
    asker = fold(name_of(session, member) or "?")
    for person_id, name in MembershipRepository(session).names_in(chapter.id):
        if person_id == member.id or (name is not None and fold(name) != asker):
            continue
        person = session.get(Member, person_id)
        if person is not None and fold(name_of(session, person) or "?") == asker:
            return [person]
    return []


def notify_reviewers(
    services: Services, notifier: Notifier, request: JoinRequest, member: Member, chapter: Chapter
) -> bool:
    """Send the request to each reviewer in their own language; False if nobody is reachable."""
    people = reviewers(services, notifier, chapter)
    # Named so that a namesake among the chapter's members and requesters is told apart.
    known = [member, *first_namesake(notifier.session, member, chapter)]

    def question(voice: Voice) -> tuple[str, list[Option]]:
        labels = told_apart(voice, notifier.session, known, with_place=False)
        text = voice._(
            "%(name)s from %(place)s asks to join %(chapter)s.",
            name=labels[member.id],
            place=place_in(voice.language, member.place_id, member.place_name) or "?",
            chapter=chapter.name,
        )
        return text, [Option("accept", voice._("Accept")), Option("decline", voice._("Decline"))]

    for person in people:
        notifier.ask(person, REVIEW, {"request_id": request.id}, question, about=member)
    request.notified_at = utcnow()
    notifier.session.add(request)
    return bool(people)


def withdraw(conv: Conversation, chapter: Chapter) -> None:
    memberships = MembershipRepository(conv.session)
    request = memberships.pending_request(conv.member.id, chapter.id)
    if request is None:
        conv.reply(conv._("You have no open request to join %(chapter)s.", chapter=chapter.name))
        return
    memberships.decide(request, "withdrawn", conv.member.id)
    ActionRepository(conv.session).close_all(REVIEW, "request_id", request.id)
    conv.reply(conv._("Your request to join %(chapter)s is withdrawn.", chapter=chapter.name))


@router.command("withdraw", description=N_("Withdraw a request to join a chapter"), access=PRIVATE)
async def withdraw_command(conv: Conversation, _command: CommandMessage) -> None:
    pending = MembershipRepository(conv.session).pending_requests_of(conv.member.id)
    if not pending:
        conv.reply(conv._("You have no open request to join a chapter."))
    elif len(pending) == 1:
        withdraw(conv, pending[0][1])
    else:
        options = [Option(str(c.id), escape(c.name)) for _r, c in pending]
        await conv.enter(directory, "withdraw_pick", options=options)


@directory.prompt("withdraw_pick")
async def ask_withdraw_pick(conv: Conversation) -> None:
    options = conv.remembered_options()
    conv.ask(conv._("Which request do you want to withdraw?"), options)


@directory.answer("withdraw_pick")
async def on_withdraw_pick(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    conv.finish()
    chapter = ChapterRepository(conv.session).get(int(event.keys[0]))
    if chapter is not None:
        withdraw(conv, chapter)


# -- leaving ---------------------------------------------------------------------------------


def leave(conv: Conversation, chapter: Chapter) -> None:
    memberships = MembershipRepository(conv.session)
    if memberships.membership(chapter.id, conv.member.id) is None:
        conv.reply(conv._("You are not a member of %(chapter)s.", chapter=chapter.name))
        return
    memberships.remove(chapter.id, conv.member.id)
    conv.reply(conv._("You have left %(chapter)s.", chapter=chapter.name))


@router.command("leave", description=N_("Leave a chapter"), access=PRIVATE)
async def leave_command(conv: Conversation, _command: CommandMessage) -> None:
    mine = MembershipRepository(conv.session).chapters_of(conv.member.id)
    if not mine:
        conv.reply(conv._("You are not a member of any chapter."))
        return
    options = [Option(str(c.id), escape(c.name)) for _m, c in mine]
    await conv.enter(directory, "leave_pick", options=options)


@directory.prompt("leave_pick")
async def ask_leave_pick(conv: Conversation) -> None:
    options = conv.remembered_options()
    options.append(Option("keep", conv._("Stay in my chapter")))
    conv.ask(conv._("Which chapter do you want to leave?"), options)


@directory.answer("leave_pick")
async def on_leave_pick(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    conv.finish()
    if event.keys[0] == "keep":
        conv.reply(conv._("All right."))
        return
    chapter = ChapterRepository(conv.session).get(int(event.keys[0]))
    if chapter is not None:
        leave(conv, chapter)


# -- founding and waiting --------------------------------------------------------------------


async def found_chapter(conv: Conversation) -> None:
    member = conv.member
    if member.latitude is None or member.longitude is None or not member.place_name:
        conv.reply(conv._("Tell me your town first: /profile."))
        return
    if active_chapter_within_radius(conv, member.latitude, member.longitude):
        conv.reply(
            conv._("There is already an active chapter near you: see /chapters to ask to join it.")
        )
        return
    forming = forming_chapter_within_radius(conv, member.latitude, member.longitude)
    if forming is not None:
        conv.reply(
            conv._(
                "A chapter is already forming near you: %(chapter)s. "
                "Ask to join it with /chapters.",
                chapter=forming.name,
            )
        )
        return
    # Named in the founder's language ("Liège", though they typed "Luik").
    town = place_in(member.language or conv.language, member.place_id, member.place_name)
    chapter = ChapterRepository(conv.session).create(
        name=town,
        city=town,
        country_code=member.country_code or "",
        latitude=member.latitude,
        longitude=member.longitude,
        languages=[member.language or conv.language],
        status="forming",
        founded_by=member.id,
    )
    MembershipRepository(conv.session).add(chapter.id, member.id, role="organizer")
    MembershipRepository(conv.session).unwatch(member.id)
    needed = conv.services.organization.founding_threshold - 1
    conv.reply(
        conv.ngettext(
            "You have started the chapter %(chapter)s! It needs %(count)s more member to be "
            "founded. Newcomers near you will see it and can ask to join; you decide who joins.",
            "You have started the chapter %(chapter)s! It needs %(count)s more members to be "
            "founded. Newcomers near you will see it and can ask to join; you decide who joins.",
            needed,
            chapter=chapter.name,
        )
    )
    tell_watchers(conv.services, Notifier(conv.services, conv.session), chapter, member.id)


def tell_watchers(
    services: Services, notifier: Notifier, chapter: Chapter, founder_id: int
) -> None:
    """Each member waiting near the new chapter is told once."""
    memberships = MembershipRepository(notifier.session)
    radius = services.organization.chapter_radius_km
    for watch_row in memberships.watches_near(chapter.latitude, chapter.longitude, radius):
        if watch_row.member_id == founder_id:
            continue
        distance = haversine_km(
            watch_row.latitude, watch_row.longitude, chapter.latitude, chapter.longitude
        )
        if distance > radius:
            continue
        person = notifier.session.get(Member, watch_row.member_id)
        if person is None:
            continue
        notifier.tell(
            person,
            lambda voice, km=distance: voice._(
                "Good news: a chapter is forming near you, %(chapter)s (%(distance)s away). "
                "Send /chapters to ask to join it.",
                chapter=chapter.name,
                distance=voice.fmt.distance(km),
            ),
        )
        memberships.unwatch(watch_row.member_id)


def watch(conv: Conversation) -> None:
    member = conv.member
    if member.latitude is None or member.longitude is None:
        conv.reply(conv._("Tell me your town first: /profile."))
        return
    MembershipRepository(conv.session).watch(member.id, member.latitude, member.longitude)
    conv.reply(
        conv._(
            "I'll tell you once when a chapter forms near %(place)s.",
            place=place_in(conv.language, member.place_id, member.place_name),
        )
    )
