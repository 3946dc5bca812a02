"""Reading MovieLens and viewing-event files for evaluation: shapes, bad rows, accounting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bingewise.ingest.base import IngestError
from bingewise.recommend.evaluation.data import read_events, read_log, read_movielens


def _accounted(log) -> None:  # type: ignore[no-untyped-def]
    assert log.rows_read == len(log) + log.duplicates + len(log.rejects)


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
    first = np.datetime64("2024-01-01T09:00:00").astype("datetime64[s]").astype(np.int64)
    assert log.times[0] == first  # first start of the title
    assert [(r.line, r.field) for r in log.rejects] == [(5, "start_utc"), (6, "title_id")]
    _accounted(log)
