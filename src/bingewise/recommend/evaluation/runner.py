"""Run the evaluation: split, tune on validation only, fit, recommend, score, tabulate.

Honesty rules built in:

- hyper-parameters are chosen by NDCG@k on a *validation* fold carved from the fit rows with the
  same protocol (and another seed); the test rows are touched once, by the final models;
- every model and peer gets the same fold, the same k and the same metric code;
- seeded: the same ``seed`` gives the same split, the same tuning and the same table.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from bingewise.console import progress
from bingewise.recommend._common import DenseMemoryError
from bingewise.recommend.evaluation.candidates import CANDIDATES, Candidate
from bingewise.recommend.evaluation.data import InteractionLog
from bingewise.recommend.evaluation.matrices import FoldMatrices, fold_matrices
from bingewise.recommend.evaluation.metrics import RankingMetrics, mean_ci, ranking_metrics
from bingewise.recommend.evaluation.splits import Fold, make_fold

__all__ = ["EvaluationReport", "ResultRow", "evaluate", "tune"]

log = logging.getLogger(__name__)

#: Fewest titles a dense model is run on when the catalogue does not fit (fewer: not run).
MIN_DENSE_TITLES = 1_000


@dataclass(frozen=True)
class ResultRow:
    """One line of the table."""

    label: str  #: e.g. "ease (tuned)"
    candidate: str
    kind: str  #: "ours" or "peer"
    params: dict[str, Any]
    metrics: RankingMetrics
    fit_seconds: float
    tune_seconds: float = 0.0
    tried: int = 1  #: configurations tried on the validation fold

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (for JSON)."""
        return {
            "label": self.label,
            "candidate": self.candidate,
            "kind": self.kind,
            "params": self.params,
            "metrics": self.metrics.as_dict(),
            "fit_seconds": self.fit_seconds,
            "tune_seconds": self.tune_seconds,
            "tried": self.tried,
        }


