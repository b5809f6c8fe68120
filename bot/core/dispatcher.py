"""The dispatcher: runs every incoming event through the middleware and into a handler."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import secrets
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.core.access import chapter_in_view, holds
from bot.core.choices import NoMatch, OutOfRange, resolve_typed_choice
from bot.core.conversation import Conversation
from bot.core.events import (
    ChoiceMade,
    CommandMessage,
    Incoming,
    LocationShared,
    TextMessage,
    UnsupportedMessage,
)
from bot.core.outbox import Outbox
from bot.core.outgoing import Outgoing, Text
from bot.core.router import Command, Router, merge
from bot.core.sanitize import sanitized
from bot.core.services import Services
from bot.i18n.catalog import N_
from bot.i18n.locale import negotiate_language, normalize_language
from bot.storage.actions import ActionRepository
from bot.storage.conversations import ConversationRepository
from bot.storage.handled import HandledUpdates
from bot.storage.members import MemberRepository
from bot.storage.memberships import MembershipRepository
from bot.storage.models import ConversationState
from bot.storage.outbox import FILLED, OutboxStore

log = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 4096


def chat_lock(chat_key: str) -> int:
    """A chat's advisory lock key: a stable signed 64-bit hash of its key."""
    digest = hashlib.blake2b(chat_key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass(slots=True)
class Turn:
    """One incoming event on its way through the middleware."""

    incoming: Incoming
    outbox: Outbox
    language: str
    conversation: Conversation | None = None


Next = Callable[[Turn], Awaitable[None]]
Middleware = Callable[[Turn, Next], Awaitable[None]]


def state_snapshot(state: ConversationState) -> tuple[object, ...]:
    # Most turns have no flow going on: empty data and no prompt need no JSON.
    data, prompt = state.data, state.prompt
    return (
        state.flow,
        state.step,
        json.dumps(data, sort_keys=True, default=str) if data else data,
        json.dumps(prompt, sort_keys=True, default=str) if prompt else prompt,
    )


class Dispatcher:
    def __init__(self, services: Services, routers: Sequence[Router]) -> None:
        self.services = services
        self.router = merge(list(routers))
        self._chat_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self.middleware: list[Middleware] = [
            self.error_boundary,
            self.one_at_a_time_per_chat,
            self.unit_of_work,
        ]

    @property
    def commands(self):  # type: ignore[no-untyped-def]
        return self.router.commands

    async def handle(self, incoming: Incoming, outbox: Outbox) -> None:
        sender = incoming.sender
        if sender is not None and sender.is_bot:
            return  # never talk to bots (or to ourselves)
        incoming = sanitized(incoming)
        sender = incoming.sender
        hint = normalize_language(sender.language_hint) if sender else None
        turn = Turn(incoming, outbox, hint or self.services.organization.default_language)

        async def run(index: int, current: Turn) -> None:
            if index == len(self.middleware):
                await self.route(current)
            else:
                await self.middleware[index](current, lambda t: run(index + 1, t))

        await run(0, turn)

    # -- middleware ----------------------------------------------------------------------

    async def error_boundary(self, turn: Turn, call_next: Next) -> None:
        """Any failure becomes an apology in the member's language and one log line."""
        try:
            await call_next(turn)
        except Exception:
            error_id = secrets.token_hex(4)
            log.exception(
                "error %s handling %s in %s",
                error_id,
                type(turn.incoming).__name__,
                turn.incoming.chat.key,
            )
            translator = self.services.catalogs.translator(turn.language)
            apology = translator.gettext(
                "Sorry, something went wrong on my side (error %(error_id)s). "
                "Nothing you told me was lost. Please try again in a moment."
            ) % {"error_id": error_id}
            try:
                await turn.outbox.send(
                    Outgoing(turn.incoming.chat, Text(apology), language=turn.language)
                )
            except Exception:
                log.exception("error %s: the apology could not be sent either", error_id)

    async def one_at_a_time_per_chat(self, turn: Turn, call_next: Next) -> None:
        """Two messages arriving together from one chat are handled in the order they came.

        Across processes the unit of work's advisory lock orders them (PostgreSQL); this
        lock is still needed in each process, on either engine: a turn may wait on the
        network inside its transaction (/feed looks a site up), and a second turn of that chat
        would then wait for the advisory lock (or SQLite's writer) in a blocking call, on the
        event loop that the first turn needs to finish. It also keeps a turn's replies,
        sent after its commit, before the next turn's. Only turns in progress hold a lock:
        nothing here outlives them, nothing is lost on a restart."""
        key = turn.incoming.chat.key
        lock = self._chat_locks.get(key)
        if lock is None:
            lock = self._chat_locks[key] = asyncio.Lock()
        async with lock:
            await call_next(turn)

    async def unit_of_work(self, turn: Turn, call_next: Next) -> None:
        """Load who speaks and where, run the handler, commit, then send what it said."""
        incoming, sender = turn.incoming, turn.incoming.sender
        if sender is None:
            await call_next(turn)
            return
        services = self.services
        with services.database.session() as session:
            # Across processes on PostgreSQL, one chat's turns take turns (held to commit).
            services.database.lock_for_transaction(session, chat_lock(incoming.chat.key))
            # An update delivered again (after a restart, or to another process) does nothing;
            # recorded in this transaction, it stays unrecorded if the turn fails.
            if incoming.receipt is not None and not HandledUpdates(session).claim(
                incoming.chat.platform, incoming.receipt
            ):
                log.info(
                    "%s update %s was handled already; skipped",
                    incoming.chat.platform,
                    incoming.receipt,
                )
                return
            members = MemberRepository(session)
            conversations = ConversationRepository(session)
            speaker = members.speaker_in(
                sender.platform,
                sender.user_id,
                incoming.chat.platform,
                incoming.chat.chat_id,
                sender.handle,
                sender.language_hint,
            )
            member, identity = speaker.member, speaker.identity
            if speaker.created:
                MembershipRepository(session).claim_invitations(
                    member.id, f"{sender.platform}:{sender.user_id}"
                )
            # The chat row is stored on first contact in a chat (a target to send to later);
            # it comes with the speaker's rows, read afresh each time (another process may
            # have erased or changed it).
            direct = incoming.is_direct
            chat = speaker.chat
            if chat is None and speaker.created:
                chat = conversations.find_chat(incoming.chat.platform, incoming.chat.chat_id)
            if chat is None or (direct and chat.member_id is None):
                chat = conversations.seen(
                    chat,
                    incoming.chat.platform,
                    incoming.chat.chat_id,
                    incoming.chat_kind,
                    member_id=member.id if direct else None,
                )
            state = speaker.state or conversations.new_state(member.id, incoming.chat.key)
            # A group chat has its own language; a private conversation uses the member's.
            turn.language = negotiate_language(
                member.language if direct else None,
                identity.language_hint if direct else None,
                conversations.chat_language(chat, services.organization.default_language),
                services.organization.default_language,
            )
            conversation = Conversation(
                services=services,
                session=session,
                incoming=incoming,
                member=member,
                identity=identity,
                chat=chat,
                state=state,
                translator=services.catalogs.translator(turn.language),
            )
            conversation.bind_router(self.router)
            turn.conversation = conversation
            before = state_snapshot(state)
            await call_next(turn)
            keep_state = not (conversation.member_erased or conversation.state_replaced)
            # Written only when the turn changed it (most commands leave it as it was).
            changed = state_snapshot(state) != before
            if keep_state and changed and (state.flow or state.id is not None):
                conversations.save(state)
            # Messages for other chats wait in the outbox, committed with what caused them.
            replies = []
            outbox = OutboxStore(session)
            for message in conversation.outgoing:
                if message.chat == incoming.chat:
                    replies.append(message)
                else:
                    outbox.enqueue(message, conversation.recipients.get(message.id))
            filled = session.info.get(FILLED, False)
        if filled:
            services.outbox_filled()
        for message in replies:
            await turn.outbox.send(message)

    # -- routing -------------------------------------------------------------------------

    async def route(self, turn: Turn) -> None:
        incoming, conv = turn.incoming, turn.conversation
        handler = self.router.event_handlers.get(type(incoming))
        if conv is None:
            return
        if handler is not None:
            await handler(conv, incoming)
            return
        if isinstance(incoming, CommandMessage):
            await self.run_command(conv, incoming)
            return
        if not incoming.is_direct and not conv.state.flow:
            if isinstance(incoming, ChoiceMade):
                # A button under a message to this member in the group (e.g. undo).
                await self.answer_action(conv, incoming)
                return
            # In groups the bot speaks when spoken to with a command (or answered, below).
            hook = self.router.group_text_handler
            if (
                hook
                and isinstance(incoming, TextMessage)
                and incoming.text.strip()
                and len(incoming.text) <= MAX_TEXT_LENGTH  # too long to be an answer: quiet
            ):
                await hook(conv, incoming)
            return
        await self.route_message(conv, incoming)

    async def run_command(self, conv: Conversation, incoming: CommandMessage) -> None:
        command = self.router.commands.get(incoming.name)
        if command is None:
            if incoming.is_direct:
                conv.reply(
                    conv._(
                        "I don't know the command /%(command)s. Send /help to see what I can do.",
                        command=incoming.name,
                    )
                )
            return
        if self.refuse(conv, command):
            return
        await command.handler(conv, incoming)

    @staticmethod
    def refuse(conv: Conversation, command: Command) -> bool:
        """Answer a command used where it is not offered, or by someone without its role."""
        direct, access = conv.incoming.is_direct, command.access
        who = access.who(direct)
        if who is None and not direct:
            conv.point_to_private_chat(
                conv._(
                    "Let's talk about that in a private conversation, "
                    "so your details stay between us."
                ),
                start=command.name,
            )
            return True
        if who is None:
            elsewhere = command.elsewhere or N_("Send /%(command)s in a group chat.")
            conv.reply(conv._(elsewhere, command=command.name))
            return True
        chapter = chapter_in_view(conv)
        if access.linked and not direct and chapter is None:
            conv.reply(
                conv._("This chat is not linked to a chapter. An organizer can link it with /link.")
            )
            return True
        # A command about the linked chapter is for its organizers; others (/link) for any.
        if holds(conv, who, chapter if access.linked else None):
            return False
        assert command.refusal is not None  # required by Router.command
        conv.reply(
            conv._(command.refusal, chapter=chapter.name if chapter else "", command=command.name)
        )
        return True

    async def route_message(self, conv: Conversation, incoming: Incoming) -> None:
        if isinstance(incoming, TextMessage):
            text = incoming.text.strip()
            if not text:
                conv.reply(conv._("That message was empty. Please type your answer as text."))
                return
            if len(incoming.text) > MAX_TEXT_LENGTH:
                conv.reply(
                    conv._(
                        "That message is too long for me (over %(limit)s characters). "
                        "Please send something shorter.",
                        limit=conv.fmt.number(MAX_TEXT_LENGTH),
                    )
                )
                return
        if isinstance(incoming, UnsupportedMessage):
            conv.reply(conv._("I can only read text messages and shared locations here."))
            await conv.reprompt()
            return

        prompt = conv.state.prompt or {}
        if isinstance(incoming, ChoiceMade) and incoming.prompt_id != prompt.get("id"):
            await self.answer_action(conv, incoming)
            return
        step = self._current_step(conv)
        typed_elsewhere = (
            isinstance(incoming, TextMessage)
            and prompt.get("kind") != "choice"
            and incoming.is_direct
        )
        if typed_elsewhere and await self.typed_action_answer(
            conv, incoming, in_flow=step is not None
        ):
            return
        if step is None:
            if isinstance(incoming, LocationShared):
                conv.reply(conv._("Thanks, but I wasn't asking for a location just now."))
            elif self.router.fallback_handler and incoming.is_direct:
                await self.router.fallback_handler(conv)
            return

        if isinstance(incoming, TextMessage) and prompt.get("kind") == "choice":
            resolution = resolve_typed_choice(prompt, incoming.text)
            if isinstance(resolution, OutOfRange):
                conv.reply(
                    conv.ngettext(
                        "Please answer with the number 1.",
                        "Please answer with a number from 1 to %(count)s.",
                        resolution.count,
                    )
                )
                return
            if isinstance(resolution, NoMatch):
                if not step.accepts_text:
                    conv.reply(
                        conv._(
                            "Please pick one of the options: answer with its number or its text."
                        )
                    )
                    return
            else:
                incoming = ChoiceMade(
                    chat=incoming.chat,
                    chat_kind=incoming.chat_kind,
                    sender=incoming.sender,
                    event_id=incoming.event_id,
                    prompt_id=prompt["id"],
                    keys=resolution.keys,
                )

        if isinstance(incoming, ChoiceMade):
            incoming = self._with_keys(incoming, prompt)
            if incoming.prompt_id != prompt.get("id") or not self._valid_keys(
                prompt, incoming.keys
            ):
                conv.reply(conv._("That question is no longer open. Here is where we are:"))
                await conv.reprompt()
                return
        elif isinstance(incoming, LocationShared) and not step.accepts_location:
            conv.reply(conv._("Thanks, but I wasn't asking for a location just now."))
            return
        elif isinstance(incoming, TextMessage) and not step.accepts_text:
            conv.reply(
                conv._("Please pick one of the options: answer with its number or its text.")
            )
            return

        assert step.answer is not None
        await step.answer(conv, incoming)

    async def answer_action(self, conv: Conversation, choice: ChoiceMade) -> None:
        """A button or reaction on a question sent outside the flow (e.g. to an organizer)."""
        actions = ActionRepository(conv.session)
        action = actions.open(choice.prompt_id, conv.member.id)
        handler = self.router.actions.get(action.kind) if action else None
        if action is None or handler is None:
            if conv.state.flow:
                conv.reply(conv._("That question is no longer open. Here is where we are:"))
                await conv.reprompt()
            else:
                conv.reply(conv._("That question is no longer open."))
            return
        prompt = {"id": action.id, "options": action.options}
        choice = self._with_keys(choice, prompt)
        if not self._valid_keys(prompt, choice.keys):
            conv.reply(conv._("That question is no longer open."))
            return
        actions.answered(action)
        await handler(conv, action, choice.keys[0])

    async def typed_action_answer(
        self, conv: Conversation, text: TextMessage, in_flow: bool
    ) -> bool:
        """A number or option typed in answer to the latest question sent outside the flow.

        In the middle of a flow, only an unmistakable answer (a number in range or an
        option's exact text) is taken; anything else is for the flow."""
        action = ActionRepository(conv.session).latest_open(conv.member.id, conv.chat_ref.key)
        if action is None or action.kind not in self.router.actions:
            return False
        prompt = {"id": action.id, "options": action.options}
        resolution = resolve_typed_choice(prompt, text.text)
        if isinstance(resolution, OutOfRange) and not in_flow:
            conv.reply(
                conv.ngettext(
                    "Please answer with the number 1.",
                    "Please answer with a number from 1 to %(count)s.",
                    resolution.count,
                )
            )
            return True
        if isinstance(resolution, NoMatch | OutOfRange):
            return False
        ActionRepository(conv.session).answered(action)
        await self.router.actions[action.kind](conv, action, resolution.keys[0])
        return True

    def _current_step(self, conv: Conversation):  # type: ignore[no-untyped-def]
        flow = self.router.flows.get(conv.state.flow or "")
        step = flow.steps.get(conv.state.step or "") if flow else None
        return step if step and step.answer else None

    @staticmethod
    def _with_keys(choice: ChoiceMade, prompt: dict) -> ChoiceMade:
        """Option positions (a button, a reaction) → the keys of the prompt they answer."""
        if choice.keys or not choice.indexes or choice.prompt_id != prompt.get("id"):
            return choice
        options = prompt.get("options", [])
        if not all(0 <= i < len(options) for i in choice.indexes):
            return choice
        keys = tuple(dict.fromkeys(options[i][0] for i in choice.indexes))
        return dataclasses.replace(choice, keys=keys)

    @staticmethod
    def _valid_keys(prompt: dict, keys: tuple[str, ...]) -> bool:
        offered = {key for key, _label in prompt.get("options", [])}
        if not keys or not set(keys) <= offered:
            return False
        return bool(prompt.get("multiple")) or len(keys) == 1
