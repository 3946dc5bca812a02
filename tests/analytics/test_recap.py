"""Recaps: the planted member's records, only their own data, renderings, CLI and demo step."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analytics.helpers import Seg, Title, load
from analytics.test_facts import MEMBERS, TITLES, chicago, planted
from bingewise.analytics import demo_step, member_recap, render_html, render_png
from bingewise.analytics.recap import default_year
from bingewise.cli import app
from bingewise.ingest import ingest_paths
from bingewise.warehouse import Warehouse

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

# Member 2 alone watches film 301: it must never show in member 1's recap.
SECRET = Title(301, "film", runtime=5000)


def _load(wh: Warehouse) -> None:
    load(wh, [*planted(), Seg(2, 301, chicago(5, 20), 5000)], [*TITLES, SECRET], MEMBERS)


def test_planted_member_recap_shows_only_their_data(warehouse: Warehouse) -> None:
    _load(warehouse)
    r = member_recap(warehouse, 1, 2021)
    assert r is not None
    assert (r.year, r.time_zone, r.plays, r.active_days) == (2021, "America/Chicago", 12, 9)
    assert r.hours == pytest.approx(7.0)
    assert r.longest_binge == {"series": "Series 100", "episodes": 3, "date": dt.date(2021, 1, 4)}
    assert r.longest_streak == {
        "days": 5,
        "start": dt.date(2021, 1, 9),
        "end": dt.date(2021, 1, 13),
    }
    assert (r.busiest_week_start, r.busiest_week_episodes) == (dt.date(2021, 1, 4), 8)
    assert [s["name"] for s in r.top_series] == ["Series 100", "Series 200"]
    # Film 300 was watched by members 1 and 2: only member 1's 6000 s count.
    assert r.top_films == [{"name": "Title 300", "hours": pytest.approx(6000 / 3600), "plays": 1}]
    assert sum(d["hours"] for d in r.daily) == pytest.approx(7.0)
    # in calendar order (the JSON is the same for the same data, whatever the engine's order)
    assert [d["local_date"] for d in r.daily] == sorted({d["local_date"] for d in r.daily})
    assert len(r.daily) == 9
    cells = [(h["weekday"], h["hour"]) for h in r.heatmap]
    assert cells == sorted(set(cells))
    for text in (r.to_json(), render_html(r)):
        assert "Title 301" not in text
        assert "Series 100" in text
    assert render_png(r, scale=1).startswith(b"\x89PNG")
    assert member_recap(warehouse, 1, 2019) is None
    assert member_recap(warehouse, 3) is None  # member 3 never watched


def test_a_recap_png_draws_no_emoji_and_its_page_keeps_them(warehouse: Warehouse) -> None:
    """The PNG (vl-convert, a server's text fonts) of a profile and titles with emoji is the PNG
    of the same names without them; a name of emoji only is "Your viewing" there. The HTML page,
    drawn by a browser, keeps them."""
    _load(warehouse)
    r = member_recap(warehouse, 1, 2021)
    assert r is not None
    plain = render_png(r, scale=1)
    r.name = "Your viewing 🍿"
    r.top_series[0]["name"] = "🔥 " + r.top_series[0]["name"] + " 👨‍👩‍👧"
    r.top_films[0]["name"] += " 🎬"
    assert r.longest_binge is not None
    r.longest_binge["series"] += " ⭐"
    assert render_png(r, scale=1) == plain
    page = render_html(r)
    assert all(e in page for e in ("🍿", "🔥", "🎬", "👨‍👩‍👧", "⭐"))
    r.name = "😀"
    assert render_png(r, scale=1) == plain
    assert "<h1>😀 · 2021 in review</h1>" in render_html(r)


def test_default_year_is_the_last_one_unless_it_has_only_begun() -> None:
    d = dt.date
    assert default_year([]) is None
    june = [d(2025, 6, 1), d(2025, 6, 2)]
    assert default_year([*june, d(2026, 1, 3)]) == 2025  # 3 January is not a year
    assert default_year([*june, d(2026, 2, 28)]) == 2025
    assert default_year([*june, d(2026, 3, 1)]) == 2026  # from March on, the year it is
    # Early in the year, but more days already than in the year before: this year.
    assert default_year([d(2025, 12, 30), d(2026, 1, 3), d(2026, 1, 4)]) == 2026
    assert default_year([d(2024, 6, 1), d(2026, 1, 3)]) == 2026  # nothing in 2025 to review
    assert default_year([d(2026, 1, 3), d(2026, 1, 3), d(2026, 1, 1)]) == 2026


@pytest.mark.parametrize(("utc", "year"), [((2022, 1, 10), 2021), ((2022, 3, 5), 2022)])
def test_recap_default_year_of_a_member(
    warehouse: Warehouse, utc: tuple[int, int, int], year: int
) -> None:
    late = Seg(1, 300, dt.datetime(*utc, 20, 0, tzinfo=dt.UTC), 6000)
    load(warehouse, [*planted(), late], TITLES, MEMBERS)
    r = member_recap(warehouse, 1)
    assert r is not None and r.year == year
    assert r.plays == (12 if year == 2021 else 1)


def test_a_new_years_eve_binge_is_the_old_years(warehouse: Warehouse) -> None:
    """Six episodes from 22:00 on 31 December to 01:25 on 1 January: the longest binge of the
    year it began in, whole, and no 2-episode binge of the new year."""
    eps = [Title(500 + e, "episode", 500, 1, e, runtime=1800) for e in range(1, 7)]
    nye = dt.datetime(2017, 12, 31, 22, tzinfo=dt.UTC)
    segs = [Seg(1, 500 + e, nye + dt.timedelta(minutes=35 * (e - 1)), 1800) for e in range(1, 7)]
    load(warehouse, segs, eps, [(1, "GB", "UTC")])
    old, new = member_recap(warehouse, 1, 2017), member_recap(warehouse, 1, 2018)
    assert old is not None and new is not None
    assert old.longest_binge == {"series": "Series 500", "episodes": 6, "date": nye.date()}
    assert (old.plays, new.plays) == (4, 2)  # a play is the day's it starts on
    assert new.longest_binge is None


def test_cli_recap_facts_and_demo_step(home: Path) -> None:
    with Warehouse.open() as wh:
        _load(wh)
    runner = CliRunner()
    target = home / "out" / "recap.json"
    umask = os.umask(0o022)
    try:
        done = runner.invoke(app, ["-q", "recap", "--member", "1", "--out", str(target)])
    finally:
        os.umask(umask)
    assert done.exit_code == 0, done.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # one member's viewing: owner only
    assert json.loads(target.read_text())["longest_streak"]["days"] == 5
    done = runner.invoke(app, ["-q", "facts", "--period", "2021-01", "--json"])
    assert done.exit_code == 0, done.output
    facts = json.loads(done.output)
    assert facts["summary"]["plays"] == 14
    assert facts["summary"]["binge_races"] == 1
    assert facts["extreme_streaks"][0]["days"] == 5
    done = runner.invoke(app, ["-q", "facts", "--period", "2021-13"])
    assert done.exit_code != 0 and "period" in done.output
    with Warehouse.open() as wh:
        paths = demo_step(wh, None)
    assert [p.suffix for p in paths] == [".html", ".png"]
    assert all(p.parent == home / "recaps" and p.stat().st_size > 0 for p in paths)


def test_cli_facts_names_shows_and_picks_the_last_whole_week(home: Path) -> None:
    with Warehouse.open() as wh:
        _load(wh)
    runner = CliRunner()

    def facts(period: str) -> dict:  # type: ignore[type-arg]
        done = runner.invoke(app, ["-q", "facts", "--period", period, "--json"])
        assert done.exit_code == 0, done.output
        return json.loads(done.output)  # type: ignore[no-any-return]

    # January: the weeks of the 4th and the 11th have plays; both lie inside the month.
    f = facts("2021-01")
    assert f["top_week"] == {"start": "2021-01-11", "whole_week_in_period": True}
    assert [(r["rank"], r["name"], r["members"]) for r in f["top_last_week"]] == [
        (1, "Series 100", 1)
    ]
    assert [(r["name"], r["season"], r["racers"]) for r in f["binge_racers"]] == [
        ("Series 100", 1, 1)
    ]
    # The week of the 11th is cut at the 12th: the week of the 4th is the last whole one, where
    # the film (members 1 and 2) leads.
    f = facts("2021-01-04:2021-01-12")
    assert f["top_week"] == {"start": "2021-01-04", "whole_week_in_period": True}
    assert [(r["name"], r["members"]) for r in f["top_last_week"]] == [
        ("Title 300", 2),
        ("Series 100", 1),  # ties on members: more seconds first (9,000, 5,000, 4,800 s)
        ("Title 301", 1),
        ("Series 200", 1),
    ]
    # No whole week inside the period: the latest part of a week, said so.
    f = facts("2021-01-09:2021-01-13")
    assert f["top_week"] == {"start": "2021-01-11", "whole_week_in_period": False}
    done = runner.invoke(app, ["-q", "facts", "--period", "2021-01-09:2021-01-13"])
    assert done.exit_code == 0, done.output
    assert "week of 2021-01-11 (part of a week)" in done.output
    assert "Series 100" in done.output
    assert "plays" in done.output and "…" not in done.output.split("Countries")[0]
    # The race (4 January) is outside: one line says so, not a table head over nothing; a show
    # of episodes is a series; each member's longest streak once.
    text = " ".join(done.output.split())
    assert "Binge racers (finished within 24 h of release): none in the period" in text
    assert re.search(r"│\s+series\s+│", done.output) and "episode" not in done.output
    assert "Longest streaks (each member's longest)" in text


def test_cli_facts_says_why_a_netflix_history_has_no_binge_racers(
    home: Path, tmp_path: Path
) -> None:
    path = tmp_path / "NetflixViewingHistory.csv"
    rows = [f'"Dark: Season 1: Episode {n}","3/4/18"' for n in (1, 2, 3)]
    path.write_text("Title,Date\n" + "\n".join(rows) + "\n")
    runner = CliRunner()
    done = runner.invoke(app, ["-q", "ingest", str(path), "--date-order", "MDY"])
    assert done.exit_code == 0, done.output
    done = runner.invoke(app, ["-q", "facts"])
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())
    assert "none (the catalog has no release dates; a Netflix export gives none)" in text
    # the history names no country: its member is counted under "unknown", not a blank
    assert re.search(r"│ unknown +│ +1 │ +1 │", done.output)
    # a period without viewing: the member is on the roster, not watching; no "week of None"
    done = runner.invoke(app, ["-q", "facts", "--period", "2019"])
    assert done.exit_code == 0, done.output
    assert re.search(r"│ unknown +│ +1 │ +0 │", done.output)
    assert "None" not in done.output and "Top shows" in done.output


def test_cli_facts_leave_a_history_of_dates_out_of_the_hours(home: Path, tmp_path: Path) -> None:
    """A dates-only history next to timed viewing: its member's hours are unknown, so the
    summary's hours and median are of the members with durations, and it says how many have
    none; with the history alone, hours are unknown (null), not 0."""
    path = tmp_path / "NetflixViewingHistory.csv"
    path.write_text('Title,Date\n"Roma","1/5/21"\n')
    runner = CliRunner()
    done = runner.invoke(app, ["-q", "ingest", str(path), "--date-order", "MDY"])
    assert done.exit_code == 0, done.output

    def summary() -> dict:  # type: ignore[type-arg]
        done = runner.invoke(app, ["-q", "facts", "--period", "2021-01", "--json"])
        assert done.exit_code == 0, done.output
        return json.loads(done.output)["summary"]  # type: ignore[no-any-return]

    s = summary()
    assert (s["members_watching"], s["members_without_durations"]) == (1, 1)
    assert (s["hours"], s["median_hours_per_member"]) == (None, None)
    done = runner.invoke(app, ["-q", "facts", "--period", "2021-01"])
    assert done.exit_code == 0, done.output
    assert re.search(r"│ members without durations +│ +1 │", done.output)
    assert re.search(r"│ hours +│ +unknown │", done.output)
    with Warehouse.open() as wh:  # two members with durations: 6 h and 2 h
        events = wh.table("events").to_pyarrow()
        load(
            wh,
            [Seg(1, 300, chicago(5, 20), 6 * 3600), Seg(2, 300, chicago(6, 20), 2 * 3600)],
            TITLES,
            MEMBERS,
        )
        wh.duck.register("_old", events)
        wh.duck.execute("INSERT INTO events SELECT * FROM _old")
    s = summary()
    assert (s["members_watching"], s["members_without_durations"]) == (3, 1)
    assert (s["hours"], s["median_hours_per_member"]) == (8.0, 4.0)


def test_cli_facts_of_ratings_only_says_there_is_no_viewing(home: Path, tmp_path: Path) -> None:
    """MovieLens ingested: ratings, no viewing. One line says why there are no facts, instead of
    empty tables over a period of today."""
    runner = CliRunner()
    done = runner.invoke(app, ["-q", "facts"])
    assert "No viewing in the warehouse" in " ".join(done.output.split())
    assert "ratings" not in done.output  # an empty warehouse holds none
    path = tmp_path / "ratings.csv"
    path.write_text("userId,movieId,rating,timestamp\n1,10,4.0,964982703\n2,10,3.5,964982224\n")
    done = runner.invoke(app, ["-q", "ingest", str(path)])
    assert done.exit_code == 0, done.output
    done = runner.invoke(app, ["-q", "facts"])
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())
    assert "No viewing in the warehouse" in text and "It holds 2 ratings" in text
    assert "Binge facts" not in text
    done = runner.invoke(app, ["-q", "facts", "--json"])  # scripts still get the (empty) facts
    assert done.exit_code == 0 and json.loads(done.stdout)["summary"]["plays"] == 0


def test_cli_recap_says_why_there_is_none(home: Path, tmp_path: Path) -> None:
    """No recap: the years a member has viewing in, or that they have only ratings."""
    runner = CliRunner()
    path = tmp_path / "NetflixViewingHistory.csv"
    path.write_text('Title,Date\n"Dark: Season 1: Episode 1","3/4/18"\n')
    assert runner.invoke(app, ["-q", "ingest", str(path), "--date-order", "MDY"]).exit_code == 0
    ratings = tmp_path / "ratings.csv"
    ratings.write_text("userId,movieId,rating,timestamp\n424242,10,4.0,964982703\n")
    assert runner.invoke(app, ["-q", "ingest", str(ratings)]).exit_code == 0
    with Warehouse.open() as wh:
        (member,) = [
            m for m in wh.table("members").member_id.to_pyarrow().to_pylist() if m != 424242
        ]
    done = runner.invoke(app, ["-q", "recap", "--member", str(member), "--year", "2016"])
    assert done.exit_code == 1
    assert f"member {member} has no viewing in 2016 (viewing in 2018" in " ".join(
        done.output.split()
    )
    assert "(viewing in 2018, local years)" in " ".join(done.output.split())
    done = runner.invoke(app, ["-q", "recap", "--member", "424242"])
    assert done.exit_code == 1
    text = " ".join(done.output.split())
    assert "member 424242 has no viewing in the warehouse; 1 ratings, which are not viewing" in text


def test_recap_of_a_dates_only_history_speaks_of_days(tmp_path: Path) -> None:
    """NetflixViewingHistory.csv has dates and titles only: no hours, no sittings, so the
    longest "binge" is the most episodes of one series in a day, and is called that."""
    path = tmp_path / "NetflixViewingHistory.csv"
    rows = [f'"Dark: Season 1: Episode {n}","3/4/18"' for n in (1, 2, 3)]
    path.write_text("Title,Date\n" + "\n".join([*rows, '"Roma","3/25/18"']) + "\n")
    with Warehouse.open(":memory:") as wh:
        ingest_paths([path], warehouse=wh)
        (member,) = wh.table("members").member_id.to_pyarrow().to_pylist()
        r = member_recap(wh, member)
    assert r is not None and not r.has_durations
    page = render_html(r)
    assert "Most in one day: 3 episodes of Dark on 04 Mar" in page
    assert "Longest binge" not in page and "hours ·" not in page
    # Hours and times of day are unknown, not zero: null, and the page says why.
    assert r.hours is None and r.heatmap is None and r.completion_rate is None
    assert [d["hours"] for d in r.daily] == [None, None]
    assert [d["plays"] for d in r.daily] == [3, 1]
    assert [(i["name"], i["hours"], i["plays"]) for i in r.top_series] == [("Dark", None, 3)]
    assert [(i["name"], i["hours"]) for i in r.top_films] == [("Roma", None)]
    assert "has dates only: no times of day, no hours watched" in page
    assert "Local days in" not in page
    assert render_png(r, scale=1).startswith(b"\x89PNG")
    out = tmp_path / "x.json"
    done = CliRunner().invoke(app, ["-q", "recap", str(path), "--out", str(out)])
    assert done.exit_code == 0, done.output
    data = json.loads(out.read_text())
    assert (data["hours"], data["heatmap"], data["has_durations"]) == (None, None, False)
    assert {d["hours"] for d in data["daily"] + data["top_series"] + data["top_films"]} == {None}


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Asia/Tokyo"])
def test_a_zone_does_not_move_the_dates_a_history_printed(tmp_path: Path, zone: str) -> None:
    """A history of dates sits at midnight of each date in the zone it was read in; a zone given
    to the recap afterwards (west or east of it) must not move 1 January to 31 December."""
    path = tmp_path / "NetflixViewingHistory.csv"
    rows = ['"Dark: Season 1: Episode 1","1/1/18"', '"Roma","7/24/18"']
    path.write_text("Title,Date\n" + "\n".join(rows) + "\n")
    with Warehouse.open(":memory:") as wh:
        ingest_paths([path], warehouse=wh)
        (member,) = wh.table("members").member_id.to_pyarrow().to_pylist()
        plain = member_recap(wh, member)
        zoned = member_recap(wh, member, override_tz=zone)
    assert plain is not None and zoned is not None
    days = [d["local_date"] for d in json.loads(zoned.to_json())["daily"]]
    assert days == ["2018-01-01", "2018-07-24"]
    assert zoned.to_json() == plain.to_json()


@pytest.mark.realdata
def test_recap_of_a_real_export(tmp_path: Path) -> None:
    exports = sorted((SHARED_DATA / "netflix").glob("*ViewingActivity.csv"))
    if not exports:
        pytest.skip("shared Netflix exports absent")
    done = CliRunner().invoke(app, ["-q", "recap", str(exports[0]), "--out-dir", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert sorted(p.suffix for p in tmp_path.iterdir()).count(".png") >= 1


def test_cli_recap_of_an_export_takes_date_order_and_tells_what_it_left_out(
    home: Path, tmp_path: Path
) -> None:
    """A history whose dates read both ways needs --date-order, which the message asks for and
    recap takes; rows it cannot read are counted and the first one named, not silently lost;
    a Windows-1252 re-save is read and said to be."""
    path = tmp_path / "NetflixViewingHistory.csv"
    rows = [f'"Dark: Season 1: Episode {n}","3/4/18"' for n in (1, 2)]
    text = "Title,Date\n" + "\n".join([*rows, '"Café","yesterday"']) + "\n"
    path.write_bytes(text.encode("cp1252"))
    runner = CliRunner()
    done = runner.invoke(app, ["recap", str(path), "--out-dir", str(tmp_path)])
    assert done.exit_code == 1
    assert "pass --date-order" in " ".join(done.output.split())
    target = tmp_path / "recap.json"
    done = runner.invoke(app, ["recap", str(path), "--date-order", "DMY", "--out", str(target)])
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert "read as Windows-1252" in said
    assert "1 of 3 rows could not be read (first: line 4, field 'Date': not a date" in said
    assert "yesterday" not in said  # the row itself is not printed
    recap = json.loads(target.read_text())
    assert [d["local_date"] for d in recap["daily"]] == ["2018-04-03"]  # DMY: 3 April
    done = runner.invoke(app, ["recap", str(path), "--encoding", "klingon"])
    assert done.exit_code == 2 and "unknown text encoding" in done.output


def test_cli_recap_of_an_export_gives_every_profile_its_own_file(tmp_path: Path) -> None:
    """Profile names alike once cut to a file name ("Kids", "kids!"), or with no Latin letter,
    each get their own recap: none overwrites another."""
    profiles = ["Kids", "kids!", "😀", "🎬", "Юля"]
    lines = ["Profile Name,Start Time,Duration,Title,Country"]
    lines += [
        f"{p},2022-03-0{i + 1} 20:00:00,0:40:00,Roma,DE (Germany)" for i, p in enumerate(profiles)
    ]
    path = tmp_path / "ViewingActivity.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out_dir = tmp_path / "recaps"
    out_dir.mkdir()
    runner = CliRunner()
    done = runner.invoke(app, ["-q", "recap", str(path), "--out-dir", str(out_dir)])
    assert done.exit_code == 0, done.output
    stems = sorted(p.stem for p in out_dir.glob("*.html"))
    assert stems == sorted(
        f"recap-{s}-2022" for s in ("kids", "kids-2", "profile", "profile-2", "юля")
    )
    assert len(list(out_dir.glob("*.png"))) == 5
    # --out with several profiles: one file each, in the format asked for, beside it
    done = runner.invoke(app, ["-q", "recap", str(path), "--out", str(tmp_path / "r.json")])
    assert done.exit_code == 0, done.output
    names = {json.loads(p.read_text())["name"] for p in tmp_path.glob("r-*.json")}
    assert names == set(profiles)


def test_recap_of_an_export_estimates_episode_lengths_for_completion(tmp_path: Path) -> None:
    """An export has no runtimes: a series' episodes take its length as seen in viewing, so the
    recap (and the fact set) can say what share of the episodes started was finished. Films,
    with nothing to estimate from, stay out of the rate."""
    from bingewise.analytics import FactSet
    from bingewise.schema import MemberFacts

    lines = ["Profile Name,Start Time,Duration,Title,Bookmark,Country"]
    watched = ["0:21:40", "0:21:55", "0:22:05", "0:21:30", "0:04:10"]  # the last one left early
    for n, minutes in enumerate(watched, start=1):
        lines.append(
            f'Ana,2022-03-0{n} 20:00:00,{minutes},"Sitcom: Season 1: Ep (Episode {n})",'
            f"{minutes},US (United States)"
        )
    lines.append("Ana,2022-03-09 20:00:00,1:50:00,Roma,1:50:00,US (United States)")
    path = tmp_path / "ViewingActivity.csv"
    path.write_text("\n".join(lines) + "\n")
    with Warehouse.open(":memory:") as wh:
        ingest_paths([path], warehouse=wh)
        (member,) = wh.table("members").member_id.to_pyarrow().to_pylist()
        r = member_recap(wh, member, 2022)
        fs = FactSet.compute(wh, "2022")
        facts = fs[MemberFacts.table].to_pyarrow().to_pylist()
        fs.drop(wh)
    assert r is not None
    assert r.completion_rate == pytest.approx(4 / 5)
    assert "Finished 80% of what you started" in render_html(r)
    assert facts[0][MemberFacts.completion_rate] == pytest.approx(4 / 5)


def test_cli_recap_refuses_bad_output_options_before_any_work(tmp_path: Path) -> None:
    """A format it cannot write, --out with --out-dir, or a folder it cannot write to: one
    line each (a usage error before the export is read), never a traceback."""
    path = tmp_path / "ViewingActivity.csv"
    path.write_text(
        "Profile Name,Start Time,Duration,Title,Country\n"
        "Ana,2024-03-01 20:00:00,00:40:00,Dark: Season 1: Secrets (Episode 1),DE (Germany)\n"
    )
    runner = CliRunner()
    for extra in (["--out", "r.pdf"], ["--out", "recap"]):
        done = runner.invoke(app, ["recap", str(path), *extra])
        assert done.exit_code == 2 and "a recap is written as .html, .png, .json" in " ".join(
            done.output.split()
        ), done.output
    both = ["--out", str(tmp_path / "r.json"), "--out-dir", str(tmp_path)]
    done = runner.invoke(app, ["recap", str(path), *both])
    assert done.exit_code == 2 and "not both" in done.output
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    done = runner.invoke(app, ["recap", str(path), "--out", str(blocked / "r.png")])
    assert done.exit_code == 1 and "cannot write the recap" in " ".join(done.output.split())
    assert "Traceback" not in done.output
    done = runner.invoke(app, ["-q", "recap", str(path), "--member", "12345"])
    assert done.exit_code == 1 and "no profile of this export has member id 12345" in " ".join(
        done.output.split()
    )
    # no profile has viewing in the year asked for: an error, even when quiet
    done = runner.invoke(app, ["-q", "recap", str(path), "--year", "2019"])
    assert done.exit_code == 1 and "no profile has viewing in 2019" in " ".join(done.output.split())
    assert not list(tmp_path.glob("recap-*"))


def test_recap_lines_count_in_the_singular_too(tmp_path: Path) -> None:
    """One play of one film on one day reads "1 play (0 episodes, 1 film) · 1 day", not "1 films"
    or "1 days in a row"."""
    path = tmp_path / "ViewingActivity.csv"
    path.write_text(
        "Profile Name,Start Time,Duration,Title,Country\n"
        "Ana,2024-03-01 20:00:00,01:40:00,Roma,DE (Germany)\n"
    )
    with Warehouse.open(":memory:") as wh:
        ingest_paths([path], warehouse=wh)
        (member,) = wh.table("members").member_id.to_pyarrow().to_pylist()
        r = member_recap(wh, member)
    assert r is not None
    page = " ".join(render_html(r).split())
    assert "1.7 hours · 1 play (0 episodes, 1 film) · 1 day with viewing" in page
    assert "Longest streak: 1 day, 01 Mar" in page
    assert "1 films" not in page and "1 days" not in page


def test_cli_facts_refuses_a_bad_zone_or_top_before_any_work(home: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["facts", "--tz", "Nowhere/Zone"])
    assert done.exit_code == 2 and "unknown IANA time zone" in done.output
    assert "Traceback" not in done.output
    for top in ("0", "-1"):
        done = runner.invoke(app, ["facts", "--top", top])
        assert done.exit_code == 2 and "--top" in done.output, done.output


def test_cli_recap_names_the_local_years_with_viewing(home: Path, tmp_path: Path) -> None:
    """A member in Auckland whose only play starts at 20:00 UTC on 31 December 2023 watched on
    1 January 2024, local time: the message names 2024, not the UTC year."""
    path = tmp_path / "events.csv"
    path.write_text(
        "member_id,title_id,start_utc,seconds,country\n77,10,2023-12-31T20:00:00Z,600,NZ\n"
    )
    runner = CliRunner()
    assert runner.invoke(app, ["-q", "ingest", str(path)]).exit_code == 0
    done = runner.invoke(app, ["-q", "recap", "--member", "77", "--year", "2023"])
    assert done.exit_code == 1
    assert "(viewing in 2024, local years)" in " ".join(done.output.split())


def test_cli_recap_of_an_export_says_a_profile_has_only_trailers(tmp_path: Path) -> None:
    """A profile that only ever played trailers and previews (a guest browsing) gets no recap,
    and is told why; no year was asked for, so none is blamed (was: "no viewing in that year",
    and for an export of such profiles only, "no profile has viewing in None")."""
    header = "Profile Name,Start Time,Duration,Title,Supplemental Video Type,Country\n"
    trailer = "Gast,2023-03-04 20:00:00,00:00:30,Season 1 Trailer: Dark,TRAILER,DE (Germany)\n"
    hook = "Gast,2023-03-04 20:01:00,00:00:05,Dark_hook_02_16x9,HOOK,DE (Germany)\n"
    episode = "Ana,2023-03-04 21:00:00,00:50:00,Dark: Staffel 1: Lügen (Folge 2),,DE (Germany)\n"
    runner = CliRunner()
    both = tmp_path / "both" / "ViewingActivity.csv"
    both.parent.mkdir()
    both.write_text(header + trailer + hook + episode)
    done = runner.invoke(app, ["recap", str(both), "--out-dir", str(tmp_path / "out")])
    text = " ".join(done.output.split())
    assert done.exit_code == 0, text
    assert "Gast has only trailers, previews and other supplemental videos (2)" in text
    assert "that year" not in text
    assert [p.name for p in sorted((tmp_path / "out").iterdir())] == [
        "recap-ana-2023.html",
        "recap-ana-2023.png",
    ]
    alone = tmp_path / "alone" / "ViewingActivity.csv"
    alone.parent.mkdir()
    alone.write_text(header + trailer + hook)
    done = runner.invoke(app, ["-q", "recap", str(alone), "--out-dir", str(tmp_path / "out2")])
    text = " ".join(done.output.split())
    assert done.exit_code == 1
    assert "None" not in text
    assert "no profile has viewing a recap counts" in text
    history = tmp_path / "NetflixViewingHistory.csv"
    history.write_text('Title,Date\n"Roma","7/28/22"\n')
    done = runner.invoke(app, ["recap", str(history), "--year", "2019", "--out-dir", str(tmp_path)])
    text = " ".join(done.output.split())
    assert "This history has no viewing in 2019 (viewing in 2022, local years)" in text, text


def test_a_detailed_export_with_only_zero_second_plays_in_a_year_is_not_dates_only(
    tmp_path: Path,
) -> None:
    """A ViewingActivity.csv has times and durations: a year (or a profile) whose plays all
    lasted 00:00:00 watched 0 hours, at known hours of the day; it is no dates-only history
    (was: hours unknown, no weekday × hour chart, "This history has dates only")."""
    path = tmp_path / "ViewingActivity.csv"
    path.write_text(
        "Profile Name,Start Time,Duration,Title,Country\n"
        "Ana,2022-06-01 20:00:00,00:40:00,Dark: Staffel 1: Lügen (Folge 2),DE (Germany)\n"
        "Ana,2023-03-04 20:00:00,00:00:00,Dark: Staffel 1: Geheimnisse (Folge 1),DE (Germany)\n"
        "Null,2023-03-04 20:00:00,00:00:00,Roma,ES (Spain)\n"
    )
    with Warehouse.open(":memory:") as wh:
        ingest_paths([path], warehouse=wh)
        ids = dict(
            zip(
                wh.table("members").profile.to_pyarrow().to_pylist(),
                wh.table("members").member_id.to_pyarrow().to_pylist(),
                strict=True,
            )
        )
        recaps = [member_recap(wh, ids["Ana"], 2023), member_recap(wh, ids["Null"], 2023)]
    for r in recaps:
        assert r is not None
        assert r.has_durations
        assert r.hours == 0.0 and r.plays == 1
        assert r.heatmap == [{"weekday": 5, "hour": 21, "hours": 0.0}]
        assert "dates only" not in render_html(r)


def test_cli_recap_of_an_export_says_whose_local_days_it_counts(tmp_path: Path) -> None:
    """A recap's days are local days in the zone of the export's country (its most populous
    zone), or UTC when the export names no country: the command says which, and how to change
    it, since a Vancouver viewer's evening is the next day in Toronto (was: said nowhere but a
    small line on the page, and UTC days for an export without a Country column)."""
    runner = CliRunner()
    plain = tmp_path / "plain" / "ViewingActivity.csv"
    plain.parent.mkdir()
    plain.write_text(
        "Profile Name,Start Time,Duration,Title\nAna,2023-03-05 02:00:00,0:45:00,Roma\n"
    )
    done = runner.invoke(app, ["recap", str(plain), "--out-dir", str(tmp_path / "o1")])
    text = " ".join(done.output.split())
    assert done.exit_code == 0, text
    assert "Ana: local days in UTC (the export names no country); pass --tz ZONE" in text
    canada = tmp_path / "canada" / "ViewingActivity.csv"
    canada.parent.mkdir()
    canada.write_text(
        "Profile Name,Start Time,Duration,Title,Country\n"
        "Ana,2023-03-05 02:00:00,0:45:00,Roma,CA (Canada)\n"
    )
    done = runner.invoke(app, ["recap", str(canada), "--out-dir", str(tmp_path / "o2")])
    text = " ".join(done.output.split())
    assert "Ana: local days in America/Toronto (the most populous zone of CA)" in text, text
    done = runner.invoke(
        app, ["recap", str(canada), "--tz", "America/Vancouver", "--out-dir", str(tmp_path)]
    )
    assert "local days in" not in " ".join(done.output.split())
