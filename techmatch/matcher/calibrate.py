"""Confidence calibration (Platt scaling or isotonic regression) and its reliability table.

Platt, "Probabilistic Outputs for Support Vector Machines", 1999: p = σ(a·s + b).
Zadrozny & Elkan, "Transforming Classifier Scores into Accurate Multiclass Probability
Estimates", KDD 2002: isotonic (monotone step) regression of labels on scores.
Expected calibration error (Naeini et al., AAAI 2015): Σ_b (n_b / N) · |acc_b − conf_b|
over equal-width confidence bins. On few pairs it is biased upwards (`ece_floor`); Kumar,
Liang & Ma, "Verified Uncertainty Calibration" (NeurIPS 2019) debias the squared error per
bin (`debiased_ce`); `ece_interval` is a bootstrap interval of the plain ECE.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from techmatch.errors import ValidationError

Method = Literal["platt", "isotonic"]
METHODS: tuple[str, ...] = ("platt", "isotonic")


class Calibrator(BaseModel):
    """Maps a raw ranker score to a probability of relevance; JSON-serialisable."""

    method: Method
    a: float = 1.0
    b: float = 0.0
    x: list[float] = Field(default_factory=list, description="isotonic thresholds")
    y: list[float] = Field(default_factory=list, description="isotonic values")

    def apply(self, scores: np.ndarray) -> np.ndarray:
        """Probabilities in [0, 1], same shape as `scores`, monotone non-decreasing in score."""
        scores = np.asarray(scores, dtype=np.float64)
        if self.method == "platt":
            return 1.0 / (1.0 + np.exp(-(self.a * scores + self.b)))
        if not self.x:
            return np.full_like(scores, 0.5)
        return np.clip(np.interp(scores, self.x, self.y), 0.0, 1.0)


def fit_calibrator(scores: np.ndarray, labels: np.ndarray, *, method: str = "platt",
                   seed: int = 0) -> Calibrator:
    """Fit on (n,) raw scores and (n,) 0/1 labels; both classes must be present."""
    if method not in METHODS:
        raise ValidationError(f"未知校准方法 {method}（可选：{'、'.join(METHODS)}）",
                              field="calibration")
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if len(set(labels.tolist())) < 2:
        raise ValidationError("校准需要同时有相关和不相关的样本对", field="labels")
    if method == "platt":
        from sklearn.linear_model import LogisticRegression

        lr = LogisticRegression(C=1e4, random_state=seed, max_iter=1000)
        lr.fit(scores.reshape(-1, 1), labels)
        return Calibrator(method="platt", a=float(lr.coef_[0, 0]), b=float(lr.intercept_[0]))
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0)
    iso.fit(scores, labels)
    return Calibrator(method="isotonic", x=[float(v) for v in iso.X_thresholds_],
                      y=[float(v) for v in iso.y_thresholds_])


class ReliabilityBin(BaseModel):
    """One confidence bin: [low, high), mean confidence, observed precision, pair count."""

    low: float
    high: float
    confidence: float | None
    precision: float | None
    count: int


class Reliability(BaseModel):
    """Reliability table and expected calibration error of confidences against labels."""

    bins: list[ReliabilityBin]
    ece: float
    pairs: int

    def table(self) -> str:
        lines = ["区间         置信度 精确率   对数"]
        for b in self.bins:
            conf = f"{b.confidence:.3f}" if b.confidence is not None else "  -  "
            prec = f"{b.precision:.3f}" if b.precision is not None else "  -  "
            lines.append(f"[{b.low:.1f}, {b.high:.1f})  {conf}  {prec}  {b.count:6d}")
        lines.append(f"ECE = {self.ece:.4f}（共 {self.pairs} 对）")
        return "\n".join(lines)


def ece_floor(confidence: np.ndarray, *, bins: int = 10, trials: int = 200,
              seed: int = 0) -> float:
    """The ECE a perfectly calibrated model with these confidences would show on a sample of
    this size: the mean ECE over `trials` draws of labels y ~ Bernoulli(confidence). On a
    few dozen pairs it is far above 0 (71 top hits spread over [0, 1]: about 0.08–0.12), so
    an ECE is read against it."""
    confidence = np.clip(np.asarray(confidence, dtype=np.float64), 0.0, 1.0)
    if not confidence.size:
        return 0.0
    rng = np.random.default_rng(seed)
    return float(np.mean([_ece(confidence, (rng.random(confidence.size) < confidence)
                               .astype(np.float64), bins) for _ in range(trials)]))


def _bins(confidence: np.ndarray, bins: int) -> np.ndarray:
    """Each confidence's equal-width bin over [0, 1] (the last bin includes 1.0)."""
    return np.minimum((confidence * bins).astype(int), bins - 1)


def _ece(confidence: np.ndarray, labels: np.ndarray, bins: int) -> float:
    """`reliability(...).ece` without the table: Σ_b |Σ y − Σ c| / N over the bins."""
    which = _bins(confidence, bins)
    gaps = (np.bincount(which, weights=labels, minlength=bins)
            - np.bincount(which, weights=confidence, minlength=bins))
    return float(np.abs(gaps).sum() / len(confidence))


