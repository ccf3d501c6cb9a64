"""Bounded copies of user input for messages and reject files: the first characters + the length.

A 50 MB row must not be copied whole into an error message, a log line or a rejects file.
"""

from __future__ import annotations

import json

MESSAGE_CHARS = 200
REJECT_CHARS = 4096


def clip(text: str, limit: int = MESSAGE_CHARS) -> str:
    """`text` itself when short, else its first `limit` characters and the full length."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters in all)"


def clip_raw(raw: object, limit: int = REJECT_CHARS) -> object:
    """A raw row for a rejects file: unchanged when its JSON is short, else a bounded summary."""
    text = raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, default=str)
    if len(text) <= limit:
        return raw
    return {"truncated": text[:limit], "length": len(text)}
