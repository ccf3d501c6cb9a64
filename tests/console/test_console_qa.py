"""What a new staff member trips over on the console (QA pass): messages that name the field
in Chinese, numbers that stay finite, downloads that open."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import httpx
import pytest
from console_support import Server
from console_support import admin_api as _api
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from test_console_browser import drop_docking, heading, login, settle, wait_for

from techmatch.models.programme import china_today

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("console")]
ENGLISH_WORD = re.compile(r"\b[A-Za-z]{4,}\b")


def _negotiating(server: Server, need: str, candidate: str) -> str:
    created = _api(server, "POST", "/v1/dockings", json={"need_id": need,
                                                         "candidate_id": candidate})
    assert created.status_code == 201, created.text
    did, version = created.json()["id"], 1
    for stage in ("contacted", "confirmed", "negotiating"):
        moved = _api(server, "POST", f"/v1/dockings/{did}/moves",
                     json={"to": stage, "version": version})
        assert moved.status_code == 200, moved.text
        version = moved.json()["version"]
    return str(did)


def _sign(browser: WebDriver, server: Server, did: str, **fields: str) -> str:
    """Submit the signing form on the docking's page; the error text shown (or '')."""
    browser.get(server.url + f"/dockings/{did}")
    settle(browser, "details.move summary").click()
    Select(browser.find_element(By.ID, f"to-{did}")).select_by_value("signed")
    if fields.get("type"):
        Select(browser.find_element(By.ID, f"ct-{did}")).select_by_value(fields["type"])
    browser.find_element(By.ID, f"cv-{did}").send_keys(fields.get("value", ""))
    if fields.get("day"):  # a date input takes the keys of the browser's locale: set it
        browser.execute_script("arguments[0].value = arguments[1]",
                               browser.find_element(By.ID, f"cd-{did}"), fields["day"])
    browser.find_element(By.CSS_SELECTOR, "details.move button[type=submit]").click()
    wait_for(lambda: "/move" in browser.current_url or "done=" in browser.current_url)
    errors = browser.find_elements(By.CSS_SELECTOR, "p.error")
    return str(errors[0].text) if errors else ""


def test_signing_form_names_the_contract_field_in_chinese(browser: WebDriver,
                                                          server: Server) -> None:
    """A bad amount or a missing date named 'contract' and showed the generic 输入有误
    fallback around an already Chinese sentence; each part now names its own field. (签约日期
    may be left out since it defaults to today; a date after today is refused beside it.)"""
    did = _negotiating(server, "N012", _api(server, "GET", "/v1/match/needs/N012?k=1")
                       .json()["hits"][0]["id"])
    login(browser, server, "write")
    today = china_today().isoformat()
    later = (china_today() + dt.timedelta(days=3)).isoformat()
    cases = [({}, "合同类型：必选"), ({"value": "12.5"}, "合同类型：必选"),
             ({"type": "license", "value": "abc", "day": today},
              "合同金额（万元）：不是数字：abc"),
             ({"type": "license", "value": "", "day": today}, "合同金额（万元）：必填"),
             ({"type": "license", "value": "inf", "day": today},
              "合同金额（万元）：应不小于 0"),
             ({"type": "license", "value": "120", "day": later},
              f"签约日期：{later} 晚于今天（{today}，北京时间）：签约日期应为合同实际签订的日期")]
    for fields, expected in cases:
        shown = _sign(browser, server, did, **fields)
        assert shown == expected, (fields, shown)
        assert not ENGLISH_WORD.search(shown) and "详情" not in shown, shown
    got = _api(server, "GET", f"/v1/dockings/{did}").json()
    assert (got["stage"], got["contract"]) == ("negotiating", None)  # nothing stored
    assert _sign(browser, server, did, type="license", value="120", day=today) == ""
    assert heading(browser).endswith("签约")
    got = _api(server, "GET", f"/v1/dockings/{did}").json()
    assert got["contract"] == {"contract_type": "license", "value_wan": 120.0,
                               "signed_on": today}


def _upload(browser: WebDriver, server: Server, kind: str, path: Path) -> None:
    browser.get(server.url + "/upload")
    Select(browser.find_element(By.ID, "kind")).select_by_value(kind)
    browser.find_element(By.ID, "file").send_keys(str(path))
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    wait_for(lambda: bool(browser.find_elements(By.CSS_SELECTOR, "#upload-report, p.error")))