def debiased_ce(confidence: np.ndarray, labels: np.ndarray, *, bins: int = 10) -> float:
    """The debiased ℓ2 calibration error of Kumar, Liang & Ma (NeurIPS 2019) over the same
    equal-width bins as `reliability`: sqrt(max(0, Σ_b (n_b / N) · [(ȳ_b − c̄_b)² −
    ȳ_b (1 − ȳ_b) / (n_b − 1)])), ȳ_b the bin's label mean and c̄_b its mean confidence. The
    subtracted term is the sampling variance of ȳ_b, which the plain squared gap carries as
    bias; a bin with one pair adds 0 (no variance estimate; as the paper's code). Unlike the
    plain ECE it is about 0 for a calibrated model on few pairs (it can dip below 0 before the
    clip), and, being ℓ2, at least the ℓ1 ECE of the same binning when both are exact."""
    confidence = np.clip(np.asarray(confidence, dtype=np.float64), 0.0, 1.0)
    labels = np.asarray(labels, dtype=np.float64)
    if len(labels) != len(confidence):
        raise ValidationError(f"{len(labels)} labels for {len(confidence)} confidences",
                              field="labels")
    if not confidence.size:
        return 0.0
    which = _bins(confidence, bins)
    total = 0.0
    for b in np.unique(which):
        mask = which == b
        count = int(mask.sum())
        if count < 2:
            continue
        y = float(labels[mask].mean())
        gap = y - float(confidence[mask].mean())
        total += count / len(confidence) * (gap * gap - y * (1.0 - y) / (count - 1))
    return float(np.sqrt(max(0.0, total)))


def ece_interval(confidence: np.ndarray, labels: np.ndarray,
                 groups: np.ndarray | None = None, *, bins: int = 10, trials: int = 1000,
                 level: float = 0.9, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval (`level`, two-sided) of the plain ECE: `groups` (one id
    per pair, e.g. its need) are resampled with replacement, with all their pairs, so the
    hits of one need move together (default: every pair its own group); seeded. The
    resampled ECEs carry the plain ECE's upward bias on few pairs (more so, as a resample
    holds fewer distinct pairs), so the interval says how far the ECE moves from sample to
    sample and is read against `ece_floor`, not against 0."""
    confidence = np.clip(np.asarray(confidence, dtype=np.float64), 0.0, 1.0)
    labels = np.asarray(labels, dtype=np.float64)
    if len(labels) != len(confidence):
        raise ValidationError(f"{len(labels)} labels for {len(confidence)} confidences",
                              field="labels")
    if not 0.0 < level < 1.0:
        raise ValidationError("应在 0 与 1 之间", field="level")
    if not confidence.size:
        return 0.0, 0.0
    ids = np.arange(len(confidence)) if groups is None else np.asarray(groups)
    if len(ids) != len(confidence):
        raise ValidationError(f"{len(ids)} groups for {len(confidence)} confidences",
                              field="groups")
    _, index = np.unique(ids, return_inverse=True)
    members = [np.flatnonzero(index == g) for g in range(int(index.max()) + 1)]
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(trials):
        pick = np.concatenate([members[g] for g in rng.integers(0, len(members), len(members))])
        draws.append(_ece(confidence[pick], labels[pick], bins))
    low, high = np.quantile(draws, [(1.0 - level) / 2, (1.0 + level) / 2])
    return float(low), float(high)


def calibration_errors(confidence: np.ndarray, labels: np.ndarray,
                       groups: np.ndarray | None = None, *, bins: int = 10) -> dict[str, Any]:
    """What an evaluation prints of one set of (confidence, label) pairs: the plain ECE,
    its floor (`ece_floor`), the debiased ℓ2 error (`debiased_ce`) and the 90 % bootstrap
    interval of the ECE over `groups` (`ece_interval`)."""
    low, high = ece_interval(confidence, labels, groups, bins=bins)
    return {"ece": reliability(confidence, labels, bins=bins).ece,
            "floor": ece_floor(confidence, bins=bins),
            "debiased": debiased_ce(confidence, labels, bins=bins),
            "interval": [low, high]}


def reliability(confidence: np.ndarray, labels: np.ndarray, *, bins: int = 10) -> Reliability:
    """Equal-width bins over [0, 1]; the last bin includes 1.0."""
    confidence = np.clip(np.asarray(confidence, dtype=np.float64), 0.0, 1.0)
    labels = np.asarray(labels, dtype=np.float64)
    which = _bins(confidence, bins)
    out, ece, n = [], 0.0, len(confidence)
    for b in range(bins):
        mask = which == b
        count = int(mask.sum())
        conf = float(confidence[mask].mean()) if count else None
        prec = float(labels[mask].mean()) if count else None
        if count and conf is not None and prec is not None:
            ece += count / n * abs(prec - conf)
        out.append(ReliabilityBin(low=b / bins, high=(b + 1) / bins, confidence=conf,
                                  precision=prec, count=count))
    return Reliability(bins=out, ece=ece, pairs=n)
