"""Build the patent evaluation sets from KPPatent-ZH (known item: a patent's own abstract).

    python -m techmatch.eval.patentsets --kppatent ../shared/data/kppatent-zh \\
        --corpus ../shared/eval/csl-title-dev --out DIR

writes three BEIR sets into DIR (never into the sources):

- `pat-title-dev`: each of the 696 test patents' title (`test_data_TAC.json`) → its abstract;
- `pat-kw-dev`: the same patents' keyphrases, joined with 、 (a keyword list) → its abstract;
- `pat-kw-a`: the keyphrases of `data_A.json` (about 2,963 further patents, no titles, none of
  the test patents) → its abstract: a larger keyword-list set for training.

The corpus is the corpus of `--corpus` (csl-title-dev: papers and the 3,659 patent abstracts,
titles withheld), linked by path; a query's one relevant record (grade 2) is the corpus patent
(`_id` starting `pat-`) whose text equals the abstract exactly. A test patent without a title
is left out of both of its sets (they hold the same patents). A patent whose abstract matches
no corpus record or several is dropped and counted; a later record of `data_A.json` with the
abstract of an earlier one is dropped as a duplicate. Query ids: `p-tac-NNNN`, `pk-tac-NNNN`
(NNNN = the record's position in `test_data_TAC.json`) and `pk-a-NNNN` (in `data_A.json`) —
the sets `/tmp/h20c/mkpat.py` / `mkpatkw.py` built for the third round of issue 20.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from techmatch.errors import ValidationError

TAC_FILE = "test_data_TAC.json"
A_FILE = "data_A.json"
SETS = ("pat-title-dev", "pat-kw-dev", "pat-kw-a")  # what `build` writes
PATENT_PREFIX = "pat-"
GRADE = 2
_TAC = re.compile(r"标题：(.*?)\n摘要：(.*?)\n权利声明：", re.S)
_A = re.compile(r"摘要：(.*)", re.S)
_KEY_SPLIT = re.compile(r"[,，、;；]")


@dataclass(frozen=True)
class Patent:
    """One source record: its position, title ('' when the file has none), abstract and
    keyphrases in the source's order."""

    index: int
    title: str
    abstract: str
    keyphrases: tuple[str, ...]

    @property
    def keyword_query(self) -> str:
        return "、".join(self.keyphrases)


def split_keyphrases(output: str) -> tuple[str, ...]:
    """The keyphrases of a record's `output` (comma-separated; 、 ; also split)."""
    return tuple(k.strip() for k in _KEY_SPLIT.split(output) if k.strip())


