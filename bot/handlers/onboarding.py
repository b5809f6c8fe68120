"""Onboarding: from a newcomer's first message to a concrete next step, in at most 8 answers.

Steps: language → (introduction) name → place → nearest chapters → interests → nudges →
what is stored, summary and next step. The name, place, interests and nudge steps are also
used by /profile to change one answer (`editing` in the flow data).
"""

from __future__ import annotations

import unicodedata
from typing import Any

from bot.core.access import PRIVATE
from bot.core.conversation import Conversation
from bot.core.events import ChoiceMade, CommandMessage, Incoming, LocationShared, TextMessage
from bot.core.flow import Flow
from bot.core.markup import Markup, escape
from bot.core.outgoing import Option
from bot.core.router import Router
from bot.geo.gazetteer import Place
from bot.geo.labels import display_name, obvious_place, place_in, place_label
from bot.handlers.chapters import (
    active_chapter_within_radius,
    chapter_block,
    forming_chapter_within_radius,
    found_chapter,
    request_to_join,
    watch,
)
from bot.handlers.outreach import INVITE_PREFIX, credit_inviter, home_chapter, inviter_from
from bot.i18n.catalog import N_
from bot.i18n.guess import guess_language
from bot.i18n.locale import SUPPORTED_LANGUAGES, autonym, normalize_language
from bot.i18n.parsing import parse_coordinates
from bot.storage.chapters import ChapterRepository, NearbyChapter
from bot.storage.members import MemberRepository
from bot.storage.memberships import MembershipRepository
from bot.storage.models import Member, utcnow

router = Router("onboarding")
onboarding = router.include_flow(Flow("onboarding"))

MAX_NAME_LENGTH = 64
NEAREST_CHAPTERS = 3
CHAPTER_SEARCH_KM = 500.0
PLACE_CHOICES = 5

# Labels of the interests an organization file may list by key alone.
BUILT_IN_INTERESTS: dict[str, str] = {
    "self-education": N_("Self-education"),
    "outreach": N_("Outreach"),
    "mutual-aid": N_("Mutual aid"),
    "local-campaigns": N_("Local campaigns"),
    "writing": N_("Writing"),
    "events": N_("Events"),
}


def language_options() -> list[Option]:
    return [Option(lang, autonym(lang)) for lang in SUPPORTED_LANGUAGES]


def interest_label(conv: Conversation, key: str) -> str:
    for interest in conv.services.organization.interests:
        if interest.key == key and interest.labels:
            return interest.labels.get(conv.language) or interest.labels.get("en") or key
    return conv._(BUILT_IN_INTERESTS[key]) if key in BUILT_IN_INTERESTS else key


# -- entry points ----------------------------------------------------------------------------


@router.command("start", description=N_("Start here: meet the organization"), access=PRIVATE)
async def start(conv: Conversation, command: CommandMessage) -> None:
    if command.args.startswith("chapter-"):
        conv.remember(preselected_chapter=command.args.removeprefix("chapter-"))
    if command.args.startswith(INVITE_PREFIX):
        inviter = inviter_from(conv, command.args)
        if inviter is not None and conv.member.onboarded_at is None:
            chapter = home_chapter(conv.session, inviter.id)
            conv.remember(
                invited_by=inviter.id, **({"preselected_chapter": chapter.slug} if chapter else {})
            )
    if conv.state.flow == onboarding.name and conv.state.step not in (None, "start_over"):
        await conv.enter(onboarding, "start_over", resume=conv.state.step)
    elif conv.member.onboarded_at is not None:
        await conv.enter(onboarding, "start_over", resume=None)
    else:
        await begin(conv)


@router.fallback
async def first_message(conv: Conversation) -> None:
    """Any message from someone not yet onboarded begins onboarding."""
    if conv.member.onboarded_at is None:
        follow_first_words(conv)
        await begin(conv)
    else:
        conv.reply(conv._("Send /help to see what I can do, or /profile to see your details."))


