"""A staff member's working day in headless Chromium (helper audit): what was typed, pasted or
looked up the way staff do it must find what is stored."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from console_support import Server, new_docking
from console_support import admin_api as _api
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from test_console_browser import heading, login, settle, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("console")]


def test_docking_board_finds_a_need_id_pasted_with_a_space_or_typed_full_width(
        browser: WebDriver, server: Server) -> None:
    """对接看板's 需求编号 filter compared the text as typed: N017 pasted from a spreadsheet
    with a trailing space, or Ｎ０１７ from a Chinese input method, read 没有符合筛选条件的对接
    while N017's docking was on the board (the API, CLI and need pages read both as N017)."""
    did = new_docking(server, "N017")
    login(browser, server, "write")
    for typed in ("N017 ", "Ｎ０１７"):
        browser.get(server.url + "/dockings")
        box = settle(browser, "#need")
        box.send_keys(typed + Keys.ENTER)  # keyboard only: Enter submits the filter
        wait_for(lambda: "need=" in browser.current_url)
        assert heading(browser) == "对接看板"
        assert not browser.find_elements(By.ID, "board-empty"), typed
        cards = [a.text for a in browser.find_elements(By.CSS_SELECTOR, ".card a")]
        assert did in cards, (typed, cards)
        assert settle(browser, "#need").get_attribute("value") == "N017"


def _first_rows(browser: WebDriver, server: Server, path: str, n: int = 3) -> list[str]:
    browser.get(server.url + path)
    settle(browser, "#result-summary")
    return [a.text for a in browser.find_elements(By.CSS_SELECTOR,
                                                   "table.records tbody td:first-child a")][:n]


def test_the_search_box_finds_a_record_by_its_id_or_name(browser: WebDriver,
                                                         server: Server) -> None:
    """专家库's search box with an expert's name (蒋伟) listed 周雅琴 first at 62% and 蒋伟
    fifth at 17% — an expert's name is not in the text matching reads, so the semantic
    neighbours of two characters ranked; 需求库 with a need's id (N002) or its enterprise
    (苏州精传) listed other needs, all below the threshold. A typed id or a name now lists
    the record(s) it names first, marked 编号一致 / 名称一致, the ranked hits after; a read key
    still finds no confidential need by its enterprise."""
    login(browser, server, "write")
    assert _first_rows(browser, server, "/experts?q=蒋伟", 1) == ["E018"]
    assert settle(browser, "table.records tbody tr td:last-child").text == "名称一致"
    assert not browser.find_elements(By.ID, "search-weak")
    assert _first_rows(browser, server, "/needs?q=n002", 1) == ["N002"]
    assert settle(browser, "table.records tbody tr td:last-child").text == "编号一致"
    assert _first_rows(browser, server, "/needs?q=苏州精传", 1) == ["N002"]
    assert _first_rows(browser, server, "/achievements?q=Ａ００５", 1) == ["A005"]
    assert _first_rows(browser, server, "/needs?q=杭州驰越", 1) == ["N010"]  # confidential
    login(browser, server, "read")
    assert "N010" not in _first_rows(browser, server, "/needs?q=杭州驰越", 100)
    assert "N010" not in _first_rows(browser, server, "/needs?q=N010", 100)


NARROW = ("/needs", "/achievements", "/experts", "/programme", "/programme/events",
          "/programme/teams", "/programme/cities", "/", "/dockings", "/coverage")


@pytest.mark.parametrize("width,height", [(390, 844), (1280, 800)])
def test_wide_tables_scroll_in_place_on_a_narrow_window(browser: WebDriver, server: Server,
                                                        width: int, height: int) -> None:
    """On a phone (390×844) 需求库 / 成果库 / 专家库, 项目看板's tables, 活动 and 服务团队 ran off
    the right edge: the whole page scrolled sideways, 录入时间 cut off, and the enterprise
    column was one character a line. Their tables now scroll sideways in place, each column
    at least 5 characters wide, and the page itself fits the window."""
    login(browser, server, "write")
    browser.set_window_size(width, height)
    try:
        for path in NARROW:
            browser.get(server.url + path)
            settle(browser, "h1")
            page = browser.execute_script(
                "const e = document.documentElement; return [e.scrollWidth, e.clientWidth]")
            assert page[0] <= page[1], (path, page)
        if width < 800:
            browser.get(server.url + "/needs")
            table = settle(browser, "table.records")
            inner = browser.execute_script(
                "return [arguments[0].scrollWidth, arguments[0].clientWidth]", table)
            assert inner[0] > inner[1], inner  # the table scrolls, the page does not
            cell = settle(browser, "table.records tbody td:nth-child(3)")  # 企业
            assert cell.size["width"] >= 4 * 15, cell.size
    finally:
        browser.set_window_size(1360, 1000)


