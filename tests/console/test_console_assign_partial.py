"""服务团派单 in headless Chromium: a need no expert may serve (every expert below the minimum
confidence) no longer leaves the whole plan empty. The page shows the plan of the needs that
can be covered and lists the uncovered need with why; the XLSX has the same list."""

from __future__ import annotations

from pathlib import Path

import pytest
from console_support import Server
from openpyxl import load_workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from test_console_browser import login, settle, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("console")]


def test_the_plan_page_shows_the_partial_plan_and_the_uncovered_need(
        browser: WebDriver, server: Server, downloads: Path) -> None:
    login(browser, server, "write")
    browser.get(server.url + "/plans/assign")
    browser.find_element(By.ID, "name").send_keys("部分覆盖服务团")
    browser.find_element(By.ID, "experts").send_keys("E001 E002")
    browser.find_element(By.ID, "needs").send_keys("N001 N020")  # N020: both below 0.35
    browser.find_element(By.ID, "make-plan").click()
    settle(browser, "#save-plan")
    status = browser.find_element(By.CSS_SELECTOR, "p.muted").text
    assert status.startswith("部分方案"), status
    rows = browser.find_elements(By.CSS_SELECTOR, "section.uncovered tbody tr")
    assert [r.get_attribute("data-reason") for r in rows] == ["no_eligible_expert"]
    assert rows[0].text.startswith("N020 ")
    assert ("没有可分配的专家（至少需要 1 位，可分配的专家 0 位）；低于最低置信度 2 位"
            in rows[0].text)
    heading = browser.find_element(By.ID, "uncovered-h").text
    assert heading == "无法覆盖的需求（1 条，其余需求照常派单）"
    assigned = browser.find_elements(By.CSS_SELECTOR, "table tbody a[href^='/experts/']")
    assert {a.text for a in assigned} == {"E001", "E002"}  # N001's experts are planned
    browser.find_element(By.ID, "download-xlsx").click()
    wait_for(lambda: any(p.stat().st_size > 0 for p in downloads.glob("部分覆盖服务团*.xlsx")))
    book = load_workbook(next(downloads.glob("部分覆盖服务团*.xlsx")))
    left = list(book["无法覆盖的需求"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[2], r[4]) for r in left] == [("N020", "没有可分配的专家",
                                                   "no_eligible_expert")]
    assert {r[0] for r in book["分配结果"].iter_rows(min_row=2, values_only=True)} == {"N001"}
