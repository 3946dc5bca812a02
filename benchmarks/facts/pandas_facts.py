"""The binge facts written in plain pandas, as a data scientist would: the benchmark's peer.

Same definitions as ``bingewise.analytics`` (resume gap 60 min, session gap 30 min, finished at
85% of the runtime, local days per member zone); used only by ``bench.py``.
"""

from __future__ import annotations

import pandas as pd

from bingewise.geo import COUNTRIES


def compute(events: pd.DataFrame, catalog: pd.DataFrame, members: pd.DataFrame) -> dict[str, int]:
    """Compute every fact table; return their row counts."""
    cols = ["event_key", "member_id", "title_id", "start_utc", "seconds", "bookmark_seconds"]
    ev = events.loc[events["supplemental"].isna(), cols]
    ev = ev.sort_values(["member_id", "start_utc", "event_key"], ignore_index=True)
    ev["end"] = ev["start_utc"] + pd.to_timedelta(ev["seconds"], unit="s")
    g = ev.groupby("member_id")
    prev_title = g["title_id"].shift()
    prev_end = g["end"].shift()
    new = (
        prev_title.isna()
        | (ev["title_id"] != prev_title)
        | ((ev["start_utc"] - prev_end) > pd.Timedelta(minutes=60))
    )
    ev["play"] = new.astype("int64").groupby(ev["member_id"]).cumsum()
    plays = (
        ev.groupby(["member_id", "play"])
        .agg(
            title_id=("title_id", "first"),
            start_utc=("start_utc", "min"),
            end_utc=("end", "max"),
            seconds=("seconds", "sum"),
            bookmark=("bookmark_seconds", "max"),
            segments=("event_key", "size"),
        )
        .reset_index()
    )
    plays = plays.merge(
        catalog[["title_id", "series_id", "season", "kind", "runtime_seconds", "release_date"]],
        on="title_id",
        how="left",
    )
    country_zone = {c.code: c.time_zone for c in COUNTRIES}
    m = members[["member_id", "country", "time_zone"]].copy()
    m["zone"] = m["time_zone"].fillna(m["country"].map(country_zone)).fillna("UTC")
    plays = plays.merge(m[["member_id", "zone", "country"]], on="member_id", how="left")
    plays["zone"] = plays["zone"].fillna("UTC")
    # Vectorised per zone: one tz_convert per zone, not per row.
    plays["local_start"] = plays.groupby("zone")["start_utc"].transform(
        lambda s: s.dt.tz_localize("UTC").dt.tz_convert(s.name).dt.tz_localize(None)
    )
    plays["local_date"] = plays["local_start"].dt.normalize()
    progress = plays["bookmark"].fillna(plays["seconds"])
    plays["finished"] = (progress >= 0.85 * plays["runtime_seconds"]).where(
        plays["runtime_seconds"].notna()
    )
    plays["show_id"] = plays["series_id"].fillna(plays["title_id"])
    plays["is_episode"] = plays["kind"] == "episode"

    # sessions
    plays = plays.sort_values(["member_id", "start_utc", "title_id"])
    latest = plays.groupby("member_id")["end_utc"].cummax()
    prev_latest = latest.groupby(plays["member_id"]).shift()
    new_s = prev_latest.isna() | ((plays["start_utc"] - prev_latest) >= pd.Timedelta(minutes=30))
    plays["session"] = new_s.astype("int64").groupby(plays["member_id"]).cumsum()
    sessions = plays.groupby(["member_id", "session"]).agg(
        start=("start_utc", "min"),
        end=("end_utc", "max"),
        plays=("title_id", "size"),
        episodes=("is_episode", "sum"),
        seconds=("seconds", "sum"),
    )
    sessions = sessions[sessions["seconds"] > 0]  # plays of 0 s (dates only) tell no sitting
    eps = plays[plays["is_episode"]]
    binges = eps.groupby(["member_id", "session", "series_id"]).agg(
        episodes=("title_id", "nunique"),
        seconds=("seconds", "sum"),
        start=("start_utc", "min"),
        local_date=("local_date", "min"),
    )
    binges = binges[(binges["episodes"] >= 2) & (binges["seconds"] > 0)].reset_index()

    # finished seasons, season binges, races
    cat_eps = catalog[catalog["kind"] == "episode"]
    sizes = cat_eps.groupby(["series_id", "season"]).agg(
        n=("title_id", "nunique"), release=("release_date", "min")
    )
    started = eps.groupby(["member_id", "series_id", "season"])["start_utc"].min()
    done = eps[eps["finished"].fillna(True).astype(bool)]
    first_done = done.groupby(["member_id", "series_id", "season", "title_id"])["end_utc"].min()
    per_season = first_done.groupby(level=[0, 1, 2]).agg(["size", "max"])
    fs = (
        per_season.join(started)
        .reset_index()
        .merge(sizes.reset_index(), on=["series_id", "season"])
    )
    fs = fs[fs["size"] >= fs["n"]].copy()
    fs["days"] = (fs["max"] - fs["start_utc"]).dt.total_seconds() / 86400
    fs["after"] = (fs["max"] - pd.to_datetime(fs["release"])).dt.total_seconds() / 3600
    season_binges = fs[fs["days"] <= 7]
    races = fs[(fs["after"] >= 0) & (fs["after"] <= 24)]
    racers = races.groupby(["series_id", "season"]).agg(
        racers=("member_id", "nunique"), fastest=("after", "min")
    )

    # streaks
    def islands(keys: list[str]) -> pd.DataFrame:
        d = plays[[*keys, "local_date"]].drop_duplicates().sort_values([*keys, "local_date"])
        day_no = (d["local_date"] - pd.Timestamp("1970-01-01")).dt.days
        d["island"] = day_no - d.groupby(keys).cumcount()
        return (
            d.groupby([*keys, "island"])
            .agg(
                start=("local_date", "min"), end=("local_date", "max"), days=("local_date", "size")
            )
            .reset_index()
        )

    streaks_any = islands(["member_id"])
    streaks_show = islands(["member_id", "show_id"])

    # per member
    daily = (
        plays.groupby(["member_id", "local_date"])
        .agg(plays=("title_id", "size"), episodes=("is_episode", "sum"), seconds=("seconds", "sum"))
        .reset_index()
    )
    weekly = daily.set_index("local_date").groupby("member_id")["episodes"].rolling("7D").sum()
    busiest = weekly.groupby(level=0).agg(["max", "idxmax"])
    heat = plays.groupby(
        ["member_id", plays["local_start"].dt.weekday, plays["local_start"].dt.hour]
    )["seconds"].sum()
    top = plays.groupby(["member_id", "kind", "show_id"])["seconds"].sum().reset_index()
    top["rank"] = top.groupby(["member_id", "kind"])["seconds"].rank(
        method="first", ascending=False
    )
    top = top[top["rank"] <= 5]
    base = plays.groupby("member_id").agg(
        plays=("title_id", "size"),
        episodes=("is_episode", "sum"),
        seconds=("seconds", "sum"),
        active_days=("local_date", "nunique"),
        finished=("finished", "mean"),
    )
    longest_binge = (
        binges.sort_values(["episodes", "seconds"], ascending=False)
        .groupby("member_id")
        .head(1)
        .set_index("member_id")
    )
    longest_streak = (
        streaks_any.sort_values("days", ascending=False)
        .groupby("member_id")
        .head(1)
        .set_index("member_id")
    )
    member_facts = (
        base.join(busiest).join(longest_binge, rsuffix="_b").join(longest_streak, rsuffix="_s")
    )

    # per country (period = span of local days)
    lo, hi = plays["local_date"].min(), plays["local_date"].max()
    n_days = (hi - lo).days + 1
    act = plays.groupby("member_id").agg(days=("local_date", "nunique"), sec=("seconds", "sum"))
    roster = members[["member_id", "country"]].merge(act, on="member_id", how="outer")
    roster["every"] = roster["days"].fillna(0) >= n_days
    roster["watching"] = roster["days"].fillna(0) > 0
    roster["known"] = ~(roster["watching"] & (roster["sec"].fillna(0) == 0))  # hours known
    countries = roster.groupby("country", dropna=False).agg(
        members=("member_id", "size"),
        watching=("watching", "sum"),
        every=("every", "sum"),
        sec=("sec", "sum"),
        known=("known", "sum"),
    )
    countries["hours_per_member_day"] = countries["sec"] / 3600 / countries["known"] / n_days

    # platform
    def top_by(period: pd.Series) -> pd.DataFrame:
        t = (
            plays.assign(p=period)
            .groupby(["p", "show_id"])
            .agg(members=("member_id", "nunique"), seconds=("seconds", "sum"))
            .reset_index()
        )
        t = t.sort_values(["p", "members", "seconds"], ascending=[True, False, False])
        return t.groupby("p").head(10)

    top_daily = top_by(plays["local_date"])
    top_weekly = top_by(plays["local_date"].dt.to_period("W-SUN").dt.start_time)
    extreme = streaks_any.nlargest(10, "days")

    return {
        "plays": len(plays),
        "sessions": len(sessions),
        "binges": len(binges),
        "finished_seasons": len(fs),
        "season_binges": len(season_binges),
        "binge_racers": len(racers),
        "streaks_any": len(streaks_any),
        "streaks_title": len(streaks_show),
        "member_daily": len(daily),
        "member_heatmap": len(heat),
        "member_top": len(top),
        "member_facts": len(member_facts),
        "country_facts": len(countries),
        "top_daily": len(top_daily),
        "top_weekly": len(top_weekly),
        "extreme_streaks": len(extreme),
    }
