"""Coverage and demand gaps per city × industry, from the latest batch results.

For each (city, industry): open needs, and three separate numbers that are never merged —
`suggested` (open needs the machine has a confident suggestion for: best stored confidence
over the target kinds ≥ threshold, counting only pairs that can become a docking — the
enterprise's own result and experts it employs or who excluded it do not: see `dockable`),
`confirmed` (needs with a docking the enterprise confirmed: stage 企业确认, 洽谈, 签约 or
验收) and `signed` (needs with a docking at 签约 or 验收); a need is never called matched on
confidence alone. `unmatched` counts the open needs without a confident suggestion (some may
not be computed yet; some have confident pairs that all conflict: reason `conflicted_only`).
Needs that left `open` through a signed docking stay in their cell's confirmed / signed
counts. Then candidate supply — achievements / experts in that city and industry, and in that
industry anywhere. Also: the unmatched needs listed, the top keywords of unmatched demand and
the topics rising since the previous batch run.

`compute_coverage` is pure (records and stored pairs in, report out); `coverage_report`
reads the store — the CLI (`techmatch stats`) and the HTTP API call the latter.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from techmatch.indexers.ingest.normalize import normalize
from techmatch.indexers.tokenize import Tokenizer
from techmatch.matcher.analytics.dockable import Best, DockableBest
from techmatch.matcher.analytics.topics import Topic, keyword_counts, rising, top_keywords
from techmatch.matcher.dockings.effects import need_outcomes
from techmatch.matcher.features import facet_set
from techmatch.models.industries import load_taxonomy
from techmatch.models.plan_labels import CONFLICT_LABELS
from techmatch.models.records import Achievement, Expert, Need
from techmatch.models.results import Conflict
from techmatch.store import Store
from techmatch.store.batch import StoredPair

UNKNOWN = "未知"
# why an open need counts as unmatched (`UnmatchedNeed.reason`), code → Chinese label
UNMATCHED_REASONS: dict[str, str] = {
    "not_computed": "未计算",
    "low_confidence": "置信度不足",
    "conflicted_only": "可信候选均不宜对接",
}


@dataclass
class Cell:
    """Demand and supply of one (city, industry)."""

    city: str
    industry: str
    open_needs: int = 0
    suggested: int = 0
    confirmed: int = 0
    signed: int = 0
    unmatched: int = 0
    not_computed: int = 0
    achievements_local: int = 0
    achievements_industry: int = 0
    experts_local: int = 0
    experts_industry: int = 0


@dataclass(frozen=True)
class UnmatchedNeed:
    """An open need without a confident match. `best_confidence`: the best stored confidence
    over its pairs that can dock (None = not computed yet). `reason` (code, label in
    `UNMATCHED_REASONS`); for `conflicted_only` the conflict of its best confident pair, that
    pair's confidence and the conflict's Chinese label (`CONFLICT_LABELS`)."""

    id: str
    title: str
    city: str
    industry: str
    enterprise: str
    best_confidence: float | None
    reason: str = "low_confidence"
    reason_label: str = UNMATCHED_REASONS["low_confidence"]
    conflict: Conflict | None = None
    conflict_label: str | None = None
    conflict_confidence: float | None = None

    @property
    def note(self) -> str:
        """The reason in Chinese, with the conflict when it is one (CLI, console, XLSX)."""
        if self.conflict is None or self.conflict_confidence is None:
            return self.reason_label
        return (f"{self.reason_label}（{self.conflict_label}，置信度 "
                f"{self.conflict_confidence:.2f}）")


@dataclass
class CoverageReport:
    """Everything `techmatch stats` shows; `as_dict()` is the JSON form."""

    threshold: float
    kinds: list[str]
    run_id: str | None
    previous_run_id: str | None
    totals: dict[str, int]
    cells: list[Cell]
    unmatched: list[UnmatchedNeed]
    top_keywords: list[tuple[str, int]]
    rising: list[Topic]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["top_keywords"] = [{"keyword": k, "count": n} for k, n in self.top_keywords]
        return out


def _key(value: str | None) -> str:
    return normalize(value) if value and value.strip() else UNKNOWN


def _industry(value: str | None, level: int | None) -> str:
    """The industry's cell label: as given, or rolled up to taxonomy `level` (1 = top)."""
    node = load_taxonomy().at_level(value, level) if level else None
    return normalize(node.name) if node is not None else _key(value)


