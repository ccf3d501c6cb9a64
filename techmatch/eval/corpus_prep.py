"""A BEIR corpus rewritten so the product's ingest takes every line whole.

BEIR defines `_id`, `title` and `text`; `metadata` and any other key are the builder's own.
The eval workspace loads the corpus through the product's ingest, whose records are stricter
(id characters and length, text lengths, the values of `type`, `maturity`, `keywords` …), and a
line it refused would silently leave its document out of every ranking. So each line is first
rewritten: the id through `safe_id` (as queries and qrels are), an over-long title or text cut
to what a record holds, and other values the records refuse dropped. Each change is counted
for the report's notes; lines still refused (no text at all) are noted by the ingest.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from techmatch.eval.datasets import id_field, jsonl_rows, safe_id, text_field
from techmatch.indexers.ingest.columns import field_for
from techmatch.indexers.ingest.validate import from_json, validate_row
from techmatch.models.records import max_length, record_type

# BEIR key → the record field it fills, for the two texts that are cut rather than dropped.
_TEXTS = {"title": "title", "text": "abstract"}


@dataclass
class PrepReport:
    """What was changed to make the corpus loadable, per kind of change."""

    rows: int = 0
    stand_in_ids: int = 0
    cut: Counter[str] = field(default_factory=Counter)  # BEIR key → lines cut
    dropped: Counter[str] = field(default_factory=Counter)  # key → lines it was dropped from

    def notes(self) -> list[str]:
        out = []
        if self.stand_in_ids:
            out.append(f"{self.stand_in_ids} 个语料编号不被记录接受（含空格或其他字符，或超过 "
                       f"128 个字符），已换用替代编号；报告中显示数据集自己的编号")
        out += [f"{n} 行语料的 {key!r} 过长，已截断到记录能容纳的长度"
                for key, n in sorted(self.cut.items())]
        out += [f"{n} 行语料的 {key!r} 取值不被记录接受，已略去"
                for key, n in sorted(self.dropped.items())]
        return out


def prepare_corpus(src: Path, dest: Path, kind: str) -> PrepReport:
    """Write `src` (BEIR corpus.jsonl) to `dest` line by line as described above."""
    report = PrepReport()
    tmp = dest.with_name(dest.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for row, obj in jsonl_rows(src):
            out.write(json.dumps(_prepared(obj, kind, src, row, report), ensure_ascii=False))
            out.write("\n")
            report.rows += 1
    os.replace(tmp, dest)
    return report


def _prepared(obj: dict[str, object], kind: str, src: Path, row: int,
              report: PrepReport) -> dict[str, object]:
    raw_id = id_field(obj, "_id", src, row)
    for key in _TEXTS:
        text_field(obj, key, src, row)  # a title or text that is not a string is an error
    line = {k: v for k, v in obj.items() if k != "id"}
    line["_id"] = safe_id(raw_id)
    report.stand_in_ids += line["_id"] != raw_id
    metadata = obj.get("metadata")
    if isinstance(metadata, dict):
        line["metadata"] = dict(metadata)
    refused = _refused_fields(line, kind, str(src), row)
    for key, name in _TEXTS.items():
        limit = max_length(record_type(kind), name)
        value = line.get(key)
        if name in refused and isinstance(value, str) and limit and len(value) > limit:
            line[key] = value[:limit]
            report.cut[key] += 1
            refused.discard(name)
    for name in refused - set(_TEXTS.values()):
        for where in (line, line.get("metadata")):
            if not isinstance(where, dict):
                continue
            for key in [k for k in where if k not in ("_id", "metadata", *_TEXTS)
                        and field_for(k, kind) == name]:
                del where[key]
                report.dropped[key if where is line else f"metadata.{key}"] += 1
    return line


def _refused_fields(line: dict[str, object], kind: str, file: str, row: int) -> set[str]:
    fields, _ = from_json(line, kind)
    result = validate_row(fields, kind, file=file, row=row)
    if not isinstance(result, list):
        return set()
    return {e.field.split(".")[0] for e in result if e.field}
