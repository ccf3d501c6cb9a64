"""A staff member's walk through the console pages in headless Chromium: what the page shows
must agree with the API, and a filter staff set must either apply or say why it does not."""

from __future__ import annotations

import httpx
import pytest
from console_support import KEYS, Server
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from test_console_browser import heading, login, settle

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("console")]
REVERSED = "起始日期不能晚于截止日期"


def _api(server: Server, path: str) -> httpx.Response:
    return httpx.get(server.url + path, headers={"X-API-Key": KEYS["write"]}, timeout=60)


def test_a_start_after_the_end_is_named_and_the_range_left_out(browser: WebDriver,
                                                               server: Server) -> None:
    """覆盖分析, 需求库 and 活动 with 起 after 止 showed 0 everywhere and said nothing."""
    login(browser, server, "write")
    totals = _api(server, "/v1/stats/coverage").json()["totals"]
    browser.get(server.url + "/coverage?from=2026-05-01&to=2026-01-01")
    assert heading(browser) == "覆盖分析"
    assert settle(browser, "#err-from").text == REVERSED
    tiles = [t.text for t in browser.find_elements(By.CSS_SELECTOR, ".tiles .tile .n")]
    assert tiles[:3] == [str(totals["open_needs"]), str(totals["suggested"]),
                         str(totals["unmatched"])], (tiles, totals)
    browser.get(server.url + "/needs?from=2026-05-01&to=2026-01-01")
    assert heading(browser) == "需求库"
    assert settle(browser, "#err-from").text == REVERSED
    listed = _api(server, "/v1/needs?limit=1").json()
    assert settle(browser, "#result-summary").text == f"共 {listed['total']} 条"
    browser.get(server.url + "/programme/events?from=2026-12-31&to=2026-01-01")
    assert heading(browser) == "活动"
    assert settle(browser, "#err-from").text == REVERSED
    events = "table.events tbody a[href^='/programme/events/']"
    assert browser.find_elements(By.CSS_SELECTOR, events)  # every event, no range applied
