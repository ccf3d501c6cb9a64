"""A staff member's walk through the console pages in headless Chromium: what the page shows
must agree with the API, and a filter staff set must either apply or say why it does not."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from console_support import KEYS, Server
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from test_console_browser import heading, login, settle, wait_for

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


def test_a_mistyped_expert_id_keeps_the_assign_form(browser: WebDriver, server: Server) -> None:
    """服务团派单 with an expert or need id that does not exist left the form for a 未找到
    error page (the plan's inputs gone from the page); it now says so above the form."""
    login(browser, server, "write")
    cases = [({"experts": "E001 E999", "needs": "N001"}, "无法生成方案：没有编号为 E999 的专家"),
             ({"experts": "E001", "needs": "N001 N999"}, "无法生成方案：没有编号为 N999 的需求")]
    for fields, expected in cases:
        browser.get(server.url + "/plans/assign")
        browser.find_element(By.ID, "name").send_keys("质检服务团")
        for name, value in fields.items():
            browser.find_element(By.ID, name).send_keys(value)
        browser.find_element(By.ID, "make-plan").click()
        assert settle(browser, "p.error").text == expected
        assert heading(browser) == "服务团派单"
        assert browser.find_element(By.ID, "experts").get_attribute("value") == fields["experts"]


PAGES = ("/", "/needs", "/achievements", "/experts", "/needs?q=浆料", "/experts?q=电池",
         "/coverage", "/evaluation", "/needs/new", "/upload", "/plans/roadshow",
         "/plans/assign", "/programme", "/programme/events", "/programme/training",
         "/programme/cities", "/programme/teams")


def test_a_new_empty_home_answers_every_page_in_chinese(tmp_path: Path) -> None:
    """A home with nothing loaded yet: a search in 需求库 was a 503 page reading 索引尚未就绪
    （详情：no index for kind 'need'; run `techmatch index`）. Every page answers, in Chinese;
    a search of an empty library finds nothing."""
    home = tmp_path / "home"
    home.mkdir()
    srv = Server(home, tmp_path / "server.log").start()
    try:
        with httpx.Client(base_url=srv.url, timeout=60) as client:
            form = client.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert token is not None
            client.post("/login", data={"api_key": KEYS["admin"], "csrf_token": token[1]})
            for path in PAGES:
                page = client.get(path)
                assert page.status_code == 200, (path, page.text[-600:])
                main = re.sub(r"<[^>]+>", " ", page.text.split("<main", 1)[1])
                assert "详情" not in main and "Traceback" not in main, (path, main)
            listed = client.get("/needs?q=浆料").text
            assert re.search(r'id="result-summary">共 0 条<', listed), listed[-600:]
    finally:
        srv.stop()


def test_saving_a_roadshow_as_a_taken_event_id_keeps_the_plan_page(browser: WebDriver,
                                                                  server: Server) -> None:
    """路演方案 → 保存为活动 with an event id in use went to an error page reading
    活动编号：活动编号 RS-… 已存在 (the field named twice); the plan page now stays, its form
    keeping what was typed, and says 活动编号 RS-… 已存在，请换一个编号."""
    login(browser, server, "write")
    browser.get(server.url + "/plans/roadshow")
    Select(browser.find_element(By.ID, "city")).select_by_value("苏州")
    browser.find_element(By.ID, "make-plan").click()
    settle(browser, "#save-event")
    plan_url = browser.current_url
    for attempt in range(2):
        box = browser.find_element(By.ID, "rs-event-id")
        box.clear()
        box.send_keys("RS-WALK-01")
        browser.execute_script("arguments[0].value = '2027-03-01'",
                               browser.find_element(By.ID, "rs-event-date"))
        browser.find_element(By.ID, "save-event").click()
        if attempt == 0:
            wait_for(lambda: "/programme/events/RS-WALK-01" in browser.current_url)
            browser.get(plan_url)
    assert settle(browser, "#event-error").text == "活动编号 RS-WALK-01 已存在，请换一个编号"
    assert heading(browser).endswith("技术路演")
    assert browser.find_element(By.ID, "rs-event-id").get_attribute("value") == "RS-WALK-01"
    assert browser.find_element(By.ID, "rs-event-date").get_attribute("value") == "2027-03-01"


def test_saving_a_training_topic_as_a_taken_event_id_names_the_field_once(
        browser: WebDriver, server: Server) -> None:
    """培训策划 保存为培训活动 with an event id in use read 活动编号：活动编号 EV01 已存在."""
    login(browser, server, "write")
    browser.get(server.url + "/programme/training")
    Select(browser.find_element(By.ID, "city")).select_by_value("苏州")
    browser.find_element(By.ID, "make-training").click()
    topic = settle(browser, "section.training-topic")
    box = topic.find_element(By.CSS_SELECTOR, "input[name=event_id]")
    box.clear()
    box.send_keys("EV01")  # an event of the programme fixtures
    topic.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    # the planner's page has an h1 too: wait for the answer's instead of reading the old one
    wait_for(lambda: heading(browser) == "操作冲突")
    assert settle(browser, "p.error").text == "活动编号：EV01 已存在，请换一个编号"
