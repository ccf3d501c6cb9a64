"""Queries encoded together by `encode_queries_apart` (the service's micro-batching of
concurrent requests) give each text bit for bit the vector it gets alone — also the short
texts whose vectors a padded batch changes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from techmatch.indexers.e5q4 import bf16_supported
from techmatch.indexers.encoders import E5SmallTorchEncoder, HashEncoder
from techmatch.indexers.ingest.normalize import normalize
from techmatch.indexers.vector_cache import encode_apart

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "needs.jsonl"


def titles() -> list[str]:
    rows = [json.loads(line) for line in SAMPLES.read_text("utf-8").splitlines() if line.strip()]
    return [normalize(r["title"], lower=False) for r in rows]


@pytest.fixture(scope="module")
def encoder() -> E5SmallTorchEncoder:
    return E5SmallTorchEncoder(threads=1)


def alone(enc: E5SmallTorchEncoder, texts: list[str]) -> np.ndarray:
    return np.stack([enc.encode_queries([t])[0] for t in texts])


def test_rows_equal_each_text_encoded_alone(encoder: E5SmallTorchEncoder) -> None:
    texts = [*titles()[:24], "", "  ", "锂电池", "高速公路 沥青路面 裂缝检测",
             "本发明公开了一种基于卷积神经网络的遥感图像分割方法。" * 40,  # > 510 tokens
             titles()[0]]  # a text twice in one call
    want = alone(encoder, texts)
    got = encoder.encode_queries_apart(texts)
    assert got.shape == want.shape == (len(texts), 384) and got.dtype == np.float32
    assert np.array_equal(got, want)
    rng = np.random.default_rng(7)  # other company, other order: still the same rows
    for _ in range(4):
        pick = rng.permutation(len(texts))[:int(rng.integers(2, 9))]
        assert np.array_equal(encoder.encode_queries_apart([texts[i] for i in pick]), want[pick])


def test_padding_would_change_short_rows(encoder: E5SmallTorchEncoder) -> None:
    """Why the packed path exists: in an ordinary padded batch some sample titles (the
    shortest, padded past their length) get another vector than alone. Checked, so the
    identity test above is known to test something on this CPU."""
    if not bf16_supported():
        pytest.skip("fp32 queries: the padded batch's rounding differs elsewhere")
    texts = titles()
    want = alone(encoder, texts)
    padded = np.concatenate([encoder.encode_queries(texts[i:i + 2])
                             for i in range(0, len(texts), 2)])
    assert not np.array_equal(padded, want)
    assert np.array_equal(encoder.encode_queries_apart(texts), want)


def test_other_precisions_and_encoders_encode_alone() -> None:
    fp32 = E5SmallTorchEncoder(threads=1, query_precision="fp32")
    texts = titles()[10:16]
    assert np.array_equal(fp32.encode_queries_apart(texts), alone(fp32, texts))
    hashed = HashEncoder()  # no packed path: one call per text
    assert np.array_equal(encode_apart(hashed, texts),
                          np.stack([hashed.encode_queries([t])[0] for t in texts]))
