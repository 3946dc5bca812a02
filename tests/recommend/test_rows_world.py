"""A tiny hand-built platform and a tiny cosine item-kNN, shared by the rows and train tests.

The model here is the tests' own (brute-force cosine), so the rows and the model store are tested
without waiting for the production models; it is itself checked against a loop-by-loop oracle.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from bingewise.recommend.base import Recommender
from bingewise.schema import Catalog, Events, Members
from bingewise.warehouse import Warehouse

AS_OF = dt.datetime(2024, 6, 1, 12, 0, 0)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


class TinyCosine(Recommender):
    """Item-kNN with full cosine similarity; scores are ``user_items @ S`` (zero diagonal)."""

    name: ClassVar[str] = "tinycos"

    def __init__(self) -> None:
        self.sim = np.zeros((0, 0))

    def fit(self, user_items: sp.csr_matrix) -> Self:
        x = sp.csr_matrix(user_items, dtype=np.float64)
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=0))).ravel()
        norms[norms == 0] = 1.0
        gram = (x.T @ x).toarray()
        sim = gram / norms[:, None] / norms[None, :]
        np.fill_diagonal(sim, 0.0)
        self.sim = sim
        return self

    def score(self, user_items: sp.csr_matrix) -> np.ndarray:
        return np.asarray(sp.csr_matrix(user_items, dtype=np.float64) @ self.sim)

    def similar_items(self, items: np.ndarray, n: int = 10) -> tuple[np.ndarray, np.ndarray]:
        items = np.atleast_1d(items)
        sims = self.sim[items].copy()
        sims[np.arange(len(items)), items] = -np.inf
        n = min(n, self.sim.shape[0] - 1)
        order = np.argsort(-sims, axis=1, kind="stable")[:, :n]
        return order, np.take_along_axis(sims, order, axis=1)

    def state(self) -> dict[str, np.ndarray]:
        return {"sim": self.sim}

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray]) -> Self:
        model = cls()
        model.sim = np.asarray(state["sim"], dtype=np.float64)
        return model


MODELS: dict[str, type[Recommender]] = {TinyCosine.name: TinyCosine}


@dataclass
class World:
    """Builds catalog, members and events row by row, then writes them to a warehouse."""

    catalog: list[dict[str, Any]] = field(default_factory=list)
    members: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)

    def film(
        self,
        title_id: int,
        name: str,
        *,
        genres: str = "Drama",
        maturity: str | None = "TV-14",
        runtime: int | None = 6000,
    ) -> int:
        self.catalog.append(
            {
                Catalog.title_id: title_id,
                Catalog.title: name,
                Catalog.kind: Catalog.FILM,
                Catalog.runtime_seconds: runtime,
                Catalog.genres: genres,
                Catalog.maturity: maturity,
            }
        )
        return title_id

    def series(
        self,
        series_id: int,
        name: str,
        episodes: list[tuple[int, int, int]],
        *,
        genres: str = "Drama",
        maturity: str | None = "TV-14",
        runtime: int | None = 3000,
    ) -> list[int]:
        """``episodes``: (title_id, season, episode) triples; ``runtime`` None: unknown."""
        for title_id, season, episode in episodes:
            self.catalog.append(
                {
                    Catalog.title_id: title_id,
                    Catalog.title: f"{name}: Season {season}: Episode {episode}",
                    Catalog.kind: Catalog.EPISODE,
                    Catalog.series_id: series_id,
                    Catalog.series_title: name,
                    Catalog.season: season,
                    Catalog.episode: episode,
                    Catalog.runtime_seconds: runtime,
                    Catalog.genres: genres,
                    Catalog.maturity: maturity,
                }
            )
        return [e[0] for e in episodes]

    def member(self, member_id: int, country: str = "MX") -> int:
        self.members.append({Members.member_id: member_id, Members.country: country})
        return member_id

    def watch(
        self,
        member_id: int,
        title_id: int,
        start: dt.datetime,
        seconds: int,
        *,
        bookmark: int | None = None,
        country: str = "MX",
        supplemental: str | None = None,
        null_bookmark: bool = False,
        profile: str | None = None,
    ) -> None:
        """One segment; its bookmark is ``bookmark``, else ``seconds`` (NULL if null_bookmark)."""
        mark = None if null_bookmark else (seconds if bookmark is None else bookmark)
        self.events.append(
            {
                Events.event_key: len(self.events) + 1,
                Events.member_id: member_id,
                Events.title_id: title_id,
                Events.start_utc: start,
                Events.seconds: seconds,
                Events.bookmark_seconds: mark,
                Events.country: country,
                Events.supplemental: supplemental,
                Events.profile: profile,
                Events.source: "test",
            }
        )

    def write(self, wh: Warehouse) -> Warehouse:
        for name, schema, rows in (
            (Catalog.table, Catalog.arrow, self.catalog),
            (Members.table, Members.arrow, self.members),
            (Events.table, Events.arrow, self.events),
        ):
            if not rows:
                continue
            table = pa.Table.from_pylist(rows, schema=schema)
            wh.duck.register("_incoming", table)
            wh.duck.execute(f'INSERT INTO "{name}" SELECT * FROM _incoming')
            wh.duck.unregister("_incoming")
        return wh


def test_tiny_cosine_matches_loop_oracle() -> None:
    rng = np.random.default_rng(3)
    x = (rng.random((12, 7)) < 0.4).astype(np.float64) * rng.random((12, 7))
    model = TinyCosine().fit(sp.csr_matrix(x))
    for i in range(7):
        for j in range(7):
            a, b = x[:, i], x[:, j]
            denom = (np.linalg.norm(a) or 1.0) * (np.linalg.norm(b) or 1.0)
            expected = 0.0 if i == j else float(a @ b) / denom
            assert abs(model.sim[i, j] - expected) < 1e-12
    ids, sims = model.similar_items(np.array([2]), n=6)
    assert 2 not in ids[0]
    assert list(sims[0]) == sorted(sims[0], reverse=True)


# --- the platform the rows tests share -------------------------------------------------------

FOCAL = 1  #: the member whose page is tested (MX)
NEWCOMER = 2  #: an MX member without any viewing
ROMA, COCO, AMELIE, HEAT, ALIEN, BAMBI, SHREK, UP_, JAWS, ROCKY = range(10, 20)
#: Series and episode ids near 2**62, like the stable ids of real sources: a float on the way
#: would lose them.
BIG = 2**62
DARK, NARCOS, PEPPA = BIG + 1000, BIG + 2000, BIG + 3000
DARK_EPS = [(BIG + 1001, 1, 1), (BIG + 1002, 1, 2), (BIG + 1003, 1, 3)]
DARK_EPS += [(BIG + 1004, 2, 1), (BIG + 1005, 2, 2)]
NARCOS_EPS = [(BIG + 2001, 1, 1), (BIG + 2002, 1, 2), (BIG + 2003, 1, 3)]
PEPPA_EPS = [(BIG + 3001, 1, 1), (BIG + 3002, 1, 2)]


def platform(seed: int = 11) -> World:
    """34 films and 3 series in several genres and four maturity levels; 40 members, MX and US.

    The focal member finished Roma and every Peppa episode, stopped half-way through Coco,
    finished Dark S1E1-S1E2 and S2E1 (S1E3 unseen), and last played half of Narcos S1E1.
    """
    w = World()
    w.film(ROMA, "Roma", genres="Drama", maturity="R")
    w.film(COCO, "Coco", genres="Animation|Family", maturity="PG")
    w.film(AMELIE, "Amelie", genres="Comedy|Romance", maturity="R")
    w.film(HEAT, "Heat", genres="Crime|Drama", maturity="R")
    w.film(ALIEN, "Alien", genres="Horror", maturity="R")
    w.film(BAMBI, "Bambi", genres="Animation|Family", maturity="G")
    w.film(SHREK, "Shrek", genres="Animation|Comedy", maturity="PG")
    w.film(UP_, "Up", genres="Animation|Family", maturity="PG")
    w.film(JAWS, "Jaws", genres="Horror", maturity="PG")
    w.film(ROCKY, "Rocky", genres="Drama", maturity=None)
    fillers = list(range(20, 44))
    for k, title_id in enumerate(fillers):
        w.film(
            title_id,
            f"Film {title_id}",
            genres=("Drama", "Comedy", "Animation|Family", "Horror", "Crime|Drama")[k % 5],
            maturity=("PG", "R", "TV-14", "G", "TV-MA", "TV-Y7")[k % 6],
        )
    w.series(DARK, "Dark", DARK_EPS, genres="Drama|Mystery", maturity="TV-MA")
    w.series(NARCOS, "Narcos", NARCOS_EPS, genres="Crime|Drama", maturity="TV-MA")
    w.series(PEPPA, "Peppa Pig", PEPPA_EPS, genres="Animation|Family", maturity="TV-Y")
    w.member(FOCAL, "MX")
    w.member(NEWCOMER, "MX")
    rng = np.random.default_rng(seed)
    titles = [ROMA, COCO, AMELIE, HEAT, ALIEN, BAMBI, SHREK, UP_, JAWS, ROCKY]
    titles += [e[0] for e in DARK_EPS + NARCOS_EPS + PEPPA_EPS] + fillers
    popularity = np.linspace(3.0, 0.3, len(titles))
    popularity /= popularity.sum()
    for m in range(3, 43):
        country = "MX" if m < 30 else "US"
        w.member(m, country)
        for _ in range(int(rng.integers(3, 12))):
            t = int(rng.choice(titles, p=popularity))
            hours_ago = float(rng.uniform(0.5, 24 * 9))
            seconds = int(rng.integers(600, 6000))
            w.watch(m, t, AS_OF - dt.timedelta(hours=hours_ago), seconds, country=country)
    # the focal member, oldest first
    w.watch(FOCAL, ROMA, AS_OF - 8 * DAY, 6000)
    for title_id in PEPPA_EPS:
        w.watch(FOCAL, title_id[0], AS_OF - 7 * DAY, 3000)
    w.watch(FOCAL, BIG + 1004, AS_OF - 6 * DAY, 3000)
    w.watch(FOCAL, BIG + 1001, AS_OF - 5 * DAY, 3000)
    w.watch(FOCAL, BIG + 1002, AS_OF - 4 * DAY, 2900)
    w.watch(FOCAL, COCO, AS_OF - 3 * DAY, 2400, bookmark=2500)
    w.watch(FOCAL, BIG + 2001, AS_OF - 2 * DAY, 1200, bookmark=1300)
    w.watch(FOCAL, AMELIE, AS_OF - 3 * HOUR, 60, supplemental="TRAILER")  # not an interaction
    w.watch(FOCAL, HEAT, AS_OF + HOUR, 6000)  # after as_of: ignored
    return w
