"""Reading MovieLens and viewing-event files for evaluation: shapes, bad rows, accounting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bingewise.ingest.base import IngestError
from bingewise.recommend.evaluation import data
from bingewise.recommend.evaluation.data import read_events, read_log, read_movielens


def _accounted(log) -> None:  # type: ignore[no-untyped-def]
    assert log.rows_read == (
        len(log) + log.duplicates + len(log.rejects) + log.supplemental + log.unwatched
    )


@pytest.mark.parametrize("shape", ["csv", "csv with a bad row", "parquet folder"])
def test_trailers_are_no_interaction_and_are_counted(tmp_path: Path, shape: str) -> None:
    """A trailer, recap or hook (the supplemental column) is no interaction, as in training:
    member 8's only event is a trailer, so member 8 is not in the log; the rows are counted."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [
        ("7", "100", "2024-01-02 10:00:00", ""),
        ("7", "101", "2024-01-02 11:00:00", "TRAILER"),
        ("7", "100", "2024-01-03 10:00:00", " "),  # blank: main content, merged into the first
        ("8", "101", "2024-01-02 12:00:00", "RECAP"),
        ("9", "102", "2024-01-04 12:00:00", ""),
    ]
    if shape == "csv with a bad row":
        rows.append(("x", "102", "2024-01-04 12:00:00", "HOOK"))  # bad id: a reject, named
    if shape == "parquet folder":
        path = tmp_path / "events"
        path.mkdir()
        cols = ["member_id", "title_id", "start_utc", "supplemental"]
        for k, part in enumerate((rows[:2], rows[2:])):
            table = pa.table({c: [r[i] for r in part] for i, c in enumerate(cols)})
            pq.write_table(table, path / f"part-{k:05d}.parquet")
    else:
        path = tmp_path / "events.csv"
        body = "\n".join(",".join(r) for r in rows)
        path.write_text("member_id,title_id,start_utc,supplemental\n" + body + "\n")
    log = read_events(path)
    assert sorted(zip(log.users.tolist(), log.items.tolist(), strict=True)) == [(7, 100), (9, 102)]
    assert log.supplemental == 2 and log.duplicates == 1
    assert len(log.rejects) == (1 if "bad" in shape else 0)
    assert "2 rows of trailers" in log.summary()
    _accounted(log)


def test_a_folder_without_parquet_parts_is_refused(tmp_path: Path) -> None:
    (tmp_path / "events.csv").write_text("member_id,title_id,start_utc\n")
    with pytest.raises(IngestError, match="a folder without Parquet parts"):
        read_events(tmp_path)


def test_ratings_csv_with_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text(
        "userId,movieId,rating,timestamp\n"
        "1,10,4.0,1000\n"
        "1,11,3.5,1001\n"
        "x,12,3.0,1002\n"  # line 4: bad userId
        "2,10,abc,1003\n"  # line 5: bad rating
        "2,11,5.0\n"  # line 6: missing field
        "2,12,2.0,-5\n"  # line 7: negative timestamp
        "1,10,5.0,2000\n"  # line 8: same member and title again: merged, latest kept
        "3,13,1.0,1004\n"
    )
    log = read_movielens(tmp_path)  # a folder is searched for ratings.csv
    assert [(r.line, r.field) for r in log.rejects] == [
        (4, "userId"),
        (5, "rating"),
        (6, ""),
        (7, "timestamp"),
    ]
    assert all(r.reason for r in log.rejects)
    assert log.users.tolist() == [1, 1, 3]
    assert log.items.tolist() == [10, 11, 13]
    assert log.values.tolist() == [5.0, 3.5, 1.0]
    assert log.times.tolist() == [2000, 1001, 1004]
    assert log.duplicates == 1
    _accounted(log)


def test_u_data_and_ratings_dat(tmp_path: Path) -> None:
    (tmp_path / "u.data").write_text("196\t242\t3\t881250949\n186\t302\t3\t891717742\n\n")
    log = read_movielens(tmp_path / "u.data")
    assert log.users.tolist() == [196, 186] and log.rows_read == 2
    dat = tmp_path / "ratings.dat"
    dat.write_text("1::1193::5::978300760\n1::661::3::978302109\n1::x::3::978302109\n")
    log = read_movielens(dat)
    assert log.items.tolist() == [1193, 661]
    assert [(r.line, r.field) for r in log.rejects] == [(3, "movieId")]
    _accounted(log)


