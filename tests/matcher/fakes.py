"""In-memory fakes for matcher tests: a hashed n-gram encoder, a dict-backed Index, an Engine."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from techmatch.config import Settings
from techmatch.errors import IndexMissingError
from techmatch.indexers.base import Candidates, Document, Index, SyncReport, to_document
from techmatch.indexers.ingest.normalize import normalize
from techmatch.indexers.tokenize import Tokenizer
from techmatch.matcher.engine import STORE_FILE, Engine
from techmatch.models.records import KIND_LABELS, KINDS, Record
from techmatch.models.results import Filters
from techmatch.store import Store


class FakeEncoder:
    """Unit vectors from hashed character uni- and bigrams: similar texts get similar vectors."""

    id = "fake-ngram-64"

    def __init__(self, dim: int = 64) -> None:
        self.dim = dim
        self._grams: dict[str, np.ndarray] = {}
        self.calls = 0

    def _gram(self, gram: str) -> np.ndarray:
        vec = self._grams.get(gram)
        if vec is None:
            seed = int.from_bytes(hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest(),
                                  "little")
            vec = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            self._grams[gram] = vec
        return vec

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            text = normalize(text)
            grams = [c for c in text if not c.isspace()]
            grams += [text[j:j + 2] for j in range(len(text) - 1)]
            for gram in grams:
                out[i] += self._gram(gram)
            norm = float(np.linalg.norm(out[i]))
            if norm > 0:
                out[i] /= norm
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)

    def encode_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode(texts)


class FakeIndex(Index):
    """Exact dense search and a token-overlap (idf-weighted) 'BM25' over a dict of documents."""

    def __init__(self, kind: str, docs: Iterable[Document], encoder: FakeEncoder,
                 generation: str = "fake-1", applied_seq: int = 0) -> None:
        self.kind = kind
        self._docs = {d.id: d for d in docs}
        ids = sorted(self._docs)
        vecs = encoder.encode_passages([self._docs[i].dense_text for i in ids]) if ids else \
            np.zeros((0, encoder.dim), dtype=np.float32)
        self._vectors = {rid: vecs[i] for i, rid in enumerate(ids)}
        self._dim = encoder.dim
        df: Counter[str] = Counter()
        for doc in self._docs.values():
            df.update(set(doc.tokens))
        n = max(len(self._docs), 1)
        self._idf = {t: float(np.log(1 + n / c)) for t, c in df.items()}
        self._generation = generation
        self._seq = applied_seq

    @property
    def generation(self) -> str:
        return self._generation

    @property
    def applied_seq(self) -> int:
        return self._seq

    def count(self) -> int:
        return len(self._docs)

    def _allowed(self, doc: Document, filters: Filters | None) -> bool:
        if filters is None:
            return True
        if filters.exclude_ids and doc.id in filters.exclude_ids:
            return False
        return all(set(doc.facets.get(name) or ()) & set(values)
                   for name, values in filters.facet_items())

    def _top(self, scored: dict[str, float], k: int) -> Candidates:
        order = sorted(scored.items(), key=lambda item: (-item[1], item[0]))[:k]
        return Candidates([rid for rid, _ in order],
                          np.array([s for _, s in order], dtype=np.float32))

    def search_lexical(self, tokens: Sequence[str], *, k: int,
                       filters: Filters | None = None) -> Candidates:
        query = set(tokens)
        scored = {}
        for doc in self._docs.values():
            if not self._allowed(doc, filters):
                continue
            # sorted: a set's order changes with the hash seed, and so would the float sum
            score = sum(self._idf.get(t, 0.0) for t in sorted(query & set(doc.tokens)))
            if score > 0:
                scored[doc.id] = score
        return self._top(scored, k)

    def search_dense(self, vector: np.ndarray, *, k: int,
                     filters: Filters | None = None) -> Candidates:
        scored = {rid: float(vec @ vector) for rid, vec in self._vectors.items()
                  if self._allowed(self._docs[rid], filters)}
        return self._top(scored, k)

    def vectors(self, ids: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(ids), self._dim), dtype=np.float32)
        for i, rid in enumerate(ids):
            vec = self._vectors.get(rid)
            if vec is not None:
                out[i] = vec
        return out

    def has(self, rid: str) -> bool:
        return rid in self._docs


class FakeEngine(Engine):
    """An Engine whose indexes are FakeIndex objects rebuilt from the store by `sync`."""

    def index(self, kind: str) -> Index:
        try:
            return self.indexes[kind]
        except KeyError:
            # as the real retriever says it (techmatch.matcher.retrieve.Retriever.index)
            raise IndexMissingError(f"{KIND_LABELS.get(kind, kind)}索引尚未建立："
                                    "导入记录后运行 techmatch index") from None

    def sync(self, kinds: tuple[str, ...] = KINDS, *, full: bool = False,
             progress: Callable[[int], None] | None = None) -> list[SyncReport]:
        reports = []
        for kind in kinds:
            docs = [to_document(r, self.tokenizer) for r in self.store.iter_records(kind)]
            if not docs:
                self.indexes.pop(kind, None)
                continue
            gen = f"fake-{self.store.last_seq(kind)}"
            self.indexes[kind] = FakeIndex(kind, docs, self.encoder,  # type: ignore[arg-type]
                                           generation=gen, applied_seq=self.store.last_seq(kind))
            reports.append(SyncReport(kind=kind, upserted=len(docs), generation=gen))
        return reports


_TOKENIZER: list[Tokenizer] = []


def shared_tokenizer() -> Tokenizer:
    """One jieba tokenizer per test session (building it takes about a second)."""
    if not _TOKENIZER:
        _TOKENIZER.append(Tokenizer())
    return _TOKENIZER[0]


def make_engine(home: Path, records: Sequence[Record] = (), *,
                settings: Settings | None = None) -> FakeEngine:
    """A FakeEngine in `home` holding `records`, indexes synced."""
    settings = settings or Settings(home=home)
    settings.home.mkdir(parents=True, exist_ok=True)
    engine = FakeEngine(settings=settings, store=Store(settings.home / STORE_FILE),
                        tokenizer=shared_tokenizer(), encoder=FakeEncoder())
    if records:
        engine.store.upsert(list(records))
    engine.sync()
    return engine
