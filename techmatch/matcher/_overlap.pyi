"""Types of the compiled module built from _overlap.c (see techmatch/matcher/prf.py)."""

from collections.abc import Sequence, Set

MAX_TOP: int

def pair_counts(sets: Sequence[Set[object]], top: int) -> bytes: ...
