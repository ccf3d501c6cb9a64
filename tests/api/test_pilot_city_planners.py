"""路演策划 and 培训策划 with two pilot cities of one name (朝阳 in 辽宁 and in 北京) and 苏州: the
console's city dropdowns, the console forms, the roadshow API and the training API.

Before, the planners' dropdowns listed the open needs' cities as written — 朝阳 once for both
places — and the planners compared city names, so 朝阳 mixed both cities' needs and a pilot
city's id (朝阳（辽宁）) found none. The dropdowns now offer the pilot-city ids where a name
is shared (苏州 as before), and the planners keep the needs of that place as the dashboard
places them (city and province); a shared bare name is refused listing the ids.
"""

from __future__ import annotations

import re

from api_support import console_login, csrf_of, headers, import_pilot_cities
from fastapi.testclient import TestClient

from techmatch.matcher.engine import Engine
from techmatch.models.records import Need

BATTERY = "电池包需要在热失控前数分钟给出预警，降低起火风险。"
BLADE = "需要可在线使用的无损检测方法，发现镍基高温合金叶片表面微裂纹。"
HTML = {"accept": "text/html"}


def _setup(client: TestClient, engine: Engine) -> None:
    import_pilot_cities(client)
    engine.store.upsert([
        Need(id="N-LN", title="动力锂电池热失控预警", description=BATTERY, city="朝阳",
             province="辽宁省", industry="新能源汽车", enterprise="辽宁电池厂"),
        Need(id="N-LN2", title="涡轮叶片微裂纹检测", description=BLADE, city="朝阳(辽宁)",
             industry="航空航天", enterprise="辽宁叶片厂"),
        Need(id="N-BJ", title="储能电池热失控预警", description=BATTERY, city="朝阳",
             province="北京市", industry="新能源汽车", enterprise="北京电池厂"),
        Need(id="N-X", title="电池热失控早期预警", description=BATTERY, city="朝阳",
             industry="新能源汽车", enterprise="某电池厂")])
    engine.sync()


def _options(page: str) -> list[str]:
    found = re.search(r'<select id="city"[^>]*>(.*?)</select>', page, re.S)
    assert found is not None, page[:500]
    return [v for v in re.findall(r'<option value="([^"]*)"', found.group(1)) if v]


def _topics(page: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(city, tuple(re.findall(r'<a href="/needs/([^"]+)">', needs)))
            for city, needs in re.findall(
                r'<p class="muted">([^<]+?) · [^<]+ · 需求 (.*?)</p>', page)]


def test_planner_dropdowns_and_plans_tell_same_name_cities_apart(client: TestClient,
                                                                 engine: Engine) -> None:
    _setup(client, engine)
    console_login(client, "write")
    roadshow = client.get("/plans/roadshow", headers=HTML).text
    training = client.get("/programme/training", headers=HTML).text
    for page in (roadshow, training):
        cities = _options(page)
        assert [c for c in cities if c.startswith("朝阳")] == ["朝阳（北京）", "朝阳（辽宁）"]
        assert "苏州" in cities and "深圳" in cities  # single names as before

    # 培训策划 of one 朝阳: its needs only, the topic under its id
    r = client.post("/programme/training", headers=HTML, data={
        "city": "朝阳（辽宁）", "experts": "1", "invites": "5", "csrf_token": csrf_of(training)})
    assert r.status_code == 200, r.text[:500]
    topics = _topics(r.text)
    assert topics and {c for c, _ in topics} == {"朝阳（辽宁）"}, topics
    assert {n for _, ids in topics for n in ids} == {"N-LN", "N-LN2"}
    r = client.post("/programme/training", headers=HTML, data={
        "city": "朝阳", "experts": "1", "invites": "5", "csrf_token": csrf_of(training)})
    assert r.status_code == 400 and "请写明省份" in r.text and "朝阳（辽宁）" in r.text
    every = client.post("/programme/training", headers=HTML, data={
        "experts": "1", "invites": "5", "csrf_token": csrf_of(training)}).text
    placed = {n: c for c, ids in _topics(every) for n in ids}
    assert (placed["N-LN"], placed["N-LN2"], placed["N-BJ"], placed["N-X"]) == (
        "朝阳（辽宁）", "朝阳（辽宁）", "朝阳（北京）", "朝阳"), placed
    assert "无法确定城市" in every

    # 路演策划: a shared bare name is refused on the form and over the API
    r = client.post("/plans/roadshow", headers=HTML, data={
        "city": "朝阳", "slots": "2", "invites": "5", "csrf_token": csrf_of(roadshow)})
    assert r.status_code == 400 and "请写明省份" in r.text, r.text[:500]
    body = {"slots": 2, "invites_per_achievement": 5, "min_score": 0.0}
    r = client.post("/v1/plans/roadshow", json={**body, "city": "朝阳"},
                    headers=headers("write"))
    assert r.status_code == 422 and "请写明省份" in r.text
    r = client.post("/v1/plans/roadshow", json={**body, "city": "朝阳(北京市)"},
                    headers=headers("write"))
    assert r.status_code == 200, r.text
    invited = {v["need_id"] for item in r.json()["items"] for v in item["invitees"]}
    assert invited == {"N-BJ"}
    r = client.post("/v1/plans/roadshow", json={**body, "city": "朝阳（辽宁）"},
                    headers=headers("write"))
    assert r.status_code == 200, r.text
    invited = {v["need_id"] for item in r.json()["items"] for v in item["invitees"]}
    assert invited and invited <= {"N-LN", "N-LN2"}
