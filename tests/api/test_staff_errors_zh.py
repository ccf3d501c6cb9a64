"""Refusals staff meet through the API read in Chinese, raised so at their source: the
docking import's row reasons said 'this need and candidate already have a docking', 'reason
'other' needs a reason note', 'a signed docking needs contract type and value (万元)', …
on the API and the CLI while only the console translated them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from api_support import headers
from fastapi.testclient import TestClient

from techmatch.matcher.engine import Engine

# an English sentence left in a message: three words in a row
_ENGLISH = re.compile(r"\b[a-z]{2,} [a-z]{2,} [a-z]{2,}\b")


def _import(client: TestClient, csv: str) -> dict:
    response = client.post("/v1/dockings/import", headers=headers("write"),
                           files={"file": ("对接台账.csv", csv.encode("utf-8"), "text/csv")})
    assert response.status_code == 200, response.text
    return response.json()


def test_docking_import_row_reasons_read_in_chinese(client: TestClient) -> None:
    first = _import(client, "需求编号,候选编号,阶段\nneed-blade,ach-eddy,推荐\n")
    assert first["imported"] == 1, first
    csv = ("需求编号,候选编号,阶段,创建日期,阶段日期,终止原因,原因说明,合同类型,合同金额\n"
           "need-blade,ach-eddy,推荐,,,,,,\n"
           "need-battery,ach-bms,推荐,,,,,,\n"
           "need-battery,ach-bms,推荐,,,,,,\n"
           "need-water,ach-ozone,推荐,2099-01-01,,,,,\n"
           "need-water,ach-ozone,已联系,2026-11-10,2026-11-01,,,,\n"
           "need-water,exp-ndt,终止,,,,,,\n"
           "need-water,exp-battery,终止,,,other,,,\n"
           "need-water,ach-paper,推荐,,,,,,10\n"
           "need-blade,exp-ndt,签约,,,,,,\n")
    report = _import(client, csv)
    said = {(e["row"], e["field"]): e["message"] for e in report["errors"]}
    assert said == {
        (2, "candidate_id"): "该需求与该成果/专家的对接已存在",
        (4, "candidate_id"): "与第 3 行的需求和成果/专家相同",
        (5, "created_at"): "日期晚于今天：2099-01-01",
        (6, "stage_at"): "阶段日期（2026-11-01）早于创建日期（2026-11-10）",
        (7, "reason"): "阶段为终止时必须填写终止原因，其他阶段不填",
        (8, "reason_note"): "原因为「其他」时需要填写说明",
        (9, "value_wan"): "只有签约或验收的对接才填写合同列（合同类型、合同金额、签约日期）",
        (10, "contract_type"): "签约或验收的对接需要填写合同类型和合同金额（万元）",
    }, said
    assert report["imported"] == 1
    for message in said.values():
        assert not _ENGLISH.search(message), message


def _refusal(client: TestClient, path: str, params: dict[str, str]) -> tuple[str, str]:
    response = client.get(path, params=params, headers=headers("read"))
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["type"] == "urn:techmatch:problem:validation"
    error = body["errors"][0]
    assert error["code"] == "invalid" and error["message"] in body["detail"]
    return error["field"], error["message"]


def test_kpi_and_dashboard_refusals_read_in_chinese(client: TestClient) -> None:
    """'the window ends (…) before it starts (…)' and 'unknown dimensions [...]; valid: …'
    (a filter off the grouped dimensions is allowed: test_kpis_filter_off_dimension)."""
    window = {"from": "2026-12-01", "to": "2026-11-01"}
    month = {"from": "2026-11-01", "to": "2026-11-30"}
    said = [
        _refusal(client, "/v1/kpis", window),
        _refusal(client, "/v1/kpis", {**month, "by": "city,colour"}),
        _refusal(client, "/v1/programme/dashboard", {"start": "2026-12-01",
                                                     "end": "2026-11-01"}),
    ]
    assert said == [
        ("to", "结束日期（2026-11-01）早于开始日期（2026-12-01）"),
        ("by", "未知统计维度 colour（可选：city（城市）、industry（行业）、team（服务团）、"
               "owner（负责人））"),
        ("end", "结束日期（2026-11-01）早于开始日期（2026-12-01）"),
    ], said


def test_programme_refusals_read_in_chinese(client: TestClient, engine: Engine) -> None:
    """'unknown registry 'teams'; valid: city, organisation, …' answered GET and PUT
    /v1/programme/teams (and `techmatch programme list teams`); the event list's 'unknown
    event type …' and a plan saved as an event without date or city ('a roadshow becomes an
    event only with a date') reached the console in English."""
    from techmatch.errors import ValidationError
    from techmatch.matcher.programme import list_events, roadshow_event
    from techmatch.matcher.roadshow import RoadshowPlan

    registry = ("kind", "未知登记类别 teams（可选：city（试点城市）、organisation（机构）、"
                        "team（服务团队）、dispatch（派出记录）、workstation（专家工作站）、"
                        "order（订单式服务）、event（活动）、milestone（节点））")
    assert _refusal(client, "/v1/programme/teams", {}) == registry
    put = client.put("/v1/programme/teams", json=[], headers=headers("write"))
    assert put.status_code == 422 and put.json()["errors"][0]["message"] == registry[1]
    store = engine.store
    empty: dict[str, Any] = {"slots": 1, "invites_per_achievement": 1, "items": [],
                             "total_covered_demand": 0.0}
    said: dict[str | None, str] = {}
    for call in (
        lambda: list_events(store, type="party"),
        lambda: roadshow_event(RoadshowPlan(city="深圳", **empty), event_id="E1"),
        lambda: roadshow_event(RoadshowPlan(city="", date=dt.date(2026, 12, 3), **empty),
                               event_id="E1"),
    ):
        try:
            call()
        except ValidationError as exc:
            said[exc.field] = exc.message
    assert said == {
        "type": "未知活动类型 party（可选：roadshow（技术路演）、training（培训）、"
                "trade（国际技术贸易）、consulting（决策咨询）、forum（论坛））",
        "date": "路演方案需要日期才能保存为活动",
        "city": "路演方案需要城市才能保存为活动"}, said


