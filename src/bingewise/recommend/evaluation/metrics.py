"""Ranking metrics at k, with Microsoft Recommenders' definitions (``python_evaluation``).

For each evaluated member u with relevant (held-out) set T_u, recommendations r_1..r_k (best
first) and hits h_i = [r_i ∈ T_u]:

- ``precision`` = Σ h_i / k (k even when fewer than k titles were recommended);
- ``recall`` = Σ h_i / |T_u|;
- ``ndcg`` = Σ h_i / ln(1 + i)  ÷  Σ_{i ≤ min(|T_u|, k)} 1 / ln(1 + i) (binary relevance;
  ``ndcg_at_k(score_type="binary")``; the log base cancels);
- ``map`` = Σ_i h_i · (hits among the first i) / i  ÷  |T_u| — Recommenders' ``map`` (and the
  ``map_at_k`` of its releases up to 1.1, the figure in its README benchmark table);
- ``map_at_k`` = the same sum ÷ min(|T_u|, k) — ``map_at_k`` of its later releases
  (Spark's ``meanAveragePrecisionAt``).

All are averaged over the evaluated members; NDCG also carries a 95 % confidence interval over
members (percentile bootstrap, :func:`mean_ci`, scipy's ``stats.bootstrap``), and the member's own
NDCG is kept so two rows can be compared member by member (a paired interval). Beyond accuracy,
over all recommendations:

- ``coverage`` = distinct recommended titles ÷ distinct titles in the training data
  (``catalog_coverage``, Shani & Gunawardana 2010);
- ``novelty`` = mean over all recommendations of −log2(n_i / N), n_i the title's training
  interactions and N all training interactions (``novelty``, Castells et al. 2011; bits).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy import stats

__all__ = ["RankingMetrics", "mean_ci", "ranking_metrics"]

#: Bootstrap resamples behind every interval (percentile method).
RESAMPLES = 2000


def mean_ci(values: np.ndarray, *, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile-bootstrap interval of the mean of ``values`` (members resampled with
    replacement, :data:`RESAMPLES` times, seeded); a constant sample gives (c, c)."""
    x = np.asarray(values, dtype=np.float64)
    if len(x) == 0:
        return (float("nan"), float("nan"))
    if np.all(x == x[0]):
        return (float(x[0]), float(x[0]))
    res = stats.bootstrap(
        (x,),
        np.mean,
        n_resamples=RESAMPLES,
        confidence_level=level,
        method="percentile",
        vectorized=True,
        batch=max(1, min(RESAMPLES, 20_000_000 // len(x))),  # bounded memory for large folds
        random_state=np.random.default_rng(seed),
    )
    return (float(res.confidence_interval.low), float(res.confidence_interval.high))


@dataclass(frozen=True)
class RankingMetrics:
    """Metrics at ``k`` averaged over ``users`` evaluated members (see the module docstring)."""

    k: int
    users: int
    precision: float
    recall: float
    ndcg: float
    map: float
    map_at_k: float
    coverage: float
    novelty: float
    ndcg_low: float = float("nan")  #: 95 % bootstrap interval of ``ndcg`` over members
    ndcg_high: float = float("nan")
    #: each evaluated member's NDCG, in the fold's member order (for paired comparisons)
    ndcg_per_member: np.ndarray = field(
        default_factory=lambda: np.zeros(0), repr=False, compare=False
    )

    def as_dict(self) -> dict[str, float | int]:
        """Plain dict (for JSON; the per-member values are left out)."""
        out = asdict(self)
        out.pop("ndcg_per_member")
        return out


def ranking_metrics(
    recommended: np.ndarray,
    relevant: sp.csr_matrix,
    k: int,
    *,
    train_counts: np.ndarray,
    seed: int = 0,
    interval: bool = True,
) -> RankingMetrics:
    """Score top-k lists against held-out interactions.

    Parameters
    ----------
    recommended:
        members × ≥k item positions, best first, -1 for "nothing" (only the first k are used).
    relevant:
        members × items (any width ≥ the positions used): non-zero where the member's held-out
        interactions are. Columns beyond the model's items stand for titles only seen in the
        test, which count as relevant but can never be hit.
    k:
        Cut-off.
    train_counts:
        Training interactions per model item position (for coverage and novelty).
    seed:
        Seed of the bootstrap behind the NDCG interval.
    interval:
        Whether to compute that interval (tuning, which only compares means, skips it).
    """
    recs = np.asarray(recommended, dtype=np.int64)[:, :k]
    truth = sp.csr_matrix(relevant)
    truth.eliminate_zeros()
    n_users = recs.shape[0]
    if truth.shape[0] != n_users:
        raise ValueError("recommended and relevant need one row per member")
    actual = np.diff(truth.indptr).astype(np.float64)
    if n_users == 0 or np.any(actual == 0):
        raise ValueError("every evaluated member needs at least one relevant item")
    valid = recs >= 0
    rows = np.repeat(np.arange(n_users), recs.shape[1])
    looked = np.asarray(truth[rows, np.where(valid, recs, 0).ravel()]).reshape(recs.shape)
    hits = (looked != 0) & valid
    positions = np.arange(1, recs.shape[1] + 1, dtype=np.float64)
    n_hits = hits.sum(axis=1).astype(np.float64)

    precision = n_hits / k
    recall = n_hits / actual
    gains = 1.0 / np.log1p(positions)
    dcg = (hits * gains).sum(axis=1)
    ideal_cum = np.cumsum(1.0 / np.log1p(np.arange(1, k + 1, dtype=np.float64)))
    idcg = ideal_cum[np.minimum(actual, k).astype(np.int64) - 1]
    ndcg = dcg / idcg
    ap_sum = (hits * np.cumsum(hits, axis=1) / positions).sum(axis=1)
    mean_ap = ap_sum / actual
    mean_ap_k = ap_sum / np.minimum(actual, k)

    counts = np.asarray(train_counts, dtype=np.float64)
    listed = recs[valid]
    n_train_items = int((counts > 0).sum())
    coverage = len(np.unique(listed)) / n_train_items if n_train_items else 0.0
    total = counts.sum()
    with np.errstate(divide="ignore"):
        item_novelty = np.where(counts > 0, -np.log2(counts / total), 0.0)
    novelty = float(item_novelty[listed].sum() / len(listed)) if len(listed) else 0.0
    low, high = mean_ci(ndcg, seed=seed) if interval else (float("nan"), float("nan"))
    return RankingMetrics(
        k=k,
        users=n_users,
        precision=float(precision.mean()),
        recall=float(recall.mean()),
        ndcg=float(ndcg.mean()),
        map=float(mean_ap.mean()),
        map_at_k=float(mean_ap_k.mean()),
        coverage=float(coverage),
        novelty=novelty,
        ndcg_low=low,
        ndcg_high=high,
        ndcg_per_member=ndcg,
    )
