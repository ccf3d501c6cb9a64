"""Records: upsert single / batch, get, delete, list + filters + pagination, file upload."""

from __future__ import annotations

import io
import json

from api_support import headers
from fastapi.testclient import TestClient

W = headers("write")


def test_upsert_get_update_unchanged(client: TestClient) -> None:
    need = {"id": "need-new", "title": "陶瓷基复合材料连接工艺", "province": "陕西"}
    first = client.post("/v1/needs", json=need, headers=W)
    assert first.status_code == 200 and first.json()["status"] == "inserted"
    assert client.post("/v1/needs", json=need, headers=W).json()["status"] == "unchanged"
    changed = client.put("/v1/needs/need-new", json={**need, "title": "陶瓷连接"}, headers=W)
    assert changed.json()["status"] == "updated"
    got = client.get("/v1/needs/need-new", headers=headers("read")).json()
    assert got["title"] == "陶瓷连接" and got["province"] == "陕西"


def test_put_with_mismatched_id_is_422(client: TestClient) -> None:
    response = client.put("/v1/needs/other", json={"id": "need-x", "title": "题"}, headers=W)
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "body.id"


def test_invalid_record_is_422_with_field(client: TestClient) -> None:
    response = client.post("/v1/achievements", json={"id": "a-bad", "title": "t", "maturity": 12},
                           headers=W)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.maturity"


def test_batch_is_all_or_nothing(client: TestClient) -> None:
    good = [{"id": f"ach-b{i}", "title": f"成果{i}"} for i in range(3)]
    bad = client.post("/v1/achievements/batch", headers=W,
                      json={"records": [*good, {"id": "ach-bad", "type": "nonsense",
                                                "title": "x"}]})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.records.3.type"
    assert client.get("/v1/achievements/ach-b0", headers=W).status_code == 404
    ok = client.post("/v1/achievements/batch", json={"records": good}, headers=W).json()
    assert ok["inserted"] == ["ach-b0", "ach-b1", "ach-b2"] and ok["index"]["scheduled"]


def test_id_of_another_kind_is_rejected(client: TestClient) -> None:
    response = client.post("/v1/achievements", json={"id": "need-blade", "title": "x"}, headers=W)
    assert response.status_code == 422 and "已被另一类记录（需求）使用" in response.json()["detail"]
    assert client.get("/v1/achievements/need-blade", headers=W).status_code == 404


def test_delete(client: TestClient) -> None:
    assert client.delete("/v1/needs/need-water", headers=W).json()["deleted"] is True
    assert client.get("/v1/needs/need-water", headers=W).status_code == 404
    assert client.delete("/v1/needs/need-water", headers=W).status_code == 404
    assert client.delete("/v1/achievements/need-blade", headers=W).status_code == 404


def test_list_filters_and_pagination(client: TestClient) -> None:
    page = client.get("/v1/needs?offset=1&limit=2", headers=W).json()
    assert page["total"] == 4 and len(page["items"]) == 2
    assert [r["id"] for r in page["items"]] == ["need-blade", "need-secret"]  # ordered by id
    guangdong = client.get("/v1/needs?province=广东", headers=W).json()
    assert {r["id"] for r in guangdong["items"]} == {"need-battery", "need-secret"}
    papers = client.get("/v1/achievements?type=paper", headers=W).json()
    assert [r["id"] for r in papers["items"]] == ["ach-paper"]
    wrong = client.get("/v1/experts?status=open", headers=W)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "query.status"


def test_write_then_search_sees_it_with_a_new_generation(client: TestClient) -> None:
    before = client.post("/v1/search", json={"kind": "achievement", "text": "石墨烯散热膜"},
                         headers=W).json()
    body = {"id": "ach-graphene", "title": "石墨烯导热散热膜制备技术",
            "abstract": "高导热石墨烯散热膜，用于手机与服务器散热。"}
    written = client.post("/v1/achievements?wait=true", json=body, headers=W).json()
    assert written["index"]["applied_seq"] == written["index"]["store_seq"]
    after = client.post("/v1/search", json={"kind": "achievement", "text": "石墨烯散热膜"},
                        headers=W).json()
    assert after["hits"][0]["id"] == "ach-graphene"
    assert after["generation"] != before["generation"] == "gen-1"


def test_upload_csv_reports_each_bad_row(client: TestClient) -> None:
    csv = ("id,title,province,maturity\n"
           "ach-u1,柔性传感器,江苏,5\n"
           "ach-u2,,江苏,3\n"
           "ach-u3,高分子膜,浙江,15\n").encode("gb18030")
    response = client.post("/v1/achievements/upload?wait=true", headers=W,
                           files={"file": ("成果.csv", io.BytesIO(csv), "text/csv")})
    report = response.json()
    assert response.status_code == 200, report
    assert report["read"] == 3 and report["inserted"] == ["ach-u1"] and report["rejected"] == 2
    assert [(e["row"], e["field"]) for e in report["errors"]] == [(3, "title/abstract"),
                                                                  (4, "maturity")]
    assert client.get("/v1/achievements/ach-u1", headers=W).json()["title"] == "柔性传感器"


def test_upload_jsonl_and_unknown_format(client: TestClient) -> None:
    lines = "\n".join(json.dumps({"id": f"exp-u{i}", "name": f"专家{i}", "bio": "催化"})
                      for i in range(2))
    ok = client.post("/v1/experts/upload", headers=W,
                     files={"file": ("experts.jsonl", lines.encode(), "application/jsonl")})
    assert ok.json()["inserted"] == ["exp-u0", "exp-u1"]
    bad = client.post("/v1/experts/upload", headers=W,
                      files={"file": ("experts.pdf", b"%PDF", "application/pdf")})
    assert bad.status_code == 422 and "不支持的文件扩展名 .pdf" in bad.json()["detail"]
