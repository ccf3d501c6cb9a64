"""Request (create) and response (public) schemas of the HTTP API, with Chinese examples."""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from techmatch.api.limits import MAX_BATCH, MAX_FILTER_VALUES, MAX_K, MAX_QUERY_CHARS
from techmatch.models.records import Achievement, Expert, Need, fold_id
from techmatch.models.results import Filters, Ranking

KindName = Literal["need", "achievement", "expert"]
Target = Literal["achievement", "expert"]
FacetValues = Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]],
                        Field(max_length=MAX_FILTER_VALUES)]
T = TypeVar("T")

NEED_EXAMPLE: dict[str, Any] = {
    "id": "need-demo-001", "title": "航空发动机涡轮叶片微裂纹在线检测",
    "description": "我公司生产镍基高温合金涡轮叶片，需要一种可在线使用的无损检测方法，"
                   "能发现 50 微米以上的表面裂纹。",
    "enterprise": "苏州某航空零部件有限公司", "industry": "航空航天", "province": "江苏",
    "city": "苏州", "keywords": ["无损检测", "涡轮叶片", "高温合金"], "confidential": False,
    "contact": "张工 0512-00000000",
}
ACHIEVEMENT_EXAMPLE: dict[str, Any] = {
    "id": "ach-demo-001", "title": "基于涡流阵列的金属构件表面裂纹快速检测技术",
    "abstract": "提出一种柔性涡流阵列探头与信号处理方法，可在 1 秒内检出 30 微米表面裂纹。",
    "type": "technology", "institution": "某大学机械工程学院", "industry": "航空航天",
    "province": "北京", "keywords": ["涡流检测", "裂纹"], "maturity": 6,
}
EXPERT_EXAMPLE: dict[str, Any] = {
    "id": "exp-demo-001", "name": "李明", "title": "教授", "organization": "某大学",
    "bio": "长期从事无损检测与结构健康监测研究。", "disciplines": ["机械工程"],
    "industries": ["航空航天"], "province": "北京", "capacity": 3,
}


class NeedCreate(Need):
    """新增或更新的需求（企业技术难题）。"""

    model_config = ConfigDict(json_schema_extra={"examples": [NEED_EXAMPLE]})

    _fold_ids = field_validator("id", mode="before")(fold_id)  # as ingest reads them


def _no_bool(value: object) -> object:
    """Numbers are numbers: pydantic's lax mode would read `true` as 1."""
    if isinstance(value, bool):
        raise ValueError("应为整数，不能是 true/false")
    return value


class AchievementCreate(Achievement):
    """新增或更新的成果（论文、专利、技术、软件）。"""

    model_config = ConfigDict(json_schema_extra={"examples": [ACHIEVEMENT_EXAMPLE]})

    _strict_maturity = field_validator("maturity", mode="before")(_no_bool)
    _fold_ids = field_validator("id", "owners", mode="before")(fold_id)


class ExpertCreate(Expert):
    """新增或更新的专家。"""

    model_config = ConfigDict(json_schema_extra={"examples": [EXPERT_EXAMPLE]})

    _strict_capacity = field_validator("capacity", mode="before")(_no_bool)
    _fold_ids = field_validator("id", "works", mode="before")(fold_id)


class NeedPublic(Need):
    """需求；只读密钥看不到保密需求和联系方式 (contact 为空)。"""


class AchievementPublic(Achievement):
    """成果。"""


class ExpertPublic(Expert):
    """专家。"""


class IndexState(BaseModel):
    """写入后索引的同步状态：写入立即落库，索引在后台跟进（或 wait=true 时同步等待）。"""

    store_seq: int = Field(description="本次写入后的存储变更序号")
    scheduled: bool = Field(description="是否已安排后台索引同步")
    applied_seq: int | None = Field(default=None, description="索引已应用到的序号（已知时）")
    generation: str | None = Field(default=None, description="同步后的索引代号（wait=true 时）")
    waited: bool = Field(default=False, description="是否按 wait=true 等待了索引")
    caught_up: bool | None = Field(default=None, description="wait=true 时：等待期内索引是否已"
                                   "应用本次写入；false 时响应为 202 并给出 lag")
    lag: IndexLag | None = Field(default=None, description="wait=true 超时时索引的落后程度")


class WriteResult(BaseModel):
    """单条写入的结果。"""

    id: str
    kind: KindName
    status: Literal["inserted", "updated", "unchanged"]
    index: IndexState


class BatchResult(BaseModel):
    """批量写入的结果（同一事务：要么全部写入，要么全部不写）。"""

    kind: KindName
    inserted: list[str]
    updated: list[str]
    unchanged: list[str]
    index: IndexState


class DeleteResult(BaseModel):
    """删除结果。"""

    id: str
    kind: KindName
    deleted: bool = True
    index: IndexState


class Page(BaseModel, Generic[T]):
    """分页结果；offset + limit 不得超过 10000。"""

    total: int = Field(description="满足筛选条件的记录总数（按调用者可见范围计）")
    offset: int
    limit: int
    items: list[T]


class FiltersIn(BaseModel):
    """检索筛选条件（每项为“任一匹配”的取值列表）。"""

    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "examples": [{"province": ["江苏"], "industry": ["航空航天"]}]})

    province: FacetValues | None = None
    city: FacetValues | None = None
    industry: FacetValues | None = None
    discipline: FacetValues | None = None
    type: FacetValues | None = None
    status: FacetValues | None = None
    language: FacetValues | None = None
    exclude_ids: Annotated[list[Annotated[str, Field(max_length=128)]],
                           Field(max_length=MAX_BATCH)] | None = None

    def to_filters(self) -> Filters:
        return Filters.model_validate(self.model_dump())


