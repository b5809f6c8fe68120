"""Reminders by command: /remind WHEN TEXT in a group chat or a private conversation,
/reminders to list and manage them, /timezone to say where their times are.

A reminder is a schedule (bot.storage.schedules); the clock fires it into the outbox and
this module words each occurrence for its readers, in their language and time zone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from sqlmodel import Session, col, select

from bot.core.access import EVERYWHERE, chapter_in_view, is_admin
from bot.core.conversation import Conversation
from bot.core.events import ChatRef, ChoiceMade, CommandMessage, Incoming, TextMessage
from bot.core.flow import Flow
from bot.core.markup import Markup
from bot.core.notify import Notifier
from bot.core.outgoing import Option, Outgoing, Priority, Text
from bot.core.router import Occurrence, Router
from bot.core.services import Services
from bot.core.voice import Voice
from bot.handlers.chapter_admin import may_run
from bot.i18n.catalog import N_
from bot.i18n.schedule_words import describe, next_moments, state_words
from bot.i18n.when_input import Split, When, read_when, split_when
from bot.scheduling.rules import (
    Rule,
    next_occurrence,
    occurrences,
    place,
    shortest_gap,
    wall_clock,
)
from bot.storage.chapters import ChapterRepository
from bot.storage.conversations import ConversationRepository
from bot.storage.models import Chat, Member, PendingAction, Schedule, utcnow
from bot.storage.outbox import OutboxStore
from bot.storage.schedules import ACTIVE, PAUSED, REMINDER, ScheduleRepository

router = Router("reminders")
asking = router.include_flow(Flow("remind"))

MAX_TEXT = 1000
MIN_GAP = timedelta(minutes=15)
MAX_PER_CHAT = 50
MAX_PER_MEMBER = 20
GRACE = timedelta(hours=1)
UNDO_FOR = timedelta(minutes=10)
UNDO = "reminder.undo"
SNOOZE = "reminder.snooze"


# -- where and whose ------------------------------------------------------------------------


def chat_zone(services: Services, session: Session, chat: Chat | None) -> str:
    """A group's zone: its own (/timezone), else its chapter's city's, else the
    organization's."""
    if chat is not None and chat.timezone:
        return chat.timezone
    if chat is not None and chat.chapter_id is not None:
        chapter = ChapterRepository(session).get(chat.chapter_id)
        place_found = (
            services.gazetteer.nearest(chapter.latitude, chapter.longitude) if chapter else None
        )
        if place_found is not None:
            return place_found.timezone
    return services.organization.timezone


def member_zone(services: Services, member: Member) -> str:
    return member.timezone or services.organization.timezone


def zone_here(conv: Conversation) -> str:
    if conv.incoming.is_direct:
        return member_zone(conv.services, conv.member)
    return chat_zone(conv.services, conv.session, conv.chat)


def may_remind_group(conv: Conversation) -> bool:
    """Pinging a whole group is for its chapter's organizers and the admins; in a group not
    linked to a chapter, for the group's moderators."""
    if is_admin(conv):
        return True
    chapter = chapter_in_view(conv)
    if chapter is not None:
        return may_run(conv, chapter)
    return conv.incoming.chat_moderator


def who_may(conv: Conversation) -> str:
    chapter = chapter_in_view(conv)
    if chapter is not None:
        return conv._(
            "Only the organizers of %(chapter)s can set reminders for this chat. You can set "
            "one for yourself in a private conversation with me.",
            chapter=chapter.name,
        )
    return conv._(
        "Only this group's moderators can set reminders for it. You can set one for yourself "
        "in a private conversation with me."
    )


def examples(conv: Conversation) -> str:
    return conv._(
        "For example: /remind tomorrow at 18:00 Bring the flyers, or /remind every first "
        "Monday of the month at 19:00 Chapter meeting."
    )


# -- /remind ---------------------------------------------------------------------------------


# In a group the handlers decide (organizers of a linked chapter, else the moderators).
@router.command(
    "remind", description=N_("Set a reminder for this chat or for yourself"), access=EVERYWHERE
)
async def remind(conv: Conversation, command: CommandMessage) -> None:
    if not conv.incoming.is_direct and not may_remind_group(conv):
        conv.reply(who_may(conv))
        return
    if not command.args.strip():
        conv.finish()
        await conv.enter(asking, "text")
        return
    split = split_when(command.args, zone_here(conv), utcnow())
    await create_from_split(conv, split)


