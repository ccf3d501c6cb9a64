"""工作台's 区间指标 and 项目看板's 统计起 / 统计止 with a bad window (起 after 止, or a date
not in YYYY-MM-DD) said 起始日期不能晚于截止日期 but put other dates in the fields (the default
window: 2026-10-02 for a typed 2026-12-05), so the message contradicted the fields, what was
typed was lost, and the numbers below read as those of the typed window. The fields now keep
what was typed and a note names the window the numbers are for."""

from __future__ import annotations

import re

from api_support import console_login
from fastapi.testclient import TestClient
from test_console_decide import HTML


def _value(page: str, field: str) -> str:
    found = re.search(rf'<input id="{field}" name="{field}" type="date" value="([^"]*)"', page)
    assert found is not None, page[:2000]
    return found.group(1)


def test_a_bad_kpi_window_keeps_what_was_typed_and_names_the_window_shown(
        client: TestClient) -> None:
    console_login(client, "read")
    for path in ("/", "/programme"):
        page = client.get(path + "?from=2026-12-05&to=2026-11-01", headers=HTML)
        assert page.status_code == 200
        assert "起始日期不能晚于截止日期" in page.text
        assert (_value(page.text, "from"), _value(page.text, "to")) == (
            "2026-12-05", "2026-11-01"), path
        note = re.search(r'id="window-note">([^<]*)<', page.text)
        assert note is not None, path
        assert re.fullmatch(r"日期有误，以下数字按 \d{4}-\d\d-\d\d 至 \d{4}-\d\d-\d\d 统计",
                            note.group(1)), note.group(1)
        bad = client.get(path + "?from=2026-13-01&to=2026-11-01", headers=HTML)
        assert _value(bad.text, "from") == "2026-13-01"
        assert "日期格式应为 YYYY-MM-DD" in bad.text and 'id="window-note"' in bad.text
        good = client.get(path + "?from=2026-01-01&to=2026-11-01", headers=HTML)
        assert _value(good.text, "from") == "2026-01-01"
        assert 'id="window-note"' not in good.text