def compute_coverage(needs: Iterable[Need], achievements: Iterable[Achievement],
                     experts: Iterable[Expert], pairs: Iterable[StoredPair],
                     tokenizer: Tokenizer, *, threshold: float,
                     previous_topics: Mapping[str, int] | None = None,
                     top_n: int = 20, hidden: Collection[str] = frozenset(),
                     industry_level: int | None = None,
                     outcomes: Mapping[str, str] | None = None
                     ) -> tuple[list[Cell], list[UnmatchedNeed], dict[str, int], list[Topic],
                                dict[str, int]]:
    """(cells, unmatched needs, top keyword counts, rising topics, totals) — pure.

    `pairs` are the stored batch pairs over the target kinds (`BatchRepository.pairs`); a
    need without any is not computed. Each pair is checked with `conflict()` as the
    candidates stream past for the supply counts (`dockable`).
    `outcomes` maps need id → "confirmed" or "signed" (the furthest live docking stage, see
    `dockings.effects.need_outcomes`). `hidden` needs (confidential, for a viewer who may
    not see them) count in the cells and totals but are neither listed nor mined for
    keywords. `industry_level` rolls industries
    up the taxonomy (1: 集成电路 counts under 新一代信息技术产业); None keeps them as recorded.
    """
    from techmatch.matcher.batch.plan import is_open

    needs = list(needs)
    open_needs = [n for n in needs if is_open(n)]
    tracker = DockableBest(pairs, {n.id: n for n in open_needs})
    supply = _supply_counts(tracker.watch(achievements), tracker.watch(experts),
                            industry_level)
    best = tracker.best()
    cells: dict[tuple[str, str], Cell] = {}
    unmatched: list[UnmatchedNeed] = []
    outcomes = outcomes or {}
    outcome_totals = {"confirmed": 0, "signed": 0}
    for need in needs:
        found = outcomes.get(need.id)
        if found is None:
            continue
        cell = cells.setdefault((_key(need.city), _industry(need.industry, industry_level)),
                                Cell(_key(need.city), _industry(need.industry, industry_level)))
        cell.confirmed += 1
        cell.signed += found == "signed"
        outcome_totals["confirmed"] += 1
        outcome_totals["signed"] += found == "signed"
    for need in sorted(open_needs, key=lambda n: n.id):
        key = (_key(need.city), _industry(need.industry, industry_level))
        cell = cells.setdefault(key, Cell(*key))
        cell.open_needs += 1
        found_best = best.get(need.id)
        if found_best is not None and found_best.confidence >= threshold:
            cell.suggested += 1
            continue
        cell.unmatched += 1
        cell.not_computed += found_best is None
        unmatched.append(_unmatched(need, key, found_best, threshold))
    _fill_supply(cells, *supply)
    ordered = sorted(cells.values(), key=lambda c: (-c.unmatched, -c.open_needs, c.city,
                                                    c.industry))
    shown = [u for u in unmatched if u.id not in hidden]
    ids = {u.id for u in shown}
    counts = keyword_counts([n for n in open_needs if n.id in ids], tokenizer)
    totals = {"open_needs": len(open_needs), "suggested": len(open_needs) - len(unmatched),
              **outcome_totals, "unmatched": len(unmatched),
              "not_computed": sum(1 for u in unmatched if u.best_confidence is None),
              "conflicted_only": sum(1 for u in unmatched if u.reason == "conflicted_only")}
    return (ordered, shown, dict(top_keywords(counts, top_n)),
            rising(counts, previous_topics), totals)


def _unmatched(need: Need, key: tuple[str, str], best: Best | None,
               threshold: float) -> UnmatchedNeed:
    """The unmatched-list entry of an open need below `threshold` (None: not computed)."""
    base = (need.id, need.display_title, key[0], key[1], need.enterprise or "")
    if best is None:
        return UnmatchedNeed(*base, None, "not_computed", UNMATCHED_REASONS["not_computed"])
    if best.conflict is None or best.conflict_confidence is None \
            or best.conflict_confidence < threshold:
        return UnmatchedNeed(*base, best.confidence)
    return UnmatchedNeed(*base, best.confidence, "conflicted_only",
                         UNMATCHED_REASONS["conflicted_only"], best.conflict,
                         CONFLICT_LABELS[best.conflict], best.conflict_confidence)


