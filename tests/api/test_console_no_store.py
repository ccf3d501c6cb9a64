"""After 退出, the browser's Back button showed the confidential need page the staff member
had open (served from the browser cache): console pages and downloads carried no
Cache-Control. Every console answer is now `no-store`, so Back asks the server, which sends
the login page. (Checked in headless Chromium: Back after logout lands on /login.)"""

from __future__ import annotations

from api_support import SECRET_NEED, console_login
from fastapi.testclient import TestClient
from test_console_decide import HTML


def test_console_pages_and_downloads_are_not_stored(client: TestClient) -> None:
    console_login(client, "write")
    for path in (f"/needs/{SECRET_NEED}", "/needs", "/dockings", "/coverage/xlsx",
                 "/needs/nobody"):
        response = client.get(path, headers=HTML)
        assert response.status_code in (200, 404), path
        assert response.headers.get("cache-control") == "no-store", path


def test_static_assets_stay_cacheable(client: TestClient) -> None:
    response = client.get("/static/console/console.css")
    assert response.status_code == 200
    assert response.headers.get("cache-control") != "no-store"
