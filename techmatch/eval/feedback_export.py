"""Export the store's feedback table as a BEIR evaluation set (qrels + queries + corpus + experts).

A pair's grade comes from its latest judgement (highest feedback id) through `FEEDBACK_GRADES`.
Pairs whose candidate is an achievement go to `qrels/<split>.tsv`; pairs whose candidate is an
expert go to `qrels/<split>-experts.tsv` (direct expert judgements, read by `expert_qrels`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Staff / outcome label → relevance grade. Labels not listed are skipped (and counted).
from techmatch.matcher.feedback import FEEDBACK_GRADES  # one mapping for training and export
from techmatch.models.records import Achievement, Expert, Record
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


def latest_judgements(store: Store) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """(query id, candidate id) → grade of its latest mapped label; and unknown label counts."""
    with store.lock:
        rows = store.db.execute("SELECT query_id, candidate_id, label FROM feedback "
                                "ORDER BY fid").fetchall()
    grades: dict[tuple[str, str], int] = {}
    skipped: dict[str, int] = {}
    for query_id, candidate_id, label in rows:
        grade = FEEDBACK_GRADES.get(str(label).strip().lower())
        if grade is None:
            skipped[label] = skipped.get(label, 0) + 1
            continue
        grades[(query_id, candidate_id)] = grade
    return grades, skipped


def _corpus_line(record: Record) -> dict[str, Any]:
    title = getattr(record, "title", "") or ""
    body = record.text()
    if title and body.startswith(title):
        body = body[len(title):].lstrip("\n")
    meta = {k: v for k, v in record.facets().items() if v is not None}
    return {"_id": record.id, "title": title, "text": body, "metadata": meta}


def _write_lines(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    os.replace(tmp, path)


def export_feedback(store: Store, out: Path, *, split: str = "test") -> ExportReport:
    """Write a BEIR folder at `out` from the feedback table and the live records."""
    grades, skipped = latest_judgements(store)
    report = ExportReport(path=Path(out), skipped_labels=skipped)
    records = store.get_many({rid for pair in grades for rid in pair})
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
    if len(expert_qrels) > 1:
        _write_lines(report.path / "qrels" / f"{split}-experts.tsv", expert_qrels)
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
    report.pairs, report.expert_pairs = len(qrels) - 1, len(expert_qrels) - 1
    report.queries, report.corpus, report.experts = len(queries), len(corpus), len(experts)
    return report
