"""对接 page, 推进 / 终止 → 终止 without a reason went to an error page (输入有误) and Back lost
what was typed. The page now says so beside the reason field before posting; a refusal by
the server (e.g. the docking moved meanwhile) re-renders the docking's form with what was
typed and the message, not an error page."""

from __future__ import annotations

import pytest
from console_support import Server, new_docking
from console_support import admin_api as _api
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from test_console_browser import drop_docking, heading, login, settle

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("console")]


NOTE = "企业电话沟通后决定不再推进"


def test_dropping_without_a_reason_is_stopped_beside_the_field(browser: WebDriver,
                                                               server: Server) -> None:
    did = new_docking(server, "N016")
    login(browser, server, "write")
    drop_docking(browser, server, did, note=NOTE, submit=False)
    url = browser.current_url
    browser.find_element(By.CSS_SELECTOR, "details.move form button[type=submit]").click()
    assert settle(browser, f"#err-reason-{did}").text == "终止对接需要选择原因"
    reason = browser.find_element(By.ID, f"reason-{did}")
    assert reason.get_attribute("aria-invalid") == "true"
    assert browser.current_url == url and heading(browser).startswith(f"对接 {did}")
    assert browser.find_element(By.ID, f"mnote-{did}").get_attribute("value") == NOTE
    assert _api(server, "GET", f"/v1/dockings/{did}").json()["stage"] == "suggested"
    # choosing a reason clears the message and the drop goes through
    Select(reason).select_by_value("too_costly")
    browser.find_element(By.CSS_SELECTOR, "details.move form button[type=submit]").click()
    assert settle(browser, ".flash").text == "已更新"
    got = _api(server, "GET", f"/v1/dockings/{did}").json()
    assert (got["stage"], got["reason"]) == ("dropped", "too_costly")


def test_a_refused_drop_keeps_the_form_and_what_was_typed(browser: WebDriver,
                                                          server: Server) -> None:
    did = new_docking(server, "N017")
    login(browser, server, "write")
    drop_docking(browser, server, did, note=NOTE, reason="other", reason_note="企业改用自研方案",
                 submit=False)
    moved = _api(server, "POST", f"/v1/dockings/{did}/moves",
                 json={"to": "contacted", "version": 1})  # someone else moved it meanwhile
    assert moved.status_code == 200, moved.text
    browser.find_element(By.CSS_SELECTOR, "details.move form button[type=submit]").click()
    message = settle(browser, "details.move form p.error").text
    assert "已联系" in message and "详情" not in message, message
    assert heading(browser).startswith(f"对接 {did}")  # the docking's page, not 操作冲突
    assert browser.find_element(By.CSS_SELECTOR, "details.move").get_attribute("open")
    form = {name: browser.find_element(By.ID, f"{name}-{did}") for name in
            ("to", "reason", "rnote", "mnote")}
    assert Select(form["to"]).first_selected_option.get_attribute("value") == "dropped"
    assert Select(form["reason"]).first_selected_option.get_attribute("value") == "other"
    assert form["rnote"].get_attribute("value") == "企业改用自研方案"
    assert form["mnote"].get_attribute("value") == NOTE
    browser.find_element(By.CSS_SELECTOR, "details.move form button[type=submit]").click()
    assert settle(browser, ".flash").text == "已更新"  # resent at the current version
    got = _api(server, "GET", f"/v1/dockings/{did}").json()
    assert (got["stage"], got["reason_note"]) == ("dropped", "企业改用自研方案")
