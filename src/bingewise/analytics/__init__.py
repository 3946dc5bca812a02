"""Binge facts: plays, sessions, binges, streaks and recaps, as Ibis expressions.

Everything here is written once in Ibis (no engine-specific SQL) so it runs on DuckDB and Spark.
Column names come from :mod:`bingewise.schema` (``Plays``, ``Sessions``, ``Binges``...).
"""

from bingewise.analytics.demo import demo_step
from bingewise.analytics.facts import (
    FactSet,
    Period,
    PlatformFacts,
    binge_racers,
    country_facts,
    extreme_streaks,
    member_daily,
    member_facts,
    member_heatmap,
    member_show_daily,
    member_top,
    platform_facts,
    show_names,
    top_titles,
)
from bingewise.analytics.plays import DEFAULT_RESUME_GAP_MINUTES, plays, session_plays
from bingewise.analytics.recap import Recap, member_recap, render_html, render_png, write_recap
from bingewise.analytics.seasons import binge_races, finished_seasons, season_binges
from bingewise.analytics.sessions import DEFAULT_SESSION_GAP_MINUTES, binges, sessionize, sessions
from bingewise.analytics.streaks import streaks

__all__ = [
    "DEFAULT_RESUME_GAP_MINUTES",
    "DEFAULT_SESSION_GAP_MINUTES",
    "FactSet",
    "Period",
    "PlatformFacts",
    "Recap",
    "binge_racers",
    "binge_races",
    "binges",
    "country_facts",
    "demo_step",
    "extreme_streaks",
    "finished_seasons",
    "member_daily",
    "member_facts",
    "member_heatmap",
    "member_recap",
    "member_show_daily",
    "member_top",
    "platform_facts",
    "plays",
    "render_html",
    "render_png",
    "season_binges",
    "session_plays",
    "sessionize",
    "sessions",
    "show_names",
    "streaks",
    "top_titles",
    "write_recap",
]
