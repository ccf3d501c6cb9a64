"""A pilot city's contacts (试点城市联络人): read keys read their phone numbers and e-mail
addresses on /v1/programme/city, although contact fields are for write and admin keys only
and the console's 试点城市 page shows read sessions their names and roles alone."""

from __future__ import annotations

from api_support import headers
from fastapi.testclient import TestClient

CITY = {"name": "苏州", "province": "江苏", "batch": 1, "start": "2026-01-15",
        "contacts": [{"name": "苏州科协联络员", "role": "市科协", "phone": "0512-6868 0000",
                      "email": "liaison@example.org"}], "notes": ""}


def test_read_key_reads_contacts_without_phone_and_email(client: TestClient) -> None:
    assert client.put("/v1/programme/city", headers=headers("write"),
                      json=[CITY]).status_code == 200
    one = client.get("/v1/programme/city/苏州", headers=headers("read")).json()
    listed = client.get("/v1/programme/city", headers=headers("read")).json()
    assert listed == [one]
    assert one["contacts"] == [{"name": "苏州科协联络员", "role": "市科协", "phone": None,
                                "email": None}]
    assert (one["batch"], one["start"]) == (1, "2026-01-15")
    whole = client.get("/v1/programme/city/苏州", headers=headers("write")).json()
    assert whole["contacts"] == CITY["contacts"]
