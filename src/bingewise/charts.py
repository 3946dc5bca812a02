"""Charts for recaps and facts: Altair specs, rendered to PNG/SVG without a browser (vl-convert).

Every chart takes plain rows (lists of dicts) so callers stay engine-agnostic. Hours are hours
watched; days are the member's local days; weekdays are 0 = Monday … 6 = Sunday.

>>> chart = weekday_hour_heatmap([{"weekday": 0, "hour": 21, "hours": 1.5}])
>>> to_png(chart)[:4]
b'\\x89PNG'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import altair as alt
import vl_convert as vlc

__all__ = [
    "calendar_heatmap",
    "drawable",
    "save",
    "to_png",
    "to_svg",
    "top_bar",
    "weekday_hour_heatmap",
]

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
SCHEME: Literal["reds"] = "reds"
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"

# Emoji, which vl-convert cannot draw: it draws with the machine's text fonts, and a server has no
# emoji font, so each would be an empty box. The characters Unicode shows as emoji by default
# (Emoji_Presentation) in the first plane, and every pictograph of plane 1's symbol blocks
# (U+1F000-U+1FAFF: emoji, skin tones, flags' letters, mahjong and cards). Symbols shown as text
# by default (★, ❤, ©) are text fonts' to draw and stay.
_EMOJI_BMP = (
    "\u231a\u231b\u23e9-\u23ec\u23f0\u23f3\u25fd\u25fe\u2614\u2615\u2648-\u2653\u267f\u2693"
    "\u26a1\u26aa\u26ab\u26bd\u26be\u26c4\u26c5\u26ce\u26d4\u26ea\u26f2\u26f3\u26f5\u26fa"
    "\u26fd\u2705\u270a\u270b\u2728\u274c\u274e\u2753-\u2755\u2757\u2795-\u2797\u27b0\u27bf"
    "\u2b1b\u2b1c\u2b50\u2b55"
)
# An emoji with what only means something beside it: presentation selectors, skin tones, tags
# (a region's flag), and ZWJ-joined parts (a family, "woman running" with ♀); keycaps (1️⃣).
_EMOJI_SEQUENCE = re.compile(
    f"(?:[{_EMOJI_BMP}\U0001F000-\U0001FAFF]|[#*0-9]\ufe0f?\u20e3)"
    "(?:[\ufe0e\ufe0f\U000E0020-\U000E007F]|\u200d.[\ufe0e\ufe0f]?)*"
)
# Presentation selectors and keycap marks left beside a text symbol (❤️ is drawn as ❤).
_SELECTORS = re.compile("[\ufe0e\ufe0f\u20e3\U000E0020-\U000E007F]")
# Characters XML forbids (vl-convert lays text out as SVG and aborts the process on them) and
# other control characters: the spacing ones become a space, the rest go.
_CONTROL_SPACE = re.compile("[\x0b\x0c\x1c-\x1f\x85]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(" {2,}")
# Spaces left at an end, before or after the zero-width spaces that tell alike names apart.
_END_SPACES = re.compile("^(\u200b*) +| +(\u200b*)$")


def _without(text: str, *patterns: tuple[re.Pattern[str], str]) -> str:
    """``text`` with control characters, then each pattern, replaced (spaces tidied after)."""
    out = text
    for pattern, by in ((_CONTROL_SPACE, " "), (_CONTROL, ""), *patterns):
        out = pattern.sub(by, out)
    if out == text:
        return text
    return _END_SPACES.sub(lambda m: m.group(1) or m.group(2) or "", _SPACES.sub(" ", out))


def drawable(text: str) -> str:
    """``text`` as a PNG can show it: without emoji and control characters (what was around
    them keeps single spaces). Used on every string of a chart rendered to PNG; the SVG of the
    HTML page keeps emoji, which a browser draws.

    >>> drawable("Mía 🍿"), drawable("Amélie ❤️"), drawable("Kids 👨‍👩‍👧 TV"), drawable("🎬")
    ('Mía', 'Amélie ❤', 'Kids TV', '')
    """
    return _without(text, (_EMOJI_SEQUENCE, " "), (_SELECTORS, ""))


def _xml_safe(text: str) -> str:
    """``text`` without the control characters XML forbids (a browser draws the rest)."""
    return _without(text)


def _strings(value: Any, clean: Any) -> Any:
    """``value`` (a chart's JSON) with ``clean`` applied to every string in it but keys."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [_strings(v, clean) for v in value]
    if isinstance(value, dict):
        return {k: _strings(v, clean) for k, v in value.items()}
    return value


def _themed(chart: Any) -> Any:
    return (
        chart.configure(font=FONT)
        .configure_view(stroke=None)
        .configure_axis(labelFont=FONT, titleFont=FONT, grid=False)
        .configure_title(font=FONT, fontSize=16, anchor="start")
        .configure_legend(labelFont=FONT, titleFont=FONT)
    )


def calendar_heatmap(
    daily: Sequence[dict[str, Any]], year: int, *, width: int = 720, measure: str = "hours"
) -> alt.Chart:
    """A year calendar: one square per local day (weeks across, weekdays down), hours in colour.

    ``daily`` rows: ``{"local_date": date, "hours": float}``; missing days are drawn empty.
    ``measure="plays"`` colours by ``daily[i]["plays"]`` instead (sources with dates only).
    """
    first = dt.date(year, 1, 1)
    hours = {r["local_date"]: float(r[measure]) for r in daily}
    rows: list[dict[str, Any]] = []
    day = first
    while day.year == year:
        rows.append(
            {
                "date": day.isoformat(),
                "week": (day - (first - dt.timedelta(days=first.weekday()))).days // 7,
                "weekday": WEEKDAYS[day.weekday()],
                "month": day.strftime("%b"),
                "hours": round(hours.get(day, 0.0), 2),
                "first": day.day == 1,
            }
        )
        day += dt.timedelta(days=1)
    base = alt.Chart(alt.Data(values=rows))
    cells = base.mark_rect(cornerRadius=2, stroke="white", strokeWidth=1).encode(
        x=alt.X("week:O", axis=None),
        y=alt.Y("weekday:O", sort=WEEKDAYS, title=None),
        color=alt.condition(
            "datum.hours > 0",
            alt.Color("hours:Q", scale=alt.Scale(scheme=SCHEME), legend=alt.Legend(title=measure)),
            alt.value("#eeeeee"),
        ),
        tooltip=["date:N", "hours:Q"],
    )
    months = (
        base.transform_filter("datum.first")
        .mark_text(align="left", baseline="bottom", dy=-4, fontSize=11, font=FONT)
        .encode(x=alt.X("week:O", axis=None), y=alt.value(0), text="month:N")
    )
    weeks = rows[-1]["week"] + 1
    return (cells + months).properties(
        width=width,
        height=max(90, width * 7 // weeks),
        title=alt.TitleParams(f"Every day of {year}", offset=18),
    )


def weekday_hour_heatmap(cells: Sequence[dict[str, Any]], *, width: int = 720) -> alt.Chart:
    """Hours watched by local weekday (rows) and hour of day (columns).

    ``cells`` rows: ``{"weekday": 0..6, "hour": 0..23, "hours": float}``.
    """
    filled = {(int(c["weekday"]), int(c["hour"])): float(c["hours"]) for c in cells}
    rows = [
        {"weekday": WEEKDAYS[w], "hour": h, "hours": round(filled.get((w, h), 0.0), 2)}
        for w in range(7)
        for h in range(24)
    ]
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_rect(cornerRadius=2, stroke="white", strokeWidth=1)
        .encode(
            x=alt.X("hour:O", title="hour of the day (local)", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("weekday:O", sort=WEEKDAYS, title=None),
            color=alt.condition(
                "datum.hours > 0",
                alt.Color("hours:Q", scale=alt.Scale(scheme=SCHEME), legend=None),
                alt.value("#eeeeee"),
            ),
            tooltip=["weekday:N", "hour:O", "hours:Q"],
        )
        .properties(width=width, height=180, title="When you watch")
    )


#: Whole-number tick steps (1, 2, 5, 10, 20, 25, 50, ...): at most about six ticks per axis.
_NICE_STEPS = [m * 10**e for e in range(12) for m in (1, 2, 5)] + [10**12]


def top_bar(
    items: Sequence[dict[str, Any]],
    *,
    title: str,
    width: int = 720,
    max_label: int = 40,
    measure: str = "hours",
) -> alt.Chart:
    """Horizontal bars of hours (or ``measure="plays"``) per name, most watched on top.

    ``items`` rows: ``{"name": str, "hours": float, "plays": int}``.
    """
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for r in items:
        name = r["name"] if len(r["name"]) <= max_label else r["name"][: max_label - 1] + "…"
        # One bar per item, even when two names (or their cuts, or what a PNG can draw of them:
        # "Kids 🎬", "Kids 😀") are alike.
        while drawable(name) in seen:
            name += "\u200b"  # invisible: the label reads the same
        seen.add(drawable(name))
        rows.append({"name": name, "hours": round(float(r[measure]), 1)})
    axis = alt.Axis(tickCount=6)
    if measure == "plays" and rows:  # whole numbers: no tick at 0.2 (or 0.5) of a play
        top = int(max(r["hours"] for r in rows))
        step = next(s for s in _NICE_STEPS if top <= 6 * s)
        axis = alt.Axis(values=list(range(0, top + step, step)), format="d")
    base = alt.Chart(alt.Data(values=rows)).encode(
        y=alt.Y("name:N", sort="-x", title=None, axis=alt.Axis(labelLimit=320)),
        x=alt.X("hours:Q", title=measure, axis=axis),
    )
    bars = base.mark_bar(color="#b2182b", cornerRadiusEnd=3)
    # Hours with one decimal ("2.0" next to "2.4", "10,099.0"), plays whole ("1,204").
    label_format = ",d" if measure == "plays" else ",.1f"
    labels = base.mark_text(align="left", dx=4, font=FONT).encode(
        text=alt.Text("hours:Q", format=label_format)
    )
    return (bars + labels).properties(width=width, height=max(40, 26 * len(rows)), title=title)


def _spec(chart: Any, clean: Any = _xml_safe) -> dict[str, Any]:
    spec: dict[str, Any] = _strings(_themed(chart).to_dict(), clean)
    return spec


def to_png(chart: Any, *, scale: float = 2.0) -> bytes:
    """PNG bytes of an Altair chart (vl-convert, no browser), its text :func:`drawable`."""
    return bytes(vlc.vegalite_to_png(_spec(chart, drawable), scale=scale))


def to_svg(chart: Any) -> str:
    """SVG text of an Altair chart (for a browser: emoji kept, control characters left out)."""
    return str(vlc.vegalite_to_svg(_spec(chart)))


def save(chart: Any, path: str | Path) -> Path:
    """Write ``chart`` as ``.png``, ``.svg`` or ``.html`` (self-contained SVG page)."""
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix == ".png":
        out.write_bytes(to_png(chart))
    elif suffix == ".svg":
        out.write_text(to_svg(chart), encoding="utf-8")
    elif suffix == ".html":
        out.write_text(f"<!doctype html><meta charset='utf-8'>{to_svg(chart)}", encoding="utf-8")
    else:
        raise ValueError(f"{out}: unsupported chart format {suffix!r} (use .png, .svg, .html)")
    return out
