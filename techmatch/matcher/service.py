"""The ranking service: hybrid candidates → features → linear score → confidence → explanation.

Build one `MatchService` per process from the shared `Engine` and inject it (HTTP API, batch,
roadshow, assignment). Confidential needs are returned like any record: filtering them by
role is the API's job (techmatch.api.visibility).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from techmatch.errors import ValidationError, coded
from techmatch.indexers.ingest.normalize import normalize
from techmatch.indexers.token_cache import TokenSets
from techmatch.indexers.vector_cache import encode_apart
from techmatch.matcher import experts as expert_mod
from techmatch.matcher import needevidence, tablecols
from techmatch.matcher.conflicts import conflict
from techmatch.matcher.crosslingual import Translator
from techmatch.matcher.dockings.effects import exclusions
from techmatch.matcher.duplicates import DEFAULT_THRESHOLD, mark_duplicates
from techmatch.matcher.engine import Engine
from techmatch.matcher.explain import Explainer
from techmatch.matcher.features import FeatureTable, Query, WorkScores, build_table
from techmatch.matcher.fieldprofile import FieldCentroids
from techmatch.matcher.langshift import LanguageShift, cross_offsets
from techmatch.matcher.memo import CandidateMemo
from techmatch.matcher.names import ID, START, WHOLE, Naming, id_key, named_ids, typed_ids
from techmatch.matcher.prf import uses_prf
from techmatch.matcher.querybatch import QueryBatcher
from techmatch.matcher.scorer import CURRENT, MODELS_DIR, LinearModel, RankerModel
from techmatch.matcher.shipped import active_model
from techmatch.matcher.taxonomy import expand_filters
from techmatch.models.records import KIND_LABELS, Achievement, Expert, Need, Record, record_type
from techmatch.models.results import Component, Filters, Hit, MessageCode, Ranking
from techmatch.store import Store

# staff-facing (zh-CN); `Ranking.message_code` is the stable code beside each
ROUTE_MESSAGE = "没有足够好的匹配，请转人工处理"  # no_good_match (abstention)
FILTERED_MESSAGE = "没有符合筛选条件的记录，请放宽筛选条件"  # no_filter_match
# named_match: a search's list opens with the records its text names (not routed)
NAMED_MESSAGE = "按名称找到：列在前面的记录名称与检索词一致（名称一致），其余仅按相关度列出"
# id_match: a search's text is a record's id (techmatch.matcher.names.id_key): it comes first
ID_MESSAGE = "按编号找到：列在最前的记录编号与检索词一致（编号一致），其余仅按相关度列出"
PREFER_LOCAL_BONUS = 0.15
# how deep a search reads the names field whatever k (the API's MAX_K): which records the text
# names, and so their order (`Scored.order`), are the same for k=10 and k=100
NAME_DEPTH = 100
ENCODER_THREADS = 4  # concurrent requests of one API worker each encode in their own thread
_TARGETS = ("achievement", "expert", "need")


@dataclass
class Scored:
    """One query's candidates, features and scores before hits are built."""

    query: Query
    ranking: Ranking
    table: FeatureTable
    model: LinearModel
    raw: np.ndarray
    final: np.ndarray
    confidence: np.ndarray
    vectors: np.ndarray
    records: dict[str, Record]
    works: WorkScores | None
    bonus: float
    evidence: np.ndarray | None = None  # absolute evidence (techmatch.matcher.abstain)
    answerable: float | None = None  # P(the top hit is a good match), when a model applies
    fitted_hits: bool = False  # every hit's confidence came from a fitted hit model
    # computed once per query for the features, reused by evidence and explanations:
    texts: dict[str, str] = field(default_factory=dict)  # record id → record.text()
    q_tokens: frozenset[str] = frozenset()
    translated: frozenset[str] = frozenset()  # the query's dictionary tokens
    translator: Translator | None = None
    # records a free-text search names (its id, a whole name or a clear start of one:
    # techmatch.matcher.names) and how, listed before the others: id, whole, then by a start
    named: dict[str, Naming] = field(default_factory=dict)
    # per table row, the query's cosine to the record (language-shifted): absolute, unlike
    # `final` (list-relative features), so the named records' order does not depend on k
    similarity: np.ndarray | None = None
    # candidates staff dropped for this query (not relevant / never suggest): scored with the
    # others, so every list-relative feature, confidence and the abstention evidence read the
    # same list as before the drop (a rejection says nothing in favour of the others), and
    # left out only when the hits are built (`hit_order`)
    dropped: frozenset[str] = frozenset()
    _order: list[int] | None = field(default=None, init=False, repr=False)

    def order(self) -> list[int]:
        """Table rows in the final order: the records the query names first (by its id, named
        whole, named by a start), each group by the query's similarity to them (absolute: the
        same order whatever k, where `final` is relative to the list scored), then the rest
        by score descending; ties by id. Sorted once: the hits, the evidence and the hit
        confidences all read it, and `final` is fixed once scored (the evidence changes only
        `confidence`)."""
        if self._order is None:
            ids, named, sim = self.table.ids, self.named, self.similarity

            def key(j: int) -> tuple[int, float, str]:
                tier = _tier(named.get(ids[j]))
                if tier < _TIERS[None] and sim is not None:
                    return tier, -float(sim[j]), ids[j]
                return tier, -float(self.final[j]), ids[j]

            self._order = sorted(range(len(ids)), key=key)
        return list(self._order)

    def hit_order(self) -> list[int]:
        """`order()` without the rows staff dropped: the rows that may become hits."""
        if not self.dropped:
            return self.order()
        return [j for j in self.order() if self.table.ids[j] not in self.dropped]


