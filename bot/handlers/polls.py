"""Quick polls in group chats: created in one message or step by step, voted natively, by
number or from a reminder; one tally across a chapter's chats; closed by deadline or by hand.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from bot.core.access import ANYONE, EVERYWHERE, PRIVATE, Access
from bot.core.conversation import Conversation
from bot.core.events import ChatRef, ChoiceMade, CommandMessage, Incoming, PollVote, TextMessage
from bot.core.flow import Flow
from bot.core.markup import Markup, escape
from bot.core.notify import Notifier
from bot.core.outgoing import ClosePoll, Option, Outgoing, Poll, Priority, Text
from bot.core.router import Occurrence, Router
from bot.core.services import Services
from bot.core.voice import Voice
from bot.handlers.chapter_admin import is_admin, may_run
from bot.i18n.catalog import N_
from bot.i18n.parsing import fold, split_list, whole_number
from bot.i18n.poll_input import MAX_AHEAD, PollDraft, parse_deadline, split_poll
from bot.scheduling.rules import once
from bot.storage.chapters import ChapterRepository
from bot.storage.conversations import ConversationRepository
from bot.storage.memberships import MembershipRepository
from bot.storage.models import Member, PendingAction, PollRecord, Schedule, utcnow
from bot.storage.outbox import OutboxStore
from bot.storage.polls import PollRepository
from bot.storage.schedules import DONE, ScheduleRepository

router = Router("polls")
creating = router.include_flow(Flow("poll"))

MAX_QUESTION = 300  # Telegram's own limits, so a poll can be native everywhere
MAX_OPTION = 100
MIN_OPTIONS, MAX_OPTIONS = 2, 10
BAR_WIDTH = 10
VOTE = "poll.vote"
# /pollremind messages every member of a chapter: once a day per poll, a few polls a day.
REMIND_EVERY = timedelta(days=1)
MAX_REMINDED_POLLS_A_DAY = 2


# -- creating --------------------------------------------------------------------------------


@router.command(
    "poll",
    description=N_("Start a quick poll in this group chat"),
    access=Access(group=ANYONE),
    elsewhere=N_("Polls run in group chats: send /poll in your chapter's group chat."),
)
async def poll_command(conv: Conversation, command: CommandMessage) -> None:
    if not command.args.strip():
        conv.finish()
        await conv.enter(creating, "question")
        return
    await create_from_draft(conv, split_poll(command.args))


def problems_with(voice: Voice, draft: PollDraft) -> str | None:
    """What is wrong with a poll, in words, or None."""
    if not draft.question:
        return voice._("The poll needs a question.")
    if len(draft.question) > MAX_QUESTION:
        return voice._(
            "The question is too long (at most %(limit)s characters).", limit=MAX_QUESTION
        )
    if len(draft.options) < MIN_OPTIONS:
        return voice._("A poll needs at least two options, separated by |.")
    if len(draft.options) > MAX_OPTIONS:
        return voice._("A poll can have at most ten options.")
    if any(len(option) > MAX_OPTION for option in draft.options):
        return voice._("Each option can have at most %(limit)s characters.", limit=MAX_OPTION)
    folded = [fold(option) for option in draft.options]
    if len(set(folded)) != len(folded):
        return voice._("Two options are the same; each option must be different.")
    return None


async def create_from_draft(conv: Conversation, draft: PollDraft) -> None:
    usage = conv._(
        "Usage: /poll Question? | Option 1 | Option 2 (up to 10), and if you like: "
        "multiple, anonymous, hidden, closes friday 18:00."
    )
    problem = problems_with(conv, draft)
    if problem:
        conv.reply(Markup(f"{problem}\n{usage}"))
        return
    closes_at = None
    if draft.deadline_text:
        now = utcnow()
        # The author's own language first: in a group the chat may speak another one.
        language = conv.member.language or conv.language
        closes_at = parse_deadline(draft.deadline_text, language, conv.member.timezone, now)
        if closes_at is None:
            conv.reply(
                conv._(
                    "I don't understand the deadline “%(deadline)s”. Try for example "
                    "“closes friday 18:00” or “48h”.",
                    deadline=draft.deadline_text,
                )
            )
            return
        problem = deadline_problem(conv, closes_at, now)
        if problem:
            conv.reply(problem)
            return
    chat = conv.chat
    polls = PollRepository(conv.session)
    poll = polls.create(
        question=draft.question,
        options=draft.options,
        author_id=conv.member.id,
        chapter_id=chat.chapter_id if chat else None,
        multiple=draft.multiple,
        anonymous=draft.anonymous,
        hidden_results=draft.hidden,
        closes_at=closes_at,
    )
    schedule_deadline(conv.session, poll)
    others = other_chapter_chats(conv, poll)
    if others:
        await conv.enter(creating, "where", poll_id=poll.id)
        return
    post(conv, poll, [conv.chat_ref])


def deadline_problem(voice: Voice, closes_at: datetime, now: datetime) -> str | None:
    if closes_at <= now:
        return voice._("The deadline %(when)s has already passed.", when=voice.when(closes_at))
    if closes_at > now + MAX_AHEAD:
        return voice._("A poll can close at most a year from now. Please choose an earlier date.")
    return None


def other_chapter_chats(conv: Conversation, poll: PollRecord) -> list[ChatRef]:
    if poll.chapter_id is None:
        return []
    return [
        ChatRef(c.platform, c.chat_id)
        for c in ConversationRepository(conv.session).linked_chats(poll.chapter_id)
        if ChatRef(c.platform, c.chat_id) != conv.chat_ref
    ]


def poll_body(poll: PollRecord) -> Poll:
    # Like every outgoing text, the question and options are markup: the author's words
    # are escaped.
    options = tuple(Option(str(i), escape(label)) for i, label in enumerate(poll.options))
    return Poll(
        poll_id=poll.id,
        question=escape(poll.question),
        options=options,
        anonymous=poll.anonymous,
        multiple=poll.multiple,
        hidden=poll.hidden_results,
    )


def post(conv: Conversation, poll: PollRecord, chats: list[ChatRef]) -> None:
    polls = PollRepository(conv.session)
    for chat in chats:
        polls.posted(poll, chat.platform, chat.chat_id)
        conv.send(poll_body(poll), chat=chat)
    if poll.closes_at:
        conv.reply(conv._("The poll closes %(when)s.", when=conv.when(poll.closes_at)))


@creating.prompt("where")
async def ask_where(conv: Conversation) -> None:
    poll = PollRepository(conv.session).get(conv.state.data["poll_id"])
    chapter = (
        ChapterRepository(conv.session).get(poll.chapter_id) if poll and poll.chapter_id else None
    )
    count = len(other_chapter_chats(conv, poll)) + 1 if poll else 1
    conv.ask(
        conv._(
            "Post this poll here only, or in every chat of %(chapter)s?",
            chapter=chapter.name if chapter else "",
        ),
        [
            Option("here", conv._("Here only")),
            Option(
                "all",
                conv.ngettext(
                    "In the chapter's %(count)s chat",
                    "In all %(count)s chats of the chapter",
                    count,
                ),
            ),
        ],
    )


@creating.answer("where")
async def on_where(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    poll = PollRepository(conv.session).get(conv.state.data["poll_id"])
    conv.finish()
    if poll is None:
        return
    chats = [conv.chat_ref]
    if event.keys[0] == "all":
        chats += other_chapter_chats(conv, poll)
    post(conv, poll, chats)


# -- step by step ----------------------------------------------------------------------------


@creating.prompt("question", accepts_text=True)
async def ask_question(conv: Conversation) -> None:
    conv.ask_text(conv._("What is the question of your poll?"))


@creating.answer("question")
async def on_question(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, TextMessage)
    question = " ".join(event.text.split())
    if len(question) > MAX_QUESTION:
        conv.reply(
            conv._("The question is too long (at most %(limit)s characters).", limit=MAX_QUESTION)
        )
        return
    await conv.enter(creating, "options", question=question)


@creating.prompt("options", accepts_text=True)
async def ask_options(conv: Conversation) -> None:
    conv.ask_text(
        conv._(
            "What are the options? Send them in one message, separated by | or on separate lines."
        )
    )


@creating.answer("options")
async def on_options(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, TextMessage)
    draft = split_poll(conv.state.data["question"] + "\n" + event.text)
    problem = problems_with(conv, draft)
    if problem:
        conv.reply(problem)
        return
    await conv.enter(
        creating, "settings", options=[Option(str(i), o) for i, o in enumerate(draft.options)]
    )


@creating.prompt("settings")
async def ask_settings(conv: Conversation) -> None:
    conv.ask(
        conv._("Any settings? Choose as many as you like, for example “1, 3”."),
        [
            Option("multiple", conv._("Several answers allowed")),
            Option("anonymous", conv._("Anonymous")),
            Option("hidden", conv._("Results hidden until the poll closes")),
            Option("none", conv._("None of these")),
        ],
        multiple=True,
    )


@creating.answer("settings")
async def on_settings(conv: Conversation, event: Incoming) -> None:
    assert isinstance(event, ChoiceMade)
    settings = [k for k in event.keys if k != "none"]
    conv.remember(settings=settings)
    await conv.enter(creating, "deadline")


@creating.prompt("deadline", accepts_text=True)
async def ask_deadline(conv: Conversation) -> None:
    conv.ask(
        conv._("When does the poll close? For example “friday 18:00” or “48h”."),
        [Option("none", conv._("No deadline: I'll close it myself"))],
    )


@creating.answer("deadline")
async def on_deadline(conv: Conversation, event: Incoming) -> None:
    data = conv.state.data
    draft = PollDraft(
        question=data["question"],
        options=[label for _key, label in data["options"]],
        multiple="multiple" in data["settings"],
        anonymous="anonymous" in data["settings"],
        hidden="hidden" in data["settings"],
    )
    if isinstance(event, TextMessage):
        text = event.text.strip()
        language = conv.member.language or conv.language
        now = utcnow()
        closes_at = parse_deadline(text, language, conv.member.timezone, now)
        if closes_at is None:
            conv.reply(
                conv._(
                    "I don't understand the deadline “%(deadline)s”. Try for example "
                    "“closes friday 18:00” or “48h”.",
                    deadline=text,
                )
            )
            return
        problem = deadline_problem(conv, closes_at, now)
        if problem:
            conv.reply(problem)
            return
        draft.deadline_text = text
    conv.finish()
    await create_from_draft(conv, draft)


# -- voting ----------------------------------------------------------------------------------


def cast(conv: Conversation, poll: PollRecord, choices: list[int]) -> str | None:
    """One ballot per member and poll, whichever chat or platform it comes from. Returns
    what went wrong, in words, or None."""
    if poll.closed_at is not None:
        return conv._("This poll is closed: “%(question)s”.", question=poll.question)
    polls = PollRepository(conv.session)
    if not choices:
        if polls.retract(poll, conv.member.id):
            return None
        return conv._("Anonymous votes cannot be taken back.")
    if not polls.vote(poll, conv.member.id, choices, ballot_chat(conv, poll)):
        return conv._("You have already voted in this anonymous poll; your vote counts once.")
    return None


def ballot_chat(conv: Conversation, poll: PollRecord) -> str:
    """The chat a ballot counts under: the group it was cast in. A vote sent in private counts
    under the poll's first chat: a share per private conversation would show how one person
    voted."""
    if not conv.incoming.is_direct:
        return conv.chat_ref.key
    return PollRepository(conv.session).home_chat_key(poll.id) or ""


@router.on(PollVote)
async def native_vote(conv: Conversation, event: Incoming) -> None:
    """A vote in the platform's own poll (Telegram's poll_answer and buttons, Matrix poll
    responses). A counted vote gets no answer: the platform shows it."""
    assert isinstance(event, PollVote)
    poll = PollRepository(conv.session).get(event.poll_id)
    if poll is None:
        return
    numbers = (whole_number(k) for k in event.option_keys)  # keys come from the platform
    choices = [n for n in numbers if n is not None and n < len(poll.options)]
    problem = cast(conv, poll, choices if poll.multiple else choices[:1])
    if problem:
        conv.reply(problem)  # adapters show it to the voter alone where they can


def typed_choices(poll: PollRecord, text: str) -> list[int] | None:
    """'2', 'Ghent', '1, 3' → option positions, or None if it is not an answer to this poll."""
    labels = {fold(label): i for i, label in enumerate(poll.options)}
    items = split_list(text) if poll.multiple else [text.strip()]
    chosen: list[int] = []
    for item in items:
        item = item.strip().rstrip(".)")
        number = whole_number(item)
        if number is not None and 1 <= number <= len(poll.options):
            chosen.append(number - 1)
        elif fold(item) in labels:
            chosen.append(labels[fold(item)])
        else:
            return None
    return list(dict.fromkeys(chosen)) or None


@router.group_text
async def typed_vote(conv: Conversation, event: TextMessage) -> None:
    """In a group, a number or an option's text answers the chat's latest poll (and hears
    that it is closed, if it is)."""
    poll = PollRepository(conv.session).latest_in_chat(
        conv.chat_ref.platform, conv.chat_ref.chat_id
    )
    if poll is None:
        return
    choices = typed_choices(poll, event.text)
    if choices is not None and poll.anonymous and poll.closed_at is None:
        # A number typed in the group would show everyone what this member chose.
        conv.reply(
            conv._(
                "This poll is anonymous: please vote with the poll itself, so that your "
                "choice stays private."
            )
        )
        return
    if choices is None:
        return
    if poll.closed_at is not None:
        # Said once per member and poll: a closed poll must not answer every "1" in the chat.
        if PollRepository(conv.session).tell_closed_once(poll.id, conv.member.id):
            conv.reply(conv._("This poll is closed: “%(question)s”.", question=poll.question))
        return
    problem = cast(conv, poll, choices)
    if problem:
        conv.reply(problem)


@router.command(
    "vote",
    description=N_("Vote privately: /vote CODE NUMBER, as shown with the poll"),
    access=PRIVATE,
)
async def private_vote(conv: Conversation, command: CommandMessage) -> None:
    """A vote sent to the bot alone, where a platform's polls would show it to the room."""
    code, _, answer = command.args.strip().partition(" ")
    usage = conv._("Usage: /vote CODE NUMBER, with the code and the numbers shown with the poll.")
    if not code or not answer.strip():
        conv.reply(usage)
        return
    poll = PollRepository(conv.session).get(code)
    if poll is None:
        conv.reply(conv._("I know no poll with the code %(code)s.", code=code))
        return
    choices = typed_choices(poll, answer)
    if choices is None:
        conv.reply(usage)
        return
    problem = cast(conv, poll, choices)
    conv.reply(problem or conv._("Thank you, your vote is counted."))


