"""Programme records (科创中国): pilot cities, organisations, service teams and their dispatches,
expert workstations, order-based services, events, targets and milestones.

Codes are stable English values; every code has a Chinese label in the `*_LABELS` tables,
which exports and the console show. Dates are calendar dates (no time of day).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from techmatch.models.records import RecordId, ShortText, _as_list
from techmatch.models.strict import NumbersNotBooleans

LongNote = Annotated[str, Field(max_length=5_000)]
CHINA = dt.timezone(dt.timedelta(hours=8), "UTC+08:00")  # the programme's days (no DST)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def china_today() -> dt.date:
    """Today where the programme's staff work (China, UTC+8): the default 统计日 of the
    dashboard and of overdue milestones. Between 00:00 and 08:00 China time a UTC server's
    own date is still yesterday."""
    return _utcnow().astimezone(CHINA).date()


def china_day(moment: dt.datetime) -> dt.date:
    """The China (UTC+8) date of a timestamp, the day staff count it on (docking KPIs, due
    dates, the console's ranges); one without a time zone is read as UTC, as the store writes
    it (never as the server's local time, so a day counts the same on every machine)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(CHINA).date()


def china_minute(moment: dt.datetime | str | None) -> str:
    """A stored timestamp as staff read it: its China (UTC+8) date and minute,
    '2026-12-01 03:33' for 2026-11-30T19:33Z (ISO text or datetime; without a zone it is UTC,
    as `china_day` reads it). Empty for None or text that is no timestamp."""
    if isinstance(moment, str):
        try:
            moment = dt.datetime.fromisoformat(moment.strip().replace("Z", "+00:00"))
        except ValueError:
            return ""
    if moment is None:
        return ""
    if moment.tzinfo is None or moment.utcoffset() is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def china_midnight_utc(day: dt.date) -> str:
    """The start of China day `day` as the store's fixed-width UTC text
    (2026-12-02 → 2026-12-01T16:00:00.000000+00:00): text order is time order."""
    if day == dt.date.min:
        return ""  # before every timestamp
    start = dt.datetime.combine(day, dt.time(0), tzinfo=CHINA).astimezone(dt.timezone.utc)
    return start.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


Names = list[Annotated[str, Field(min_length=1, max_length=200)]]
NATIONAL = "全国"  # the city value of a national target

OrgType = Literal["society", "university", "institute", "enterprise", "transfer_agency",
                  "other"]
ORG_TYPE_LABELS: dict[str, str] = {"society": "学会", "university": "高校",
                                   "institute": "科研院所", "enterprise": "企业",
                                   "transfer_agency": "技术转移机构", "other": "其他"}
TeamType = Literal["service_group", "service_squad", "tech_manager_team"]
TEAM_TYPE_LABELS: dict[str, str] = {"service_group": "科技服务团", "service_squad": "服务队",
                                    "tech_manager_team": "技术经理人团队"}
EventType = Literal["roadshow", "training", "trade", "consulting", "forum"]
EVENT_TYPES: tuple[str, ...] = ("roadshow", "training", "trade", "consulting", "forum")
EVENT_TYPE_LABELS: dict[str, str] = {"roadshow": "技术路演", "training": "培训",
                                     "trade": "国际技术贸易", "consulting": "决策咨询",
                                     "forum": "论坛"}
EventStatus = Literal["planned", "held", "cancelled"]
EVENT_STATUS_LABELS: dict[str, str] = {"planned": "计划", "held": "已举办", "cancelled": "取消"}
OrderStatus = Literal["open", "accepted", "in_progress", "delivered", "closed", "cancelled"]
ORDER_STATUS_LABELS: dict[str, str] = {"open": "待接单", "accepted": "已接单",
                                       "in_progress": "服务中", "delivered": "已交付",
                                       "closed": "已结单", "cancelled": "已取消"}
Role = Literal["invitee", "presenter", "trainer", "organiser", "attendee"]
ROLE_LABELS: dict[str, str] = {"invitee": "受邀企业", "presenter": "路演/主讲专家",
                               "trainer": "培训专家", "organiser": "组织方", "attendee": "参会"}
ParticipantKind = Literal["enterprise", "expert", "organisation"]
InvitationStatus = Literal["invited", "attended", "declined", "docking"]
INVITATION_LABELS: dict[str, str] = {"invited": "已邀请", "attended": "已参加",
                                     "declined": "婉拒", "docking": "已转对接"}


class _Model(NumbersNotBooleans):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Contact(_Model):
    name: ShortText
    role: ShortText | None = None
    phone: ShortText | None = None
    email: ShortText | None = None


_PROVINCE_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省",
                      "市")


def province_short(value: str) -> str:
    """A province as pilot city ids name it: 辽宁省 is 辽宁, 北京市 is 北京, 广西壮族自治区 is
    广西 (full-width forms and spaces folded)."""
    text = "".join(unicodedata.normalize("NFKC", value).split())
    for suffix in _PROVINCE_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            return text[:-len(suffix)]
    return text


def pilot_city_id(name: str, province: str | None) -> str:
    """The id of a pilot city: its name, with the province in brackets when it has one —
    朝阳（辽宁） and 朝阳（北京） are two pilot cities; a city without a province is its name."""
    short = province_short(province) if province else ""
    return f"{name}（{short}）" if short else name


class PilotCity(_Model):
    """A pilot city (试点城市): batch, start, agreement and contacts; keyed by its name and
    province (`pilot_city_id`): two places of one name in two provinces are two cities."""

    KIND: ClassVar[str] = "city"

    name: Annotated[str, Field(min_length=1, max_length=100)]
    province: ShortText | None = None
    batch: int = Field(ge=1, le=9, description="试点批次")
    start: dt.date | None = Field(default=None, description="启动日期")
    agreement: ShortText | None = Field(default=None, description="合作协议")
    contacts: list[Contact] = Field(default_factory=list, max_length=50)
    notes: LongNote = ""

    @property
    def id(self) -> str:
        return pilot_city_id(self.name, self.province)


class Organisation(_Model):
    """学会, university, institute, enterprise or technology-transfer agency."""

    KIND: ClassVar[str] = "organisation"

    id: RecordId
    name: ShortText
    type: OrgType
    province: ShortText | None = None
    city: ShortText | None = None
    country: ShortText = "中国"
    overseas: bool = False


class Team(_Model):
    """A service team (科技服务团 / 服务队 / 技术经理人团队) with members, cities and industries."""

    KIND: ClassVar[str] = "team"

    id: RecordId
    name: ShortText
    type: TeamType = "service_group"
    lead_organisation: RecordId | None = None
    members: list[RecordId] = Field(default_factory=list, max_length=500,
                                    description="专家 id")
    cities: Names = Field(default_factory=list, max_length=100)
    industries: Names = Field(default_factory=list, max_length=100)
    formed_on: dt.date | None = None
    overseas: bool = False

    @field_validator("members", "cities", "industries", mode="before")
    @classmethod
    def _lists(cls, value: object) -> object:
        return _as_list(value)


class Dispatch(_Model):
    """One dispatch of a team to a city (派出记录): the team's history."""

    KIND: ClassVar[str] = "dispatch"

    id: RecordId
    team_id: RecordId
    city: ShortText
    start: dt.date
    end: dt.date | None = None
    purpose: ShortText = ""
    enterprises: Names = Field(default_factory=list, max_length=500)
    need_ids: list[RecordId] = Field(default_factory=list, max_length=500)
    outcome: LongNote = ""

    @model_validator(mode="after")
    def _dates(self) -> Dispatch:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"结束日期 end（{self.end}）早于开始日期 start（{self.start}）")
        return self


