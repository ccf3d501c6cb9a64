"""Files as platform staff export them (helper-49 audit): each case failed before its fix.

A huge cell, an Excel date serial, full-width ids, UTF-16 text, traditional-Chinese headers
and a workbook whose first sheet is a cover note: the error names file, row and field, and
nothing already stored is lost or changed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest

from techmatch.errors import IngestError
from techmatch.indexers.ingest.load import ingest_files
from techmatch.models.records import Need
from techmatch.store import Store

HEADER = "需求编号,需求名称,需求描述\n"


def _stored_need(store: Store) -> str:
    """Store one need before the bad file; returns its content hash to compare afterwards."""
    store.upsert([Need(id="KEEP1", title="已有需求", description="不应被改动")])
    return store.get("KEEP1").model_dump_json()


def test_a_cell_longer_than_the_csv_field_limit_is_a_row_error_naming_the_field(
        tmp_path: Path, store: Store) -> None:
    # Old: _csv.Error "field larger than field limit (131072)" escaped as a traceback (exit 1).
    before = _stored_need(store)
    huge = "很长的描述" * 30_000  # 150,000 characters in one cell
    path = tmp_path / "needs.csv"
    path.write_text(f'{HEADER}H1,大字段,"{huge}"\nH2,正常,正常描述\n', encoding="utf-8")
    report = ingest_files([path], "need", store)
    assert report.loaded.inserted == ["H2"]
    assert [(e.row, e.field) for e in report.errors] == [(2, "description")]
    assert report.errors[0].message == "过长：最多 20000 个字符"
    assert store.get("KEEP1").model_dump_json() == before


def test_excel_date_serials_are_dates_not_seconds_after_1970(tmp_path: Path,
                                                             store: Store) -> None:
    # Old: 45000 (a date cell exported as General / numbers) became 1970-01-01T12:30:00Z.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["需求编号", "需求名称", "需求描述", "发布时间"])
    sheet.append(["D1", "标题一", "描述一", 45000])
    sheet.append(["D2", "标题二", "描述二", "45001"])
    sheet.append(["D3", "标题三", "描述三", 45000.5])
    book.save(tmp_path / "needs.xlsx")
    report = ingest_files([tmp_path / "needs.xlsx"], "need", store)
    assert report.loaded.inserted == ["D1", "D2", "D3"]
    created = {rid: store.get(rid).created_at for rid in ("D1", "D2", "D3")}
    assert created["D1"] is not None and created["D1"].date() == date(2023, 3, 15)
    assert created["D2"] is not None and created["D2"].date() == date(2023, 3, 16)
    assert created["D3"] is not None and (created["D3"].date(), created["D3"].hour) == (
        date(2023, 3, 15), 12)


def test_full_width_ids_update_the_record_they_name(tmp_path: Path, store: Store) -> None:
    # Old: Ｎ００１ (typed with a Chinese input method) was stored as a second record beside
    # N001, so the update went nowhere and search showed the need twice.
    store.upsert([Need(id="N001", title="旧标题", description="旧描述")])
    path = tmp_path / "needs.csv"
    path.write_text(f"{HEADER}Ｎ００１,新标题,新描述\n", encoding="utf-8")
    report = ingest_files([path], "need", store)
    assert (report.loaded.inserted, report.loaded.updated) == ([], ["N001"])
    assert [r.id for r in store.iter_records("need")] == ["N001"]
    assert store.get("N001").title == "新标题"
    achievements = tmp_path / "achievements.csv"
    achievements.write_text("成果编号,成果名称,完成人\nＡ－１,新材料,Ｅ００１、E002\n",
                            encoding="utf-8")
    ingest_files([achievements], "achievement", store)
    assert store.get("A-1").owners == ["E001", "E002"]  # type: ignore[attr-defined]


def test_utf16_text_as_excel_saves_unicode_text_loads(tmp_path: Path, store: Store) -> None:
    # Old: "the header row (row 1) cannot be read: bytes that are not GB18030" (exit 2).
    path = tmp_path / "needs.csv"
    path.write_text("需求编号\t需求名称\t需求描述\r\nU1\t焊接机器人\t焊缝跟踪精度不足\r\n",
                    encoding="utf-16")
    report = ingest_files([path], "need", store)
    assert report.files[0].encoding == "utf-16"
    assert report.loaded.inserted == ["U1"] and store.get("U1").title == "焊接机器人"
    big_endian = tmp_path / "be.csv"
    big_endian.write_bytes("\ufeff需求编号,需求名称\nU2,电池\n".encode("utf-16-be"))
    assert ingest_files([big_endian], "need", store).loaded.inserted == ["U2"]


def test_traditional_chinese_headers_map_like_simplified_ones(tmp_path: Path,
                                                              store: Store) -> None:
    # Old: "missing required column 'id'" for 需求編號 (a Taiwan / Hong Kong partner's sheet).
    path = tmp_path / "needs.csv"
    path.write_text("需求編號,需求標題,問題描述,企業名稱,是否保密,需求狀態\n"
                    "T1,焊接機器人,焊縫跟蹤精度不足,某公司,是,已解決\n", encoding="utf-8")
    report = ingest_files([path], "need", store)
    assert report.loaded.inserted == ["T1"] and report.files[0].warnings == []
    need = store.get("T1")
    assert (need.title, need.enterprise, need.confidential, need.status) == (  # type: ignore[attr-defined]
        "焊接機器人", "某公司", True, "closed")
    achievements = tmp_path / "achievements.csv"
    achievements.write_text("成果編號,成果名稱,成果類型,語種\nA1,新材料,發明專利,英語\n",
                            encoding="utf-8")
    ingest_files([achievements], "achievement", store)
    achievement = store.get("A1")
    assert (achievement.type, achievement.language) == ("patent", "en")  # type: ignore[attr-defined]


def test_a_title_row_above_the_header_is_skipped_and_said(tmp_path: Path, store: Store) -> None:
    # Old: a merged title row (2024年企业技术需求汇总表) or a merged group header (基本信息 /
    # 详情) was taken as the header: "missing required column 'id'", nothing loaded.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["2024年企业技术需求汇总表"])
    sheet.merge_cells("A1:C1")
    sheet.append(["基本信息", None, "详情"])
    sheet.merge_cells("A2:B2")
    sheet.append(["需求编号", "需求名称", "需求描述"])
    sheet.append([1001, "标题一", "描述一"])
    sheet.append(["1002", "标题二", None])
    for _ in range(3):
        sheet.append([None, None, None])
    book.save(tmp_path / "needs.xlsx")
    report = ingest_files([tmp_path / "needs.xlsx"], "need", store)
    assert report.loaded.inserted == ["1001", "1002"] and report.rejected == 0
    assert any(w.startswith("第 3 行作为表头，其上的标题行已跳过：")
               and "2024年企业技术需求汇总表" in w for w in report.files[0].warnings)


def test_a_workbook_whose_first_sheet_is_a_cover_note_reads_the_sheet_with_the_records(
        tmp_path: Path, store: Store) -> None:
    # Old: "the file has no data rows (it is empty)" although sheet 需求 held two needs.
    book = openpyxl.Workbook()
    book.active.title = "填表说明"
    book.active.append(["本表为需求导出，请勿修改列名"])
    sheet = book.create_sheet("需求")
    sheet.append(["需求编号", "需求名称", "需求描述"])
    sheet.append(["S1", "标题一", "描述一"])
    sheet.append(["S2", "标题二", "描述二"])
    book.create_sheet("统计").append(["合计", 2])
    book.save(tmp_path / "needs.xlsx")
    report = ingest_files([tmp_path / "needs.xlsx"], "need", store)
    assert report.loaded.inserted == ["S1", "S2"]
    assert any("已读取工作表「需求」" in w and "填表说明" in w and "统计" in w
               for w in report.files[0].warnings)


def test_a_workbook_without_an_id_column_names_the_header_row_it_read(tmp_path: Path,
                                                                      store: Store) -> None:
    before = _stored_need(store)
    book = openpyxl.Workbook()
    book.active.append(["名称", "描述"])
    book.active.append(["标题一", "描述一"])
    book.save(tmp_path / "needs.xlsx")
    with pytest.raises(IngestError) as caught:
        ingest_files([tmp_path / "needs.xlsx"], "need", store)
    assert "第 1 行被读作表头：名称、描述" in str(caught.value)
    assert store.get("KEEP1").model_dump_json() == before and store.count("need") == 1


def test_a_csv_with_old_mac_line_endings_loads_every_row(tmp_path: Path, store: Store) -> None:
    # Old: CR-only line ends (Excel for Mac's "CSV (Macintosh)") read as one line: "the file
    # has no data rows (it is empty)" for a file of needs.
    path = tmp_path / "needs.csv"
    path.write_bytes("需求编号,需求名称,需求描述\rCR1,标题一,描述一\rCR2,\"两行\r描述\",描述二\r"
                     .encode("gb18030"))
    report = ingest_files([path], "need", store)
    assert report.loaded.inserted == ["CR1", "CR2"] and report.rejected == 0
    assert store.get("CR2").title == "两行\n描述"
    utf16 = tmp_path / "u16.csv"
    utf16.write_text("需求编号\t需求名称\rCR3\t标题三\r", encoding="utf-16")
    assert ingest_files([utf16], "need", store).loaded.inserted == ["CR3"]


def test_headers_wrapped_in_their_cells_map_to_their_fields(tmp_path: Path, store: Store) -> None:
    # Old: a template header wrapped with Alt+Enter (需求\n编号), spaced (问题 描述) or ending
    # in a colon (企业名称：) was unknown: "missing required column 'id'" / columns ignored.
    book = openpyxl.Workbook()
    book.active.append(["需求\n编号", "需求\r\n名称", "问题 描述", "企业名称：", "Created At"])
    book.active.append(["W1", "标题一", "描述一", "某公司", "2024-05-01"])
    book.save(tmp_path / "needs.xlsx")
    report = ingest_files([tmp_path / "needs.xlsx"], "need", store)
    assert report.loaded.inserted == ["W1"] and report.files[0].warnings == []
    need = store.get("W1")
    assert (need.title, need.description, need.enterprise) == (  # type: ignore[attr-defined]
        "标题一", "描述一", "某公司")
    assert need.created_at is not None and need.created_at.date() == date(2024, 5, 1)


def test_excel_unicode_text_txt_loads_and_an_xls_says_save_as_xlsx(tmp_path: Path,
                                                                  store: Store) -> None:
    # Old: Excel's "Unicode 文本" saves needs.txt (UTF-16, tabs): "unknown file extension
    # '.txt'"; an Excel 97-2003 .xls only listed the supported extensions.
    path = tmp_path / "needs.txt"
    path.write_text("需求编号\t需求名称\t需求描述\r\nX1\t焊接机器人\t焊缝跟踪\r\n",
                    encoding="utf-16")
    assert ingest_files([path], "need", store).loaded.inserted == ["X1"]
    old = tmp_path / "needs.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    with pytest.raises(IngestError) as caught:
        ingest_files([old], "need", store)
    assert "Excel 97-2003" in str(caught.value) and "另存为 .xlsx" in str(caught.value)
    assert [r.id for r in store.iter_records("need")] == ["X1"]


def test_dates_as_chinese_staff_write_them(tmp_path: Path, store: Store) -> None:
    # Old: 2024/1/5 (Excel's display format), 2024年1月5日 and 2024.01.05 were rejected with
    # pydantic's English "invalid date separator", and 20240105 became 1970-08-23 silently.
    path = tmp_path / "needs.csv"
    path.write_text("需求编号,需求名称,发布时间\n"
                    "D1,甲,2024/1/5\nD2,乙,2024年1月5日\nD3,丙,2024.01.05\nD4,丁,20240105\n"
                    "D5,戊,2024/1/5 14:30\nD6,己,2024/13/45\nD7,庚,昨天\n", encoding="utf-8")
    report = ingest_files([path], "need", store)
    assert report.loaded.inserted == ["D1", "D2", "D3", "D4", "D5"]
    for rid in ("D1", "D2", "D3", "D4"):
        created = store.get(rid).created_at
        assert created is not None and created.date() == date(2024, 1, 5), rid
    d5 = store.get("D5").created_at
    assert d5 is not None and (d5.date(), d5.hour, d5.minute) == (date(2024, 1, 5), 14, 30)
    errors = {e.row: (e.field, e.message) for e in report.errors}
    assert errors == {
        7: ("created_at", "应为日期，如 2024-01-05、2024/1/5 或 2024年1月5日（收到 '2024/13/45'）"),
        8: ("created_at", "应为日期，如 2024-01-05、2024/1/5 或 2024年1月5日（收到 '昨天'）")}


def test_a_cell_merged_down_several_rows_gives_its_value_to_each_row(tmp_path: Path,
                                                                     store: Store) -> None:
    # Old: 企业名称 merged over three needs of one enterprise reached only the first row; the
    # other two were stored without an enterprise, silently.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["需求编号", "需求名称", "企业名称", "所属行业", "需求描述", "联系方式"])
    sheet.append(["M1", "标题一", "甲公司", "新能源", "描述一", "张三"])
    sheet.append(["M2", "标题二", None, None, "描述二", None])
    sheet.append(["M3", "标题三", None, "化工", "描述三", None])
    sheet.append(["M4", "标题四", "乙公司", "化工", "跨两列的描述", None])
    sheet.merge_cells("C2:C4")
    sheet.merge_cells("D2:D3")
    sheet.merge_cells("E5:F5")  # across columns: the value stays in its own column
    book.save(tmp_path / "needs.xlsx")
    ingest_files([tmp_path / "needs.xlsx"], "need", store)
    got = {r.id: (r.enterprise, r.industry, r.contact)  # type: ignore[attr-defined]
           for r in store.iter_records("need")}
    assert got == {"M1": ("甲公司", "新能源", "张三"), "M2": ("甲公司", "新能源", None),
                   "M3": ("甲公司", "化工", None), "M4": ("乙公司", "化工", None)}


def test_a_two_level_header_with_the_id_merged_down_reads_the_lower_row(tmp_path: Path,
                                                                        store: Store) -> None:
    # 需求编号 merged over both header rows, 需求信息 over the two text columns below it.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["需求编号", "需求信息", None])
    sheet.append([None, "需求名称", "需求描述"])
    sheet.append(["L1", "标题一", "描述一"])
    sheet.merge_cells("A1:A2")
    sheet.merge_cells("B1:C1")
    book.save(tmp_path / "needs.xlsx")
    report = ingest_files([tmp_path / "needs.xlsx"], "need", store)
    assert report.loaded.inserted == ["L1"] and report.rejected == 0
    assert (store.get("L1").title, store.get("L1").description) == (  # type: ignore[attr-defined]
        "标题一", "描述一")


def test_a_kind_column_in_a_mixed_table_rejects_the_rows_of_other_kinds(tmp_path: Path,
                                                                        store: Store) -> None:
    # Old: the 记录类型 / kind column was an "unknown column ignored" and every row, the
    # achievements too, was loaded as a need.
    path = tmp_path / "mixed.csv"
    path.write_text("编号,标题,记录类型\nK1,一个需求,需求\nK2,一项成果,成果\nK3,另一项,achievement\n"
                    "K4,又一个需求,need\n", encoding="utf-8")
    report = ingest_files([path], "need", store)
    assert report.loaded.inserted == ["K1", "K4"]
    assert [(e.row, e.field) for e in report.errors] == [(3, "kind"), (4, "kind")]
    assert report.errors[0].message == "该行是成果记录，应为需求记录"
    assert report.files[0].warnings == []


def test_a_file_with_fewer_columns_updates_only_the_columns_it_has(tmp_path: Path,
                                                                   store: Store) -> None:
    # Old: re-importing 需求编号/需求名称/需求描述 to fix a title cleared the stored need's
    # 是否保密 (a confidential need became readable by read keys), enterprise, contact, city
    # and keywords.
    store.upsert([Need(id="C1", title="旧标题", description="旧描述", confidential=True,
                       enterprise="某公司", contact="张工 13800000000", city="杭州",
                       keywords=["碳化硅", "散热"])])
    path = tmp_path / "retitle.csv"
    path.write_text("需求编号,需求名称,需求描述,城市\nC1,新标题,新描述,\n", encoding="utf-8")
    report = ingest_files([path], "need", store)
    assert report.loaded.updated == ["C1"]
    need = store.get("C1")
    assert (need.title, need.description, need.city) == ("新标题", "新描述", None)  # type: ignore[attr-defined]
    assert (need.confidential, need.enterprise, need.contact, need.keywords) == (  # type: ignore[attr-defined]
        True, "某公司", "张工 13800000000", ["碳化硅", "散热"])
    assert any("保留了文件中没有的列的原值" in w and "保密（" in w
               for w in report.files[0].warnings)
    jsonl = tmp_path / "retitle.jsonl"
    jsonl.write_text('{"id": "C1", "title": "JSON 标题"}\n', encoding="utf-8")
    ingest_files([jsonl], "need", store)
    need = store.get("C1")
    assert (need.title, need.description, need.confidential) == (  # type: ignore[attr-defined]
        "JSON 标题", "新描述", True)
