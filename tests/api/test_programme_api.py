"""/v1/programme on the tiny API corpus: roles, taxonomy, registries, imports with per-row
errors, roadshow → event → dockings → signed over HTTP → dashboard (JSON, XLSX, PNG)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from api_support import headers
from fastapi.testclient import TestClient

from techmatch.matcher.programme.redact import HIDDEN_WORK
from techmatch.models.programme import china_today

TODAY = china_today()  # the programme counts China days; a signing may not predate its docking
WINDOW = {"start": f"{TODAY.year}-01-01", "end": f"{TODAY.year}-12-31"}
CITY = {"name": "深圳", "province": "广东", "batch": 1, "start": "2026-02-01"}


def test_taxonomy_is_readable_and_resolves_free_text(client: TestClient) -> None:
    assert client.get("/v1/programme/taxonomy").status_code == 401
    body = client.get("/v1/programme/taxonomy", headers=headers("read")).json()
    tops = [n["name"] for n in body["nodes"] if n["parent"] is None]
    assert len(tops) == 9 and tops[0] == "新一代信息技术产业"
    assert {"label": "海洋工程", "code": "2.5"}.items() <= body["legacy_labels"][-1].items()
    r = client.get("/v1/programme/taxonomy/resolve", params={"text": "芯片"},
                   headers=headers("read")).json()
    assert (r["code"], r["how"], r["path"]) == (
        "1.2.4", "exact", "新一代信息技术产业 > 电子核心产业 > 集成电路制造")


def test_registry_roles_write_and_admin(client: TestClient) -> None:
    url = "/v1/programme/city"
    assert client.put(url, json=[CITY], headers=headers("read")).status_code == 403
    r = client.put(url, json=[CITY], headers=headers("write"))
    assert r.status_code == 200 and r.json() == {"created": ["深圳（广东）"], "updated": []}
    assert client.get(f"{url}/深圳", headers=headers("read")).json()["batch"] == 1
    bad = client.put(url, json=[CITY, {**CITY, "batch": 0}], headers=headers("write"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.1.batch"
    assert client.delete(f"{url}/深圳", headers=headers("write")).status_code == 403
    assert client.delete(f"{url}/深圳", headers=headers("admin")).status_code == 204
    assert client.get(f"{url}/深圳", headers=headers("read")).status_code == 404
    r = client.get("/v1/programme/cities", headers=headers("read"))
    assert r.status_code == 422
    assert "未知登记类别 cities（可选：city（试点城市）" in r.json()["detail"]


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_import_reports_rows_and_csv_targets(client: TestClient) -> None:
    data = _xlsx([["编号", "活动类型", "活动名称", "日期", "城市", "行业"],
                  ["EV1", "培训", "电池安全培训", dt.datetime(2026, 5, 1), "深圳", "新能源汽车"],
                  ["EV2", "茶话会", "类型不对", dt.datetime(2026, 5, 2), "深圳", None],
                  ["EV3", "论坛", "", dt.datetime(2026, 5, 3), "深圳", None]])
    files = {"file": ("events.xlsx", data, "application/octet-stream")}
    assert client.post("/v1/programme/import/event", files=files,
                       headers=headers("read")).status_code == 403
    r = client.post("/v1/programme/import/event", files=files, headers=headers("write"))
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["created"] == ["EV1"] and report["rejected"] == 2
    assert {(e["row"], e["field"]) for e in report["errors"]} == {(3, "type"), (4, "title")}
    ev = client.get("/v1/programme/event/EV1", headers=headers("read")).json()
    assert (ev["type"], ev["date"]) == ("training", "2026-05-01")
    csv = (f"年度,城市,指标,目标值\n{TODAY.year},深圳,签约对接数,4\n"
           f"{TODAY.year},深圳,签约金额（万元）,500\n")
    r = client.post("/v1/programme/import/target", headers=headers("write"),
                    files={"file": ("targets.csv", csv.encode("utf-8"), "text/csv")})
    assert r.status_code == 200 and r.json()["errors"] == []
    got = client.get("/v1/programme/targets", params={"year": TODAY.year},
                     headers=headers("read")).json()
    assert {(t["metric"], t["value"]) for t in got} == {("dockings_signed", 4.0),
                                                         ("deal_value", 500.0)}


def test_roadshow_event_to_signed_docking_on_the_dashboard(client: TestClient) -> None:
    body = {"event_id": "RS1", "city": "深圳", "slots": 1, "invites_per_achievement": 3,
            "date": TODAY.isoformat(), "team_id": "T9", "min_score": 0.0,
            "record_dockings": True}
    assert client.post("/v1/programme/events/roadshow", json=body,
                       headers=headers("read")).status_code == 403
    r = client.post("/v1/programme/events/roadshow", json=body, headers=headers("write"))
    assert r.status_code == 200, r.text
    out = r.json()
    invitees = [p for p in out["event"]["participants"] if p["role"] == "invitee"]
    assert [p["need_id"] for p in invitees] == ["need-battery"]
    assert invitees[0]["status"] == "docking" and len(out["dockings"]) == 1
    docking_id = out["dockings"][0]["docking_id"]
    client.put("/v1/programme/targets", headers=headers("write"), json=[
        {"year": TODAY.year, "city": "深圳", "metric": "dockings_signed", "value": 4},
        {"year": TODAY.year, "city": "深圳", "metric": "deal_value", "value": 500}])
    version = 1
    for stage in ("contacted", "confirmed", "negotiating", "signed"):
        move = {"to": stage, "version": version}
        if stage == "signed":
            move["contract"] = {"contract_type": "license", "value_wan": 80,
                                "signed_on": TODAY.isoformat()}
        r = client.post(f"/v1/dockings/{docking_id}/moves", json=move, headers=headers("write"))
        assert r.status_code == 200, r.text
        version = r.json()["version"]
    board = client.get("/v1/programme/dashboard", params=WINDOW, headers=headers("read")).json()
    shenzhen = next(c for c in board["cities"] if c["city"] == "深圳")
    cells = {c["metric"]: c for c in shenzhen["cells"]}
    assert (cells["dockings_signed"]["actual"], cells["dockings_signed"]["target"]) == (1, 4)
    assert (cells["deal_value"]["actual"], cells["deal_value"]["ratio"]) == (80.0, 0.16)
    assert cells["deal_value"]["label"] == "签约金额（万元）"
    line = next(e for e in board["events"] if e["id"] == "RS1")
    assert (line["type_label"], line["signed"], line["deal_value"]) == ("技术路演", 1, 80.0)
    r = client.get("/v1/programme/dashboard", params={**WINDOW, "format": "xlsx"},
                   headers=headers("read"))
    assert r.status_code == 200 and "spreadsheetml" in r.headers["content-type"]
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert [c.value for c in book["活动"][1]][:3] == ["活动编号", "类型", "名称"]
    r = client.get("/v1/programme/dashboard", params={**WINDOW, "format": "png"},
                   headers=headers("read"))
    assert r.headers["content-type"] == "image/png" and r.content[:4] == b"\x89PNG"


def test_confidential_invitations_are_hidden_from_read_keys(client: TestClient) -> None:
    event = {"id": "EVS", "type": "forum", "title": "储能论坛", "date": "2026-06-01",
             "city": "深圳", "participants": [
                 {"role": "invitee", "kind": "enterprise", "name": "某储能电站",
                  "need_id": "need-secret", "reason": "保密项目"},
                 {"role": "invitee", "kind": "enterprise", "name": "某电池厂",
                  "need_id": "need-battery"}]}
    assert client.put("/v1/programme/event", json=[event],
                      headers=headers("write")).status_code == 200
    seen = client.get("/v1/programme/event/EVS", headers=headers("read")).json()
    assert [(p["name"], p["need_id"]) for p in seen["participants"]] == [
        ("（保密需求）", None), ("某电池厂", "need-battery")]
    full = client.get("/v1/programme/event/EVS", headers=headers("write")).json()
    assert full["participants"][0]["name"] == "某储能电站"


def test_an_event_citing_a_confidential_need_shows_read_keys_no_topic_title_or_id(
        client: TestClient) -> None:
    """A training event's title names its needs' keywords and a trainer's reason cites the need
    it ranked for; a read key saw both for a confidential need (only the invitation was hidden),
    in the event, the events list and the 项目看板 (JSON and XLSX)."""
    event = {"id": "EVT", "type": "training", "title": "培训·深圳·储能电站火灾预警",
             "topic": "储能电站火灾预警", "date": "2026-06-02", "city": "深圳", "participants": [
                 {"role": "trainer", "kind": "expert", "ref": "E1", "name": "李工",
                  "reason": "相关成果：A1《储能安全》（需求 need-secret 第 1 名）；可安排"},
                 {"role": "invitee", "kind": "enterprise", "name": "某电池厂",
                  "need_id": "need-battery", "reason": "需求涉及主题关键词：储能"}]}
    assert client.put("/v1/programme/event", json=[event],
                      headers=headers("write")).status_code == 200
    seen = client.get("/v1/programme/event/EVT", headers=headers("read")).json()
    assert seen["title"] == "培训·深圳（含保密需求，主题不公开）" and seen["topic"] is None
    assert seen["participants"][0]["reason"] == f"相关成果：{HIDDEN_WORK}；可安排"
    assert seen["participants"][1]["need_id"] == "need-battery"  # not hidden: untouched
    listed = client.get("/v1/programme/event", headers=headers("read")).json()
    assert "储能电站火灾预警" not in str(listed) and "need-secret" not in str(listed)
    window = {"start": "2026-01-01", "end": "2026-12-31"}
    board = client.get("/v1/programme/dashboard", params=window, headers=headers("read")).json()
    line = next(e for e in board["events"] if e["id"] == "EVT")
    assert line["title"] == "培训·深圳（含保密需求，主题不公开）"
    r = client.get("/v1/programme/dashboard", params={**window, "format": "xlsx"},
                   headers=headers("read"))
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert not any("储能电站火灾预警" in str(c.value) for row in book["活动"].iter_rows()
                   for c in row)
    full = client.get("/v1/programme/event/EVT", headers=headers("write")).json()
    assert full["title"] == event["title"] and "need-secret" in full["participants"][0]["reason"]
    board = client.get("/v1/programme/dashboard", params=window, headers=headers("write")).json()
    assert next(e for e in board["events"] if e["id"] == "EVT")["title"] == event["title"]


def test_overdue_milestones_and_training_plan_roles(client: TestClient) -> None:
    milestone = {"id": "M1", "year": 2026, "city": "深圳", "title": "首批派出",
                 "due": "2026-03-31"}
    client.put("/v1/programme/milestone", json=[milestone], headers=headers("write"))
    late = client.get("/v1/programme/milestones/overdue", params={"today": "2026-04-10"},
                      headers=headers("read")).json()
    assert [(o["milestone"]["id"], o["days_late"]) for o in late] == [("M1", 10)]
    assert client.post("/v1/programme/training/plan", json={"city": "深圳"},
                       headers=headers("read")).status_code == 403
    r = client.post("/v1/programme/training/plan", json={"city": "深圳"},
                    headers=headers("write"))
    assert r.status_code == 200, r.text
    topics = r.json()["topics"]
    assert [t["need_ids"] for t in topics] == [["need-battery"]]
    assert topics[0]["industry"] == "新能源汽车产业"


def test_coverage_rolls_industries_up_the_taxonomy(client: TestClient) -> None:
    flat = client.get("/v1/stats/coverage", headers=headers("write")).json()
    assert {c["industry"] for c in flat["cells"]} == {"航空航天", "新能源汽车", "新能源", "纺织"}
    top = client.get("/v1/stats/coverage", params={"industry_level": 1},
                     headers=headers("write")).json()
    assert {(c["city"], c["industry"]) for c in top["cells"]} == {
        ("苏州", "高端装备制造产业"), ("深圳", "新能源汽车产业"), ("未知", "新能源产业"),
        ("绍兴", "纺织")}  # 纺织 is not in the taxonomy: kept as recorded


def test_overseas_roadshow_without_overseas_supply_is_a_clear_error(client: TestClient) -> None:
    body = {"city": "深圳", "slots": 1, "min_score": 0.0, "overseas": True}
    r = client.post("/v1/plans/roadshow", json=body, headers=headers("write"))
    assert r.status_code == 422
    assert "候选成果中没有海外专家的成果" in r.json()["detail"]
    assert r.json()["errors"][0]["field"] == "overseas"


def test_infinite_targets_and_order_values_are_refused_naming_the_field(
        client: TestClient) -> None:
    """An infinite target or order value was stored and read back as null (JSON has no inf)."""
    write = {**headers("write"), "Content-Type": "application/json"}
    target = '[{"year": 2031, "city": "深圳", "metric": "deal_value", "value": 1e999}]'
    r = client.put("/v1/programme/targets", content=target, headers=write)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.0.value", r.text
    order = ('[{"id": "S99", "title": "浆料改进", "enterprise": "某公司", "provider": "E1", '
             '"provider_kind": "expert", "status": "delivered", "ordered_on": "2031-04-02", '
             '"value_wan": 1e999}]')
    r = client.put("/v1/programme/order", content=order, headers=write)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.0.value_wan", r.text
    csv = "年度,城市,指标,目标值\n2031,深圳,签约金额（万元）,inf\n2031,深圳,签约对接数,4\n"
    r = client.post("/v1/programme/import/target", headers=headers("write"),
                    files={"file": ("targets.csv", csv.encode("utf-8"), "text/csv")})
    assert r.status_code == 200, r.text
    assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [(2, "value")]
    got = client.get("/v1/programme/targets", params={"year": 2031},
                     headers=headers("read")).json()
    assert [(t["metric"], t["value"]) for t in got] == [("dockings_signed", 4.0)]
    assert client.get("/v1/programme/order/S99", headers=headers("read")).status_code == 404
