"""Defects staff met walking the console (dashboard, lists, coverage, upload, plans), without a
browser: the presenters and helpers behind each page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path


def test_a_start_after_the_end_is_named_not_silently_empty() -> None:
    """需求库 / 成果库 / 专家库, 覆盖分析 and 活动 with 起 after 止 listed nothing (0 条, all
    tiles 0) and said nothing; 工作台 and 项目看板 already said 起始日期不能晚于截止日期."""
    from techmatch.api.console.pages.common import date_range

    errors: dict[str, str] = {}
    assert date_range({"from": "2026-05-01", "to": "2026-01-01"}, errors) == (None, None)
    assert errors == {"from": "起始日期不能晚于截止日期"}
    errors = {}
    assert date_range({"from": "2026-01-01", "to": "2026-05-01"}, errors) == (
        dt.date(2026, 1, 1), dt.date(2026, 5, 1))
    assert date_range({"from": "2026-01-01", "to": "2026-01-01"}, errors) == (
        dt.date(2026, 1, 1), dt.date(2026, 1, 1))
    assert date_range({"to": "2026-01-01"}, errors) == (None, dt.date(2026, 1, 1))
    assert errors == {}
    assert date_range({"from": "2026-13-01", "to": "2026-01-01"}, errors) == (
        None, dt.date(2026, 1, 1))
    assert set(errors) == {"from"} and "YYYY-MM-DD" in errors["from"]


def test_a_bad_status_or_type_in_an_upload_reads_in_chinese(tmp_path: Path) -> None:
    """批量导入 said 状态：取值应为 'open', 'matched'、'closed' 之一 — English codes where the
    loader takes 待匹配 / 已匹配 / 已关闭 — and left out what the row held."""
    from techmatch.indexers.ingest.load import ingest_files
    from techmatch.store import Store

    needs = tmp_path / "needs.csv"
    needs.write_text("编号,标题,状态\nX1,涂层,待匹配\nX2,浆料,进行\n", encoding="utf-8")
    results = tmp_path / "results.csv"
    results.write_text("编号,标题,类型\nY1,勃姆石,书籍\n", encoding="utf-8")
    store = Store(tmp_path / "store.sqlite")
    try:
        shown = [e.message for e in
                 ingest_files([needs], "need", store, names=["needs.csv"]).errors]
        shown += [e.message for e in
                  ingest_files([results], "achievement", store, names=["results.csv"]).errors]
    finally:
        store.close()
    assert shown == ["取值应为 待匹配、已匹配、已关闭 之一（收到 进行）",
                     "取值应为 论文、专利、技术、软件、其他 之一（收到 书籍）"], shown


def test_dashboard_more_count_leaves_out_needs_the_viewer_cannot_see(tmp_path: Path) -> None:
    """For a read key the 工作台 said 另有 31 条，见 覆盖分析 while 覆盖分析 listed 27 more:
    the count included the confidential needs the list hides."""
    from techmatch.api.console.views.dashboard import UNMATCHED_SHOWN, build_dashboard
    from techmatch.models.records import Need
    from techmatch.store import Store

    store = Store(tmp_path / "store.sqlite")
    try:
        store.upsert([Need(id=f"N{i:02d}", title=f"需求{i}", confidential=i < 3)
                      for i in range(UNMATCHED_SHOWN + 5)])
        hidden = frozenset({"N00", "N01", "N02"})
        board = build_dashboard(store, threshold=0.35, start=dt.date(2026, 1, 1),
                                end=dt.date(2026, 1, 31), hidden=hidden)
        everyone = build_dashboard(store, threshold=0.35, start=dt.date(2026, 1, 1),
                                   end=dt.date(2026, 1, 31), hidden=frozenset())
    finally:
        store.close()
    assert board.unmatched_total == everyone.unmatched_total == UNMATCHED_SHOWN + 5
    assert len(board.unmatched) == UNMATCHED_SHOWN
    assert not {u.need.id for u in board.unmatched} & hidden
    assert board.unmatched_listed == UNMATCHED_SHOWN + 2
    assert everyone.unmatched_listed == UNMATCHED_SHOWN + 5
    text = _page("dashboard.html", board=board, threshold=0.35, overdue=[], errors={})
    assert "另有 2 条" in text


def _page(template: str, **context: object) -> str:
    import re

    from techmatch.api.console.deps import TEMPLATES

    html = TEMPLATES.env.get_template(template).render(nav=[], staff=None, csrf="", **context)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_programme_xlsx_notes_name_the_metric_in_chinese_as_the_page_does() -> None:
    """项目看板's 说明 read 组建服务团队数：全国目标为各城市目标之和 while the XLSX from its
    导出 XLSX button read teams_formed: 全国目标为各城市目标之和 (the metric's code)."""
    from techmatch.api.console.views.programme import note_text
    from techmatch.matcher.programme.dashboard import NATIONAL, Dashboard, ScopeRow
    from techmatch.matcher.programme.exports import dashboard_sheets

    day = dt.date(2026, 11, 30)
    notes = ["teams_formed: 全国目标为各城市目标之和", "deal_value: 全国目标为各城市目标之和"]
    board = Dashboard(start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), years=[2026],
                      today=day, cities=[], national=ScopeRow(city=NATIONAL, cells=[]),
                      by_industry=[], by_team=[], events=[], overdue=[], notes=notes)
    [summary] = [s for s in dashboard_sheets(board) if s.title == "概要"]
    shown = [row[1] for row in summary.rows if row[0] == "说明"]
    assert shown == [note_text(n) for n in notes] == [
        "组建服务团队数：全国目标为各城市目标之和", "签约金额（万元）：全国目标为各城市目标之和"]


