"""Streaks: runs of consecutive local days on which a member watched a show, or anything.

Days are the member's local days (``Plays.local_date``). A *show* is a series for episodes and
the title itself for films (``Plays.show_id``). Gaps-and-islands: rank a member's days with
``dense_rank`` (a day watched twice keeps one rank, so no ``DISTINCT`` pass is needed);
consecutive days share ``day number − rank``, and a streak lasts ``last − first + 1`` days.
"""

from __future__ import annotations

from typing import Literal

import ibis
import ibis.expr.types as ir

from bingewise.schema import Plays, Streaks

__all__ = ["streaks"]

_EPOCH = ibis.date(1970, 1, 1)


def streaks(plays: ir.Table, by: Literal["title", "any"] = "any") -> ir.Table:
    """Every streak, columns of :class:`bingewise.schema.Streaks`.

    ``by="any"``: days watching anything (``show_id`` NULL); ``by="title"``: days watching the
    same show. A single day is a streak of 1. ``plays`` needs only ``member_id``,
    ``local_date`` (and ``show_id`` for ``by="title"``), so a smaller table with those columns
    (``MemberDaily``, ``MemberShowDaily``) gives the same streaks faster.
    """
    if by not in ("title", "any"):
        raise ValueError(f"by must be 'title' or 'any', got {by!r}")
    keys = [Plays.member_id] + ([Plays.show_id] if by == "title" else [])
    days = plays.select(*keys, Plays.local_date)
    w = ibis.window(group_by=[days[k] for k in keys], order_by=days[Plays.local_date])
    day_no = days[Plays.local_date].delta(_EPOCH, unit="day").cast("int64")
    days = days.mutate(_bw_island=day_no - ibis.dense_rank().over(w).cast("int64"))
    s = days.group_by([*keys, "_bw_island"]).aggregate(
        **{
            Streaks.start_date: days[Plays.local_date].min(),
            Streaks.end_date: days[Plays.local_date].max(),
        }
    )
    show = s[Streaks.show_id] if by == "title" else ibis.null("int64")
    length = s[Streaks.end_date].delta(s[Streaks.start_date], unit="day").cast("int64") + 1
    return s.select(
        **{
            Streaks.member_id: s[Streaks.member_id],
            Streaks.show_id: show,
            Streaks.start_date: s[Streaks.start_date],
            Streaks.end_date: s[Streaks.end_date],
            Streaks.days: length,
        }
    )
