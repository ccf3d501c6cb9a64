"""Records of the libraries: Need (问题库), Achievement (成果库), Expert (人才库), ServiceTeam."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import Enum
from typing import Annotated, ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Kind = Literal["need", "achievement", "expert"]
KINDS: tuple[str, ...] = ("need", "achievement", "expert")
KIND_LABELS = {"need": "需求", "achievement": "成果", "expert": "专家"}  # zh-CN, staff-facing
# the records' coded values as staff write them (the loader reads these words back)
STATUS_LABELS = {"open": "待匹配", "matched": "已匹配", "closed": "已关闭"}
TYPE_LABELS = {"paper": "论文", "patent": "专利", "technology": "技术", "software": "软件",
               "other": "其他"}
LANGUAGE_LABELS = {"zh": "中文", "en": "英文", "other": "其他"}
# the records' fields as staff name them (an expert's `title` is 职称 on its own pages)
RECORD_FIELD_LABELS = {
    "id": "编号", "title": "标题", "description": "需求描述", "enterprise": "企业",
    "industry": "行业", "discipline": "学科", "province": "省份", "city": "城市",
    "keywords": "关键词", "status": "状态", "confidential": "保密", "contact": "联系方式",
    "abstract": "摘要", "type": "类型", "institution": "单位", "owners": "完成人",
    "maturity": "成熟度（TRL）", "language": "语言", "name": "姓名", "organization": "单位",
    "disciplines": "学科", "industries": "行业", "bio": "简介", "works": "代表成果",
    "capacity": "服务容量", "available": "可服务", "languages": "语言", "overseas": "海外",
    "exclusions": "回避企业", "created_at": "录入时间", "updated_at": "更新时间",
}
# the text fields (TEXT_FIELDS) each kind needs one of, or keywords, as staff name them
TEXT_FIELD_LABELS = {"need": "标题、需求描述", "achievement": "标题、摘要",
                     "expert": "姓名、职称、简介"}

RecordId = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\w.\-:/]+$")]
ShortText = Annotated[str, Field(max_length=500)]
LongText = Annotated[str, Field(max_length=20_000)]

_SPLIT = re.compile(r"[,，;；、|/\s]+")
# a name's alias in brackets: 王海伦（Helen Wang）, David Chen (陈大卫), 张伟【Wei Zhang】
_ALIAS = re.compile(r"[（(【\[]([^（()）【】\[\]]*)[）)】\]]")


TITLE_CHARS = 80  # display titles (lists, exports, explanations)


def _shorten(text: str) -> str:
    return text if len(text) <= TITLE_CHARS else text[:TITLE_CHARS - 1] + "…"


def fold_id(value: object) -> object:
    """An id (or a list of ids) as ingest reads it: NFKC, trimmed — Ｎ００１ typed with a
    Chinese input method is N001, not a new record. Anything else is left to validation."""
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value).strip()
    if isinstance(value, list):
        return [fold_id(v) for v in value]
    return value


def name_aliases(value: str) -> tuple[str, ...]:
    """A name as written, then the name outside its brackets and each name in them:
    王海伦（Helen Wang） → (王海伦（Helen Wang）, 王海伦, Helen Wang); a name without brackets
    (or with unbalanced ones) is itself alone."""
    parts = [value.strip(), _ALIAS.sub(" ", value).strip(),
             *(m.group(1).strip() for m in _ALIAS.finditer(value))]
    return tuple(dict.fromkeys(p for p in parts if p))


def _as_list(value: object) -> object:
    """Accept a list, or a string joined by , ， ; ； 、 | / or whitespace."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part for part in _SPLIT.split(value) if part]
    return value


def _values(*values: str | None) -> tuple[str, ...]:
    """The non-empty values of one facet, in order, each once."""
    return tuple(dict.fromkeys(v for v in values if v))


class NeedStatus(str, Enum):
    open = "open"
    matched = "matched"
    closed = "closed"


class AchievementType(str, Enum):
    paper = "paper"
    patent = "patent"
    technology = "technology"
    software = "software"
    other = "other"


