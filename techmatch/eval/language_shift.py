"""Estimate the encoder's Chinese/English shift vectors (techmatch.matcher.langshift).

    python -m techmatch.eval.language_shift --source ../shared/eval/csl-kw-dev \
        --out techmatch/resources/language-shift.json

Parallel text without labels: every keyword of every query of the source set, translated term
by term with CC-CEDICT as the cross-lingual set is (`crosslingual_set.translate_keyword`;
keywords with an unknown term are left out); per query, the kept Chinese keywords joined with
、 and their English joined with ", ", both encoded as passages. No relevance judgment is read.
The report prints the mean cosine of each query with a passage of the other queries (a shuffled
pairing) per language pair, before and after the shift: the background levels the shift aligns.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from techmatch.config import Settings
from techmatch.eval.crosslingual_set import _SPLIT, translate_keyword
from techmatch.eval.datasets import load_dataset
from techmatch.indexers.encoders import Encoder
from techmatch.indexers.ingest.normalize import normalize
from techmatch.matcher.crosslingual import default_dictionary
from techmatch.matcher.langshift import LanguageShift, estimate

SEED = 0


def parallel_keywords(queries: dict[str, str]) -> list[tuple[str, str]]:
    """(Chinese, English) per query id order: the query's translatable keywords."""
    import jieba

    dictionary = default_dictionary()
    out = []
    for qid in sorted(queries):
        kws = [k.strip() for k in _SPLIT.split(queries[qid]) if k.strip()]
        pairs = [(k, t) for k in kws if (t := translate_keyword(k, dictionary, jieba.lcut))]
        if pairs:
            out.append(("、".join(k for k, _ in pairs), ", ".join(t for _, t in pairs)))
    return out


def background(q: np.ndarray, p: np.ndarray, perm: np.ndarray) -> float:
    """Mean cosine of query i with passage perm[i] (another query's text)."""
    return float((q * p[perm]).sum(axis=1).mean())


def fit(source: Path, encoder: Encoder, *, split: str = "dev") -> tuple[LanguageShift, dict]:
    ds = load_dataset(source, split)
    ids = [*ds.query_ids(), *ds.unanswerable_ids()]
    pairs = parallel_keywords({q: ds.queries[q] for q in ids})
    zh = [normalize(z, lower=False) for z, _ in pairs]
    en = [normalize(e, lower=False) for _, e in pairs]
    pz, pe = encoder.encode_passages(zh), encoder.encode_passages(en)
    qz, qe = encoder.encode_queries(zh), encoder.encode_queries(en)
    shift = estimate(pz, pe, native_language="zh", other_language="en", encoder=encoder.id,
                     fitted_on={"source": source.name, "split": split, "pairs": len(pairs),
                                "command": "python -m techmatch.eval.language_shift"})
    perm = np.random.default_rng(SEED).permutation(len(pairs))
    perm = np.where(perm == np.arange(len(pairs)), np.roll(perm, 1), perm)
    d = np.asarray(shift.shifts["zh"]) - np.asarray(shift.shifts["en"])
    report = {
        "pairs": len(pairs),
        "zh query, zh passage": background(qz, pz, perm),
        "zh query, en passage": background(qz, pe, perm),
        "zh query, en passage, shifted": background(qz, pe, perm) + float((qz @ d).mean()),
        "en query, en passage": background(qe, pe, perm),
        "en query, zh passage": background(qe, pz, perm),
        "en query, zh passage, shifted": background(qe, pz, perm) - float((qe @ d).mean()),
    }
    return shift, report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--split", default="dev")
    args = parser.parse_args(argv)
    from techmatch.indexers.vector_cache import settings_encoder

    settings = Settings()
    encoder = settings_encoder(settings)
    shift, report = fit(args.source, encoder, split=args.split)  # type: ignore[arg-type]
    args.out.write_text(shift.model_dump_json(indent=1) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