@router.action(VOTE)
async def reminded_vote(conv: Conversation, action: PendingAction, answer: str) -> None:
    poll = PollRepository(conv.session).get(action.payload["poll_id"])
    if poll is None:
        conv.reply(conv._("That poll no longer exists."))
        return
    problem = cast(conv, poll, [int(answer)])
    conv.reply(problem or conv._("Thank you, your vote is counted."))


# -- results ---------------------------------------------------------------------------------


def bar(share: float) -> str:
    filled = round(share * BAR_WIDTH)
    return "█" * filled + "░" * (BAR_WIDTH - filled)


Tally = tuple[Counter[int], int, dict[str, Counter[int]]]


def results_text(
    voice: Voice,
    session: Session,
    poll: PollRecord,
    per_chat: bool = False,
    tally: Tally | None = None,
) -> str:
    counts, ballots, chats = tally or PollRepository(session).tally(poll)
    lines = [voice._("<b>%(question)s</b>", question=poll.question)]
    if poll.hidden_results and poll.closed_at is None:
        if poll.closes_at:
            lines.append(
                voice._(
                    "The results will be shown when the poll closes, %(when)s.",
                    when=voice.when(poll.closes_at),
                )
            )
        else:
            lines.append(voice._("The results will be shown when the poll closes."))
        lines.append(voice.ngettext("%(count)s vote so far.", "%(count)s votes so far.", ballots))
        return Markup("\n".join(lines))
    total = sum(counts.values())
    for index, label in enumerate(poll.options):
        share = counts[index] / total if total else 0.0
        lines.append(
            f"{escape(label)}\n{bar(share)} "
            + voice._(
                "%(percent)s (%(count)s)",
                percent=voice.fmt.percent(share),
                count=voice.fmt.number(counts[index]),
            )
        )
    lines.append(voice.ngettext("%(count)s person voted.", "%(count)s people voted.", ballots))
    if per_chat and len(chats) > 1:
        lines.append(voice._("Each chat's share:"))
        for chat_key, chat_counts in sorted(chats.items()):
            lines.append(
                f"• {escape(chat_name(session, chat_key))}: "
                + escape(
                    voice.fmt.list(
                        [
                            f"{poll.options[i]} {voice.fmt.number(n)}"
                            for i, n in sorted(chat_counts.items())
                        ]
                    )
                )
            )
    if poll.closed_at is not None:
        lines.append(voice._("This poll is closed."))
    return Markup("\n".join(lines))


