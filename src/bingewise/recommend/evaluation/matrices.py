"""Turn a :class:`~.splits.Fold` of an interaction log into the matrices models and metrics use.

Rows of the fit matrix are the members with fit rows, columns the titles with fit rows (a model
can only recommend what it was trained on). The evaluated members are those with at least one
test row *and* at least one query row; the relevance matrix gives them extra columns for titles
that appear only in the test (relevant, never recommendable), as in Microsoft Recommenders where
such titles still count in the denominator of recall and NDCG. Every interaction counts as 1:
ratings are treated as implicit interactions, as in that benchmark.

Times: ``fit_times`` are the times of the fit rows (training input) and ``query_times`` those of
the query rows (the history a member is scored from, for models that read it in time order).
Neither ever holds the time of a test row.

``item_features``: the catalogue's genres and years of the fit matrix's columns (None when the
log came without a catalogue, or one without genres and years): catalogue data, no member's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from bingewise.recommend.evaluation.data import InteractionLog
from bingewise.recommend.evaluation.splits import Fold
from bingewise.recommend.features import ItemFeatures

__all__ = ["FoldMatrices", "fold_matrices"]


@dataclass(frozen=True)
class FoldMatrices:
    """The matrices of one fold (see the module docstring)."""

    fit: sp.csr_matrix  #: fit members × titles, binary float32
    fit_times: sp.csr_matrix  #: same sparsity: UTC seconds of each fit interaction
    member_ids: np.ndarray  #: member id of each fit row
    title_ids: np.ndarray  #: title id of each column
    query: sp.csr_matrix  #: evaluated members × titles: their history at scoring time
    query_times: sp.csr_matrix  #: same sparsity as ``query``: UTC seconds of that history
    relevant: sp.csr_matrix  #: evaluated members × (titles + test-only titles)
    eval_ids: np.ndarray  #: member id of each evaluated row
    eval_fit_rows: np.ndarray  #: row of each evaluated member in ``fit`` (-1: not a fit member)
    train_counts: np.ndarray  #: fit interactions per title (column)
    skipped: int  #: members with test rows but no history to query with
    item_features: ItemFeatures | None = None  #: genres and years of each column (module doc)

    @property
    def n_items(self) -> int:
        """Titles the models know (columns of ``fit``)."""
        return int(self.fit.shape[1])


def _matrix(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, shape: tuple[int, int]
) -> sp.csr_matrix:
    m = sp.csr_matrix((values, (rows, cols)), shape=shape)
    m.sum_duplicates()
    m.sort_indices()
    return m


def fold_matrices(log: InteractionLog, fold: Fold) -> FoldMatrices:
    """Build the fit, query and relevance matrices of ``fold``."""
    fit_users = log.users[fold.fit]
    fit_items = log.items[fold.fit]
    member_ids = np.unique(fit_users)
    title_ids = np.unique(fit_items)
    r = np.searchsorted(member_ids, fit_users)
    c = np.searchsorted(title_ids, fit_items)
    shape = (len(member_ids), len(title_ids))
    fit = _matrix(r, c, np.ones(len(r), dtype=np.float32), shape)
    fit_times = _matrix(r, c, log.times[fold.fit].astype(np.float64), shape)

    test_users = log.users[fold.test]
    query_rows = fold.query[np.isin(log.items[fold.query], title_ids)]
    query_users = log.users[query_rows]
    with_test = np.unique(test_users)
    eval_ids = np.intersect1d(with_test, np.unique(query_users))
    skipped = len(with_test) - len(eval_ids)

    keep_q = np.isin(query_users, eval_ids)
    q_rows = np.searchsorted(eval_ids, query_users[keep_q])
    q_cols = np.searchsorted(title_ids, log.items[query_rows][keep_q])
    q_shape = (len(eval_ids), len(title_ids))
    q = _matrix(q_rows, q_cols, np.ones(int(keep_q.sum()), dtype=np.float32), q_shape)
    q_times = _matrix(q_rows, q_cols, log.times[query_rows][keep_q].astype(np.float64), q_shape)
    keep_t = np.isin(test_users, eval_ids)
    t_items = log.items[fold.test][keep_t]
    known = np.isin(t_items, title_ids)
    extra = np.unique(t_items[~known])
    t_cols = np.where(
        known,
        np.searchsorted(title_ids, t_items),
        len(title_ids) + np.searchsorted(extra, t_items),
    )
    relevant = _matrix(
        np.searchsorted(eval_ids, test_users[keep_t]),
        t_cols,
        np.ones(len(t_cols), dtype=np.float32),
        (len(eval_ids), len(title_ids) + len(extra)),
    )
    pos = np.searchsorted(member_ids, eval_ids)
    pos_clipped = np.minimum(pos, len(member_ids) - 1)
    in_fit = (pos < len(member_ids)) & (member_ids[pos_clipped] == eval_ids)
    eval_fit_rows = np.where(in_fit, pos_clipped, -1)
    return FoldMatrices(
        fit=fit,
        fit_times=fit_times,
        member_ids=member_ids,
        title_ids=title_ids,
        query=q,
        query_times=q_times,
        relevant=relevant,
        eval_ids=eval_ids,
        eval_fit_rows=eval_fit_rows.astype(np.int64),
        train_counts=np.asarray(fit.sum(axis=0)).ravel(),
        skipped=int(skipped),
        item_features=(
            log.titles.for_titles(title_ids)
            if log.titles is not None and log.titles.any()
            else None
        ),
    )
