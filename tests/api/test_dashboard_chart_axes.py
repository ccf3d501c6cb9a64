"""The 项目看板 PNG (GET /v1/programme/dashboard?format=png, the console's 下载图表) drew a
panel with nothing yet on an axis from −0.04 to 0.04 and 签约对接数 of 2 deals with ticks
0.25, 0.50 … 1.75: negative and fractional counts on a chart staff hand on. Every axis now
starts at 0 and a count's ticks are whole numbers (签约金额 keeps its own)."""

from __future__ import annotations

import datetime as dt

from api_support import headers, import_pilot_cities, sign_docking
from fastapi.testclient import TestClient

from techmatch.matcher.engine import Engine
from techmatch.matcher.programme.dashboard import dashboard
from techmatch.matcher.programme.exports import CHART_METRICS, dashboard_figure
from techmatch.models.records import Need


def test_dashboard_chart_axes_start_at_zero_with_whole_counts(client: TestClient,
                                                              engine: Engine) -> None:
    import_pilot_cities(client)
    engine.store.upsert([Need(id="N-SZ", title="苏州的需求", city="苏州", province="江苏"),
                         Need(id="N-SZ2", title="苏州的另一需求", city="苏州", province="江苏")])
    sign_docking(engine, "N-SZ", 12.5)
    sign_docking(engine, "N-SZ2", 3)
    board = dashboard(engine.store, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31),
                      today=dt.date(2026, 11, 30))
    axes = dict(zip(CHART_METRICS, dashboard_figure(board).axes, strict=True))
    for metric, ax in axes.items():
        low, high = ax.get_ylim()
        assert low == 0 and high > 0, (metric, low, high)
        ticks = [t for t in ax.get_yticks() if low <= t <= high]
        if metric != "deal_value":
            assert all(float(t).is_integer() for t in ticks), (metric, ticks)
    assert max(b.get_height() for b in axes["dockings_signed"].patches) == 2

    png = client.get("/v1/programme/dashboard", headers=headers("read"), params={
        "start": "2026-01-01", "end": "2026-12-31", "format": "png"})
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
