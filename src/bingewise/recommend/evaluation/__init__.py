"""Honest offline evaluation of recommenders: protocols, metrics, tuning on validation only.

>>> from bingewise.recommend.evaluation import PROTOCOLS
>>> PROTOCOLS
('stratified', 'temporal', 'strong')
"""

from __future__ import annotations

from bingewise.recommend.evaluation.data import (
    InteractionLog,
    read_events,
    read_log,
    read_movielens,
)
from bingewise.recommend.evaluation.metrics import RankingMetrics, ranking_metrics
from bingewise.recommend.evaluation.runner import EvaluationReport, ResultRow, evaluate
from bingewise.recommend.evaluation.splits import (
    PROTOCOLS,
    Fold,
    make_fold,
    stratified_split,
    strong_split,
    temporal_split,
)

__all__ = [
    "PROTOCOLS",
    "EvaluationReport",
    "Fold",
    "InteractionLog",
    "RankingMetrics",
    "ResultRow",
    "evaluate",
    "make_fold",
    "ranking_metrics",
    "read_events",
    "read_log",
    "read_movielens",
    "stratified_split",
    "strong_split",
    "temporal_split",
]
