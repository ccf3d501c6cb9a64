"""Hybrid retrieval: lexical top-N and dense top-N under filters, fused into one ranking."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
from pydantic import TypeAdapter

from techmatch.config import RetrievalParams
from techmatch.errors import IndexMissingError, ValidationError, coded
from techmatch.indexers.base import Candidates, Index, name_start_term, normalize_filters
from techmatch.indexers.encoders import Encoder
from techmatch.indexers.tokenize import Tokenizer
from techmatch.matcher.crosslingual import Translator, with_translation
from techmatch.matcher.fusion import rrf, weighted
from techmatch.matcher.langshift import default_shift, with_other_languages
from techmatch.matcher.taxonomy import expand_filters
from techmatch.models.records import KIND_LABELS
from techmatch.models.results import Filters, Hit, Ranking

_EMPTY = Candidates([], np.zeros(0, dtype=np.float32))

# what staff call the retrieval modes (codes as requests write them)
MODE_LABELS: dict[str, str] = {"lexical": "关键词检索", "dense": "语义检索", "hybrid": "混合检索"}


class Retriever:
    """Answers free-text queries over one index per kind; built once and shared."""

    def __init__(self, indexes: Mapping[str, Index], *, tokenizer: Tokenizer, encoder: Encoder,
                 params: RetrievalParams | None = None,
                 translate: bool = True) -> None:
        self.indexes = dict(indexes)
        self.tokenizer = tokenizer
        self.encoder = encoder
        self.params = params or RetrievalParams()
        # Query translation for the lexical side (techmatch.matcher.crosslingual).
        self.translator = Translator(tokenizer.tokens) if translate else None
        # The encoder's cross-language cosine calibration (techmatch.matcher.langshift).
        self.language_shift = default_shift(encoder.id, encoder.dim) if translate else None

    def index(self, kind: str) -> Index:
        try:
            return self.indexes[kind]
        except KeyError:
            label = KIND_LABELS.get(kind, kind)
            raise IndexMissingError(f"{label}索引尚未建立：导入记录后运行 techmatch index"
                                    ) from None

    def search(self, text: str, *, kind: str, k: int = 10, mode: str | None = None,
               filters: Filters | None = None, params: RetrievalParams | None = None,
               query_id: str | None = None) -> Ranking:
        """One query; see `search_many`."""
        return self.search_many([text], kind=kind, k=k, mode=mode, filters=filters,
                                params=params, query_ids=[query_id] if query_id else None)[0]

    def search_many(self, texts: Sequence[str], *, kind: str, k: int = 10,
                    mode: str | None = None, filters: Filters | None = None,
                    params: RetrievalParams | None = None,
                    query_ids: Sequence[str] | None = None,
                    vectors: np.ndarray | Callable[[], np.ndarray] | None = None,
                    query_tokens: Sequence[list[str]] | None = None) -> list[Ranking]:
        """Rank `kind` for each text; queries are encoded once, dense search runs batched.

        `vectors` (len(texts), dim) may be given to reuse query vectors already computed, or
        a callable returning them, called after the lexical side has searched (the service
        encodes the query in a thread meanwhile). `query_tokens`: `tokenizer.tokens(text)`
        of each text, when the caller has them already.
        """
        p = params or self.params
        mode = mode or p.mode
        if mode not in ("lexical", "dense", "hybrid"):
            valid = coded(MODE_LABELS, MODE_LABELS)
            raise ValidationError(f"未知检索方式 {mode}（可选：{valid}）", field="mode")
        if k < 1:
            raise ValidationError("应不小于 1", field="k")
        index = self.index(kind)
        flt = normalize_filters(expand_filters(filters))  # industry rolls down the taxonomy
        depth = max(p.depth, k)
        lexical = (self._lexical(index, texts, depth, flt, kind, query_tokens)
                   if mode != "dense" else None)
        dense = self._dense(index, texts, depth, flt, vectors, kind) if mode != "lexical" \
            else None
        out = []
        for i in range(len(texts)):
            lex = lexical[i] if lexical is not None else _EMPTY
            den = dense[i] if dense is not None else _EMPTY
            fused = self.fuse(mode, lex, den, p)
            hits = _hits(fused, lex, den, kind, k)
            out.append(Ranking(query_id=query_ids[i] if query_ids else None, kind=kind,
                               mode=mode, hits=hits, generation=index.generation))
        return out

    def search_names(self, texts: Sequence[str], *, kind: str, k: int,
                     filters: Filters | None = None) -> list[Candidates]:
        """Per text, the records of `kind` whose names (`Record.NAME_FIELDS`) hold its
        words or start with it (`name_start_term`), BM25 over the index's `names` field under
        the same filters as `search_many`. For explicit searches only: matching a need never
        calls it; which of them the text names is techmatch.matcher.names' rule."""
        index = self.index(kind)
        flt = normalize_filters(expand_filters(filters))
        out = []
        for text in texts:
            start = name_start_term(text)
            tokens = [*([start] if start else []), *self.tokenizer.tokens(text)]
            out.append(index.search_names(tokens, k=k, filters=flt) if tokens else _EMPTY)
        return out

    def _lexical(self, index: Index, texts: Sequence[str], depth: int,
                 flt: Filters | None, kind: str = "achievement",
                 query_tokens: Sequence[list[str]] | None = None) -> list[Candidates]:
        out = []
        for i, text in enumerate(texts):
            tokens = (query_tokens[i] if query_tokens is not None
                      else self.tokenizer.tokens(text))
            native = index.search_lexical(tokens, k=depth, filters=flt) if tokens else _EMPTY
            out.append(with_translation(index, self.translator, text, tokens, native, depth,
                                        flt, by_language=kind != "need"))
        return out

    def _dense(self, index: Index, texts: Sequence[str], depth: int, flt: Filters | None,
               vectors: np.ndarray | Callable[[], np.ndarray] | None,
               kind: str = "achievement") -> list[Candidates]:
        if callable(vectors):
            vectors = vectors()
        if vectors is None:
            from techmatch.indexers.ingest.normalize import normalize

            vectors = self.encoder.encode_queries([normalize(t, lower=False) for t in texts])
        blank = [not t.strip() for t in texts]
        results = index.search_dense_batch(vectors, k=depth, filters=flt)
        if kind == "achievement" and self.translator is not None:
            # records in another language at their calibrated cosine (techmatch.matcher.langshift)
            results = with_other_languages(index, self.language_shift, texts, vectors,
                                           results, depth, flt)
        return [_EMPTY if b else r for b, r in zip(blank, results, strict=True)]

    @staticmethod
    def fuse(mode: str, lex: Candidates, den: Candidates, p: RetrievalParams) -> Candidates:
        """The fused candidate list of one query (evaluation calls this too, so it cannot
        drift from what `search` answers)."""
        if mode == "lexical":
            return lex
        if mode == "dense":
            return den
        if p.fusion == "rrf":
            return rrf([lex, den], k=p.rrf_k)
        return weighted([lex, den], [p.lexical_weight, 1.0 - p.lexical_weight],
                        normalization=p.normalization)


_HITS = TypeAdapter(list[Hit])


def _hits(fused: Candidates, lex: Candidates, den: Candidates, kind: str, k: int) -> list[Hit]:
    lex_pos = {rid: i for i, rid in enumerate(lex.ids)}
    den_pos = {rid: i for i, rid in enumerate(den.ids)}
    # one validator call for the page (a Hit and two Components per candidate) instead of
    # three model constructions per candidate
    return _HITS.validate_python([
        {"id": rid, "kind": kind, "score": float(score), "rank": rank,
         "lexical": _component(lex, lex_pos.get(rid)),
         "dense": _component(den, den_pos.get(rid))}
        for rank, (rid, score) in enumerate(zip(fused.ids[:k], fused.scores[:k], strict=True),
                                            1)])


def _component(cands: Candidates, pos: int | None) -> dict[str, float | int]:
    """A `Component`'s fields (none: not retrieved)."""
    if pos is None:
        return {}
    return {"score": float(cands.scores[pos]), "rank": pos + 1}
