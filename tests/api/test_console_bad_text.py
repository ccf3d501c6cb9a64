"""A console search with a character the server refuses (Word's manual line break U+000B
pasted into 需求库's search box, or a hand-edited address that is not UTF-8): the browser
showed the API's raw problem+json; it now shows a zh-CN page saying what to remove, and the
API keeps its problem+json."""

from __future__ import annotations

import re

from api_support import console_login, headers
from fastapi.testclient import TestClient
from test_console_decide import HTML


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_console_search_with_a_control_character_is_a_chinese_page(client: TestClient) -> None:
    console_login(client, "write")
    response = client.get("/needs?q=%E8%A3%82%0B%E7%BA%B9", headers=HTML)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "搜索或筛选条件含有无法处理的字符 U+000B（常见于从 Word / PDF 粘贴的控制字符）" \
        in _text(response.text)
    broken = client.get("/needs?q=%ff", headers=HTML)
    assert broken.status_code == 422
    assert "网址中的查询参数不是有效的 UTF-8 编码" in _text(broken.text)


def test_api_bad_text_stays_problem_json(client: TestClient) -> None:
    response = client.get("/v1/needs?city=%0B", headers={**headers("read"), **HTML})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
