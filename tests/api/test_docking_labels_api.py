"""Docking and KPI JSON carry Chinese labels beside codes; roadshow dockings follow the home's
service levels."""

from __future__ import annotations

from api_support import headers
from fastapi.testclient import TestClient

W = headers("write")


def test_docking_json_labels_the_candidate_kind_and_peak_stage(client: TestClient) -> None:
    """A docking's JSON gave candidate_kind 'expert' and peak_stage 'contacted' as bare codes
    while stage, reason, source and contract had Chinese labels beside them."""
    made = client.post("/v1/dockings", headers=W,
                       json={"need_id": "need-blade", "candidate_id": "ach-eddy"}).json()
    moved = client.post(f"/v1/dockings/{made['id']}/moves", headers=W,
                        json={"to": "contacted", "version": 1}).json()
    dropped = client.post(f"/v1/dockings/{made['id']}/moves", headers=W,
                          json={"to": "dropped", "version": 2, "reason": "too_costly"}).json()
    assert (made["candidate_kind"], made["candidate_kind_label"]) == ("achievement", "成果")
    assert (moved["peak_stage"], moved["peak_stage_label"]) == ("contacted", "已联系")
    assert (dropped["stage_label"], dropped["peak_stage_label"]) == ("终止", "已联系")
    got = client.get(f"/v1/dockings/{made['id']}", headers=headers("read")).json()
    assert got["candidate_kind_label"] == "成果" and got["reason_label"] == "成本过高"


def test_kpi_json_labels_its_counts_dimensions_and_ratios(client: TestClient) -> None:
    """/v1/kpis gave counts, dimensions, conversions and median days as English keys only;
    a client had to copy the console's Chinese names to show them."""
    body = client.get("/v1/kpis?from=2026-01-01&to=2026-12-31&by=city,owner",
                      headers=headers("read")).json()
    labels = body["labels"]
    assert labels["needs_posted"] == "发布需求数" and labels["signed"] == "签约"
    assert labels["city"] == "城市" and labels["owner"] == "负责人"
    assert labels["contacted_to_confirmed"] == "已联系→企业确认转化率"
    assert labels["suggested_to_signed"] == "推荐→签约转化率"
    assert labels["median_days.negotiating"] == "洽谈阶段中位天数"
    row = body["total"]
    keys = [*row["counts"], *row["conversion"], *(f"median_days.{k}" for k in row["median_days"]),
            *body["by"]]
    assert all(labels.get(k) for k in keys), [k for k in keys if not labels.get(k)]


def test_roadshow_dockings_follow_the_homes_service_levels(client: TestClient,
                                                          engine) -> None:  # type: ignore[no-untyped-def]
    """Dockings made from a roadshow's invitations (活动邀请转为对接) got the default due date,
    ignoring <home>/service_levels.json as feedback moves once did."""
    import datetime as dt
    import json

    from techmatch.matcher.dockings import load_levels
    from techmatch.matcher.programme import save_event
    from techmatch.models.programme import Event, Participant

    (engine.settings.home / "service_levels.json").write_text(
        json.dumps({"days": {"suggested": 1}}), encoding="utf-8")
    save_event(engine.store, Event(
        id="RS-T1", type="roadshow", title="苏州路演", date=dt.date(2026, 12, 3), city="苏州",
        participants=[Participant(role="invitee", kind="enterprise", name="企业",
                                  need_id="need-blade", achievement_id="ach-eddy")]))
    made = client.post("/v1/programme/events/RS-T1/dockings", headers=W)
    assert made.status_code == 200, made.text
    [link] = made.json()
    docking = client.get(f"/v1/dockings/{link['docking_id']}", headers=W).json()
    entered = dt.datetime.fromisoformat(docking["stage_at"])
    assert docking["due_on"] == load_levels(engine.settings.home).due_on(
        "suggested", entered).isoformat()
