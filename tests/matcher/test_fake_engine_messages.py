"""The fake engine refuses a kind without an index as the real retriever does: its English
"no index for kind 'need'" let tests of what staff read (console, API, CLI) pass or fail on a
text staff never see."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from fakes import make_engine

from techmatch.errors import IndexMissingError
from techmatch.matcher.retrieve import Retriever


def test_a_missing_index_reads_as_the_real_retriever_says_it(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "home")
    try:
        engine.indexes.pop("need", None)
        with pytest.raises(IndexMissingError) as fake:
            engine.index("need")
    finally:
        engine.close()
    with pytest.raises(IndexMissingError) as real:
        Retriever.index(SimpleNamespace(indexes={}), "need")  # type: ignore[arg-type]
    assert str(fake.value) == str(real.value) == "需求索引尚未建立：导入记录后运行 techmatch index"
