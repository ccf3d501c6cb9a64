"""What staff do in the console shows on 覆盖分析 and the 工作台 at once, not after the next
nightly batch: a need entered through 需求录入 is matched (it was 未计算), a candidate
rejected on its 匹配 page leaves its stored results, and a need closed as 需求已解决 leaves
the open-needs lists. The stored rows are what matching the need alone gives."""

from __future__ import annotations

import re

import pytest
from console_support import Server
from console_support import admin_api as _api
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from test_console_browser import drop_docking, heading, login, settle, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("console")]
NEED = "N-LIVE-1"
K = 5  # the sample home's batch (console_support.build_sample_home)


def _stored(server: Server, kind: str) -> list[tuple[str, float]]:
    hits = _api(server, "GET", f"/v1/batch/results/{NEED}").json()
    return [(h["candidate_id"], h["confidence"]) for h in hits if h["kind"] == kind]


def _alone(server: Server, kind: str) -> list[tuple[str, float]]:
    found = _api(server, "GET", f"/v1/match/needs/{NEED}?target={kind}&k={K}&explain=false")
    return [(h["id"], h["confidence"]) for h in found.json()["hits"]]


def _same_as_alone(server: Server) -> None:
    for kind in ("achievement", "expert"):
        got, want = _stored(server, kind), _alone(server, kind)
        assert [c for c, _ in got] == [c for c, _ in want], kind
        assert all(abs(a - b) <= 1e-6 for (_, a), (_, b) in zip(got, want, strict=True))


def _coverage_cell(browser: WebDriver, server: Server) -> str | None:
    """The 最高置信度 cell of NEED in 覆盖分析's unmatched list (None: not listed)."""
    browser.get(server.url + "/coverage")
    assert heading(browser) == "覆盖分析"
    for row in browser.find_elements(By.CSS_SELECTOR, "tr"):
        if row.find_elements(By.CSS_SELECTOR, f'a[href="/needs/{NEED}/match"]'):
            return str(row.find_element(By.CSS_SELECTOR, "td.num").text)
    return None


def _best(server: Server) -> float:
    return max(c for kind in ("achievement", "expert") for _, c in _stored(server, kind))


def _open_count(browser: WebDriver, server: Server) -> int:
    browser.get(server.url + "/")
    return int(settle(browser, "#open-needs").text)


def _reject(browser: WebDriver, server: Server, candidate: str, reason: str) -> None:
    browser.get(server.url + f"/needs/{NEED}/match")
    card = settle(browser, f'article.hit[data-candidate="{candidate}"]')
    card.find_element(By.CSS_SELECTOR, "details.reject summary").click()
    Select(card.find_element(By.CSS_SELECTOR, "select[name=reason]")).select_by_value(reason)
    card.find_element(By.CSS_SELECTOR, "details.reject button[type=submit]").click()
    assert "已拒绝" in settle(browser, ".flash").text


def test_a_need_entered_rejected_and_closed_shows_at_once(browser: WebDriver,
                                                          server: Server) -> None:
    login(browser, server, "write")
    opened = _open_count(browser, server)
    browser.get(server.url + "/needs/new")
    ident = browser.find_element(By.ID, "f-id")
    ident.clear()
    ident.send_keys(NEED)
    browser.find_element(By.ID, "f-title").send_keys("陶瓷釉面针孔缺陷的成因分析与工艺改进")
    browser.find_element(By.ID, "f-city").send_keys("景德镇")
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    wait_for(lambda: browser.current_url.endswith(f"/needs/{NEED}?done=created"))
    # matched at once (before: no stored results, listed as 未计算 until the next batch)
    assert _stored(server, "achievement") and _stored(server, "expert")
    _same_as_alone(server)
    cell = _coverage_cell(browser, server)
    assert cell is None or cell == "%.0f%%" % (_best(server) * 100), cell
    assert _open_count(browser, server) == opened + 1
    # the best achievement rejected as 不相关 on its 匹配 page: gone from the stored results
    top = _stored(server, "achievement")[0][0]
    _reject(browser, server, top, "not_relevant")
    assert top not in {c for c, _ in _stored(server, "achievement")}
    _same_as_alone(server)
    cell = _coverage_cell(browser, server)
    assert cell is None or cell == "%.0f%%" % (_best(server) * 100), cell
    # another rejected as 需求已解决: the need is closed and leaves the open lists at once
    other = _stored(server, "achievement")[0][0]
    _reject(browser, server, other, "already_solved")
    assert _open_count(browser, server) == opened
    page = browser.page_source
    assert not re.search(rf'href="/needs/{NEED}"', page)  # not on the 无合适匹配 list
    assert _coverage_cell(browser, server) is None


def test_a_drop_on_the_docking_page_leaves_the_stored_results_at_once(browser: WebDriver,
                                                                      server: Server) -> None:
    """对接 page, 推进 / 终止 → 终止 as 不相关: the pair is never suggested again, and the
    need's stored results (工作台, 覆盖分析) lose it at once, as the 匹配 page's 拒绝 does."""
    need = "N-LIVE-2"
    made = _api(server, "POST", "/v1/needs", json={
        "id": need, "title": "锂电池热失控早期预警与电池管理系统", "city": "深圳"})
    assert made.status_code in (200, 201), made.text
    hits = _api(server, "GET", f"/v1/batch/results/{need}").json()
    top = next(h["candidate_id"] for h in hits if h["kind"] == "achievement")
    docking = _api(server, "POST", "/v1/dockings", json={"need_id": need, "candidate_id": top})
    assert docking.status_code == 201, docking.text
    did = docking.json()["id"]
    login(browser, server, "write")
    drop_docking(browser, server, did, reason="not_relevant")
    assert settle(browser, ".flash").text == "已更新"
    hits = _api(server, "GET", f"/v1/batch/results/{need}").json()
    stored = [h["candidate_id"] for h in hits if h["kind"] == "achievement"]
    alone = _api(server, "GET", f"/v1/match/needs/{need}?k={K}&explain=false").json()["hits"]
    assert top not in stored and stored == [h["id"] for h in alone]
