"""Console pieces without a browser: session cookies, CSRF comparison, highlighting, lists."""

from __future__ import annotations

import datetime as dt

from techmatch.api.console.highlight import mark, merge_spans
from techmatch.api.console.session import SessionCodec, load_secret, tokens_equal
from techmatch.api.console.views.catalog import ListQuery, Row, keep
from techmatch.api.security import Principal


def test_session_cookie_round_trips_and_refuses_tampering_expiry_and_logout() -> None:
    codec = SessionCodec(b"k" * 32, ttl_seconds=60)
    value, session = codec.issue(Principal("read", "abcd1234"), now=1000.0)
    assert codec.read(value, now=1001.0) == session
    assert session.role == "read" and not session.can_write
    payload, signature = value.split(".")
    forged, _ = SessionCodec(b"x" * 32).issue(Principal("admin", "abcd1234"), now=1000.0)
    assert codec.read(forged.split(".")[0] + "." + signature, now=1001.0) is None
    assert codec.read(payload + "." + forged.split(".")[1], now=1001.0) is None
    assert codec.read(value, now=1060.0) is None  # expired
    codec.revoke(session)
    assert codec.read(value, now=1001.0) is None  # logged out


def test_secret_is_created_once_and_private(tmp_path) -> None:  # type: ignore[no-untyped-def]
    first = load_secret(tmp_path)
    assert len(first) == 32 and load_secret(tmp_path) == first
    assert (tmp_path / "console-secret").stat().st_mode & 0o077 == 0


def test_csrf_tokens_compare_exactly() -> None:
    assert tokens_equal("abc", "abc")
    assert not tokens_equal(None, "abc") and not tokens_equal("", "abc")
    assert not tokens_equal("abd", "abc")


def test_spans_merge_and_text_is_escaped() -> None:
    assert merge_spans([(5, 8), (0, 2), (1, 3), (7, 9), (4, 4)], 8) == [(0, 3), (5, 8)]
    html = str(mark("<b>涡轮叶片</b>\n裂纹", [(3, 5), (12, 14)]))
    assert html == "&lt;b&gt;<mark>涡轮</mark>叶片&lt;/b&gt;<br><mark>裂纹</mark>"


def test_list_filters_keep_facets_dates_and_visibility() -> None:
    row = Row("N1", {"city": ("苏州",), "industry": ("新材料",)}, dt.date(2026, 1, 5), True)
    query = ListQuery(kind="need", facets={"city": "苏州"})
    assert keep(row, query, hide_confidential=False)
    assert not keep(row, query, hide_confidential=True)
    assert not keep(row, ListQuery(kind="need", facets={"city": "杭州"}), False)
    assert keep(row, ListQuery(kind="need", created_from=dt.date(2026, 1, 5),
                               created_to=dt.date(2026, 1, 5)), False)
    assert not keep(row, ListQuery(kind="need", created_from=dt.date(2026, 1, 6)), False)


def test_loader_row_messages_read_in_chinese() -> None:
    """The loader raises its row reasons in Chinese (the console showed them through a
    catalogue of the English forms; the API and CLI showed the English)."""
    from techmatch.api.console.views.intake import field_label
    from techmatch.indexers.ingest.validate import validate_row

    errors = validate_row({"title": "题" * 501, "maturity": 12}, "achievement", file="a.csv",
                          row=2)
    assert isinstance(errors, list)
    assert {e.field: e.message for e in errors} == {
        "id": "必填", "title": "过长：最多 500 个字符", "maturity": "应在 1 到 9 之间（收到 12）"}
    assert field_label("title/description") == "标题/需求描述"
    assert field_label(None) == "整行"


def test_heat_map_marks_cells_with_unmatched_needs() -> None:
    from techmatch.api.console.charts import HeatCell, heat_map

    svg = str(heat_map(["苏州", "杭州"], ["新材料"], [
        HeatCell("苏州", "新材料", 2.0, "1/2", "苏州 · 新材料", alert=True),
        HeatCell("杭州", "新材料", 1.0, "0/1", "杭州 · 新材料")], caption="图"))
    assert svg.count("<rect") == 2 and svg.count('stroke="#dc2626"') == 1
    assert ">1/2</text>" in svg and ">0/1</text>" in svg


