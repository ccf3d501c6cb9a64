"""SIGKILL the indexer mid-build, in a bounded loop: the next open serves a complete generation."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from techmatch.config import Settings
from techmatch.indexers.factory import open_index, sync_index
from techmatch.indexers.tokenize import Tokenizer
from techmatch.models.records import Achievement
from techmatch.store import Store

CONTRACT = Path(__file__).resolve().parents[1] / "contract"
sys.path.insert(0, str(CONTRACT))
from contract import FakeEncoder  # noqa: E402

N_RECORDS = 300
KILLS = 8
WORDS = ["锂电池", "正极材料", "光伏", "组件", "机器人", "减速器", "芯片", "封装", "催化剂",
         "氢能", "传感器", "纺织", "印染", "污水", "处理", "数控", "机床", "中药", "提取"]

BUILDER = """
import random, sys
sys.path.insert(0, {contract!r})
from contract import FakeEncoder
from techmatch.config import Settings
from techmatch.indexers.factory import sync_index
from techmatch.store import Store
from techmatch.indexers.tokenize import Tokenizer
from techmatch.models.records import Achievement
settings = Settings(home={home!r}, threads=1)
store, tokenizer, encoder = Store(settings.home / "store.sqlite"), Tokenizer(), FakeEncoder()
rng = random.Random({seed})
print("ready", flush=True)
for n in range(1000):
    rid = f"a-{{rng.randrange({n_records}):04d}}"
    store.upsert([Achievement(id=rid, title=f"改进版本 {{n}} {{rng.random()}}", city="苏州")])
    sync_index(settings, "achievement", store, encoder=encoder, tokenizer=tokenizer,
               full=n % 2 == 0)
"""


def _records(rng: random.Random) -> list[Achievement]:
    out = []
    for i in range(N_RECORDS):
        words = rng.sample(WORDS, 5)
        out.append(Achievement(id=f"a-{i:04d}", title="".join(words[:2]),
                               abstract="，".join(words) * 3, city=rng.choice(["苏州", "南京"])))
    return out


@pytest.mark.slow
def test_sigkill_mid_build_leaves_a_complete_generation(tmp_path: Path) -> None:
    rng = random.Random(20240611)
    settings = Settings(home=tmp_path / "home", threads=1)
    store, tokenizer, encoder = Store(settings.home / "store.sqlite"), Tokenizer(), FakeEncoder()
    store.upsert(_records(rng))
    sync_index(settings, "achievement", store, encoder=encoder, tokenizer=tokenizer)
    seen = set()
    for kill in range(KILLS):
        script = BUILDER.format(contract=str(CONTRACT), home=str(settings.home), seed=kill,
                                n_records=N_RECORDS)
        child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                                 text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 1.5))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
        index = open_index(settings, "achievement", encoder=encoder, tokenizer=tokenizer)
        index.verify()  # type: ignore[attr-defined]  # every file's sha256 matches the manifest
        assert index.count() == N_RECORDS == index.manifest.count  # type: ignore[attr-defined]
        assert len(index.search_lexical(tokenizer.tokens("苏州 锂电池"), k=N_RECORDS).ids) > 0
        seen.add(index.generation)
    assert len(seen) > 1  # builds did complete between kills, so kills hit different states
    report = sync_index(settings, "achievement", store, encoder=encoder, tokenizer=tokenizer,
                        full=True)
    root = settings.home / "index" / "achievement"
    assert report.upserted == N_RECORDS and not list(root.glob("tmp-*"))