def test_upload_names_the_file_never_the_servers_temp_path(browser: WebDriver, server: Server,
                                                           tmp_path: Path) -> None:
    """The console ingested a copy in a temporary folder and named that path (the server's
    /tmp/techmatch-console-…/) in file errors and in every line of the rejects file."""
    login(browser, server, "write")
    damaged = tmp_path / "qa-damaged.xlsx"
    damaged.write_bytes(b"PK\x03\x04 not a workbook")
    _upload(browser, server, "achievement", damaged)
    shown = browser.find_element(By.CSS_SELECTOR, "p.error").text
    assert "qa-damaged.xlsx" in shown and "/tmp" not in shown and "techmatch-" not in shown, shown
    rows = tmp_path / "qa-rows.csv"
    rows.write_text("编号,需求标题,城市\nQA01,轴承温升过高,苏州\nQA 02,编号有空格,杭州\n",
                    encoding="utf-8")
    _upload(browser, server, "need", rows)
    link = browser.find_element(By.ID, "rejects-link").get_attribute("href")
    rejects = httpx.get(link, cookies={"tm_session": browser.get_cookie("tm_session")["value"]})
    assert rejects.status_code == 200, rejects.text
    assert [json.loads(line)["file"] for line in rejects.text.splitlines()] == ["qa-rows.csv"]


def _report_texts(browser: WebDriver) -> list[str]:
    rows = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in browser.find_elements(By.CSS_SELECTOR, "#row-errors tbody tr")]
    notes = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#upload-report ul li")]
    return [f"{r[0]} {r[1]} {r[2]}" for r in rows] + notes


def test_upload_report_and_file_errors_read_in_chinese(browser: WebDriver, server: Server,
                                                       tmp_path: Path) -> None:
    """Broken quoting, a ragged row, bad JSON lines, ignored columns, an empty file and a file
    of another kind were reported in the loader's English (and told staff to use --kind)."""
    login(browser, server, "write")
    csv = tmp_path / "qa-quotes.csv"
    csv.write_text("编号,需求标题,城市,备用列\nQB01,轴承温升,苏州,甲\nQB02,多一列,苏州,乙,丙\n"
                   'QB03,"引号不闭合,苏州,丁\n', encoding="utf-8")
    _upload(browser, server, "need", csv)
    texts = _report_texts(browser)
    assert texts == ["3 整行 该行有 5 个字段，而表头有 4 列（分隔符多了或少了，或引号没有闭合）",
                     '4 整行 第 4 行的引号没有闭合（否则其后的内容会并成一个字段），'
                     '请修正该行的引号：QB03,"引号不闭合,苏州,丁',
                     "qa-quotes.csv：已忽略未知列：备用列"], texts
    lines = tmp_path / "qa-lines.jsonl"
    lines.write_text('{"id": "QC01", "title": "密封圈老化"}\n{"id": "QC02",\n[1, 2]\n',
                     encoding="utf-8")
    _upload(browser, server, "need", lines)
    texts = _report_texts(browser)
    assert texts == ["2 整行 不是有效的 JSON（第 15 列附近：字段名应使用双引号）",
                     "3 整行 应为 JSON 对象（{…}），收到数组"], texts
    cases = [("qa-empty.csv", "need", b"", "文件无法导入：qa-empty.csv：文件为空，没有表头行"),
             ("qa-kind.csv", "achievement", "编号,标题,企业,保密\nQD01,标题,某公司,否\n"
              .encode(), "文件无法导入：qa-kind.csv：文件的列属于需求，而不是成果"
              "（企业、保密 是需求的字段）；请把记录类型选为需求")]
    for name, kind, data, expected in cases:
        path = tmp_path / name
        path.write_bytes(data)
        _upload(browser, server, kind, path)
        shown = browser.find_element(By.CSS_SELECTOR, "p.error").text
        assert shown == expected, shown


def test_assign_form_names_the_field_to_fix(browser: WebDriver, server: Server) -> None:
    """No needs and no city / industry said 'team.needs：服务团 console 没有列出需求…' (a raw
    path and the page's internal team id); min > max said only '参数无效'."""
    login(browser, server, "write")
    cases = [({}, "无法生成方案：需求编号：请填写需求编号，或填写城市或行业以服务其全部待匹配需求"),
             ({"needs": "N001 N005", "min": "5", "max": "1"},
              "无法生成方案：每需求最少专家数（5）不能大于最多专家数（1）")]
    for fields, expected in cases:
        browser.get(server.url + "/plans/assign")
        browser.find_element(By.ID, "name").send_keys("质检服务团")
        browser.find_element(By.ID, "experts").send_keys("E001 E002")
        for name, value in fields.items():
            box = browser.find_element(By.ID, name)
            box.clear()
            box.send_keys(value)
        browser.find_element(By.ID, "make-plan").click()
        shown = settle(browser, "p.error").text
        assert shown == expected, shown
        assert browser.find_element(By.ID, "experts").get_attribute("value") == "E001 E002"


def _docking_for(server: Server, need: str) -> str:
    top = _api(server, "GET", f"/v1/match/needs/{need}?k=1").json()["hits"][0]["id"]
    created = _api(server, "POST", "/v1/dockings", json={"need_id": need, "candidate_id": top,
                                                         "owner": "王芳"})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def test_a_blank_owner_is_refused_not_stored(browser: WebDriver, server: Server) -> None:
    """'   ' passed the form's min_length, was stripped to '' and cleared the owner."""
    did = _docking_for(server, "N014")
    login(browser, server, "write")
    browser.get(server.url + f"/dockings/{did}")
    settle(browser, "details.move:nth-of-type(2) summary").click()
    owner = browser.find_element(By.ID, "owner")
    owner.clear()
    owner.send_keys("   ")
    browser.find_element(By.CSS_SELECTOR, "form[action$='/owner'] button").click()
    assert settle(browser, "p.error").text == "负责人：必填"
    got = _api(server, "GET", f"/v1/dockings/{did}").json()
    assert (got["owner"], got["version"]) == ("王芳", 1)