async def create_from_split(conv: Conversation, split: Split) -> None:
    if split.when is None:
        conv.reply(Markup(f"{problem_words(conv, split.problem)}\n{examples(conv)}"))
        return
    await propose(conv, split.when, split.text)


def problem_words(conv: Conversation, problem: str | None) -> str:
    if problem == "no-time":
        return conv._("Please tell me the time too, for example “at 19:00”.")
    if problem == "bad-cron":
        return conv._(
            "That cron expression is not valid: it needs five fields (minute hour day month "
            "weekday), for example “cron 0 19 * * 1” for Mondays at 19:00."
        )
    return conv._("I could not tell when you want the reminder.")


def text_problem(conv: Conversation, text: str) -> str | None:
    if not text.strip():
        return conv._("What should the reminder say? Put the text after the time.")
    if len(text) > MAX_TEXT:
        return conv._(
            "The text of a reminder can have at most %(limit)s characters.",
            limit=conv.fmt.number(MAX_TEXT),
        )
    return None


def rule_problem(conv: Conversation, rule: Rule, zone: str, now: datetime) -> str | None:
    if next_occurrence(rule, zone, now) is None:
        return conv._("That time is in the past. Please choose a moment still ahead.")
    gap = shortest_gap(rule, zone, now)
    if gap is not None and gap < MIN_GAP:
        return conv._("Reminders can repeat at most every 15 minutes.")
    return None


async def propose(conv: Conversation, when: When, text: str) -> None:
    """Check everything, then create; an hour that could be morning or evening is asked."""
    problem = text_problem(conv, text)
    if problem:
        conv.reply(Markup(f"{problem}\n{examples(conv)}"))
        return
    if when.evening is not None:
        zone = zone_here(conv)
        fmt = zone_voice(conv, zone).fmt
        options = []
        for key, rule in (("morning", when.rule), ("evening", when.evening)):
            if rule.repeats:
                label = fmt.clock(int(rule.hour), int(rule.minute))
            else:
                at = datetime.fromisoformat(rule.at or "")
                label = fmt.clock(at.hour, at.minute)
            options.append(Option(key, label))
        await conv.enter(
            asking,
            "daypart",
            text=text,
            morning=when.rule.to_dict(),
            evening=when.evening.to_dict(),
            options=options,
        )
        return
    create(conv, when.rule, text)


def create(conv: Conversation, rule: Rule, text: str) -> None:
    now = utcnow()
    zone = zone_here(conv)
    problem = rule_problem(conv, rule, zone, now)
    if problem:
        conv.reply(Markup(f"{problem}\n{examples(conv)}"))
        return
    schedules = ScheduleRepository(conv.session)
    personal = conv.incoming.is_direct
    chat = conv.chat_ref
    if personal and schedules.count_active_owned(REMINDER, conv.member.id) >= MAX_PER_MEMBER:
        conv.reply(
            conv._(
                "You already have %(limit)s reminders, the most I keep for one member. Cancel "
                "one with /reminders cancel ID first.",
                limit=MAX_PER_MEMBER,
            )
        )
        return
    if not personal and (
        schedules.count_active_in_chat(REMINDER, chat.platform, chat.chat_id) >= MAX_PER_CHAT
    ):
        conv.reply(
            conv._(
                "This chat already has %(limit)s reminders, the most I keep for one chat. Cancel "
                "one with /reminders cancel ID first.",
                limit=MAX_PER_CHAT,
            )
        )
        return
    schedule = schedules.add(
        Schedule(
            kind=REMINDER,
            owner_id=conv.member.id if personal else None,
            created_by=conv.member.id,
            platform=chat.platform,
            chat_id=chat.chat_id,
            rule=rule.to_dict(),
            timezone=zone,
            payload={"text": text},
            next_at=next_occurrence(rule, zone, now),
        )
    )
    confirm(conv, schedule, created=True)


