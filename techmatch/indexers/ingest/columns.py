"""Column mapping: Chinese or English headers (and metadata keys) → record field names, per kind."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from techmatch.indexers.ingest.normalize import to_simplified
from techmatch.models.records import KINDS, RECORD_FIELD_LABELS

# Aliases shared by every kind. Keys are compared after `header_key` (NFKC, lower case,
# spaces/hyphens → underscores), so "Keywords", "keywords " and "ＫＥＹＷＯＲＤＳ" all match.
_COMMON: dict[str, tuple[str, ...]] = {
    "id": ("id", "_id", "编号", "记录编号", "唯一编号", "record_id"),
    "keywords": ("keywords", "keyword", "关键词", "关键字", "标签", "tags"),
    "province": ("province", "省份", "省", "所在省份", "所属省份"),
    "city": ("city", "城市", "市", "所在城市", "所属城市", "地市"),
    "created_at": ("created_at", "created", "创建时间", "发布时间", "提交时间"),
    "updated_at": ("updated_at", "updated", "更新时间", "修改时间"),
}

_BY_KIND: dict[str, dict[str, tuple[str, ...]]] = {
    "need": {
        "id": ("需求编号", "问题编号", "need_id"),
        "title": ("title", "标题", "题目", "名称", "需求名称", "问题名称", "需求标题"),
        "description": ("description", "问题描述", "需求描述", "描述", "需求内容", "详细描述",
                        "text", "正文", "内容"),
        "enterprise": ("enterprise", "企业名称", "企业", "需求单位", "需求企业", "company"),
        "industry": ("industry", "所属行业", "行业", "行业领域"),
        "discipline": ("discipline", "学科", "学科领域", "所属学科", "技术领域"),
        "status": ("status", "状态", "需求状态"),
        "confidential": ("confidential", "是否保密", "保密"),
        "contact": ("contact", "联系方式", "联系人", "联系电话"),
    },
    "achievement": {
        "id": ("成果编号", "achievement_id", "publication_number", "公开号", "公开(公告)号",
               "申请号", "专利号"),
        "title": ("title", "标题", "题目", "名称", "成果名称", "专利名称", "论文题目"),
        "abstract": ("abstract", "摘要", "简介", "成果简介", "内容摘要", "text", "正文",
                     "内容", "description", "描述"),
        "type": ("type", "类型", "成果类型"),
        "discipline": ("discipline", "学科", "学科领域", "所属学科", "技术领域"),
        "industry": ("industry", "所属行业", "行业", "应用行业", "行业领域"),
        "institution": ("institution", "单位", "机构", "完成单位", "所属单位", "申请人",
                        "organization"),
        "owners": ("owners", "owner", "完成人", "发明人", "作者", "专家编号"),
        "maturity": ("maturity", "trl", "成熟度", "技术成熟度"),
        "language": ("language", "语言", "语种"),
        "keywords": ("labels",),
    },
    "expert": {
        "id": ("专家编号", "人员编号", "expert_id"),
        "name": ("name", "姓名", "专家姓名"),
        "title": ("title", "职称", "职务"),
        "organization": ("organization", "工作单位", "单位", "所在单位", "机构", "institution"),
        "disciplines": ("disciplines", "discipline", "研究方向", "学科", "研究领域", "专业领域"),
        "industries": ("industries", "industry", "服务行业", "行业", "所属行业"),
        "bio": ("bio", "简介", "个人简介", "专家简介", "text", "正文", "description"),
        "works": ("works", "成果", "代表成果", "成果编号"),
        "capacity": ("capacity", "服务容量", "容量"),
        "available": ("available", "是否可用", "可服务", "是否可服务"),
        "languages": ("languages", "language", "语言", "语种"),
        "overseas": ("overseas", "是否海外", "海外"),
        "exclusions": ("exclusions", "回避企业", "回避"),
    },
}

# A column that says each row's kind (a table of mixed kinds): rows of another kind are
# rejected by row, never loaded as the kind asked for.
KIND_HEADERS = frozenset({"kind", "record_kind", "记录类型"})

# The field that holds a BEIR corpus line's `text`, per kind.
BEIR_TEXT_FIELD: dict[str, str] = {"need": "description", "achievement": "abstract",
                                   "expert": "bio"}
# The field that holds a BEIR corpus line's `title`, per kind (an expert's `title` is a rank).
BEIR_TITLE_FIELD: dict[str, str] = {"need": "title", "achievement": "title", "expert": "name"}

# Display values staff type → the enum / boolean value the records expect.
VALUE_ALIASES: dict[str, dict[str, object]] = {
    "type": {"论文": "paper", "期刊论文": "paper", "会议论文": "paper", "专利": "patent",
             "发明专利": "patent", "实用新型": "patent", "技术": "technology",
             "技术成果": "technology", "软件": "software", "软件著作权": "software",
             "软著": "software", "其他": "other", "其它": "other"},
    "status": {"待解决": "open", "未解决": "open", "开放": "open", "待匹配": "open",
               "已匹配": "matched", "匹配中": "matched", "对接中": "matched",
               "已解决": "closed", "已关闭": "closed", "关闭": "closed"},
    "language": {"中文": "zh", "汉语": "zh", "chinese": "zh", "英文": "en", "英语": "en",
                 "english": "en", "其他": "other", "其它": "other"},
    "bool": {"是": True, "否": False, "true": True, "false": False, "1": True, "0": False,
             "yes": True, "no": False, "y": True, "n": False, "有": True, "无": False,
             "保密": True, "不保密": False, "公开": False},
}

_SEPARATORS = re.compile(r"[\s\-]+")
_SPACES = re.compile(r"\s+")
_BRACKETED = re.compile(r"[(（\[【].*?[)）\]】]")


def header_key(header: str) -> str:
    """Comparable form of a header: NFKC, trimmed, lower case, spaces/hyphens → `_`."""
    text = unicodedata.normalize("NFKC", str(header)).strip().lower().lstrip("\ufeff")
    return _SEPARATORS.sub("_", text).strip("_*")


def _build(kind: str) -> dict[str, str]:
    table: dict[str, str] = {}
    for name, aliases in (*_BY_KIND[kind].items(), *_COMMON.items()):
        for alias in aliases:
            table.setdefault(header_key(alias), name)
    return table


ALIASES: dict[str, dict[str, str]] = {kind: _build(kind) for kind in KINDS}


def aliases_of(name: str, kind: str) -> list[str]:
    """Every header that maps to field `name` for `kind` (for error messages)."""
    return [*_COMMON.get(name, ()), *_BY_KIND[kind].get(name, ())]


def field_for(header: str, kind: str) -> str | None:
    """The record field a header names for `kind`, or None when it names none.

    A bracketed suffix is tried away as a fallback: "成熟度（1-9）" → maturity, and so are
    spaces and line breaks inside and a colon at the end: "需求\n编号：" → id; then the header
    in simplified Chinese: "需求編號" → id.
    """
    found = _field_for(str(header), kind)
    if found is None:
        simplified = to_simplified(str(header))
        if simplified != header:
            found = _field_for(simplified, kind)
    return found


def _field_for(header: str, kind: str) -> str | None:
    table = ALIASES[kind]
    key = header_key(header)
    if key in table:
        return table[key]
    text = unicodedata.normalize("NFKC", header)
    bare = header_key(_BRACKETED.sub("", text))
    if bare in table:
        return table[bare]
    # a header wrapped in its cell (需求\n编号), spaced (问题 描述) or ending in a colon
    compact = header_key(_SPACES.sub("", _BRACKETED.sub("", text)).rstrip(":"))
    return table.get(compact) if compact else None


def value_alias(table: str, value: str) -> object | None:
    """The value staff typed (display text, traditional or simplified) → the stored value."""
    aliases = VALUE_ALIASES[table]
    key = value.strip().lower()
    if key in aliases:
        return aliases[key]
    return aliases.get(to_simplified(key))


@dataclass
class ColumnMap:
    """Header → field name for the mapped columns, plus what was ignored and why."""

    fields: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    shadowed: list[str] = field(default_factory=list)

    def apply(self, values: dict[str, object]) -> dict[str, object]:
        """A row's values by header → values by field name (unmapped columns dropped)."""
        return {self.fields[h]: v for h, v in values.items() if h in self.fields}

    def warnings(self) -> list[str]:
        out = []
        if self.unknown:
            out.append("已忽略未知列：" + "、".join(self.unknown))
        out.extend(self.shadowed)
        return out


def map_header(header: list[str], kind: str) -> ColumnMap:
    """Map header names to field names; the first column naming a field wins."""
    mapping = ColumnMap()
    taken: dict[str, str] = {}
    for text in header:
        name = field_for(text, kind)
        if name is None and header_key(text) in KIND_HEADERS and "kind" not in taken:
            taken["kind"] = text
            mapping.fields[text] = "kind"
        elif name is None:
            mapping.unknown.append(text)
        elif name in taken:
            mapping.shadowed.append(f"已忽略列「{text}」：「{taken[name]}」已提供该字段"
                                    f"（{RECORD_FIELD_LABELS.get(name, name)}）")
        else:
            taken[name] = text
            mapping.fields[text] = name
    return mapping


def map_keys(data: dict[str, object], kind: str) -> tuple[dict[str, object], list[str]]:
    """Map a JSON object's keys like headers; returns (mapped, unknown keys).

    When two keys name one field the first non-empty value wins.
    """
    out: dict[str, object] = {}
    unknown: list[str] = []
    for key, value in data.items():
        name = field_for(key, kind)
        if name is None:
            unknown.append(key)
        elif out.get(name) in (None, "", []):
            out[name] = value
    return out, unknown
