"""Routers: each feature module declares its commands, flows and event handlers on one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.core.access import Access
from bot.core.flow import Flow

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.core.conversation import Conversation
    from bot.core.events import CommandMessage, Incoming, TextMessage
    from bot.core.services import Services
    from bot.storage.models import PendingAction, Schedule

CommandFn = Callable[["Conversation", "CommandMessage"], Awaitable[None]]
EventFn = Callable[["Conversation", "Incoming"], Awaitable[None]]
FallbackFn = Callable[["Conversation"], Awaitable[None]]
ActionFn = Callable[["Conversation", "PendingAction", str], Awaitable[None]]
PeriodicFn = Callable[["Services", "Session"], object]
GroupTextFn = Callable[["Conversation", "TextMessage"], Awaitable[None]]
FireFn = Callable[["Services", "Session", "Schedule", "Occurrence"], object]
MissedFn = Callable[["Services", "Session", "Schedule", "list[datetime]"], object]
PrepareFn = Callable[["Services", "Session", "list[Schedule]"], object]


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One occurrence of a schedule, as the clock fires it."""

    at: datetime  # when it was due (UTC)
    now: datetime  # when it fires
    late: bool  # fired noticeably after `at` (the bot was down): the words should say so


@dataclass(frozen=True, slots=True)
class ScheduledKind:
    """What the clock does at an occurrence of a schedule of this kind.

    fire: writes the occurrence's deliveries (in the clock's transaction, never sending).
    grace: how late an occurrence may still fire; older ones are skipped and `missed` tells
    their owner once (None: always fire, once, however late).
    prepare: called once per firing batch with its schedules of this kind, to read what
    they share in one query rather than one per firing.
    """

    kind: str
    fire: FireFn
    grace: timedelta | None
    missed: MissedFn | None = None
    prepare: PrepareFn | None = None


@dataclass(frozen=True, slots=True)
class Periodic:
    """Work the clock runs every `interval` (idempotent: it may run late, or twice)."""

    name: str
    interval: timedelta
    run: PeriodicFn


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    handler: CommandFn
    description: str  # an English msgid, translated where menus are shown
    access: Access
    # English msgids: the answer to someone without the role (%(chapter)s: the chapter in
    # view, %(command)s), and to a group-only command sent in private.
    refusal: str | None = None
    elsewhere: str | None = None
    usage: str | None = None

    @property
    def direct_only(self) -> bool:
        return self.access.group is None


class Router:
    def __init__(self, name: str) -> None:
        self.name = name
        self.commands: dict[str, Command] = {}
        self.flows: dict[str, Flow] = {}
        self.event_handlers: dict[type, EventFn] = {}
        self.actions: dict[str, ActionFn] = {}
        self.periodic: dict[str, Periodic] = {}
        self.scheduled: dict[str, ScheduledKind] = {}
        self.fallback_handler: FallbackFn | None = None
        self.group_text_handler: GroupTextFn | None = None

    def command(
        self,
        name: str,
        *,
        description: str,
        access: Access,
        refusal: str | None = None,
        elsewhere: str | None = None,
    ) -> Callable[[CommandFn], CommandFn]:
        """A command, with who may use it and where (bot.core.access): required."""
        if not isinstance(access, Access) or (access.direct is None and access.group is None):
            raise TypeError(f"/{name} must say where and by whom it may be used (access=)")
        if not access.open_to_all and refusal is None:
            raise TypeError(f"/{name} is not for everyone: say how it is refused (refusal=)")

        def register(fn: CommandFn) -> CommandFn:
            self.commands[name] = Command(name, fn, description, access, refusal, elsewhere)
            return fn

        return register

    def include_flow(self, flow: Flow) -> Flow:
        self.flows[flow.name] = flow
        return flow

    def on(self, event_type: type) -> Callable[[EventFn], EventFn]:
        def register(fn: EventFn) -> EventFn:
            self.event_handlers[event_type] = fn
            return fn

        return register

    def action(self, kind: str) -> Callable[[ActionFn], ActionFn]:
        """The answer to a question sent with Notifier.ask(kind=...)."""

        def register(fn: ActionFn) -> ActionFn:
            self.actions[kind] = fn
            return fn

        return register

    def every(self, interval: timedelta, name: str) -> Callable[[PeriodicFn], PeriodicFn]:
        def register(fn: PeriodicFn) -> PeriodicFn:
            self.periodic[name] = Periodic(name, interval, fn)
            return fn

        return register

    def on_schedule(
        self,
        kind: str,
        *,
        grace: timedelta | None,
        missed: MissedFn | None = None,
        prepare: PrepareFn | None = None,
    ) -> Callable[[FireFn], FireFn]:
        """What the clock does at each occurrence of this router's schedules of `kind`."""

        def register(fn: FireFn) -> FireFn:
            self.scheduled[kind] = ScheduledKind(kind, fn, grace, missed, prepare)
            return fn

        return register

    def group_text(self, fn: GroupTextFn) -> GroupTextFn:
        """What plain text in a group chat leads to when no flow is going on (one per
        dispatcher); by default the bot stays quiet."""
        self.group_text_handler = fn
        return fn

    def fallback(self, fn: FallbackFn) -> FallbackFn:
        """What a direct message with no flow going on leads to (one per dispatcher)."""
        self.fallback_handler = fn
        return fn


def merge(routers: list[Router]) -> Router:
    merged = Router("all")
    for router in routers:
        for source, target in (
            (router.commands, merged.commands),
            (router.flows, merged.flows),
            (router.event_handlers, merged.event_handlers),
            (router.actions, merged.actions),
            (router.periodic, merged.periodic),
            (router.scheduled, merged.scheduled),
        ):
            clash = set(source) & set(target)
            if clash:
                raise ValueError(f"router {router.name} redefines {sorted(map(str, clash))}")
            target.update(source)  # type: ignore[attr-defined]
        for hook in ("fallback_handler", "group_text_handler"):
            if getattr(router, hook):
                if getattr(merged, hook):
                    raise ValueError(f"router {router.name} declares a second {hook}")
                setattr(merged, hook, getattr(router, hook))
    return merged
