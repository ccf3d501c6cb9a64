"""Types of the compiled module built from _jiebafast.c (see techmatch/indexers/segment.py)."""

from collections.abc import Mapping

class Segmenter:
    """jieba's search-mode segmentation over jieba's own dictionary and HMM tables."""

    nodes: int  # dictionary keys loaded (those made only of characters of jieba's blocks)

    def __init__(self, freq: dict[str, int], total: int, start_p: Mapping[str, float],
                 trans_p: Mapping[str, Mapping[str, float]],
                 emit_p: Mapping[str, Mapping[str, float]], force_split: set[str]) -> None: ...
    def cut_for_search(self, text: str, /) -> list[str]: ...
