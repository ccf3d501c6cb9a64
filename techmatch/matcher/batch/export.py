"""Export the current batch results for staff: JSONL, CSV (UTF-8 with BOM) and XLSX with
Chinese headers, one row per (need, candidate) pair."""

from __future__ import annotations

import contextlib
import csv
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from techmatch.errors import ValidationError, os_reason
from techmatch.matcher.batch import results
from techmatch.matcher.conflicts import conflict_label
from techmatch.models.records import KIND_LABELS, Need, Record
from techmatch.store import Store
from techmatch.xlsx import Sheet, write_sheets

# (field, Chinese header) in column order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("need_id", "需求编号"), ("need_title", "需求标题"), ("enterprise", "企业"),
    ("city", "城市"), ("industry", "行业"), ("need_status", "需求状态"),
    ("kind", "候选类型"), ("rank", "排名"), ("candidate_id", "候选编号"),
    ("candidate_name", "候选名称"), ("candidate_city", "候选城市"), ("score", "得分"),
    ("confidence", "置信度"), ("routed_to_staff", "转人工"), ("conflict", "不宜对接"),
    ("reason", "匹配理由"),
    ("run_id", "批次编号"),
)
STATUS_LABELS = {"open": "待匹配", "matched": "已匹配", "closed": "已关闭"}
BASENAME = "batch-results"


def pair_rows(store: Store, kinds: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Every stored pair with need and candidate details, ordered by need, kind, rank."""
    hits = list(results.iter_hits(store, kinds))
    records = store.get_many({h.need_id for h in hits} | {h.candidate_id for h in hits})
    return [_row(h, records.get(h.need_id), records.get(h.candidate_id)) for h in hits]


def _row(hit: results.StoredHit, need: Record | None,
         cand: Record | None) -> dict[str, Any]:
    return {
        "need_id": hit.need_id,
        "need_title": need.display_title if need else "",
        "enterprise": (need.enterprise or "") if isinstance(need, Need) else "",
        "city": (need.city or "") if need else "",
        "industry": (need.industry or "") if isinstance(need, Need) else "",
        "need_status": str(need.status) if isinstance(need, Need) else "",
        "kind": hit.kind,
        "rank": hit.rank,
        "candidate_id": hit.candidate_id,
        "candidate_name": cand.display_title if cand else "(已删除)",
        "candidate_city": (cand.city or "") if cand else "",
        "score": round(hit.score, 4),
        "confidence": None if hit.confidence is None else round(hit.confidence, 4),
        "routed_to_staff": hit.routed,
        # the enterprise's own result / an expert it employs or who excludes it
        "conflict": conflict_label(need, cand) if need and cand else "",
        "reason": reason_text(hit.explanation),
        "run_id": hit.run_id,
    }


def reason_text(explanation: dict[str, Any] | None) -> str:
    """A one-line Chinese reason: matched terms, then the best sentence pair."""
    if not explanation:
        return ""
    # as the need writes it (display: PCB, 氫氧化銨), as the console and CLI list it
    terms = [str(t.get("display") or t.get("term", ""))
             for t in explanation.get("matched_terms", [])][:8]
    parts = []
    if terms:
        parts.append("共同术语：" + "、".join(t for t in terms if t))
    sentence = explanation.get("record_sentence")
    if sentence:
        parts.append(f"最相关句：{sentence}")
    return "；".join(parts)


def export_results(store: Store, folder: Path, *, kinds: Sequence[str] | None = None,
                   formats: Iterable[str] = ("jsonl", "csv", "xlsx")) -> dict[str, Path]:
    """Write the current results as `<folder>/batch-results.<fmt>`; returns fmt → path.

    Each file is written beside its target (`.batch-results.<fmt>.part`) and the set is
    moved into place only once all are written: a run killed or a disk filling up midway
    leaves the previous export whole, never a truncated file or a mix of two runs."""
    rows = pair_rows(store, kinds)
    writers = {"jsonl": write_jsonl, "csv": write_csv, "xlsx": write_xlsx}
    out = {fmt: folder / f"{BASENAME}.{fmt}" for fmt in formats}
    parts = {fmt: folder / f".{BASENAME}.{fmt}.part" for fmt in out}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for fmt, part in parts.items():
            writers[fmt](rows, part)
        for fmt, part in parts.items():
            os.replace(part, out[fmt])
    except OSError as exc:  # a file in the way, no permission, disk full: name the option
        raise ValidationError(f"无法写入导出文件（{os_reason(exc)}）；已有的导出文件未改动",
                              source=str(exc.filename or folder), field="export") from None
    finally:  # a folder that could not be made has no parts to remove: keep the reason above
        for part in parts.values():
            with contextlib.suppress(OSError):
                part.unlink(missing_ok=True)
    return out


def write_jsonl(rows: Sequence[dict[str, Any]], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _display(row: dict[str, Any]) -> list[Any]:
    """Row values in column order, with Chinese labels for kind, status and routing."""
    values = dict(row)
    values["kind"] = KIND_LABELS.get(row["kind"], row["kind"])
    values["need_status"] = STATUS_LABELS.get(row["need_status"], row["need_status"])
    values["routed_to_staff"] = "是" if row["routed_to_staff"] else "否"
    return [values[name] for name, _ in COLUMNS]


def write_csv(rows: Sequence[dict[str, Any]], path: Path) -> None:
    """UTF-8 with BOM so Excel opens the Chinese text correctly."""
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([header for _, header in COLUMNS])
        writer.writerows([formula_safe(v) for v in _display(row)] for row in rows)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def formula_safe(value: Any) -> Any:
    """Text Excel would read as a formula (= + - @, tab or CR first) behind an apostrophe: a
    CSV cell has no text type, and record text is the user's, not ours. The one guard of
    every CSV the project writes (batch export, 批量导入's rejected rows)."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_START) else value


def write_xlsx(rows: Sequence[dict[str, Any]], path: Path) -> None:
    widths = {"need_title": 40, "candidate_name": 40, "reason": 60, "enterprise": 28}
    write_sheets(path, [Sheet("匹配结果", [header for _, header in COLUMNS],
                              [_display(row) for row in rows],
                              [widths.get(name, 12) for name, _ in COLUMNS])])
