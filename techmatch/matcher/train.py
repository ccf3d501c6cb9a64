"""Fit the linear ranker on labelled pairs (qrels or feedback) and calibrate its confidence.

Rows are the retrieved candidates of every labelled query: positives are pairs with grade > 0,
negatives are pairs graded 0, the `hard_negatives` best-ranked unlabelled candidates (what
looks most like a match without being one: without them the confidence of top hits is learnt
from easy negatives only) and up to `negatives` more unlabelled candidates per query, chosen
by a seeded hash (deterministic). Queries are split by a seeded hash: a
`holdout` share is kept out of fitting and reports the reliability table; on the rest a
class-balanced logistic regression is fitted on standardised features (weights are stored
back in raw feature units, so weight × value is each signal's contribution). Its
regularisation C is the value of `C_GRID` whose out-of-fold scores (folds grouped by query)
rank best by mean average precision, and the calibrator is fitted on those scores.

`objective="pairwise"` fits the same linear score on within-query differences instead (every
relevant row minus every other row of its query, each query weighing the same; a logistic
regression without intercept on ±differences): it learns only how to order a query's
candidates, so a feature constant within a query (the query's style) gets no weight, and a
feature that separates relevant from non-relevant candidates of the same list (the
style-gated list evidence) is not outweighed by differences between queries.

Style-gated features (techmatch.matcher.prf.STYLED_FEATURES) get weight 0 when the training
queries hold less than MIN_STYLE_QUERIES of the style (Σ of the gate `list_style` over the
queries): a style never seen in training leaves the gated weights at 0 instead of fitting
them on the few borderline queries, so the model ranks as its ungated features do.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial

import numpy as np

from techmatch.errors import ValidationError
from techmatch.matcher.abstain import FITTED, AbstainModel, default_abstain, fit_abstain
from techmatch.matcher.calibrate import fit_calibrator, reliability
from techmatch.matcher.engine import Engine
from techmatch.matcher.features import Query
from techmatch.matcher.metrics import evaluate, mean
from techmatch.matcher.prf import STYLE_GATE, STYLED_FEATURES
from techmatch.matcher.scorer import LinearModel, RankerModel
from techmatch.matcher.service import MatchService
from techmatch.models.records import Need, Record, max_length

log = logging.getLogger(__name__)
Qrels = dict[str, dict[str, int]]
CHUNK = 128
CONSTANT_STD = 1e-3
TOP_HITS = 10
C_GRID = (0.01, 0.1, 1.0, 10.0)
MIN_ABSTAIN = 10  # needs of each label (top hit good / not) before abstention is refitted
OBJECTIVES = ("pointwise", "pairwise")
MIN_STYLE_QUERIES = 50.0  # Σ list_style over training queries before styled features fit
# judged positives before a model adapted from a prior is calibrated on its own rows; with
# fewer it keeps the prior's calibration (see fit_rows)
MIN_CALIBRATION = 10


@dataclass(frozen=True)
class TrainOptions:
    calibration: str = "platt"
    seed: int = 0
    negatives: int = 20
    hard_negatives: int = 5
    holdout: float = 0.2
    depth: int = 50
    folds: int = 5
    c: float | None = None  # None: chosen from C_GRID by out-of-fold average precision
    # > 0: shrink towards the base model of the kind as if it were this many labelled queries
    # (adapting the shipped model to a home's feedback without forgetting it; see `blend`)
    prior_queries: int = 0
    # fit only these features (every other gets weight 0); None: all of the kind's features
    features: tuple[str, ...] | None = None
    objective: str = "pointwise"  # see OBJECTIVES and the module docstring

    def check(self, kind: str | None = None) -> None:
        """The errors of these options, raised before any feature row is computed (that
        ranks every labelled query: minutes on a large set); `kind` checks `features`."""
        from techmatch.matcher.calibrate import METHODS
        from techmatch.matcher.features import FEATURES

        if self.objective not in OBJECTIVES:
            raise ValidationError(f"未知拟合目标 {self.objective!r}；可选："
                                  f"{', '.join(OBJECTIVES)}", field="objective")
        if self.calibration not in METHODS:
            raise ValidationError(f"未知校准方法 {self.calibration!r}；可选："
                                  f"{', '.join(METHODS)}", field="calibration")
        names = FEATURES.get(kind or "", ())
        unknown = sorted(set(self.features or ()) - set(names))
        if kind and unknown:
            raise ValidationError(f"未知排序特征 {unknown}；可选：{', '.join(names)}",
                                  field="features")


@dataclass
class PairRows:
    """Training rows: x (n, F), y (n,), the query of each row, feature names."""

    names: tuple[str, ...]
    x: list[np.ndarray] = field(default_factory=list)
    y: list[np.ndarray] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x = np.vstack(self.x) if self.x else np.zeros((0, len(self.names)))
        y = np.concatenate(self.y) if self.y else np.zeros(0)
        return x, y.astype(np.int64), np.array(self.groups)


def _hash01(seed: int, *parts: str) -> float:
    digest = hashlib.blake2b("\0".join((str(seed), *parts)).encode("utf-8"), digest_size=8)
    return int.from_bytes(digest.digest(), "little") / 2.0 ** 64


def split_queries(query_ids: Sequence[str], share: float, *, seed: int = 0,
                  salt: str = "split") -> tuple[list[str], list[str]]:
    """(kept, held out): each id is held out when its seeded hash < share (deterministic)."""
    held = sorted(q for q in query_ids if _hash01(seed, salt, q) < share)
    held_set = set(held)
    return sorted(q for q in query_ids if q not in held_set), held


def query_half(query_ids: Sequence[str], half: int) -> tuple[list[str], list[str]]:
    """(half `half`, the other half): the one fixed split `train-ranker --half` and
    `eval --half` share, whatever seeds those commands are given."""
    if half not in (1, 2):
        raise ValidationError("应为 1 或 2", field="half")
    first, second = split_queries(query_ids, 0.5, seed=0, salt="half")
    return (first, second) if half == 1 else (second, first)


def needs_from_queries(texts: Mapping[str, str],
                       meta: Mapping[str, Mapping[str, object]] | None = None) -> dict[str, Need]:
    """BEIR queries as Need records (text → description, metadata discipline/industry kept),
    each cut to what a Need's field holds: a BEIR query may be longer."""
    def cut(value: object, name: str) -> str | None:
        return str(value)[:max_length(Need, name)] if value else None

    out = {}
    for qid, text in texts.items():
        m = (meta or {}).get(qid, {})
        out[qid] = Need(id=qid, description=cut(text, "description") or "",
                        discipline=cut(m.get("discipline"), "discipline"),
                        industry=cut(m.get("industry"), "industry"))
    return out