class Workstation(_Model):
    """An expert workstation (专家工作站) hosted by an enterprise for a period."""

    KIND: ClassVar[str] = "workstation"

    id: RecordId
    name: ShortText = ""
    expert_id: RecordId
    enterprise: ShortText
    city: ShortText | None = None
    industry: ShortText | None = None
    start: dt.date
    end: dt.date | None = None
    orders: list[RecordId] = Field(default_factory=list, max_length=500)


class ServiceOrder(_Model):
    """An order-based service (订单式服务): an enterprise's order served by a provider."""

    KIND: ClassVar[str] = "order"

    id: RecordId
    title: ShortText
    enterprise: ShortText
    provider: RecordId = Field(description="专家、团队或机构 id")
    provider_kind: Literal["expert", "team", "organisation"] = "expert"
    city: ShortText | None = None
    industry: ShortText | None = None
    status: OrderStatus = "open"
    ordered_on: dt.date
    delivered_on: dt.date | None = None
    value_wan: float | None = Field(default=None, ge=0, allow_inf_nan=False,
                                    description="金额（万元）")


class Participant(_Model):
    """Someone at an event: an invited enterprise (with its need), a presenter, a trainer …"""

    role: Role
    kind: ParticipantKind
    ref: RecordId | None = Field(default=None, description="专家 / 机构 id")
    name: ShortText = ""
    need_id: RecordId | None = None
    achievement_id: RecordId | None = None
    overseas: bool = False
    reason: LongNote = ""
    status: InvitationStatus | None = None
    docking_id: str | None = None


