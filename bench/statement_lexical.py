"""Lexical signals for statement-style queries not measured in bench/statement_signals.py:
term proximity, idf-weighted query-term coverage, and BM25's length normalisation b (issue 20).

The shipped ranker's title failures are mostly records that win on BM25 alone by repeating
one or two of the title's words (bench/results/statement_signals.md). Three families of
evidence could tell the source paper apart, each measured with statement_signals.py's harness
(the shipped model on its own RRF top-50 lists; a signal's min-max over the list mixed into
`hybrid_mm` with the a-priori share a = 1/3 for statements: (1 − a·g) · hybrid_mm +
a · g · minmax(signal), g = 1 − list_style; nothing fitted, so a set's number is also its
leave-one-set-out number):

- proximity (sequential dependence): the query's adjacent token pairs, tokens from jieba's
  precise mode over the product's dictionaries with the tokenizer's stopword and punctuation
  filter (`Tokenizer._jieba.cut`; search mode's overlapping sub-words have no clean order),
  each pair weighted by idf(a) + idf(b) (corpus document frequencies of those tokens);
  `pair_adjacent`: weighted share of the pairs that occur in the record in order and
  adjacent; `pair_window8`: in either order within a window of 8 tokens (SDM's unordered
  window); `bigram_bm25`: BM25 (k1 1.2, b 0.75) over ordered adjacent-token bigrams with
  corpus document frequencies;
- `coverage_idf`: the share of the query's distinct-token idf mass (the product's search-mode
  tokens, as indexed) the record contains at least once;
- BM25 b: the lexical half of `hybrid_mm` recomputed for statements as BM25 over the product's
  tokens with k1 1.2 and b = 0.75 (the recomputation itself, a reference), 0.5 and 1.0:
  (1 − g) · lexical_mm + g · minmax(BM25_b) in place of `lexical_mm`;
- SDM (Metzler & Croft's sequential dependence model with its published weights 0.85 /
  0.10 / 0.05 for unigrams / ordered adjacent pairs / unordered pairs within 8 tokens),
  in place of the lexical half for statements like b: `sdm_bm25` with BM25 (k1 1.2, b 0.75)
  for each of the three parts, `sdm_ql` with Dirichlet-smoothed query likelihood (mu 2500,
  Indri's default) as in the paper, and `ql` (its unigram part alone, the reference);
- combinations with the second encoder (`--m3e-corpus/--m3e-queries`): the four min-max terms
  (BM25, e5, m3e, the signal) with equal shares 1/4 for statements (hybrid_mm keeps 1/2);
  and m3e as the third term (share 1/3) over a hybrid whose lexical half is `sdm_bm25`.

Per-query nDCG_exp@10, paired randomisation (10,000 trials) and t-test against the shipped
model. Records are indexed as title + text (statement_signals.py's `full`).

    TECHMATCH_CACHE_DIR=/tmp/tm-cache OMP_NUM_THREADS=1 nice -n 15 \\
        python bench/statement_lexical.py --dataset ../shared/eval/csl-title-dev \\
        --home /tmp/h26c/home --m3e-corpus /tmp/h20b/m3e/csl-title-dev-corpus.npz \\
        --m3e-queries /tmp/h20b/m3e/csl-title-dev-queries.npz
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from techmatch.eval.datasets import read_corpus
from techmatch.indexers.ingest.normalize import normalize
from techmatch.indexers.tokenize import Tokenizer
from techmatch.matcher.prf import minmax
from techmatch.matcher.querystyle import list_style

sys.path.insert(0, str(Path(__file__).parent))
from statement_signals import (  # noqa: E402
    METRIC,
    SHARE,
    against_shipped,
    candidate_lists,
    npz_vectors,
    score_configs,
)

WINDOW = 8
K1 = 1.2
B_VALUES = (0.75, 0.5, 1.0)
MU = 2500.0  # Dirichlet smoothing, Indri's default
SDM_WEIGHTS = (0.85, 0.10, 0.05)  # Metzler & Croft 2005: unigrams, ordered, unordered
THIRD_TERMS = ("pair_adjacent", "pair_window8", "bigram_bm25", "coverage_idf")


class Doc:
    """One record's token views: precise-mode sequence (positions), search-mode counts."""

    __slots__ = ("bigrams", "length", "positions", "seq_length", "tf")

    def __init__(self, seq: list[str], tokens: list[str]) -> None:
        self.positions: dict[str, list[int]] = {}
        for i, t in enumerate(seq):
            self.positions.setdefault(t, []).append(i)
        self.bigrams = Counter(zip(seq, seq[1:], strict=False))
        self.tf = Counter(tokens)
        self.length = len(tokens)
        self.seq_length = len(seq)

    def window_tf(self, a: str, b: str) -> int:
        """Occurrences of `a` with a `b` within WINDOW − 1 positions (either order)."""
        pa, pb = self.positions.get(a), self.positions.get(b)
        if not pa or not pb:
            return 0
        return sum(1 for x in pa if any(abs(x - y) < WINDOW for y in pb))