PREFER_LOCAL = "本地优先：同城的候选加分最多，同省的加一半"
REQUIRE_LOCAL = "只要本地：需求有城市时只要同城的候选，没有城市时只要同省的"
QueryText = Annotated[str, Field(min_length=1, max_length=MAX_QUERY_CHARS,
                                 description="查询文本（中文或英文）")]
# strict: a JSON `true` is not 1 (nor "10" or 10.0 a count) in a request body.
TopK = Annotated[int, Field(ge=1, le=MAX_K, strict=True, description="返回条数，最多 100")]


class SearchRequest(BaseModel):
    """对某一类记录做自由文本检索。"""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"kind": "achievement", "text": "涡轮叶片 裂纹 无损检测", "k": 10,
         "filters": {"industry": ["航空航天"]}}]})

    kind: KindName = Field(description="检索哪一类记录")
    text: QueryText
    k: TopK = 10
    mode: Literal["lexical", "dense", "hybrid"] | None = Field(
        default=None, description="检索方式；缺省用调优后的参数")
    filters: FiltersIn | None = None
    explain: bool = Field(default=True, description="是否返回匹配解释")


class AdhocNeed(BaseModel):
    """临时需求：不入库，直接用于匹配。"""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: Annotated[str, Field(max_length=500)] = ""
    description: Annotated[str, Field(max_length=20_000)] = ""
    keywords: Annotated[list[Annotated[str, Field(max_length=100)]],
                        Field(max_length=100)] = Field(default_factory=list)
    industry: Annotated[str, Field(max_length=500)] | None = None
    discipline: Annotated[str, Field(max_length=500)] | None = None
    province: Annotated[str, Field(max_length=500)] | None = None
    city: Annotated[str, Field(max_length=500)] | None = None

    def to_need(self) -> Need:
        return Need(id="adhoc", **self.model_dump())

    def text(self) -> str:
        return " ".join([self.title, self.description, *self.keywords])


class MatchNeedRequest(BaseModel):
    """为一个临时需求匹配成果或专家。"""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "need": {"title": "涡轮叶片微裂纹在线检测", "description": "需要可在线使用的无损检测方法",
                 "province": "江苏"},
        "target": "achievement", "k": 10}]})

    need: AdhocNeed
    target: Target = Field(default="achievement", description="匹配成果还是专家")
    k: TopK = 10
    filters: FiltersIn | None = None
    explain: bool = True
    prefer_local: bool = Field(default=False, description=PREFER_LOCAL)
    require_local: bool = Field(default=False, description=REQUIRE_LOCAL)


class RankingPublic(Ranking):
    """排序结果：命中记录、置信度、解释，以及回答所用的索引代号 generation。"""


FeedbackLabel = Literal["accepted", "rejected", "contacted", "deal"]
RejectReason = Literal["not_relevant", "too_early", "already_solved", "too_costly",
                       "ip_confidentiality", "other"]


class FeedbackCreate(BaseModel):
    """工作人员或对接结果对一个推荐对（需求/成果 → 候选）的判断。"""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={
        "examples": [{"query_id": "need-demo-001", "candidate_id": "ach-demo-001",
                      "label": "rejected", "reason": "too_early",
                      "note": "技术成熟度不够，企业需要量产方案"}]})

    query_id: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\w.\-:/]+$")]
    candidate_id: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\w.\-:/]+$")]
    _fold_ids = field_validator("query_id", "candidate_id", mode="before")(fold_id)
    label: FeedbackLabel = Field(
        description="accepted 采纳 / rejected 拒绝 / contacted 已联系 / deal 成交")
    reason: RejectReason | None = Field(default=None, description="拒绝原因（仅 rejected 时必填）")
    note: Annotated[str, Field(max_length=2000)] | None = None


class FeedbackPublic(BaseModel):
    """已记录的反馈。"""

    fid: int
    query_id: str
    candidate_id: str
    label: str
    reason: str | None = None
    note: str | None = None
    actor: str | None = None
    at: str
    docking_id: str | None = Field(
        default=None, description="该对的对接（记录与列表均返回；列表中该对已无对接时为空）")
    stage: str | None = Field(
        default=None, description="判断使对接移到的阶段代码（仅记录时返回；列表中为空，"
                                  "对接当前阶段见 GET /v1/dockings/{docking_id}）")
    stage_label: str | None = Field(default=None,
                                    description="阶段中文名，如 签约（仅记录时返回）")
    need_id: str | None = Field(default=None, description="该对的需求（记录与列表均返回）")
    need_status: str | None = Field(
        default=None, description="判断改变了需求状态时的新状态（matched / closed / open；"
                                  "仅记录时返回）")


class IndexLag(BaseModel):
    """某类索引落后于存储的程度。"""

    records: int = Field(description="索引尚未应用的记录数（按 id 去重）")
    seconds: float = Field(description="最早一条未应用变更距今的秒数")
    store_seq: int = Field(description="存储中该类记录的最新变更序号")
    applied_seq: int = Field(description="索引已应用到的变更序号")


class Readiness(BaseModel):
    """就绪状态：引擎与索引加载完成、且各索引落后存储不超过上限时为 ready。"""

    status: Literal["ready", "loading", "lagging", "error"]
    detail: str = ""
    generations: dict[str, str | None] = Field(default_factory=dict)
    documents: dict[str, int] = Field(default_factory=dict)
    lag: dict[str, IndexLag] = Field(default_factory=dict,
                                     description="各类索引落后存储的记录数与秒数")
    lag_max_seconds: float | None = Field(default=None,
                                          description="就绪所允许的最大落后秒数")


class Health(BaseModel):
    """进程存活。"""

    status: Literal["ok"] = "ok"
