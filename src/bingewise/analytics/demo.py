"""The demo's analytics step: compute the binge facts, write one member's recap."""

from __future__ import annotations

from pathlib import Path

from bingewise.analytics.facts import FactSet
from bingewise.analytics.recap import member_recap, write_recap
from bingewise.config import get_settings
from bingewise.console import out
from bingewise.registry import Registry
from bingewise.schema import MemberFacts
from bingewise.warehouse import Warehouse

__all__ = ["demo_step"]


def demo_step(warehouse: Warehouse, registry: Registry | None = None) -> list[Path]:
    """Compute the fact set and write the recap (HTML + PNG) of the member with the longest binge.

    Files go to ``$BINGEWISE_HOME/recaps``; returns their paths (empty when nobody watched).
    ``registry`` is accepted for symmetry with the other demo steps (zones come from the
    warehouse's copy of the members table).
    """
    facts = FactSet.compute(warehouse)
    mf = facts[MemberFacts.table]
    best = (
        mf.order_by(
            [
                mf[MemberFacts.longest_binge_episodes].desc(nulls_first=False),
                mf[MemberFacts.hours].desc(),
                mf[MemberFacts.member_id],
            ]
        )
        .limit(1)
        .to_pyarrow()
        .to_pylist()
    )
    n_members = int(mf.count().execute())
    facts.drop(warehouse)
    if not best:
        return []
    member_id = int(best[0][MemberFacts.member_id])
    recap = member_recap(warehouse, member_id)
    if recap is None:
        return []
    folder = get_settings().home / "recaps"
    paths = [
        write_recap(recap, folder / f"recap-{member_id}-{recap.year}.html"),
        write_recap(recap, folder / f"recap-{member_id}-{recap.year}.png"),
    ]
    out.print(
        f"binge facts for {n_members:,} members ({facts.period}); "
        f"recap of member {member_id} in {folder}"
    )
    return paths