SupplyCounts = tuple[Counter[tuple[str, str, str]], Counter[tuple[str, str]]]


def _supply_counts(achievements: Iterable[Achievement], experts: Iterable[Expert],
                   level: int | None = None) -> SupplyCounts:
    """(kind, city, industry) and (kind, industry) counts of every candidate."""
    local: Counter[tuple[str, str, str]] = Counter()
    anywhere: Counter[tuple[str, str]] = Counter()
    for kind, records in (("achievement", achievements), ("expert", experts)):
        for rec in records:
            inds = facet_set(rec.industries if isinstance(rec, Expert) else rec.industry)
            if level:
                inds = frozenset(_industry(i, level) for i in inds)
            city = _key(rec.city)
            for ind in inds:
                local[(kind, city, ind)] += 1
                anywhere[(kind, ind)] += 1
    return local, anywhere


def _fill_supply(cells: dict[tuple[str, str], Cell], local: Counter[tuple[str, str, str]],
                 anywhere: Counter[tuple[str, str]]) -> None:
    """Fill each cell's supply counts from `_supply_counts`."""
    for (city, industry), cell in cells.items():
        parts = facet_set(industry) or {industry}
        cell.achievements_local = max(local[("achievement", city, p)] for p in parts)
        cell.experts_local = max(local[("expert", city, p)] for p in parts)
        cell.achievements_industry = max(anywhere[("achievement", p)] for p in parts)
        cell.experts_industry = max(anywhere[("expert", p)] for p in parts)


def coverage_report(store: Store, tokenizer: Tokenizer, *, threshold: float,
                    kinds: Sequence[str] | None = None, top_n: int = 20,
                    hidden: Collection[str] = frozenset(),
                    industry_level: int | None = None) -> CoverageReport:
    """Coverage of the store's open needs by the latest batch results (see module doc)."""
    from techmatch.matcher.batch import results
    from techmatch.matcher.batch.run import TARGETS, target_kinds_error

    unknown = sorted(set(kinds or ()) - set(TARGETS))
    if unknown or (kinds is not None and not kinds):
        raise target_kinds_error(unknown)
    scope = results.scope_of(kinds or TARGETS)
    finished = results.runs(store, status="finished", limit=2)
    run_id = finished[0].run_id if finished else None
    previous = finished[1].run_id if len(finished) > 1 else None
    pairs = results.pairs(store, kinds)
    cells, unmatched, top, grown, totals = compute_coverage(
        store.iter_records("need"), store.iter_records("achievement"),  # type: ignore[arg-type]
        store.iter_records("expert"), pairs, tokenizer,  # type: ignore[arg-type]
        threshold=threshold, previous_topics=results.topics(store, previous, scope)
        if previous else None, top_n=top_n, hidden=hidden, industry_level=industry_level,
        outcomes=need_outcomes(store))
    snap = finished[1].counts.get("topics_threshold") if previous else None
    notes = coverage_notes(run_id, previous, totals, threshold=threshold,
                           previous_threshold=None if snap is None else float(snap))
    return CoverageReport(threshold=threshold, kinds=scope.split(","), run_id=run_id,
                          previous_run_id=previous, totals=totals, cells=cells, unmatched=unmatched,
                          top_keywords=list(top.items()), rising=grown, notes=notes)


def coverage_notes(run_id: str | None, previous: str | None, totals: dict[str, int], *,
                   threshold: float, previous_threshold: float | None = None) -> list[str]:
    """What staff should know about a coverage report, in Chinese (CLI, API and console)."""
    notes = []
    if run_id is None:
        notes.append("尚无完成的夜间批量匹配：请先运行 techmatch batch")
    if previous is None:
        notes.append("上升话题需要两次完成的批量匹配")
    if previous_threshold is not None and abs(previous_threshold - threshold) > 1e-9:
        notes.append(f"上升话题对比的是上一次批量匹配在置信度阈值 {previous_threshold:g}（而非 "
                     f"{threshold:g}）下的快照")
    if totals["not_computed"]:
        notes.append(f"{totals['not_computed']} 条待匹配需求还没有批量匹配结果")
    if totals.get("conflicted_only"):
        notes.append(f"{totals['conflicted_only']} 条待匹配需求的可信候选均不宜对接（需求企业自有"
                     "成果、专家任职于或声明回避该企业），计为无可信匹配，请转人工处理")
    return notes
