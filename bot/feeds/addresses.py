"""Which addresses a feed fetch may connect to: the public internet only, unless allowed."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[IPAddress], bool]


def parse_address(text: str) -> IPAddress | None:
    """An IP address from a socket or a URL host (brackets and zone ids tolerated), else None."""
    text = text.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def unwrap(address: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped, IPv4-compatible or 6to4 IPv6 address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        # ::a.b.c.d (deprecated IPv4-compatible form); :: and ::1 are themselves.
        if int(address) >> 32 == 0 and int(address) > 1:
            return ipaddress.IPv4Address(int(address))
    return address


def is_public(address: IPAddress) -> bool:
    """False for loopback, private, link-local, multicast, unspecified and reserved space."""
    address = unwrap(address)
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or not address.is_global  # e.g. 100.64.0.0/10, shared address space
    )


def allow_all(address: IPAddress) -> bool:
    return True


def policy(allow_private: bool) -> AddressPolicy:
    return allow_all if allow_private else is_public
