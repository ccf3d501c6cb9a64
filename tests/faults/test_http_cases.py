"""Issue 12 over HTTP: uploads name bad rows, bad files are 422 without server paths, numbers
are strict, and a `wait=true` write that runs out of time says so (202 with the lag).

Each test fails on the code before issue 12 (see the comment on each).
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient

from techmatch.api.app import create_app
from techmatch.api.security import hash_key
from techmatch.config import Settings
from techmatch.matcher.engine import Engine
from techmatch.models.records import Need

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
KEY = "http-cases-admin-key"
HEADERS = {"X-API-Key": KEY}
pytestmark = pytest.mark.slow  # loads e5-small once and indexes a few records


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    home = tmp_path_factory.mktemp("http-cases") / "home"
    settings = Settings(home=home, threads=1, api_keys=f"admin:{hash_key(KEY)}",
                        write_wait_seconds=1.0, follow_interval_seconds=0.2)
    eng = Engine.open(settings)
    eng.store.upsert([Need(id="seed", title="涡轮叶片裂纹检测")])
    eng.sync()
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(engine.settings, engine=engine),
                    raise_server_exceptions=False) as c:
        for _ in range(600):
            if c.get("/readyz").status_code == 200:
                break
            threading.Event().wait(0.1)
        yield c


def _upload(client: TestClient, plural: str, name: str, data: bytes, **query: str):  # noqa: ANN202
    return client.post(f"/v1/{plural}/upload", params=query, headers=HEADERS,
                       files={"file": (name, data, "application/octet-stream")})


def _no_server_paths(body: str) -> None:
    assert "/tmp" not in body and "techmatch-upload" not in body and "Traceback" not in body


def test_upload_with_an_unterminated_quote_names_the_row(client: TestClient) -> None:
    # Old: the quote swallowed every following row; reported as a too-long title.
    rows = ["id,title", "H1,第一行", 'H2,"未闭合', *[f"H{i},后续行{i}" for i in range(3, 9)]]
    response = _upload(client, "needs", "q.csv", ("\n".join(rows) + "\n").encode())
    body = response.json()
    assert response.status_code == 200
    assert body["inserted"] == ["H1", *[f"H{i}" for i in range(3, 9)]]
    assert [(e["row"], "引号没有闭合" in e["message"]) for e in body["errors"]] == [(3, True)]


def test_malformed_workbook_is_422_without_server_paths(client: TestClient) -> None:
    # Old: 500.
    buffer = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.append(["id", "title"])
    book.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    parts["[Content_Types].xml"] = b"<Types><Default"
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as out:
        for name, blob in parts.items():
            out.writestr(name, blob)
    response = _upload(client, "needs", "needs.xlsx", broken.getvalue())
    assert response.status_code == 422
    assert "文件 needs.xlsx：不是可读取的 XLSX 工作簿" in response.json()["detail"]
    _no_server_paths(response.text)


@pytest.mark.parametrize(("name", "data"), [("e.jsonl", b""), ("e.csv", b""),
                                            ("e.csv", b"id,title\n"), ("e.json", b"[]")])
def test_empty_upload_is_422_in_every_format(client: TestClient, name: str, data: bytes) -> None:
    # Old: an empty .jsonl was a 200 with nothing in it, an empty .csv a 422.
    response = _upload(client, "needs", name, data)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(f"文件 {name}：")
    assert response.json()["detail"] in (f"文件 {name}：文件没有数据行（文件为空）",
                                         f"文件 {name}：文件为空，没有表头行")
    _no_server_paths(response.text)


def test_every_row_rejected_is_422_listing_the_rows(client: TestClient) -> None:
    # Old: 200 with nothing stored.
    data = b'{"id": "R1"}\n{"id": "R2", "title": "' + b"x" * 600 + b'"}\n'
    response = _upload(client, "needs", "r.jsonl", data)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["row 1.title/description",
                                                               "row 2.title"]
    _no_server_paths(response.text)


def test_needs_uploaded_as_achievements_are_refused(client: TestClient) -> None:
    # Old: loaded as achievements; confidential needs lost their flag.
    data = (SAMPLES / "needs.jsonl").read_bytes()
    response = _upload(client, "achievements", "needs.jsonl", data)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "文件的列属于需求，而不是成果" in detail and "force_kind=true" in detail
    forced = _upload(client, "achievements", "needs.jsonl", data, force_kind="true").json()
    assert len([e for e in forced["errors"] if e["field"] == "confidential"]) == 4
    assert len(forced["inserted"]) == 44


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/v1/search", {"kind": "need", "text": "裂纹", "k": True}, "body.k"),
    ("/v1/achievements", {"id": "A-bool", "title": "x", "maturity": True}, "body.maturity"),
    ("/v1/experts", {"id": "E-bool", "name": "x", "capacity": True}, "body.capacity"),
])
def test_booleans_are_not_numbers(client: TestClient, path: str, body: dict,  # type: ignore[type-arg]
                                  field: str) -> None:
    # Old: `true` was read as 1.
    response = client.post(path, json=body, headers=HEADERS)
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_wait_true_that_runs_out_answers_202_with_the_lag(client: TestClient, engine: Engine,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    # Old: 200 after the wait with `applied_seq: null`, silently not searchable.
    gate = threading.Event()
    real_sync = engine.sync

    def held_sync(*args, **kwargs):  # noqa: ANN002,ANN003,ANN202
        gate.wait(60)
        return real_sync(*args, **kwargs)

    engine.sync = held_sync  # type: ignore[method-assign]
    try:
        response = client.post("/v1/needs?wait=true", headers=HEADERS,
                               json={"id": "W1", "title": "等待写入 waitprobe"})
        index = response.json()["index"]
        assert response.status_code == 202
        assert index["caught_up"] is False and index["waited"] is True
        assert index["lag"]["records"] >= 1 and index["lag"]["applied_seq"] < index["store_seq"]
        ready = client.get("/readyz").json()
        assert ready["lag"]["need"]["records"] >= 1
    finally:
        gate.set()
        engine.sync = real_sync  # type: ignore[method-assign]
    # The app reads the limit per request; a long one makes "caught up" independent of load.
    monkeypatch.setattr(engine.settings, "write_wait_seconds", 300.0)
    response = client.post("/v1/needs?wait=true", headers=HEADERS,
                           json={"id": "W2", "title": "等待写入 waitprobe2"})
    index = response.json()["index"]
    assert response.status_code == 200 and index["caught_up"] is True
    assert index["applied_seq"] >= index["store_seq"] and index["lag"] is None
    hits = client.post("/v1/search", headers=HEADERS, json={
        "kind": "need", "text": "waitprobe", "mode": "lexical", "explain": False}).json()["hits"]
    assert "W1" in [h["id"] for h in hits]
    assert json.dumps(client.get("/readyz").json()["lag"]["need"]["records"]) == "0"


def test_wrong_kind_upload_says_how_to_load_it_over_http(client: TestClient) -> None:
    """The hint read 'use --kind need (HTTP: the <path> route), or --force-kind': the route
    was scrubbed as if it were a server path, and HTTP users were told a CLI flag."""
    data = (SAMPLES / "needs.jsonl").read_bytes()
    detail = _upload(client, "achievements", "needs.jsonl", data).json()["detail"]
    assert "<path>" not in detail and "force_kind=true" in detail, detail
    assert "POST /v1/needs/upload" in detail, detail
