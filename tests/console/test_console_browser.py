"""The staff console in a real headless Chromium against `techmatch serve` on the samples."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from console_support import KEYS, Server
from openpyxl import load_workbook
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("console")]
CONFIDENTIAL = ("N010", "N029", "N031", "N037")  # confidential in data/samples/needs.jsonl


def _find(driver: WebDriver, css: str) -> list:  # type: ignore[type-arg]
    return driver.find_elements(By.CSS_SELECTOR, css)


def heading(driver: WebDriver) -> str:
    """The page's h1 once the page has settled (retries while a navigation replaces it)."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return str(driver.find_element(By.TAG_NAME, "h1").text)
        except WebDriverException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def settle(driver: WebDriver, css: str) -> WebElement:
    """The first element matching `css`, waiting while a navigation finishes."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return driver.find_element(By.CSS_SELECTOR, css)
        except WebDriverException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def login(driver: WebDriver, server: Server, role: str) -> None:
    driver.delete_all_cookies()
    driver.get(server.url + "/login")
    driver.find_element(By.ID, "api_key").send_keys(KEYS[role])
    driver.find_element(By.CSS_SELECTOR, ".login button[type=submit]").click()
    wait_for(lambda: "/login" not in driver.current_url)
    assert heading(driver) == "工作台"


def drop_docking(driver: WebDriver, server: Server, did: str, *, note: str = "",
                 reason: str = "", reason_note: str = "", submit: bool = True) -> None:
    """On the docking's page, 推进 / 终止 → 终止: the move note, the reason (a code:
    not_relevant, other …) and its note when given, then 提交 unless `submit` is False (the
    form is left filled in, open)."""
    driver.get(server.url + f"/dockings/{did}")
    settle(driver, "details.move summary").click()
    Select(driver.find_element(By.ID, f"to-{did}")).select_by_value("dropped")
    if note:
        driver.find_element(By.ID, f"mnote-{did}").send_keys(note)
    if reason:
        Select(driver.find_element(By.ID, f"reason-{did}")).select_by_value(reason)
    if reason_note:
        driver.find_element(By.ID, f"rnote-{did}").send_keys(reason_note)
    if submit:
        driver.find_element(By.CSS_SELECTOR, "details.move form button[type=submit]").click()


@pytest.fixture()
def shoot(browser: WebDriver, shots: Path) -> Callable[[str], Path]:
    def take(name: str) -> Path:
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.set_window_size(1360, min(max(int(height) + 40, 700), 6000))
        path = shots / f"{name}.png"
        browser.save_screenshot(str(path))
        browser.set_window_size(1360, 1000)
        return path
    return take


def wait_for(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def test_login_refuses_a_bad_key_and_admits_a_good_one(browser: WebDriver, server: Server,
                                                      shoot: Callable[[str], Path]) -> None:
    browser.delete_all_cookies()
    browser.get(server.url + "/")
    assert "/login" in browser.current_url  # no session: sent to the login page
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    browser.find_element(By.ID, "api_key").send_keys("not-a-key")
    browser.find_element(By.CSS_SELECTOR, ".login button[type=submit]").click()
    assert settle(browser, "#login-error").text == "密钥无效，请检查后重试"
    assert browser.get_cookie("tm_session") is None
    shoot("login-refused")
    login(browser, server, "write")
    cookie = browser.get_cookie("tm_session")
    assert cookie is not None and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert _find(browser, "#open-needs")[0].text == "43"  # open sample needs
    shoot("dashboard")
    browser.find_element(By.CSS_SELECTOR, "form.logout button").click()  # 退出
    wait_for(lambda: "/login" in browser.current_url)
    assert browser.get_cookie("tm_session") is None
    again = httpx.get(server.url + "/", cookies={"tm_session": cookie["value"]},
                      follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/login")


def test_search_box_ranks_matching_needs(browser: WebDriver, server: Server,
                                         shoot: Callable[[str], Path]) -> None:
    login(browser, server, "write")
    browser.get(server.url + "/needs")
    box = browser.find_element(By.ID, "q")
    box.send_keys("锂电池隔膜 浆料")
    box.submit()
    wait_for(lambda: "q=" in browser.current_url)
    summary = settle(browser, "#result-summary").text
    assert summary.startswith("按“锂电池隔膜 浆料”检索到")
    first_ids = [a.text for a in _find(browser, "table.records tbody tr td:first-child a")][:2]
    assert set(first_ids) == {"N001", "N005"}  # the same battery-separator problem, posted twice
    shoot("needs-search")
    Select(browser.find_element(By.ID, "f-city")).select_by_value("深圳")
    browser.find_element(By.ID, "q").clear()
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    wait_for(lambda: "city=" in browser.current_url)
    # the URL changes before the new page replaces the old rows: wait for the unranked list
    def unranked() -> bool:
        try:
            return str(browser.find_element(By.ID, "result-summary").text).startswith("共 ")
        except WebDriverException:  # the old page went away between find and read
            return False
    wait_for(unranked)
    cities = {row.find_elements(By.TAG_NAME, "td")[3].text
              for row in _find(browser, "table.records tbody tr")}
    assert cities == {"深圳"}


def test_match_accept_creates_a_docking(browser: WebDriver, server: Server,
                                        shoot: Callable[[str], Path]) -> None:
    login(browser, server, "write")
    browser.get(server.url + "/needs/N002/match")
    first = _find(browser, "article.hit")[0]
    candidate = first.get_attribute("data-candidate")
    assert _find(first, "mark"), "matched terms are highlighted"
    assert _find(first, "svg.bar"), "each signal's contribution is drawn"
    shoot("match")
    first.find_element(By.CSS_SELECTOR, "button.accept").click()
    assert "已采纳" in settle(browser, ".flash").text
    browser.get(server.url + "/dockings")
    cards = [c.text for c in _find(browser, ".card")]
    assert any("N002" in text and candidate in text for text in cards), cards
    shoot("dockings")


def test_reject_with_reason_removes_the_pair(browser: WebDriver, server: Server,
                                             shoot: Callable[[str], Path]) -> None:
    login(browser, server, "write")
    browser.get(server.url + "/needs/N003/match")
    first = _find(browser, "article.hit")[0]
    candidate = first.get_attribute("data-candidate")
    first.find_element(By.CSS_SELECTOR, "details.reject summary").click()
    Select(first.find_element(By.CSS_SELECTOR, "select[name=reason]")).select_by_visible_text(
        "不相关")
    first.find_element(By.CSS_SELECTOR, "details.reject button[type=submit]").click()
    assert "已拒绝" in settle(browser, ".flash").text
    shown = [a.get_attribute("data-candidate") for a in _find(browser, "article.hit")]
    assert candidate not in shown and len(shown) > 0
    browser.get(server.url + "/needs/N003/match")  # and it stays gone
    assert candidate not in [a.get_attribute("data-candidate")
                             for a in _find(browser, "article.hit")]


def test_upload_reports_bad_rows(browser: WebDriver, server: Server, downloads: Path,
                                 tmp_path: Path, shoot: Callable[[str], Path]) -> None:
    csv = tmp_path / "needs-upload.csv"
    csv.write_text("编号,需求标题,需求描述,城市\n"
                   "U001,高速电机轴承温升过高,需要降低轴承温升的润滑方案,苏州\n"
                   "U 002,编号里有空格,描述,杭州\n"
                   "U003,,,杭州\n", encoding="utf-8")
    login(browser, server, "write")
    browser.get(server.url + "/upload")
    Select(browser.find_element(By.ID, "kind")).select_by_value("need")
    browser.find_element(By.ID, "file").send_keys(str(csv))
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    assert settle(browser, "#rows-read").text == "3"
    assert browser.find_element(By.ID, "rows-loaded").text == "1"
    assert browser.find_element(By.ID, "rows-rejected").text == "2"
    rows = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in _find(browser, "#row-errors tbody tr")]
    assert {r[0] for r in rows} == {"3", "4"}  # file rows (the header is row 1)
    assert any(r[1] == "编号" for r in rows if r[0] == "3")
    shoot("upload-report")
    link = browser.find_element(By.ID, "rejects-link")
    link.click()
    target = downloads / "needs-upload.csv.rejects.jsonl"
    wait_for(target.exists)
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [line["row"] for line in lines] == [3, 4]


def test_roadshow_plan_downloads_as_xlsx(browser: WebDriver, server: Server, downloads: Path,
                                         shoot: Callable[[str], Path]) -> None:
    login(browser, server, "write")
    browser.get(server.url + "/plans/roadshow")
    Select(browser.find_element(By.ID, "city")).select_by_value("苏州")
    slots = browser.find_element(By.ID, "slots")
    slots.clear()
    slots.send_keys("2")
    browser.find_element(By.ID, "make-plan").click()
    settle(browser, "#save-plan")
    items = _find(browser, "section.roadshow-item")
    assert 1 <= len(items) <= 2
    titles = [i.find_element(By.CSS_SELECTOR, "a.t").text.split()[0] for i in items]
    browser.find_element(By.ID, "save-plan").click()
    assert settle(browser, ".flash").text == "方案已保存"
    shoot("roadshow-plan")
    plan_id = browser.current_url.rsplit("/", 1)[-1].split("?")[0]
    assert plan_id.startswith("roadshow-")
    browser.find_element(By.ID, "download-xlsx").click()
    wait_for(lambda: any(p.stat().st_size > 0 for p in downloads.glob("*技术路演.xlsx")))
    target = next(downloads.glob("*技术路演.xlsx"))  # named after the plan's title
    sheet = load_workbook(target)["路演成果"]
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == titles


def test_read_key_sees_no_confidential_need_and_no_write_button(
        browser: WebDriver, server: Server, shoot: Callable[[str], Path]) -> None:
    def listed() -> set[str]:
        ids: set[str] = set()
        for page in (1, 2, 3, 4):
            browser.get(server.url + f"/needs?page={page}")
            ids |= {a.text for a in _find(browser, "table.records tbody tr td:first-child a")}
        return ids

    login(browser, server, "admin")
    assert set(CONFIDENTIAL) <= listed()  # an admin sees them
    browser.get(server.url + f"/needs/{CONFIDENTIAL[0]}")
    assert _find(browser, ".tag.secret")
    login(browser, server, "read")
    shown = listed()
    assert not set(CONFIDENTIAL) & shown and {f"N00{i}" for i in range(1, 10)} <= shown
    browser.get(server.url + f"/needs/{CONFIDENTIAL[0]}")
    assert heading(browser) == "未找到"
    nav = {a.text for a in _find(browser, "header.top nav a")}
    assert "需求库" in nav and not nav & {"需求录入", "批量导入", "路演策划", "服务团派单"}
    browser.get(server.url + "/needs/N002/match")
    assert _find(browser, "article.hit") and not _find(browser, "button.accept")
    assert not _find(browser, "details.reject")
    shoot("match-read-key")
    # The server refuses a read key's write even with a valid session and CSRF token.
    token = browser.execute_script(
        "return document.querySelector('input[name=csrf_token]').value")
    cookie = browser.get_cookie("tm_session")["value"]
    answer = httpx.post(server.url + "/needs/N002/match/accept",
                        data={"csrf_token": token, "candidate_id": "A003",
                              "target": "achievement"},
                        cookies={"tm_session": cookie}, follow_redirects=False)
    assert answer.status_code == 403


def test_form_post_without_csrf_token_is_refused(browser: WebDriver, server: Server,
                                                 shoot: Callable[[str], Path]) -> None:
    login(browser, server, "write")
    browser.get(server.url + "/needs/N004/match")
    first = _find(browser, "article.hit")[0]
    candidate = first.get_attribute("data-candidate")
    browser.execute_script(
        "document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    first.find_element(By.CSS_SELECTOR, "button.accept").click()
    wait_for(lambda: browser.current_url.endswith("/match/accept"))
    assert heading(browser) == "没有权限"
    assert "CSRF" in browser.find_element(By.CSS_SELECTOR, "p.error").text
    shoot("csrf-refused")
    cookie = browser.get_cookie("tm_session")["value"]
    answer = httpx.post(server.url + "/needs/N004/match/accept",
                        data={"candidate_id": candidate, "target": "achievement"},
                        cookies={"tm_session": cookie}, follow_redirects=False)
    assert answer.status_code == 403
    browser.get(server.url + "/needs/N004/match")
    accepted = [a.get_attribute("data-candidate") for a in _find(browser, "article.hit")
                if a.find_elements(By.CSS_SELECTOR, ".tag.accepted")]
    assert candidate not in accepted  # nothing was recorded


def test_coverage_and_other_pages_render(browser: WebDriver, server: Server,
                                         shoot: Callable[[str], Path]) -> None:
    login(browser, server, "admin")
    browser.get(server.url + "/coverage")
    cells = _find(browser, "svg.heat rect")
    assert len(cells) >= 8 * 10 and len(cells) % 8 == 0  # 8 cities × (10 industries + any new)
    titles = browser.execute_script(
        "return [...document.querySelectorAll('svg.heat rect title')].map(t => t.textContent)")
    assert any(t.startswith("苏州 · 新材料：未匹配 ") and "/ 待匹配 2，" in t for t in titles)
    shoot("coverage")
    browser.get(server.url + "/evaluation")
    report = settle(browser, "section.eval-report")
    assert report.find_element(By.TAG_NAME, "h2").text == "tiny-zh · dev"
    configs = [row.find_elements(By.TAG_NAME, "td")[0].text
               for row in report.find_elements(By.CSS_SELECTOR, "div.charts table tbody tr")]
    assert configs == ["关键词检索 lexical", "语义检索 dense", "混合检索（RRF 融合） hybrid-rrf"]
    assert report.find_elements(By.CSS_SELECTOR, "svg.bars rect")
    shoot("evaluation")
    for path, title in (("/achievements", "成果库"), ("/experts", "专家库"),
                        ("/needs/new", "需求录入"), ("/plans/assign", "服务团派单")):
        browser.get(server.url + path)
        assert heading(browser) == title
        shoot(path.strip("/").replace("/", "-"))


def test_docking_moves_on_the_board_and_keeps_history(browser: WebDriver, server: Server,
                                                      shoot: Callable[[str], Path]) -> None:
    login(browser, server, "write")
    browser.get(server.url + "/needs/N007/match")
    first = _find(browser, "article.hit")[0]
    candidate = first.get_attribute("data-candidate")
    first.find_element(By.CSS_SELECTOR, "button.accept").click()
    settle(browser, ".flash")
    browser.get(server.url + "/dockings?need=N007")
    card = settle(browser, ".column[aria-labelledby=col-suggested] .card")
    docking_id = card.get_attribute("id").removeprefix("docking-")
    card.find_element(By.CSS_SELECTOR, "details.move summary").click()
    Select(card.find_element(By.CSS_SELECTOR, "select[name=to]")).select_by_visible_text("已联系")
    card.find_element(By.CSS_SELECTOR, "input[name=note]").send_keys("已电话联系企业")
    card.find_element(By.CSS_SELECTOR, "details.move button[type=submit]").click()
    wait_for(lambda: "done=" in browser.current_url)
    moved = settle(browser, f"#docking-{docking_id}")
    assert moved.find_element(By.XPATH, "ancestor::section").get_attribute(
        "aria-labelledby") == "col-contacted"
    assert candidate in moved.text
    browser.get(server.url + f"/dockings/{docking_id}")
    history = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
               for tr in _find(browser, "table tbody tr")]
    assert [h[2] for h in history] == ["推荐", "推荐 → 已联系"]
    assert history[1][3] == "已电话联系企业"
    shoot("docking-history")
    # A move from a stale page (version 1, now 2) answers a Chinese conflict page.
    token = browser.execute_script(
        "return document.querySelector('input[name=csrf_token]').value")
    stale = httpx.post(server.url + f"/dockings/{docking_id}/move",
                       data={"csrf_token": token, "to": "confirmed", "version": "1"},
                       cookies={"tm_session": browser.get_cookie("tm_session")["value"]},
                       follow_redirects=False)
    assert stale.status_code == 409
    assert f"对接 {docking_id} 已被他人更新，现处于「已联系」阶段" in stale.text, stale.text


def test_route_to_staff_banner_follows_the_api(browser: WebDriver, server: Server) -> None:
    login(browser, server, "admin")
    for need in ("N002", "N048", "N010"):
        api = httpx.get(server.url + f"/v1/match/needs/{need}?target=expert&k=10",
                        headers={"X-API-Key": KEYS["admin"]}, timeout=60).json()
        browser.get(server.url + f"/needs/{need}/match?target=expert")
        settle(browser, "h1")
        banner = _find(browser, "#route-banner")
        assert bool(banner) == api["routed_to_staff"], need
        shown = [a.get_attribute("data-candidate") for a in _find(browser, "article.hit")]
        assert shown == [h["id"] for h in api["hits"]]
        # N010's confident expert declared its enterprise in his exclusions: the banner says
        # the confident candidates cannot dock, not that confidence is low
        blocked = str(api["message"] or "").startswith("可信的候选均不宜对接")
        assert blocked == (need == "N010"), (need, api["message"])
        if banner:
            assert banner[0].text.startswith(
                "可信的候选均不宜对接" if blocked else "无合适匹配"), (need, banner[0].text)


def test_conflict_badges_follow_the_api(browser: WebDriver, server: Server) -> None:
    """An enterprise's own result and an expert employed by it are marked as in the API."""
    login(browser, server, "admin")
    marked = 0
    for need, target in (("N001", "expert"), ("N015", "achievement")):
        api = httpx.get(server.url + f"/v1/match/needs/{need}?target={target}&k=10",
                        headers={"X-API-Key": KEYS["admin"]}, timeout=60).json()
        want = {h["id"]: h["conflict_label"] for h in api["hits"] if h["conflict"]}
        browser.get(server.url + f"/needs/{need}/match?target={target}")
        settle(browser, "h1")
        tagged = {a.get_attribute("data-candidate"): tags[0]
                  for a in _find(browser, "article.hit")
                  if (tags := a.find_elements(By.CSS_SELECTOR, ".tag.conflict"))}
        assert {rid: tag.text for rid, tag in tagged.items()} == want, need
        # the tooltip says what the plans do with such a pair, for this kind of candidate
        what = "派出这位专家" if target == "expert" else "邀请需求企业观看自有成果"
        assert all(what in (tag.get_attribute("title") or "") for tag in tagged.values()), need
        marked += len(want)
    assert marked >= 1  # N001's enterprise employs E003, N015's owns A039 (data/samples)