def _records(path: Path) -> list[dict[str, object]]:
    if not path.is_file():
        raise ValidationError("file not found", source=str(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"not JSON: {exc}", source=str(path)) from exc
    if not isinstance(data, list):
        raise ValidationError("expected a JSON array of records", source=str(path))
    return data


def read_patents(path: Path, *, with_title: bool) -> Iterator[Patent]:
    """The records of a KPPatent-ZH file (`test_data_TAC.json` with titles, `data_A.json`
    without); a record whose `input` does not have the expected layout is an error naming
    its row (1-based)."""
    pattern = _TAC if with_title else _A
    for i, rec in enumerate(_records(path)):
        text = rec.get("input") if isinstance(rec, dict) else None
        match = pattern.match(text) if isinstance(text, str) else None
        if match is None:
            raise ValidationError("'input' is not " + ("标题：…摘要：…权利声明：…" if with_title
                                                      else "摘要：…"),
                                  field="input", row=i + 1, source=str(path))
        output = rec.get("output")
        if not isinstance(output, str):
            raise ValidationError("missing keyphrases", field="output", row=i + 1,
                                  source=str(path))
        title = match.group(1).strip() if with_title else ""
        abstract = match.group(2 if with_title else 1).strip()
        yield Patent(i, title, abstract, split_keyphrases(output))


def corpus_patents(corpus: Path) -> dict[str, list[str]]:
    """Abstract text → ids of the corpus patents with exactly that text."""
    by_text: dict[str, list[str]] = {}
    with corpus.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            if str(row["_id"]).startswith(PATENT_PREFIX):
                by_text.setdefault(str(row.get("text", "")).strip(), []).append(str(row["_id"]))
    return by_text


@dataclass
class SetRows:
    """Queries (id, text) and their one relevant record, with what was dropped."""

    queries: list[tuple[str, str, str]]  # (query id, text, relevant corpus id)
    unmatched: int = 0
    ambiguous: int = 0
    duplicate: int = 0
    empty: int = 0

    def counts(self) -> dict[str, int]:
        return {"queries": len(self.queries), "unmatched": self.unmatched,
                "ambiguous": self.ambiguous, "duplicate": self.duplicate, "empty": self.empty}


def known_items(patents: Iterator[Patent], by_text: dict[str, list[str]], prefix: str,
                field: str, *, need_title: bool = False) -> SetRows:
    """One query per patent (`field`: 'title' or 'keywords') → its unique corpus abstract;
    `need_title`: a patent without a title is dropped from the keyword set too, so that the
    title and keyword sets of the test patents hold the same patents."""
    out = SetRows(queries=[])
    seen: set[str] = set()
    for p in patents:
        text = p.title if field == "title" else p.keyword_query
        ids = by_text.get(p.abstract, [])
        if not ids:
            out.unmatched += 1
        elif len(ids) > 1:
            out.ambiguous += 1
        elif ids[0] in seen:
            out.duplicate += 1
        elif not text or (need_title and not p.title):
            out.empty += 1
        else:
            seen.add(ids[0])
            out.queries.append((f"{prefix}-{p.index:04d}", text, ids[0]))
    return out


def write_set(rows: SetRows, corpus: Path, out: Path, *, split: str = "dev") -> None:
    """BEIR layout: queries.jsonl, qrels/<split>.tsv, corpus.jsonl linked to `corpus`."""
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    link = out / "corpus.jsonl"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(corpus.resolve())
    with (out / "queries.jsonl").open("w", encoding="utf-8") as fh:
        for qid, text, _ in rows.queries:
            fh.write(json.dumps({"_id": qid, "text": text, "metadata": {}},
                                ensure_ascii=False) + "\n")
    with (out / "qrels" / f"{split}.tsv").open("w", encoding="utf-8") as fh:
        fh.write("query-id\tcorpus-id\tscore\n")
        for qid, _, doc in rows.queries:
            fh.write(f"{qid}\t{doc}\t{GRADE}\n")


def _inside(path: Path, parent: Path) -> bool:
    return path.resolve().is_relative_to(parent.resolve())


def build(kppatent: Path, corpus_set: Path, out: Path, *, split: str = "dev",
          sets: tuple[str, ...] = SETS) -> dict[str, dict[str, int]]:
    """Write `sets` (names from SETS) into `out`/<name>; returns each set's counts."""
    unknown = [s for s in sets if s not in SETS]
    if unknown:
        raise ValidationError(f"unknown set {unknown[0]}; known: {', '.join(SETS)}",
                              field="sets")
    for source in (kppatent, corpus_set):
        if _inside(out, source):
            raise ValidationError(f"output folder lies inside the source {source}",
                                  field="out")
    corpus = corpus_set / "corpus.jsonl"
    if not corpus.is_file():
        raise ValidationError("file not found", source=str(corpus))
    by_text = corpus_patents(corpus)
    plan = {"pat-title-dev": (TAC_FILE, True, "p-tac", "title"),
            "pat-kw-dev": (TAC_FILE, True, "pk-tac", "keywords"),
            "pat-kw-a": (A_FILE, False, "pk-a", "keywords")}
    report = {}
    for name in sets:
        file, with_title, prefix, field = plan[name]
        rows = known_items(read_patents(kppatent / file, with_title=with_title), by_text,
                           prefix, field, need_title=with_title)
        write_set(rows, corpus, out / name, split=split)
        report[name] = rows.counts()
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--kppatent", type=Path, required=True,
                        help="folder with test_data_TAC.json and data_A.json")
    parser.add_argument("--corpus", type=Path, required=True,
                        help="BEIR set whose corpus.jsonl holds the patent abstracts")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--split", default="dev")
    parser.add_argument("--sets", default=",".join(SETS),
                        help="comma-separated subset of " + ", ".join(SETS))
    args = parser.parse_args(argv)
    sets = tuple(s.strip() for s in args.sets.split(",") if s.strip())
    print(json.dumps(build(args.kppatent, args.corpus, args.out, split=args.split, sets=sets)))


if __name__ == "__main__":
    main()
