"""Recommenders: one contract (:mod:`.base`), the models, and their honest evaluation.

``MODELS`` maps a model's name to its class; every class follows
:class:`~bingewise.recommend.base.Recommender` (fit / score / recommend / similar_items /
save / load, no pickle) and passes the shared conformance tests
(:mod:`bingewise.recommend.testing`).

>>> sorted(MODELS)
['ease', 'ials', 'itemknn', 'popular', 'rp3beta', 'session-blend', 'session-ease', 'time-popular']
"""

from __future__ import annotations

from bingewise.recommend.als import IALS
from bingewise.recommend.base import Interactions, Recommender
from bingewise.recommend.ease import EASE
from bingewise.recommend.knn import ItemKNN
from bingewise.recommend.popular import Popular
from bingewise.recommend.rp3beta import RP3beta
from bingewise.recommend.session_blend import SessionBlend
from bingewise.recommend.session_ease import SessionEASE
from bingewise.recommend.time_popular import TimePopular

__all__ = [
    "EASE",
    "IALS",
    "MODELS",
    "Interactions",
    "ItemKNN",
    "Popular",
    "RP3beta",
    "Recommender",
    "SessionBlend",
    "SessionEASE",
    "TimePopular",
    "load_model",
]

#: Every model by name (the name is also stored in its saved file).
MODELS: dict[str, type[Recommender]] = {
    cls.name: cls
    for cls in (Popular, ItemKNN, EASE, IALS, RP3beta, SessionEASE, TimePopular, SessionBlend)
}


def load_model(path: str) -> Recommender:
    """Load a model saved by :meth:`Recommender.save`, whatever its kind (no pickle)."""
    import numpy as np

    with np.load(path, allow_pickle=False) as data:
        name = str(data["__model__"])
    if name not in MODELS:
        raise ValueError(f"{path}: unknown model {name!r}")
    return MODELS[name].load(path)
