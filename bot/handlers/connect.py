"""/connect: one member on two platforms, by a one-time code shown on one and sent on the
other (valid 10 minutes, single use)."""

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


@router.command(
    "connect", description=N_("Join your accounts on two platforms into one"), access=PRIVATE
)
async def connect(conv: Conversation, command: CommandMessage) -> None:
    code = "".join(command.args.split())
    if not code:
        give_code(conv)
    else:
        use_code(conv, code)


def give_code(conv: Conversation) -> None:
    session = conv.session
    live = select(ConnectCode).where(
        ConnectCode.member_id == conv.member.id, col(ConnectCode.used_at).is_(None)
    )
    for old in session.exec(live):
        session.delete(old)  # one live code per member
    while True:
        code = f"{secrets.randbelow(1_000_000):06d}"
        if session.get(ConnectCode, code) is None:
            break
    session.add(
        ConnectCode(code=code, member_id=conv.member.id, expires_at=utcnow() + CODE_LIFETIME)
    )
    conv.reply(
        conv._(
            "Your code is <b>%(code)s</b>. Within 10 minutes, send /connect %(code)s to me from "
            "your account on the other platform (on Matrix: !connect %(code)s).",
            code=code,
        )
    )


def use_code(conv: Conversation, code: str) -> None:
    session = conv.session
    row = session.get(ConnectCode, code)
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
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