def test_roadshow_xlsx_says_the_date_is_open_as_the_page_does() -> None:
    """A roadshow planned without a date read 日期待定 on the page, and its XLSX 概要 had an
    empty 日期 cell."""
    from techmatch.api.console.views.plans import roadshow_sheets
    from techmatch.matcher.roadshow import RoadshowPlan

    open_date = RoadshowPlan(city="苏州", slots=3, invites_per_achievement=5, items=[],
                             total_covered_demand=0.0)
    dated = open_date.model_copy(update={"date": dt.date(2026, 12, 15)})
    for plan, shown in ((open_date, "待定"), (dated, dt.date(2026, 12, 15))):
        [summary] = [s for s in roadshow_sheets(plan, {}) if s.title == "概要"]
        assert dict((r[0], r[1]) for r in summary.rows if r[0] != "说明")["日期"] == shown


def test_coverage_page_says_rising_topics_compare_another_threshold(tmp_path: Path) -> None:
    """With the threshold changed since the previous batch run, /v1/stats/coverage and
    techmatch stats said 上升话题对比的是上一次批量匹配在置信度阈值 0.5（而非 0.35）下的快照;
    覆盖分析 compared the same snapshots without a word."""
    from techmatch.api.console.views.coverage import coverage_for_range
    from techmatch.indexers.tokenize import Tokenizer
    from techmatch.matcher.analytics.coverage import coverage_report
    from techmatch.matcher.batch import results
    from techmatch.models.records import Need
    from techmatch.store import Store
    from techmatch.store.batch import RunRecord

    store = Store(tmp_path / "store.sqlite")
    try:
        store.upsert([Need(id="N1", title="涂层浆料分散不均")])
        for run_id, level in (("R1", 0.5), ("R2", 0.35)):
            with results.transaction(store):
                results.insert_run(store, RunRecord(
                    run_id=run_id, started=f"2026-11-0{run_id[1]}T00:00:00+00:00",
                    finished=None, status="running", kinds=["achievement", "expert"], k=5,
                    full=True))
                results.set_status(store, run_id, "finished",
                                   counts={"topics_threshold": level})
        tokenizer = Tokenizer()
        api = coverage_report(store, tokenizer, threshold=0.35)
        page = coverage_for_range(store, tokenizer, threshold=0.35, start=None, end=None,
                                  hidden=frozenset())
    finally:
        store.close()
    assert api.run_id == page.run_id and api.previous_run_id == page.previous_run_id
    assert any("置信度阈值 0.5（而非 0.35）" in n for n in api.notes), api.notes
    assert page.notes == api.notes


def test_a_missing_index_reads_in_chinese() -> None:
    """索引尚未就绪（详情：no index for kind 'need'; run `techmatch index`）: the retriever
    raises it in Chinese now, and the console shows it as it is."""
    import pytest

    from techmatch.api.console.messages import error_message
    from techmatch.errors import IndexMissingError
    from techmatch.matcher.retrieve import Retriever

    retriever = Retriever({}, tokenizer=None, encoder=None,  # type: ignore[arg-type]
                          translate=False)
    with pytest.raises(IndexMissingError) as missing:
        retriever.index("need")
    assert error_message(missing.value) == "需求索引尚未建立：导入记录后运行 techmatch index"