class MatchService:
    """Ranks achievements / experts for needs, needs for achievements, and free text."""

    def __init__(self, engine: Engine, *, model: RankerModel | None = None,
                 depth: int = 50, work_depth: int = 200) -> None:
        self.engine = engine
        self._follow = model is None  # follow `ranker-current.json` when no model was given
        self._stamp: int | None = None
        self.model = model if model is not None else active_model(
            engine.settings.home, engine.encoder.id)  # no pointer file: the shipped model
        self.refresh_model()
        self.depth = depth
        self.work_depth = work_depth
        self.load: dict[str, int] = {}  # expert id → current assignments (set by assignment)
        self.duplicate_threshold = DEFAULT_THRESHOLD
        self._tokens: dict[str, frozenset[str]] = {}
        self._token_sets: TokenSets | None = None  # on-disk sets by text (opened on first use)
        # candidate texts etc. remembered across needs: set by the batch while it matches
        self.memo: CandidateMemo | None = None
        self._encoders: ThreadPoolExecutor | None = None  # query encoding beside retrieval
        self._batcher = self._new_batcher()  # one free-text query per request, encoded jointly
        self.explainer = Explainer(engine, tokens=self.tokens)
        self._works = expert_mod.WorkIndex(engine)
        self._centroids = FieldCentroids(engine)

    # -- public API ------------------------------------------------------------------------
    def search(self, text: str, *, kind: str, k: int = 10, mode: str | None = None,
               filters: Filters | None = None, explain: bool = True) -> Ranking:
        """Free text → records of `kind`. Records are also found by id (the whole text, as the
        console reads it: `names.id_key`) and by name (`NAME_FIELDS`), and those the text
        names come first, `Hit.named` / `Hit.match_by` (techmatch.matcher.names); matching a
        need never reads names."""
        return self._rank([Query.of(text)], _target(kind), k=k, mode=mode, filters=filters,
                          explain=explain, names=True)[0]

    def match_need(self, need: str | Need, *, target: Literal["achievement", "expert"],
                   k: int = 10, filters: Filters | None = None, explain: bool = True,
                   prefer_local: bool = False, require_local: bool = False,
                   show_excluded: bool = False) -> Ranking:
        """A need (id or record) → achievements or experts. Pairs staff dropped as not
        relevant (or never to suggest) are left out of the hits, and the others keep the
        confidences they had before the drop; `show_excluded` lists them."""
        record = self._resolve(need, "need")
        if target not in ("achievement", "expert"):
            raise ValidationError(f"未知匹配对象 {target}（可选：achievement（成果）、"
                                  f"expert（专家））", field="target")
        if require_local:
            filters = local_filters(record, filters)
        ranking = self._rank([Query.of(record)], target, k=k, filters=filters, explain=explain,
                             prefer_local=prefer_local)[0]
        if show_excluded:
            found = exclusions(self.engine.store, [record.id]).get(record.id, {})
            ranking.excluded = [found[c] for c in sorted(found)
                                if found[c].candidate_kind == target]
        return ranking

    def match_achievement(self, achievement: str | Achievement, *, k: int = 10,
                          filters: Filters | None = None, explain: bool = True) -> Ranking:
        """An achievement (id or record) → the needs (enterprises) that would want it."""
        record = self._resolve(achievement, "achievement")
        return self._rank([Query.of(record)], "need", k=k, filters=filters, explain=explain)[0]

    def match_many(self, needs: Sequence[Need], *, target: str, k: int = 10,
                   filters: Filters | None = None, explain: bool = True,
                   vectors: np.ndarray | None = None, records: bool = True) -> list[Ranking]:
        """Many needs at once: query texts encoded once (or `vectors`, one row per need, when
        the caller already has them), retrieval batched. `records` False: hits without the
        record itself (`Hit.record` None; the batch stores ids, and a dump costs ~0.1 ms)."""
        return self._rank([Query.of(n) for n in needs], _target(target), k=k, filters=filters,
                          explain=explain, vectors=vectors, records=records)

    def score_pairs(self, needs: Sequence[Need], candidates: Sequence[Record], *,
                    target: str) -> np.ndarray:
        """(len(needs), len(candidates)) confidences in [0, 1] for every pair; a pair staff
        dropped (never suggested again) scores 0, the others as if it had not been dropped."""
        target = _target(target)
        extra = {c.id: c for c in candidates}
        scored = self._score([Query.of(n) for n in needs], target, filters=None, mode=None,
                             depth=self.work_depth, extra=extra)
        out = np.zeros((len(needs), len(candidates)), dtype=np.float64)
        for i, s in enumerate(scored):
            pos = {rid: j for j, rid in enumerate(s.table.ids) if rid not in s.dropped}
            for j, cand in enumerate(candidates):
                if cand.id in pos:
                    out[i, j] = s.confidence[pos[cand.id]]
        return out

    def feature_tables(self, queries: Sequence[Query], *, target: str,
                       depth: int | None = None) -> list[FeatureTable]:
        """Features of each query's retrieved candidates (what `train_ranker` learns from)."""
        scored = self._score(queries, _target(target), filters=None, mode=None,
                             depth=depth or self.depth, all_features=True,
                             keep_dropped=True)  # staff's rejections are training rows
        return [s.table for s in scored]

    def evidence(self, queries: Sequence[Query], *, target: str,
                 vectors: np.ndarray | None = None) -> list[tuple[np.ndarray | None, list[str]]]:
        """Per query: its abstention evidence and its ranked candidate ids (what the
        abstention model is fitted on)."""
        scored = self._score(queries, _target(target), filters=None, mode=None,
                             depth=self.depth, vectors=vectors, keep_dropped=True)
        return [(s.evidence, [s.table.ids[j] for j in sorted(
            range(len(s.table.ids)), key=lambda j: (-s.final[j], s.table.ids[j]))])
                for s in scored]

    def scored(self, queries: Sequence[Query], *, target: str,
               filters: Filters | None = None) -> list[Scored]:
        """Per query: its scored candidates with their abstention evidence, before hits are
        built (what the abstention and hit-confidence models are fitted on); the candidates
        staff dropped are among them, named in `Scored.dropped`."""
        return self._score(queries, _target(target), filters=filters, mode=None,
                           depth=self.depth)

    def after_fork(self) -> None:
        """In a forked worker (techmatch.matcher.batch.workers): connections of its own to
        the store and the cache files; the inherited ones stay referenced, never closed."""
        self.engine.after_fork()
        self._encoders = None  # a pool's threads do not survive a fork: a new one on first use
        self._batcher = self._new_batcher()
        if self._token_sets is not None:
            self._inherited = self._token_sets
            self._token_sets = None  # reopened on first use

    def refresh_model(self) -> None:
        """Load the current trained model when `ranker-current.json` changed since the last
        look (a stat per call), so a long-running service picks up `train-ranker` output."""
        if not self._follow:
            return
        pointer = self.engine.settings.home / MODELS_DIR / CURRENT
        try:
            stamp: int | None = pointer.stat().st_mtime_ns
        except FileNotFoundError:
            stamp = None
        if stamp != self._stamp:
            # the home's own model, else the shipped one (same encoder), else defaults
            self.model = active_model(self.engine.settings.home, self.engine.encoder.id)
            self._stamp = stamp

    def tokens(self, text: str) -> frozenset[str]:
        """Token set of a text (cached: candidate texts recur across queries)."""
        found = self._tokens.get(text)
        if found is None:
            if len(self._tokens) > 200_000:
                self._tokens.clear()
            found = frozenset(self.engine.tokenizer.tokens(text))
            self._tokens[text] = found
        return found

    def tokens_many(self, texts: Sequence[str]) -> dict[str, frozenset[str]]:
        """Token sets of candidate texts: the in-memory dict, then one read of the on-disk
        cache filled by index sync (techmatch.indexers.token_cache), tokenising only the rest."""
        out = {t: found for t in texts if (found := self._tokens.get(t)) is not None}
        misses = [t for t in dict.fromkeys(texts) if t not in out]
        if misses:
            if self._token_sets is None:
                self._token_sets = TokenSets(self.engine.tokenizer,
                                             self.engine.settings.vector_cache_dir)
            if len(self._tokens) > 200_000:
                self._tokens.clear()
            read = self._token_sets.sets(misses)
            self._tokens.update(read)
            out.update(read)
        return out

    def _query_tokens(self, texts: Sequence[str]) -> list[list[str]]:
        """The batch's queries tokenised once for retrieval and features (`tokens`)."""
        out = [self.engine.tokenizer.tokens(text) for text in texts]
        for text, tokens in zip(texts, out, strict=True):
            self._tokens.setdefault(text, frozenset(tokens))
        return out

    # -- pipeline --------------------------------------------------------------------------
    def _encode(self, queries: Sequence[Query]) -> Future[np.ndarray]:
        """The queries' vectors, computed in the service's encoder thread pool (a stored
        need's vector comes from the vector cache: encoded once). A lone free-text query (a
        search request) goes to the micro-batcher, encoded together with concurrent requests'
        queries and bit-identical to encoding it alone (techmatch.matcher.querybatch)."""
        if len(queries) == 1 and queries[0].record is None:
            return self._batcher.submit([normalize(queries[0].text, lower=False)])
        if self._encoders is None:
            self._encoders = ThreadPoolExecutor(ENCODER_THREADS,
                                                thread_name_prefix="techmatch-encode")
        return self._encoders.submit(self.engine.query_vectors,
                                     [normalize(q.text, lower=False) for q in queries],
                                     stored=[q.record is not None for q in queries])

    def _new_batcher(self) -> QueryBatcher:
        return QueryBatcher(lambda texts: encode_apart(self.engine.encoder, texts))

    def _resolve(self, value: str | Record, kind: str) -> Record:
        if isinstance(value, str):
            return self.engine.store.get(value, kind)
        if value.kind != kind:
            raise ValidationError(f"应为{KIND_LABELS.get(kind, kind)}，不是"
                                  f"{KIND_LABELS.get(value.kind, value.kind)}", field="kind")
        return value

    def _typed_ids(self, text: str, target: str) -> list[str]:
        """The stored ids of `target` the whole `text` is (`names.id_key`, the same key the
        store keeps for each id; one indexed read, none for a text with spaces or longer than
        an id)."""
        key = id_key(text)
        if not key or len(key) > 128 or any(ch.isspace() for ch in key):
            return []
        return typed_ids(text, self.engine.store.ids_by_key(target, key))

    def _name_candidates(self, text: str, ids: Sequence[str], *, depth: int, k: int,
                         target: str, qvec: np.ndarray,
                         language_shift: LanguageShift | None
                         ) -> tuple[list[str], dict[str, Naming] | None, Mapping[str, Record]]:
        """The name search's records that join a search's candidates: its first `depth`, as
        ever, and past them the named records (`named_ids`) among the first `k` of every
        record the text names (read NAME_DEPTH deep whatever k) in `Scored.order`'s order —
        by how named, then similarity. So the first k named records are candidates whatever
        k (at k = NAME_DEPTH all are), at the cost of reading the vectors of the named ones
        and scoring at most k more candidates. Also how the text names each of `ids` (None
        when nothing past `depth` was read) and the records read."""
        head, tail = list(ids[:depth]), ids[depth:]
        if not tail:
            return head, None, {}
        records = dict(self.engine.store.parsed.get_many(list(tail)))
        if not named_ids(text, records.values()):  # the common case: nothing named past depth
            return head, None, {}
        records.update(self.engine.store.parsed.get_many(head))
        how = named_ids(text, (records[rid] for rid in ids if rid in records))
        named = [records[rid] for rid in ids if rid in how]
        sim = (self.engine.record_vectors(target, named) @ qvec
               + cross_offsets(language_shift, qvec, text, named))
        first = sorted(range(len(named)),
                       key=lambda j: (_tier(how[named[j].id]), -float(sim[j]), named[j].id))[:k]
        keep = {named[j].id for j in first}
        return [*head, *(rid for rid in tail if rid in keep)], how, records

    def _rank(self, queries: Sequence[Query], target: str, *, k: int, mode: str | None = None,
              filters: Filters | None = None, explain: bool = True,
              prefer_local: bool = False, vectors: np.ndarray | None = None,
              records: bool = True, names: bool = False) -> list[Ranking]:
        if k < 1:
            raise ValidationError("应不小于 1", field="k")
        scored = self._score(queries, target, filters=filters, mode=mode,
                             depth=max(k, self.depth), prefer_local=prefer_local,
                             vectors=vectors, names=names, k=k)
        filtered = filters is not None and bool(filters.facet_items())  # not exclude_ids
        return [self._ranking(s, target, k, explain, records, filtered) for s in scored]

    def _score(self, queries: Sequence[Query], target: str, *, filters: Filters | None,
               mode: str | None, depth: int, prefer_local: bool = False,
               extra: Mapping[str, Record] | None = None,
               vectors: np.ndarray | None = None, all_features: bool = False,
               keep_dropped: bool = False, names: bool = False,
               k: int | None = None) -> list[Scored]:
        """Score each query's retrieved candidates. Pairs staff dropped (not relevant / never
        suggest) are scored with the others and named in `Scored.dropped` (left out of the
        hits by `_ranking`), unless `keep_dropped` (training reads them as labels). `names`
        (free-text search only): records whose names hold the query's words join the
        candidates, and those it names whole are listed first (the first `k` of them
        candidates whatever `depth`: `_name_candidates`)."""
        self.refresh_model()
        texts = [q.text for q in queries]
        retriever = self.engine.retriever()  # once per call: each lookup stats every index
        # the query encoder runs in a thread while the lexical side searches (torch releases
        # the GIL in its products); the dense side waits for its vectors
        pending = self._encode(queries) if vectors is None else None
        q_tokens = self._query_tokens(texts) if self.memo is not None else None
        try:
            rankings = retriever.search_many(
                texts, kind=target, k=depth, mode=mode, filters=filters,
                vectors=vectors if pending is None else pending.result, query_tokens=q_tokens)
        except BaseException:
            if pending is not None:  # no index (a CLI exiting at once): let the encoder finish,
                pending.exception()  # else the process aborts with torch's thread running
            raise
        qvecs = pending.result() if pending is not None else vectors
        assert qvecs is not None  # pending is None only when the vectors were given
        work_rankings = (expert_mod.achievement_rankings(self.engine, texts, qvecs,
                                                         self.work_depth)
                         if target == "expert" else None)
        by_name = (retriever.search_names(texts, kind=target, k=max(depth, NAME_DEPTH),
                                          filters=filters)
                   if names and record_type(target).NAME_FIELDS else None)
        banned = {} if keep_dropped else _banned(self.engine.store, queries, rankings, target)
        # many queries (a batch chunk): their candidates read and seq-checked in one pass
        fetched = (self.engine.store.parsed.get_many(
            dict.fromkeys(h.id for r in rankings for h in r.hits)) if len(queries) > 1 else None)
        out = []
        for i, (query, ranking) in enumerate(zip(queries, rankings, strict=True)):
            ranking.query_id = query.id
            hybrid = None
            if work_rankings is not None:
                hybrid = expert_mod.hybrid_scores(work_rankings[i])
                pool = expert_mod.owner_pool(self.engine, work_rankings[i], self._works)
                _extend(ranking, pool, target)
            if extra:
                _extend(ranking, list(extra), target)
            typed = self._typed_ids(query.text, target) if names else []
            how: dict[str, Naming] | None = None
            by_names: list[str] = []
            read: Mapping[str, Record] = {}
            name_ids = by_name[i].ids if by_name is not None else []
            if by_name is not None:
                # the name search's first `depth` records are candidates, as ever; past them
                # only the first k named (read as deep whatever k: NAME_DEPTH)
                by_names, how, read = self._name_candidates(
                    query.text, name_ids, depth=depth, k=k or depth, target=target,
                    qvec=qvecs[i], language_shift=retriever.language_shift)
            if typed or by_names:
                _extend(ranking, [*typed, *by_names], target)
            scored = self._features(query, ranking, target, qvecs[i], filters, hybrid,
                                    extra or {}, prefer_local, all_features,
                                    translator=retriever.translator,
                                    language_shift=retriever.language_shift,
                                    fetched={**(fetched or {}), **read} if read else fetched)
            # dropped by staff for this pair: scored like the rest (the others' list-relative
            # values unchanged by the drop), never suggested again (`_ranking`)
            scored.dropped = frozenset(banned.get(query.id, ())) if query.id else frozenset()
            if how is not None:  # read by `_name_candidates` already
                scored.named = {rid: how[rid] for rid in name_ids
                                if rid in how and rid in scored.records}
            elif by_name is not None:
                scored.named = named_ids(query.text, (scored.records[rid] for rid in
                                                      by_name[i].ids if rid in scored.records))
            # the id before any name (a record named both ways: by its id)
            scored.named.update((rid, ID) for rid in typed if rid in scored.records)
            needevidence.attach(self, scored, target,
                                work_rankings[i] if work_rankings is not None else None,
                                qvecs[i])
            out.append(scored)
        return out

    def _features(self, query: Query, ranking: Ranking, target: str, qvec: np.ndarray,
                  filters: Filters | None, hybrid: dict[str, float] | None,
                  extra: Mapping[str, Record], prefer_local: bool,
                  all_features: bool = False, *,
                  translator: Translator | None = None,
                  language_shift: LanguageShift | None = None,
                  fetched: Mapping[str, Record] | None = None) -> Scored:
        ids = [h.id for h in ranking.hits]
        # parsed once per change of a record, not once per query (techmatch.store.parsed);
        # `fetched`: the records of the call's queries, read at once (`_score`)
        records: dict[str, Record] = _records(self.engine.store.parsed.get_many, ids, fetched)
        records.update({rid: rec for rid, rec in extra.items() if rec.kind == target})
        ranking.hits = [h for h in ranking.hits if h.id in records
                        and (h.lexical.rank or h.dense.rank or h.id in extra
                             or passes(records[h.id], filters))]
        vectors = self.engine.record_vectors(target, [records[h.id] for h in ranking.hits])
        cos = vectors @ qvec if len(vectors) else np.zeros(0)
        # records in another language on the query language's cosine scale (langshift)
        cos = cos + cross_offsets(language_shift, qvec, query.text,
                                  [records[h.id] for h in ranking.hits])
        works = None
        if hybrid is not None:
            team = [r for r in records.values() if isinstance(r, Expert)]
            works = expert_mod.work_scores(self.engine, hybrid, team, qvec,
                                           self._centroids.profile(qvec))
        memo = self.memo
        texts = ({rid: rec.text() for rid, rec in records.items()} if memo is None
                 else {rid: memo.text(rec) for rid, rec in records.items()})
        sets = self.tokens_many(list(texts.values()))
        tokens = {rid: sets[text] for rid, text in texts.items()}
        q_tokens = self.tokens(query.text)
        translated = translator.translated_set(query.text, q_tokens) \
            if translator is not None else frozenset()  # remembered from retrieval
        model = self.model.for_kind(target)
        # PRF features cost a few ms per query: only when training or the model weighs them
        prf = all_features or uses_prf(model, query.text)
        if memo is not None and works is None and tablecols.applies(target, records):
            table = tablecols.achievement_table(query, q_tokens, ranking, records, tokens, cos,
                                                translated=translated, vectors=vectors,
                                                prf=prf, memo=memo)  # the batch's: by column
        else:
            table = build_table(query, q_tokens, ranking, target, records, tokens,
                                cos, works=works, load=self.load, translated=translated,
                                vectors=vectors, prf=prf)
        raw = model.score(table.values, table.names)
        bonus = PREFER_LOCAL_BONUS if prefer_local else 0.0
        final = raw + bonus * table.column("region")
        keep = {rid: j for j, rid in enumerate(h.id for h in ranking.hits)}
        rows = [keep[rid] for rid in table.ids]
        vectors = vectors[rows] if len(table.ids) else vectors[:0]
        return Scored(query, ranking, table, model, raw, final, model.confidence(raw),
                      vectors, records, works, bonus, texts=texts, q_tokens=q_tokens,
                      translated=translated, translator=translator,
                      similarity=np.asarray(cos)[rows] if len(rows) else np.zeros(0))

    def _ranking(self, s: Scored, target: str, k: int, explain: bool,
                 records: bool = True, filtered: bool = False) -> Ranking:
        order = s.hit_order()[:k]  # never a pair staff dropped; ranks 1..k without gaps
        by_id = {h.id: h for h in s.ranking.hits}
        hits = []
        for rank, j in enumerate(order, 1):
            rid = s.table.ids[j]
            src = by_id[rid]
            rec = s.records[rid]
            hits.append(Hit(id=rid, kind=target, score=float(s.final[j]), rank=rank,
                            title=rec.display_title, lexical=src.lexical, dense=src.dense,
                            confidence=float(s.confidence[j]),
                            conflict=conflict(s.query.record, rec), named=rid in s.named,
                            match_by=_match_by(s.named.get(rid)),
                            record=rec.model_dump(mode="json") if records else None))
        if target != "expert":  # two people are never "the same record" by profile cosine
            mark_duplicates(hits, s.vectors[order], threshold=self.duplicate_threshold)
        if explain and hits:
            self.explainer.explain(s, hits, order)
        routed, message, code = route(hits, self.engine.settings.confidence_threshold,
                                      filtered=filtered)
        return Ranking(query_id=s.query.id, kind=target, mode=s.ranking.mode, hits=hits,
                       generation=s.ranking.generation, routed_to_staff=routed,
                       message=message, message_code=code)