def test_need_form_shows_per_field_messages(browser: WebDriver, server: Server,
                                            shoot: Callable[[str], Path]) -> None:
    login(browser, server, "write")
    browser.get(server.url + "/needs/new")
    ident = browser.find_element(By.ID, "f-id")
    ident.clear()
    ident.send_keys("bad id")
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    assert settle(browser, "#err-id").text.startswith("只能包含")
    assert browser.find_element(By.ID, "err-title").text == "标题、需求描述或关键词至少填写一项"
    assert browser.find_element(By.ID, "f-id").get_attribute("aria-invalid") == "true"
    # the focus is on the first field to fix, not on the page body (keyboard users)
    assert browser.switch_to.active_element.get_attribute("id") == "f-id"
    shoot("need-form-errors")
    ident = browser.find_element(By.ID, "f-id")
    ident.clear()
    ident.send_keys("N-FORM-1")
    browser.find_element(By.ID, "f-title").send_keys("注塑件表面缩痕严重")
    browser.find_element(By.ID, "f-city").send_keys("宁波")
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    wait_for(lambda: browser.current_url.endswith("/needs/N-FORM-1?done=created"))
    assert heading(browser) == "注塑件表面缩痕严重"
    assert settle(browser, ".flash").text == "已保存，索引正在后台更新"
