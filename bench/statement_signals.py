"""Candidate signals for statement-style queries (a title against abstract-only records),
measured on the shipped ranker's own candidate lists before anything is adopted (issue 20).

For one BEIR set: every judged query's candidate list (the ranker's RRF top-50, features of
`MatchService.feature_tables`) is ranked by the shipped model (techmatch/resources/
ranker-default.json) and by the same model with its `hybrid_mm` (0.5 · min-max BM25 +
0.5 · min-max e5 cosine over the list) mixed with a new signal's min-max over the list:
(1 − a·g) · hybrid_mm + a · g · minmax(signal), a = 1/3 (the equal split, chosen a priori),
g = 1 − list_style (techmatch.matcher.querystyle: the signal counts for statements, not for
keyword lists) or g = 1 ("ungated"). Nothing is fitted, so a set's number is also its
leave-one-set-out number. Signals:

- `char_bigram_bm25`: BM25 (k1 1.2, b 0.75) over character bigrams (phrase / proximity
  evidence independent of the segmenter), document frequencies from the corpus;
  `char_bigram_bm25_list`: the same with document frequencies and mean length taken from the
  query's candidate list alone (computable from the candidates' texts at query time);
- `passage_cos`: the query encoded as a passage ("passage: " prefix, as for symmetric tasks)
  against the candidates' stored e5 vectors;
- `sentence_max`, `first_sentence`: e5 cosine of the query with the best sentence / the first
  sentence of the candidate's text (sentences encoded as passages into `--sentence-cache`, a
  content-addressed vector cache like the product's);
- `csls`: the e5 cosine minus half the candidate's mean cosine to its 10 nearest records
  (hubness correction, CSLS), in place of the dense half;
- `lexical_0.4`: the hybrid's lexical share lowered from 0.5 to 0.4 for statements;
- `m3e` (with `--m3e-corpus/--m3e-queries`, npz files of bench/second_encoder.py): the second
  encoder's cosine.

Per-query nDCG_exp@10 (techmatch.eval.metrics), paired randomisation (10,000 trials) and
t-test against the shipped model; and, for the shipped model, its failing queries (grade-2
record not at rank 1) by cause: ids only (the texts are the public dataset's).

    TECHMATCH_CACHE_DIR=/tmp/tm-cache OMP_NUM_THREADS=1 nice -n 15 \\
        python bench/statement_signals.py --dataset ../shared/eval/csl-title-dev \\
        --home /tmp/h21/home --sentence-cache /tmp/h21/scache \\
        --m3e-corpus /tmp/h20b/m3e/csl-title-dev-corpus.npz \\
        --m3e-queries /tmp/h20b/m3e/csl-title-dev-queries.npz
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from techmatch.config import Settings
from techmatch.eval.datasets import Dataset, load_dataset, read_corpus
from techmatch.eval.metrics import evaluate, parse_metrics
from techmatch.eval.runner import Workspace, open_workspace
from techmatch.eval.significance import paired_t_test, randomization_test
from techmatch.indexers.ingest.normalize import normalize
from techmatch.indexers.vector_cache import CachedEncoder, settings_encoder
from techmatch.matcher.features import FeatureTable, Query
from techmatch.matcher.prf import minmax
from techmatch.matcher.querystyle import list_style
from techmatch.matcher.scorer import RankerModel
from techmatch.matcher.service import MatchService
from techmatch.matcher.shipped import shipped_model
from techmatch.matcher.train import needs_from_queries

METRIC = "ndcg_exp@10"
SHARE = 1 / 3
DEPTH = 50
_KEEP = re.compile(r"[\w\u3400-\u9fff]")
# sentence ends; a full stop between digits (3.5) does not end one
_SPLIT = re.compile(r"(?<=[。！？!?；;])|(?<=[.．])(?!\d)")
MIN_SENTENCE = 6  # characters: shorter pieces join the sentence before them


def sentences(text: str) -> list[str]:
    out: list[str] = []
    for part in (p.strip() for p in _SPLIT.split(text or "")):
        if part and out and len(part) < MIN_SENTENCE:
            out[-1] += part
        elif part:
            out.append(part)
    return out


def char_grams(text: str, n: int = 2) -> list[str]:
    t = "".join(c if _KEEP.match(c) else " " for c in normalize(text or "").lower())
    return [p[i:i + n] for p in t.split() for i in range(len(p) - n + 1)]


class BigramBM25:
    """BM25 over character bigrams of the corpus."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.tf = {i: Counter(char_grams(t)) for i, t in texts.items()}
        self.df: Counter[str] = Counter()
        for c in self.tf.values():
            self.df.update(c.keys())
        self.n = len(texts)
        self.avgdl = float(np.mean([sum(c.values()) for c in self.tf.values()])) or 1.0

    def scores(self, query: str, ids: Sequence[str], *, local: bool = False, k1: float = 1.2,
               b: float = 0.75) -> np.ndarray:
        """BM25 of each candidate; `local`: document frequencies and mean length from the
        candidate list itself (needs no corpus statistics, so no index of its own)."""
        grams = list(dict.fromkeys(char_grams(query)))
        tfs = [self.tf.get(rid, Counter()) for rid in ids]
        hits = np.array([[tf.get(g, 0) for g in grams] for tf in tfs],
                        dtype=np.float64).reshape(len(ids), len(grams))
        dl = np.array([sum(tf.values()) for tf in tfs], dtype=np.float64)
        if local:
            n, df, avgdl = len(ids), (hits > 0).sum(axis=0), float(dl.mean()) if len(ids) else 1.0
        else:
            n, avgdl = self.n, self.avgdl
            df = np.array([self.df[g] for g in grams], dtype=np.float64)
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        norm = k1 * (1 - b + b * dl / max(avgdl, 1e-9))
        return (idf * hits * (k1 + 1) / (hits + norm[:, None])).sum(axis=1)


