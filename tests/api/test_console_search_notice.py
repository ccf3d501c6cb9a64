"""The console's search box when nothing stored is relevant: the list still ranks every
record it retrieved, so the page says that none reaches the confidence threshold instead of
reading "检索到 N 条" as N matches (real app, real encoder, the tiny home)."""

from __future__ import annotations

import re

from api_support import KEYS, console_login
from fastapi.testclient import TestClient

HTML = {"accept": "text/html"}



def _notice(html: str) -> str | None:
    found = re.search(r'<p class="banner route"[^>]*id="search-weak"[^>]*>(.*?)</p>', html, re.S)
    return found.group(1) if found else None


def test_a_search_nothing_answers_says_so(client: TestClient) -> None:
    console_login(client, "read")
    api = client.post("/v1/search", headers={"X-API-Key": KEYS["read"]},
                      json={"kind": "achievement", "text": "量子计算机 芯片封装", "k": 10})
    assert api.json()["routed_to_staff"] is True  # the API's verdict the page must carry
    page = client.get("/achievements", params={"q": "量子计算机 芯片封装"}, headers=HTML)
    assert page.status_code == 200
    notice = _notice(page.text)
    assert notice is not None, page.text[:3000]
    assert "没有与“量子计算机 芯片封装”足够相关的成果" in notice
    assert "35%" in notice  # the threshold the confidences were compared with


def test_a_search_with_a_confident_hit_has_no_notice(client: TestClient) -> None:
    console_login(client, "read")
    api = client.post("/v1/search", headers={"X-API-Key": KEYS["read"]},
                      json={"kind": "achievement", "text": "涡流阵列 叶片表面裂纹检测", "k": 10})
    assert api.json()["routed_to_staff"] is False
    page = client.get("/achievements", params={"q": "涡流阵列 叶片表面裂纹检测"}, headers=HTML)
    assert _notice(page.text) is None
    assert "ach-eddy" in page.text


def test_a_long_search_text_says_what_was_searched(client: TestClient) -> None:
    """A pasted problem statement longer than the box's 200 characters was cut silently: the
    ranking answered its first 200 characters and nothing said so."""
    console_login(client, "read")
    statement = "航空发动机涡轮叶片表面微裂纹需要在线无损检测，" * 12  # 23 × 12 = 276 characters
    page = client.get("/achievements", params={"q": statement}, headers=HTML)
    assert page.status_code == 200
    note = re.search(r'<span class="muted" id="note-q">(.*?)</span>', page.text)
    assert note is not None, page.text[:3000]
    assert note.group(1) == "检索词有 276 字，只按前 200 字检索"
    short = client.get("/achievements", params={"q": statement[:200]}, headers=HTML)
    assert 'id="note-q"' not in short.text


def test_a_search_nothing_passes_has_no_notice_about_a_list(client: TestClient) -> None:
    """With a filter no record passes, the notice said 以下仅按相关度列出 above an empty table."""
    console_login(client, "read")
    page = client.get("/achievements", params={"q": "量子计算机 芯片封装", "type": "software"},
                      headers=HTML)
    assert "没有符合条件的记录" in page.text and "检索到 0 条" in page.text
    assert _notice(page.text) is None


def test_the_match_page_of_a_need_without_text_says_what_to_do(client: TestClient) -> None:
    """匹配 for a need titled '！！！' listed experts ranked by the punctuation's embedding, the
    first at 84% (on the samples), with no word in common."""
    done = client.post("/v1/needs", json={"id": "need-bang", "title": "！！！"},
                       headers={"X-API-Key": KEYS["write"]}, params={"wait": "true"})
    assert done.status_code == 200, done.text
    console_login(client, "read")
    for target in ("achievement", "expert"):
        page = client.get("/needs/need-bang/match", params={"target": target}, headers=HTML)
        assert page.status_code == 200
        banner = re.search(r'<p class="banner route"[^>]*id="route-banner"[^>]*>(.*?)</p>',
                           page.text, re.S)
        assert banner is not None and "没有可用于匹配的文字" in banner.group(1)
        assert '<article class="hit"' not in page.text
