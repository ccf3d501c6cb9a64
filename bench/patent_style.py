"""Phrase evidence for patent-language statements, gated by a patent-style reading of the
query text (issue 20, ninth round).

The fourth round (bench/statement_signals.py) found BM25 over character bigrams, with
document frequencies and mean length from the candidate list, strong on patent titles
(+0.0103) and neutral-to-negative on paper titles (−0.0012) when mixed for every statement
(g = 1 − list_style). Here the same signal is mixed with the gate g = `patent_style(text)`
(techmatch.matcher.querystyle: read from the query text alone, no set, no label), on the same lists:
every judged query's RRF top-50 under the shipped model, its `hybrid_mm` (0.5 · lexical_mm +
0.5 · dense_mm, rebuilt from the table: "shipped" is the model before this round) replaced by
(1 − a·g) · hybrid_mm + a · g · minmax(phrase BM25), a = 1/3 as in the fourth round. Nothing
fitted, so each set's number is a held-out number. Reported: nDCG_exp@10, Δ against the
shipped model and the paired randomisation / t-test p; the gate's distribution; the phrase
signal's cost per query of DEPTH candidates computed from the candidates' raw texts; and
"as served", the tables as the service builds them now (the product's own mix: equal to
"phrase × patent_style" up to the records' text as stored).

    TECHMATCH_CACHE_DIR=/tmp/tm-cache HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 nice -n 15 \\
        python bench/patent_style.py --dataset ../shared/eval/csl-title-dev \\
        --home /tmp/h6s33/home --out /tmp/h6s33/out/ct.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from techmatch.eval.datasets import read_corpus
from techmatch.matcher.prf import HYBRID_LEXICAL_WEIGHT, PHRASE_SHARE, minmax, phrase_bm25
from techmatch.matcher.querystyle import list_style, patent_style

sys.path.insert(0, str(Path(__file__).parent))
from statement_signals import (  # noqa: E402
    DEPTH,
    against_shipped,
    candidate_lists,
    score_configs,
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, required=True)
    ap.add_argument("--split", default="dev")
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    ds, ws, qids, tables, model = candidate_lists(args.dataset, args.split, args.home)
    full = {d.id: (d.title + " " + d.text).strip() for d in read_corpus(ds.corpus_path)}
    hmm_w = dict(zip(model.features, model.weights, strict=True)).get("hybrid_mm", 0.0)
    # as served: the feature tables as the service builds them (since this round with the
    # phrase mix for patent language); "before": their hybrid_mm rebuilt without it
    served = {q: model.score(tables[q].values, tables[q].names) for q in qids}
    plain = {q: HYBRID_LEXICAL_WEIGHT * tables[q].column("lexical_mm")
             + (1 - HYBRID_LEXICAL_WEIGHT) * tables[q].column("dense_mm") for q in qids}
    base = {q: served[q] + hmm_w * (plain[q] - tables[q].column("hybrid_mm")) for q in qids}
    gates = {"statement": {q: 1.0 - list_style(ds.queries[q]) for q in qids},
             "patent": {q: patent_style(ds.queries[q]) for q in qids}}
    phrase: dict[str, np.ndarray] = {}
    cpu: list[float] = []
    for q in qids:
        texts = [full[c] for c in tables[q].ids]
        t0 = time.process_time()
        phrase[q] = phrase_bm25(ds.queries[q], texts)
        cpu.append(time.process_time() - t0)
    gate_cpu = time.process_time()
    for q in qids:
        patent_style.__wrapped__(ds.queries[q])  # not the remembered value
    gate_cpu = (time.process_time() - gate_cpu) / max(len(qids), 1)

    def mixed(gate: dict[str, float]) -> Callable[[str], np.ndarray]:
        def score(q: str) -> np.ndarray:
            g = gate[q]
            if not g:
                return base[q]
            mix = (1 - PHRASE_SHARE * g) * plain[q] + PHRASE_SHARE * g * minmax(phrase[q])
            return base[q] + hmm_w * (mix - plain[q])
        return score

    configs: dict[str, Callable[[str], np.ndarray]] = {"shipped": lambda q: base[q]}
    configs["phrase × (1 − list_style) (fourth round)"] = mixed(gates["statement"])
    configs["phrase × patent_style"] = mixed(gates["patent"])
    configs["as served"] = lambda q: served[q]
    per = score_configs(ds.qrels, tables, qids, configs)
    gated = [q for q in qids if gates["patent"][q] > 0]
    out: dict[str, object] = {
        "dataset": ds.name, "queries": len(qids), "depth": DEPTH, "share": round(PHRASE_SHARE, 4),
        "configs": against_shipped(per),
        "gated_queries": {"count": len(gated),
                          "values": dict(Counter(round(gates["patent"][q], 3) for q in qids)),
                          "gated_only": against_shipped(
                              {k: v[[qids.index(q) for q in gated]] for k, v in per.items()})
                          if gated else {}},
        "phrase_cpu_ms_per_query": {"p50": round(1000 * float(np.median(cpu)), 2),
                                    "mean": round(1000 * float(np.mean(cpu)), 2)},
        "gate_cpu_ms_per_query": round(1000 * gate_cpu, 4),
        "load": Path("/proc/loadavg").read_text().split()[:3]}
    ws.engine.close()
    text = json.dumps(out, ensure_ascii=False, indent=1)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