def ranking_run(service: MatchService, needs: Mapping[str, Need], *, target: str = "achievement",
                k: int = 100, batch: int = 256,
                vectors: Mapping[str, np.ndarray] | None = None) -> dict[str, list[str]]:
    """query id → ranked candidate ids (a run for evaluation), in batches of `batch` needs;
    `vectors` (query id → query vector) saves encoding queries the caller already encoded."""
    qids = sorted(needs)
    run: dict[str, list[str]] = {}
    for start in range(0, len(qids), batch):
        chunk = qids[start:start + batch]
        rankings = service.match_many([needs[q] for q in chunk], target=target, k=k,
                                      explain=False,
                                      vectors=np.stack([vectors[q] for q in chunk])
                                      if vectors is not None else None)
        run.update({q: [h.id for h in r.hits] for q, r in zip(chunk, rankings, strict=True)})
    return run


def collect_rows(service: MatchService, qrels: Qrels, queries: Mapping[str, Record],
                 target: str, opts: TrainOptions, *, keep_all: set[str] | None = None) -> PairRows:
    """Feature rows of every labelled query's retrieved candidates (see module docstring);
    queries in `keep_all` (held out) keep every retrieved candidate, unsampled."""
    rows: PairRows | None = None
    qids = sorted(q for q in qrels if q in queries)
    for start in range(0, len(qids), CHUNK):
        chunk = qids[start:start + CHUNK]
        tables = service.feature_tables([Query.of(queries[q]) for q in chunk], target=target,
                                        depth=opts.depth)
        for qid, table in zip(chunk, tables, strict=True):
            rows = rows or PairRows(names=table.names)
            labels = qrels[qid]
            ranked = [c for c in table.ids if c not in labels]  # retrieval order
            hard = set(ranked[:opts.hard_negatives])
            rest = sorted(c for c in ranked if c not in hard)
            rest.sort(key=partial(_hash01, opts.seed, "neg", qid))
            chosen = set(ranked) if qid in (keep_all or set()) else \
                hard | set(rest[:opts.negatives])
            keep = [i for i, c in enumerate(table.ids) if c in labels or c in chosen]
            if not keep:
                continue
            rows.x.append(table.values[keep])
            rows.y.append(np.array([1 if labels.get(table.ids[i], 0) > 0 else 0
                                    for i in keep]))
            rows.groups.extend([qid] * len(keep))
    if rows is None:
        raise ValidationError(f"目标 {target!r} 没有一条有标注的查询能够排序",
                              field="qrels")
    return rows


