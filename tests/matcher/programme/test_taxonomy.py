"""Industry taxonomy: the tree, lookups, free-text mapping and the filter roll-down in retrieval."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from techmatch.config import Settings
from techmatch.errors import ConfigError, ValidationError
from techmatch.indexers.encoders import HashEncoder
from techmatch.matcher.engine import Engine
from techmatch.matcher.plans import open_needs
from techmatch.matcher.service import passes
from techmatch.matcher.taxonomy import expand_filters, industry_matches
from techmatch.models.industries import Taxonomy, load_taxonomy
from techmatch.models.records import Need
from techmatch.models.results import Filters

SAMPLES = Path(__file__).resolve().parents[3] / "data" / "samples"
TEN_LABELS = ("新一代信息技术", "高端装备制造", "新材料", "生物医药", "新能源", "现代农业",
              "节能环保", "新能源汽车", "精细化工", "海洋工程")


def test_nine_top_categories_with_codes() -> None:
    tax = load_taxonomy()
    tops = [(n.code, n.name) for n in tax.top_level()]
    assert tops == [("1", "新一代信息技术产业"), ("2", "高端装备制造产业"), ("3", "新材料产业"),
                    ("4", "生物产业"), ("5", "新能源汽车产业"), ("6", "新能源产业"),
                    ("7", "节能环保产业"), ("8", "数字创意产业"), ("9", "相关服务业")]
    assert tax.path("集成电路") == "新一代信息技术产业 > 电子核心产业 > 集成电路制造"
    assert [g.code for g in tax.resolve("集成电路").gbt4754] == ["3973", "6520"]
    assert tax.resolve("積體電路").code == "1.2.4"  # traditional characters
    assert tax.resolve("1.2.4").name == "集成电路制造"


def test_every_sample_label_maps_onto_the_tree() -> None:
    tax = load_taxonomy()
    used = set()
    for name in ("needs", "achievements"):
        for line in (SAMPLES / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            used.add(json.loads(line)["industry"])
    assert used == set(TEN_LABELS)
    codes = {label: tax.resolve(label).code for label in TEN_LABELS}
    assert codes["海洋工程"] == "2.5" and codes["精细化工"] == "3.3"
    assert codes["新一代信息技术"] == "1" and codes["生物医药"] == "4.1"


def test_roll_up_and_down() -> None:
    tax = load_taxonomy()
    assert tax.covers("新一代信息技术产业", "集成电路")
    assert tax.covers("电子核心产业", "芯片")
    assert not tax.covers("集成电路", "新一代信息技术")  # a broad tag is not a narrow one
    assert not tax.covers("新材料产业", "集成电路")
    assert tax.at_level("集成电路", 1).name == "新一代信息技术产业"
    assert tax.at_level("集成电路", 2).name == "电子核心产业"
    assert tax.at_level("新能源", 2).code == "6"  # a coarse node stays itself
    forms = tax.surface_forms_under("新一代信息技术产业")
    assert {"集成电路", "芯片", "新一代信息技术", "人工智能"} <= set(forms)
    assert "新材料" not in forms


def test_free_text_mapping() -> None:
    tax = load_taxonomy()
    assert tax.map_text("高端芯片封装").code == "1.2.4"
    assert tax.map_text("高端芯片封装").how == "contained"
    assert tax.map_text("航空航天").code == "2.2"
    unmapped = tax.map_text("纺织服装")
    assert (unmapped.code, unmapped.how) == (None, "unmapped")
    assert [m.code for m in tax.map_values("新材料/海洋工程")] == ["3", "2.5"]
    with pytest.raises(ValidationError, match="unknown industry '纺织'"):
        tax.get("纺织")


def test_loader_refuses_a_form_naming_two_nodes() -> None:
    data = {"nodes": [{"code": "1", "name": "甲", "synonyms": ["同"]},
                      {"code": "2", "name": "乙", "synonyms": ["同"]}]}
    with pytest.raises(ConfigError, match="'同' names both 1 and 2"):
        Taxonomy.from_dict(data)


def test_industry_matches_refines_a_broad_tag_by_text() -> None:
    chip = Need(id="n", title="车规级芯片封装散热", industry="新一代信息技术")
    speaker = Need(id="m", title="智能音箱唤醒率", industry="新一代信息技术")
    assert industry_matches(chip.industry, "集成电路", text=chip.text())
    assert not industry_matches(speaker.industry, "集成电路", text=speaker.text())
    assert not industry_matches(chip.industry, "集成电路")  # no text, no refinement
    assert industry_matches("纺织", "纺织") and not industry_matches("纺织", "印染")


def test_expand_filters_is_idempotent_and_leaves_unknown_values() -> None:
    once = expand_filters(Filters(industry=["电子核心产业", "纺织"], city=["苏州"]))
    assert once is not None and "集成电路" in once.industry and "纺织" in once.industry
    assert once.city == ["苏州"]
    assert expand_filters(once).industry == once.industry
    chip = Need(id="x", title="t", industry="芯片")
    assert passes(chip, Filters(industry=["新一代信息技术产业"]))
    assert not passes(chip, Filters(industry=["新材料"]))


NEEDS = [
    Need(id="n-ic", title="晶圆级封装翘曲控制", description="先进封装工艺翘曲与良率", city="苏州",
         industry="集成电路"),
    Need(id="n-ai", title="工业视觉缺陷检测", description="表面缺陷识别", city="苏州",
         industry="人工智能"),
    Need(id="n-mat", title="隔膜涂层掉粉", description="陶瓷涂覆浆料分散", city="苏州",
         industry="新材料"),
]


def _engine(settings: Settings) -> Engine:
    eng = Engine.open(settings, encoder=HashEncoder())
    eng.store.upsert(NEEDS)
    eng.sync(("need",))
    return eng


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A real embedded index (tantivy + faiss) over three needs, with hashed vectors."""
    eng = _engine(Settings(home=tmp_path_factory.mktemp("taxonomy") / "home", threads=1))
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def es_engine(tmp_path_factory: pytest.TempPathFactory, es_url: str) -> Iterator[Engine]:
    """The same needs on the Elasticsearch node of the session."""
    from techmatch.indexers import elastic

    settings = Settings(home=tmp_path_factory.mktemp("taxonomy-es") / "home", threads=1,
                        backend="elasticsearch", es_url=es_url,
                        es_index_prefix=f"tmtaxonomy{os.getpid()}")
    eng = _engine(settings)
    yield eng
    eng.close()
    client = elastic.connect(settings)
    names = sorted(client.indices.get_alias(index=f"{settings.es_index_prefix}_*").body)
    if names:  # by name: the node refuses wildcard deletes
        client.indices.delete(index=",".join(names))
    client.close()