def follow_first_words(conv: Conversation) -> None:
    """Where the platform says nothing of the member's language (Matrix), their first words
    do: "Bonjour" is greeted in French. Kept as their hint until they choose."""
    identity, incoming = conv.identity, conv.incoming
    if conv.member.language or normalize_language(identity.language_hint):
        return
    if not isinstance(incoming, TextMessage):
        return
    guessed = guess_language(incoming.text)
    if guessed is None:
        return
    identity.language_hint = guessed
    conv.session.add(identity)
    conv.use_language(conv.services.catalogs.translator(guessed))


# What a deep link told us before onboarding began, kept when it (re)starts.
CARRIED = ("preselected_chapter", "invited_by")


async def begin(conv: Conversation) -> None:
    carried = {k: conv.state.data[k] for k in CARRIED if conv.state.data.get(k)}
    conv.finish()
    await conv.enter(onboarding, "language", **carried)


@onboarding.prompt("start_over")
async def ask_start_over(conv: Conversation) -> None:
    if conv.state.data.get("resume"):
        text = conv._(
            "We were in the middle of getting to know each other. Continue, or start over?"
        )
        keep = conv._("Continue where we left off")
    else:
        text = conv._(
            "Welcome back, %(name)s! Do you want to go through the introduction again?",
            name=conv.member.display_name or "",
        )
        keep = conv._("Keep things as they are")
    conv.ask(text, [Option("keep", keep), Option("restart", conv._("Start over"))])