def test_every_ranking_feature_has_a_chinese_label() -> None:
    from techmatch.api.console.labels import SIGNAL
    from techmatch.matcher.features import FEATURES

    names = {name for kind in FEATURES.values() for name in kind}
    missing = sorted(names - set(SIGNAL))
    assert not missing, missing
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in SIGNAL[n]) for n in names)


def test_loader_file_row_and_warning_texts_read_in_chinese(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The loader's real messages for broken files, rows and ignored columns, as the upload
    page shows them: Chinese, with no English word left (QA pass)."""
    import re

    from techmatch.api.console.messages import upload_error
    from techmatch.errors import IngestError
    from techmatch.indexers.ingest.load import ingest_files
    from techmatch.store import Store

    english = re.compile(r"\b[A-Za-z]{4,}\b")
    files = {"a.csv": ("need", '编号,标题,城市\nA1,好,苏州\nA2,"跨行\n引号,苏州\nA3,甲\n'
                               'A4,乙,丙,丁\n'),
             "b.csv": ("achievement", "编号,标题,保密\nB1,好,是\nB2,好,否\n"),
             "c.jsonl": ("need", '{"id":"C1","title":"题","kind":"expert"}\n[1]\n{"id":\n'
                                 '{"id":"C3","title":"题","industry":"某未知行业"}\n'),
             "d.csv": ("need", "编号,标题,标题,\nD1,甲,乙,丙\n")}
    shown: list[str] = []
    store = Store(tmp_path / "store.sqlite")
    for name, (kind, text) in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        report = ingest_files([tmp_path / name], kind, store, names=[name], force_kind=True)
        shown += [e.message for e in report.errors]
        shown += report.warnings
    refused = {"e.json": b'{"a": 1}', "f.json": b"[1,", "h.csv": "编号,城市\nH1,苏州\n".encode(),
               "i.csv": "标题,城市\n好,苏州\n".encode(), "j.jsonl": b"1\n2\n", "k.csv": b"",
               "l.xlsx": b"PK\x03\x04 not a workbook"}
    for name, data in refused.items():
        (tmp_path / name).write_bytes(data)
        try:
            ingest_files([tmp_path / name], "need", store, names=[name])
        except IngestError as exc:
            shown.append(upload_error(exc).split("（可用表头")[0].split("其中之一")[0])
    store.close()
    assert len(shown) == 19, shown
    names = re.compile(r"\b\w+\.(?:csv|jsonl?|xlsx)\b|\bJSON\b|\bXLSX\b|\bLines\b")
    leftover = [text for text in shown if english.search(names.sub("", text))]
    assert not leftover, leftover


def test_a_message_already_in_chinese_is_shown_as_it_is() -> None:
    """'没有编号为 NOPE 的活动' read '未找到（详情：没有编号为 NOPE 的活动）' (QA pass): the
    fallback for uncatalogued English text wrapped Chinese text too."""
    from techmatch.api.console.messages import error_message
    from techmatch.api.console.views.intake import field_label
    from techmatch.errors import NotFoundError, ValidationError

    assert error_message(NotFoundError("没有编号为 NOPE 的活动")) == "没有编号为 NOPE 的活动"
    # ids and codes in a Chinese message are not English left in it (need-blade read as two
    # English words put the message behind 未找到（详情：…）)
    for text in ("没有编号为 need-blade 的需求", "用 on_duplicate='last' 或 'first' 选定一条",
                 "请把记录类型选为需求（命令行 --kind need）"):
        assert error_message(ValidationError(text)) == text
    assert error_message(NotFoundError("no open needs in 苏州")) == \
        "未找到（详情：no open needs in 苏州）"
    dated = error_message(ValidationError("请填写日期", field="date"), field_label)
    assert dated == "日期：请填写日期"
    english = error_message(ValidationError("odd new text", field="title"), field_label)
    assert english == "标题：输入有误（详情：odd new text）"


def _page(template: str, **context: object) -> str:
    import re

    from techmatch.api.console.deps import TEMPLATES

    html = TEMPLATES.env.get_template(template).render(nav=[], staff=None, csrf="", **context)
    return re.sub(r"<[^>]+>", " ", html)


def test_empty_dashboard_and_board_say_why_they_are_empty() -> None:
    """A new home's 工作台 said 所有待匹配需求都有可信匹配 (there were no needs at all) and
    showed 最近批量匹配 — without saying none ran; an empty 对接看板 said only 共 0 条对接."""
    from types import SimpleNamespace

    from techmatch.matcher.dockings import DockingFilters

    board = SimpleNamespace(open_needs=0, unmatched_total=0, unmatched_listed=0, open_hidden=0,
                            unmatched=[], last_run=None,
                            kpi_labels={}, kpis=SimpleNamespace(counts={}, deal_value=0))
    text = _page("dashboard.html", board=board, threshold=0.35, overdue=[], errors={})
    assert "所有待匹配需求都有可信匹配" not in text and "暂无待匹配需求" in text
    assert "尚未运行" in text
    empty = _page("dockings.html", columns=[], total=0, shown=0, filters=DockingFilters())
    assert "在需求的匹配页点「采纳并创建对接」" in empty
    filtered = _page("dockings.html", columns=[], total=0, shown=0,
                     filters=DockingFilters(need_id="N404"))
    assert "没有符合筛选条件的对接" in filtered


def test_deal_amounts_never_show_an_exponent() -> None:
    """签约金额 was formatted with %g: a national total of 1,000,000 万元 read 1e+06."""
    from types import SimpleNamespace

    from techmatch.api.console.charts import number

    assert number(1_000_000.0) == "1000000" and number(2.5) == "2.5" and number(None) == "—"
    for value, shown in ((1_000_000.0, "1000000"), (1234567.25, "1234567.2")):
        board = SimpleNamespace(open_needs=0, unmatched_total=0, unmatched_listed=0, open_hidden=0,
                                unmatched=[], last_run=None,
                                kpi_labels={}, kpis=SimpleNamespace(counts={}, deal_value=value))
        text = _page("dashboard.html", board=board, threshold=0.35, overdue=[], errors={})
        assert f"{shown} 签约金额（万元）" in " ".join(text.split()) and "e+" not in text


def test_match_cards_leave_out_signals_that_read_zero() -> None:
    """The match page listed ~20 signal rows of +0.00 / -0.00 per hit; only signals that move
    the score at the page's rounding are drawn, and the rest are counted."""
    from techmatch.api.console.views.decide import Decisions
    from techmatch.api.console.views.matching import cards
    from techmatch.models.records import record_type
    from techmatch.models.results import Contribution, Explanation, Hit, Ranking

    need = record_type("need").model_validate({"id": "N1", "title": "涂层浆料分散"})
    record = record_type("achievement").model_validate({"id": "A1", "title": "勃姆石浆料"})
    values = {"hybrid_mm": 0.9, "list_prf_terms": -0.004, "discipline": 0.0, "recency": 0.006}
    exp = Explanation(contributions=[Contribution(name=n, value=1.0, weight=v, contribution=v)
                                     for n, v in values.items()])
    ranking = Ranking(kind="achievement", mode="hybrid",
                      hits=[Hit(id="A1", kind="achievement", score=1.0, rank=1,
                                explanation=exp)])
    [card] = cards(need, ranking, {"A1": record}, Decisions({}, frozenset()))
    assert [(s.name, s.label) for s in card.signals] == [("hybrid_mm", "加权混合检索"),
                                                         ("recency", "时效")]
    assert card.zero_signals == 2


def test_board_cards_mark_a_pair_that_is_no_docking(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A docking opened for the enterprise's own result carries the same badge as the match
    page; an ordinary one carries none."""
    from techmatch.api.console.views.docking_board import board, sides
    from techmatch.matcher.dockings import DockingFilters, NewDocking, create_docking
    from techmatch.models.records import Achievement, Need
    from techmatch.store import Store

    store = Store(tmp_path / "store.sqlite")
    store.upsert([Need(id="N1", title="热失控预警", enterprise="锐能电池"),
                  Achievement(id="A1", title="液冷板", institution="锐能电池"),
                  Achievement(id="A2", title="氢气传感预警", institution="KIT")])
    own = create_docking(store, NewDocking("N1", "A1"))
    other = create_docking(store, NewDocking("N1", "A2"))
    columns, total = board(store, DockingFilters(), hidden=frozenset(), admin=False)
    views = [c for col in columns for c in col.cards]
    titles, conflicts = sides(store, views)
    assert total == 2 and conflicts == {own.id: "需求企业自有成果"} and other.id not in conflicts
    text = _page("dockings.html", columns=columns, total=total, shown=len(views),
                 filters=DockingFilters(), titles=titles, conflicts=conflicts, reasons={},
                 contracts={}, stage_labels={}, labels=None, label=lambda *a: "")
    assert text.count("需求企业自有成果") == 1 and "液冷板" in text and "氢气传感预警" in text


def _one_need_dockings(tmp_path, created: list[dt.datetime]):  # type: ignore[no-untyped-def]
    """A store with need N1 and one docking N1 → A<i> created at each of `created`."""
    from techmatch.matcher.dockings import NewDocking, create_docking
    from techmatch.models.records import Achievement, Need
    from techmatch.store import Store

    store = Store(tmp_path / "store.sqlite")
    store.upsert([Need(id="N1", title="热失控预警"),
                  *[Achievement(id=f"A{i}", title=f"成果{i}") for i in range(len(created))]])
    return store, [create_docking(store, NewDocking("N1", f"A{i}"), now=at)
                   for i, at in enumerate(created)]


def test_board_columns_count_every_docking_of_their_stage(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """With more dockings than the board shows (the newest 500), each column's number counted
    only the cards shown: 签约 read 0 while the KPIs and GET /v1/dockings?stage=signed
    counted the older signed deals."""
    from techmatch.api.console.views import docking_board
    from techmatch.matcher.dockings import DockingFilters, Move, list_dockings, move_docking

    t0 = dt.datetime(2026, 11, 2, 9, tzinfo=dt.timezone.utc)
    store, made = _one_need_dockings(tmp_path, [t0 + dt.timedelta(hours=i) for i in range(5)])
    move_docking(store, made[0].id, Move(to="contacted"))  # the oldest: not on a 2-card board
    monkeypatch.setattr(docking_board, "BOARD_LIMIT", 2)
    columns, total = docking_board.board(store, DockingFilters(), hidden=frozenset(),
                                         admin=False)
    by_stage = {c.stage: (c.total, len(c.cards)) for c in columns}
    assert total == 5 and by_stage["suggested"] == (4, 2) and by_stage["contacted"] == (1, 0)
    _, contacted = list_dockings(store, DockingFilters(stages=("contacted",)))
    assert contacted == by_stage["contacted"][0]
    text = _page("dockings.html", columns=columns, total=total, shown=2,
                 filters=DockingFilters(), titles={}, conflicts={}, reasons={}, contracts={},
                 stage_labels={}, labels=None, label=lambda *a: "")
    flat = " ".join(text.split())
    assert "推荐 4（显示 2）" in flat and "已联系 1（显示 0） 企业确认 0 洽谈 0 签约 0" in flat


def test_docking_history_reads_in_beijing_time(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The 历史 table showed '2026-11-30 19:33' (UTC) for a move staff made at 03:33 on
    1 December in Beijing; due dates and KPI days are China days, so the history reads in
    Beijing time too, and says so."""
    import datetime as dt

    from techmatch.matcher.dockings import (
        Move,
        NewDocking,
        create_docking,
        docking_history,
        move_docking,
        view,
    )
    from techmatch.models.records import Achievement, Need
    from techmatch.store import Store

    store = Store(tmp_path / "store.sqlite")
    store.upsert([Need(id="N1", title="热失控预警"), Achievement(id="A1", title="液冷板")])
    beijing = dt.timezone(dt.timedelta(hours=8))
    d = create_docking(store, NewDocking("N1", "A1"),
                       now=dt.datetime(2026, 12, 1, 3, 33, tzinfo=beijing))
    moved = move_docking(store, d.id, Move(to="contacted"),
                         now=dt.datetime(2026, 12, 1, 9, 5, tzinfo=beijing))
    text = " ".join(_page("docking.html", d=view(moved), history=docking_history(store, d.id),
                          titles={}, reasons={}, contracts={}, stage_labels={},
                          flash="").split())
    assert "时间（北京时间）" in text and "UTC" not in text
    assert "2026-12-01 03:33" in text and "2026-12-01 09:05" in text
    assert "2026-11-30 19:33" not in text


def test_dashboard_counts_every_overdue_docking(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """工作台's 逾期对接 tile counted the overdue list the board draws (at most 500), so with
    more overdue dockings it read 500 while `techmatch overdue` gave the real number."""
    from types import SimpleNamespace

    from techmatch.api.console.views import docking_board
    from techmatch.matcher.dockings import DockingFilters, list_dockings

    long_ago = dt.datetime(2026, 1, 5, 9, tzinfo=dt.timezone.utc)
    store, _ = _one_need_dockings(tmp_path, [long_ago] * 3)
    monkeypatch.setattr(docking_board, "BOARD_LIMIT", 2)
    count = docking_board.overdue_dockings(store, frozenset())
    assert count == list_dockings(store, DockingFilters(overdue=True))[1] == 3
    board = SimpleNamespace(open_needs=1, unmatched_total=0, unmatched_listed=0, open_hidden=0,
                            unmatched=[], last_run=None,
                            kpi_labels={}, kpis=SimpleNamespace(counts={}, deal_value=0))
    text = " ".join(_page("dashboard.html", board=board, threshold=0.35, overdue=count,
                          errors={}).split())
    assert "3 逾期对接" in text


def test_match_page_shows_the_explanation_notes() -> None:
    """The match page dropped every explanation note: staff never read 置信度未经校准 (a
    home without a trained ranker) although `techmatch match` and the API said it."""
    from techmatch.api.console.views.decide import Decisions
    from techmatch.api.console.views.matching import cards
    from techmatch.matcher.explain import NOT_CALIBRATED
    from techmatch.models.records import record_type
    from techmatch.models.results import Explanation, Hit, Ranking

    need = record_type("need").model_validate({"id": "N1", "title": "涂层浆料分散"})
    records = {rid: record_type("achievement").model_validate({"id": rid, "title": "勃姆石浆料"})
               for rid in ("A1", "A2")}
    hits = [Hit(id="A1", kind="achievement", score=1.0, rank=1,
                explanation=Explanation(notes=[NOT_CALIBRATED])),
            Hit(id="A2", kind="achievement", score=0.9, rank=2, duplicate_of="A1",
                explanation=Explanation(notes=[NOT_CALIBRATED, "与 A1 近似重复"]))]
    ranking = Ranking(kind="achievement", mode="hybrid", hits=hits)
    items = cards(need, ranking, records, Decisions({}, frozenset()))
    assert [c.notes for c in items] == [[NOT_CALIBRATED], [NOT_CALIBRATED]]
    text = _page("match.html", need=need, target="achievement", ranking=ranking, blocked=False,
                 cards=items, scale=1.0, excluded=0, threshold=0.35, flash="", reasons={},
                 labels=None, label=lambda *a: "成果")
    assert text.count(NOT_CALIBRATED) == 2


def test_match_cards_list_terms_as_the_need_writes_them() -> None:
    """共同词 read pcb、tmah (the matching form) under a need that wrote PCB、TMAH."""
    from techmatch.api.console.views.decide import Decisions
    from techmatch.api.console.views.matching import cards
    from techmatch.models.records import record_type
    from techmatch.models.results import Explanation, Highlight, Hit, Ranking

    need = record_type("need").model_validate({"id": "N1", "title": "PCB缺陷"})
    record = record_type("achievement").model_validate({"id": "A1", "title": "pcb检测"})
    exp = Explanation(matched_terms=[Highlight(term="pcb", query_spans=[(0, 3)],
                                               record_spans=[(0, 3)], display="PCB"),
                                     Highlight(term="缺陷")])  # stored before `display`
    ranking = Ranking(kind="achievement", mode="hybrid",
                      hits=[Hit(id="A1", kind="achievement", score=1.0, rank=1, explanation=exp)])
    [card] = cards(need, ranking, {"A1": record}, Decisions({}, frozenset()))
    assert card.terms == ["PCB", "缺陷"]
