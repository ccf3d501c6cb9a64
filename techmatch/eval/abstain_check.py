"""Held-out check of the "no good match" models, the way they were fitted (techmatch.eval.
abstain_fit), for both kinds:

    python -m techmatch.eval.abstain_check --answerable-set DIR [--answerable-set DIR2] \
        --expert-set DIR [--expert-set DIR2] --half 2 [--model FILE]

Per achievement set: its answerable and unanswerable needs of the half. Experts: the
need→expert set's needs of the half, each also ranked with its relevant experts left out (a
need no expert fits). Reported per set: AUROC of the top confidence (answerable vs not),
routed shares at the settings' threshold, and ECE of the top-1 and top-10 hits, over all the
half's needs and over the answerable ones only (what `techmatch eval` reports for experts,
whose set has no unanswerable needs), the latter beside its floor (`calibrate.ece_floor`),
the debiased ℓ2 calibration error (`calibrate.debiased_ce`) and a 90 % bootstrap interval
of the ECE, needs resampled (`calibrate.ece_interval`).
Rankings use the default ranker weights, as the fit.

Every set and the model file are checked before any set is ranked: a missing folder or file,
an answerable set without unanswerable.txt, an expert set without experts.jsonl, qrels with
no judged need in the half or a malformed row is one line `error: file …[, row N]: …`, exit 2.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError as PydanticValidationError

from techmatch.config import Settings, get_settings
from techmatch.errors import ConfigError, IngestError, TechmatchError, ValidationError
from techmatch.eval.abstain_fit import (
    OTHER,
    Rows,
    achievement_rows,
    columns,
    expert_rows,
    probabilities,
)
from techmatch.eval.abstention import auroc
from techmatch.eval.datasets import Dataset, expert_qrels, load_dataset, require_scored
from techmatch.matcher.abstain import AbstainModel, default_abstain
from techmatch.matcher.calibrate import calibration_errors, reliability
from techmatch.matcher.train import query_half


def check(model: AbstainModel, rows: Rows, answerable: np.ndarray,
          threshold: float, close: AbstainModel | None = None) -> dict[str, Any]:
    """The numbers of one set (module docstring); `answerable` (n,) flags rows' needs."""
    if len(answerable) != len(rows.good):
        raise ValidationError(f"{len(answerable)} flags for {len(rows.good)} needs",
                              field="answerable")
    p = probabilities(model, rows, close)
    copies = rows.duplicates or [[] for _ in rows.values]
    conf = [model.hits.confidences(float(pi), columns(v, model.kind, model.hits.columns), d)
            if model.hits else np.array([pi])
            for pi, v, d in zip(p, rows.values, copies, strict=True)]

    def pairs(mask: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        keep = [i for i, m in enumerate(mask) if m]
        c = [x for i in keep for x in conf[i][:top]]
        r = [x for i in keep for x in rows.labels[i][:top]]
        g = [i for i in keep for _ in conf[i][:top]]  # a need's hits resample together
        return np.array(c), np.array(r), np.array(g)

    def ece(mask: np.ndarray, top: int) -> float:
        c, r, _ = pairs(mask, top)
        return round(reliability(c, r).ece, 4)

    def errors(mask: np.ndarray, top: int) -> dict[str, Any]:
        name = f"ece_top{top}_answerable"
        e = calibration_errors(*pairs(mask, top))
        return {f"{name}_floor": round(e["floor"], 4),
                f"{name}_debiased": round(e["debiased"], 4),
                f"{name}_interval": [round(v, 4) for v in e["interval"]]}

    every = np.ones(len(p), dtype=bool)
    return {"needs": len(p), "answerable": int(answerable.sum()),
            "auroc": auroc(p.tolist(), answerable.astype(int).tolist()),
            "routed_unanswerable": float((p[~answerable] < threshold).mean())
            if (~answerable).any() else None,
            "routed_answerable": float((p[answerable] < threshold).mean()),
            "ece_top1": ece(every, 1), "ece_top10": ece(every, 10),
            "ece_top1_answerable": ece(answerable, 1),
            "ece_top10_answerable": ece(answerable, 10),
            **errors(answerable, 1), **errors(answerable, 10)}


def load_models(path: Path | None) -> dict[str, AbstainModel | None]:
    """The models of `--model` (default: the shipped ones); a missing or malformed file, or one
    without a kind, is an error naming the file."""
    if path is None:
        return {k: default_abstain(k) for k in ("achievement", "expert")}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IngestError("模型文件不存在（--model）", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(f"无法读取模型文件：{exc}", source=str(path)) from None
    except json.JSONDecodeError as exc:
        raise ValidationError(f"不是有效的 JSON（line {exc.lineno}, column {exc.colno}）："
                              f"{exc.msg}", source=str(path)) from None
    if not isinstance(raw, dict):
        raise ValidationError("应为 JSON 对象 {\"achievement\": …, \"expert\": …}",
                              source=str(path))
    models: dict[str, AbstainModel | None] = {}
    for kind in ("achievement", "expert"):
        if kind not in raw:
            raise ValidationError(f"缺少 {kind} 模型（abstain_fit --out 写出的文件含 "
                                  f"achievement 与 expert）", field=kind, source=str(path))
        try:
            models[kind] = AbstainModel.model_validate(raw[kind])
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in (kind, *first["loc"]))
            raise ValidationError(f"模型无效：{first['msg']}", field=where,
                                  source=str(path)) from None
    for name, value in raw.items():  # a `close` model another kind names (experts)
        if name not in models and isinstance(value, dict):
            try:
                models[name] = AbstainModel.model_validate(value)
            except PydanticValidationError:
                pass
    return models


def _answerable_set(path: Path, half: int) -> tuple[Dataset, list[str], set[str]]:
    """The set, its needs of the half and the unanswerable ones among them, or an error naming
    the file that lacks them."""
    ds = load_dataset(path)
    if not ds.unanswerable:
        raise ValidationError("没有无解需求：--answerable-set 需要 unanswerable.txt（每行一个"
                              "无正确答案的 query id），AUROC 与转人工比例都靠它",
                              source=str(ds.path / "unanswerable.txt"))
    none = set(query_half(ds.unanswerable_ids(), half)[0])
    if not none:
        raise ValidationError(f"第 {half} 半没有带文本的无解需求",
                              source=str(ds.path / "unanswerable.txt"))
    good = require_scored(ds, query_half(ds.query_ids(), half)[0], half=half)
    ids = sorted(q for q in [*good, *none] if ds.queries[q].strip())
    return ds, ids, none


def _expert_set(path: Path, half: int) -> tuple[Dataset, list[str]]:
    """The need→expert set and its needs of the half (each twice: as is and with its
    relevant experts left out), or an error naming the file that lacks them."""
    ds = load_dataset(path)
    if not ds.experts:
        raise ValidationError("没有专家：--expert-set 需要 experts.jsonl（每行一位专家及其 "
                              "works）", source=str(ds.path / "experts.jsonl"))
    qrels = expert_qrels(ds)
    good = query_half([q for q in ds.query_ids() if q in qrels], half)[0]
    if not good:
        judged = ds.path / "qrels" / (f"{ds.split}-experts.tsv"
                                      if ds.expert_judgements is not None else f"{ds.split}.tsv")
        raise ValidationError(f"第 {half} 半没有任何需求有相关专家（无正分的判定，或判定的"
                              f"成果不属于 experts.jsonl 中的专家）", source=str(judged))
    return ds, sorted([*good, *(OTHER + q for q in good)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answerable-set", type=Path, action="append", required=True)
    parser.add_argument("--expert-set", type=Path, action="append", required=True)
    parser.add_argument("--half", type=int, choices=(1, 2), required=True)
    parser.add_argument("--model", type=Path, default=None,
                        help="abstention models file (default: the shipped one)")
    parser.add_argument("--home", type=Path, default=None)
    args = parser.parse_args(argv)
    try:  # a bad set, qrels or model file: one line naming it, exit 2, before any ranking
        settings = get_settings()
        if args.home is not None:
            settings = settings.model_copy(update={"home": args.home})
        models = load_models(args.model)
        answerable = [_answerable_set(path, args.half) for path in args.answerable_set]
        experts = [_expert_set(path, args.half) for path in args.expert_set]
        out = _check_sets(settings, models, answerable, experts, args.half)
    except TechmatchError as exc:
        parser.exit(2 if not isinstance(exc, ConfigError) else 5, f"error: {exc}\n")
    print(json.dumps(out, indent=1, ensure_ascii=False))


def _check_sets(settings: Settings, models: dict[str, AbstainModel | None],
                answerable: list[tuple[Dataset, list[str], set[str]]],
                experts: list[tuple[Dataset, list[str]]], half: int) -> dict[str, Any]:
    threshold = settings.confidence_threshold
    out: dict[str, Any] = {}
    for ds, ids, none in answerable:
        rows = achievement_rows(settings, ds, half)
        out[ds.name] = check(models["achievement"], rows,  # type: ignore[arg-type]
                             np.array([q not in none for q in ids]), threshold)
    for ds, ids in experts:
        rows = expert_rows(settings, ds, half)
        expert = models["expert"]
        close = models.get(expert.close) if expert is not None and expert.close else None
        out[f"{ds.name} (experts)"] = check(expert, rows,  # type: ignore[arg-type]
                                            np.array([not q.startswith(OTHER) for q in ids]),
                                            threshold, close)
    return out


if __name__ == "__main__":
    main()