class Outcome(_Model):
    attendance: int | None = Field(default=None, ge=0)
    notes: LongNote = ""


class Event(_Model):
    """A dated programme activity in a city: roadshow, training, trade, consulting, forum."""

    KIND: ClassVar[str] = "event"

    id: RecordId
    type: EventType
    title: ShortText
    date: dt.date
    city: ShortText
    industry: ShortText | None = None
    organiser: ShortText | None = None
    team_id: RecordId | None = None
    overseas: bool = Field(default=False, description="海外人才中国行等海外专项")
    status: EventStatus = "planned"
    participants: list[Participant] = Field(default_factory=list, max_length=2_000)
    outcome: Outcome = Field(default_factory=Outcome)
    topic: ShortText | None = Field(default=None, description="培训主题")
    plan: dict[str, object] | None = Field(default=None, description="保存的路演/培训方案")

    def enterprises(self) -> set[str]:
        return {p.name for p in self.participants if p.kind == "enterprise" and p.name}


class Target(_Model):
    """A planned number for a year and city (`全国` for a national target) of one metric."""

    year: int = Field(ge=2000, le=2100)
    city: Annotated[str, Field(min_length=1, max_length=100)]
    metric: str
    value: float = Field(ge=0, allow_inf_nan=False)

    @field_validator("metric")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in METRIC_LABELS:
            raise ValueError(unknown_metric(value))
        return value


class Milestone(_Model):
    """A dated checkpoint (节点) of the plan; overdue on a day past its due date when it was
    not done by that day (done later, or not yet: a board as of an earlier day shows it)."""

    KIND: ClassVar[str] = "milestone"

    id: RecordId
    year: int = Field(ge=2000, le=2100)
    city: ShortText = NATIONAL
    title: ShortText
    due: dt.date
    done_on: dt.date | None = None
    owner: ShortText | None = None
    metric: str | None = None

    def overdue(self, today: dt.date) -> bool:
        return self.due < today and (self.done_on is None or self.done_on > today)

    def days_late(self, today: dt.date) -> int:
        return (today - self.due).days if self.overdue(today) else 0


METRIC_LABELS: dict[str, str] = {
    "teams_formed": "组建服务团队数", "enterprises_served": "服务企业数",
    "events": "活动场次", **{f"events.{t}": f"{label}场次" for t, label in
                            EVENT_TYPE_LABELS.items()},
    "dockings_signed": "签约对接数", "deal_value": "签约金额（万元）",
    "workstations": "专家工作站数", "orders_delivered": "完成订单式服务数",
}
METRICS: tuple[str, ...] = tuple(METRIC_LABELS)


def unknown_metric(text: str) -> str:
    """未知指标 X（可选：teams_formed（组建服务团队数）、…）: codes beside their names."""
    from techmatch.errors import coded

    valid = coded(METRIC_LABELS, METRIC_LABELS)
    return f"未知指标 {text}（可选：{valid}）"

REGISTRY_TYPES: dict[str, type[BaseModel]] = {
    "city": PilotCity, "organisation": Organisation, "team": Team, "dispatch": Dispatch,
    "workstation": Workstation, "order": ServiceOrder, "event": Event, "milestone": Milestone,
}
REGISTRY_LABELS: dict[str, str] = {
    "city": "试点城市", "organisation": "机构", "team": "服务团队", "dispatch": "派出记录",
    "workstation": "专家工作站", "order": "订单式服务", "event": "活动", "milestone": "节点",
}
