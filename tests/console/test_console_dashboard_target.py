"""工作台's 无合适匹配的需求: the 人工匹配 link opens the tab whose confidence the row shows."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path


def test_manual_match_opens_the_tab_of_the_best_confidence(tmp_path: Path) -> None:
    """N040 read 最高置信度 8% (its best expert) and 人工匹配 opened the 成果 tab, whose best
    read 1%: staff saw two numbers for one need. The link now opens the kind the best
    confidence came from (专家 here; 成果 when that is the best, as before)."""
    from techmatch.api.console.deps import TEMPLATES
    from techmatch.api.console.views.dashboard import build_dashboard
    from techmatch.matcher.batch import results
    from techmatch.models.records import Need
    from techmatch.store import Store
    from techmatch.store.batch import ResultRow

    store = Store(tmp_path / "store.sqlite")
    try:
        store.upsert([Need(id="N1", title="锝-99m发生器"), Need(id="N2", title="皮革鞣剂")])
        with results.transaction(store):
            for need, (ach, exp) in {"N1": (0.01, 0.08), "N2": (0.09, 0.02)}.items():
                store.batch.replace_results("R1", "achievement", need, "fp",
                                            [ResultRow(1, "A1", 1.0, ach, None)], True)
                store.batch.replace_results("R1", "expert", need, "fp",
                                            [ResultRow(1, "E1", 1.0, exp, None)], True)
        board = build_dashboard(store, threshold=0.35, start=dt.date(2026, 11, 1),
                                end=dt.date(2026, 11, 30), hidden=frozenset())
    finally:
        store.close()
    html = TEMPLATES.env.get_template("dashboard.html").render(
        nav=[], staff=None, csrf="", board=board, threshold=0.35, overdue=[], errors={})
    links = dict(re.findall(r'href="/needs/(N\d)/match\?target=(\w+)"', html))
    assert links == {"N1": "expert", "N2": "achievement"}, links
    shown = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "N1 锝-99m发生器 8%" in shown and "N2 皮革鞣剂 9%" in shown