def confirm(conv: Conversation, schedule: Schedule, created: bool) -> None:
    """What was understood, the next three occurrences, and a button to undo."""
    rule = Rule.from_dict(schedule.rule)
    moments = occurrences(rule, schedule.timezone, utcnow(), 3)
    voice = zone_voice(conv, schedule.timezone)
    words = describe(voice, rule, moments[0] if moments else None)
    # TRANSLATORS: %(when)s is a moment ("Friday 4 December at 18:00") or a rule in words
    # ("every Monday at 19:00").
    if created and schedule.owner_id is not None:
        head = conv._(
            "I'll remind you %(when)s: “%(text)s”", when=words, text=schedule.payload["text"]
        )
    elif created:
        head = conv._(
            "I'll remind this chat %(when)s: “%(text)s”", when=words, text=schedule.payload["text"]
        )
    else:
        head = conv._(
            "Reminder #%(id)s now reads: %(when)s: “%(text)s”",
            id=schedule.id,
            when=words,
            text=schedule.payload["text"],
        )
    lines = [head]
    if rule.repeats and moments:
        lines.append(conv._("Next: %(moments)s", moments=next_moments(voice, moments)))
    lines.append(conv._("Its number is #%(id)s (see /reminders).", id=schedule.id))
    text = Markup("\n".join(lines))
    if not created:
        conv.reply(text)
        return
    conv.offer(UNDO, {"schedule_id": schedule.id}, text, [Option("undo", conv._("Undo"))])


def zone_voice(conv: Conversation, zone: str) -> Voice:
    """The conversation's language with the reminder's time zone (a group's, not the
    member's own)."""
    return Voice(conv.translator, zone)


@router.action(UNDO)
async def undo(conv: Conversation, action: PendingAction, _answer: str) -> None:
    schedules = ScheduleRepository(conv.session)
    schedule = schedules.get(int(action.payload["schedule_id"]))
    if schedule is None:
        conv.reply(conv._("That reminder no longer exists."))
        return
    if utcnow() - _aware(action.created_at) > UNDO_FOR:
        conv.reply(
            conv._(
                "That is too long ago to undo; cancel it with /reminders cancel %(id)s.",
                id=schedule.id,
            )
        )
        return
    schedules.delete(schedule)
    conv.reply(conv._("Undone: reminder #%(id)s is cancelled.", id=schedule.id))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


# -- /remind step by step --------------------------------------------------------------------


@asking.prompt("text", accepts_text=True)
async def ask_text(conv: Conversation) -> None:
    if conv.incoming.is_direct:
        conv.ask_text(conv._("What should I remind you of?"))
    else:
        conv.ask_text(conv._("What should I post in this chat?"))


@asking.answer("text")
async def on_text(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, TextMessage)
    text = event.text.strip()
    problem = text_problem(conv, text)
    if problem:
        conv.reply(problem)
        await conv.reprompt()
        return
    await conv.enter(asking, "repeat", text=text)


@asking.prompt("repeat")
async def ask_repeat(conv: Conversation) -> None:
    conv.ask(
        conv._("Once, or repeating?"),
        [Option("once", conv._("Once")), Option("repeat", conv._("Repeating"))],
    )