class LexicalCorpus:
    def __init__(self, texts: dict[str, str], tok: Tokenizer) -> None:
        self.tok = tok
        self.docs = {i: Doc(self.sequence(t), tok.tokens(t)) for i, t in texts.items()}
        self.n = len(self.docs)
        self.df: Counter[str] = Counter()  # search-mode tokens
        self.df_seq: Counter[str] = Counter()  # precise-mode tokens
        self.df_bigram: Counter[tuple[str, str]] = Counter()
        self.cf: Counter[str] = Counter()
        self.cf_bigram: Counter[tuple[str, str]] = Counter()
        self.postings: dict[str, list[str]] = {}
        for i, d in self.docs.items():
            self.df.update(d.tf.keys())
            self.cf.update(d.tf)
            self.df_seq.update(d.positions.keys())
            self.df_bigram.update(d.bigrams.keys())
            self.cf_bigram.update(d.bigrams)
            for t in d.positions:
                self.postings.setdefault(t, []).append(i)
        self.total = float(sum(self.cf.values())) or 1.0
        self.total_seq = float(sum(d.seq_length for d in self.docs.values())) or 1.0
        self._window: dict[tuple[str, str], tuple[int, int]] = {}
        self.avg_len = float(np.mean([d.length for d in self.docs.values()])) or 1.0
        self.avg_seq = float(np.mean([d.seq_length for d in self.docs.values()])) or 1.0
        self.avg_bigrams = float(np.mean([sum(d.bigrams.values())
                                          for d in self.docs.values()])) or 1.0

    def sequence(self, text: str) -> list[str]:
        """jieba precise-mode segments, stopwords and punctuation dropped (in order)."""
        stop = self.tok.stopwords
        out = []
        for seg in self.tok._jieba.cut(normalize(text)):  # noqa: SLF001 - same dictionaries
            w = seg.strip().lower()
            if w and w not in stop and any(c.isalnum() for c in w):
                out.append(w)
        return out

    def window_stats(self, a: str, b: str) -> tuple[int, int]:
        """(document frequency, collection frequency) of the unordered window of a, b."""
        if (a, b) not in self._window:
            both = set(self.postings.get(a, ())) & set(self.postings.get(b, ()))
            tfs = [self.docs[i].window_tf(a, b) for i in both]
            self._window[a, b] = (sum(1 for t in tfs if t), sum(tfs))
        return self._window[a, b]

    def idf(self, df: float) -> float:
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def signals(self, query: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        docs = [self.docs[i] for i in ids]
        seq = self.sequence(query)
        pairs = list(dict.fromkeys((a, b) for a, b in zip(seq, seq[1:], strict=False) if a != b))
        pw = np.array([self.idf(self.df_seq[a]) + self.idf(self.df_seq[b]) for a, b in pairs])
        adj = np.zeros(len(docs))
        win = np.zeros(len(docs))
        for j, d in enumerate(docs):
            for (a, b), w in zip(pairs, pw, strict=True):
                pa, pb = d.positions.get(a), d.positions.get(b)
                if not pa or not pb:
                    continue
                sb = set(pb)
                if any(p + 1 in sb for p in pa):
                    adj[j] += w
                if min(abs(x - y) for x in pa for y in pb) < WINDOW:
                    win[j] += w
        total = float(pw.sum()) or 1.0
        out = {"pair_adjacent": adj / total, "pair_window8": win / total,
               "bigram_bm25": self._bm25_bigrams(pairs, docs)}
        out.update(self._sdm(query, pairs, docs, out["bigram_bm25"]))
        terms = list(dict.fromkeys(self.tok.tokens(query)))
        idf = np.array([self.idf(self.df[t]) for t in terms])
        hits = np.array([[d.tf.get(t, 0) for t in terms] for d in docs],
                        dtype=np.float64).reshape(len(docs), len(terms))
        out["coverage_idf"] = (hits > 0).astype(np.float64) @ idf / (float(idf.sum()) or 1.0)
        dl = np.array([d.length for d in docs], dtype=np.float64)
        for b in B_VALUES:
            norm = K1 * (1 - b + b * dl / self.avg_len)
            out[f"bm25_b{b}"] = (idf * hits * (K1 + 1) / (hits + norm[:, None])).sum(axis=1)
        return out

    def _sdm(self, query: str, pairs: list[tuple[str, str]], docs: list[Doc],
             ordered_bm25: np.ndarray) -> dict[str, np.ndarray]:
        terms = list(dict.fromkeys(self.tok.tokens(query)))
        tf = np.array([[d.tf.get(t, 0) for t in terms] for d in docs],
                      dtype=np.float64).reshape(len(docs), len(terms))
        dl = np.array([d.length for d in docs], dtype=np.float64)
        sl = np.array([d.seq_length for d in docs], dtype=np.float64)
        p_t = np.array([max(self.cf[t], 0.5) / self.total for t in terms])
        ql = np.log((tf + MU * p_t) / (dl + MU)[:, None]).sum(axis=1)
        idf = np.array([self.idf(self.df[t]) for t in terms])
        bm25 = (idf * tf * (K1 + 1) / (tf + K1 * (0.25 + 0.75 * dl / self.avg_len)[:, None])
                ).sum(axis=1)
        ordered = np.zeros(len(docs))
        unordered = np.zeros(len(docs))
        window_bm25 = np.zeros(len(docs))
        for a, b in pairs:
            o_tf = np.array([d.bigrams.get((a, b), 0) for d in docs], dtype=np.float64)
            u_tf = np.array([d.window_tf(a, b) for d in docs], dtype=np.float64)
            u_df, u_cf = self.window_stats(a, b)
            p_o = max(self.cf_bigram[a, b], 0.5) / self.total_seq
            p_u = max(u_cf, 0.5) / self.total_seq
            ordered += np.log((o_tf + MU * p_o) / (sl + MU))
            unordered += np.log((u_tf + MU * p_u) / (sl + MU))
            norm = K1 * (0.25 + 0.75 * sl / self.avg_seq)
            window_bm25 += self.idf(u_df) * u_tf * (K1 + 1) / (u_tf + norm)
        lam = SDM_WEIGHTS
        return {"ql": ql, "sdm_ql": lam[0] * ql + lam[1] * ordered + lam[2] * unordered,
                "sdm_bm25": lam[0] * bm25 + lam[1] * ordered_bm25 + lam[2] * window_bm25}

    def _bm25_bigrams(self, pairs: list[tuple[str, str]], docs: list[Doc]) -> np.ndarray:
        if not pairs:
            return np.zeros(len(docs))
        idf = np.array([self.idf(self.df_bigram[p]) for p in pairs])
        hits = np.array([[d.bigrams.get(p, 0) for p in pairs] for d in docs], dtype=np.float64)
        dl = np.array([sum(d.bigrams.values()) for d in docs], dtype=np.float64)
        norm = K1 * (1 - 0.75 + 0.75 * dl / self.avg_bigrams)
        return (idf * hits * (K1 + 1) / (hits + norm[:, None])).sum(axis=1)


def main() -> None:  # noqa: PLR0915 - one measurement, read top to bottom
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, required=True)
    ap.add_argument("--split", default="dev")
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--m3e-corpus", type=Path)
    ap.add_argument("--m3e-queries", type=Path)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    started = time.perf_counter()
    ds, ws, qids, tables, model = candidate_lists(args.dataset, args.split, args.home)
    ws.engine.close()
    full = {d.id: (d.title + " " + d.text).strip() for d in read_corpus(ds.corpus_path)}
    t0 = time.perf_counter()
    lex = LexicalCorpus(full, Tokenizer())
    corpus_s = time.perf_counter() - t0
    m3e_c = npz_vectors(args.m3e_corpus) if args.m3e_corpus else None
    m3e_q = npz_vectors(args.m3e_queries) if args.m3e_queries else None

    base: dict[str, np.ndarray] = {}
    signals: dict[str, dict[str, np.ndarray]] = {}
    t0 = time.perf_counter()
    for q in qids:
        t = tables[q]
        base[q] = model.score(t.values, t.names)
        signals[q] = lex.signals(ds.queries[q], t.ids)
    signal_ms = 1000 * (time.perf_counter() - t0) / max(len(qids), 1)
    for q in qids:
        if m3e_c is not None and m3e_q is not None:
            signals[q]["m3e"] = np.array([m3e_c[c] @ m3e_q[q] for c in tables[q].ids])
    hmm_w = dict(zip(model.features, model.weights, strict=True)).get("hybrid_mm", 0.0)

    def with_mix(mix_of: Callable[[str, np.ndarray, float], np.ndarray]) -> Callable:
        def score(q: str) -> np.ndarray:
            hmm = tables[q].column("hybrid_mm")
            g = 1.0 - list_style(ds.queries[q])
            return base[q] + hmm_w * (mix_of(q, hmm, g) - hmm)
        return score

    def third(name: str) -> Callable:
        return with_mix(lambda q, hmm, g: (1 - SHARE * g) * hmm
                        + SHARE * g * minmax(signals[q][name]))

    def lexical_b(key: str) -> Callable:
        def mix(q: str, hmm: np.ndarray, g: float) -> np.ndarray:
            t = tables[q]
            lexical = (1 - g) * t.column("lexical_mm") + g * minmax(signals[q][key])
            return 0.5 * lexical + 0.5 * t.column("dense_mm")
        return with_mix(mix)

    def quarters(names: tuple[str, ...]) -> Callable:
        def mix(q: str, hmm: np.ndarray, g: float) -> np.ndarray:
            share = 0.25 * g
            extra = sum(minmax(signals[q][n]) for n in names)
            return (1 - share * len(names)) * hmm + share * extra
        return with_mix(mix)

    def m3e_sdm() -> Callable:
        def mix(q: str, hmm: np.ndarray, g: float) -> np.ndarray:
            t = tables[q]
            lexical = (1 - g) * t.column("lexical_mm") + g * minmax(signals[q]["sdm_bm25"])
            new = 0.5 * lexical + 0.5 * t.column("dense_mm")
            return (1 - SHARE * g) * new + SHARE * g * minmax(signals[q]["m3e"])
        return with_mix(mix)

    configs: dict[str, Callable[[str], np.ndarray]] = {"shipped": lambda q: base[q]}
    for name in THIRD_TERMS:
        configs[f"{name} (gated, 1/3)"] = third(name)
    for b in B_VALUES:
        configs[f"lexical := bm25 b={b} (statements)"] = lexical_b(f"bm25_b{b}")
    for key in ("ql", "sdm_ql", "sdm_bm25"):
        configs[f"lexical := {key} (statements)"] = lexical_b(key)
    if m3e_c is not None:
        configs["m3e (gated, 1/3)"] = third("m3e")
        for name in THIRD_TERMS:
            configs[f"m3e + {name} (gated, 1/4 each)"] = quarters(("m3e", name))
        configs["m3e (gated, 1/3) + lexical := sdm_bm25"] = m3e_sdm()
    per = score_configs(ds.qrels, tables, qids, configs)
    out: dict[str, object] = {
        "dataset": ds.name, "queries": len(qids), "metric": METRIC, "share": round(SHARE, 4),
        "corpus_tokenize_s": round(corpus_s, 1), "signals_ms_per_query": round(signal_ms, 2),
        "configs": against_shipped(per)}
    lexcol = [np.corrcoef(tables[q].column("lexical"), signals[q]["bm25_b0.75"])[0, 1]
              for q in qids if tables[q].column("lexical").std() > 0
              and signals[q]["bm25_b0.75"].std() > 0]
    out["corr_recomputed_bm25_vs_index"] = round(float(np.mean(lexcol)), 3)
    out["load"] = Path("/proc/loadavg").read_text().split()[:3]
    out["wall_s"] = round(time.perf_counter() - started, 1)
    text = json.dumps(out, ensure_ascii=False, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