def test_unreadable_inputs_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"no ratings\.csv"):
        read_movielens(tmp_path)
    bad = tmp_path / "ratings.csv"
    bad.write_text("user,item\n1,2\n")
    with pytest.raises(IngestError, match="line 1"):
        read_movielens(bad)
    with pytest.raises(ValueError, match="unknown format"):
        read_log(bad, "netflix")


def test_events_roll_up_to_one_interaction_per_title(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "member_id,title_id,start_utc,seconds\n"
        "7,100,2024-01-02 10:00:00,600\n"
        "7,100,2024-01-01 09:00:00,300\n"
        "7,101,2024-01-03T12:00:00Z,60\n"
        "8,100,not a time,60\n"  # line 5
        "8,abc,2024-01-03 12:00:00,60\n"  # line 6
    )
    log = read_events(path)
    assert log.users.tolist() == [7, 7] and log.items.tolist() == [100, 101]
    assert log.values.tolist() == [2.0, 1.0]  # events per title
    latest = np.datetime64("2024-01-02T10:00:00").astype("datetime64[s]").astype(np.int64)
    assert log.times[0] == latest  # the title's latest play start, as training times it
    assert [(r.line, r.field) for r in log.rejects] == [(5, "start_utc"), (6, "title_id")]
    _accounted(log)


