"""Keeps the adapters' secrets out of every log line.

A Telegram token is part of each Bot API URL, and libraries log URLs (httpx at INFO, PTB at
DEBUG) and put them in exception texts; a Matrix access token travels in responses that nio
logs at DEBUG. Filters on our own loggers would miss those records, so the record factory
itself replaces every secret before any handler sees the record.
"""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Any

REPLACEMENT = "<secret>"

_lock = threading.Lock()
_secrets: set[str] = set()
_installed = False


def _redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REPLACEMENT)
    return text


def _wrap(previous: Any) -> Any:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if not _secrets:
            return record
        message = record.getMessage()
        redacted = _redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            # Formatted now, so that handlers print this text instead of formatting again.
            formatted = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = _redact(formatted)
        return record

    return factory


def hide_in_logs(secret: str) -> None:
    """From now on, `secret` never appears in a log record of this process."""
    global _installed
    if not secret:
        return
    with _lock:
        _secrets.add(secret)
        if not _installed:
            logging.setLogRecordFactory(_wrap(logging.getLogRecordFactory()))
            _installed = True


def quiet(*loggers: tuple[str, int]) -> None:
    """Libraries that log what members say (PTB's and nio's DEBUG lines carry messages,
    /connect codes, invite links) write only from `level` on, unless an operator set the
    logger's level explicitly."""
    for name, level in loggers:
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(level)
