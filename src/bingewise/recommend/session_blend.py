"""Session blend: session-aware EASE read sitting by sitting, plus time-local popularity.

Two signals from the times of a member's own history, on top of :mod:`.session_ease`:

- **sittings**: a member's titles are grouped into sittings (consecutive times less than
  ``SITTING_GAP`` apart) and each title's row entry is ``(titles in its sitting)^p`` instead of
  1, so a title taken in a long sitting (where most of what the member took happened) speaks
  louder than one taken alone (``p = 0``: session-ease's scores exactly);
- **time-local popularity** (:mod:`.time_popular`): what everyone took around the member's times.

Each part is standardised per member (mean 0, standard deviation 1 over the titles) and the
score is ``z(EASE part) + mix · z(time-local part)``. Without times at scoring, the EASE part
reads a binary row and the time-local part is global popularity, so the model still answers.

Training uses the fit interactions and their times only; scoring uses the history's own times.
"""

from __future__ import annotations

from typing import Any, ClassVar, Self

import numpy as np
import scipy.sparse as sp

from bingewise.recommend._common import (
    PARAMS_KEY,
    as_csr,
    pack_params,
    positive_times,
    unpack_params,
)
from bingewise.recommend.base import Recommender
from bingewise.recommend.session_ease import SessionEASE
from bingewise.recommend.time_popular import TimePopular

__all__ = ["SITTING_GAP", "SessionBlend", "sitting_sizes"]

SITTING_GAP = 1_800.0  #: seconds: titles closer than this in time are one sitting


def sitting_sizes(times: sp.csr_matrix, gap: float = SITTING_GAP) -> sp.csr_matrix:
    """For each stored entry, the number of the row's entries in its sitting (same sparsity).

    A sitting is a run of the row's times, in time order, with consecutive gaps under ``gap``
    seconds.
    """
    t = sp.csr_matrix(times, dtype=np.float64)
    out = t.copy()
    for r in range(t.shape[0]):
        lo, hi = int(t.indptr[r]), int(t.indptr[r + 1])
        if hi == lo:
            continue
        tr = t.data[lo:hi]
        order = np.argsort(tr, kind="stable")
        label = np.r_[0, np.cumsum(np.diff(tr[order]) >= gap)]
        sizes = np.bincount(label)[label]
        out.data[lo + order] = sizes
    return out


def _standardise(s: np.ndarray) -> np.ndarray:
    """Each row to mean 0 and standard deviation 1 over its finite entries (``-inf``, a title
    the session-ease part does not keep, stays ``-inf``)."""
    s = np.asarray(s, dtype=np.float64)
    finite = np.isfinite(s)
    if finite.all():
        sd = s.std(axis=1, keepdims=True)
        out: np.ndarray = (s - s.mean(axis=1, keepdims=True)) / np.where(sd > 0, sd, 1.0)
        return out
    vals = np.where(finite, s, np.nan)
    mean = np.nanmean(vals, axis=1, keepdims=True)
    sd = np.nanstd(vals, axis=1, keepdims=True)
    z = (vals - mean) / np.where(sd > 0, sd, 1.0)
    return np.where(finite, z, s)


