"""A browser on a console address that does not exist gets a Chinese page, not JSON."""

from __future__ import annotations

from fastapi.testclient import TestClient

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def test_unknown_console_address_is_a_chinese_page(client: TestClient) -> None:
    r = client.get("/needz/N001", headers=HTML, follow_redirects=False)
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "没有这个页面：/needz/N001" in r.text and "回到工作台" in r.text
    assert "Not Found" not in r.text


def test_api_paths_and_other_clients_keep_problem_json(client: TestClient) -> None:
    for path, headers in (("/v1/nope", HTML), ("/needz", {"Accept": "application/json"}),
                          ("/needz", {})):
        r = client.get(path, headers=headers)
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("application/problem+json"), path
    wrong = client.put("/dockings", headers=HTML)
    assert wrong.status_code == 405 and "这个页面不接受这种请求方式（PUT）" in wrong.text
