"""Countries: ISO code, name and a representative IANA time zone; audience weights for some.

Sources often give a country but no time zone (a Netflix export says ``US (United States)``).
Local days need a zone: :func:`default_time_zone` gives the country's most populous one; a
member's own zone from the registry, or ``--tz``, always wins over it.

Every country of ISO 3166 is known, from the tz database's own tables (``iso3166.tab`` for names,
``zone.tab`` for zones, as the ``tzdata`` package ships them): a single-zone country's zone is
its only one. For countries with several zones the zone is the most populous one: hand-picked
for :data:`COUNTRIES` (the audience weights of synthetic platforms) and :data:`_POPULOUS`,
else ``zone.tab``'s first for the country (its most populous for the rest, e.g. Asia/Shanghai).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "COUNTRIES",
    "COUNTRY_FORM",
    "Country",
    "country_code",
    "country_codes",
    "country_name",
    "country_zones",
    "default_time_zone",
    "is_country",
    "is_time_zone",
]

#: What a country field holds, as messages say it. ISO 3166-1 alpha-3 codes (``USA``) are not
#: read: the tz database, the only country table shipped, knows alpha-2 codes only.
COUNTRY_FORM = "an ISO 3166-1 alpha-2 country code (two letters, such as US)"


@dataclass(frozen=True, slots=True)
class Country:
    """A country with its most populous time zone and a rough streaming-audience weight."""

    code: str  #: ISO 3166-1 alpha-2
    name: str
    time_zone: str  #: IANA zone
    weight: float  #: relative audience size (for synthetic platforms)


COUNTRIES: tuple[Country, ...] = (
    Country("US", "United States", "America/New_York", 60.0),
    Country("BR", "Brazil", "America/Sao_Paulo", 20.0),
    Country("MX", "Mexico", "America/Mexico_City", 9.0),
    Country("GB", "United Kingdom", "Europe/London", 12.0),
    Country("CA", "Canada", "America/Toronto", 7.0),
    Country("DE", "Germany", "Europe/Berlin", 10.0),
    Country("FR", "France", "Europe/Paris", 9.0),
    Country("ES", "Spain", "Europe/Madrid", 5.0),
    Country("IT", "Italy", "Europe/Rome", 4.0),
    Country("NL", "Netherlands", "Europe/Amsterdam", 3.0),
    Country("AR", "Argentina", "America/Argentina/Buenos_Aires", 5.0),
    Country("CO", "Colombia", "America/Bogota", 3.0),
    Country("CL", "Chile", "America/Santiago", 2.0),
    Country("PT", "Portugal", "Europe/Lisbon", 1.5),
    Country("PL", "Poland", "Europe/Warsaw", 2.5),
    Country("SE", "Sweden", "Europe/Stockholm", 1.5),
    Country("AU", "Australia", "Australia/Sydney", 5.0),
    Country("NZ", "New Zealand", "Pacific/Auckland", 1.0),
    Country("JP", "Japan", "Asia/Tokyo", 4.0),
    Country("KR", "South Korea", "Asia/Seoul", 3.0),
    Country("IN", "India", "Asia/Kolkata", 4.0),
    Country("PH", "Philippines", "Asia/Manila", 1.5),
    Country("ZA", "South Africa", "Africa/Johannesburg", 1.0),
    Country("TR", "Turkey", "Europe/Istanbul", 1.5),
)

#: Multi-zone countries outside :data:`COUNTRIES` whose first ``zone.tab`` zone is not their
#: most populous.
_POPULOUS = {
    "RU": "Europe/Moscow",
    "UA": "Europe/Kyiv",
    "UZ": "Asia/Tashkent",
    "PS": "Asia/Hebron",
    "KI": "Pacific/Tarawa",
    "GL": "America/Nuuk",
}


def _tab(name: str) -> list[list[str]]:
    """The rows of one of the tz database's tables (comments and blank lines left out)."""
    text = resources.files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


#: Codes in common use that ISO 3166 only reserves: XK is Kosovo's (the European Commission's,
#: and Netflix's: an export says ``XK (Kosovo)``); the tz database files Kosovo under Belgrade.
_USER_ASSIGNED = {"XK": ("Kosovo", "Europe/Belgrade")}


@functools.cache
def _tables() -> tuple[dict[str, str], dict[str, str]]:
    """(code → name, code → zone) of every country."""
    names = {row[0]: row[1] for row in _tab("iso3166.tab")}
    zones: dict[str, str] = {}
    for row in _tab("zone.tab"):
        zones.setdefault(row[0], row[2])
    for code, (name, zone) in _USER_ASSIGNED.items():
        names.setdefault(code, name)
        zones.setdefault(code, zone)
    zones |= _POPULOUS
    for c in COUNTRIES:
        names[c.code] = c.name
        zones[c.code] = c.time_zone
    return names, zones


@functools.cache
def _by_name() -> dict[str, str]:
    names, _ = _tables()
    return {name.casefold(): code for code, name in names.items()}


def country_name(code: str | None) -> str | None:
    """The English name of an ISO 3166 code (``"NO"`` → ``"Norway"``); ``None`` if unknown."""
    return _tables()[0].get((code or "").upper())


def is_country(code: str | None) -> bool:
    """Whether ``code`` is an ISO 3166 alpha-2 country code (any case)."""
    return country_name(code) is not None


def country_codes() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code known (upper case)."""
    return frozenset(_tables()[0])


def is_time_zone(name: str | None) -> bool:
    """Whether ``name`` is an IANA time zone (``"Europe/Paris"``; case as the tz database spells
    it, since a zone is looked up by file name).

    >>> is_time_zone("Asia/Kathmandu"), is_time_zone("Mars/Olympus")
    (True, False)
    """
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def country_zones() -> dict[str, str]:
    """Every country's zone, as :func:`default_time_zone` gives it."""
    return dict(_tables()[1])


def country_code(text: str | None) -> str | None:
    """ISO code from ``"US"``, ``"US (United States)"`` or ``"United States"``; None if unknown
    (``"XX (Nowhere)"`` too: a code is only what ISO 3166 has).

    >>> country_code("BR (Brazil)")
    'BR'
    """
    if not text:
        return None
    text = text.strip()
    head = text.split("(", 1)[0].strip().upper()
    if len(head) == 2 and head.isalpha():
        return head if is_country(head) else None
    return _by_name().get(text.casefold())


def default_time_zone(code: str | None) -> str:
    """The country's most populous IANA zone; ``"UTC"`` when the country is unknown.

    >>> default_time_zone("MX"), default_time_zone("no")
    ('America/Mexico_City', 'Europe/Oslo')
    """
    return _tables()[1].get((code or "").upper(), "UTC")