def style_support(x: np.ndarray, names: tuple[str, ...], groups: np.ndarray | None
                  ) -> np.ndarray:
    """(F,) bool: False for the style-gated features when the rows' queries hold less than
    MIN_STYLE_QUERIES of the style (Σ over queries of the gate; see module docstring)."""
    ok = np.ones(len(names), dtype=bool)
    styled = np.isin(np.asarray(names), list(STYLED_FEATURES))
    if not styled.any():
        return ok
    if STYLE_GATE not in names:
        return ~styled
    gate = x[:, names.index(STYLE_GATE)]
    if groups is not None and len(groups):
        first = np.unique(groups, return_index=True)[1]
        mass = float(gate[first].sum())
    else:
        mass = float(gate.sum())
    return ok if mass >= MIN_STYLE_QUERIES else ~styled


def pair_differences(x: np.ndarray, y: np.ndarray, groups: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Within-query differences relevant − non-relevant row and their weights (each query's
    pairs sum to 1)."""
    diffs, weights = [], []
    order = np.argsort(groups, kind="stable")
    bounds = np.flatnonzero(np.r_[True, groups[order][1:] != groups[order][:-1], True])
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        idx = order[lo:hi]
        pos, neg = idx[y[idx] > 0], idx[y[idx] <= 0]
        if not len(pos) or not len(neg):
            continue
        d = (x[pos][:, None, :] - x[neg][None, :, :]).reshape(-1, x.shape[1])
        diffs.append(d)
        weights.append(np.full(len(d), 1.0 / len(d)))
    if not diffs:
        raise ValidationError("没有查询同时有相关和不相关的候选",
                              field="qrels")
    return np.vstack(diffs), np.concatenate(weights)


def fit_pairwise(x: np.ndarray, y: np.ndarray, groups: np.ndarray, names: tuple[str, ...],
                 kind: str, opts: TrainOptions, live: np.ndarray) -> LinearModel:
    """Logistic regression without intercept on ± within-query differences (standardised),
    unfolded to raw units; the intercept is 0 (the calibrator places the scores)."""
    from sklearn.linear_model import LogisticRegression

    d, w = pair_differences(x, y, groups)
    std = d.std(axis=0)
    live = live & (std > CONSTANT_STD)
    std = np.where(live, std, 1.0)
    ds = (d / std)[:, live]
    lr = LogisticRegression(C=opts.c or 1.0, fit_intercept=False, random_state=opts.seed,
                            max_iter=5000)
    weights = np.r_[w, w] * len(w) / w.sum()
    lr.fit(np.vstack([ds, -ds]), np.r_[np.ones(len(ds)), np.zeros(len(ds))],
           sample_weight=weights)
    scaled = np.zeros(x.shape[1])
    scaled[live] = lr.coef_[0]
    return LinearModel(kind=kind, features=list(names),
                       weights=[float(v) for v in scaled / std], intercept=0.0)


def fit_linear(x: np.ndarray, y: np.ndarray, names: tuple[str, ...], kind: str,
               opts: TrainOptions, groups: np.ndarray | None = None) -> LinearModel:
    """Class-balanced logistic regression on standardised features, unfolded to raw units
    (pairwise on within-query differences with `opts.objective` "pairwise": needs `groups`)."""
    from sklearn.linear_model import LogisticRegression

    if opts.objective not in OBJECTIVES:
        raise ValidationError(f"未知拟合目标 {opts.objective!r}；可选："
                              f"{', '.join(OBJECTIVES)}", field="objective")
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    # (Nearly) constant features carry no information here; standardising them would turn
    # rounding noise into huge raw-unit weights, so they get weight 0.
    live = std > CONSTANT_STD
    if opts.features is not None:
        live &= np.isin(np.asarray(names), opts.features)
    live &= style_support(x, names, groups)
    if opts.objective == "pairwise":
        if groups is None:
            raise ValidationError("成对拟合需要每一行所属的查询", field="groups")
        return fit_pairwise(x, y, groups, names, kind, opts, live)
    std = np.where(live, std, 1.0)
    lr = LogisticRegression(C=opts.c or 1.0, class_weight="balanced", random_state=opts.seed,
                            max_iter=5000)
    lr.fit(((x - mean) / std)[:, live], y)
    scaled = np.zeros(x.shape[1])
    scaled[live] = lr.coef_[0]
    coef = scaled / std
    intercept = float(lr.intercept_[0] - np.sum(scaled * mean / std))
    return LinearModel(kind=kind, features=list(names), weights=[float(w) for w in coef],
                       intercept=intercept)


def out_of_fold_scores(x: np.ndarray, y: np.ndarray, groups: np.ndarray, names: tuple[str, ...],
                       kind: str, opts: TrainOptions) -> np.ndarray:
    """Scores of each row from a model fitted without its query (grouped k-fold)."""
    unique = sorted(set(groups.tolist()))
    fold = {q: int(_hash01(opts.seed, "fold", q) * opts.folds) for q in unique}
    which = np.array([fold[g] for g in groups])
    out = np.zeros(len(y))
    for f in range(opts.folds):
        test = which == f
        train = ~test
        if not test.any() or len(set(y[train].tolist())) < 2:
            continue
        out[test] = fit_linear(x[train], y[train], names, kind, opts,
                               groups[train]).score(x[test], names)
    return out


def mean_average_precision(scores: np.ndarray, y: np.ndarray, groups: np.ndarray) -> float:
    """Mean over queries with a positive row of the average precision of `scores` (trec_eval's
    `map`, through the shared metrics)."""
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, list[str]] = {}
    for i in np.argsort(-scores, kind="stable").tolist():
        qrels.setdefault(str(groups[i]), {})[str(i)] = int(y[i])
        run.setdefault(str(groups[i]), []).append(str(i))
    return mean(evaluate(qrels, run, ["map"])["map"])


def train_kind(service: MatchService, qrels: Qrels, queries: Mapping[str, Record], target: str,
               opts: TrainOptions, prior: LinearModel | None = None) -> LinearModel:
    """One target kind: fit, calibrate out-of-fold, report reliability on held-out queries."""
    kept, held = split_queries(sorted(q for q in qrels if q in queries), opts.holdout,
                               seed=opts.seed)
    rows = collect_rows(service, qrels, queries, target, opts, keep_all=set(held))
    return fit_rows(rows, kept, held, target, opts, prior=prior)


def blend(model: LinearModel, prior: LinearModel, share: float) -> LinearModel:
    """share · model + (1 − share) · prior, weight by weight (a feature the prior lacks counts
    0 there): the linear score of the blend is the same mix of the two scores."""
    old = dict(zip(prior.features, prior.weights, strict=True))
    return LinearModel(kind=model.kind, features=list(model.features),
                       weights=[share * w + (1 - share) * old.get(f, 0.0)
                                for f, w in zip(model.features, model.weights, strict=True)],
                       intercept=share * model.intercept + (1 - share) * prior.intercept)


def fit_rows(rows: PairRows, kept: Sequence[str], held: Sequence[str], target: str,
             opts: TrainOptions, *, prior: LinearModel | None = None) -> LinearModel:
    """Fit on the rows of the `kept` queries (C by out-of-fold MAP), calibrate out-of-fold,
    report reliability on the `held` ones; rows may come from several sets (their query ids
    then carry a set prefix, see techmatch.eval.loso). With a `prior` and
    `opts.prior_queries` > 0 the fitted weights are blended with the prior's, the fit counting
    n / (n + prior_queries) for n training queries, and calibrated on the blend's scores
    (with fewer than MIN_CALIBRATION positives: the prior's calibrator and intercept kept)."""
    unknown = sorted(set(opts.features or ()) - set(rows.names))
    if unknown:
        raise ValidationError(f"未知排序特征 {unknown}；可选：{', '.join(rows.names)}",
                              field="features")
    x, y, groups = rows.arrays()
    fit_mask = np.isin(groups, kept)
    if len(set(y[fit_mask].tolist())) < 2:
        raise ValidationError(f"{target}: labels need both relevant (grade > 0) and "
                              f"non-relevant pairs among the training queries", field="qrels")
    fx, fy, fg = x[fit_mask], y[fit_mask], groups[fit_mask]
    grid = [opts.c] if opts.c is not None else list(C_GRID)
    oofs = {c: out_of_fold_scores(fx, fy, fg, rows.names, target, replace(opts, c=c))
            for c in grid}
    quality = {c: mean_average_precision(oof, fy, fg) for c, oof in oofs.items()}
    best_c = max(grid, key=lambda c: (quality[c], -abs(np.log10(c))))  # ties: nearest 1
    opts = replace(opts, c=best_c)
    model = fit_linear(fx, fy, rows.names, target, opts, fg)
    oof, share = oofs[best_c], 1.0
    if prior is not None and opts.prior_queries > 0:
        share = len(kept) / (len(kept) + opts.prior_queries)
        model = blend(model, prior, share)
        oof = share * oof + (1 - share) * blend(model, prior, 0.0).score(fx, rows.names)
    calibration = "fitted"
    if prior is not None and share < 1.0 and prior.calibrator is not None \
            and int(fy.sum()) < MIN_CALIBRATION:
        # too few positives to place the scores: the prior's calibrator reads the blend, whose
        # intercept (a constant per query: the ranking is the same) is set back to the prior's
        model.intercept = prior.intercept
        model.calibrator = prior.calibrator.model_copy(deep=True)
        calibration = "prior"
    else:
        model.calibrator = fit_calibrator(oof, fy, method=opts.calibration, seed=opts.seed)
    model.metrics = {"pairs": int(fit_mask.sum()), "positives": int(fy.sum()),
                     "queries": len(kept), "heldout_queries": len(held), "c": best_c,
                     "c_grid_oof_map": {str(c): round(v, 4) for c, v in quality.items()},
                     "own_share": round(share, 4), "calibration": calibration}
    if (~fit_mask).any():
        model.metrics.update(heldout_reliability(model, x[~fit_mask], y[~fit_mask],
                                                 groups[~fit_mask], rows.names))
    return model


def heldout_reliability(model: LinearModel, x: np.ndarray, y: np.ndarray, groups: np.ndarray,
                        names: tuple[str, ...]) -> dict[str, object]:
    """Reliability over every retrieved pair of the held-out queries, and over the TOP_HITS
    highest-scored pairs of each (what staff are shown)."""
    scores = model.score(x, names)
    conf = model.confidence(scores)
    top = np.zeros(len(y), dtype=bool)
    for qid in sorted(set(groups.tolist())):
        idx = np.flatnonzero(groups == qid)
        top[idx[np.argsort(-scores[idx], kind="stable")[:TOP_HITS]]] = True
    return {"reliability": reliability(conf, y).model_dump(),
            f"reliability_top{TOP_HITS}": reliability(conf[top], y[top]).model_dump()}


def abstention_rows(service: MatchService, queries: Mapping[str, Record], qrels: Qrels,
                    unanswerable: Sequence[str], target: str
                    ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Evidence rows (n, len(EVIDENCE)), labels (n,) and query ids: label 1 when the need's
    top-ranked candidate is relevant, 0 when it is not or the need is unanswerable."""
    from techmatch.matcher.abstain import EVIDENCE

    none = set(unanswerable)
    qids = sorted(q for q in {*qrels, *none} if q in queries and queries[q].text().strip())
    xs, ys, kept = [], [], []
    for start in range(0, len(qids), CHUNK):
        chunk = qids[start:start + CHUNK]
        rows = service.evidence([Query.of(queries[q]) for q in chunk], target=target)
        for qid, (ev, ranked) in zip(chunk, rows, strict=True):
            top = ranked[0] if ranked else None
            good = qid not in none and top is not None and qrels.get(qid, {}).get(top, 0) > 0
            xs.append(ev if ev is not None else np.zeros(len(EVIDENCE)))
            ys.append(1 if good else 0)
            kept.append(qid)
    return (np.vstack(xs) if xs else np.zeros((0, len(EVIDENCE))), np.array(ys, dtype=np.int64),
            kept)


def fit_abstention(service: MatchService, queries: Mapping[str, Record], qrels: Qrels,
                   unanswerable: Sequence[str], target: str, *, seed: int = 0
                   ) -> AbstainModel | None:
    """The abstention model of `target` (None with fewer than MIN_ABSTAIN needs of either
    label: the shipped model is kept then), with its in-sample AUROC in `metrics`."""
    from sklearn.metrics import roc_auc_score

    x, y, qids = abstention_rows(service, queries, qrels, unanswerable, target)
    if min(int(y.sum()), int(len(y) - y.sum())) < MIN_ABSTAIN:
        log.info("%s: too few needs of one label for abstention (%d good, %d not)", target,
                 int(y.sum()), int(len(y) - y.sum()))
        return None
    model = fit_abstain(x, y, kind=target, encoder=service.engine.encoder.id, seed=seed,
                        features=FITTED)
    shipped = default_abstain(target)  # its hit confidences read P, which keeps its meaning
    model.hits = shipped.hits if shipped is not None else None
    model.metrics = {"needs": len(y), "good_top": int(y.sum()),
                     "unanswerable": len(set(unanswerable) & set(qids)),
                     "auroc_in_sample": round(float(roc_auc_score(y, model.probability(x))), 4)}
    return model


def train_ranker(engine: Engine, qrels: Qrels, *, queries: Mapping[str, Record] | None = None,
                 options: TrainOptions | None = None,
                 base: RankerModel | None = None, source: str = "qrels",
                 unanswerable: Sequence[str] = ()) -> RankerModel:
    """A RankerModel trained per target kind found in `qrels` (query id → candidate → grade).

    Queries are looked up in `queries`, then in the store; candidate kinds come from the store.
    Kinds without labels keep `base`'s model (or the default weights). Each kind's abstention
    model is then fitted on its labelled needs plus the unanswerable ones (`unanswerable`, and
    needs whose judged pairs are all grade 0) when both labels have MIN_ABSTAIN needs.
    """
    opts = options or TrainOptions()
    service = MatchService(engine, model=RankerModel(), depth=opts.depth)
    known = dict(queries or {})
    missing = [q for q in qrels if q not in known]
    known.update(engine.store.get_many(missing))
    by_kind: dict[str, Qrels] = {}
    cands = engine.store.get_many({c for docs in qrels.values() for c in docs})
    for qid, docs in qrels.items():
        for cid, grade in docs.items():
            if qid in known and cid in cands:
                by_kind.setdefault(cands[cid].kind, {}).setdefault(qid, {})[cid] = grade
    if not by_kind:
        pairs = sum(len(docs) for docs in qrels.values())
        raise ValidationError(f"{pairs} 对标注中没有一对的查询和候选都在存储中：请先导入这些"
                              f"记录，或检查标注里的编号", field="qrels")
    model = RankerModel(models=dict(base.models) if base else {})
    model.trained_on = {"source": source, "seed": opts.seed, "calibration": opts.calibration,
                        "negatives": opts.negatives, "depth": opts.depth,
                        "holdout": opts.holdout, "kinds": sorted(by_kind)}
    if base is not None and opts.prior_queries > 0:
        model.trained_on["prior"] = {"source": base.trained_on.get("source", "default weights")
                                     if base.models else "default weights",
                                     "queries": opts.prior_queries,
                                     # names the base (shipped.feedback_base finds it again)
                                     "version": base.version, "created": base.created}
    for kind, labels in sorted(by_kind.items()):
        log.info("training %s ranker on %d queries", kind, len(labels))
        # a kind the base has no model of ranks with the default weights: those are the prior
        model.models[kind] = train_kind(service, labels, known, kind, opts,
                                        prior=base.for_kind(kind) if base else None)
    model.abstention = dict(base.abstention) if base else {}
    fitted = MatchService(engine, model=model, depth=opts.depth)
    known.update(engine.store.get_many([q for q in unanswerable if q not in known]))
    for kind, labels in sorted(by_kind.items()):
        none = sorted({*unanswerable, *(q for q, d in labels.items()
                                        if not any(g > 0 for g in d.values()))})
        found = fit_abstention(fitted, known, labels, none, kind, seed=opts.seed)
        if found is not None:
            model.abstention[kind] = found
    return model


__all__ = ["MIN_CALIBRATION", "OBJECTIVES", "PairRows", "TrainOptions", "abstention_rows",
           "collect_rows", "fit_abstention",
           "blend", "fit_rows", "needs_from_queries",
           "ranking_run", "split_queries", "train_ranker"]