def test_programme_team_row_of_unassigned_dockings_names_it_once(browser: WebDriver,
                                                                  server: Server) -> None:
    """项目看板 按服务团队: a deal signed by a docking with no team read 未分配 未分配 (the row's
    label and then its key, shown grey beside a team's name as its id); it reads 未分配 once,
    and a registered team keeps its id beside its name."""
    top = _api(server, "GET", "/v1/match/needs/N020?k=1").json()["hits"][0]["id"]
    created = _api(server, "POST", "/v1/dockings", json={"need_id": "N020", "candidate_id": top})
    assert created.status_code == 201, created.text
    did, version = created.json()["id"], 1
    for stage in ("contacted", "confirmed", "negotiating", "signed"):
        body: dict[str, object] = {"to": stage, "version": version}
        if stage == "signed":
            body["contract"] = {"contract_type": "license", "value_wan": 12}  # signed today
        moved = _api(server, "POST", f"/v1/dockings/{did}/moves", json=body)
        assert moved.status_code == 200, moved.text
        version = moved.json()["version"]
    login(browser, server, "write")
    browser.get(server.url + "/programme")
    assert heading(browser) == "项目看板"
    section = browser.find_element(By.XPATH, "//section[h2[text()='按服务团队']]")
    rows = {r.find_element(By.CSS_SELECTOR, "td").text: r.text
            for r in section.find_elements(By.CSS_SELECTOR, "tbody tr")}
    assert "未分配" in rows, rows
    assert all(name.split() != ["未分配", "未分配"] for name in rows), rows
    assert any(name.endswith(" T01") for name in rows), rows  # a team: name, then its id


def test_rejected_rows_download_as_a_chinese_csv_staff_can_open(
        browser: WebDriver, server: Server, downloads: Path, tmp_path: Path) -> None:
    """批量导入 offered the rejected rows only as <file>.rejects.jsonl — one JSON object a
    line, reasons in English (must be one of 'open', 'matched' or 'closed' (got '处理中')),
    while the page said them in Chinese; Excel cannot open it. A CSV (UTF-8 with BOM) now
    comes first: 行号, 字段, 退回原因 as the page says them, then the row's own columns."""
    upload = tmp_path / "day-needs.csv"
    upload.write_bytes((
        "需求编号,需求名称,需求描述,城市,状态,发布时间\r\n"
        "DW01,叶片涡流检测自动化,需要自动化涡流检测方案,西安,待匹配,2026/11/30\r\n"
        "DW02,智慧灌溉水肥一体化,低成本水肥一体化控制器,青岛,处理中,2026-11-28\r\n"
        "DW03,湿法冶金提锂,锂电池回收湿法冶金提锂工艺,合肥,待匹配,2026-13-45\r\n"
    ).encode("gb18030"))
    login(browser, server, "write")
    browser.get(server.url + "/upload")
    Select(browser.find_element(By.ID, "kind")).select_by_value("need")
    browser.find_element(By.ID, "file").send_keys(str(upload))
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    assert settle(browser, "#rows-rejected").text == "2"
    link = settle(browser, "#rejects-csv")
    assert link.text.startswith("下载退回行"), link.text
    link.click()
    target = downloads / "day-needs.csv.rejects.csv"
    wait_for(lambda: target.exists() and target.stat().st_size > 0)
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with a BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["行号", "字段", "退回原因", "需求编号", "需求名称", "需求描述", "城市",
                       "状态", "发布时间"], rows[0]
    assert [r[:3] for r in rows[1:]] == [
        ["3", "状态", "取值应为 待匹配、已匹配、已关闭 之一（收到 处理中）"],
        ["4", "录入时间", "应为日期，如 2024-01-05、2024/1/5 或 2024年1月5日（收到 '2026-13-45'）"]]
    assert rows[1][3:] == ["DW02", "智慧灌溉水肥一体化", "低成本水肥一体化控制器", "青岛", "处理中",
                           "2026-11-28"]


def test_a_staff_key_reads_as_its_role_not_a_code(browser: WebDriver, server: Server) -> None:
    """A match adopted on the console is owned by the key that adopted it, shown everywhere as
    write:58855166 — 负责人 on the board and the docking's page, 操作人 in its history — an
    English code where staff read Chinese. It reads 编辑（密钥 58855166）; the board's 负责人
    filter takes what the page shows, and saving the owner unchanged keeps the key's id."""
    login(browser, server, "write")
    browser.get(server.url + "/needs/N023/match")
    settle(browser, "form[action$='/match/accept'] button").click()
    wait_for(lambda: "done=accepted" in browser.current_url)
    listed = _api(server, "GET", "/v1/dockings?need_id=N023").json()["items"]
    assert len(listed) == 1, listed
    did, owner = listed[0]["id"], listed[0]["owner"]
    role, key_id = owner.split(":")
    shown = f"编辑（密钥 {key_id}）"
    assert role == "write"
    browser.get(server.url + f"/dockings/{did}")
    page = settle(browser, "main").text
    assert owner not in page and shown in page, page
    browser.get(server.url + "/dockings")
    settle(browser, "#owner").send_keys(shown + Keys.ENTER)
    wait_for(lambda: "owner=" in browser.current_url)
    cards = browser.find_elements(By.CSS_SELECTOR, f"#docking-{did}")
    assert cards and shown in cards[0].text and owner not in cards[0].text
    browser.get(server.url + f"/dockings/{did}")
    settle(browser, "details.move:nth-of-type(2) summary").click()
    assert settle(browser, "#owner").get_attribute("value") == shown
    browser.find_element(By.CSS_SELECTOR, "form[action$='/owner'] button").click()
    wait_for(lambda: "done=owner" in browser.current_url)
    assert _api(server, "GET", f"/v1/dockings/{did}").json()["owner"] == owner
