"""Import registry records and targets from CSV / XLSX / JSONL, with Chinese or English headers.

Every row is validated before anything is written; good rows are saved in one transaction,
bad rows are reported with file, row, field and message (nothing stored is touched by them).
Chinese values of coded fields (学会, 技术路演, 已交付 …) are mapped to their codes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin

import pydantic
from pydantic import BaseModel

from techmatch.errors import IngestError
from techmatch.indexers.ingest.industries import map_industries
from techmatch.indexers.ingest.readers import read_source
from techmatch.indexers.ingest.validate import RowError, date_value, field_shape
from techmatch.matcher.dockings.kpis import city_label
from techmatch.matcher.programme import registry, targets
from techmatch.matcher.programme.places import UNPLACED, Places
from techmatch.models import programme as pm
from techmatch.models.validation_zh import message_zh
from techmatch.store import Store

FIELD_LABELS: dict[str, str] = {
    "id": "编号", "name": "名称", "province": "省份", "city": "城市", "batch": "批次",
    "start": "开始日期", "end": "结束日期", "agreement": "合作协议", "notes": "备注",
    "type": "类型", "country": "国家/地区", "overseas": "海外", "lead_organisation": "牵头单位",
    "members": "成员专家", "cities": "服务城市", "industries": "服务行业",
    "formed_on": "组建日期", "team_id": "服务团队", "purpose": "任务", "enterprises": "服务企业",
    "need_ids": "需求编号", "outcome": "成效", "expert_id": "专家编号", "enterprise": "企业",
    "industry": "行业", "orders": "订单", "title": "标题", "provider": "服务方",
    "provider_kind": "服务方类型", "status": "状态", "ordered_on": "下单日期",
    "delivered_on": "交付日期", "value_wan": "金额（万元）", "date": "日期",
    "organiser": "组织方", "topic": "主题", "year": "年度", "due": "截止日期",
    "done_on": "完成日期", "owner": "负责人", "metric": "指标", "value": "目标值",
    "contacts": "联系人", "participants": "参与方",
}
# Per kind: headers that mean another field there (a pilot city's name is its 城市).
KIND_HEADERS: dict[str, dict[str, str]] = {"city": {"城市": "name", "启动日期": "start"},
                                           "event": {"活动类型": "type", "活动名称": "title"}}
VALUE_LABELS: dict[str, dict[str, dict[str, str]]] = {
    "organisation": {"type": pm.ORG_TYPE_LABELS},
    "team": {"type": pm.TEAM_TYPE_LABELS},
    "event": {"type": pm.EVENT_TYPE_LABELS, "status": pm.EVENT_STATUS_LABELS},
    "order": {"status": pm.ORDER_STATUS_LABELS},
    "target": {"metric": pm.METRIC_LABELS},
}
TRUE = {"是", "true", "yes", "y", "1", "海外"}
FALSE = {"否", "false", "no", "n", "0", ""}
_SPLIT = re.compile(r"[,，;；、|/]+")


@dataclass
class ImportReport:
    """What one import did: rows read, ids saved, errors by row."""

    kind: str
    file: str
    read: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "file": self.file, "read": self.read,
                "created": self.created, "updated": self.updated,
                "rejected": len({e.row for e in self.errors}),
                "errors": [e.as_dict() for e in self.errors], "warnings": self.warnings}


def _header_map(kind: str, model: type[BaseModel]) -> dict[str, str]:
    """header text (field name, Chinese label, kind override) → field name."""
    out = {name: name for name in model.model_fields}
    out.update({FIELD_LABELS[n]: n for n in model.model_fields if n in FIELD_LABELS})
    out.update(KIND_HEADERS.get(kind, {}))
    return out


def _is_date(annotation: object) -> bool:
    """A `date` or `date | None` field (not a datetime)."""
    return dt.date in (get_args(annotation) or (annotation,))


_THOUSANDS = re.compile(r"^-?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_YEAR = re.compile(r"^(\d{4})\s*年(?:度)?$")


def _is_number(annotation: object) -> bool:
    """An int or float field (`| None` allowed), not a bool."""
    return bool({int, float} & set(get_args(annotation) or (annotation,)))


def _number_text(value: str) -> str:
    """A number as staff write it: thousands separators (1,000) and a year as 2026年."""
    if _THOUSANDS.match(value):
        return value.replace(",", "")
    year = _YEAR.match(value)
    return year.group(1) if year else value


def _coerce(kind: str, model: type[BaseModel], name: str, value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    info = model.model_fields.get(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and info is not None \
            and field_shape(info.annotation) == "str":  # an id or name typed as a number
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    if info is not None and _is_date(info.annotation) and isinstance(value, (str, int, float)):
        value = date_value(value)  # 2026/3/2, 2026年3月2日, a serial number → a datetime
    if info is not None and isinstance(value, str) and _is_number(info.annotation):
        value = _number_text(value)  # 1,000 → 1000; 2026年 → 2026
    labels = VALUE_LABELS.get(kind, {}).get(name)
    if labels and isinstance(value, str):
        reverse = {label: code for code, label in labels.items()}
        return reverse.get(value, value)
    if info is not None and info.annotation is bool and isinstance(value, str):
        low = value.lower()
        return True if low in TRUE else False if low in FALSE else value
    if info is not None and get_origin(info.annotation) is list and isinstance(value, str):
        if value.startswith("["):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                return value
        return [p.strip() for p in _SPLIT.split(value) if p.strip()]
    if isinstance(value, str) and value.startswith("{") and name in ("outcome", "plan"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    if hasattr(value, "date") and callable(value.date) and name not in ("title", "name"):
        return value.date()  # an XLSX datetime cell in a date column
    return value


def parse_row(kind: str, model: type[BaseModel], values: Mapping[str, object], *, file: str,
              row: int) -> BaseModel | list[RowError]:
    """A record from one raw row, or every error of the row."""
    headers = _header_map(kind, model)
    fields: dict[str, Any] = {}
    unknown = []
    for header, value in values.items():
        name = headers.get(str(header).strip())
        if name is None:
            unknown.append(str(header))
            continue
        coerced = _coerce(kind, model, name, value)
        if coerced is not None:
            fields[name] = coerced
    try:
        return model.model_validate(fields)
    except pydantic.ValidationError as exc:
        return [RowError(file, row, ".".join(map(str, e["loc"])) or None, _message(kind, e))
                for e in exc.errors()]


def _message(kind: str, error: Any) -> str:
    """A row error's text; a coded field lists its Chinese choices (the sheet's words)."""
    if error["type"] == "missing":
        return message_zh(error)
    name = str(error["loc"][0]) if error["loc"] else ""
    labels = VALUE_LABELS.get(kind, {}).get(name)
    if labels and error["type"] in ("literal_error", "value_error"):  # an unknown code
        return (f"“{error.get('input')}”不是可用的{FIELD_LABELS.get(name, name)}；可填："
                f"{'、'.join(labels.values())}（或代码 {'、'.join(labels)}）")
    return f"{message_zh(error)}（收到 {str(error.get('input'))[:40]!r}）"


def _check_columns(kind: str, model: type[BaseModel], header: list[str], file: str
                   ) -> list[str]:
    """Unknown columns (to warn about); a missing required column refuses the whole file."""
    headers = _header_map(kind, model)
    mapped = {headers[h.strip()] for h in header if h.strip() in headers}
    missing = [n for n, f in model.model_fields.items() if f.is_required() and n not in mapped]
    if missing:
        names = "、".join(f"{FIELD_LABELS.get(n, n)}（{n}）" for n in missing)
        raise IngestError(f"缺少必需的列：{names}；文件的列：{'、'.join(header)}", source=file,
                          field=missing[0])
    return [h for h in header if h.strip() and h.strip() not in headers]


def import_file(store: Store, kind: str, path: Path, *, sheet: str | None = None,
                name: str | None = None) -> ImportReport:
    """Import `kind` records (a registry, or `target`) from a file; see the module docstring."""
    model: type[BaseModel] = pm.Target if kind == "target" else registry.check_kind(kind)
    label = name or str(path)
    source = read_source(Path(path), sheet=sheet, name=label)
    report = ImportReport(kind, label, read=len(source.rows))
    if source.header is not None:
        unknown = _check_columns(kind, model, source.header, label)
        if unknown:
            report.warnings.append(f"已忽略未知列：{'、'.join(unknown)}")
    good: list[BaseModel] = []
    rows: list[int] = []
    for raw in source.rows:
        if raw.error is not None:
            report.errors.append(RowError(label, raw.row, None, raw.error))
            continue
        result = parse_row(kind, model, raw.values, file=label, row=raw.row)
        if isinstance(result, list):
            report.errors += result
        else:
            result, notes = map_industries(result, file=label, row=raw.row)
            report.warnings += [str(n) for n in notes]  # mapped / unmapped industries, by row
            good.append(result)
            rows.append(raw.row)
    if kind == "city":  # 朝阳 without a province, when two pilot cities are named 朝阳
        good, rows = _place_cities(store, good, rows, label, report)
    good, named = _team_refs(store, good, rows, label)
    report.warnings += named
    report.warnings += _repeat_warnings(good, rows, label)
    report.warnings += _city_warnings(store, kind, good, rows, label)
    report.warnings += [f"{label}: 团队 {t.id} 没有组建日期（第 {row} 行），不计入任何统计期的"
                        f"组建服务团队数" for t, row in zip(good, rows, strict=True)
                        if isinstance(t, pm.Team) and t.formed_on is None]
    if kind == "target":
        report.created, report.updated = _target_keys(store, good)  # type: ignore[arg-type]
        targets.set_targets(store, good)  # type: ignore[arg-type]
    elif good:
        saved = registry.save(store, kind, good)
        report.created, report.updated = saved.created, saved.updated
    return report


def _team_refs(store: Store, records: list[BaseModel], rows: list[int], label: str
               ) -> tuple[list[BaseModel], list[str]]:
    """Events and dispatches whose 服务团队 names a registered team by its name get its id;
    a team that is not registered is warned about (once per value, with its rows). As is
    when the kind has no team or no team is registered."""
    teams = registry.items(store, "team")
    if not records or "team_id" not in type(records[0]).model_fields or not teams:
        return records, []
    ids = {t.id for t in teams}
    names = Counter(t.name for t in teams)
    by_name = {t.name: t.id for t in teams if names[t.name] == 1}  # a shared name: no guess
    named: dict[tuple[str, str], list[int]] = {}
    unknown: dict[str, list[int]] = {}
    out = []
    for record, row in zip(records, rows, strict=True):
        team = getattr(record, "team_id", None)
        if team is not None and team not in ids:
            if team in by_name:
                named.setdefault((team, by_name[team]), []).append(row)
                record = record.model_copy(update={"team_id": by_name[team]})
            else:
                unknown.setdefault(team, []).append(row)
        out.append(record)
    notes = [f"{label}: 服务团队“{name}”按名称读作 {tid}（第 {'、'.join(map(str, found))} 行）"
             for (name, tid), found in named.items()]
    notes += [f"{label}: 服务团队“{team}”不是登记的团队编号（第 {'、'.join(map(str, found))} 行）"
              for team, found in unknown.items()]
    return out, notes


def _place_cities(store: Store, records: list[BaseModel], rows: list[int], label: str,
                  report: ImportReport) -> tuple[list[BaseModel], list[int]]:
    """Pilot city rows as they will be stored (`registry.place_cities`: a row naming one
    pilot city by its name alone gets that city's province); a row naming several is an
    error of the row, field `province`, and is not stored."""
    keep: list[BaseModel] = []
    kept: list[int] = []
    placed = registry.place_cities(store, [r for r in records if isinstance(r, pm.PilotCity)])
    for row, where in zip(rows, placed, strict=True):
        if isinstance(where, str):
            report.errors.append(RowError(label, row, "province", where))
        else:
            keep.append(where.city)
            kept.append(row)
    return keep, kept


def _key(record: BaseModel) -> str:
    if isinstance(record, pm.Target):
        return f"{record.year}/{city_label(record.city)}/{record.metric}"  # 蘇州 is 苏州
    return f"编号 {record.id}"  # type: ignore[attr-defined]


def _repeat_warnings(records: list[BaseModel], rows: list[int],
                     label: str) -> list[str]:
    """One warning per record given on several rows: the last row is the one stored."""
    seen: dict[str, list[int]] = {}
    for record, row in zip(records, rows, strict=True):
        seen.setdefault(_key(record), []).append(row)
    return [f"{label}: {key} 在第 {'、'.join(map(str, found))} 行重复出现，保存的是第 "
            f"{found[-1]} 行" for key, found in seen.items() if len(found) > 1]


CITY_KINDS = frozenset({"target", "team", "dispatch", "workstation", "order", "event",
                        "milestone"})  # records counted in a city row of the dashboard


def _city_warnings(store: Store, kind: str, records: list[BaseModel], rows: list[int],
                   label: str) -> list[str]:
    """One warning per city the dashboard would not place in a pilot city's row
    (`places.Places.key`: a pilot city's id in any writing, or a name one pilot city has;
    蘇州 is 苏州), naming its rows: 苏州市 or a typo would be a dashboard row of its own, and a
    name several pilot cities share (朝阳) counts in the national column only (无法确定城市).
    None when no pilot city is registered yet."""
    if kind not in CITY_KINDS:
        return []
    places = Places.of(store)
    if not places.pilots:
        return []
    unknown: dict[str, list[int]] = {}
    unsure: dict[str, list[int]] = {}
    choices: dict[str, tuple[str, ...]] = {}  # a shared name → the pilot cities it may be
    for record, row in zip(records, rows, strict=True):
        names = getattr(record, "cities", None) or [getattr(record, "city", None)]
        for name in names:
            if not (name and name.strip()):
                continue
            where = places.key(name)
            if (shared := places.unplaced(where)) is not None:
                unsure.setdefault(name, []).append(row)
                choices[name] = shared.ids
            elif where not in places.pilots and where != pm.NATIONAL:
                unknown.setdefault(name, []).append(row)
    out = [f"{label}: 城市“{name}”不是登记的试点城市（第 {'、'.join(map(str, found))} 行），"
           f"项目看板上单列一行" for name, found in unknown.items()]
    for name, found in unsure.items():
        ids = choices[name]
        out.append(f"{label}: {UNPLACED}：城市“{name}”有 {len(ids)} 个同名试点城市"
                   f"（{'、'.join(ids)}）（第 {'、'.join(map(str, found))} 行），"
                   f"项目看板只计入全国；请写明省份，如“{ids[0]}”")
    return out


def _target_keys(store: Store, items: list[pm.Target]) -> tuple[list[str], list[str]]:
    """(created, updated) keys `year/city/metric` of targets about to be stored: a target
    already stored, or given twice in the file, replaces a value (updated); the city as one
    target has it (`targets.target_places`: 朝阳（北京） is 朝阳(北京市))."""
    place = targets.target_places(store)
    seen = {(t.year, place(t.city), t.metric) for t in
            targets.list_targets(store, years=sorted({t.year for t in items}))}
    created: list[str] = []
    updated: list[str] = []
    for t in items:
        key = (t.year, place(t.city), t.metric)
        (updated if key in seen else created).append(f"{t.year}/{t.city}/{t.metric}")
        seen.add(key)
    return created, updated


FOLDER_FILES: dict[str, str] = {
    "pilot_cities": "city", "organisations": "organisation", "programme_teams": "team",
    "dispatches": "dispatch", "workstations": "workstation", "orders": "order",
    "events": "event", "milestones": "milestone", "targets": "target",
}


def import_folder(store: Store, folder: Path) -> list[ImportReport]:
    """Import every known file of a folder (e.g. data/samples/programme), registries first:
    `<stem>.<jsonl|csv|xlsx>` where the stem is a key of FOLDER_FILES."""
    reports = []
    for stem, kind in FOLDER_FILES.items():
        for path in sorted(Path(folder).glob(f"{stem}.*")):
            reports.append(import_file(store, kind, path))
    return reports