def test_feedback_refusals_read_in_chinese(client: TestClient) -> None:
    """POST /v1/feedback (and `techmatch feedback`) said 'a rejection needs a reason; valid:
    not_relevant, …', 'a reason is only given with label 'rejected'', 'exp-ndt is an expert:
    the first id must be a need or an achievement; give the need first (…)', 'a need cannot
    be paired with a need; …' and 'the pair's docking D is already dropped (终止) with reason
    'too_early', not 'not_relevant'; …'."""
    def said(body: dict[str, str]) -> tuple[str, str]:
        response = client.post("/v1/feedback", json=body, headers=headers("write"))
        assert response.status_code == 422, response.text
        error = response.json()["errors"][0]
        return error["field"], error["message"]

    pair = {"query_id": "need-blade", "candidate_id": "ach-eddy"}
    rejected = client.post("/v1/feedback", headers=headers("write"),
                           json={**pair, "label": "rejected", "reason": "too_early"})
    assert rejected.status_code == 201, rejected.text
    docking = rejected.json()["docking_id"]
    reasons = ("not_relevant（不相关）、too_early（技术成熟度不够）、already_solved（需求已解决）、"
               "too_costly（成本过高）、ip_confidentiality（知识产权或保密问题）、"
               "unresponsive（企业无回应）、other（其他）")
    assert [
        said({**pair, "label": "rejected"}),
        said({**pair, "label": "accepted", "reason": "other"}),
        said({"query_id": "exp-ndt", "candidate_id": "need-water", "label": "accepted"}),
        said({"query_id": "need-water", "candidate_id": "need-blade", "label": "accepted"}),
        said({**pair, "label": "rejected", "reason": "not_relevant"}),
    ] == [
        ("reason", f"拒绝需要填写原因（可选：{reasons}）"),
        ("reason", "只有拒绝（rejected）时才填写原因"),
        ("query_id", "exp-ndt 是专家：第一个编号应为需求或成果；请先写需求（need-water exp-ndt）"),
        ("candidate_id", "需求不能与需求配对：需求的候选为成果、专家"),
        ("reason", f"这一对的对接 {docking} 已终止，原因为 too_early（技术成熟度不够），"
                   "不是 not_relevant（不相关）；要更改原因，请管理员先把它重新打开"
                   f"（techmatch dockings move {docking} --to suggested --admin）"),
    ]


def test_event_outcome_and_target_refusals_read_in_chinese(client: TestClient) -> None:
    """POST /v1/programme/events/E/outcome with a need not invited said 'not invited to event
    E: need-x', DELETE /v1/programme/targets with a mistyped metric 'unknown metric 'deals';
    valid: …' (and `techmatch programme outcome / targets`)."""
    event = {"id": "EV-1", "type": "forum", "title": "论坛", "date": "2026-11-20", "city": "苏州"}
    saved = client.put("/v1/programme/event", json=[event], headers=headers("write"))
    assert saved.status_code == 200, saved.text
    outcome = client.post("/v1/programme/events/EV-1/outcome", headers=headers("write"),
                          json={"status": "held", "attended": ["need-x", "need-blade"]})
    assert outcome.status_code == 422, outcome.text
    assert outcome.json()["errors"][0] == {
        "field": "attended", "code": "invalid",
        "message": "以下需求没有受邀参加活动 EV-1：need-blade、need-x"}
    target = client.delete("/v1/programme/targets", headers=headers("admin"),
                           params={"year": 2026, "city": "苏州", "metric": "deals"})
    assert target.status_code == 422, target.text
    error = target.json()["errors"][0]
    assert error["field"] == "metric"
    assert error["message"].startswith("未知指标 deals（可选：teams_formed（组建服务团队数）、")
    put = client.put("/v1/programme/targets", headers=headers("write"),
                     json=[{"year": 2026, "city": "苏州", "metric": "deals", "value": 3}])
    assert put.status_code == 422, put.text
    assert put.json()["errors"][0]["message"] == error["message"]
