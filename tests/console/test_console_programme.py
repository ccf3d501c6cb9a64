"""The console's programme pages (项目看板, 活动, 培训策划) in headless Chromium against
`techmatch serve` on the samples with the programme fixtures (data/samples/programme)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from console_support import Server
from openpyxl import load_workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from test_console_browser import CONFIDENTIAL, _find, heading, login, settle, shoot, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("console")]
__all__ = ["shoot"]  # the screenshot fixture, shared with the console's other browser tests
WINDOW = "from=2026-01-01&to=2026-12-31"  # the sample events, targets and milestones' year


def _cell(driver: WebDriver, city: str, metric: str) -> tuple[str, str]:
    cell = settle(driver, f'td.kpi[data-city="{city}"][data-metric="{metric}"]')
    return (cell.find_element(By.CSS_SELECTOR, ".actual").text,
            cell.find_element(By.CSS_SELECTOR, ".target").text)


def test_dashboard_shows_actual_against_target_and_exports(
        browser: WebDriver, server: Server, downloads: Path,
        shoot: Callable[[str], Path]) -> None:
    login(browser, server, "read")
    nav = {a.text for a in _find(browser, "header.top nav a")}
    assert {"项目看板", "活动"} <= nav and "培训策划" not in nav
    browser.get(server.url + f"/programme?{WINDOW}")
    assert heading(browser) == "项目看板"
    # targets.csv: 苏州 2026 培训场次 3, 服务团队 2; events.csv: EV01 (苏州, 培训, held)
    assert _cell(browser, "苏州", "events.training") == ("1", "3")
    assert _cell(browser, "苏州", "teams_formed")[1] == "2"
    assert _cell(browser, "全国", "events")[0] == "4"  # EV01..EV04, none cancelled
    charts = _find(browser, "svg.target-bars")
    assert len(charts) == 6  # teams, roadshows, trainings, enterprises, signed, deal value
    assert len(charts[2].find_elements(By.CSS_SELECTOR, "line.target")) == 1  # 苏州's trainings
    overdue = browser.find_element(By.ID, "overdue-milestones").text
    shoot("programme-dashboard")
    browser.get(server.url + f"/programme/events?{WINDOW}")
    assert heading(browser) == "活动"
    ids = [a.text for a in _find(browser, "table.events tbody td:first-child a")]
    assert {"EV01", "EV02", "EV03", "EV04"} <= set(ids)
    late = _find(browser, "table.milestones tr.overdue")
    assert "M02" in " ".join(r.text for r in late)  # due 2026-07-31, not done
    assert str(len(late)) == overdue  # every milestone is overdue-checked as of today
    assert "M01" not in " ".join(r.text for r in late)  # done before its due date
    shoot("programme-events")
    browser.get(server.url + "/programme/cities")
    assert heading(browser) == "试点城市"
    rows = {r.find_elements(By.TAG_NAME, "td")[0].text: r.text
            for r in _find(browser, "table.registry tbody tr")}
    assert "第1批" in rows["苏州"] and "第2批" in rows["成都"]
    browser.get(server.url + "/programme/teams")
    assert heading(browser) == "服务团队"
    assert "T01" in {r.find_elements(By.TAG_NAME, "td")[0].text
                     for r in _find(browser, "table.registry tbody tr")}
    browser.get(server.url + f"/programme?{WINDOW}")
    before = set(downloads.glob("programme-*.xlsx"))
    browser.find_element(By.ID, "programme-xlsx").click()
    wait_for(lambda: any(p.stat().st_size > 0 for p in set(downloads.glob("programme-*.xlsx"))
                         - before))
    book = load_workbook(next(iter(set(downloads.glob("programme-*.xlsx")) - before)))
    rows = list(book["城市指标"].iter_rows(values_only=True))
    assert rows[0][:3] == ("城市", "试点批次", "指标")
    assert ("苏州", 1, "培训场次", "events.training", 1, 3) in [r[:6] for r in rows[1:]]


def test_training_planner_proposes_and_saves_a_topic(browser: WebDriver, server: Server,
                                                     shoot: Callable[[str], Path]) -> None:
    login(browser, server, "write")
    browser.get(server.url + "/programme/training")
    assert heading(browser) == "培训策划"
    Select(browser.find_element(By.ID, "city")).select_by_value("苏州")
    browser.find_element(By.ID, "make-training").click()
    settle(browser, "section.training-topic")
    topics = _find(browser, "section.training-topic")
    # a topic's notes explain the plan (experts left out and why): shown as notes, not errors
    notes = [p.text for t in topics for p in t.find_elements(By.CSS_SELECTOR, "p.note")]
    assert notes and all(n.startswith("说明：") for n in notes), notes
    assert not [p.text for t in topics for p in t.find_elements(By.CSS_SELECTOR, "p.error")]
    taught = [t for t in topics if t.find_elements(By.CSS_SELECTOR,
                                                   "table.topic-experts tbody a")]
    assert taught, "no topic with an expert whose works match"
    topic = taught[0]
    title = topic.find_element(By.CSS_SELECTOR, "h3.topic-title").text
    experts = [a.text for a in topic.find_elements(By.CSS_SELECTOR,
                                                   "table.topic-experts tbody a")]
    assert title.startswith("新材料产业：") or "：" in title
    reasons = topic.find_elements(By.CSS_SELECTOR, "table.topic-experts tbody td:last-child")
    assert all("相关成果" in r.text for r in reasons)
    shoot("programme-training")
    event_id = topic.find_element(By.CSS_SELECTOR, "input[name=event_id]")
    event_id.clear()
    event_id.send_keys("TR-CONSOLE-01")
    browser.execute_script("arguments[0].value = '2027-01-15'",
                           topic.find_element(By.CSS_SELECTOR, "input[name=date]"))
    topic.find_element(By.CSS_SELECTOR, "button.save-training").click()
    wait_for(lambda: "/programme/events/TR-CONSOLE-01" in browser.current_url)
    assert settle(browser, ".flash").text == "已保存为活动"
    assert heading(browser).startswith("活动 TR-CONSOLE-01：培训·苏州·")
    trainers = [r.find_elements(By.TAG_NAME, "td")[1].text
                for r in _find(browser, "table.participants tbody tr")
                if r.find_elements(By.TAG_NAME, "td")[0].text == "培训专家"]
    assert trainers == experts
    # A read key: no planner in the menu, the page and its save refused, no write button.
    cookie_write = browser.get_cookie("tm_session")["value"]
    login(browser, server, "read")
    assert "培训策划" not in {a.text for a in _find(browser, "header.top nav a")}
    browser.get(server.url + "/programme/events/TR-CONSOLE-01")
    assert heading(browser).startswith("活动 TR-CONSOLE-01")
    assert not _find(browser, "main form, main button")
    assert not set(CONFIDENTIAL) & {a.text for a in _find(browser, "table.participants a")}
    page = browser.find_element(By.TAG_NAME, "main").text  # no reason cites one either
    assert not [n for n in CONFIDENTIAL if n in page], page
    browser.get(server.url + "/programme/training")
    assert heading(browser) == "没有权限"
    token = browser.execute_script(
        "return document.querySelector('input[name=csrf_token]').value")
    answer = httpx.post(server.url + "/programme/training/save",
                        data={"csrf_token": token, "topic": "{}", "event_id": "TR-READ",
                              "date": "2027-01-16"},
                        cookies={"tm_session": browser.get_cookie("tm_session")["value"]},
                        follow_redirects=False)
    assert answer.status_code == 403
    again = httpx.post(server.url + "/programme/training/save",
                       data={"topic": "{}", "event_id": "TR-NOCSRF", "date": "2027-01-16"},
                       cookies={"tm_session": cookie_write}, follow_redirects=False)
    assert again.status_code == 403  # the write key without the CSRF token


def test_roadshow_plan_becomes_an_event_whose_invitations_become_dockings(
        browser: WebDriver, server: Server, shoot: Callable[[str], Path]) -> None:
    login(browser, server, "write")
    browser.get(server.url + "/plans/roadshow")
    Select(browser.find_element(By.ID, "city")).select_by_value("苏州")
    slots = browser.find_element(By.ID, "slots")
    slots.clear()
    slots.send_keys("1")
    browser.find_element(By.ID, "make-plan").click()
    settle(browser, "#save-event")
    invited = {a.text for a in _find(browser, "section.roadshow-item tbody td:nth-child(2) a")}
    assert invited
    event_id = browser.find_element(By.ID, "rs-event-id")
    event_id.clear()
    event_id.send_keys("RS-CONSOLE-01")
    browser.execute_script("arguments[0].value = '2027-02-01'",
                           browser.find_element(By.ID, "rs-event-date"))
    browser.find_element(By.ID, "save-event").click()
    wait_for(lambda: "/programme/events/RS-CONSOLE-01" in browser.current_url)
    assert settle(browser, ".flash").text == "已保存为活动"
    rows = _find(browser, "table.participants tbody tr")
    needs = {r.find_elements(By.TAG_NAME, "td")[2].text for r in rows
             if r.find_elements(By.TAG_NAME, "td")[0].text == "受邀企业"}
    assert needs == invited
    cells = [[td.text for td in r.find_elements(By.TAG_NAME, "td")] for r in rows]
    assert all(c[6].startswith("与需求“") for c in cells if c[0] == "受邀企业")  # in Chinese
    assert all("无利益冲突" in c[6] for c in cells if c[0] == "路演/主讲专家")
    pending = browser.find_element(By.ID, "record-dockings").text
    assert pending == f"把 {len(invited)} 个邀请转为对接"
    login(browser, server, "read")  # a read key sees the event but no write button
    browser.get(server.url + "/programme/events/RS-CONSOLE-01")
    assert heading(browser).startswith("活动 RS-CONSOLE-01")
    assert not _find(browser, "#record-dockings") and not _find(browser, "main form")
    login(browser, server, "write")
    browser.get(server.url + "/programme/events/RS-CONSOLE-01")
    browser.find_element(By.ID, "record-dockings").click()
    wait_for(lambda: "done=dockings" in browser.current_url)
    assert settle(browser, ".flash").text == "邀请已转为对接"
    links = [a.get_attribute("href") for a in
             _find(browser, "table.participants tbody td:nth-child(6) a")]
    assert len(links) == len(invited) and all("/dockings/" in h for h in links)
    assert not _find(browser, "#record-dockings")  # nothing left to turn into a docking
    shoot("programme-event")
    browser.get(links[0])
    assert heading(browser).startswith("对接 ")
