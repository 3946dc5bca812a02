"""The "year in binge" infographic: one Altair chart per fact, with 95% error bars.

It draws only what a :class:`~bingewise.privacy.release.Release` published (noisy values and
their intervals), states ε and δ in its title, and is written as PNG (rendered by vl-convert,
no browser) and as a self-contained HTML page (Vega libraries inlined: works offline).
"""

from __future__ import annotations

from pathlib import Path

import altair as alt
import pandas as pd

from bingewise.privacy.release import PublishedFact, Release

__all__ = ["infographic", "write_infographic"]

_BAR = "#5b3cc4"
_RULE = "#1b1b1b"
_WIDTH = 330
_ROW = 20  #: pixels per bar
_NAMES = {"laplace": "Laplace", "laplace_threshold": "Laplace", "gaussian": "Gaussian"}


def _frame(fact: PublishedFact) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "label": [i.label for i in fact.items],
            "value": [i.value for i in fact.items],
            "low": [i.low for i in fact.items],
            "high": [i.high for i in fact.items],
            "detail": [i.detail for i in fact.items],
        }
    )


def _subtitle(fact: PublishedFact) -> list[str]:
    parts = []
    for m in fact.mechanisms:
        text = f"{_NAMES.get(m['mechanism'], m['mechanism'])}, ε = {m['epsilon']:.3g}"
        if m["delta"]:
            text += f", δ = {m['delta']:.1e}"
        if "threshold" in m:
            text += f"; shown only if ≥ {m['threshold']}"
        parts.append(text)
    return ["; ".join(parts)]


def _empty(fact: PublishedFact) -> alt.Chart:
    note = pd.DataFrame({"text": ["No group was large enough to publish."]})
    return (
        alt.Chart(note, title=alt.Title(fact.title, subtitle=_subtitle(fact)))
        .mark_text(fontSize=13, color="#666")
        .encode(text="text:N")
        .properties(width=_WIDTH, height=60)
    )


def _bars(
    fact: PublishedFact, *, keep_order: bool, percent: bool = False
) -> alt.Chart | alt.LayerChart:
    """Horizontal bars of the published values with their 95% intervals as black rules."""
    if not fact.items:
        return _empty(fact)
    data = _frame(fact)
    order: list[str] | str = list(data["label"]) if keep_order else "-x"
    fmt = ".1f" if percent else ",.0f"
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=230))
    x_title = fact.unit + " (95% interval)"
    base = alt.Chart(data, title=alt.Title(fact.title, subtitle=_subtitle(fact)))
    bars = base.mark_bar(color=_BAR, opacity=0.85).encode(
        x=alt.X("value:Q", title=x_title, scale=alt.Scale(zero=True)),
        y=y,
        tooltip=[
            alt.Tooltip("label:N", title=""),
            alt.Tooltip("value:Q", format=fmt),
            alt.Tooltip("low:Q", format=fmt),
            alt.Tooltip("high:Q", format=fmt),
            alt.Tooltip("detail:N", title=""),
        ],
    )
    rules = base.mark_rule(color=_RULE, strokeWidth=1.5).encode(x="low:Q", x2="high:Q", y=y)
    ticks = base.mark_tick(color=_RULE, thickness=1.5, size=10).encode(x="high:Q", y=y)
    ticks_low = base.mark_tick(color=_RULE, thickness=1.5, size=10).encode(x="low:Q", y=y)
    return (bars + rules + ticks + ticks_low).properties(
        width=_WIDTH, height=max(_ROW * len(data), 40)
    )


def infographic(release: Release) -> alt.VConcatChart:
    """The whole infographic of ``release`` (two columns of charts under a title)."""
    f = release.fact
    left = alt.vconcat(
        _bars(f("top_titles"), keep_order=False),
        _bars(f("binge_racers"), keep_order=False),
        _bars(f("title_streaks"), keep_order=True),
    )
    right = alt.vconcat(
        _bars(f("countries"), keep_order=False, percent=True),
        _bars(f("longest_streaks"), keep_order=True),
        _bars(f("hours_per_day"), keep_order=True),
    )
    title = alt.Title(
        f"Year in binge {release.period}",
        subtitle=[
            f"Published with differential privacy (OpenDP): ε = {release.epsilon:g}, "
            f"δ = {release.delta:.0e} for the whole release; privacy unit: one member.",
            "Bars are noisy values; black lines are 95% intervals. "
            "Groups under a threshold are not shown.",
        ],
        fontSize=20,
        subtitleFontSize=12,
        anchor="start",
    )
    return (
        alt.vconcat(alt.hconcat(left, right, spacing=40), title=title)
        .configure_view(stroke=None)
        .configure_title(anchor="start", subtitleColor="#555")
        .configure_axis(labelFontSize=11, titleFontSize=11)
    )


def write_infographic(release: Release, folder: Path, stem: str) -> tuple[Path, Path]:
    """Write ``stem.png`` and ``stem.html`` into ``folder``; return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    chart = infographic(release)
    png = folder / f"{stem}.png"
    html = folder / f"{stem}.html"
    chart.save(str(png), scale_factor=1.5)
    chart.save(str(html), inline=True)
    return png, html