def chat_name(session: Session, chat_key: str) -> str:
    """A chat as members know it: its title where the platform gave one."""
    platform, _, chat_id = chat_key.partition(":")
    chat = ConversationRepository(session).find_chat(platform, chat_id)
    if chat is not None and chat.title:
        return f"{chat.title} ({platform.capitalize()})"
    return platform.capitalize()


def poll_in_view(conv: Conversation, open_only: bool) -> PollRecord | None:
    polls = PollRepository(conv.session).in_chat(
        conv.chat_ref.platform, conv.chat_ref.chat_id, open_only=open_only
    )
    return polls[0] if polls else None


@router.command("results", description=N_("Results of this chat's latest poll"), access=EVERYWHERE)
async def results(conv: Conversation, command: CommandMessage) -> None:
    poll = poll_in_view(conv, open_only=False)
    if poll is None:
        conv.reply(conv._("There is no poll in this chat yet. Start one with /poll."))
        return
    detail = fold(command.args) in {"chats", "detail", "details", "detail par chat", "per chat"}
    conv.reply(results_text(conv, conv.session, poll, per_chat=detail))


@router.command("polls", description=N_("The open polls of this chat"), access=EVERYWHERE)
async def list_polls(conv: Conversation, _command: CommandMessage) -> None:
    polls = PollRepository(conv.session).in_chat(conv.chat_ref.platform, conv.chat_ref.chat_id)
    if not polls:
        conv.reply(conv._("No poll is open in this chat. Start one with /poll."))
        return
    lines = [conv.ngettext("%(count)s open poll:", "%(count)s open polls:", len(polls))]
    for poll in polls:
        line = f"• {escape(poll.question)}"
        if poll.closes_at:
            line += " " + conv._("(closes %(when)s)", when=conv.when(poll.closes_at))
        lines.append(line)
    conv.reply(Markup("\n".join(lines)))