@pytest.mark.parametrize("shape", ["csv", "csv with a bad row", "parquet"])
def test_events_are_timed_and_kept_as_training_reads_them(tmp_path: Path, shape: str) -> None:
    """An interaction's time is its latest play start (a segment resumed within the gap is the
    same play), as training gives the time-aware models; a title played only for 0 seconds by a
    named profile is no interaction (training weighs it nothing), a dated history's is one."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [
        ("7", "100", "2024-01-01 09:00:00", "600", "Ana"),
        ("7", "100", "2024-01-02 10:00:00", "600", "Ana"),  # the latest play starts here
        ("7", "100", "2024-01-02 10:30:00", "600", "Ana"),  # resumed 20 min after: same play
        ("7", "101", "2024-01-03 00:00:00", "0", ""),  # a date of a history: the whole title
        ("7", "102", "2024-01-03 20:00:00", "0", "Ana"),  # 0 s, a profile: nothing
    ]
    if shape == "csv with a bad row":
        rows.append(("7", "103", "2024-01-04 10:00:00", "ten", "Ana"))  # named: seconds
    cols = ["member_id", "title_id", "start_utc", "seconds", "profile"]
    if shape == "parquet":
        path = tmp_path / "events.parquet"
        pq.write_table(
            pa.table(
                {
                    "member_id": pa.array([int(r[0]) for r in rows], pa.int64()),
                    "title_id": pa.array([int(r[1]) for r in rows], pa.int64()),
                    "start_utc": pa.array(
                        [np.datetime64(r[2].replace(" ", "T"), "us") for r in rows],
                        pa.timestamp("us"),
                    ),
                    "seconds": pa.array([int(r[3]) for r in rows], pa.int32()),
                    "profile": [r[4] or None for r in rows],
                }
            ),
            path,
        )
    else:
        path = tmp_path / "events.csv"
        path.write_text(",".join(cols) + "\n" + "\n".join(",".join(r) for r in rows) + "\n")
    log = read_events(path)

    def at(text: str) -> int:
        return int(np.datetime64(text, "s").astype(np.int64))

    got = sorted(zip(log.items.tolist(), log.times.tolist(), log.values.tolist(), strict=True))
    assert got == [(100, at("2024-01-02T10:00:00"), 3.0), (101, at("2024-01-03T00:00:00"), 1.0)]
    assert log.unwatched == 1 and log.duplicates == 2
    assert "1 rows of plays without progress" in log.summary()
    assert [(r.line, r.field) for r in log.rejects] == ([(7, "seconds")] if "bad" in shape else [])
    assert log.rows_read == len(log) + log.duplicates + len(log.rejects) + log.unwatched


_ROW = st.tuples(
    st.integers(0, 40),
    st.integers(0, 60),
    st.sampled_from(["0.5", "3", "3.5", "4.0", "5"]),
    st.integers(0, 2_000_000_000),
)
_SHAPES = {
    "ratings.csv": ("userId,movieId,rating,timestamp\n", ","),
    "u.data": ("", "\t"),
    "ratings.dat": ("", "::"),
}


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(_ROW, min_size=1, max_size=40),
    shape=st.sampled_from(sorted(_SHAPES)),
    bad=st.booleans(),
)
def test_fast_reader_agrees_with_the_line_reader(
    tmp_path: Path, rows: list[tuple[int, int, str, int]], shape: str, bad: bool
) -> None:
    """Arrow's parse of a well-formed file gives what the line-by-line reader gives; a bad row
    anywhere sends the whole file to the line reader, which names it."""
    header, sep = _SHAPES[shape]
    lines = [sep.join(map(str, r)) for r in rows]
    if bad:
        lines.insert(len(lines) // 2, sep.join(["7", "0x5", "3", "100"]))  # Arrow would take 0x5
    path = tmp_path / shape
    path.write_text(header + "".join(line + "\n" for line in lines))
    got = read_movielens(path)
    ref = data._read_line_by_line(path)
    for name in ("users", "items", "times", "values"):
        assert getattr(got, name).tolist() == getattr(ref, name).tolist()
        assert getattr(got, name).dtype == getattr(ref, name).dtype
    assert (got.rows_read, got.duplicates, got.rejects) == (
        ref.rows_read,
        ref.duplicates,
        ref.rejects,
    )
    assert len(got.rejects) == int(bad)
    _accounted(got)


def test_well_formed_files_take_the_arrow_path(tmp_path: Path) -> None:
    path = tmp_path / "ratings.csv"
    path.write_text(
        "\ufefftimestamp,rating,movieId,userId,tag\n1000,4.0,10,1,x\n1001,2.5,11, 2 ,y\n"
    )
    first = data._first_line(path)
    fast = data._read_well_formed(path, first)
    assert fast is not None  # columns in any order, extra columns, a BOM, padded ids
    parsed, n_rows = fast
    assert n_rows == 2 and parsed["userId"].tolist() == [1, 2]
    log = read_movielens(path)
    assert log.items.tolist() == [10, 11] and log.values.tolist() == [4.0, 2.5]
    for text in (
        "userId,movieId,rating,timestamp\n1,2,inf,3\n",
        "userId,movieId,rating,timestamp\n1,-2,3,3\n",
    ):
        path.write_text(text)
        assert data._read_well_formed(path, data._first_line(path)) is None
        assert len(read_movielens(path).rejects) == 1


def _dedupe_reference(
    rows: list[tuple[int, int, int, float]], keep: str, count: bool
) -> list[tuple[int, int, int, float]]:
    """Pure-Python merge: per pair, the first or last row by (time, file order); pairs in order
    of first appearance; with ``count`` the latest time and the number of rows."""
    groups: dict[tuple[int, int], list[tuple[int, int, float]]] = {}
    for pos, (u, i, t, v) in enumerate(rows):
        groups.setdefault((u, i), []).append((t, pos, v))
    out = []
    for (u, i), members in groups.items():  # dicts keep first-appearance order
        members.sort()
        t, _, v = members[0] if keep == "first" else members[-1]
        if count:
            t, v = members[-1][0], float(len(members))
        out.append((u, i, t, v))
    return out


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 3), st.integers(0, 4), st.integers(0, 5), st.integers(1, 9)),
        min_size=1,
        max_size=40,
    ),
    how=st.sampled_from([("last", False), ("first", True)]),
)
def test_duplicate_pairs_merge_as_the_reference_does(
    rows: list[tuple[int, int, int, int]], how: tuple[str, bool]
) -> None:
    keep, count = how
    cols = [np.array(c) for c in zip(*rows, strict=True)]
    log = data._dedupe(
        users=cols[0],
        items=cols[1],
        times=cols[2],
        values=cols[3].astype(float),
        source="x",
        rows_read=len(rows),
        rejects=[],
        keep=keep,  # type: ignore[arg-type]
        count_values=count,
    )
    cols_out = (log.users, log.items, log.times, log.values)
    got = list(zip(*(c.tolist() for c in cols_out), strict=True))
    assert got == _dedupe_reference([(u, i, t, float(v)) for u, i, t, v in rows], keep, count)
    assert log.duplicates == len(rows) - len(got)


def test_repeated_pairs_are_found_whatever_the_id_range() -> None:
    """One int64 key per pair when the ranges allow it, the pair itself when they do not."""
    users = np.array([1, 2, 1, 3, 2, 1])
    items = np.array([5, 5, 5, 6, 7, 7])
    expected = [True, False, True, False, False, False]
    assert data._in_repeated_pair(users, items).tolist() == expected
    big = np.int64(2**40)
    assert data._in_repeated_pair(users * big, items * big).tolist() == expected
    assert data._in_repeated_pair(users[:0], items[:0]).tolist() == []


_TIME_LAYOUTS = {
    "space": "%Y-%m-%d %H:%M:%S",
    "iso-z": "%Y-%m-%dT%H:%M:%SZ",
    "offset": "%Y-%m-%dT%H:%M:%S+02:00",
    "date": "%Y-%m-%d",
}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 9), st.integers(0, 12), st.integers(0, 400_000_000)),
        min_size=1,
        max_size=30,
    ),
    layouts=st.lists(st.sampled_from(sorted(_TIME_LAYOUTS)), min_size=1, max_size=2),
    parquet=st.booleans(),
    typed=st.booleans(),
)
def test_event_reader_paths_agree(
    tmp_path: Path,
    rows: list[tuple[int, int, int]],
    layouts: list[str],
    parquet: bool,
    typed: bool,
) -> None:
    """Arrow's read of events gives what the row reader gives: CSV with one time layout or two
    (two send the file to the row reader), Parquet with typed or text columns."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    epoch = dt.datetime(2000, 1, 1)
    stamps = [epoch + dt.timedelta(seconds=t) for _, _, t in rows]
    texts = [s.strftime(_TIME_LAYOUTS[layouts[k % len(layouts)]]) for k, s in enumerate(stamps)]
    if parquet:
        path = tmp_path / "events.parquet"
        members = [m for m, _, _ in rows]
        titles = [t for _, t, _ in rows]
        if typed:
            table = pa.table(
                {
                    "member_id": members,
                    "title_id": titles,
                    "start_utc": pa.array(stamps, pa.timestamp("us")),
                }
            )
        else:
            table = pa.table(
                {
                    "member_id": [str(m) for m in members],
                    "title_id": [str(t) for t in titles],
                    "start_utc": texts,
                }
            )
        pq.write_table(table, path)
    else:
        path = tmp_path / "events.csv"
        lines = [f"{m},{t},{text},60" for (m, t, _), text in zip(rows, texts, strict=True)]
        path.write_text("member_id,title_id,start_utc,seconds\n" + "\n".join(lines) + "\n")
    got = read_events(path)
    ref = data._read_events_row_by_row(path)
    for name in ("users", "items", "times", "values"):
        assert getattr(got, name).tolist() == getattr(ref, name).tolist(), name
    assert (got.rows_read, got.duplicates, got.rejects) == (
        ref.rows_read,
        ref.duplicates,
        ref.rejects,
    )
    _accounted(got)