@pytest.mark.parametrize("backend", ["embedded", pytest.param("elasticsearch",
                                                              marks=pytest.mark.slow)])
@pytest.mark.parametrize("mode", ["lexical", "dense", "hybrid"])
def test_ic_need_is_found_by_the_top_category_filter(request: pytest.FixtureRequest,
                                                     backend: str, mode: str) -> None:
    engine = request.getfixturevalue("engine" if backend == "embedded" else "es_engine")
    retriever = engine.retriever()
    text = "晶圆级封装翘曲 工业视觉缺陷 隔膜涂层"
    ranking = retriever.search(text, kind="need", k=10, mode=mode,
                               filters=Filters(industry=["新一代信息技术产业"]))
    assert {h.id for h in ranking.hits} == {"n-ic", "n-ai"}
    narrow = retriever.search(text, kind="need", k=10, mode=mode,
                              filters=Filters(industry=["电子核心产业"]))
    assert [h.id for h in narrow.hits] == ["n-ic"]


def test_open_needs_roll_down(engine: Engine) -> None:
    assert [n.id for n in open_needs(engine, city="苏州", industry="新一代信息技术产业")] == [
        "n-ai", "n-ic"]
    assert [n.id for n in open_needs(engine, city="苏州", industry="集成电路")] == ["n-ic"]


def test_coverage_rolls_industries_up_to_the_top_category() -> None:
    from techmatch.indexers.tokenize import Tokenizer
    from techmatch.matcher.analytics import compute_coverage
    from techmatch.models.records import Achievement

    needs = [*NEEDS, Need(id="n-old", title="5G基站射频", city="苏州", industry="新一代信息技术")]
    supply = [Achievement(id="a-ic", title="晶圆翘曲", city="苏州", industry="芯片")]
    cells, *_ = compute_coverage(needs, supply, [], {}, Tokenizer(), threshold=0.5,
                                 industry_level=1)
    by = {(c.city, c.industry): c for c in cells}
    ict = by[("苏州", "新一代信息技术产业")]
    assert (ict.open_needs, ict.unmatched, ict.achievements_local) == (3, 3, 1)
    assert by[("苏州", "新材料产业")].open_needs == 1
    flat, *_ = compute_coverage(needs, supply, [], {}, Tokenizer(), threshold=0.5)
    assert {c.industry for c in flat} == {"集成电路", "人工智能", "新材料", "新一代信息技术"}


def test_import_maps_synonyms_and_reports_unmapped_industries_by_row(tmp_path: Path) -> None:
    from techmatch.indexers.ingest.load import ingest_files
    from techmatch.store import Store

    csv = tmp_path / "needs.csv"
    csv.write_text("编号,需求标题,所属行业\nX1,晶圆翘曲,集成电路\nX2,面料起球,纺织服装\n"
                   "X3,车规芯片封装散热,高端芯片封装\nX4,隔膜掉粉,新材料\n", encoding="utf-8")
    store = Store(tmp_path / "store.sqlite")
    try:
        report = ingest_files([csv], "need", store)
        assert report.loaded.as_dict()["inserted"] == 4  # nothing rejected for an industry
        notes = [w for w in report.warnings if "行业“" in w]
        assert len(notes) == 2
        assert f"{csv}：第 3 行：行业“纺织服装”不在战略性新兴产业分类中，按原文保存" == notes[0]
        assert "第 4 行" in notes[1] and "映射为“集成电路制造”" in notes[1]
        assert store.get("X3").industry == "集成电路制造"  # rewritten, so filters find it
        assert store.get("X2").industry == "纺织服装"  # kept as written
        assert store.get("X1").industry == "集成电路"
    finally:
        store.close()