@asking.answer("repeat")
async def on_repeat(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    await conv.enter(asking, "day", repeat=event.keys[0] == "repeat")


@asking.prompt("day", accepts_text=True)
async def ask_day(conv: Conversation) -> None:
    if conv.state.data.get("repeat"):
        conv.ask_text(
            conv._(
                "How often? For example: every day, every Monday, every other Tuesday, every "
                "first Monday of the month, every 15th of the month."
            )
        )
    else:
        conv.ask_text(conv._("Which day? For example: today, tomorrow, Friday, 12 January."))


@asking.answer("day")
async def on_day(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, TextMessage)
    day = event.text.strip()
    if not _reads_with_a_time(conv, day):
        conv.reply(problem_words(conv, "unreadable"))
        await conv.reprompt()
        return
    await conv.enter(asking, "time", day=day)


def _reads_with_a_time(conv: Conversation, day: str) -> bool:
    """A day is understood if it reads as WHEN once a time is added (or as WHEN already)."""
    zone = zone_here(conv)
    for candidate in (day, f"{day} 12:00"):
        try:
            read_when(candidate, zone, utcnow())
        except ValueError:
            continue
        return True
    return False


@asking.prompt("time", accepts_text=True)
async def ask_time(conv: Conversation) -> None:
    conv.ask_text(conv._("What time? For example: 19:00."))


@asking.answer("time")
async def on_time(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, TextMessage)
    data = conv.state.data
    try:
        when = read_when(f"{data['day']} {event.text.strip()}", zone_here(conv), utcnow())
    except ValueError:
        conv.reply(conv._("I could not read that time. Please write it like 19:00."))
        await conv.reprompt()
        return
    text = data["text"]
    conv.finish()
    await propose(conv, when, text)


@asking.prompt("daypart")
async def ask_daypart(conv: Conversation) -> None:
    conv.ask(conv._("In the morning or in the evening?"), conv.remembered_options())


@asking.answer("daypart")
async def on_daypart(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    data = conv.state.data
    rule = Rule.from_dict(data[event.keys[0]])
    text = data["text"]
    conv.finish()
    create(conv, rule, text)


# -- /reminders ------------------------------------------------------------------------------

MANAGE = ("cancel", "pause", "resume", "skip", "edit")


@router.command(
    "reminders", description=N_("See and manage the reminders of this chat"), access=EVERYWHERE
)
async def reminders(conv: Conversation, command: CommandMessage) -> None:
    words = command.args.split(None, 2)
    if not words:
        list_reminders(conv)
        return
    action = words[0].lower()
    if action not in MANAGE or len(words) < 2:
        conv.reply(manage_usage(conv))
        return
    schedule = find(conv, words[1])
    if schedule is None:
        conv.reply(
            conv._("I don't know a reminder #%(id)s here.", id=words[1].lstrip("#"))
            + "\n"
            + manage_usage(conv)
        )
        return
    if not may_manage(conv, schedule):
        conv.reply(manage_refusal(conv, schedule))
        return
    rest = words[2] if len(words) > 2 else ""
    if action == "cancel":
        ScheduleRepository(conv.session).delete(schedule)
        conv.reply(conv._("Reminder #%(id)s is cancelled.", id=schedule.id))
    elif action == "pause":
        schedule.status = PAUSED
        ScheduleRepository(conv.session).save(schedule)
        conv.reply(
            conv._(
                "Reminder #%(id)s is paused. /reminders resume %(id)s starts it again.",
                id=schedule.id,
            )
        )
    elif action == "resume":
        resume(conv, schedule)
    elif action == "skip":
        skip(conv, schedule)
    else:
        edit(conv, schedule, rest)


def manage_refusal(conv: Conversation, schedule: Schedule) -> str:
    if chapter_in_view(conv) is not None:
        return conv._(
            "Only the reminder's author and the chapter's organizers can change reminder #%(id)s.",
            id=schedule.id,
        )
    return conv._(
        "Only the reminder's author and this group's moderators can change reminder #%(id)s.",
        id=schedule.id,
    )


def manage_usage(conv: Conversation) -> str:
    # TRANSLATORS: cancel, pause, resume, skip and edit are typed as they are; ID, WHEN
    # and TEXT stand for what the member types.
    return conv._(
        "Usage: /reminders lists them; /reminders cancel ID, pause ID, resume ID, skip ID (the "
        "next time only), edit ID WHEN or edit ID TEXT."
    )


def find(conv: Conversation, word: str) -> Schedule | None:
    schedule = ScheduleRepository(conv.session).open_by_number(REMINDER, word)
    if schedule is None:
        return None
    if conv.incoming.is_direct:
        return schedule if schedule.owner_id == conv.member.id else None
    here = conv.chat_ref
    if schedule.owner_id is None and (schedule.platform, schedule.chat_id) == (
        here.platform,
        here.chat_id,
    ):
        return schedule
    return None


def may_manage(conv: Conversation, schedule: Schedule) -> bool:
    """Authors manage their own; organizers any reminder in their chapter's chats."""
    if schedule.created_by == conv.member.id or schedule.owner_id == conv.member.id:
        return True
    return not conv.incoming.is_direct and may_remind_group(conv)


def list_reminders(conv: Conversation) -> None:
    schedules = ScheduleRepository(conv.session)
    if conv.incoming.is_direct:
        found = schedules.owned_by(REMINDER, conv.member.id)
        empty = conv._("You have no reminders. Set one with /remind, for example /remind "
                       "tomorrow at 9:00 Call Ann.")  # fmt: skip
        title = conv._("<b>Your reminders</b>")
    else:
        here = conv.chat_ref
        found = [s for s in schedules.in_chat(REMINDER, here.platform, here.chat_id)
                 if s.owner_id is None]  # fmt: skip
        empty = conv._("This chat has no reminders.")
        title = conv._("<b>Reminders in this chat</b>")
    if not found:
        conv.reply(empty)
        return
    lines = [title]
    for schedule in found:
        lines.append(reminder_line(conv, schedule))
    lines.append(manage_usage(conv))
    conv.reply(Markup("\n".join(lines)))


def reminder_line(conv: Conversation, schedule: Schedule) -> str:
    rule = Rule.from_dict(schedule.rule)
    voice = zone_voice(conv, schedule.timezone)
    words = describe(voice, rule, schedule.next_at or schedule.last_fired_at)
    author = conv.session.get(Member, schedule.created_by) if schedule.created_by else None
    text = schedule.payload.get("text", "")
    named = author is not None and author.display_name and schedule.owner_id is None
    if schedule.status == ACTIVE and not rule.repeats and schedule.next_at is not None:
        state = None  # a one-off's rule in words is its next time already
    else:
        state = state_words(voice, schedule.status, schedule.next_at)
    if state is None:
        if named:
            return conv._(
                "#%(id)s %(rule)s (by %(author)s): “%(text)s”",
                id=schedule.id, rule=words, author=author.display_name, text=text,
            )  # fmt: skip
        return conv._("#%(id)s %(rule)s: “%(text)s”", id=schedule.id, rule=words, text=text)
    if named:
        return conv._(
            "#%(id)s %(rule)s (%(state)s, by %(author)s): “%(text)s”",
            id=schedule.id, rule=words, state=state, author=author.display_name, text=text,
        )  # fmt: skip
    return conv._(
        "#%(id)s %(rule)s (%(state)s): “%(text)s”",
        id=schedule.id, rule=words, state=state, text=text,
    )  # fmt: skip


def resume(conv: Conversation, schedule: Schedule) -> None:
    rule = Rule.from_dict(schedule.rule)
    following = next_occurrence(rule, schedule.timezone, utcnow())
    if following is None:
        conv.reply(
            conv._(
                "Reminder #%(id)s has no time left ahead; set a new one with /remind.",
                id=schedule.id,
            )
        )
        return
    schedule.status, schedule.next_at = ACTIVE, following
    ScheduleRepository(conv.session).save(schedule)
    voice = zone_voice(conv, schedule.timezone)
    conv.reply(
        conv._(
            "Reminder #%(id)s is on again; next %(when)s.",
            id=schedule.id,
            when=voice.when(following),
        )
    )


def skip(conv: Conversation, schedule: Schedule) -> None:
    rule = Rule.from_dict(schedule.rule)
    if not rule.repeats or schedule.next_at is None:
        conv.reply(
            conv._(
                "Reminder #%(id)s happens only once; cancel it with /reminders cancel %(id)s.",
                id=schedule.id,
            )
        )
        return
    schedule.next_at = next_occurrence(rule, schedule.timezone, schedule.next_at)
    ScheduleRepository(conv.session).save(schedule)
    voice = zone_voice(conv, schedule.timezone)
    if schedule.next_at is None:
        conv.reply(conv._("Skipped; that was the last time for reminder #%(id)s.", id=schedule.id))
        return
    conv.reply(
        conv._(
            "Skipped once; reminder #%(id)s comes next %(when)s.",
            id=schedule.id,
            when=voice.when(schedule.next_at),
        )
    )


def edit(conv: Conversation, schedule: Schedule, rest: str) -> None:
    """`edit ID WHEN…` changes when (and the text, if some follows); `edit ID TEXT…` the
    text."""
    if not rest.strip():
        conv.reply(manage_usage(conv))
        return
    split = split_when(rest, schedule.timezone, utcnow())
    rule = split.when.rule if split.when is not None and split.when.evening is None else None
    if split.when is not None and split.when.evening is not None:
        conv.reply(
            conv._("Please write the hour so I can't mistake it, for example 07:00 or 19:00.")
        )
        return
    text = split.text if split.when is not None else rest.strip()
    if text:
        problem = text_problem(conv, text)
        if problem:
            conv.reply(problem)
            return
        schedule.payload = {**schedule.payload, "text": text}
    if rule is not None:
        problem = rule_problem(conv, rule, schedule.timezone, utcnow())
        if problem:
            conv.reply(problem)
            return
        schedule.rule = rule.to_dict()
        schedule.next_at = next_occurrence(rule, schedule.timezone, utcnow())
        schedule.status = ACTIVE
    ScheduleRepository(conv.session).save(schedule)
    confirm(conv, schedule, created=False)


# -- /timezone -------------------------------------------------------------------------------


@router.command(
    "timezone", description=N_("Set the time zone of your reminders"), access=EVERYWHERE
)
async def timezone_command(conv: Conversation, command: CommandMessage) -> None:
    wanted = command.args.strip()
    direct = conv.incoming.is_direct
    current = zone_here(conv)
    if not wanted:
        conv.reply(
            conv._(
                "Reminders here use the time zone %(zone)s. To change it: /timezone PLACE, for "
                "example /timezone Brussels.",
                zone=current,
            )
        )
        return
    if not direct and not may_remind_group(conv):
        conv.reply(who_may(conv))
        return
    zone = zone_for(conv, wanted)
    if zone is None:
        conv.reply(
            conv._(
                "I don't know the place “%(place)s”. Try a larger town nearby, or a time zone "
                "name such as Europe/Brussels.",
                place=wanted[:100],
            )
        )
        return
    if direct:
        conv.member.timezone = zone
        conv.session.add(conv.member)
        moved = ScheduleRepository(conv.session).owned_by(REMINDER, conv.member.id)
    else:
        assert conv.chat is not None
        conv.chat.timezone = zone
        conv.session.add(conv.chat)
        here = conv.chat_ref
        moved = [s for s in ScheduleRepository(conv.session).in_chat(
            REMINDER, here.platform, here.chat_id) if s.owner_id is None]  # fmt: skip
    move_to_zone(conv.session, moved, zone)
    conv.reply(conv._("Done: reminders here now follow the time zone %(zone)s.", zone=zone))


def zone_for(conv: Conversation, wanted: str) -> str | None:
    if "/" in wanted and wanted in available_timezones():
        return wanted
    places = conv.services.gazetteer.search(wanted[:128], limit=1)
    return places[0].timezone if places else None


def move_to_zone(session: Session, schedules: list[Schedule], zone: str) -> None:
    """Reminders keep their wall-clock time in the new zone (19:00 stays 19:00)."""
    now = utcnow()
    repository = ScheduleRepository(session)
    for schedule in schedules:
        schedule.timezone = zone
        if schedule.status == ACTIVE:
            schedule.next_at = next_occurrence(Rule.from_dict(schedule.rule), zone, now)
        repository.save(schedule)


# -- the clock fires a reminder --------------------------------------------------------------


BATCH_CHATS = "reminders.chats"


def prepare(services: Services, session: Session, schedules: list[Schedule]) -> None:
    """A firing batch's chats and authors, read in two queries instead of two per firing."""
    targets = [
        (s.platform, s.chat_id)
        for s in schedules
        if s.owner_id is None and s.platform and s.chat_id
    ]
    found = ConversationRepository(session).find_chats(targets)
    cache = session.info.setdefault(BATCH_CHATS, {})
    for target in targets:
        cache[ChatRef(*target)] = found.get(target)  # type: ignore[arg-type]
    authors = {s.created_by for s in schedules if s.created_by is not None}
    if authors:  # kept in the session's identity map: session.get() reads them from there
        list(session.exec(select(Member).where(col(Member.id).in_(authors))))


@router.on_schedule(REMINDER, grace=GRACE, missed=lambda *a: tell_missed(*a), prepare=prepare)
def fire(services: Services, session: Session, schedule: Schedule, at: Occurrence) -> None:
    text = schedule.payload.get("text", "")
    if schedule.owner_id is not None:
        member = session.get(Member, schedule.owner_id)
        if member is not None:
            remind_member(services, session, schedule, member, text, at)
        return
    assert schedule.platform and schedule.chat_id
    target = ChatRef(schedule.platform, schedule.chat_id)
    chats = session.info.setdefault(BATCH_CHATS, {})
    if target not in chats:
        chats[target] = ConversationRepository(session).find_chat(target.platform, target.chat_id)
    chat = chats[target]
    voice = Notifier(services, session).chat_voice(chat, schedule.timezone)
    language = voice.language
    author = session.get(Member, schedule.created_by) if schedule.created_by else None
    if author is not None and author.display_name:
        words = voice._(
            "⏰ <b>Reminder</b> from %(author)s: %(text)s", author=author.display_name, text=text
        )
    else:
        words = voice._("⏰ <b>Reminder</b>: %(text)s", text=text)
    words = Markup(words + late_note(voice, at))
    message = Outgoing(target, Text(words), Priority.BROADCAST, language=language, notify=True)
    OutboxStore(session).enqueue(message, None, (schedule.id, at.at))  # type: ignore[arg-type]


def late_note(voice: Voice, at: Occurrence) -> str:
    if not at.late:
        return ""
    return "\n" + voice._("(Late: this was due %(when)s; I was offline.)", when=voice.when(at.at))


def remind_member(
    services: Services,
    session: Session,
    schedule: Schedule,
    member: Member,
    text: str,
    at: Occurrence,
) -> None:
    notifier = Notifier(services, session, occurrence=(schedule.id, at.at))  # type: ignore[arg-type]

    def question(voice: Voice) -> tuple[str, list[Option]]:
        words = voice._("⏰ <b>Reminder</b>: %(text)s", text=text) + late_note(voice, at)
        options = [
            Option("done", voice._("It's done")),
            Option("hour", voice._("In one hour")),
            Option("tomorrow", voice._("Tomorrow")),
        ]
        return Markup(words), options

    notifier.ask(
        member, SNOOZE, {"schedule_id": schedule.id}, question, Priority.NOTICE, notify=True
    )


@router.action(SNOOZE)
async def snooze(conv: Conversation, action: PendingAction, answer: str) -> None:
    schedules = ScheduleRepository(conv.session)
    schedule = schedules.get(int(action.payload["schedule_id"]))
    if answer == "done" or schedule is None:
        conv.reply(conv._("Done. 👍"))
        return
    now = utcnow()
    if answer == "hour":
        later = now + timedelta(hours=1)
    else:
        tz = ZoneInfo(schedule.timezone)
        later = place(wall_clock(now, tz) + timedelta(days=1), tz)
    schedule.snoozed_until = later
    schedule.status = ACTIVE
    schedules.save(schedule)
    voice = zone_voice(conv, schedule.timezone)
    conv.reply(conv._("All right, I'll remind you again %(when)s.", when=voice.when(later)))


def tell_missed(
    services: Services, session: Session, schedule: Schedule, missed: list[datetime]
) -> None:
    """Occurrences too old to send after a downtime: the author hears of them once."""
    author = session.get(Member, schedule.created_by) if schedule.created_by else None
    if author is None:
        return
    text = schedule.payload.get("text", "")
    last = missed[-1]
    Notifier(services, session).tell(
        author,
        lambda voice: voice.ngettext(
            "I was offline when your reminder “%(text)s” was due (%(when)s), more than an hour "
            "ago, so I did not send it late.",
            "I was offline when your reminder “%(text)s” was due %(count)s times (last on "
            "%(when)s), more than an hour ago, so I did not send them late.",
            len(missed),
            text=text,
            when=voice.when(last),
        ),
    )


# -- chats that are gone ----------------------------------------------------------------------


def pause_in_chat(services: Services, session: Session, chat: ChatRef) -> None:
    """The bot left a chat (or it was unlinked): its reminders wait, and their authors hear."""
    schedules = ScheduleRepository(session)
    notifier = Notifier(services, session)
    for schedule in schedules.in_chat(REMINDER, chat.platform, chat.chat_id):
        if schedule.status != ACTIVE or schedule.owner_id is not None:
            continue
        schedule.status = PAUSED
        schedules.save(schedule)
        author = session.get(Member, schedule.created_by) if schedule.created_by else None
        if author is None:
            continue
        notifier.tell(
            author,
            lambda voice, s=schedule: voice._(
                "Your reminder #%(id)s (“%(text)s”) is paused: its chat is no longer linked "
                "or I was removed from it. Send /reminders resume %(id)s in that chat to start "
                "it again.",
                id=s.id,
                text=s.payload.get("text", ""),
            ),
        )


# -- privacy ---------------------------------------------------------------------------------


def data_lines(conv: Conversation) -> list[str]:
    """/mydata: the member's own reminders and the group reminders they wrote."""
    lines = []
    for schedule in ScheduleRepository(conv.session).about_member(conv.member.id):
        if schedule.kind == REMINDER:
            lines.append(reminder_line(conv, schedule))
    return lines
