"""Countries Bingewise knows: ISO code, name, a representative IANA time zone, a size weight.

Sources often give a country but no time zone (a Netflix export says ``US (United States)``).
Local days need a zone: :func:`default_time_zone` gives the country's most populous one; a
member's own zone from the registry, or ``--tz``, always wins over it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["COUNTRIES", "Country", "country_code", "default_time_zone"]


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

_BY_CODE = {c.code: c for c in COUNTRIES}
_BY_NAME = {c.name.lower(): c for c in COUNTRIES}


def country_code(text: str | None) -> str | None:
    """ISO code from ``"US"``, ``"US (United States)"`` or ``"United States"``; None if unknown.

    >>> country_code("BR (Brazil)")
    'BR'
    """
    if not text:
        return None
    text = text.strip()
    head = text.split("(", 1)[0].strip().upper()
    if len(head) == 2 and head.isalpha():
        return head
    found = _BY_NAME.get(text.lower())
    return found.code if found else None


def default_time_zone(code: str | None) -> str:
    """The country's most populous IANA zone; ``"UTC"`` when the country is unknown.

    >>> default_time_zone("MX")
    'America/Mexico_City'
    """
    found = _BY_CODE.get((code or "").upper())
    return found.time_zone if found else "UTC"