def _banned(store: Store, queries: Sequence[Query], rankings: Sequence[Ranking],
            target: str) -> dict[str, set[str]]:
    """query id → candidate ids staff dropped for it (not relevant / never suggest): a need's
    dropped candidates, or for an achievement (target `need`) the retrieved needs that
    dropped it."""
    if target != "need":
        found = exclusions(store, [q.id for q in queries if q.id])
        return {need: set(cands) for need, cands in found.items()}
    ids = {q.id for q in queries if q.id}
    needs = sorted({h.id for r in rankings for h in r.hits})
    out: dict[str, set[str]] = {}
    for need, cands in (exclusions(store, needs) if ids and needs else {}).items():
        for cand in ids & set(cands):
            out.setdefault(cand, set()).add(need)
    return out


def route(hits: Sequence[Hit], threshold: float, *,
          filtered: bool = False) -> tuple[bool, str | None, MessageCode | None]:
    """(routed to staff, the message, its code): routed when no hit that can become a docking
    reaches `threshold` (no_good_match). A list whose only confident hits are conflicted (the
    enterprise's own result, an expert it employs or who excludes it:
    techmatch.matcher.conflicts) is routed too — the need is not served by them — and the
    message says why (only_conflicted). An empty list under facet filters (`filtered`) is no
    abstention: the filters left nothing to rank, and the message says so (no_filter_match,
    not routed). Nor is a search whose list opens with records its text names (`Hit.named`,
    techmatch.matcher.names): staff found what they named, whatever the semantic confidence
    (named_match, not routed; id_match when the text is the first such record's id)."""
    if not hits and filtered:
        return False, FILTERED_MESSAGE, "no_filter_match"
    if max((h.confidence or 0.0 for h in hits if h.conflict is None), default=0.0) >= threshold:
        return False, None, None
    found = next((h for h in hits if h.named and h.conflict is None), None)
    if found is not None:
        if found.match_by == "id":
            return False, ID_MESSAGE, "id_match"
        return False, NAMED_MESSAGE, "named_match"
    blocked = next((h for h in hits if h.conflict and (h.confidence or 0.0) >= threshold), None)
    if blocked is not None:
        return (True, f"可信的候选均不宜对接（{blocked.conflict_label}），请转人工处理",
                "only_conflicted")
    return True, ROUTE_MESSAGE, "no_good_match"