def tables_of(service: MatchService, needs: dict, qids: list[str]) -> dict[str, FeatureTable]:
    tables: dict[str, FeatureTable] = {}
    for start in range(0, len(qids), 64):
        chunk = qids[start:start + 64]
        for q, t in zip(chunk, service.feature_tables([Query.of(needs[q]) for q in chunk],
                                                     target="achievement", depth=DEPTH),
                        strict=True):
            tables[q] = t
    return tables


def candidate_lists(dataset: Path, split: str, home: Path
                    ) -> tuple[Dataset, Workspace, list[str], dict[str, FeatureTable],
                               RankerModel]:
    """The set, its open workspace (the caller closes its engine), query ids, every query's
    candidate list at DEPTH with untrained features, and the shipped achievement model."""
    ds = load_dataset(dataset, split)
    ws = open_workspace(ds, Settings(home=home, threads=1))
    service = MatchService(ws.engine, model=RankerModel(), depth=DEPTH)
    qids = ds.query_ids()
    needs = needs_from_queries({q: ds.queries[q] for q in qids}, ds.query_meta)
    tables = tables_of(service, needs, qids)
    ship = shipped_model(ws.engine.encoder.id)
    assert ship is not None, "no shipped model for this encoder"
    return ds, ws, qids, tables, ship.models["achievement"]


def unit(m: np.ndarray) -> np.ndarray:
    return m / np.maximum(np.linalg.norm(m, axis=-1, keepdims=True), 1e-12)


def npz_vectors(path: Path) -> dict[str, np.ndarray]:
    data = np.load(path)
    return dict(zip(data["ids"].tolist(), data["vecs"], strict=True))