@onboarding.answer("start_over")
async def on_start_over(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    resume = conv.state.data.get("resume")
    if event.keys[0] == "restart":
        await begin(conv)
    elif resume:
        await conv.enter(onboarding, resume)
    else:
        conv.finish()
        conv.reply(conv._("All right. Send /help to see what I can do."))


# -- 1. language, 2. introduction ------------------------------------------------------------


@onboarding.prompt("language")
async def ask_language(conv: Conversation) -> None:
    conv.ask(
        conv._(
            "Hello! I'm the assistant of %(organization)s. Which language would you like to use?",
            organization=conv.services.organization.name,
        ),
        language_options(),
    )


@onboarding.answer("language")
async def on_language(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    conv.member.language = event.keys[0]
    MemberRepository(conv.session).save(conv.member)
    conv.use_language(conv.services.catalogs.translator(event.keys[0]))
    intro = conv.services.organization.intro_for(conv.language)
    if intro:
        conv.reply(escape(intro))
    await conv.enter(onboarding, "name")


# -- 3. name ---------------------------------------------------------------------------------


@onboarding.prompt("name", accepts_text=True)
async def ask_name(conv: Conversation) -> None:
    conv.ask_text(conv._("What would you like me to call you?"))


def clean_name(text: str) -> str:
    # Keep emoji and right-to-left scripts; drop control and formatting characters that
    # could reorder or hide the text around the name.
    kept = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf") or c == "\u200d")
    return " ".join(kept.split())


@onboarding.answer("name")
async def on_name(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, TextMessage)
    name = clean_name(event.text)
    if not name:
        conv.reply(conv._("Please type the name you'd like me to use."))
        return
    if len(name) > MAX_NAME_LENGTH:
        conv.reply(
            conv._("Please choose a name of at most %(limit)s characters.", limit=MAX_NAME_LENGTH)
        )
        return
    conv.member.display_name = name
    MemberRepository(conv.session).save(conv.member)
    if await finish_editing(conv):
        return
    conv.reply(conv._("Nice to meet you, %(name)s!", name=name))
    await conv.enter(onboarding, "place")


# -- 4. place --------------------------------------------------------------------------------


@onboarding.prompt("place", accepts_text=True, accepts_location=True)
async def ask_place(conv: Conversation) -> None:
    conv.ask_location(
        conv._(
            "Where do you live? Type the name of your town or city, or share your location. "
            "I only keep the town, never your exact position."
        ),
        conv._("Share my location"),
    )


@onboarding.answer("place")
async def on_place(conv: Conversation, event: Incoming) -> None:
    await handle_place_answer(conv, event)


@onboarding.prompt("place_pick", accepts_text=True, accepts_location=True)
async def ask_place_pick(conv: Conversation) -> None:
    gazetteer = conv.services.gazetteer
    typed = conv.state.data.get("typed_place", "")
    places = [p for p in (gazetteer.get(i) for i in conv.state.data.get("candidates", [])) if p]
    options = [Option(str(p.geoname_id), place_label(p, conv.language, typed)) for p in places]
    options.append(Option("other", conv._("None of these")))
    conv.ask(
        conv._("There are several places called “%(place)s”. Which one is yours?", place=typed),
        options,
    )


@onboarding.answer("place_pick")
async def on_place_pick(conv: Conversation, event: Incoming) -> None:
    if isinstance(event, ChoiceMade):
        if event.keys[0] == "other":
            conv.reply(conv._("Then please type a larger town near you, or share your location."))
            await conv.enter(onboarding, "place", **editing_data(conv))
            return
        place = conv.services.gazetteer.get(int(event.keys[0]))
        if place is not None:
            await place_found(conv, place, conv.state.data.get("typed_place"))
            return
    await handle_place_answer(conv, event)


async def handle_place_answer(conv: Conversation, event: Incoming) -> None:
    gazetteer = conv.services.gazetteer
    if isinstance(event, LocationShared):
        place = gazetteer.nearest(event.latitude, event.longitude)
        if place is not None:
            await place_found(conv, place, None)
        return
    assert isinstance(event, TextMessage)
    coordinates = parse_coordinates(event.text)
    if coordinates:
        place = gazetteer.nearest(*coordinates)
        if place is not None:
            await place_found(conv, place, None)
        return
    typed = " ".join(event.text.split())[:100]
    places = gazetteer.search(typed, limit=PLACE_CHOICES)
    if not places:
        conv.reply(
            conv._(
                "I don't know a place called “%(place)s”. Check the spelling, try the nearest "
                "larger town, or share your location.",
                place=typed,
            )
        )
        return
    if len(places) == 1:
        await place_found(conv, places[0], typed)
        return
    obvious = None if conv.state.data.get("editing") else obvious_place(places, conv.language)
    if obvious is not None:
        # Taken, with the namesakes kept for a correction on the next question.
        others = [p.geoname_id for p in places if p != obvious]
        await place_found(conv, obvious, typed, others)
        return
    await conv.enter(
        onboarding,
        "place_pick",
        typed_place=typed,
        candidates=[p.geoname_id for p in places],
    )


def store_place(member: Member, place: Place, typed: str | None) -> None:
    # Coarse by design: the town and the town's coordinates to 2 decimals, never a shared point.
    member.place_id = place.geoname_id
    member.place_name = display_name(place, typed)
    member.country_code = place.country_code
    member.latitude = round(place.latitude, 2)
    member.longitude = round(place.longitude, 2)
    member.timezone = place.timezone


async def place_found(
    conv: Conversation, place: Place, typed: str | None, namesakes: list[int] | None = None
) -> None:
    store_place(conv.member, place, typed)
    MemberRepository(conv.session).save(conv.member)
    conv.remember(typed_place=typed if namesakes else None, candidates=namesakes or None)
    if await finish_editing(conv):
        return
    await conv.enter(onboarding, "chapters")


def home_town(conv: Conversation) -> str:
    """The member's town, named in the language they read."""
    return place_in(conv.language, conv.member.place_id, conv.member.place_name)


# -- 5. nearest chapters ---------------------------------------------------------------------


def nearby_chapters(conv: Conversation) -> list[NearbyChapter]:
    member = conv.member
    if member.latitude is None or member.longitude is None:
        return []
    chapters = ChapterRepository(conv.session)
    found = chapters.nearest(member.latitude, member.longitude, NEAREST_CHAPTERS, CHAPTER_SEARCH_KM)
    slug = conv.state.data.get("preselected_chapter")
    if slug:
        # The chapter of the link (or of the inviter) is offered first.
        chapter = chapters.by_slug(slug)
        if chapter is not None:
            rest = [n for n in found if n.chapter.slug != slug]
            found = [chapters.distance_to(chapter, member.latitude, member.longitude), *rest][
                :NEAREST_CHAPTERS
            ]
    return found


@onboarding.prompt("chapters")
async def ask_chapters(conv: Conversation) -> None:
    member = conv.member
    found = nearby_chapters(conv)
    near_enough = member.latitude is not None and member.longitude is not None
    none_active = near_enough and not active_chapter_within_radius(
        conv, member.latitude, member.longitude
    )
    # Where someone has begun a chapter near the member, they join it: never a second one.
    forming = (
        forming_chapter_within_radius(conv, member.latitude, member.longitude)
        if none_active
        else None
    )
    namesakes = conv.state.data.get("candidates")
    if not found and not none_active and not namesakes:
        await conv.enter(onboarding, "interests")
        return
    counts = MembershipRepository(conv.session).member_counts([n.chapter.id for n in found])
    blocks = [chapter_block(conv, n, counts.get(n.chapter.id, 0)) for n in found]
    options = [
        Option(f"chapter:{n.chapter.id}", conv._("Ask to join %(chapter)s", chapter=n.chapter.name))
        for n in found
    ]
    if found:
        header = conv.ngettext(
            "This is the chapter nearest to you:",
            "These are the chapters nearest to you:",
            len(found),
        )
    else:
        header = conv._("There is no chapter near %(place)s yet.", place=home_town(conv))
    if forming is not None:
        blocks.append(
            conv._(
                "A chapter is forming near you: %(chapter)s. Ask to join it and help found it.",
                chapter=forming.name,
            )
        )
    elif none_active:
        blocks.append(
            conv._(
                "No active chapter is within %(radius)s of you. Chapters start where members "
                "live: you can start one, and newcomers near you will be able to join it.",
                radius=conv.fmt.distance(conv.services.organization.chapter_radius_km),
            )
        )
        options.append(
            Option("found", conv._("Start a chapter in %(place)s", place=home_town(conv)))
        )
        options.append(Option("watch", conv._("Tell me when a chapter forms near me")))
    options.append(Option("none", conv._("None of these")))
    if namesakes:
        typed = conv.state.data.get("typed_place") or ""
        place = conv.services.gazetteer.get(member.place_id) if member.place_id else None
        taken = place_label(place, conv.language, typed) if place else home_town(conv)
        header = conv._("I take it you mean %(place)s.", place=taken) + "\n\n" + header
        options.append(Option("namesake", conv._("Another place called “%(place)s”", place=typed)))
    conv.ask(Markup("\n\n".join([header, *blocks])), options)


@onboarding.answer("chapters")
async def on_chapters(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    key = event.keys[0]
    if key == "namesake":
        await conv.enter(onboarding, "place_pick")
        return
    conv.remember(typed_place=None, candidates=None)
    if key.startswith("chapter:"):
        chapter = ChapterRepository(conv.session).get(int(key.split(":", 1)[1]))
        if chapter is None:
            conv.reply(conv._("That chapter no longer exists. Please choose again."))
            await conv.reprompt()
            return
        if await request_to_join(conv, chapter):
            conv.member.chapter_choice = "join"
            conv.remember(joined_chapter=chapter.name)
    elif key == "found":
        await found_chapter(conv)
        conv.member.chapter_choice = "founded"
    elif key == "watch":
        watch(conv)
        conv.member.chapter_choice = "waiting"
    else:
        conv.member.chapter_choice = "none"
        conv.reply(
            conv._("All right, no chapter for now. You can look again any time with /chapters.")
        )
    MemberRepository(conv.session).save(conv.member)
    await conv.enter(onboarding, "interests")


# -- 6. interests ----------------------------------------------------------------------------


@onboarding.prompt("interests")
async def ask_interests(conv: Conversation) -> None:
    options = [
        Option(i.key, interest_label(conv, i.key)) for i in conv.services.organization.interests
    ]
    options.append(Option("none", conv._("Nothing in particular for now")))
    conv.ask(
        conv._(
            "What would you like to do with us? Choose as many as you like, for example “1, 3”."
        ),
        options,
        multiple=True,
    )


@onboarding.answer("interests")
async def on_interests(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    keys = [k for k in event.keys if k != "none"]
    MemberRepository(conv.session).set_interests(conv.member.id, keys)
    if await finish_editing(conv):
        return
    await conv.enter(onboarding, "nudges")


# -- 7. outreach nudges ----------------------------------------------------------------------


@onboarding.prompt("nudges")
async def ask_nudges(conv: Conversation) -> None:
    conv.ask(
        conv._(
            "We grow when each of us talks with two or three people a month. "
            "May I send you a short outreach nudge once a month?"
        ),
        [
            Option("monthly", conv._("Yes, every month")),
            Option("none", conv._("No nudges, thanks")),
        ],
    )


@onboarding.answer("nudges")
async def on_nudges(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    conv.member.nudges = event.keys[0]
    MemberRepository(conv.session).save(conv.member)
    if await finish_editing(conv):
        return
    if conv.state.data.get("invited_by"):
        await conv.enter(onboarding, "invited")
        return
    await complete(conv)


# -- 7b. invited: may the inviter hear the newcomer's first name? ----------------------------


@onboarding.prompt("invited")
async def ask_invited(conv: Conversation) -> None:
    conv.ask(
        conv._(
            "You came with a personal invitation. May I tell the person who invited you that "
            "you joined, with your first name?"
        ),
        [
            Option("name", conv._("Yes, with my first name")),
            Option("anonymous", conv._("Only that someone joined")),
        ],
    )


@onboarding.answer("invited")
async def on_invited(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    credit_inviter(conv, int(conv.state.data["invited_by"]), event.keys[0] == "name")
    await complete(conv)


# -- 8. what is stored, summary, next step ---------------------------------------------------


async def complete(conv: Conversation) -> None:
    member = conv.member
    joined = conv.state.data.get("joined_chapter")
    member.onboarded_at = member.onboarded_at or utcnow()
    MemberRepository(conv.session).save(member)
    conv.finish()
    conv.reply(
        conv._(
            "About your data: I keep your name, your town (never your exact location), your "
            "language, your interests, your choice about outreach nudges and your requests to "
            "join a chapter. Send /mydata to see all of it, and /forget to erase it."
        )
    )
    conv.reply(
        profile_summary(
            conv, title=conv._("<b>You're all set, %(name)s!</b>", name=member.display_name or "")
        )
    )
    if joined:
        next_step = conv._(
            "Next: the organizers of %(chapter)s will get back to you. Meanwhile, think of two "
            "or three people you could talk to about us this month.",
            chapter=joined,
        )
    else:
        next_step = conv._(
            "Next: think of two or three people you could talk to about us this month. "
            "Send /help to see everything I can do."
        )
    conv.reply(next_step)


def profile_summary(conv: Conversation, title: str) -> str:
    member = conv.member
    order = [i.key for i in conv.services.organization.interests]
    chosen = MemberRepository(conv.session).interests(member.id)
    chosen.sort(key=lambda k: order.index(k) if k in order else len(order))
    interests = [interest_label(conv, k) for k in chosen]
    nudges = conv._("once a month") if member.nudges == "monthly" else conv._("none")
    lines = [
        title,
        conv._("Name: %(name)s", name=member.display_name or "–"),
        conv._("Town: %(place)s", place=home_town(conv) or "–"),
        conv._("Interests: %(interests)s", interests=conv.fmt.list(interests) or "–"),
        conv._("Outreach nudges: %(nudges)s", nudges=nudges),
    ]
    return Markup("\n".join(lines))


# -- editing from /profile -------------------------------------------------------------------


def editing_data(conv: Conversation) -> dict[str, Any]:
    return {"editing": True} if conv.state.data.get("editing") else {}


async def finish_editing(conv: Conversation) -> bool:
    """After one answer changed from /profile, go back to the profile instead of onward."""
    if not conv.state.data.get("editing"):
        return False
    conv.reply(conv._("Saved."))
    await conv.enter_named("profile", "menu")
    return True