@dataclass(frozen=True)
class EvaluationReport:
    """The evaluation table and how it was produced."""

    protocol: str
    k: int
    seed: int
    data: str
    fold: str
    validation: str
    rows: list[ResultRow] = field(default_factory=list)
    #: (label, why) of candidates that could not run here, e.g. a dense model too large for memory
    not_run: list[tuple[str, str]] = field(default_factory=list)

    def best(self, kind: str | None = None) -> ResultRow:
        """The row with the highest NDCG@k (of ``kind`` when given)."""
        rows = [r for r in self.rows if kind is None or r.kind == kind]
        return max(rows, key=lambda r: r.metrics.ndcg)

    def versus_best_peer(self) -> dict[str, Any] | None:
        """The best row against the best peer, member by member: the mean NDCG@k difference and
        its 95 % percentile-bootstrap interval over the evaluated members (None without both).
        Computed once per report (the table and the JSON both show it)."""
        if "_versus" not in self.__dict__:
            object.__setattr__(self, "_versus", self._versus_best_peer())
        return self.__dict__["_versus"]  # type: ignore[no-any-return]

    def _versus_best_peer(self) -> dict[str, Any] | None:
        ours = [r for r in self.rows if r.kind == "ours"]
        peers = [r for r in self.rows if r.kind == "peer"]
        if not ours or not peers:
            return None
        a = max(ours, key=lambda r: r.metrics.ndcg)
        b = max(peers, key=lambda r: r.metrics.ndcg)
        diff = a.metrics.ndcg_per_member - b.metrics.ndcg_per_member
        low, high = mean_ci(diff, seed=self.seed)
        return {
            "ours": a.label,
            "peer": b.label,
            "members": len(diff),
            "ndcg_difference": float(diff.mean()),
            "low": low,
            "high": high,
            "better_for_members": int((diff > 0).sum()),
            "worse_for_members": int((diff < 0).sum()),
        }

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (for JSON)."""
        return {
            "protocol": self.protocol,
            "k": self.k,
            "seed": self.seed,
            "data": self.data,
            "fold": self.fold,
            "validation": self.validation,
            "interactions": "binary: every rating or viewed title counts as one interaction",
            "timestamps": "session-ease, time-popular and session-blend also read times: "
            "those of the fit interactions (training) and of each member's own history (query "
            "rows) at scoring; no model sees the time of a held-out interaction",
            "catalogue": "session-ease also reads the catalogue's genres and years when the data "
            "comes with them (movies.csv beside MovieLens ratings, an events catalog with genres "
            "or release dates): its '(tuned, no genres)' row is the best of its configurations "
            "without them, from the same tuning",
            "rows": [r.as_dict() for r in self.rows],
            "not_run": [{"label": label, "why": why} for label, why in self.not_run],
            "versus_best_peer": self.versus_best_peer(),
        }


def _score(
    cand: Candidate,
    params: dict[str, Any],
    m: FoldMatrices,
    k: int,
    seed: int,
    interval: bool = True,
) -> tuple[RankingMetrics, float]:
    ranker = cand.build(seed=seed, **params)
    start = time.perf_counter()
    ranker.fit(m)
    fit_seconds = time.perf_counter() - start
    ids = ranker.top_k(m, k)
    metrics = ranking_metrics(
        ids, m.relevant, k, train_counts=m.train_counts, seed=seed, interval=interval
    )
    return metrics, fit_seconds


def tune(
    cand: Candidate,
    valid: FoldMatrices,
    k: int,
    seed: int,
    advance: Any = None,
    extra: dict[str, Any] | None = None,
    grid: list[dict[str, Any]] | None = None,
    tried: list[tuple[float, dict[str, Any]]] | None = None,
) -> tuple[dict[str, Any], int]:
    """The configuration of ``grid`` (default ``cand.grid``) with the best validation NDCG@k
    (ties: first); every configuration gets the ``extra`` parameters (a title cap) too. Each
    (NDCG@k, configuration) is appended to ``tried`` when given."""
    grid = cand.grid if grid is None else grid
    best: tuple[float, dict[str, Any]] | None = None
    for grid_params in grid:
        params = {**grid_params, **(extra or {})}
        metrics, _ = _score(cand, params, valid, k, seed, interval=False)
        log.info("tuning %s %s: ndcg@%d=%.4f", cand.name, params, k, metrics.ndcg)
        if tried is not None:
            tried.append((metrics.ndcg, params))
        if best is None or metrics.ndcg > best[0]:
            best = (metrics.ndcg, params)
        if advance is not None:
            advance()
    assert best is not None
    return best[1], len(grid)


def _grid_for(cand: Candidate, side: bool) -> list[dict[str, Any]]:
    """The candidate's grid; without side information (``side`` false) only the configurations
    that read none (the others would repeat them)."""
    if side or cand.without_side is None:
        return cand.grid
    return [p for p in cand.grid if cand.plain(p)]


def _plan(names: list[str], tuned: bool) -> list[tuple[Candidate, str]]:
    plan: list[tuple[Candidate, str]] = []
    for name in names:
        if name not in CANDIDATES:
            raise ValueError(f"unknown model {name!r}: choose from {', '.join(CANDIDATES)}")
        cand = CANDIDATES[name]
        if not tuned or len(cand.grid) <= 1:
            plan.append((cand, "default"))
        elif cand.kind == "peer":
            plan += [(cand, "default"), (cand, "tuned")]
        else:
            plan.append((cand, "tuned"))
    return plan


def _steps(cand: Candidate, how: str, side: bool) -> int:
    """Progress steps of one row: each tuning configuration, then the final fit(s)."""
    if how != "tuned":
        return 1
    grid = _grid_for(cand, side)
    return len(grid) + (2 if _ablated(cand, side) else 1)


def _ablated(cand: Candidate, side: bool) -> bool:
    """Whether the tuned row also gets a row without the side information (same tuning)."""
    return side and cand.without_side is not None


def evaluate(
    log_: InteractionLog,
    *,
    protocol: str = "stratified",
    k: int = 10,
    models: list[str] | None = None,
    seed: int = 42,
    tuned: bool = True,
) -> EvaluationReport:
    """Evaluate ``models`` (default: all candidates) on ``log_`` under ``protocol``."""
    if k < 1:
        raise ValueError("k must be at least 1")
    names = list(CANDIDATES) if models is None else models
    plan = _plan(names, tuned)
    fold: Fold = make_fold(log_, protocol, seed=seed)
    m = fold_matrices(log_, fold)
    if not len(m.eval_ids):
        raise ValueError(
            f"no member has both history to query with and held-out interactions under the "
            f"{protocol} protocol ({len(log_):,} interactions of "
            f"{len(np.unique(log_.users)):,} members): too few to evaluate"
        )
    vfold = make_fold(log_, protocol, seed=seed + 1, rows=fold.fit)
    vm: FoldMatrices | None = None
    tuning = any(how == "tuned" for _, how in plan)
    if tuning:
        vm = fold_matrices(log_, vfold)
        if not len(vm.eval_ids):
            raise ValueError(
                "the validation split carved from the training part has no member to score: "
                "too few interactions to tune; --no-tune runs every model with its defaults"
            )
    rows: list[ResultRow] = []
    not_run: list[tuple[str, str]] = []
    done = 0
    side = m.item_features is not None  # the catalogue's genres or years
    steps = sum(_steps(c, how, side) for c, how in plan)
    with progress() as bar:
        task = bar.add_task(f"evaluating ({protocol})", total=steps)
        for cand, how in plan:
            label = cand.name if len(cand.grid) <= 1 or not tuned else f"{cand.name} ({how})"
            cap: dict[str, Any] = {}  # max_titles, when a dense model must keep fewer titles
            while True:
                bar.update(task, completed=done)
                params = {**cand.default, **cap}
                tune_seconds, tried = 0.0, 1
                scores: list[tuple[float, dict[str, Any]]] = []
                plain_row: ResultRow | None = None
                try:
                    if how == "tuned":
                        if vm is None:
                            vm = fold_matrices(log_, vfold)
                        start = time.perf_counter()
                        params, tried = tune(
                            cand,
                            vm,
                            k,
                            seed,
                            lambda: bar.advance(task, 1),
                            extra=cap,
                            grid=_grid_for(cand, side),
                            tried=scores,
                        )
                        tune_seconds = time.perf_counter() - start
                    if how == "tuned" and _ablated(cand, side):
                        # The same model without the catalogue's genres and years: the best of
                        # the configurations that read none, on the same validation runs.
                        plain = max(
                            (s for s in scores if cand.plain(s[1])),
                            key=lambda s: s[0],
                            default=None,
                        )
                        if plain is not None:
                            plain_metrics, plain_fit = _score(cand, plain[1], m, k, seed)
                            plain_row = ResultRow(
                                f"{cand.name} (tuned, no genres)",
                                cand.name,
                                cand.kind,
                                plain[1],
                                plain_metrics,
                                plain_fit,
                                tune_seconds,
                                tried,
                            )
                    metrics, fit_seconds = _score(cand, params, m, k, seed)
                except MemoryError as exc:
                    # Raised before the allocation (see ``ensure_memory``): a dense model runs
                    # again on the most taken titles that fit, all else alike (the params column
                    # says so); otherwise the row is not run and the other rows still are.
                    fits = exc.fits if isinstance(exc, DenseMemoryError) else 0
                    if not cap and fits >= MIN_DENSE_TITLES:
                        cap = {"max_titles": fits}
                        log.info("%s: %s; run again with max_titles=%d", label, exc, fits)
                        continue
                    not_run.append((label, f"{exc} (--min-title-count N leaves out rare ones)"))
                    log.info("%s not run: %s", label, exc)  # the report says it too
                    break
                rows.append(
                    ResultRow(
                        label,
                        cand.name,
                        cand.kind,
                        params,
                        metrics,
                        fit_seconds,
                        tune_seconds,
                        tried,
                    )
                )
                if plain_row is not None:
                    rows.append(plain_row)
                break
            done += _steps(cand, how, side)
            bar.update(task, completed=done)
    note = f", {m.skipped:,} members with test rows but no history skipped" if m.skipped else ""
    return EvaluationReport(
        protocol=protocol,
        k=k,
        seed=seed,
        data=log_.summary(),
        fold=fold.describe() + f"; {len(m.eval_ids):,} members evaluated" + note,
        validation=vfold.describe() if tuning else "none (every row runs with its defaults)",
        rows=rows,
        not_run=not_run,
    )