# -- closing ---------------------------------------------------------------------------------


def may_close(conv: Conversation, poll: PollRecord) -> bool:
    if poll.author_id == conv.member.id or is_admin(conv):
        return True
    chapter = ChapterRepository(conv.session).get(poll.chapter_id) if poll.chapter_id else None
    return chapter is not None and may_run(conv, chapter)


@router.command(
    "closepoll",
    description=N_("Close this chat's latest poll (its author or an organizer)"),
    access=EVERYWHERE,  # the poll's author, or its chapter's organizers: seen below
)
async def close_command(conv: Conversation, _command: CommandMessage) -> None:
    refusal = conv._("Only the poll's author or the chapter's organizers can close it.")
    poll = open_poll_run_by(conv, refusal)
    if poll is not None:
        close(conv.services, conv.session, poll)


def open_poll_run_by(conv: Conversation, refusal: str) -> PollRecord | None:
    """The chat's latest open poll, if this member may close it or remind its voters."""
    poll = poll_in_view(conv, open_only=True)
    if poll is None:
        conv.reply(conv._("No poll is open in this chat."))
        return None
    if not may_close(conv, poll):
        conv.reply(refusal)
        return None
    return poll


def close(services: Services, session: Session, poll: PollRecord) -> None:
    """Close once: stop the native polls and post the results in every chat of the poll."""
    polls = PollRepository(session)
    polls.close(poll)
    deadline = ScheduleRepository(session).by_key(deadline_key(poll.id))
    if deadline is not None and deadline.status != DONE:
        deadline.status = DONE  # closed by hand before its deadline: nothing left to do
        ScheduleRepository(session).save(deadline)
    tally = polls.tally(poll)  # once, then worded in each chat's language
    notifier = Notifier(services, session)
    store = OutboxStore(session)
    for posted in polls.chats(poll.id):
        chat = ConversationRepository(session).find_chat(posted.platform, posted.chat_id)
        voice = notifier.chat_voice(chat)
        ref = ChatRef(posted.platform, posted.chat_id)
        results = results_text(voice, session, poll, tally=tally)
        for body in (ClosePoll(poll.id), Text(results)):
            store.enqueue(Outgoing(ref, body, priority=Priority.NOTICE, language=voice.language))


