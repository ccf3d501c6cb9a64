"""匹配 page presenter: a ranking → cards with highlighted texts, sentence pair and signal bars."""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from techmatch.api.console.highlight import mark
from techmatch.api.console.views.decide import Decisions
from techmatch.matcher.explain import ALL_SPANS, normalized_text
from techmatch.models.dockings import DockingView
from techmatch.models.records import Need, Record
from techmatch.models.results import Filters, Highlight, Hit, Ranking


@dataclass(frozen=True)
class Signal:
    name: str
    label: str
    value: float
    contribution: float


SHOWN_CONTRIBUTION = 0.005  # contributions shown with two decimals: smaller ones read ±0.00


@dataclass
class MatchCard:
    """One hit as the page shows it."""

    hit: Hit
    record: Record
    need_text: Markup
    record_text: Markup
    terms: list[str]
    signals: list[Signal]
    docking: DockingView | None = None
    dropped: DockingView | None = None  # 终止 but still suggested: no decision to offer
    notes: list[str] = field(default_factory=list)
    zero_signals: int = 0  # signals left out of the list: they add ±0.00 at the page's rounding


def exclusion_filters(excluded: frozenset[str]) -> Filters | None:
    return Filters(exclude_ids=sorted(excluded)) if excluded else None


def cards(need: Need, ranking: Ranking, records: dict[str, Record],
          seen: Decisions) -> list[MatchCard]:
    """Cards for the hits whose record is known, in rank order."""
    need_text = need.text()
    out = []
    for hit in ranking.hits:
        record = records.get(hit.id)
        if record is None:
            continue
        exp = hit.explanation
        terms = exp.matched_terms if exp else []
        every = exp.contributions if exp else []
        signals = [Signal(c.name, c.label, c.value, c.contribution)
                   for c in every if abs(c.contribution) >= SHOWN_CONTRIBUTION]
        # the explanation's notes (置信度未经校准 …); the duplicate one is the header's tag
        dup = f"与 {hit.duplicate_of} 近似重复" if hit.duplicate_of else None
        notes = [n for n in (exp.notes if exp else []) if n != dup]
        out.append(MatchCard(
            hit=hit, record=record,
            need_text=mark(need_text, every_span(need_text, terms)),
            record_text=mark(record.text(), every_span(record.text(), terms)),
            terms=[t.display or t.term for t in terms], signals=signals,
            docking=seen.active(hit.id), dropped=seen.dropped(hit.id), notes=notes,
            zero_signals=len(every) - len(signals)))
    return out


def every_span(text: str, terms: list[Highlight]) -> list[tuple[int, int]]:
    """Every occurrence of each shared term in `text` (the API lists three per term to keep
    its JSON small; a page marking three of five 隔膜 left the others plain). Found as the
    explanation finds them: verified on the original, traditional writing included."""
    shown = normalized_text(text)
    return [span for t in terms for span in shown.find(t.term, ALL_SPANS)]


def signal_scale(items: list[MatchCard]) -> float:
    """The largest absolute contribution on the page (bars share one scale)."""
    return max((abs(s.contribution) for c in items for s in c.signals), default=1.0) or 1.0
