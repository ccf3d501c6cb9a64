"""The records a search's text names open the list in the same order whatever k: the console
asks k=100, the API 10 by default. Ranking scores are relative to the list (scored from
max(k, 50) candidates), so the named records, ordered by them, came in another order at
k=100 than at k=10 (for an institution named by 50 achievements the 2nd already differed).
They are now ordered by how the text names them, then by the query's similarity to each
(absolute, not list-relative), from a name search read as deep whatever k; the unnamed
records keep their ranking order."""

from __future__ import annotations

from pathlib import Path

from techmatch.config import Settings
from techmatch.indexers.encoders import HashEncoder
from techmatch.matcher.engine import Engine
from techmatch.matcher.service import MatchService
from techmatch.models.records import Achievement

CAS = "中国科学院苏州纳米技术与纳米仿生研究所"
TOPICS = ["锂电池隔膜涂覆", "碳化硅功率模块", "减速器传动精度", "印染废水处理", "涡轮叶片检测",
          "氢燃料电池电堆", "光伏组件封装", "工业机器人视觉", "生物医用材料", "智能电网调度"]


def test_the_named_records_order_does_not_depend_on_k(tmp_path: Path) -> None:
    many = [Achievement(id=f"m-{i:03d}", title=f"{TOPICS[i % 10]}技术{i}",
                        abstract=f"{TOPICS[i * 3 % 10]} 第{i}代 {TOPICS[i * 7 % 10]}",
                        institution=CAS if i % 3 == 0 else f"某大学{i}")
            for i in range(160)]
    engine = Engine.open(Settings(home=tmp_path / "home", threads=1), encoder=HashEncoder())
    try:
        engine.store.upsert(many)
        engine.sync(("achievement",))
        service = MatchService(engine)
        for text in (CAS, f"{CAS} 锂电池隔膜", "中国科学院苏州", "m-042"):
            small = service.search(text, kind="achievement", k=10, explain=False).hits
            large = service.search(text, kind="achievement", k=100, explain=False).hits
            named = [h.id for h in small if h.named]
            assert named and [h.id for h in large[:len(named)]] == named, text
            assert [h.match_by for h in large[:len(named)]] == [h.match_by for h in small
                                                                 if h.named]
            assert all(h.named for h in small[:len(named)])  # they open the list
    finally:
        engine.close()