def _standardise_where(s: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """Each row standardised over its entries where ``keep`` (mean 0, standard deviation 1
    over them alone), 0 elsewhere: the others' values enter no result."""
    n = np.maximum(keep.sum(axis=1, keepdims=True), 1)
    mean = np.where(keep, s, 0.0).sum(axis=1, keepdims=True) / n
    sd = np.sqrt((np.where(keep, s - mean, 0.0) ** 2).sum(axis=1, keepdims=True) / n)
    out: np.ndarray = np.where(keep, (s - mean) / np.where(sd > 0, sd, 1.0), 0.0)
    return out


class SessionBlend(Recommender):
    """Session-aware EASE read by sittings, blended with time-local popularity.

    Parameters
    ----------
    l2, tau, weight:
        The session-aware EASE part (:class:`~.session_ease.SessionEASE`).
    sitting_power:
        ``p``: a history title weighs ``(titles in its sitting)^p`` at scoring (0: all weigh 1).
    sigma, beta:
        The time-local popularity part (:class:`~.time_popular.TimePopular`), days and penalty.
    mix:
        Weight of the standardised time-local part (0: session-ease with sittings only).
    max_titles:
        The session-ease part's title cap (:class:`~.ease.EASE`); titles outside it are never
        recommended.
    """

    name: ClassVar[str] = "session-blend"
    personalized: ClassVar[bool] = True
    uses_times: ClassVar[bool] = (
        True  #: ``fit`` takes ``times=``; scoring reads the history's times
    )
    #: the home page leaves the time-local part out of a title's score (:meth:`score_counted`)
    #: rather than the title out of the picks
    blends_time_local: ClassVar[bool] = True

    def __init__(
        self,
        l2: float = 150.0,
        tau: float = 0.01,
        weight: float = 0.9,
        sitting_power: float = 0.5,
        sigma: float = 30.0,
        beta: float = 0.5,
        mix: float = 0.2,
        max_titles: int | None = None,
    ):
        if mix < 0:
            raise ValueError("mix must be non-negative")
        self.ease = SessionEASE(l2=l2, tau=tau, weight=weight, max_titles=max_titles)
        self.popular = TimePopular(sigma=sigma, beta=beta)
        self.sitting_power = float(sitting_power)
        self.mix = float(mix)

    def params(self) -> dict[str, Any]:
        """Hyper-parameters (what the constructor takes)."""
        return {
            **self.ease.params(),
            **self.popular.params(),
            "sitting_power": self.sitting_power,
            "mix": self.mix,
        }

    def fit(self, user_items: sp.csr_matrix, times: sp.csr_matrix | None = None) -> Self:
        """Fit both parts on the fit interactions (and their times)."""
        self.ease.fit(user_items, times=times)
        self.popular.fit(user_items, times=times)
        return self

    def fit_with(self, ease: SessionEASE, user_items: sp.csr_matrix, times: sp.csr_matrix) -> Self:
        """Fit with an already fitted session-ease part of the same parameters (tuning reuses it).

        The time-local part is cheap and always fitted here.
        """
        if ease.params() != self.ease.params() or ease.weights is None:
            raise ValueError("the session-ease part must be fitted with this model's parameters")
        self.ease = ease
        self.popular.fit(user_items, times=times)
        return self

    def score(self, user_items: sp.csr_matrix) -> np.ndarray:
        """Without times: ``z(x_u B) + mix · z(global popularity)``."""
        x = as_csr(user_items)
        if self.ease.weights is None:
            raise RuntimeError("fit the model first")
        base = _standardise(self.ease.score(x))
        if self.mix == 0:
            return base
        return base + self.mix * _standardise(self.popular.score(x))

    def score_at(self, user_items: sp.csr_matrix, times: sp.csr_matrix) -> np.ndarray:
        """Sitting-weighted EASE part plus time-local popularity (see the module docstring)."""
        return self._scored(user_items, times, None)

    def score_counted(
        self, user_items: sp.csr_matrix, times: sp.csr_matrix, counted: np.ndarray
    ) -> np.ndarray:
        """:meth:`score_at` with the time-local part only for the titles ``counted`` (rows x
        titles, bool; the home page's: enough members took them around the member's times),
        standardised over those titles alone; the others are scored by the EASE part alone
        (their time-local popularity enters no score). All counted: :meth:`score_at`."""
        return self._scored(user_items, times, np.asarray(counted, dtype=bool))

    def _scored(
        self, user_items: sp.csr_matrix, times: sp.csr_matrix, counted: np.ndarray | None
    ) -> np.ndarray:
        x = as_csr(user_items)
        if self.ease.weights is None:
            raise RuntimeError("fit the model first")
        t = positive_times(x, times)
        weighted = (x > 0).astype(np.float64)
        weighted.sort_indices()
        if self.sitting_power != 0 and t.nnz:
            if not (
                np.array_equal(weighted.indptr, t.indptr)
                and np.array_equal(weighted.indices, t.indices)
            ):
                raise ValueError("times must have the non-zero pattern of user_items")
            weighted.data = sitting_sizes(t).data ** self.sitting_power
        base = _standardise(self.ease.scores_of(weighted))
        if self.mix == 0:
            return base
        local = np.asarray(self.popular.score_at(x, t), dtype=np.float64)
        if counted is None:
            return base + self.mix * _standardise(local)
        return base + self.mix * _standardise_where(local, np.broadcast_to(counted, local.shape))

    def time_local(self) -> TimePopular | None:
        """The time-local popularity part, when it is mixed in (``mix > 0``) and has daily
        counts; the session-ease part is co-watching (the pair rule)."""
        return self.popular.time_local() if self.mix > 0 else None

    def similar_items(self, items: np.ndarray, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        """The session-ease part's similar titles (what each title predicts)."""
        return self.ease.similar_items(items, n)

    @classmethod
    def state_without(
        cls, state: dict[str, np.ndarray], taken: sp.csr_matrix, times: sp.csr_matrix
    ) -> dict[str, np.ndarray]:
        """The time-local part's counts less ``taken`` (:meth:`TimePopular.state_without`);
        the session-ease part's weights wait for the retraining."""
        prefix = "popular__"
        part = {k.removeprefix(prefix): v for k, v in state.items() if k.startswith(prefix)}
        fewer = TimePopular.state_without(part, taken, times)
        return {**state, **{prefix + k: v for k, v in fewer.items()}}

    def state(self) -> dict[str, np.ndarray]:
        """Both parts' arrays (prefixed) and the parameters."""
        out: dict[str, np.ndarray] = {PARAMS_KEY: pack_params(self.params())}
        for prefix, part in (("ease", self.ease), ("popular", self.popular)):
            if part is self.ease and self.ease.weights is None:
                raise RuntimeError("fit the model first")
            for key, value in part.state().items():
                if key != PARAMS_KEY:
                    out[f"{prefix}__{key}"] = value
        return out

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> Self:
        """Rebuild from :meth:`state`."""
        params = unpack_params(state)
        model = cls(**params)
        ease_state = {
            k.removeprefix("ease__"): v for k, v in state.items() if k.startswith("ease__")
        }
        pop_state = {
            k.removeprefix("popular__"): v for k, v in state.items() if k.startswith("popular__")
        }
        ease_state[PARAMS_KEY] = pack_params(model.ease.params())
        pop_state[PARAMS_KEY] = pack_params(model.popular.params())
        model.ease = SessionEASE.from_state(ease_state)
        model.popular = TimePopular.from_state(pop_state)
        return model
