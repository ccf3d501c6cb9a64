"""PATCH /v1/dockings/{id} (and the console's 负责人 form, through the same assign_docking)
setting the owner or team the docking already has changes nothing: 200 with the docking as it
was — same version, no history row.

Before, such a PATCH bumped the version and logged 变更：负责人=张三 although nothing changed,
so a second client holding the docking met a 409 for no reason.
"""

from __future__ import annotations

from api_support import console_login, csrf_of, headers
from fastapi.testclient import TestClient

HTML = {"accept": "text/html"}


def _history(client: TestClient, did: str) -> list[dict]:
    r = client.get(f"/v1/dockings/{did}/history", headers=headers("read"))
    assert r.status_code == 200, r.text
    return r.json()


def test_a_patch_that_changes_nothing_keeps_the_version_and_history(
        client: TestClient) -> None:
    made = client.post("/v1/dockings", headers=headers("write"), json={
        "need_id": "need-blade", "candidate_id": "ach-eddy", "owner": "张三", "team": "T02"})
    assert made.status_code in (200, 201), made.text
    did, version = made.json()["id"], made.json()["version"]
    logged = _history(client, did)
    for body in ({"owner": "张三"}, {"team": "T02"}, {"owner": " 张三 ", "team": "T02"}):
        r = client.patch(f"/v1/dockings/{did}", headers=headers("write"),
                         json={"version": version, **body})
        assert r.status_code == 200, r.text
        assert (r.json()["version"], r.json()["owner"], r.json()["team"]) == (
            version, "张三", "T02"), body
        assert _history(client, did) == logged, body
    stale = client.patch(f"/v1/dockings/{did}", headers=headers("write"),
                         json={"version": version - 1 if version > 1 else version + 1,
                               "owner": "张三"})
    assert stale.status_code == 409, stale.text

    console_login(client, "write")
    page = client.get(f"/dockings/{did}", headers=HTML)
    token = csrf_of(page.text)
    same = client.post(f"/dockings/{did}/owner", headers=HTML, follow_redirects=False,
                       data={"owner": "张三", "version": str(version),
                             "csrf_token": token})
    assert same.status_code == 303, same.text
    assert client.get(f"/v1/dockings/{did}", headers=headers("read")).json()["version"] == version
    assert _history(client, did) == logged

    changed = client.patch(f"/v1/dockings/{did}", headers=headers("write"),
                           json={"version": version, "owner": "李四", "team": "T02"})
    assert changed.status_code == 200 and changed.json()["version"] == version + 1
    assert len(_history(client, did)) == len(logged) + 1
    assert "负责人=李四" in _history(client, did)[-1]["note"]
    assert "服务团" not in _history(client, did)[-1]["note"]
