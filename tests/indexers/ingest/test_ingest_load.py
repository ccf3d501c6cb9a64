"""ingest_files end to end into a real store: partial loads, rejects, duplicates, re-ingest."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from techmatch.errors import IngestError
from techmatch.indexers.ingest.load import ingest_files
from techmatch.models.records import Achievement, Need
from techmatch.store import Store

ACHIEVEMENTS_CSV = """成果编号,成果名称,摘要,类型,成熟度,所属行业,城市,备注
A001,高镍三元正极材料制备技术,一种锂电池正极材料的共沉淀制备方法,专利,6,新能源,宁波,
A002,,,论文,3,新能源,合肥,缺少文本
A003,工业机器人视觉定位系统,基于深度学习的工件识别与定位,技术,12,智能制造,苏州,成熟度越界
A004,農業無人機植保系統,多旋翼無人機精準施藥,技术,7,農業,成都,繁体
"""

NEEDS_CSV = """需求编号,需求名称,问题描述,企业名称,是否保密,状态
N001,注塑件翘曲变形,汽车内饰注塑件冷却后翘曲严重,某汽车零部件公司,否,待解决
N002,污水脱氮,高氨氮废水处理成本高,某化工公司,也许,待解决
N003,,,某热电公司,是,已匹配
"""


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_gb18030_csv_loads_good_rows_and_names_each_bad_row(tmp_path: Path,
                                                            store: Store) -> None:
    achievements = _write(tmp_path / "achievements.csv", ACHIEVEMENTS_CSV, "gb18030")
    needs = _write(tmp_path / "needs.csv", NEEDS_CSV, "gb18030")
    rejects = tmp_path / "rejects"
    report = ingest_files([achievements], "achievement", store, reject_dir=rejects)
    assert report.files[0].encoding == "gb18030"
    assert (report.read, report.rejected, report.loaded.inserted) == (4, 2, ["A001", "A004"])
    assert [str(e).removeprefix(str(tmp_path) + "/") for e in report.errors] == [
        "achievements.csv 第 3 行，字段 title/abstract：标题、摘要与关键词至少填写一项",
        "achievements.csv 第 4 行，字段 maturity：应在 1 到 9 之间（收到 12）"]
    assert report.warnings == [f"{achievements}：已忽略未知列：备注"]
    stored = store.get("A001")
    assert isinstance(stored, Achievement)
    assert (stored.type, stored.maturity, stored.city) == ("patent", 6, "宁波")

    report = ingest_files([needs], "need", store, reject_dir=rejects)
    assert report.loaded.inserted == ["N001"]
    assert [(e.row, e.field) for e in report.errors] == [(3, "confidential"),
                                                         (4, "title/description")]
    lines = [json.loads(x) for x in (rejects / "needs.csv.rejects.jsonl").read_text("utf-8")
             .splitlines()]
    assert [(x["row"], x["field"]) for x in lines] == [(3, "confidential"),
                                                       (4, "title/description")]
    assert lines[0]["raw"]["是否保密"] == "也许" and lines[0]["file"] == str(needs)
    assert lines[0]["message"] == "应为是或否（是/否、true/false、1/0）（收到 '也许'）"
    assert len((rejects / "achievements.csv.rejects.jsonl").read_text("utf-8").splitlines()) == 2


def test_traditional_chinese_is_stored_for_display_as_written(tmp_path: Path,
                                                              store: Store) -> None:
    path = _write(tmp_path / "a.csv", ACHIEVEMENTS_CSV, "utf-8")
    ingest_files([path], "achievement", store, reject_dir=None)
    stored = store.get("A004")
    assert isinstance(stored, Achievement)
    assert (stored.title, stored.industry) == ("農業無人機植保系統", "農業")


def test_reingesting_the_same_file_changes_nothing(tmp_path: Path, store: Store) -> None:
    path = _write(tmp_path / "a.csv", ACHIEVEMENTS_CSV, "gb18030")
    first = ingest_files([path], "achievement", store, reject_dir=tmp_path / "r")
    seq = store.last_seq()
    again = ingest_files([path], "achievement", store, reject_dir=tmp_path / "r")
    assert again.loaded.as_dict() == {"inserted": 0, "updated": 0, "unchanged": 2}
    assert sorted(again.loaded.unchanged) == sorted(first.loaded.inserted)
    assert store.last_seq() == seq


def test_utf8_bom_csv_with_english_headers_and_semicolons(tmp_path: Path,
                                                          store: Store) -> None:
    text = ("ID;Title;Description;Industry;Province;Keywords;Confidential\n"
            "N-1;Coating wear;Die-casting mould coating wears fast;machinery;Zhejiang;"
            "coating, PVD;false\n")
    path = _write(tmp_path / "needs.csv", text, "utf-8-sig")
    report = ingest_files([path], "need", store, reject_dir=tmp_path / "r")
    assert report.files[0].encoding == "utf-8-sig"
    need = store.get("N-1")
    assert isinstance(need, Need)
    assert (need.title, need.province, need.keywords, need.confidential) == (
        "Coating wear", "Zhejiang", ["coating", "PVD"], False)


def test_xlsx_experts(tmp_path: Path, store: Store) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["专家编号", "姓名", "职称", "工作单位", "研究方向", "个人简介", "服务容量",
                  "城市"])
    sheet.append(["E001", "张明", "教授", "浙江大学", "材料学、表面工程", "长期从事涂层研究", 4,
                  "杭州"])
    sheet.append(["E002", "李华", "研究员", "中科院", "催化", "", "很多", "大连"])
    sheet.append([1003, "王芳", "高级工程师", "某研究院", "自动化", "工业控制", 2.0, "苏州"])
    path = tmp_path / "experts.xlsx"
    book.save(path)
    report = ingest_files([path], "expert", store, reject_dir=tmp_path / "r")
    assert sorted(report.loaded.inserted) == ["1003", "E001"]
    assert [(e.row, e.field) for e in report.errors] == [(3, "capacity")]
    expert = store.get("E001")
    assert expert.model_dump(include={"title", "organization", "disciplines", "capacity"}) == {
        "title": "教授", "organization": "浙江大学", "disciplines": ["材料学", "表面工程"],
        "capacity": 4}


def test_jsonl_with_a_bad_line(tmp_path: Path, store: Store) -> None:
    lines = ['{"id": "A1", "title": "石墨烯导热膜", "type": "technology", "maturity": 5}',
             '{"id": "A2", "title": "broken",', "",
             '{"id": "A3", "abstract": "低温等离子体灭菌", "colour": "red"}']
    path = _write(tmp_path / "a.jsonl", "\n".join(lines) + "\n")
    report = ingest_files([path], "achievement", store, reject_dir=tmp_path / "r")
    assert sorted(report.loaded.inserted) == ["A1", "A3"]
    assert [(e.row, e.field) for e in report.errors] == [(2, None)]
    assert report.errors[0].message == "不是有效的 JSON（第 32 列附近：字段名应使用双引号）"
    assert report.warnings == [f"{path}：已忽略未知字段：colour"]
    reject = json.loads((tmp_path / "r" / "a.jsonl.rejects.jsonl").read_text("utf-8"))
    assert reject["raw"] == '{"id": "A2", "title": "broken",'


def test_beir_corpus_lines(tmp_path: Path, store: Store, shared: Path) -> None:
    corpus = shared / "eval/csl-kw-dev/corpus.jsonl"
    with corpus.open(encoding="utf-8") as handle:
        head = [next(handle) for _ in range(50)]
    path = _write(tmp_path / "corpus.jsonl", "".join(head))
    report = ingest_files([path], "achievement", store, reject_dir=tmp_path / "r")
    assert (report.read, report.rejected, len(report.loaded.inserted)) == (50, 0, 50)
    first = json.loads(head[0])
    stored = store.get(first["_id"])
    assert isinstance(stored, Achievement)
    assert (stored.title, stored.abstract) == (first["title"], first["text"])
    assert (stored.type, stored.discipline) == (first["metadata"]["type"],
                                                first["metadata"].get("discipline"))
    again = ingest_files([path], "achievement", store, reject_dir=tmp_path / "r")
    assert again.loaded.as_dict()["unchanged"] == 50


def test_cn_patent_sample(tmp_path: Path, store: Store, shared: Path) -> None:
    path = shared / "data/cn-patent-cpc-sample/sample_val.csv"
    report = ingest_files([path], "achievement", store, reject_dir=tmp_path / "r")
    assert (report.read, report.rejected, len(report.loaded.inserted)) == (19, 0, 19)
    stored = store.get(report.loaded.inserted[0])
    assert isinstance(stored, Achievement)
    assert stored.keywords and all(k.startswith("G06F") and "/" in k for k in stored.keywords)


DUPES = "id,title\nD1,first\nD2,only\nD1,second\nD1,third\n"


@pytest.mark.parametrize(("rule", "title", "pairs"), [
    ("last", "third", [((4, 2)), (5, 4)]), ("first", "first", [(2, 4), (2, 5)])])
def test_duplicate_rule(tmp_path: Path, store: Store, rule: str, title: str,
                        pairs: list[tuple[int, int]]) -> None:
    path = _write(tmp_path / "d.csv", DUPES)
    report = ingest_files([path], "achievement", store, reject_dir=None,
                          on_duplicate=rule)  # type: ignore[arg-type]
    assert store.get("D1").title == title  # type: ignore[union-attr]
    assert [(d.id, d.kept[1], d.dropped[1]) for d in report.duplicates] == [
        ("D1", kept, dropped) for kept, dropped in pairs]
    assert report.as_dict()["duplicates"] == 2


def test_duplicate_rule_error_refuses_the_input(tmp_path: Path, store: Store) -> None:
    path = _write(tmp_path / "d.csv", DUPES)
    with pytest.raises(IngestError, match="输入中有 2 个重复编号，如 D1") as info:
        ingest_files([path], "achievement", store, reject_dir=None, on_duplicate="error")
    assert "d.csv" in str(info.value)
    assert store.count() == 0


@pytest.mark.parametrize(("name", "content"), [
    ("b.csv", b"title,abstract\nx,y\n"),                # no id column
    ("b.csv", b"id,title\nA9,ok\n" + b"\x81\xff\x00\n" * 40),  # mostly undecodable
    ("b.json", b'{"id": "A9", "title": "x"}'),          # not an array
    ("b.doc", b"id,title\nA9,x\n"),                     # unknown extension
])
def test_whole_file_rejection_leaves_the_store_unchanged(tmp_path: Path, store: Store,
                                                         name: str, content: bytes) -> None:
    good = _write(tmp_path / "a.csv", ACHIEVEMENTS_CSV)
    ingest_files([good], "achievement", store, reject_dir=tmp_path / "r")
    before = (store.last_seq(), store.count(), store.get("A001"))
    changed = _write(tmp_path / "a2.csv", ACHIEVEMENTS_CSV.replace("共沉淀", "溶胶凝胶"))
    bad = tmp_path / name
    bad.write_bytes(content)
    with pytest.raises(IngestError) as info:
        ingest_files([changed, bad], "achievement", store, reject_dir=tmp_path / "r")
    assert name in str(info.value)
    assert (store.last_seq(), store.count(), store.get("A001")) == before
    assert not (tmp_path / "r" / "a2.csv.rejects.jsonl").exists()


def test_id_stored_as_another_kind_is_a_row_error(tmp_path: Path, store: Store) -> None:
    store.upsert([Need(id="X1", title="需求")])
    path = _write(tmp_path / "a.csv", "id,title\nX1,成果\nX2,成果二\n")
    report = ingest_files([path], "achievement", store, reject_dir=None)
    assert report.loaded.inserted == ["X2"]
    assert [(e.row, e.field, e.message) for e in report.errors] == [
        (2, "id", "编号 X1 已被另一类记录（需求）使用")]


def test_a_clean_file_never_removes_another_files_rejects(tmp_path: Path, store: Store) -> None:
    """Rejects were named by the file's stem: a clean `a.jsonl` removed `a.csv`'s rejects."""
    rejects = tmp_path / "r"
    bad = _write(tmp_path / "a.csv", "id,title,maturity\nA1,x,12\n")
    ingest_files([bad], "achievement", store, reject_dir=rejects)
    clean = _write(tmp_path / "a.jsonl", '{"id": "A2", "title": "成果"}\n')
    ingest_files([clean], "achievement", store, reject_dir=rejects)
    kept = (rejects / "a.csv.rejects.jsonl").read_text("utf-8").splitlines()
    assert len(kept) == 1 and json.loads(kept[0])["row"] == 2
    assert not (rejects / "a.jsonl.rejects.jsonl").exists()


def test_stale_reject_file_is_removed_and_report_dict(tmp_path: Path, store: Store) -> None:
    rejects = tmp_path / "r"
    path = _write(tmp_path / "a.csv", "id,title,maturity\nA1,x,12\n")
    first = ingest_files([path], "achievement", store, reject_dir=rejects)
    assert first.files[0].reject_file == rejects / "a.csv.rejects.jsonl"
    _write(path, "id,title,maturity\nA1,x,2\n")
    report = ingest_files([path], "achievement", store, reject_dir=rejects)
    assert not (rejects / "a.csv.rejects.jsonl").exists()
    assert report.as_dict() == {
        "kind": "achievement", "on_duplicate": "last", "read": 1,
        "loaded": {"inserted": 1, "updated": 0, "unchanged": 0}, "rejected": 0, "duplicates": 0,
        "files": [{"file": str(path), "format": "csv", "encoding": "utf-8", "read": 1,
                   "rejected": 0, "warnings": [], "reject_file": None}],
        "duplicate_ids": [], "errors": [], "warnings": []}
    assert json.loads(json.dumps(first.as_dict()))["errors"][0]["field"] == "maturity"