DEADLINE = "poll.deadline"


def deadline_key(poll_id: str) -> str:
    return f"poll:{poll_id}"


def schedule_deadline(session: Session, poll: PollRecord) -> None:
    """The clock closes the poll at its deadline (within seconds; late if the bot was down)."""
    if poll.closes_at is None:
        return
    ScheduleRepository(session).add(
        Schedule(
            kind=DEADLINE,
            key=deadline_key(poll.id),
            rule=once(poll.closes_at.astimezone(UTC)).to_dict(),
            timezone="UTC",
            payload={"poll_id": poll.id},
            next_at=poll.closes_at,
        )
    )


# Deadlines pass even while the bot is down: however late, a due poll closes once.
@router.on_schedule(DEADLINE, grace=None)
def close_at_deadline(
    services: Services, session: Session, schedule: Schedule, _at: Occurrence
) -> None:
    poll = PollRepository(session).get(schedule.payload.get("poll_id", ""))
    if poll is not None and poll.closed_at is None:
        close(services, session, poll)


# -- reminding those who have not voted ------------------------------------------------------


@router.command(
    "pollremind",
    description=N_("Remind the chapter's members who have not voted"),
    access=EVERYWHERE,  # the poll's author, or its chapter's organizers: seen below
)
async def remind(conv: Conversation, _command: CommandMessage) -> None:
    # Reminders reach every member of the chapter privately: for its organizers, not for
    # whoever started a poll (anyone in the chat may).
    poll = poll_in_view(conv, open_only=True)
    if poll is None:
        conv.reply(conv._("No poll is open in this chat."))
        return
    if poll.chapter_id is None:
        conv.reply(conv._("This chat is not linked to a chapter, so I don't know whom to remind."))
        return
    chapter = ChapterRepository(conv.session).get(poll.chapter_id)
    if chapter is None or not may_run(conv, chapter):
        conv.reply(conv._("Only the chapter's organizers can send reminders."))
        return
    polls = PollRepository(conv.session)
    now = utcnow()
    if poll.reminded_at is not None and poll.reminded_at > now - REMIND_EVERY:
        conv.reply(
            conv._(
                "The reminders for this poll were sent less than a day ago. "
                "You can send them again tomorrow."
            )
        )
        return
    if polls.reminders_since(chapter.id, now - REMIND_EVERY) >= MAX_REMINDED_POLLS_A_DAY:
        conv.reply(
            conv.ngettext(
                "The members of %(chapter)s were already reminded of %(count)s poll today. "
                "You can send more reminders tomorrow.",
                "The members of %(chapter)s were already reminded of %(count)s polls today. "
                "You can send more reminders tomorrow.",
                MAX_REMINDED_POLLS_A_DAY,
                chapter=chapter.name,
            )
        )
        return
    poll.reminded_at = now
    conv.session.add(poll)
    voted = polls.voted_members(poll.id)
    notifier = Notifier(conv.services, conv.session)
    reminded = 0
    for _membership, member in MembershipRepository(conv.session).members_of(poll.chapter_id):
        if member.id in voted or not polls.mark_reminded(poll.id, member.id):
            continue
        if remind_member(notifier, poll, member):
            reminded += 1
    conv.reply(
        conv.ngettext(
            "I reminded %(count)s member who has not voted yet.",
            "I reminded %(count)s members who have not voted yet.",
            reminded,
        )
    )


def remind_member(notifier: Notifier, poll: PollRecord, member: Member) -> bool:
    def question(voice: Voice) -> tuple[str, list[Option]]:
        text = voice._(
            "A poll is waiting for your vote: <b>%(question)s</b>", question=poll.question
        )
        if poll.closes_at:
            text += " " + voice._("(closes %(when)s)", when=voice.when(poll.closes_at))
        options = [Option(str(i), escape(label)) for i, label in enumerate(poll.options)]
        return Markup(text), options

    return notifier.ask(member, VOTE, {"poll_id": poll.id}, question)