def test_open_needs_tile_says_how_many_the_list_leaves_out(tmp_path: Path) -> None:
    """For a read key 工作台 read 43 待匹配需求 and its link (需求库, 状态 待匹配) 共 40 条:
    the tile counts confidential needs (as the API's stats do), the list hides them."""
    from techmatch.api.console.views.dashboard import build_dashboard
    from techmatch.models.records import Need
    from techmatch.store import Store

    store = Store(tmp_path / "store.sqlite")
    try:
        store.upsert([Need(id=f"N{i}", title=f"需求{i}", confidential=i < 2,
                           status="closed" if i == 4 else "open") for i in range(6)])
        window = {"threshold": 0.35, "start": dt.date(2026, 1, 1), "end": dt.date(2026, 1, 31)}
        reader = build_dashboard(store, hidden=frozenset({"N0", "N1"}), **window)  # type: ignore[arg-type]
        writer = build_dashboard(store, hidden=frozenset(), **window)  # type: ignore[arg-type]
    finally:
        store.close()
    assert reader.open_needs == writer.open_needs == 5
    assert (reader.open_hidden, writer.open_hidden) == (2, 0)
    shown = _page("dashboard.html", board=reader, threshold=0.35, overdue=[], errors={})
    assert "5 待匹配需求（含保密需求 2 条，列表中不显示）" in shown
    shown = _page("dashboard.html", board=writer, threshold=0.35, overdue=[], errors={})
    assert "5 待匹配需求 " in shown and "含保密需求" not in shown


def test_last_batch_tile_says_how_many_needs_the_run_covered(tmp_path: Path) -> None:
    """最近批量匹配 was meant to read '…，43 条待匹配需求' but looked for a count the batch never
    records ('needs'; a run records open_needs), so the number never showed."""
    from techmatch.api.console.views.dashboard import build_dashboard
    from techmatch.matcher.batch import results
    from techmatch.store import Store
    from techmatch.store.batch import RunRecord

    store = Store(tmp_path / "store.sqlite")
    try:
        with results.transaction(store):
            results.insert_run(store, RunRecord(
                run_id="R1", started="2026-11-30T03:00:00+00:00", finished=None,
                status="running", kinds=["achievement", "expert"], k=5, full=True))
            results.set_status(store, "R1", "finished", counts={"open_needs": 43})
        board = build_dashboard(store, threshold=0.35, start=dt.date(2026, 11, 1),
                                end=dt.date(2026, 11, 30), hidden=frozenset())
    finally:
        store.close()
    shown = _page("dashboard.html", board=board, threshold=0.35, overdue=[], errors={})
    assert "，43 条待匹配需求" in shown, shown
    import re  # the run finished now, shown in Beijing time and saying so
    assert re.search(r"最近批量匹配：\d{4}-\d\d-\d\d \d\d:\d\d（北京时间），43 条", shown), shown

def test_saved_plan_times_read_in_beijing_time() -> None:
    """已保存的方案 and a plan's 生成于 showed UTC times (19:47 for 03:47 in Beijing); staff
    count days in China time, so they read in Beijing time and say so."""
    from techmatch.api.console.views.saved_plans import SavedPlan

    plan = SavedPlan(id="roadshow-0123456789ab", kind="roadshow", status="saved",
                     created="2026-11-30T19:47:02+00:00", actor="write:abcd", title="苏州 技术路演",
                     params={}, plan={})
    shown = _page("roadshow.html", values={}, error="", saved=[plan], cities=[], industries=[])
    assert "苏州 技术路演 2026-12-01 03:47（北京时间） · write:abcd" in shown, shown


def _detail(record: object, **extra: object) -> str:
    from techmatch.api.console import labels

    kind = record.kind  # type: ignore[attr-defined]
    data = record.model_dump(mode="json")  # type: ignore[attr-defined]
    context = {"works": {}, "owners": {}, **extra}
    return _page("detail.html", kind=kind, plural=labels.PLURAL[kind], record=record,
                 data=data, title="", flash="", **context)


def test_an_experts_title_reads_as_a_rank() -> None:
    """专家库 › E001 read 标题 研究员: an expert's `title` is a rank (职称), not a heading."""
    from techmatch.models.records import Expert, Need

    shown = _detail(Expert(id="E1", name="刘振宇", title="研究员", bio="纳米粉体分散"))
    assert "职称 研究员" in shown and "标题" not in shown.split("刘振宇", 2)[-1]
    assert "标题 涂层掉粉" in _detail(Need(id="N1", title="涂层掉粉"))


def test_an_achievements_owners_link_to_their_experts() -> None:
    """成果库 › A001 listed 完成人 E001 as a bare id — no name, no link — while an expert's page
    lists its 代表成果 with titles and links."""
    import re

    from techmatch.api.console import deps
    from techmatch.models.records import Achievement, Expert

    record = Achievement(id="A1", title="勃姆石浆料", owners=["E1", "E9"])
    owners = {"E1": Expert(id="E1", name="刘振宇", title="研究员")}  # E9: not stored
    html = deps.TEMPLATES.env.get_template("detail.html").render(
        nav=[], staff=None, csrf="", kind="achievement", plural="achievements", record=record,
        data=record.model_dump(mode="json"), title="", flash="", works={}, owners=owners)
    assert re.search(r'<a href="/experts/E1">E1</a>\s*刘振宇', html), html
    assert 'href="/experts/E9"' not in html
