"""需求录入 and 批量导入: a need from a form (per-field Chinese messages) and file uploads."""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pydantic

from techmatch.indexers.ingest.load import IngestReport, ingest_files
from techmatch.indexers.ingest.normalize import clean_display
from techmatch.matcher.batch.export import formula_safe
from techmatch.matcher.dockings.effects import sync_needs
from techmatch.models.records import Need
from techmatch.models.validation_zh import message_zh
from techmatch.store import Store

FORM_FIELDS: tuple[str, ...] = ("id", "title", "description", "enterprise", "industry",
                                "discipline", "province", "city", "keywords", "contact", "status")
UPLOAD_DIR = Path("rejects") / "console"
SAFE_NAME = re.compile(r"[^\w.\-]+")
TOKEN = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")
ALLOWED_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".jsonl", ".json")
TEXT_NEEDED = "标题、需求描述或关键词至少填写一项"


def _message(error: dict[str, object]) -> str:
    """A form field's pydantic error in Chinese (the API's table, models/validation_zh.py)."""
    if error.get("type") == "value_error" and not error.get("loc"):  # the record's text check
        return TEXT_NEEDED
    return message_zh(error)


def validate_need(values: dict[str, str], confidential: bool,
                  store: Store) -> tuple[Need | None, dict[str, str]]:
    """(need, {}) when the form is valid and the id is new, else (None, field → message)."""
    # controls and zero-width characters dropped as the file loader does (the API refuses them)
    data: dict[str, object] = {k: clean_display(v) for k, v in values.items()
                               if v and clean_display(v)}
    if isinstance(data.get("id"), str):  # Ｎ００１ typed with a Chinese input method is N001
        data["id"] = unicodedata.normalize("NFKC", str(data["id"])).strip()
    data["confidential"] = confidential
    errors: dict[str, str] = {}
    try:
        need = Need.model_validate(data)
    except pydantic.ValidationError as exc:
        for error in exc.errors():
            loc = error.get("loc") or ()
            name = str(loc[0]) if loc else "title"
            errors.setdefault(name, _message(dict(error)))
        if not any(data.get(f) for f in ("title", "description", "keywords")):
            # pydantic checks this only once every field is valid; say it at once
            errors.setdefault("title", TEXT_NEEDED)
        return None, errors
    if store.get_many([need.id]):
        return None, {"id": f"编号 {need.id} 已存在，请换一个编号"}
    return need, {}


def new_need_id() -> str:
    """A suggested id for a need typed in by staff."""
    return "N-" + secrets.token_hex(4).upper()


@dataclass
class Upload:
    """One upload's ingest report, and where its rejected rows were written."""

    token: str
    name: str
    report: IngestReport

    @property
    def rejects(self) -> list[str]:
        return [f.reject_file.name for f in self.report.files if f.reject_file is not None]


def safe_name(filename: str | None) -> str:
    name = SAFE_NAME.sub("_", Path(filename or "upload").name).strip("._") or "upload"
    return name[:120]


def ingest_upload(home: Path, store: Store, kind: str, filename: str | None,
                  stream: BinaryIO) -> Upload:
    """Save the upload to a temporary file, ingest it (good rows in one transaction) and keep
    its rejected rows under `<home>/rejects/console/<token>/` for download."""
    name = safe_name(filename)
    token = secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory(prefix="techmatch-console-") as tmp:
        path = Path(tmp) / name
        with path.open("wb") as out:
            shutil.copyfileobj(stream, out, 1 << 20)
        # called by its own name in errors and the rejects file, never the server's temp path
        report = ingest_files([path], kind, store, reject_dir=home / UPLOAD_DIR / token,
                              names=[name])
    if kind == "need":  # a need with a signed docking re-sent as `open` stays matched
        sync_needs(store, [*report.loaded.inserted, *report.loaded.updated])
    return Upload(token, name, report)


def rejects_path(home: Path, token: str, name: str) -> Path | None:
    """The rejects file of an upload, or None for a bad token / name / missing file."""
    if not TOKEN.match(token) or name != safe_name(name) or not name.endswith(".rejects.jsonl"):
        return None
    path = home / UPLOAD_DIR / token / name
    return path if path.is_file() else None


CSV_SUFFIX, JSONL_SUFFIX = ".rejects.csv", ".rejects.jsonl"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def rejects_csv(path: Path) -> bytes:
    """An upload's rejects file (JSON lines, the loader's English reasons) as a CSV staff open
    in Excel (UTF-8 with BOM): 行号, 字段, 退回原因 as the page says them, then the row's own
    columns in the file's order (原始内容 for a line that was not read into columns)."""
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    columns: list[str] = []
    for line in lines:
        raw = line.get("raw")
        if isinstance(raw, dict):
            columns.extend(c for c in raw if c not in columns)
    plain = any(not isinstance(line.get("raw"), dict) for line in lines)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([formula_safe(c) for c in
                     ["行号", "字段", "退回原因", *columns, *(["原始内容"] if plain else [])]])
    for line in lines:
        errors = line.get("errors") or [line]
        fields = "、".join(dict.fromkeys(field_label(e.get("field")) for e in errors))
        reasons = "；".join(dict.fromkeys(str(e.get("message", "")) for e in errors))
        raw = line.get("raw")
        values = [_cell(raw.get(c)) if isinstance(raw, dict) else "" for c in columns]
        if plain:
            values.append("" if isinstance(raw, dict) else _cell(raw))
        # the cells are the uploaded file's: one starting with = + - @ must not become a
        # live formula when staff open the CSV in Excel
        writer.writerow([formula_safe(c) for c in
                         [_cell(line.get("row")), fields, reasons, *values]])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def field_label(field: str | None) -> str:
    """`title/description` → 标题/需求描述; unknown names stay as they are."""
    from techmatch.api.console.labels import FIELD

    if not field:
        return "整行"
    return "/".join(FIELD.get(part, part) for part in field.split("/"))