class _Record(BaseModel):
    """Fields shared by every record; `TEXT_FIELDS` lists what matching reads, in order."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=True,
                              validate_default=True)

    TEXT_FIELDS: ClassVar[tuple[str, ...]] = ()
    # fields searched only when staff look a record up by them (an expert's name and
    # organisation, an achievement's institution, a need's enterprise), never by matching: a
    # need's text must not rank an expert up because it happens to hold their name
    NAME_FIELDS: ClassVar[tuple[str, ...]] = ()
    # NAME_FIELDS whose bracketed parts are names of their own (`name_aliases`): a person's
    # (王海伦（Helen Wang）); never an organisation's, whose brackets hold places and notes
    # (华为技术有限公司（深圳）, …（筹）) that would name it in any text holding them
    ALIAS_FIELDS: ClassVar[tuple[str, ...]] = ()
    KIND: ClassVar[str] = ""

    id: RecordId
    keywords: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list,
                                                                  max_length=100)
    province: ShortText | None = None
    city: ShortText | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @field_validator("keywords", mode="before")
    @classmethod
    def _split_keywords(cls, value: object) -> object:
        return _as_list(value)

    @model_validator(mode="after")
    def _needs_text(self) -> _Record:
        if not any((getattr(self, name) or "").strip() for name in self.TEXT_FIELDS
                   if isinstance(getattr(self, name), str)) and not self.keywords:
            fields = TEXT_FIELD_LABELS.get(self.KIND, "、".join(self.TEXT_FIELDS))
            raise ValueError(f"{fields}与关键词至少填写一项")
        return self

    @property
    def kind(self) -> str:
        return self.KIND

    @property
    def display_title(self) -> str:
        """The first text field (else the keywords), at most TITLE_CHARS characters; a cut
        one ends in … (a title cut mid-word read as a misspelling)."""
        for name in self.TEXT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, str) and value:
                return _shorten(value)
        return _shorten("、".join(self.keywords))

    def text(self) -> str:
        """Original text used for matching and display: text fields then keywords."""
        parts = [getattr(self, name) for name in self.TEXT_FIELDS]
        parts = [p for p in parts if isinstance(p, str) and p]
        if self.keywords:
            parts.append("、".join(self.keywords))
        return "\n".join(parts)

    def names(self, *, aliases: bool = True) -> tuple[str, ...]:
        """The non-empty values of `NAME_FIELDS` (the index's separate `names` field), with
        their aliases (`name_values`) unless `aliases` is False: the values as written."""
        if not aliases:
            return _values(*(getattr(self, name) for name in self.NAME_FIELDS))
        return _values(*(value for _field, value in self.name_values()))

    def name_values(self) -> tuple[tuple[str, str], ...]:
        """(field, name) for each non-empty value of `NAME_FIELDS`, then, in `ALIAS_FIELDS`,
        each of its names apart (`name_aliases`)."""
        out: dict[tuple[str, str], None] = {}
        for name in self.NAME_FIELDS:
            value = getattr(self, name, None)
            if not isinstance(value, str) or not value.strip():
                continue
            for one in name_aliases(value) if name in self.ALIAS_FIELDS else (value,):
                out[(name, one)] = None
        return tuple(out)

    def facets(self) -> dict[str, tuple[str, ...]]:
        """Keyword-like values used by filters (all backends index exactly these): every value
        of each facet, () for none. A facet may hold several (an expert's disciplines,
        industries, languages); a filter matches a record holding any of its values."""
        return {"province": _values(self.province), "city": _values(self.city)}


class Need(_Record):
    """An enterprise's technical problem (问题库 entry): the demand side."""

    TEXT_FIELDS: ClassVar[tuple[str, ...]] = ("title", "description")
    NAME_FIELDS: ClassVar[tuple[str, ...]] = ("enterprise",)
    KIND: ClassVar[str] = "need"

    title: ShortText = ""
    description: LongText = ""
    enterprise: ShortText | None = None
    industry: ShortText | None = None
    discipline: ShortText | None = None
    status: NeedStatus = NeedStatus.open
    confidential: bool = False
    contact: ShortText | None = None

    def facets(self) -> dict[str, tuple[str, ...]]:
        return {**super().facets(), "industry": _values(self.industry),
                "discipline": _values(self.discipline), "status": _values(str(self.status))}


class Achievement(_Record):
    """A research result offered for transfer: paper, patent, technology, software (成果库)."""

    TEXT_FIELDS: ClassVar[tuple[str, ...]] = ("title", "abstract")
    NAME_FIELDS: ClassVar[tuple[str, ...]] = ("institution",)
    KIND: ClassVar[str] = "achievement"

    title: ShortText = ""
    abstract: LongText = ""
    type: AchievementType = AchievementType.other
    discipline: ShortText | None = None
    industry: ShortText | None = None
    institution: ShortText | None = None
    owners: list[RecordId] = Field(default_factory=list, max_length=200)
    maturity: int | None = Field(default=None, ge=1, le=9, description="TRL 1-9")
    language: Literal["zh", "en", "other"] = "zh"

    @field_validator("owners", mode="before")
    @classmethod
    def _split_owners(cls, value: object) -> object:
        return _as_list(value)

    def facets(self) -> dict[str, tuple[str, ...]]:
        return {**super().facets(), "industry": _values(self.industry),
                "discipline": _values(self.discipline), "type": _values(str(self.type)),
                "language": _values(self.language)}


class Expert(_Record):
    """A person with expertise: profile, works (achievement ids) and capacity (人才库)."""

    TEXT_FIELDS: ClassVar[tuple[str, ...]] = ("name", "title", "bio")
    NAME_FIELDS: ClassVar[tuple[str, ...]] = ("name", "organization")
    ALIAS_FIELDS: ClassVar[tuple[str, ...]] = ("name",)
    KIND: ClassVar[str] = "expert"

    name: ShortText = ""
    title: ShortText = ""
    organization: ShortText | None = None
    disciplines: list[ShortText] = Field(default_factory=list, max_length=50)
    industries: list[ShortText] = Field(default_factory=list, max_length=50)
    bio: LongText = ""
    works: list[RecordId] = Field(default_factory=list, max_length=2000)
    capacity: int = Field(default=3, ge=0, le=1000, description="needs this expert can serve")
    available: bool = True
    languages: list[ShortText] = Field(default_factory=lambda: ["zh"], max_length=20)
    overseas: bool = False
    exclusions: list[ShortText] = Field(default_factory=list, max_length=200,
                                        description="enterprises this expert must not serve")

    @field_validator("disciplines", "industries", "works", "languages", "exclusions",
                     mode="before")
    @classmethod
    def _split_lists(cls, value: object) -> object:
        return _as_list(value)

    def text(self) -> str:
        parts = [self.title, self.bio, "、".join(self.disciplines), "、".join(self.keywords)]
        return "\n".join(p for p in parts if p)

    def facets(self) -> dict[str, tuple[str, ...]]:
        return {**super().facets(), "discipline": _values(*self.disciplines),
                "industry": _values(*self.industries), "language": _values(*self.languages)}


class ServiceTeam(BaseModel):
    """A named group of experts sent to the enterprises of a region / industry (科技服务团)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: RecordId
    name: ShortText
    province: ShortText | None = None
    city: ShortText | None = None
    industry: ShortText | None = None
    experts: list[RecordId] = Field(default_factory=list)
    needs: list[RecordId] = Field(default_factory=list,
                                  description="needs to serve; empty = open needs of the region")
    min_experts_per_need: int = Field(default=1, ge=0)
    max_experts_per_need: int = Field(default=2, ge=1)


Record = Need | Achievement | Expert
RECORD_TYPES: dict[str, type[_Record]] = {"need": Need, "achievement": Achievement,
                                          "expert": Expert}


def record_type(kind: str) -> type[_Record]:
    """The model class of `kind`; unknown kinds raise and list the valid ones."""
    try:
        return RECORD_TYPES[kind]
    except KeyError:
        from techmatch.errors import ValidationError, coded

        valid = coded(KINDS, KIND_LABELS)
        raise ValidationError(f"未知记录类型 {kind}（可选：{valid}）", field="kind") from None


def max_length(model: type[BaseModel], name: str) -> int | None:
    """The most characters field `name` of `model` holds, or None when unbounded."""
    info = model.model_fields.get(name)
    items = list(info.metadata) if info else []
    for arg in get_args(info.annotation) if info else ():  # `ShortText | None` keeps it inside
        for inner in getattr(arg, "__metadata__", ()):
            items += getattr(inner, "metadata", [inner])
    for item in items:
        if getattr(item, "max_length", None):
            return int(item.max_length)
    return None