def test_well_formed_events_take_the_arrow_path(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("seconds,start_utc,title_id,member_id\n60,2024-01-02 10:00:00,100, 7 \n")
    assert data._events_well_formed(path) is not None  # any column order, padded ids
    path.write_text("member_id,title_id,start_utc\n7,0x5,2024-01-02 10:00:00\n")
    assert data._events_well_formed(path) is None  # Arrow alone would read 0x5 as 5
    assert [(r.line, r.field) for r in read_events(path).rejects] == [(2, "title_id")]


def test_ratings_straight_from_the_zip_grouplens_ships(tmp_path: Path) -> None:
    import zipfile

    archive = tmp_path / "ml-latest-small.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("ml-latest-small/README.txt", "not ratings\n")
        zf.writestr("ml-latest-small/movies.csv", "movieId,title,genres\n10,A (1999),Drama\n")
        zf.writestr(
            "ml-latest-small/ratings.csv",
            "userId,movieId,rating,timestamp\n1,10,4.0,1000\n1,x,3.0,1001\n2,10,5.0,1002\n",
        )
    log = read_movielens(archive)
    assert log.users.tolist() == [1, 2] and log.items.tolist() == [10, 10]
    assert log.source == f"{archive}/ml-latest-small/ratings.csv"
    assert [(r.line, r.field) for r in log.rejects] == [(3, "movieId")]
    _accounted(log)
    empty = tmp_path / "other.zip"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("README.txt", "nothing here\n")
    with pytest.raises(
        IngestError, match=r"no ratings\.csv, u\.data or ratings\.dat in this archive"
    ):
        read_movielens(empty)


def test_nanosecond_parquet_times_floor_to_seconds(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "events.parquet"
    stamps = pa.array([1_000_000_001_500, 999_999_999], pa.timestamp("ns", tz="UTC"))
    pq.write_table(pa.table({"member_id": [1, 2], "title_id": [3, 3], "start_utc": stamps}), path)
    log = read_events(path)
    assert log.times.tolist() == [1000, 0]
    assert log.times.tolist() == data._read_events_row_by_row(path).times.tolist()


def test_events_with_times_since_the_epoch_read_as_ingest_reads_them(tmp_path: Path) -> None:
    """evaluate --format events takes the times ingest takes: seconds, milliseconds,
    microseconds or nanoseconds told apart by size, on both paths, and names a number that is no
    time (a yyyymmdd date) as the row reader's reject."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    s = 1_709_323_200
    spellings = [str(s), str(s * 1000 + 999), str(s * 10**6), str(s * 10**9 + 5)]
    path = tmp_path / "events.csv"
    rows = [f"1,{i},{t},60" for i, t in enumerate(spellings)]
    path.write_text("member_id,title_id,start_utc,seconds\n" + "\n".join(rows) + "\n")
    fast = read_events(path)
    assert fast.times.tolist() == [s] * 4 and not fast.rejects
    assert data._read_events_row_by_row(path).times.tolist() == [s] * 4
    path.write_text(path.read_text() + "1,9,20240301,60\n")  # line 6: no time
    slow = read_events(path)
    assert slow.times.tolist() == [s] * 4
    assert [(r.line, r.field) for r in slow.rejects] == [(6, "start_utc")]
    typed = tmp_path / "events.parquet"
    pq.write_table(
        pa.table(
            {
                "member_id": [1, 1],
                "title_id": [1, 2],
                "start_utc": pa.array([s * 1000, s + 0.75], pa.float64()),
            }
        ),
        typed,
    )
    assert data._events_well_formed(typed) is None  # milliseconds as a float: no time
    slow = read_events(typed)  # ... and the row reader still reads the seconds with a fraction
    assert slow.times.tolist() == [s] and [r.line for r in slow.rejects] == [1]
    ints = tmp_path / "ints.parquet"
    pq.write_table(
        pa.table(
            {"member_id": [1], "title_id": [1], "start_utc": pa.array([s * 1000], pa.int64())}
        ),
        ints,
    )
    assert read_events(ints).times.tolist() == [s]


def test_events_under_a_services_own_column_names(tmp_path: Path) -> None:
    """evaluate --format events --columns reads a log that names its columns otherwise, on
    both paths, and its rejects name the file's own columns."""
    path = tmp_path / "log.csv"
    path.write_text(
        "ts,video_id,user_id,ip\n1709323200,100,7,10.0.0.1\n2024-03-02T10:00:00Z,101,7,10.0.0.1\n"
    )
    pairs = (("user_id", "member_id"), ("video_id", "title_id"), ("ts", "start_utc"), ("ip", ""))
    with pytest.raises(IngestError, match="member_id"):
        read_log(path, "events")  # our names are not there
    log = read_log(path, "events", pairs)
    assert log.users.tolist() == [7, 7] and log.items.tolist() == [100, 101]
    assert log.times.tolist()[0] == 1_709_323_200
    path.write_text(path.read_text() + "x,102,8,10.0.0.2\n")
    log = read_log(path, "events", pairs)
    assert len(log) == 2
    assert [(r.line, r.field) for r in log.rejects] == [(4, "ts")]
    with pytest.raises(ValueError, match="--columns is for events"):
        read_log(path, "movielens", pairs)


@pytest.mark.parametrize("shape", ["csv", "csv with a bad row", "parquet"])
def test_episodes_roll_up_to_their_series_with_a_catalog(tmp_path: Path, shape: str) -> None:
    """With the catalog, the episodes a member watched are one interaction with their series,
    as training and the home page count them (a held-out episode of a series the member is
    watching is no title to find); films and titles the catalog lacks stay themselves."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    series = 9_000_000_000_000_000_001  # beyond 2^53: read as an integer, never a float
    events = [
        ("7", "11", "2024-01-02 10:00:00"),  # episode 1
        ("7", "12", "2024-01-03 10:00:00"),  # episode 2
        ("7", "11", "2024-01-01 10:00:00"),  # episode 1 again, earlier
        ("7", "500", "2024-01-04 10:00:00"),  # a film
        ("8", "12", "2024-01-05 10:00:00"),
        ("8", "777", "2024-01-05 11:00:00"),  # not in the catalog
    ]
    if shape == "csv with a bad row":
        events.append(("x", "12", "2024-01-05 12:00:00"))
    path = tmp_path / "events.csv"
    path.write_text(
        "member_id,title_id,start_utc\n" + "\n".join(",".join(r) for r in events) + "\n"
    )
    rows = [("11", "episode", str(series)), ("12", "episode", str(series)), ("500", "film", "")]
    if shape == "parquet":
        catalog = tmp_path / "catalog.parquet"
        pq.write_table(
            pa.table(
                {
                    "title_id": pa.array([int(r[0]) for r in rows], pa.int64()),
                    "kind": [r[1] for r in rows],
                    "series_id": pa.array([int(r[2]) if r[2] else None for r in rows], pa.int64()),
                }
            ),
            catalog,
        )
    else:
        catalog = tmp_path / "catalog.csv"
        catalog.write_text(
            "title_id,title,kind,series_id\n"
            + "\n".join(f"{t},Name {t},{k},{s}" for t, k, s in rows)
            + "\n"
        )
    log = read_log(path, "events", catalog=catalog)
    got = sorted(
        zip(log.users.tolist(), log.items.tolist(), log.values.tolist(), log.times.tolist(),
            strict=True)
    )  # fmt: skip
    day = 86_400
    jan1 = int(np.datetime64("2024-01-01T10:00:00", "s").astype(np.int64))
    assert got == [
        (7, 500, 1.0, jan1 + 3 * day),
        (7, series, 3.0, jan1 + 2 * day),  # three events of two episodes: one interaction,
        # timed by its latest start (each event a play of its own: the file has no seconds)
        (8, 777, 1.0, jan1 + 4 * day + 3600),
        (8, series, 1.0, jan1 + 4 * day),
    ]
    assert log.episodes == 4 and log.duplicates == 2
    assert "4 rows of episodes counted as their series" in log.summary()
    assert len(log.rejects) == (1 if "bad" in shape else 0)
    _accounted(log)


def test_a_bad_catalog_is_named_by_file_line_and_field(tmp_path: Path) -> None:
    events = tmp_path / "events.csv"
    events.write_text("member_id,title_id,start_utc\n7,11,2024-01-02 10:00:00\n")
    catalog = tmp_path / "catalog.csv"
    catalog.write_text("title_id,kind,series_id\n11,episode,5\n12,episode,S-1\n")
    with pytest.raises(IngestError, match=r"catalog\.csv, line 3, field 'series_id'"):
        read_log(events, "events", catalog=catalog)
    catalog.write_text("title_id,kind\n11,film\n")
    with pytest.raises(IngestError, match=r"catalog\.csv.*series_id"):
        read_log(events, "events", catalog=catalog)
    with pytest.raises(ValueError, match="--catalog is for events"):
        read_log(events, "movielens", catalog=catalog)


def test_a_null_in_a_parquet_id_column_rejects_that_row_only(tmp_path: Path) -> None:
    """One missing member id sends a Parquet file to the row reader, which read integer columns
    with a null through floats: every row became '7.0' and was rejected, and 64-bit ids lost
    their last digits. Only the row with the null is rejected now; the others keep exact ids."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    big = 9_000_000_000_000_000_001
    path = tmp_path / "events.parquet"
    pq.write_table(
        pa.table(
            {
                "member_id": pa.array([7, 7, None, 8], pa.int64()),
                "title_id": pa.array([big, 12, 13, None], pa.int64()),
                "start_utc": pa.array(
                    [1_709_323_200_000, None, 1_709_323_200_000, 1_709_323_200_000], pa.int64()
                ),  # milliseconds
            }
        ),
        path,
    )
    log = read_events(path)
    assert list(zip(log.users.tolist(), log.items.tolist(), strict=True)) == [(7, big)]
    assert log.times.tolist() == [1_709_323_200]
    assert [(r.line, r.field) for r in log.rejects] == [
        (2, "start_utc"),
        (3, "member_id"),
        (4, "title_id"),
    ]
    _accounted(log)


def test_event_rows_of_the_wrong_width_or_with_a_stray_quote_are_rejected(
    tmp_path: Path,
) -> None:
    """A row with a field too many, or too few, and a stray quote (a title id typed as "12)
    are rejected alone, named by their line; before, the first of them ended the whole read
    with pandas' tokenizing error, naming no file."""
    path = tmp_path / "events.csv"
    path.write_text(
        "member_id,title_id,start_utc,supplemental\n"
        "7,10,2024-01-01T00:00:00Z,\n"
        "7,11,2024-01-02T00:00:00Z,,extra\n"  # line 3
        '8,"12,2024-01-03T00:00:00Z,\n'  # line 4
        "8,13,2024-01-04T00:00:00Z,\n"
        '9,"14,5",2024-01-05T00:00:00Z,\n'  # line 6: quoted, one field, a bad id
        "9,15\n"  # line 7: no time
        "9,16,2024-01-06T00:00:00Z,,\n"  # an empty field beyond the header's: kept
        "9,17,2024-01-07T00:00:00Z\n"  # a supplemental column left off: main content
    )
    log = read_events(path)
    assert list(zip(log.users.tolist(), log.items.tolist(), strict=True)) == [
        (7, 10),
        (8, 13),
        (9, 16),
        (9, 17),
    ]
    assert [(r.line, r.field) for r in log.rejects] == [
        (3, ""),
        (4, ""),
        (6, "title_id"),
        (7, "start_utc"),
    ]
    assert "unbalanced quote" in log.rejects[1].reason
    assert log.rows_read == 8
    _accounted(log)


def test_the_catalog_rolls_up_as_ingest_and_training_read_it(tmp_path: Path) -> None:
    """The catalog is read by ingest's rules: the last row of a title wins, and only an episode
    (kind `episode`, or no kind and a series) counts as its series, as training counts it."""
    events = tmp_path / "events.csv"
    events.write_text(
        "member_id,title_id,start_utc\n"
        "7,11,2024-01-02 10:00:00\n7,12,2024-01-02 11:00:00\n7,13,2024-01-02 12:00:00\n"
    )
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(
        "title_id,kind,series_id\n"
        "11,episode,900\n"
        "11,episode,901\n"  # the last row of a title wins
        "12,film,900\n"  # a film, whatever its series_id says
        "13,,900\n"  # no kind, a series: an episode
    )
    log = read_log(events, "events", catalog=catalog)
    assert sorted(log.items.tolist()) == [12, 900, 901]
    assert log.episodes == 2
    jsonl = tmp_path / "catalog.jsonl"
    jsonl.write_text('{"title_id": 11, "series_id": 900}\n')
    with pytest.raises(IngestError, match="CSV or Parquet"):
        read_log(events, "events", catalog=jsonl)


@pytest.mark.parametrize("big", [False, True])
def test_segment_order_and_pair_lookup_agree_with_brute_force(big: bool) -> None:
    """Training's scan order (member, start, title, end; ties included) and "any flagged row in
    the pair", against a plain lexicographic sort and a dict, with ids small and near 2^62."""
    rng = np.random.default_rng(5)
    n = 3_000
    scale = 2**56 if big else 1  # ids near 2^62
    users = rng.integers(0, 40, n) * scale + 1
    titles = rng.integers(0, 30, n) * scale + 2
    starts = 1_600_000_000 + rng.integers(0, 200, n)  # many equal starts
    ends = starts + rng.integers(0, 5, n)
    order = data._segment_order(users, titles, starts, ends)
    # Members in any order (plays never span two): here, their first appearance.
    rank = {u: k for k, u in reversed(list(enumerate(users.tolist())))}
    cols = (users.tolist(), starts.tolist(), titles.tolist(), ends.tolist())
    key = [(rank[u], s, t, e) for u, s, t, e in zip(*cols, strict=True)]
    assert [key[i] for i in order] == sorted(key)
    flag = rng.random(n) < 0.02
    seen: dict[tuple[int, int], bool] = {}
    for u, t, f in zip(users.tolist(), titles.tolist(), flag.tolist(), strict=True):
        seen[(u, t)] = seen.get((u, t), False) or f
    expected = [seen[(u, t)] for u, t in zip(users.tolist(), titles.tolist(), strict=True)]
    assert data._any_in_pair(users, titles, flag).tolist() == expected