def test_dropping_as_other_without_a_note_says_so_in_chinese(browser: WebDriver,
                                                             server: Server) -> None:
    """The catalogue expected 'reason note'; the tracker says 'reason_note', so staff read
    '输入有误（详情：reason 'other' needs a free-text reason_note）'."""
    did = _docking_for(server, "N015")
    login(browser, server, "write")
    drop_docking(browser, server, did, reason="other")
    # said beside the field before posting since the drop form checks itself
    # (test_console_docking_drop_form.py); the server's refusal reads the same
    assert settle(browser, f"#err-rnote-{did}").text == "原因为「其他」时需要填写说明"
    assert _api(server, "GET", f"/v1/dockings/{did}").json()["stage"] == "suggested"


def test_a_punctuation_only_search_explains_itself(browser: WebDriver, server: Server) -> None:
    """'!!!' listed every need ranked by noise with confidences (the API refuses it: 422)."""
    login(browser, server, "write")
    browser.get(server.url + "/needs?q=%EF%BC%81%EF%BC%81%20...")  # "！！ ..."
    assert settle(browser, "#err-q").text == "检索词需要包含文字、字母或数字"
    assert browser.find_element(By.ID, "q").get_attribute("aria-invalid") == "true"
    summary = browser.find_element(By.ID, "result-summary").text
    assert summary.startswith("共 ") and "检索到" not in summary, summary


def _field(browser: WebDriver, name: str) -> str:
    return str(browser.find_element(
        By.XPATH, f"//dl[@class='fields']/dt[text()='{name}']/following-sibling::dd[1]").text)


def test_expert_detail_shows_languages_and_entry_time_for_people(browser: WebDriver,
                                                                 server: Server) -> None:
    """An expert's 语言 showed the codes (zh, en) and 录入时间 the raw ISO stamp
    (2025-06-02T09:00:00+08:00); an achievement's single language was already 中文."""
    login(browser, server, "read")
    browser.get(server.url + "/experts/E001")
    assert _field(browser, "语言") == "中文"
    assert _field(browser, "录入时间") == "2025-06-02 09:00（北京时间）"  # stored +08:00


def test_need_form_drops_control_characters_like_the_loader(browser: WebDriver,
                                                            server: Server) -> None:
    """A pasted control character (U+0001) was stored as typed — the loader strips it and the
    API refuses it — and then every XLSX export holding the need failed with a 500."""
    login(browser, server, "write")
    browser.get(server.url + "/needs/new")
    ident = browser.find_element(By.ID, "f-id")
    ident.clear()
    ident.send_keys("QA-CTRL-1")
    browser.execute_script("arguments[0].value = arguments[1]",
                           browser.find_element(By.ID, "f-title"), "注塑\u0001件缩痕\u200b ")
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    wait_for(lambda: "QA-CTRL-1?done=created" in browser.current_url)
    assert _api(server, "GET", "/v1/needs/QA-CTRL-1").json()["title"] == "注塑件缩痕"
    cookie = {"tm_session": browser.get_cookie("tm_session")["value"]}
    export = httpx.get(server.url + "/coverage/xlsx", cookies=cookie, timeout=60)
    assert export.status_code == 200, export.text[:300]


def test_field_names_in_console_errors_read_in_chinese(browser: WebDriver,
                                                       server: Server) -> None:
    """'event_id：活动编号 RS-… 已存在', '请求参数无效：target' / 'plan_id' named the field by
    its code."""
    from techmatch.api.console.messages import error_message
    from techmatch.api.console.views.intake import field_label
    from techmatch.errors import ConflictError

    taken = ConflictError("活动编号 RS-1 已存在，请换一个编号", field="event_id")
    assert error_message(taken, field_label).startswith("活动编号：")
    login(browser, server, "write")
    for path, expected in (("/needs/N002/match?target=widget", "请求参数无效：匹配对象"),
                           ("/plans/NOPE", "请求参数无效：方案编号")):
        browser.get(server.url + path)
        assert settle(browser, "p.error").text == expected, path


def test_need_form_errors_put_the_focus_on_the_first_field_to_fix(browser: WebDriver,
                                                                  server: Server) -> None:
    """After a refused submit the focus was on the page body: a keyboard user tabbed through
    the whole menu to reach the field the red message is about. (The bad-id case is checked
    in test_console_browser.py's test_need_form_shows_per_field_messages.)"""
    login(browser, server, "write")
    browser.get(server.url + "/needs/new")
    browser.find_element(By.CSS_SELECTOR, "form.stack button[type=submit]").click()
    settle(browser, "#err-title")
    assert browser.switch_to.active_element.get_attribute("id") == "f-title"