def main() -> None:  # noqa: PLR0915 - one measurement, read top to bottom
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, required=True)
    ap.add_argument("--split", default="dev")
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--sentence-cache", type=Path, required=True)
    ap.add_argument("--m3e-corpus", type=Path)
    ap.add_argument("--m3e-queries", type=Path)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    ds, ws, qids, tables, model = candidate_lists(args.dataset, args.split, args.home)
    texts = {d.id: d.text for d in read_corpus(ds.corpus_path)}
    full = {d.id: (d.title + " " + d.text).strip() for d in read_corpus(ds.corpus_path)}
    index = ws.engine.index("achievement")
    all_ids = sorted(texts)
    corpus_vecs = unit(index.vectors(all_ids).astype(np.float32))
    sims = corpus_vecs @ corpus_vecs.T
    np.fill_diagonal(sims, -1.0)
    hub = dict(zip(all_ids, (-np.partition(-sims, 10, axis=1)[:, :10]).mean(axis=1), strict=True))
    del sims
    pos = {rid: i for i, rid in enumerate(all_ids)}
    enc = settings_encoder(Settings(home=args.home, threads=1))
    sent_enc = CachedEncoder(enc.inner, args.sentence_cache)
    q_vecs = unit(enc.encode_queries_cached([ds.queries[q] for q in qids]))
    q_as_passages = unit(enc.inner.encode_passages([ds.queries[q] for q in qids]))
    bm25 = BigramBM25(full)
    m3e_c = npz_vectors(args.m3e_corpus) if args.m3e_corpus else None
    m3e_q = npz_vectors(args.m3e_queries) if args.m3e_queries else None

    signals: dict[str, dict[str, np.ndarray]] = {}
    base: dict[str, np.ndarray] = {}
    for k, q in enumerate(qids):
        t = tables[q]
        base[q] = model.score(t.values, t.names)
        cand = corpus_vecs[[pos[c] for c in t.ids]]
        sent_lists = [sentences(texts[c]) or [texts[c] or " "] for c in t.ids]
        flat = [s for group in sent_lists for s in group]
        sv = unit(sent_enc.encode_passages(flat)) @ q_vecs[k]
        smax, first, at = [], [], 0
        for group in sent_lists:
            smax.append(float(sv[at:at + len(group)].max()))
            first.append(float(sv[at]))
            at += len(group)
        sig = {"char_bigram_bm25": bm25.scores(ds.queries[q], t.ids),
               "char_bigram_bm25_list": bm25.scores(ds.queries[q], t.ids, local=True),
               "passage_cos": cand @ q_as_passages[k],
               "sentence_max": np.array(smax), "first_sentence": np.array(first),
               "csls": t.column("dense") - 0.5 * np.array([hub[c] for c in t.ids])}
        if m3e_c is not None and m3e_q is not None:
            sig["m3e"] = np.array([m3e_c[c] @ m3e_q[q] for c in t.ids])
        signals[q] = sig

    hmm_w = dict(zip(model.features, model.weights, strict=True)).get("hybrid_mm", 0.0)

    def mixed(name: str, gated: bool) -> Callable[[str], np.ndarray]:
        def score(q: str) -> np.ndarray:
            t = tables[q]
            g = (1.0 - list_style(ds.queries[q])) if gated else 1.0
            hmm = t.column("hybrid_mm")
            if name == "csls":
                new = 0.5 * t.column("lexical_mm") + 0.5 * minmax(signals[q]["csls"])
                mix = (1 - g) * hmm + g * new
            elif name == "lexical_0.4":
                new = 0.4 * t.column("lexical_mm") + 0.6 * t.column("dense_mm")
                mix = (1 - g) * hmm + g * new
            else:
                mix = (1 - SHARE * g) * hmm + SHARE * g * minmax(signals[q][name])
            return base[q] + hmm_w * (mix - hmm)
        return score

    configs: dict[str, Callable[[str], np.ndarray]] = {"shipped": lambda q: base[q]}
    for name in [*signals[qids[0]], "lexical_0.4"]:
        configs[f"{name} (gated)"] = mixed(name, True)
        if name not in ("csls", "lexical_0.4"):
            configs[f"{name} (ungated)"] = mixed(name, False)
    per = score_configs(ds.qrels, tables, qids, configs)
    out: dict[str, object] = {"dataset": ds.name, "queries": len(qids), "metric": METRIC,
                              "share": round(SHARE, 4), "configs": against_shipped(per)}
    out["shipped_failures"] = failure_causes(ds.qrels, tables, base, qids)
    out["load"] = Path("/proc/loadavg").read_text().split()[:3]
    ws.engine.close()
    text = json.dumps(out, ensure_ascii=False, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


def score_configs(qrels: dict, tables: dict[str, FeatureTable], qids: list[str],
                  configs: dict[str, Callable[[str], np.ndarray]]) -> dict[str, np.ndarray]:
    """Per-query METRIC of each configuration: a query's candidates ranked by its scores
    (ties by id)."""
    per: dict[str, np.ndarray] = {}
    for cname, fn in configs.items():
        run = {}
        for q in qids:
            s, ids = fn(q), tables[q].ids
            run[q] = [ids[j] for j in sorted(range(len(ids)), key=lambda j: (-s[j], ids[j]))]
        got = evaluate(qrels, run, parse_metrics([METRIC]), query_ids=qids)[METRIC]
        per[cname] = np.array([got[q] for q in qids])
    return per


def against_shipped(per: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Mean, difference from "shipped", paired tests and failures of every configuration."""
    ref = per["shipped"]
    return {cname: {METRIC: round(float(v.mean()), 4),
                    "delta": round(float(v.mean() - ref.mean()), 4),
                    "p_randomization": round(randomization_test(v, ref), 4),
                    "p_ttest": round(paired_t_test(v, ref), 4), "failures": int((v < 1).sum())}
            for cname, v in per.items()}


def failure_causes(qrels: dict, tables: dict[str, FeatureTable], base: dict[str, np.ndarray],
                   qids: list[str]) -> dict[str, object]:
    """Queries whose best-graded record is not first under the shipped model, by cause:
    the record ranked first is higher on the lexical side only ("lexical over-promotes"),
    on the dense side only, or on both; or the record is not among the candidates."""
    causes: Counter[str] = Counter()
    rows = []
    for q in qids:
        t, s = tables[q], base[q]
        best = max(qrels[q].values())
        rel = [j for j, c in enumerate(t.ids) if qrels[q].get(c, 0) == best]
        top = int(np.argmax(s))
        if rel and top in rel:
            continue
        if not rel:
            causes["not among the candidates"] += 1
            rows.append((q, None, "not among the candidates"))
            continue
        r = rel[0]
        lex, den = t.column("lexical_mm"), t.column("dense_mm")
        if lex[top] > lex[r] and den[r] >= den[top]:
            cause = "lexical over-promotes"
        elif den[top] > den[r] and lex[r] >= lex[top]:
            cause = "dense over-promotes"
        else:
            cause = "first is higher on both sides"
        causes[cause] += 1
        rows.append((q, int((s > s[r]).sum()) + 1, f"{cause}; first {t.ids[top]}"))
    return {"counts": dict(causes), "queries": rows}


if __name__ == "__main__":
    main()
