"""The year-in-binge release: bounded aggregation, planted members, consent, ledger, files."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.helpers import Seg, Title, load
from bingewise.ingest import ingest_paths
from bingewise.privacy.consent import Purpose, record_consent
from bingewise.privacy.inputs import load_member_tables, parse_period, synthetic_tables
from bingewise.privacy.ledger import BudgetExceeded, PrivacyLedger
from bingewise.privacy.release import (
    FACTS,
    PLAYS,
    TOP_TITLES_PER_MEMBER,
    MemberTables,
    aggregate,
    hour_bucket,
    plan_release,
    publish,
    run_release,
    streak_bucket,
    title_streak_counts,
    top_titles_counts,
)
from bingewise.registry import Registry
from bingewise.schema import MemberFacts, Members, Plays, SeasonBinges, Streaks
from bingewise.warehouse import Warehouse

YEAR = parse_period("2017")
FILM = 900_001  #: a show id no synthetic member watches
SERIES = 900_002


def _planted(
    first_id: int,
    n: int,
    *,
    show: int,
    streak_days: int,
    active_days: int | None = None,
) -> MemberTables:
    """``n`` members whose longest streak is ``streak_days`` on ``show`` (and nothing else)."""
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    active = streak_days if active_days is None else active_days
    return MemberTables(
        YEAR,
        titles=pd.DataFrame(
            {Plays.member_id: ids, Plays.show_id: show, Plays.seconds: 3600 * streak_days}
        ),
        races=pd.DataFrame(
            {
                SeasonBinges.member_id: pd.Series([], dtype="int64"),
                SeasonBinges.series_id: pd.Series([], dtype="int64"),
                SeasonBinges.season: pd.Series([], dtype="int64"),
                SeasonBinges.hours_after_release: pd.Series([], dtype="float64"),
            }
        ),
        activity=pd.DataFrame(
            {
                MemberFacts.member_id: ids,
                Members.country: "US",
                MemberFacts.active_days: active,
                MemberFacts.hours_per_active_day: 2.0,
                MemberFacts.longest_streak_days: streak_days,
            }
        ),
        streaks=pd.DataFrame(
            {Streaks.member_id: ids, Streaks.show_id: show, Streaks.days: streak_days}
        ),
        show_names={show: f"Planted {show}"},
    )


def test_budget_split_adds_up() -> None:
    assert sum(f.epsilon_share for f in FACTS) == pytest.approx(1.0)
    assert sum(f.delta_share for f in FACTS) == pytest.approx(1.0)
    plan = plan_release(1.0, 1e-7, YEAR.days)
    charges = plan.charges()
    assert sum(c.epsilon for c in charges) <= 1.0 + 1e-9
    assert sum(c.delta for c in charges) <= 1e-7
    assert {c.fact for c in charges} == {f.name for f in FACTS}


@given(
    rows=st.lists(
        st.tuples(
            st.integers(1, 30),  # member
            st.integers(1, 12),  # show
            st.integers(1, 10_000),  # seconds
        ),
        min_size=1,
        max_size=200,
    ),
    k=st.integers(1, 4),
)
def test_top_titles_matches_brute_force(rows: list[tuple[int, int, int]], k: int) -> None:
    frame = pd.DataFrame(rows, columns=[Plays.member_id, Plays.show_id, Plays.seconds])
    frame = frame.drop_duplicates([Plays.member_id, Plays.show_id])
    expected: Counter[str] = Counter()
    for _member, group in frame.groupby(Plays.member_id):
        ordered = sorted(
            zip(group[Plays.seconds], group[Plays.show_id], strict=True),
            key=lambda sv: (-sv[0], sv[1]),
        )
        expected.update(str(show) for _, show in ordered[:k])
    assert top_titles_counts(frame, k) == dict(expected)
    assert sum(expected.values()) <= k * frame[Plays.member_id].nunique()


def test_top_titles_of_a_history_of_dates_rank_by_plays(warehouse: Warehouse) -> None:
    """A history of dates has no seconds (all 0): the member's three shows counted are those
    they played most, not the three smallest show ids."""
    day = dt.datetime(2017, 3, 4)
    shows = [1, 2, 3, 9, 9, 9, 8, 8, 7, 7]  # 9 three times, 8 and 7 twice, 1–3 once
    load(
        warehouse,
        [Seg(1, show, day + dt.timedelta(days=i), 0) for i, show in enumerate(shows)],
        [Title(s) for s in sorted(set(shows))],
        [(1, "US", "UTC")],
    )
    tables = load_member_tables(warehouse, YEAR)
    assert aggregate(tables)["top_titles"] == {"9": 1, "8": 1, "7": 1}


def test_each_member_counts_once_in_title_streaks() -> None:
    frame = pd.DataFrame(
        {
            Streaks.member_id: [1, 1, 1, 2, 2, 3],
            Streaks.show_id: [10, 11, 12, 10, 11, 10],
            Streaks.days: [5, 9, 9, 1, 400, 1],
        }
    )
    # member 1: longest 9 days, tie between shows 11 and 12 → 11; member 2: 400 clamped to 365;
    # member 3: a one-day run is not a streak.
    assert title_streak_counts(frame, 365) == {"11:9": 1, "11:365": 1}


def test_bad_activity_values_are_clamped_to_the_period() -> None:
    t = _planted(1, 3, show=FILM, streak_days=10_000, active_days=10_000)
    counts = aggregate(t)
    assert counts["countries.viewing_days"] == {"US": 3 * YEAR.days}
    assert counts["longest_streaks"] == {streak_bucket(YEAR.days): 3}


def test_members_without_hours_are_in_no_hours_bucket(warehouse: Warehouse) -> None:
    """A history of dates knows no hours: its member counts in no bucket of hours per viewing
    day (not as "< 30 min"), and still counts where days are known (countries, streaks)."""
    day = dt.datetime(2017, 3, 4)
    load(
        warehouse,
        [
            Seg(1, 10, day + dt.timedelta(hours=20), 2 * 3600),  # 2 h on one day
            Seg(2, 10, day, 0),  # dates only, two days
            Seg(2, 10, day + dt.timedelta(days=1), 0),
        ],
        [Title(10, runtime=7200)],
        [(1, "US", None), (2, "US", None)],
    )
    tables = load_member_tables(warehouse, YEAR)
    counts = aggregate(tables)
    assert counts["hours_per_day"] == {hour_bucket(2.0): 1}
    assert counts["countries.members"] == {"US": 2}
    assert counts["countries.viewing_days"] == {"US": 3}
    assert counts["longest_streaks"] == {streak_bucket(1): 1, streak_bucket(2): 1}
def test_a_dates_only_history_is_in_no_hours_bucket(tmp_path: Path) -> None:
    """NetflixViewingHistory.csv gives dates, no durations: the member's hours per viewing day
    are unknown, not under 30 minutes. They count where days suffice (countries, streaks)."""
    path = tmp_path / "NetflixViewingHistory.csv"
    rows = [f'"Dark: Season 1: Episode {n}","3/{n}/18"' for n in (1, 2, 3)]
    path.write_text("Title,Date\n" + "\n".join([*rows, '"Roma","3/25/18"']) + "\n")
    with Warehouse.open(":memory:") as wh:
        ingest_paths([path], warehouse=wh)
        tables = load_member_tables(wh, parse_period("2018"))
    counts = aggregate(tables)
    assert counts["hours_per_day"] == {}
    assert counts["countries.members"] == {"ZZ": 1}
    assert counts["countries.viewing_days"] == {"ZZ": 4}
    assert counts["longest_streaks"] == {streak_bucket(3): 1}


def test_a_dates_only_member_counts_their_most_played_titles(tmp_path: Path) -> None:
    """Without durations every title has 0 seconds: the most-played ones count (here Dark, three
    days), not the three lowest show ids (three films played once)."""
    path = tmp_path / "NetflixViewingHistory.csv"
    rows = [f'"Dark: Season 1: Episode {n}","3/{n}/18"' for n in (1, 2, 3)]
    films = [f'"{f}","3/2{i}/18"' for i, f in enumerate(("Mudbound", "Klaus", "Calibre"))]
    path.write_text("Title,Date\n" + "\n".join([*rows, *films]) + "\n")
    with Warehouse.open(":memory:") as wh:
        ingest_paths([path], warehouse=wh)
        tables = load_member_tables(wh, parse_period("2018"))
    (dark,) = [str(s) for s, name in tables.show_names.items() if name == "Dark"]
    counts = top_titles_counts(tables.titles, TOP_TITLES_PER_MEMBER)
    assert sum(counts.values()) == TOP_TITLES_PER_MEMBER and counts.get(dark) == 1
    # The same cut on a planted frame: show 4 was played most, every show for 0 seconds.
    frame = pd.DataFrame(
        {
            Plays.member_id: [1, 1, 1, 1],
            Plays.show_id: [1, 2, 3, 4],
            Plays.seconds: [0, 0, 0, 0],
            PLAYS: [1, 1, 2, 5],
        }
    )
    assert top_titles_counts(frame, 2) == {"4": 1, "3": 1}


def test_a_member_with_two_activity_rows_counts_once() -> None:
    """The bound (one country, one streak bucket, one hours bucket) is enforced on the rows
    given, whatever made them: a second row of the same member adds nothing."""
    one = _planted(1, 1, show=FILM, streak_days=3)
    twice = one.plus(
        replace(
            one,
            activity=one.activity.assign(
                **{
                    Members.country: "DE",
                    MemberFacts.longest_streak_days: 40,
                    MemberFacts.hours_per_active_day: 5.0,
                }
            ),
        )
    )
    assert len(twice.activity) == 2
    counts = aggregate(twice)
    for fact in ("countries.members", "longest_streaks", "hours_per_day"):
        assert sum(counts[fact].values()) == 1, fact
    assert sum(counts["countries.viewing_days"].values()) == 3
    assert counts == aggregate(
        replace(twice, activity=twice.activity.iloc[::-1].reset_index(drop=True))
    )


def test_the_country_shares_name_their_denominator() -> None:
    """The shares are of members who watched in the period (the only ones the release counts),
    not of every member of the country; the page must say so."""
    tables = synthetic_tables(3000, seed=6)
    release = run_release(tables, plan_release(4.0, 1e-7, YEAR.days), release_id="t")
    fact = release.fact("countries")
    assert "who watched in the period" in fact.description
    assert fact.items and all("who watched" in i.detail for i in fact.items)


def test_the_accuracy_statement_warns_of_groups_shown_near_their_threshold() -> None:
    """A group is shown when its noisy count clears the threshold, so one shown near it is more
    often above its true count: 20 under the threshold of title streaks, it is shown in ~3% of
    releases and its interval then misses ~87% of the time. The public statement says so."""
    plan = plan_release(1.0, 1e-7, YEAR.days)
    mech = plan.mechanisms["title_streaks"]
    assert mech.threshold is not None
    true = mech.threshold - 20
    missed = [
        abs(out["k"] - true) > mech.accuracy_95
        for out in (mech.release({"k": true}) for _ in range(4000))
        if "k" in out
    ]
    assert missed and sum(missed) > len(missed) / 2
    doc = run_release(synthetic_tables(300, seed=8), plan, release_id="t").to_json()
    assert "threshold" in doc["privacy"]["accuracy"]


def test_53_members_18_days_in_a_row_come_out_within_error_or_not_at_all() -> None:
    base = synthetic_tables(3000, seed=3)
    tables = base.plus(_planted(10_000_000, 53, show=SERIES, streak_days=18))
    key = f"{SERIES}:18"
    counts = aggregate(tables)
    assert counts["title_streaks"][key] == 53
    for epsilon in (1.0, 8.0):  # at ε=1 the threshold is above 53; at ε=8 it is below
        plan = plan_release(epsilon, 1e-7, YEAR.days)
        mech = plan.mechanisms["title_streaks"]
        outside = shown = 0
        for _ in range(40):
            release = run_release(tables, plan, release_id="t", counts=counts)
            items = {i.key: i for i in release.fact("title_streaks").items}
            if key in items:
                shown += 1
                outside += abs(items[key].value - 53) > mech.accuracy_95
                assert items[key].label.startswith(f"Planted {SERIES} — 18 days")
        if epsilon == 1.0:
            assert mech.threshold is not None and mech.threshold > 53 + 5 * mech.scale
            assert shown == 0
        else:
            assert shown == 40
            assert outside <= 8  # 95% intervals: ~2 of 40 outside expected


def test_one_member_watching_a_film_every_day_never_comes_out() -> None:
    tables = synthetic_tables(3000, seed=4).plus(
        _planted(20_000_000, 1, show=FILM, streak_days=YEAR.days)
    )
    counts = aggregate(tables)
    for epsilon in (1.0, 2.0):
        plan = plan_release(epsilon, 1e-7, YEAR.days)
        for _ in range(40):
            release = run_release(tables, plan, release_id="t", counts=counts)
            assert not any(
                i.key.startswith(f"{FILM}:") for i in release.fact("title_streaks").items
            )
            assert all(i.key != str(FILM) for i in release.fact("top_titles").items)
            assert streak_bucket(YEAR.days) not in {
                i.key for i in release.fact("longest_streaks").items
            }


def test_publish_excludes_withdrawn_members_and_charges_the_ledger(
    registry: Registry, tmp_path: Path
) -> None:
    base = synthetic_tables(2000, seed=5)
    planted = _planted(30_000_000, 120, show=FILM, streak_days=3)
    tables = base.plus(planted)
    for member in planted.members():
        record_consent(registry, member, Purpose.STATISTICS, False, source="test")
    ledger = PrivacyLedger(registry)
    ledger.set_budget("2017", epsilon=8.0, delta=1e-6)
    done = publish(registry, YEAR, 4.0, 1e-7, tables=tables, out_dir=tmp_path)
    assert done.release.fact("top_titles").mechanisms[0]["threshold"] < 80
    assert all(i.key != str(FILM) for i in done.release.fact("top_titles").items)

    assert done.json_path and done.png_path and done.html_path
    doc = json.loads(done.json_path.read_text())
    assert doc["privacy"]["epsilon"] == 4.0 and doc["privacy"]["unit"] == "member"
    assert {f["name"] for f in doc["facts"]} >= {"top_titles", "countries", "hours_per_day"}
    assert done.png_path.read_bytes()[:4] == b"\x89PNG"
    html = done.html_path.read_text()
    assert "Year in binge 2017" in html and "\\u03b5 = 4" in html  # ε, JSON-escaped in the page
    assert "<script src=" not in html  # Vega inlined: the page works offline
    assert str(30_000_000) not in done.json_path.read_text()  # no member ids in public JSON

    entries = ledger.entries("2017")
    assert len(entries) == len(FACTS)
    assert {e.release_id for e in entries} == {done.release.release_id}

    # Members who consent again are counted again (120 ≫ threshold).
    for member in planted.members():
        record_consent(registry, member, Purpose.STATISTICS, True, source="test")
    again = publish(registry, YEAR, 4.0, 1e-7, tables=tables, write=False)
    assert any(i.key == str(FILM) for i in again.release.fact("top_titles").items)

    # The period's budget (ε = 8) is now spent: a third release is refused, recording nothing.
    with pytest.raises(BudgetExceeded):
        publish(registry, YEAR, 0.5, 1e-7, tables=tables, write=False)
    assert len(ledger.entries("2017")) == 2 * len(FACTS)


def test_a_second_release_of_a_period_never_overwrites_the_first(
    registry: Registry, tmp_path: Path
) -> None:
    """What was made public stays on record: the second release of 2017 to the same folder
    is year-in-binge-2017-2.*, the first files unchanged."""
    tables = synthetic_tables(300, seed=9)
    first = publish(registry, YEAR, 0.5, 1e-7, tables=tables, out_dir=tmp_path)
    assert first.json_path is not None and first.json_path.name == "year-in-binge-2017.json"
    before = first.json_path.read_bytes()
    second = publish(registry, YEAR, 0.5, 1e-7, tables=tables, out_dir=tmp_path)
    assert second.json_path is not None and second.json_path.name == "year-in-binge-2017-2.json"
    assert second.png_path is not None and second.png_path.name == "year-in-binge-2017-2.png"
    assert first.json_path.read_bytes() == before
    assert (
        json.loads(before)["release_id"] != json.loads(second.json_path.read_text())["release_id"]
    )
