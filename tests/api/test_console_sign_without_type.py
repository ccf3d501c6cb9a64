"""The console's signing form with 合同金额 filled in but no 合同类型 said 合同：签约需要填写
合同类型和金额（万元）；签约日期不填为今天 — asking for an amount that was typed — and marked no
field, though the form marks 合同金额 and 签约日期 by their own fields. 合同类型 is now named on
its own field (合同类型：必选); nothing is stored and what was typed is kept."""

from __future__ import annotations

import re

from api_support import console_login, csrf_of, headers
from fastapi.testclient import TestClient
from test_contract_date_api import HTML, _negotiating


def test_signing_without_a_contract_type_names_that_field(client: TestClient) -> None:
    did = _negotiating(client, "ach-eddy")
    console_login(client, "write")
    page = client.get(f"/dockings/{did}", headers=HTML)
    token = csrf_of(page.text)
    refused = client.post(f"/dockings/{did}/move", headers=HTML, follow_redirects=False, data={
        "to": "signed", "version": "4", "contract_type": "", "value_wan": "12.5",
        "signed_on": "", "note": "合同已签", "csrf_token": token})
    assert refused.status_code == 400
    error = re.search(rf'<span class="field-error" id="err-ct-{did}">([^<]*)</span>',
                      refused.text)
    assert error is not None, refused.text[-3000:]
    assert error.group(1) == "必选"
    assert "合同类型：必选" in re.sub(r"<[^>]+>", "", refused.text)
    assert f'id="ct-{did}" name="contract_type" aria-invalid="true"' in refused.text
    shown = re.sub(r"<[^>]+>", "", refused.text)
    assert "金额" not in error.group(1) and "合同类型和金额" not in shown
    assert 'value="12.5"' in refused.text and 'value="合同已签"' in refused.text
    got = client.get(f"/v1/dockings/{did}", headers=headers("read")).json()
    assert (got["stage"], got["contract"]) == ("negotiating", None)
