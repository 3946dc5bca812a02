"""Netflix display titles split into series, season and episode.

A Netflix export names what was watched with one display string, in the account's language::

    Stranger Things: Season 2: Chapter One: MADMAX
    Dark: Staffel 1: Geheimnisse (Folge 1)
    Avatar: The Last Airbender: Book One: Water: The Boy in the Iceberg
    Black Mirror: Bandersnatch                      (a film)

:func:`parse_title` turns such a string into :class:`TitleParts`. The rules, in order:

1. The text is cleaned (Unicode NFC, runs of white space made one space) and split into
   *segments* at every colon followed by white space (``"Re:Zero"`` stays whole).
2. **Season marker.** The first segment after the first one that is wholly a season marker
   splits the title: everything before it is the series (series names may contain colons:
   ``"Narcos: México: Temporada 1: ..."`` is series ``"Narcos: México"``), the marker is the
   season title, everything after it is the episode title. Markers:

   - numbered seasons: Season, Series, Temporada, Staffel, Saison, Stagione, Seizoen, Säsong,
     Sæson, Sesong, Sezon, Kausi, 시즌, シーズン + a number, perhaps released in parts
     (``"Booba: Season 2 (Part 1): Ep 3"``: season 2, season title ``"Season 2 (Part 1)"``);
   - numbered parts: Part, Parte, Partie, Teil, Deel, Volume, Vol., Book, Livro, Libro, Buch,
     Livre + a number;
   - limited series (no number, season ``None``): Limited Series, Miniseries, Mini-Series,
     Miniserie, Minissérie, Minisérie, Série limitée, Serie limitada, Serie limitata;
   - collections (Netflix's kids' playlists): Collection, with or without a number;
   - chapters, only as a last resort: a segment ``Chapter 6`` / ``Capítulo 6`` / ``Kapitel 6``
     / ``Chapitre 6`` / ``Capitolo 6`` *in digits*, followed by more segments, in a title with no
     other marker (``"The Creature Cases: Chapter 6: The Thirsty Thief"``). ``Chapter One``
     written in words is never a marker nor a number: Netflix uses it in episode titles
     (Stranger Things, Sabrina, Jane the Virgin) whose chapter numbers differ from episode
     numbers, and after a season marker a chapter is part of the episode title.

   A number is written in digits (up to 4), in Roman numerals (``Parte II``) or as a word from
   one to twenty in English (``Book One``) and from one to ten in Spanish, Portuguese, German and
   French. A marker may carry a sub-title after a dash (``"Staffel 1 - Secrets of ..."``), kept
   in the season title.
3. **Named seasons.** After a *Book* marker, a following one-word segment that is not the last
   one names the season: ``"Book One: Water: The Boy in the Iceberg"`` is season 1, season title
   ``"Book One: Water"``, episode ``"The Boy in the Iceberg"`` (Avatar's shape).
4. **Films with a part.** A *part* marker (Part, Volume, Book...) that ends the title makes a
   film, not a season: ``"Kill Bill: Vol. 1"``, ``"Um Lugar Silencioso: Parte II"``. A season or
   limited-series marker that ends the title is a season with no episode (``"Élite:
   Temporada 1"``, usually a trailer's or a season's own entry).
5. **Episode numbers** come from a trailing ``(Episode 3)`` in any of Episode, Episódio,
   Episodio, Folge, Épisode, Aflevering, Avsnitt, Afsnit, Odcinek, Jakso, Bölüm; the bracket is
   removed from the episode title. An episode title that is wholly ``"Episódio 3"`` also gives
   number 3 and stays the title. Missing numbers are ``None``.
6. **No season marker.** A title whose last segment ends with ``(Episode N)`` is still an
   episode: the first segment is the series, a middle segment (when there are three or more)
   is a named season (``"Stranger Things: Stranger Things 2: Capítulo três: O girino (Episódio
   3)"``: season title ``"Stranger Things 2"``, season 2 because it is the series name plus a
   number), the rest is the episode title. So is a title of three or more segments whose second
   is the series name plus a number, bracket or not (English exports write
   ``"Stranger Things: Stranger Things 4: Chapter One: The Hellfire Club"``). Otherwise the
   title is a **film**, colons and all: ``"Star Wars: Episode IV: A New Hope"`` and
   ``"Black Mirror: Bandersnatch"`` are films (a bare ``Episode IV`` segment counts only after
   a season marker). So is a title whose first segment is empty (no series name to belong to).

:func:`title_key` is the canonical text behind ids (cleaned, segments rejoined by ``": "``,
case-folded, so ``"Jane The Virgin"`` and ``"Jane the Virgin"`` are one series);
:func:`title_id` and :func:`series_id` are the stable ids every source uses for titles.
:func:`format_title` writes parts back in Netflix's English shape.

>>> parts = parse_title("The Crown: Season 1: Wolferton Splash (Episode 1)")
>>> parts.series, parts.season, parts.episode, parts.episode_title
('The Crown', 1, 1, 'Wolferton Splash')
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bingewise.ids import stable_id
from bingewise.schema import Catalog

__all__ = [
    "TitleParts",
    "clean_title",
    "format_title",
    "parse_title",
    "series_id",
    "split_segments",
    "title_id",
    "title_key",
]

_SEASON_WORDS = (
    "Season",
    "Collection",
    "Series",
    "Temporada",
    "Staffel",
    "Saison",
    "Stagione",
    "Seizoen",
    "Säsong",
    "Sæson",
    "Sesong",
    "Sezon",
    "Kausi",
    "시즌",
    "シーズン",
)
_BOOK_WORDS = ("Book", "Livro", "Libro", "Buch", "Livre")
_PART_WORDS = ("Part", "Parte", "Partie", "Teil", "Deel", "Volume", "Vol.", "Vol", *_BOOK_WORDS)
_LIMITED = (
    "Limited Series",
    "Miniseries",
    "Mini-Series",
    "Miniserie",
    "Minissérie",
    "Minisérie",
    "Série limitée",
    "Serie limitada",
    "Serie limitata",
    "Collection",
)
_CHAPTER_WORDS = ("Chapter", "Capítulo", "Capitulo", "Kapitel", "Chapitre", "Capitolo")
_EPISODE_WORDS = (
    "Episode",
    "Episódio",
    "Episodio",
    "Folge",
    "Épisode",
    "Aflevering",
    "Avsnitt",
    "Afsnit",
    "Odcinek",
    "Jakso",
    "Bölüm",
)

_WORD_NUMBERS: dict[str, int] = {}
for _words in (
    "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty",
    "uno dos tres cuatro cinco seis siete ocho nueve diez",
    "um dois três quatro cinco seis sete oito nove dez",
    "eins zwei drei vier fünf sechs sieben acht neun zehn",
    "un deux trois quatre cinq six sept huit neuf dix",
):
    for _n, _w in enumerate(_words.split(), start=1):
        _WORD_NUMBERS.setdefault(_w, _n)
_WORD_NUMBERS["uma"] = 1

_ROMAN = re.compile(r"M{0,3}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_NUMBER = r"[0-9]{1,4}|[IVXLCDM]+|[^\W\d_]+"
_SUBTITLE = r"(?:\s[-–—]\s(?P<sub>.+))?"
#: A season released in parts: "Season 2 (Part 1)", "Temporada 3 (Parte 2)".
_IN_PARTS = rf"(?:\s\((?:{_alternation(_PART_WORDS)})\s(?:{_NUMBER})\))?"
_SEASON_RE = re.compile(
    rf"(?P<word>{_alternation(_SEASON_WORDS)})\s(?P<num>{_NUMBER}){_IN_PARTS}{_SUBTITLE}",
    re.IGNORECASE,
)
_PART_RE = re.compile(
    rf"(?P<word>{_alternation(_PART_WORDS)})\s(?P<num>{_NUMBER}){_SUBTITLE}", re.IGNORECASE
)
_LIMITED_RE = re.compile(rf"(?P<word>{_alternation(_LIMITED)}){_SUBTITLE}", re.IGNORECASE)
_CHAPTER_RE = re.compile(rf"(?:{_alternation(_CHAPTER_WORDS)})\s(?P<num>[0-9]{{1,4}})", re.I)
_EP_WORD = _alternation(_EPISODE_WORDS)
_EPISODE_SUFFIX_RE = re.compile(rf"\s*\((?:{_EP_WORD})\s(?P<num>[0-9]{{1,4}})\)\Z", re.IGNORECASE)
_EPISODE_ONLY_RE = re.compile(rf"(?:{_EP_WORD})\s(?P<num>[0-9]{{1,4}})", re.IGNORECASE)
_SPLIT_RE = re.compile(r"\s*:\s+")
_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class TitleParts:
    """What a display title says about itself.

    ``kind`` is :attr:`Catalog.FILM` or :attr:`Catalog.EPISODE`. Films carry ``None`` in every
    other field. Episodes carry their series; ``season`` is the season number (``None`` for
    limited series and named seasons without a number), ``season_title`` the season as
    written (``"Staffel 2"``, ``"Limited Series"``), ``episode`` the episode number within the
    season (``None`` when the title does not say), ``episode_title`` the episode's own name
    (``None`` for a season-only entry).
    """

    kind: str
    series: str | None = None
    season: int | None = None
    season_title: str | None = None
    episode: int | None = None
    episode_title: str | None = None


_FILM = TitleParts(Catalog.FILM)


def clean_title(text: str) -> str:
    """NFC, white space collapsed to single spaces, ends stripped; display case kept."""
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def split_segments(text: str) -> list[str]:
    """The cleaned title split at colons followed by white space."""
    return _SPLIT_RE.split(clean_title(text))


def title_key(text: str) -> str:
    """Canonical text of a title for ids: cleaned, segments joined by ``": "``, case-folded."""
    return ": ".join(split_segments(text)).casefold()


def title_id(text: str) -> int:
    """The stable id of a display title: ``stable_id("title", title_key(text))``."""
    return stable_id("title", title_key(text))


def series_id(name: str) -> int:
    """The stable id of a series name: ``stable_id("series", title_key(name))``."""
    return stable_id("series", title_key(name))


def _roman(text: str) -> int | None:
    if not text or not _ROMAN.fullmatch(text):
        return None
    total = 0
    for i, ch in enumerate(text):
        value = _ROMAN_VALUES[ch]
        nxt = _ROMAN_VALUES[text[i + 1]] if i + 1 < len(text) else 0
        total += -value if value < nxt else value
    return total


def _number(text: str) -> int | None:
    """A season number written in digits, Roman numerals or as a word; ``None`` otherwise."""
    if text.isascii() and text.isdigit():
        return int(text)
    roman = _roman(text)
    if roman is not None:
        return roman
    return _WORD_NUMBERS.get(text.casefold())


@dataclass(frozen=True, slots=True)
class _Marker:
    kind: str  #: "season", "part" or "limited"
    number: int | None
    book: bool


def _marker(segment: str) -> _Marker | None:
    """The season marker that ``segment`` wholly is, if any."""
    for kind, regex in (("season", _SEASON_RE), ("part", _PART_RE)):
        m = regex.fullmatch(segment)
        if m:
            number = _number(m["num"])
            if number is None:
                continue
            book = m["word"].casefold() in {w.casefold() for w in _BOOK_WORDS}
            return _Marker(kind, number, book)
    if _LIMITED_RE.fullmatch(segment):
        return _Marker("limited", None, False)
    return None


def _episode_text(text: str) -> tuple[int | None, str | None]:
    """Episode number and title from the episode part of a title."""
    number: int | None = None
    m = _EPISODE_SUFFIX_RE.search(text)
    if m:
        number = int(m["num"])
        text = text[: m.start()]
    title = text or None
    if number is None and title is not None:
        only = _EPISODE_ONLY_RE.fullmatch(title)
        if only:
            number = int(only["num"])
    return number, title


def parse_title(text: str) -> TitleParts:
    """Split a Netflix display title into series, season and episode (rules: module docstring).

    Never raises: text that fits no rule is a film.

    >>> parse_title("Dark: Staffel 1: Geheimnisse (Folge 1)").episode
    1
    >>> parse_title("Black Mirror: Bandersnatch").kind
    'film'
    """
    segments = split_segments(text)
    if not segments[0]:
        return _FILM  # no series name to belong to
    for i in range(1, len(segments)):
        marker = _marker(segments[i])
        if marker is not None:
            return _split_at_marker(segments, i, marker)
    for i in range(1, len(segments) - 1):
        chapter = _CHAPTER_RE.fullmatch(segments[i])
        if chapter:
            return _split_at_marker(segments, i, _Marker("season", int(chapter["num"]), False))
    if len(segments) >= 2 and _EPISODE_SUFFIX_RE.search(segments[-1]):
        return _split_bracketed(segments)
    if len(segments) >= 3 and _numbered_series(segments[0], segments[1]) is not None:
        return _split_bracketed(segments)
    return _FILM


def _numbered_series(series: str, segment: str) -> int | None:
    """The number in a season named as the series plus a number ("Stranger Things 4")."""
    numbered = re.fullmatch(rf"{re.escape(series)} ([0-9]{{1,4}})", segment, re.IGNORECASE)
    return int(numbered[1]) if numbered else None


def _split_at_marker(segments: list[str], i: int, marker: _Marker) -> TitleParts:
    """Rules 2-5: ``segments[i]`` is the first season marker."""
    rest = segments[i + 1 :]
    if marker.kind == "part" and not rest:
        return _FILM
    season_title = segments[i]
    if marker.book and len(rest) >= 2 and rest[0] and " " not in rest[0]:
        season_title = f"{season_title}: {rest[0]}"
        rest = rest[1:]
    episode, episode_title = _episode_text(": ".join(rest)) if rest else (None, None)
    return TitleParts(
        Catalog.EPISODE,
        series=": ".join(segments[:i]),
        season=marker.number,
        season_title=season_title,
        episode=episode,
        episode_title=episode_title,
    )


def _split_bracketed(segments: list[str]) -> TitleParts:
    """Rule 6: no season marker, but an episode bracket ends the title or the second segment
    is the series name plus a number."""
    series = segments[0]
    season_title: str | None = None
    season: int | None = None
    rest = segments[1:]
    if len(segments) >= 3:
        season_title, rest = segments[1], segments[2:]
        season = _numbered_series(series, season_title)
    episode, episode_title = _episode_text(": ".join(rest))
    return TitleParts(
        Catalog.EPISODE,
        series=series,
        season=season,
        season_title=season_title,
        episode=episode,
        episode_title=episode_title,
    )


def format_title(parts: TitleParts, *, episode_word: str = "Episode") -> str | None:
    """An episode's parts written back as a Netflix-style title; ``None`` for films.

    The inverse of :func:`parse_title` for episodes: ``parse_title(format_title(p)) == p`` for
    the parts it produces.

    >>> format_title(TitleParts("episode", "Dark", 1, "Staffel 1", 1, "Geheimnisse"))
    'Dark: Staffel 1: Geheimnisse (Episode 1)'
    """
    if parts.kind != Catalog.EPISODE or parts.series is None:
        return None
    head = [parts.series]
    if parts.season_title is not None:
        head.append(parts.season_title)
    episode = parts.episode_title or ""
    only = _EPISODE_ONLY_RE.fullmatch(episode)
    if parts.episode is not None and not (only and int(only["num"]) == parts.episode):
        episode = f"{episode} ({episode_word} {parts.episode})".lstrip()
    if episode:
        head.append(episode)
    return ": ".join(head)
