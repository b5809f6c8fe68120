"""/connect: one member on two platforms, by a one-time code shown on one and sent on the
other (valid 10 minutes, single use).

Codes cannot be guessed: ten characters of 32 (50 bits); an account that sent 5 wrong codes
waits an hour; a code that 5 wrong codes came close to (a guess, or a glimpse of it) ends, and
its owner is told."""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlmodel import col, select

from bot.core.access import PRIVATE
from bot.core.conversation import Conversation
from bot.core.events import CommandMessage
from bot.core.notify import Notifier
from bot.core.router import Router
from bot.i18n.catalog import N_
from bot.storage.members import MemberRepository
from bot.storage.merge import merge_members
from bot.storage.models import ConnectCode, Member, utcnow

router = Router("connect")

CODE_LIFETIME = timedelta(minutes=10)
# Crockford's base 32: no I, L, O or U, so a code read aloud or copied by hand survives.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 10
MAX_WRONG = 5  # per account within LOCK_TIME, and per code
LOCK_TIME = timedelta(hours=1)
NEAR = 2  # a wrong code this many characters or fewer from a live one counts against it
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


@router.command(
    "connect", description=N_("Join your accounts on two platforms into one"), access=PRIVATE
)
async def connect(conv: Conversation, command: CommandMessage) -> None:
    code = normalize(command.args)
    if not command.args.strip():
        give_code(conv)
    elif locked(conv):
        conv.reply(
            conv._(
                "Too many wrong codes were sent from this account. Please wait an hour, "
                "then try again."
            )
        )
    else:
        use_code(conv, code)


def normalize(typed: str) -> str:
    """'abcde-fghjk', 'ABCDE FGHJK' → 'ABCDEFGHJK'; O, I and L read as 0, 1 and 1."""
    return "".join(c for c in typed.upper().translate(_READ_AS) if c.isalnum())


def shown(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def locked(conv: Conversation) -> bool:
    identity = conv.identity
    recent = identity.connect_failed_at is not None and (
        identity.connect_failed_at > utcnow() - LOCK_TIME
    )
    return recent and identity.connect_failures >= MAX_WRONG


def give_code(conv: Conversation) -> None:
    session = conv.session
    live = select(ConnectCode).where(
        ConnectCode.member_id == conv.member.id, col(ConnectCode.used_at).is_(None)
    )
    for old in session.exec(live):
        session.delete(old)  # one live code per member
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if session.get(ConnectCode, code) is None:
            break
    session.add(
        ConnectCode(code=code, member_id=conv.member.id, expires_at=utcnow() + CODE_LIFETIME)
    )
    conv.reply(
        conv._(
            "Your code is <b>%(code)s</b>. Within 10 minutes, send /connect %(code)s to me from "
            "your account on the other platform (on Matrix: !connect %(code)s).",
            code=shown(code),
        )
    )


def use_code(conv: Conversation, code: str) -> None:
    session = conv.session
    row = session.get(ConnectCode, code) if code else None
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        wrong_code(conv, code)
        conv.reply(
            conv._(
                "That code is unknown or has expired. Send /connect on your other account to "
                "get a new one."
            )
        )
        return
    if row.member_id == conv.member.id:
        conv.reply(
            conv._("That is your own code: send it from your account on the other platform.")
        )
        return
    keep = session.get(Member, row.member_id)
    assert keep is not None
    members = MemberRepository(session)
    platforms = {i.platform for i in members.identities(keep.id)}
    if conv.identity.platform in platforms:
        conv.reply(
            conv._(
                "Both accounts are on the same platform; /connect joins accounts on two "
                "different platforms."
            )
        )
        return
    row.used_at = utcnow()
    session.add(row)
    merge_members(session, keep, conv.member)
    conv.state_replaced = True  # this account's member record is gone; its state moved
    conv.reply(
        conv._(
            "Done: your accounts are joined. I know you as %(name)s everywhere, with one "
            "profile, one chapter membership and one vote per poll.",
            name=keep.display_name or "?",
        )
    )
    # The account that showed the code hears it there.
    platform = conv.identity.platform.capitalize()
    Notifier(conv.services, session).tell(
        keep,
        lambda voice: voice._(
            "Your %(platform)s account is now joined to this one.", platform=platform
        ),
        platform=next(iter(platforms)),
    )


def wrong_code(conv: Conversation, code: str) -> None:
    """Count a wrong code against the account that sent it, and against each live code it
    came close to."""
    session, identity, now = conv.session, conv.identity, utcnow()
    if identity.connect_failed_at is None or identity.connect_failed_at <= now - LOCK_TIME:
        identity.connect_failures = 0
    identity.connect_failures += 1
    identity.connect_failed_at = now
    session.add(identity)
    live = select(ConnectCode).where(
        col(ConnectCode.used_at).is_(None), col(ConnectCode.expires_at) > now
    )
    for row in session.exec(live):
        if row.member_id == conv.member.id or distance(row.code, code) > NEAR:
            continue
        row.failed_attempts += 1
        session.add(row)
        if row.failed_attempts >= MAX_WRONG:
            end_code(conv, row)


def distance(a: str, b: str) -> int:
    if len(a) != len(b):
        return max(len(a), len(b))
    return sum(x != y for x, y in zip(a, b, strict=True))


def end_code(conv: Conversation, row: ConnectCode) -> None:
    owner = conv.session.get(Member, row.member_id)
    conv.session.delete(row)
    if owner is None:
        return
    Notifier(conv.services, conv.session).tell(
        owner,
        lambda voice: voice._(
            "Your /connect code was ended: several wrong codes close to it were sent. "
            "If you still want to join your accounts, send /connect for a new code."
        ),
    )
