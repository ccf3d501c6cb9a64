"""Export the staff's judgements as a BEIR evaluation set (qrels + queries + corpus + experts).

Grades come from the dockings through the one mapping of `techmatch.matcher.dockings.grades`
(stages and drop reasons → 0–2); legacy feedback rows are applied to dockings first, so a
label and the docking it moved agree. Pairs whose candidate is an achievement go to
`qrels/<split>.tsv`; pairs whose candidate is an expert go to `qrels/<split>-experts.tsv`
(direct expert judgements, read by `expert_qrels`). Legacy rows with an unknown label are
skipped and counted; judgements on records that no longer exist are named.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from techmatch.matcher.dockings.grades import grade as docking_grade
from techmatch.matcher.feedback import (  # one mapping for training and export
    FEEDBACK_GRADES,
    LABEL_STAGES,
    all_dockings,
    apply_pending_feedback,
    list_feedback_rows,
)
from techmatch.models.records import Achievement, Expert, Record

__all__ = ["FEEDBACK_GRADES", "ExportReport", "export_feedback", "latest_judgements"]
from techmatch.store import Store


@dataclass
class ExportReport:
    """What an export wrote and what it left out."""

    path: Path
    pairs: int = 0
    expert_pairs: int = 0
    queries: int = 0
    corpus: int = 0
    experts: int = 0
    skipped_labels: dict[str, int] = field(default_factory=dict)
    missing_queries: list[str] = field(default_factory=list)
    missing_candidates: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["path"] = str(self.path)
        return out


def latest_judgements(store: Store) -> tuple[dict[tuple[str, str], int], dict[str, int],
                                           set[tuple[str, str]]]:
    """(need id, candidate id) → grade of each graded docking; legacy labels that map to no
    stage, with counts; and ids that legacy judgements named but no record has."""
    apply_pending_feedback(store)
    grades = {(d.need_id, d.candidate_id): g for d in all_dockings(store)
              if (g := docking_grade(d)) is not None}
    skipped: dict[str, int] = {}
    named: set[tuple[str, str]] = set()
    for row in list_feedback_rows(store):
        if str(row.label).strip().lower() not in LABEL_STAGES:
            skipped[row.label] = skipped.get(row.label, 0) + 1
        else:
            named.add((row.query_id, row.candidate_id))
    return grades, skipped, named


def _corpus_line(record: Record) -> dict[str, Any]:
    title = getattr(record, "title", "") or ""
    body = record.text()
    if title and body.startswith(title):
        body = body[len(title):].lstrip("\n")
    # one value as a string (as before facets held several), several as a list
    meta = {k: v[0] if len(v) == 1 else list(v) for k, v in record.facets().items() if v}
    return {"_id": record.id, "title": title, "text": body, "metadata": meta}


def _write_lines(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    os.replace(tmp, path)


def export_feedback(store: Store, out: Path, *, split: str = "test") -> ExportReport:
    """Write a BEIR folder at `out` from the dockings' grades and the live records."""
    grades, skipped, named = latest_judgements(store)
    report = ExportReport(path=Path(out), skipped_labels=skipped)
    records = store.get_many({rid for pair in (*grades, *named) for rid in pair})
    report.missing_queries = [q for q, _ in named if q not in records]
    report.missing_candidates = [c for q, c in named if q in records and c not in records]
    qrels: list[str] = ["query-id\tcorpus-id\tscore"]
    expert_qrels: list[str] = ["query-id\tcorpus-id\tscore"]
    queries: dict[str, str] = {}
    for (qid, cid), grade in sorted(grades.items()):
        if qid not in records:
            report.missing_queries.append(qid)
            continue
        if cid not in records:
            report.missing_candidates.append(cid)
            continue
        queries[qid] = records[qid].text()
        target = expert_qrels if isinstance(records[cid], Expert) else qrels
        target.append(f"{qid}\t{cid}\t{grade}")
    report.missing_queries = sorted(set(report.missing_queries))
    report.missing_candidates = sorted(set(report.missing_candidates))
    _write_lines(report.path / "qrels" / f"{split}.tsv", qrels)
    experts_path = report.path / "qrels" / f"{split}-experts.tsv"
    if len(expert_qrels) > 1:
        _write_lines(experts_path, expert_qrels)
    else:  # a folder exported to before keeps no expert pairs the dockings no longer grade
        experts_path.unlink(missing_ok=True)
    _write_lines(report.path / "queries.jsonl",
                 [json.dumps({"_id": q, "text": t}, ensure_ascii=False)
                  for q, t in sorted(queries.items())])
    corpus = [json.dumps(_corpus_line(r), ensure_ascii=False)
              for r in store.iter_records("achievement") if isinstance(r, Achievement)]
    _write_lines(report.path / "corpus.jsonl", corpus)
    experts = [json.dumps({"id": e.id, "name": e.name, "works": e.works, "profile": e.text()},
                          ensure_ascii=False)
               for e in store.iter_records("expert") if isinstance(e, Expert)]
    if experts:
        _write_lines(report.path / "experts.jsonl", experts)
    else:
        (report.path / "experts.jsonl").unlink(missing_ok=True)
    report.pairs, report.expert_pairs = len(qrels) - 1, len(expert_qrels) - 1
    report.queries, report.corpus, report.experts = len(queries), len(corpus), len(experts)
    return report
