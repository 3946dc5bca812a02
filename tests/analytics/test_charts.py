"""Recap charts: what the bars show (the pictures themselves are looked at by people)."""

from __future__ import annotations

from typing import Any

from bingewise import charts


def _bar_data(chart: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    spec = chart.to_dict()
    layer = spec["layer"][0]
    return spec["data"]["values"], layer["encoding"]["x"]["axis"]


def test_top_bars_keep_alike_names_apart_and_count_plays_in_whole_numbers() -> None:
    long = "Super Monsters Monster Party: Songs: The Very Long Special"
    items = [
        {"name": long, "hours": 1.0, "plays": 1},
        {"name": long.replace("Very", "Rather"), "hours": 2.0, "plays": 1},  # same 40-char cut
        {"name": "Roma", "hours": 0.5, "plays": 1},
        {"name": "Roma", "hours": 0.2, "plays": 1},  # two shows of one name
    ]
    values, axis = _bar_data(charts.top_bar(items, title="Top films", measure="plays"))
    names = [v["name"] for v in values]
    assert len(set(names)) == 4  # four bars, none stacked on another
    assert {n.replace("\u200b", "") for n in names} == {long[:39] + "…", "Roma"}
    assert [v["hours"] for v in values] == [1, 1, 1, 1]
    assert axis["format"] == "d" and axis["values"] == [0, 1]
    items[0]["plays"] = 23
    _, axis = _bar_data(charts.top_bar(items, title="Top films", measure="plays"))
    assert axis["values"] == [0, 5, 10, 15, 20, 25]
    items[0]["plays"] = 113
    _, axis = _bar_data(charts.top_bar(items, title="Top films", measure="plays"))
    assert axis["values"] == [0, 20, 40, 60, 80, 100, 120]
    _, hours_axis = _bar_data(charts.top_bar(items, title="Top films"))
    assert "format" not in hours_axis


def test_bar_labels_read_alike() -> None:
    """Hour labels all carry one decimal and a thousands separator ("2.0" beside "2.4",
    "10,099.0"); play labels are whole."""
    items = [{"name": "A", "hours": 2.0, "plays": 3}, {"name": "B", "hours": 10099.04, "plays": 1}]
    hours = charts.top_bar(items, title="Top series").to_dict()["layer"][1]["encoding"]["text"]
    plays = charts.top_bar(items, title="Top", measure="plays").to_dict()["layer"][1]["encoding"]
    assert hours["format"] == ",.1f" and plays["text"]["format"] == ",d"
    svg = charts.to_svg(charts.top_bar(items, title="Top series"))
    assert ">2.0<" in svg and ">10,099.0<" in svg


def test_a_png_draws_no_emoji_and_survives_control_characters() -> None:
    """vl-convert draws with the machine's text fonts: an emoji would be an empty box (a server
    has no emoji font), and a character XML forbids aborted the process. The PNG of names with
    emoji is the PNG of the names without them; the SVG (for a browser) keeps them."""

    def bars(names: list[str], title: str) -> Any:
        items = [{"name": n, "hours": 2.0 - i / 2, "plays": 1} for i, n in enumerate(names)]
        return charts.top_bar(items, title=title)

    fancy = ["Amélie ❤️", "The Movie ★ Edition 🎬", "🎬 Kids", "Kids 👨‍👩‍👧", "Dark\x0bSide\x01"]
    plain = ["Amélie ❤", "The Movie ★ Edition", "Kids", "Kids\u200b", "Dark Side"]
    png = charts.to_png(bars(fancy, "🍿 Top films 🍿"), scale=1)
    assert png == charts.to_png(bars(plain, "Top films"), scale=1)
    svg = charts.to_svg(bars(fancy, "Top films 🍿"))
    assert "🎬" in svg and "👨‍👩‍👧" in svg and "\x01" not in svg
    assert [charts.drawable(n) for n in fancy] == ["Amélie ❤", *plain[1:3], "Kids", "Dark Side"]
    assert charts.drawable("🇩🇪 1️⃣ ✅ ⭐ 😀") == ""  # flags, keycaps, emoji by default
    assert charts.drawable("Юля · 千と千尋 – ½ × ≥ …") == "Юля · 千と千尋 – ½ × ≥ …"  # not emoji
