"""Matched terms marked in the original text: spans from the explanation → escaped HTML."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from markupsafe import Markup, escape


def merge_spans(spans: Iterable[Sequence[int]], length: int) -> list[tuple[int, int]]:
    """Sorted, non-overlapping (start, end) spans clipped to [0, length]; empty ones dropped."""
    clipped = sorted((max(0, int(s[0])), min(length, int(s[1]))) for s in spans)
    out: list[tuple[int, int]] = []
    for start, end in clipped:
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def mark(text: str, spans: Iterable[Sequence[int]]) -> Markup:
    """`text` HTML-escaped with every span wrapped in <mark>; newlines become <br>."""
    parts: list[str] = []
    pos = 0
    for start, end in merge_spans(spans, len(text)):
        parts.append(str(escape(text[pos:start])))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        pos = end
    parts.append(str(escape(text[pos:])))
    return Markup("".join(parts).replace("\n", "<br>"))
