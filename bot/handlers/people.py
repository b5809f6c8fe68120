"""Naming members to others: a name for everyone, and namesakes told apart."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from sqlmodel import Session

from bot.core.voice import Voice
from bot.geo.labels import place_in
from bot.i18n.parsing import fold
from bot.storage.members import MemberRepository
from bot.storage.models import Member


def name_of(session: Session, member: Member) -> str | None:
    """The name they gave, else how their platform names them (an organizer invited by the
    organization file may never have told the bot their name)."""
    if member.display_name:
        return member.display_name
    handles = [i.handle for i in MemberRepository(session).identities(member.id) if i.handle]
    return handles[0] if handles else None


def told_apart(
    voice: Voice, session: Session, people: Iterable[Member], with_place: bool = True
) -> dict[int, str]:
    """Member id → a plain-text label; two "Nina"s become "Nina (Liège, no. 12)" and
    "Nina (Gent, no. 31)": the number is theirs alone, the same wherever they are named."""
    people = list(people)
    names = {p.id: name_of(session, p) or "?" for p in people}
    counts = Counter(fold(name) for name in names.values())
    labels: dict[int, str] = {}
    for person in people:
        assert person.id is not None
        name = names[person.id]
        place = place_in(voice.language, person.place_id, person.place_name)
        if counts[fold(name)] < 2:
            labels[person.id] = name
        elif with_place and place:
            # TRANSLATORS: telling apart members with the same name: "Nina (Liège, no. 12)".
            labels[person.id] = voice.translator.gettext("%(name)s (%(place)s, no. %(number)s)") % {
                "name": name,
                "place": place,
                "number": person.id,
            }
        else:
            # TRANSLATORS: telling apart members with the same name: "Nina (no. 12)".
            labels[person.id] = voice.translator.gettext("%(name)s (no. %(number)s)") % {
                "name": name,
                "number": person.id,
            }
    return labels
