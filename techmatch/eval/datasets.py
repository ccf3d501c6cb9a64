"""BEIR-layout evaluation sets: corpus.jsonl, queries.jsonl, qrels/<split>.tsv (+ experts.jsonl).

    DIR/corpus.jsonl          {"_id", "title", "text", "metadata"}   one record per line
    DIR/queries.jsonl         {"_id", "text", "metadata"}
    DIR/qrels/<split>.tsv     query-id <TAB> corpus-id <TAB> score   (header line optional)
    DIR/experts.jsonl         {"id", "name", "works": [corpus ids], "profile"?}   optional
    DIR/qrels/<split>-experts.tsv   direct expert judgements (optional, see `expert_qrels`)

Thakur et al., "BEIR: A Heterogeneous Benchmark for Zero-shot Evaluation of Information
Retrieval Models", NeurIPS 2021 Datasets and Benchmarks.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pydantic

from techmatch.errors import IngestError, ValidationError
from techmatch.models.records import RecordId

Qrels = dict[str, dict[str, int]]


@dataclass(frozen=True)
class ExpertEntry:
    """One expert of a need→expert task: its works are corpus ids."""

    id: str
    name: str
    works: tuple[str, ...]
    profile: str = ""


@dataclass(frozen=True)
class Dataset:
    """One split of a BEIR set, read into memory (the corpus stays on disk)."""

    name: str
    path: Path
    split: str
    queries: dict[str, str]
    qrels: Qrels
    splits: tuple[str, ...]
    experts: tuple[ExpertEntry, ...] | None = None
    expert_judgements: Qrels | None = None
    query_meta: dict[str, dict[str, object]] = field(default_factory=dict)
    unanswerable: tuple[str, ...] = ()  # queries with no right answer (unanswerable.txt)
    original_ids: dict[str, str] = field(default_factory=dict)  # stand-in id → the set's id

    @property
    def corpus_path(self) -> Path:
        return self.path / "corpus.jsonl"

    def query_ids(self) -> list[str]:
        """Queries that are evaluated: in this split's qrels with ≥ 1 positive grade and a
        non-empty text, sorted (see `empty_queries`)."""
        return sorted(q for q, docs in self.qrels.items()
                      if self.queries.get(q, "").strip() and any(g > 0 for g in docs.values()))

    def empty_queries(self) -> list[str]:
        """Judged or unanswerable queries whose text is empty: skipped and reported."""
        ids = set(self.qrels) | set(self.unanswerable)
        return sorted(q for q in ids if q in self.queries and not self.queries[q].strip())

    def ungraded_queries(self) -> list[str]:
        """Queries in the qrels with no positive grade (and not unanswerable): nothing can be
        scored for them, so they are skipped and reported."""
        return sorted(q for q, docs in self.qrels.items() if q not in self.unanswerable
                      and not any(g > 0 for g in docs.values()))

    def unanswerable_ids(self) -> list[str]:
        """Unanswerable queries with a non-empty text, sorted."""
        return sorted(q for q in self.unanswerable if self.queries.get(q, "").strip())


def load_dataset(path: Path, split: str = "dev") -> Dataset:
    """Read a BEIR folder; missing files and malformed rows raise with file and row named."""
    path = Path(path)
    if path.is_file():  # e.g. --dataset DIR/corpus.jsonl
        raise IngestError(f"{path} 是文件，不是 BEIR 文件夹（corpus.jsonl、queries.jsonl、"
                          f"qrels/<split>.tsv）：请给出文件夹", source=str(path))
    if not path.is_dir():
        raise IngestError(f"数据集文件夹 {path} 不存在", source=str(path))
    for name in ("corpus.jsonl", "queries.jsonl"):
        if not (path / name).is_file():
            raise IngestError(f"缺少 {name}（BEIR 目录结构）", source=str(path / name))
    splits = available_splits(path)
    if split not in splits:
        raise ValidationError(f"{path} 中没有 qrels/{split}.tsv；现有划分："
                              f"{', '.join(splits) or '无'}", field="split")
    queries, meta = read_queries(path / "queries.jsonl")
    qrels = _known_queries(path / "qrels" / f"{split}.tsv", queries)
    experts = read_experts(path / "experts.jsonl") if (path / "experts.jsonl").exists() else None
    judged = path / "qrels" / f"{split}-experts.tsv"
    dataset = Dataset(name=path.resolve().name, path=path, split=split, queries=queries,
                   qrels=qrels, splits=splits, experts=experts,
                   expert_judgements=_known_queries(judged, queries) if judged.exists()
                   else None,
                   query_meta=meta, unanswerable=read_unanswerable(path, queries, qrels))
    return _with_safe_ids(dataset)


def _known_queries(file: Path, queries: dict[str, str]) -> Qrels:
    """The qrels of `file`; a query id that queries.jsonl lacks is an error naming its row."""
    qrels = read_qrels(file)
    unknown = sorted(set(qrels) - set(queries))
    if unknown:
        raise ValidationError(f"qrels 中有 {len(unknown)} 个查询编号不在 queries.jsonl 中，"
                              f"例如 {unknown[:3]}", source=str(file),
                              row=qrels_row(file, unknown[0]), field="query-id")
    return qrels


def require_scored(dataset: Dataset, query_ids: Sequence[str], *,
                   half: int | None = None) -> list[str]:
    """`query_ids` (the queries to score), or an error naming the split's qrels file when
    there is none: checked before the corpus is indexed."""
    if not query_ids:
        raise ValidationError(f"划分 {dataset.split!r}" + (f"的第 {half} 半" if half else "")
                              + "中没有既有正向评分、又有文本的查询",
                              source=str(dataset.path / "qrels" / f"{dataset.split}.tsv"),
                              field="split")
    return list(query_ids)


_RECORD_ID: pydantic.TypeAdapter[str] = pydantic.TypeAdapter(RecordId)
STAND_IN = "beir:"  # prefix of the stand-in ids


def safe_id(raw: str) -> str:
    """`raw` when records accept it as an id (letters, digits, `_ . - : /`, ≤ 128 characters),
    else a stable stand-in (`beir:` + 24 hex digits of its sha1): BEIR ids may hold spaces or
    be longer, and every query, qrels row, work and corpus line maps through this alike."""
    try:
        return _RECORD_ID.validate_python(raw)
    except pydantic.ValidationError:
        return STAND_IN + hashlib.sha1(raw.encode("utf-8")).hexdigest()[:24]


def _with_safe_ids(ds: Dataset) -> Dataset:
    """The dataset with every id the records refuse replaced by its stand-in (see `safe_id`)."""
    ids = set(ds.queries) | set(ds.unanswerable) | {
        d for docs in [*ds.qrels.values(), *(ds.expert_judgements or {}).values()] for d in docs}
    ids |= {x for e in ds.experts or () for x in (e.id, *e.works)}
    original = {safe_id(i): i for i in ids if safe_id(i) != i}
    if not original:
        return ds
    m = safe_id

    def mq(qrels: Qrels) -> Qrels:
        return {m(q): {m(d): g for d, g in docs.items()} for q, docs in qrels.items()}

    experts = None if ds.experts is None else tuple(
        replace(e, id=m(e.id), works=tuple(m(w) for w in e.works)) for e in ds.experts)
    return replace(ds, queries={m(q): t for q, t in ds.queries.items()}, qrels=mq(ds.qrels),
                   experts=experts,
                   expert_judgements=None if ds.expert_judgements is None
                   else mq(ds.expert_judgements),
                   query_meta={m(q): v for q, v in ds.query_meta.items()},
                   unanswerable=tuple(sorted(m(q) for q in ds.unanswerable)),
                   original_ids=original)


def restore_ids(value: Any, original: dict[str, str]) -> Any:
    """`value` (a report: dicts, lists, strings) with every stand-in id, as a key or a
    string, turned back into the set's own id."""
    if not original:
        return value
    if isinstance(value, dict):
        return {restore_ids(k, original): restore_ids(v, original) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(restore_ids(v, original) for v in value)
    if isinstance(value, str):
        return original.get(value, value)
    return value


def read_unanswerable(path: Path, queries: dict[str, str], qrels: Qrels) -> tuple[str, ...]:
    """Ids listed in `unanswerable.txt` (one per line, `#` comments); each must be a query
    and must have no positive qrels."""
    file = path / "unanswerable.txt"
    if not file.exists():
        return ()
    out: list[str] = []
    for row, line in enumerate(_read_lines(file), 1):
        qid = line.split("#", 1)[0].strip()
        if not qid:
            continue
        if qid not in queries:
            raise ValidationError(f"{qid!r} 不在 queries.jsonl 中", field="query-id",
                                  source=str(file), row=row)
        if any(g > 0 for g in qrels.get(qid, {}).values()):
            raise ValidationError(f"{qid!r} 列为无答案，但 qrels 中有它的相关记录",
                                  field="query-id", source=str(file),
                                  row=row)
        out.append(qid)
    return tuple(sorted(set(out)))


def available_splits(path: Path) -> tuple[str, ...]:
    """Split names with a `qrels/<split>.tsv` (expert judgement files left out)."""
    folder = Path(path) / "qrels"
    if not folder.is_dir():
        return ()
    return tuple(sorted(p.stem for p in folder.glob("*.tsv") if not p.stem.endswith("-experts")))


def jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    try:
        with path.open(encoding="utf-8-sig") as fh:  # a UTF-8 BOM is not part of line 1
            for row, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValidationError(f"不是 JSON：{exc.msg}", source=str(path),
                                          row=row) from None
                if not isinstance(obj, dict):
                    raise ValidationError("每行应为一个 JSON 对象", source=str(path),
                                          row=row)
                yield row, obj
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None
    except OSError as exc:
        raise IngestError(f"无法读取：{exc}", source=str(path)) from exc


def not_utf8(path: Path, exc: UnicodeDecodeError) -> IngestError:
    """The error for a file that is not UTF-8 text, naming its first line that is not."""
    with path.open("rb") as fh:
        for row, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as bad:
                return IngestError(f"不是 UTF-8 文本（该行第 {bad.start + 1} 个字节 "
                                   f"0x{raw[bad.start]:02x}，可能是 GBK）：请把文件另存为 "
                                   f"UTF-8", source=str(path), row=row)
    return IngestError(f"无法读取：{exc}", source=str(path))


def _read_lines(path: Path) -> list[str]:
    """The lines of a UTF-8 text file (a BOM dropped); bytes that are not UTF-8 are an error
    naming the line."""
    try:
        return path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise not_utf8(path, exc) from None
    except OSError as exc:
        raise IngestError(f"无法读取：{exc}", source=str(path)) from exc


def text_field(obj: dict[str, object], name: str, path: Path, row: int) -> str:
    value = obj.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError("应为字符串", field=name, source=str(path), row=row)
    return value


def id_field(obj: dict[str, object], name: str, path: Path, row: int) -> str:
    value = obj.get(name)
    if value is None and name == "_id":
        value = obj.get("id")  # BEIR writes `_id`; some exports write `id`
    if not isinstance(value, str | int) or not str(value).strip():
        raise ValidationError("缺少编号或编号为空", field=name, source=str(path), row=row)
    return str(value).strip()


def read_queries(path: Path) -> tuple[dict[str, str], dict[str, dict[str, object]]]:
    """Query id → text, and query id → metadata. An id given twice must repeat its text: which
    of two texts was judged cannot be known."""
    queries: dict[str, str] = {}
    meta: dict[str, dict[str, object]] = {}
    first: dict[str, int] = {}
    for row, obj in jsonl_rows(path):
        qid = id_field(obj, "_id", path, row)
        text = text_field(obj, "text", path, row)
        if qid in queries and queries[qid] != text:
            raise ValidationError(f"查询编号 {qid!r} 再次出现且文本不同（首次在第 {first[qid]} "
                                  f"行）", field="_id", source=str(path), row=row)
        first.setdefault(qid, row)
        queries[qid] = text
        extra = obj.get("metadata")
        meta[qid] = dict(extra) if isinstance(extra, dict) else {}
    return queries, meta


@dataclass(frozen=True)
class CorpusDoc:
    id: str
    title: str
    text: str
    metadata: dict[str, object]


def read_corpus(path: Path) -> Iterator[CorpusDoc]:
    """Corpus documents in file order."""
    for row, obj in jsonl_rows(path):
        extra = obj.get("metadata")
        yield CorpusDoc(id=id_field(obj, "_id", path, row),
                        title=text_field(obj, "title", path, row),
                        text=text_field(obj, "text", path, row),
                        metadata=dict(extra) if isinstance(extra, dict) else {})


# Header names of the three qrels columns (compared lower-cased, `_` as `-`); a header that
# names all three picks them out of any number of columns.
_QRELS_COLUMNS: dict[str, tuple[str, ...]] = {
    "query": ("query-id", "qid", "query"),
    "doc": ("corpus-id", "doc-id", "docid", "docno", "pid", "corpus"),
    "score": ("score", "relevance", "grade", "label", "rel"),
}


def _named_columns(parts: list[str]) -> tuple[int, int, int] | None:
    """(query, doc, score) column indices when a header line names all three, else None."""
    names = [p.strip().lower().replace("_", "-") for p in parts]
    found = [next((i for i, n in enumerate(names) if n in aliases), None)
             for aliases in _QRELS_COLUMNS.values()]
    if any(i is None for i in found) or len(set(found)) < 3:
        return None
    return found[0], found[1], found[2]  # type: ignore[return-value]


def read_qrels(path: Path) -> Qrels:
    """query id → {corpus id: grade}; a first line whose score is not an integer is a header.

    BEIR files are `query-id<TAB>corpus-id<TAB>score`; TREC files `qid iter docid grade`. A
    header naming the three columns also allows extra columns (e.g. an annotator's)."""
    qrels: Qrels = {}
    lines = _read_lines(path)
    columns: tuple[int, int, int] | None = None
    width = 0
    seen: dict[tuple[str, str], int] = {}  # (query, doc) → first row
    for row, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        # Tab-separated (BEIR); whitespace-separated when the line has no tab (TREC files).
        parts = line.rstrip("\r\n").split("\t") if "\t" in line else line.split()
        named = _named_columns(parts) if row == 1 else None
        if named is not None and (named, len(parts)) != ((0, 1, 2), 3):
            columns, width = named, len(parts)  # the plain BEIR header changes nothing
            continue
        if columns is not None:
            if len(parts) != width:
                raise ValidationError(f"应有 {width} 列（与表头一致），实际 {len(parts)} 列",
                                      source=str(path), row=row)
            parts = [parts[i] for i in columns]
        elif len(parts) == 4:  # TREC style: qid 0 docid grade
            parts = [parts[0], parts[2], parts[3]]
        if len(parts) != 3:
            raise ValidationError(f"应有 3 列（以制表符分隔），实际 {len(parts)} 列",
                                  source=str(path), row=row)
        try:
            value = float(parts[2])
            if not value.is_integer():
                raise ValueError(parts[2])
            grade = int(value)  # "2" and "2.0" alike
        except ValueError:
            if row == 1 and not _is_number(parts[2]):  # a header; "0.5" is a bad grade
                continue
            raise ValidationError(f"评分 {parts[2]!r} 不是整数", source=str(path),
                                  row=row, field="score") from None
        qid, doc = parts[0].strip(), parts[1].strip()
        if qrels.get(qid, {}).get(doc, grade) != grade:
            raise ValidationError(f"（{qid!r}，{doc!r}）在第 {seen[qid, doc]} 行评为 "
                                  f"{qrels[qid][doc]}，这里评为 {grade}", source=str(path),
                                  row=row, field="score")
        seen.setdefault((qid, doc), row)
        qrels.setdefault(qid, {})[doc] = grade
    return qrels


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def qrels_row(path: Path, qid: str) -> int | None:
    """The first row of `path` (a qrels file) naming query `qid`, for error messages."""
    for row, line in enumerate(_read_lines(path), start=1):
        parts = line.split("\t") if "\t" in line else line.split()
        if parts and parts[0].strip() == qid:
            return row
    return None


def read_experts(path: Path) -> tuple[ExpertEntry, ...]:
    """Experts with their works; `profile` (or `bio`) is optional free text."""
    out: list[ExpertEntry] = []
    seen: set[str] = set()
    for row, obj in jsonl_rows(path):
        eid = id_field(obj, "id", path, row)
        if eid in seen:
            raise ValidationError(f"专家编号 {eid!r} 重复", field="id", source=str(path),
                                  row=row)
        seen.add(eid)
        works = obj.get("works", [])
        if not isinstance(works, list) or not all(
                isinstance(w, str | int) and not isinstance(w, bool) for w in works):
            raise ValidationError("应为语料编号的列表", field="works",
                                  source=str(path), row=row)
        works = [str(w).strip() for w in works]  # integer ids as corpus `_id`s may be
        profile = text_field(obj, "profile", path, row) or text_field(obj, "bio", path, row)
        out.append(ExpertEntry(id=eid, name=text_field(obj, "name", path, row),
                               works=tuple(works), profile=profile))
    return tuple(out)


def expert_qrels(dataset: Dataset) -> Qrels:
    """Expert relevance per query.

    Direct judgements (`qrels/<split>-experts.tsv`, e.g. exported feedback) are used when
    present. Otherwise they come from the split's qrels: an expert is relevant to a query when
    the qrels grade the expert itself (sets that judge experts in `<split>.tsv`) or any of its
    works, with grade = the maximum of those grades for that query.
    """
    if dataset.expert_judgements is not None:
        return dataset.expert_judgements
    out: Qrels = {}
    for expert in dataset.experts or ():
        for qid, docs in dataset.qrels.items():
            grade = max((docs.get(w, 0) for w in (expert.id, *expert.works)), default=0)
            if grade > 0:
                out.setdefault(qid, {})[expert.id] = grade
    return out


def corpus_hash(path: Path) -> str:
    """sha256 of corpus.jsonl's bytes (first 12 hex digits) — keys the work folder."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]
