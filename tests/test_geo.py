"""Countries and their zones: every ISO 3166 country, its most populous zone."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import available_timezones

import pytest

from bingewise.analytics import member_recap
from bingewise.geo import (
    COUNTRIES,
    country_code,
    country_name,
    country_zones,
    default_time_zone,
    is_country,
    is_time_zone,
)
from bingewise.ingest import ingest_paths
from bingewise.warehouse import Warehouse


@pytest.mark.parametrize(
    ("code", "zone"),
    [
        ("NO", "Europe/Oslo"),  # single-zone countries outside the audience list
        ("IE", "Europe/Dublin"),
        ("CH", "Europe/Zurich"),
        ("TH", "Asia/Bangkok"),
        ("EG", "Africa/Cairo"),
        ("RU", "Europe/Moscow"),  # several zones: the most populous, not zone.tab's first
        ("UA", "Europe/Kyiv"),
        ("CN", "Asia/Shanghai"),
        ("US", "America/New_York"),
        ("BR", "America/Sao_Paulo"),
        ("xx", "UTC"),
        (None, "UTC"),
    ],
)
def test_a_countrys_zone(code: str | None, zone: str) -> None:
    assert default_time_zone(code) == zone


def test_every_country_has_a_real_zone_and_a_name() -> None:
    zones = country_zones()
    assert len(zones) > 240
    assert set(zones.values()) <= available_timezones()
    assert all(c.code in zones and zones[c.code] == c.time_zone for c in COUNTRIES)
    assert country_name("no") == "Norway" and country_name("KR") == "South Korea"
    assert is_country("gb") and not is_country("XX") and not is_country(None)
    assert country_code("NO (Norway)") == "NO" and country_code("norway") == "NO"


def test_a_code_is_only_what_iso_3166_has() -> None:
    """``XX (Nowhere)`` read as ``XX`` before: two letters are no country by themselves. An
    alpha-3 code is no alpha-2 one (geo has no alpha-3 table to map it by)."""
    assert country_code("XX (Nowhere)") is None and country_code("xx") is None
    assert country_code("us (United States)") == "US"
    assert country_code("USA") is None and not is_country("USA")
    # Kosovo's code is only reserved by ISO, yet in common use (a Netflix export has it)
    assert country_code("XK (Kosovo)") == "XK" and default_time_zone("xk") == "Europe/Belgrade"


def test_time_zones() -> None:
    assert is_time_zone("Asia/Kathmandu") and is_time_zone("UTC")
    for name in ("Mars/Olympus", "europe/paris", "../zoneinfo/UTC", "", None):
        assert not is_time_zone(name)


def test_an_export_from_norway_has_oslo_days(tmp_path: Path) -> None:
    """A Norwegian profile's evening at 23:30 UTC in winter is the next local day (00:30 in
    Oslo); it was read in UTC before, the country unknown to the list of audiences."""
    path = tmp_path / "ViewingActivity.csv"
    path.write_text(
        "Profile Name,Start Time,Duration,Title,Country\n"
        "Ola,2024-01-10 23:30:00,00:40:00,Roma,NO (Norway)\n"
    )
    with Warehouse.open(":memory:") as wh:
        ingest_paths([path], warehouse=wh)
        (zone,) = wh.table("members").time_zone.to_pyarrow().to_pylist()
        (member,) = wh.table("members").member_id.to_pyarrow().to_pylist()
        recap = member_recap(wh, member)
    assert zone == "Europe/Oslo"
    assert recap is not None and [str(d["local_date"]) for d in recap.daily] == ["2024-01-11"]
