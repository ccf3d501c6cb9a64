"""Types of the compiled module built from _textmask.c (see techmatch/matcher/abstain.py)."""

from collections.abc import Sequence

MAX_TEXTS: int

def masks(joined: str, ends: Sequence[int], alts: Sequence[str]) -> list[int]: ...
