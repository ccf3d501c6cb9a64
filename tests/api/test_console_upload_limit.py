"""批量导入 of a file over the body limit: the browser showed the raw problem+json of the API
(English detail, no page, no way back); a console request now gets a Chinese page naming the
limit in MB, while /v1 keeps its problem+json."""

from __future__ import annotations

import re

from api_support import console_login, csrf_of, headers
from fastapi.testclient import TestClient
from test_console_decide import HTML


def test_console_upload_over_the_limit_is_a_chinese_page(client: TestClient) -> None:
    console_login(client, "write")
    form = client.get("/upload", headers=HTML)
    token = csrf_of(form.text)
    limit = client.app.state.tm.settings.max_body_bytes  # type: ignore[attr-defined]
    big = b"id,title\nN9," + b"x" * limit + b"\n"
    response = client.post("/upload", headers=HTML, files={"file": ("big.csv", big)},
                           data={"kind": "need", "csrf_token": token})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))
    assert f"上传内容超过 {limit / 1e6:g} MB 的上限" in text
    assert "请拆分文件后分批上传" in text
    assert '<html lang="zh-CN">' in response.text


def test_api_over_the_limit_stays_problem_json(client: TestClient) -> None:
    limit = client.app.state.tm.settings.max_body_bytes  # type: ignore[attr-defined]
    response = client.post("/v1/needs/upload", headers={**headers("write"), **HTML},
                           files={"file": ("big.csv", b"id,title\n" + b"x" * limit)})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
