"""An upload with English headers names its id column as an English spreadsheet does —
`Need ID`, `Achievement ID`, `Expert ID` — beside `id`; docs/api.md promises Chinese or English
headers.

Before, `Need ID,Title,Description,City` was refused whole: 缺少编号列（可用表头：id、_id、编号、
记录编号、唯一编号、record_id、需求编号、问题编号）, although every other column was read.
"""

from __future__ import annotations

import pytest
from api_support import headers
from fastapi.testclient import TestClient


@pytest.mark.parametrize("plural, text, rid", [
    ("needs", "Need ID,Title,Description,City\nneed-en-9,Electroplating wastewater,"
              "Remove nickel and chromium at low cost,Suzhou\n", "need-en-9"),
    ("achievements", "Achievement ID,Title,Abstract,Type\nach-en-9,Eddy current array probe,"
                     "Detects 30 micrometre cracks,technology\n", "ach-en-9"),
    ("experts", "Expert ID,Name,Organization,Bio\nexp-en-9,Anna Keller,KIT,"
                "Battery safety and hydrogen sensing\n", "exp-en-9"),
])
def test_an_english_id_header_names_the_id_column(client: TestClient, plural: str,
                                                  text: str, rid: str) -> None:
    r = client.post(f"/v1/{plural}/upload", headers=headers("write"),
                    files={"file": ("english.csv", text.encode(), "text/csv")})
    assert r.status_code == 200, r.text
    assert r.json()["inserted"] == [rid] and r.json()["errors"] == []
    got = client.get(f"/v1/{plural}/{rid}", headers=headers("admin"))
    assert got.status_code == 200, got.text