_TIERS: dict[Naming | None, int] = {ID: 0, WHOLE: 1, START: 2, None: 3}


def _tier(named: Naming | None) -> int:
    """Where a record comes in a search's list: its id typed, named whole, named by a start,
    the rest."""
    return _TIERS[named]


def _match_by(named: Naming | None) -> Literal["id", "name"] | None:
    return None if named is None else "id" if named == ID else "name"


def _target(kind: str) -> str:
    if kind not in _TARGETS:
        valid = coded(_TARGETS, KIND_LABELS)
        raise ValidationError(f"未知记录类型 {kind}（可选：{valid}）", field="kind")
    return kind


def _records(read: Callable[[list[str]], Mapping[str, Record]], ids: list[str],
             fetched: Mapping[str, Record] | None) -> dict[str, Record]:
    """Live records of `ids` in their order (missing or deleted ids left out), from
    `fetched` when it holds them, else read."""
    if fetched is None:
        return dict(read(ids))
    missing = [rid for rid in ids if rid not in fetched]
    more = read(missing) if missing else {}
    return {rid: rec for rid in ids
            if (rec := fetched.get(rid, more.get(rid))) is not None}


def _extend(ranking: Ranking, ids: Sequence[str], kind: str) -> None:
    """Add candidates that retrieval did not return, with empty components and score 0."""
    have = {h.id for h in ranking.hits}
    for rid in ids:
        if rid not in have:
            have.add(rid)
            ranking.hits.append(Hit(id=rid, kind=kind, score=0.0, rank=len(ranking.hits) + 1,
                                    lexical=Component(), dense=Component()))


def passes(record: Record, filters: Filters | None) -> bool:
    """True when `record` satisfies `filters` (same normalisation as the index facets)."""
    filters = expand_filters(filters)  # the same industry roll-down as retrieval
    if filters is None:
        return True
    if filters.exclude_ids and record.id in filters.exclude_ids:
        return False
    facets = record.facets()
    for name, values in filters.facet_items():
        held = {normalize(v) for v in facets.get(name, ())}
        if held.isdisjoint(normalize(v) for v in values):  # any of the record's values
            return False
    return True


def local_filters(need: Record, filters: Filters | None) -> Filters:
    """`filters` narrowed to the need's city (or province when the city is unknown)."""
    data = filters.model_dump() if filters is not None else {}
    if need.city:
        data["city"] = [need.city]
    elif need.province:
        data["province"] = [need.province]
    else:
        raise ValidationError("require_local 需要需求填写了城市或省份", field="require_local")
    return Filters.model_validate(data)
