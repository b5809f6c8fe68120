"""Outgoing text is a small HTML subset: values put into it are escaped unless marked safe."""

from __future__ import annotations

import html
from typing import Any


class Markup(str):
    """Text that is already valid markup (built by the bot), inserted as it is."""


def escape(value: Any) -> str:
    if isinstance(value, Markup):
        return value
    return html.escape(str(value), quote=False)


def escape_values(values: dict[str, Any]) -> dict[str, Any]:
    # Numbers stay numbers so that %(count)d-style placeholders keep working.
    return {k: v if isinstance(v, int | float) else escape(v) for k, v in values.items()}
