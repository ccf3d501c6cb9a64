"""对接 page without JavaScript: 终止 without a reason was an error page (输入有误) whose Back
lost what was typed; the server now answers the docking's page with the form open, what was
typed, and the message above the form and beside the reason field."""

from __future__ import annotations

import re

from api_support import console_login, csrf_of, headers
from fastapi.testclient import TestClient

HTML = {"accept": "text/html"}


def test_a_drop_without_a_reason_re_renders_the_form(client: TestClient) -> None:
    made = client.post("/v1/dockings", headers=headers("write"),
                       json={"need_id": "need-blade", "candidate_id": "ach-eddy"})
    did = made.json()["id"]
    console_login(client, "write")
    page = client.get(f"/dockings/{did}", headers=HTML)
    token = csrf_of(page.text)
    assert "<details class=\"move\" open>" not in page.text
    answer = client.post(f"/dockings/{did}/move", headers=HTML, follow_redirects=False, data={
        "to": "dropped", "version": "1", "reason": "", "reason_note": "电话沟通",
        "note": "企业不再跟进", "back": "/dockings?stage=suggested",
        "csrf_token": token})
    assert answer.status_code == 400
    html = answer.text
    assert "<h1>对接 " + did in html and "输入有误" not in html
    assert '<details class="move" open>' in html
    assert re.search(rf'<span class="field-error" id="err-reason-{did}">终止对接需要选择原因'
                     r'</span>', html)
    assert f'aria-describedby="err-reason-{did}"' in html
    assert re.search(r'<p class="error" role="alert">[^<]*终止对接需要选择原因</p>', html)
    assert '<option value="dropped" selected>' in html
    assert 'value="电话沟通"' in html and 'value="企业不再跟进"' in html
    assert 'name="back" value="/dockings?stage=suggested"' in html
    assert client.get(f"/v1/dockings/{did}", headers=headers("read")).json()["stage"] == \
        "suggested"
