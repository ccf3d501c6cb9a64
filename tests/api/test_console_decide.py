"""The console's 匹配 page after staff decided on pairs: what it offers for each card and what
it says was left out (real app, real encoder, the tiny home; in-process HTTP)."""

from __future__ import annotations

import re

from api_support import console_login
from fastapi.testclient import TestClient

from techmatch.matcher.feedback import record_feedback

HTML = {"accept": "text/html"}



def _card(html: str, candidate: str) -> str:
    found = re.search(rf'<article class="hit" id="hit-{candidate}".*?</article>', html, re.S)
    assert found is not None, f"no card for {candidate}"
    return found.group(0)


def test_a_pair_dropped_without_never_suggest_offers_no_decision_that_must_fail(
        client: TestClient, engine) -> None:  # type: ignore[no-untyped-def]
    """A pair rejected as too early (still suggested) came back with 采纳并创建对接 and 拒绝:
    both answered 操作冲突 (the pair's docking is 终止). And the 专家 tab said 已排除 1 个 when
    the one excluded pair was an achievement (and the other way round)."""
    record_feedback(engine.store, "need-blade", "ach-paper", label="rejected",
                    reason="too_early")
    record_feedback(engine.store, "need-blade", "exp-battery", label="rejected",
                    reason="not_relevant")
    console_login(client, "write")
    page = client.get("/needs/need-blade/match", headers=HTML)
    assert page.status_code == 200
    dropped = _card(page.text, "ach-paper")
    assert "采纳并创建对接" not in dropped and "确认拒绝" not in dropped
    assert "已拒绝：技术成熟度不够" in re.sub(r"<[^>]+>", "", dropped)
    assert "/dockings/DK" in dropped  # where an admin can reopen it
    fresh = _card(page.text, "ach-eddy")
    assert "采纳并创建对接" in fresh and "确认拒绝" in fresh and "已拒绝" not in fresh
    assert "已排除" not in page.text  # no achievement of this need was excluded
    experts = client.get("/needs/need-blade/match?target=expert", headers=HTML)
    assert "已排除 1 个被拒绝的推荐" in experts.text
    assert 'id="hit-exp-battery"' not in experts.text
