"""API test support: keys per role, a tiny corpus, home builder, readiness wait, live server."""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from techmatch.api.security import hash_key
from techmatch.config import Settings
from techmatch.indexers.encoders import Encoder
from techmatch.indexers.tokenize import Tokenizer
from techmatch.matcher.engine import STORE_FILE, Engine
from techmatch.models.records import Achievement, Expert, Need
from techmatch.store import Store

KEYS = {"read": "test-read-key", "write": "test-write-key", "admin": "test-admin-key"}
API_KEYS = ",".join(f"{role}:{hash_key(key)}" for role, key in KEYS.items())
SECRET_NEED = "need-secret"

NEEDS = [
    Need(id="need-blade", title="航空发动机涡轮叶片微裂纹在线检测",
         description="需要可在线使用的无损检测方法，发现镍基高温合金叶片表面微裂纹。",
         industry="航空航天", province="江苏", city="苏州", contact="张工 0512-1234"),
    Need(id="need-battery", title="动力锂电池热失控早期预警",
         description="电池包需要在热失控前数分钟给出预警，降低起火风险。",
         industry="新能源汽车", province="广东", city="深圳", contact="李工 0755-5678"),
    Need(id=SECRET_NEED, title="锂电池热失控预警与电池管理系统升级",
         description="保密项目：储能电站电池热失控监测。", industry="新能源",
         province="广东", confidential=True, contact="王经理 13800000000"),
    Need(id="need-water", title="印染废水深度处理与回用",
         description="印染厂废水色度高、难降解，需要低成本深度处理工艺。",
         industry="纺织", province="浙江", city="绍兴", contact="赵工"),
]
ACHIEVEMENTS = [
    Achievement(id="ach-eddy", title="涡流阵列金属表面裂纹快速检测技术",
                abstract="柔性涡流阵列探头，可在一秒内检出高温合金叶片三十微米表面裂纹。",
                type="technology", industry="航空航天", province="北京", maturity=6),
    Achievement(id="ach-bms", title="锂电池热失控预警算法与电池管理系统",
                abstract="基于电压、温度与气体信号融合的锂电池热失控早期预警方法。",
                type="patent", industry="新能源汽车", province="广东"),
    Achievement(id="ach-ozone", title="臭氧催化氧化印染废水深度处理工艺",
                abstract="非均相催化臭氧氧化去除印染废水色度与难降解有机物，出水可回用。",
                type="technology", industry="环保", province="浙江"),
    Achievement(id="ach-paper", title="Ultrasonic inspection of turbine blades",
                abstract="Phased array ultrasonic testing detects cracks in turbine blades.",
                type="paper", language="en", industry="航空航天"),
]
EXPERTS = [
    Expert(id="exp-ndt", name="李明", title="教授", organization="某大学",
           bio="长期从事无损检测、涡流检测与结构健康监测研究。", disciplines=["机械工程"],
           industries=["航空航天"], province="北京", works=["ach-eddy"]),
    Expert(id="exp-battery", name="陈华", title="研究员", organization="某研究所",
           bio="锂电池安全、热失控机理与电池管理系统。", disciplines=["电化学"],
           industries=["新能源汽车"], province="广东", works=["ach-bms"]),
]




def build_home(home: Path, encoder: Encoder) -> Engine:
    """An engine over the tiny corpus above, every index built."""
    settings = Settings(home=home, threads=1, api_keys=API_KEYS)
    engine = Engine.open(settings, encoder=encoder)
    engine.store.upsert([*NEEDS, *ACHIEVEMENTS, *EXPERTS])
    engine.sync()
    return engine


def open_copy(template: Path, home: Path, encoder: Encoder, tokenizer: Tokenizer) -> Engine:
    """An engine over a fresh copy of a built home, sharing the encoder and tokenizer."""
    shutil.copytree(template, home)
    settings = Settings(home=home, threads=1, api_keys=API_KEYS)
    return Engine(settings=settings, store=Store(home / STORE_FILE), tokenizer=tokenizer,
                  encoder=encoder)


def close_engine(engine: Engine) -> None:
    """Close indexes and store but not the shared (session) encoder."""
    for idx in engine.indexes.values():
        idx.close()
    engine.store.close()


def wait_ready(client: TestClient | httpx.Client, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if client.get("/readyz").status_code == 200:
            return
        time.sleep(0.05)
    raise AssertionError(f"not ready after {timeout}s: {client.get('/readyz').text}")


def headers(role: str) -> dict[str, str]:
    return {"X-API-Key": KEYS[role]}




class LiveServer:
    """uvicorn serving an app on a free loopback port, in a thread."""

    def __init__(self, app: FastAPI) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]},
                                       daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        with httpx.Client(base_url=self.url, timeout=10) as c:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    wait_ready(c, timeout=60)
                    return self
                except httpx.TransportError:
                    time.sleep(0.05)
        raise AssertionError("live server did not start")

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)
        self.sock.close()


def csrf_of(page: str) -> str:
    """The CSRF token of a console page's form (every console POST carries it)."""
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None, page[:500]
    return token.group(1)


def console_login(client: TestClient, role: str) -> None:
    """Sign `client` in to the staff console with the `role` key (CSRF token from the form)."""
    html = {"accept": "text/html"}
    form = client.get("/login", headers=html)
    done = client.post("/login", data={"api_key": KEYS[role], "csrf_token": csrf_of(form.text)},
                       headers=html, follow_redirects=False)
    assert done.status_code == 303, done.text[:500]


# Two pilot cities of one name (朝阳 in 辽宁 and in 北京) beside a unique one (苏州).
TWO_CHAOYANG = "城市,省份,批次\n朝阳,辽宁省,2\n朝阳,北京,3\n苏州,江苏,1\n"


def import_pilot_cities(client: TestClient, csv: str = TWO_CHAOYANG) -> None:
    """Register the pilot cities of `csv` through the API's city import (write key)."""
    r = client.post("/v1/programme/import/city", headers=headers("write"),
                    files={"file": ("cities.csv", csv.encode(), "text/csv")})
    assert r.status_code == 200, r.text


def sign_docking(engine: Engine, need: str, value: float, candidate: str = "ach-eddy") -> None:
    """A docking of `need` taken through every stage to 签约 on 2 March 2026, worth `value`."""
    import datetime as dt

    from techmatch.matcher.dockings import Move, NewDocking, create_docking, move_docking
    from techmatch.models.dockings import Contract

    at = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.timezone.utc)
    docking = create_docking(engine.store, NewDocking(need_id=need, candidate_id=candidate),
                             now=at)
    for stage in ("contacted", "confirmed", "negotiating"):
        move_docking(engine.store, docking.id, Move(to=stage), now=at)
    move_docking(engine.store, docking.id, Move(to="signed", contract=Contract(
        contract_type="transfer", value_wan=value, signed_on=at.date())), now=at)
