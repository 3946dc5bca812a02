"""Measured accuracy of every published fact of the year in binge, next to its stated accuracy.

A synthetic platform (``bingewise.privacy.inputs.synthetic_tables``) is released many times at
ε = 1, δ = 1e-7. For each fact the absolute error of every published count against the true
(bounded) count is collected; the table gives the median over releases of the mean absolute
error, the 95th percentile of the absolute error, the stated 95% accuracy, their ratio (≤ 1 means
the statement holds; per item, error over that item's half-width), and the share of published
intervals that contain the true value (should be ≥ 95%). For countries, the error is of the
published share (percentage points) against the true share; "stated" is the median half-width
of the published intervals (they vary by country and are asymmetric).

Run: ``uv run python -m benchmarks.privacy.accuracy [--members 50000] [--releases 30]``.
Writes ``benchmarks/results/privacy_accuracy.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import numpy as np

from bingewise.console import progress
from bingewise.privacy.inputs import synthetic_tables
from bingewise.privacy.release import aggregate, plan_release, run_release

RESULTS = Path(__file__).resolve().parents[1] / "results" / "privacy_accuracy.json"
COUNT_FACTS = ("top_titles", "binge_racers", "longest_streaks", "title_streaks", "hours_per_day")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50_000)
    parser.add_argument("--releases", type=int, default=30)
    parser.add_argument("--epsilon", type=float, default=1.0)
    parser.add_argument("--delta", type=float, default=1e-7)
    parser.add_argument("--seed", type=int, default=2017)
    args = parser.parse_args()

    tables = synthetic_tables(args.members, seed=args.seed)
    counts = aggregate(tables)
    plan = plan_release(args.epsilon, args.delta, tables.period.days)
    true_share = {
        c: 100 * counts["countries.viewing_days"].get(c, 0) / tables.period.days / n
        for c, n in counts["countries.members"].items()
        if n
    }
    mae: dict[str, list[float]] = {f: [] for f in (*COUNT_FACTS, "countries")}
    errors: dict[str, list[float]] = {f: [] for f in mae}
    halfwidth: list[float] = []
    relative: dict[str, list[float]] = {f: [] for f in mae}  #: |error| / item's half-width
    covered: dict[str, list[bool]] = {f: [] for f in mae}  #: true value inside [low, high]
    shown: dict[str, list[int]] = {f: [] for f in mae}
    with progress() as bar:
        task = bar.add_task("releases", total=args.releases)
        for _ in range(args.releases):
            release = run_release(tables, plan, release_id="bench", counts=counts)
            for name in COUNT_FACTS:
                items = release.fact(name).items
                errs = [abs(i.value - counts[name].get(i.key, 0)) for i in items]
                acc = plan.mechanisms[name].accuracy_95
                relative[name].extend(e / acc for e in errs)
                covered[name].extend(i.low <= counts[name].get(i.key, 0) <= i.high for i in items)
                shown[name].append(len(items))
                if errs:
                    mae[name].append(float(np.mean(errs)))
                    errors[name].extend(errs)
            items = release.fact("countries").items
            errs = [abs(i.value - true_share[i.key]) for i in items]
            halfwidth.extend((i.high - i.low) / 2 for i in items)
            relative["countries"].extend(
                e / ((i.high - i.low) / 2) for e, i in zip(errs, items, strict=True)
            )
            covered["countries"].extend(i.low <= true_share[i.key] <= i.high for i in items)
            shown["countries"].append(len(items))
            if errs:
                mae["countries"].append(float(np.mean(errs)))
                errors["countries"].extend(errs)
            bar.advance(task)

    rows = []
    for name in mae:
        if name == "countries":
            stated = statistics.median(halfwidth) if halfwidth else float("nan")
            unit = "pp"
        else:
            stated = plan.mechanisms[name].accuracy_95
            unit = "members"
        errs = np.array(errors[name]) if errors[name] else np.array([np.nan])
        p95 = float(np.percentile(errs, 95))
        rows.append(
            {
                "fact": name,
                "unit": unit,
                "epsilon": sum(
                    m.epsilon for k, m in plan.mechanisms.items() if k.split(".")[0] == name
                ),
                "items_shown_median": statistics.median(shown[name]),
                "mae_median": statistics.median(mae[name]) if mae[name] else float("nan"),
                "abs_error_p95": p95,
                "stated_accuracy_95": stated,
                "ratio_p95_to_stated": float(np.percentile(relative[name], 95)),
                "interval_coverage": float(np.mean(covered[name])),
            }
        )

    header = (
        f"{'fact':<16}{'ε':>6}{'shown':>7}{'MAE (median)':>14}{'p95 |err|':>11}"
        f"{'stated 95%':>12}{'p95/stated':>12}{'coverage':>10}"
    )
    print(
        f"year in binge, {args.members:,} members, {args.releases} releases at "
        f"ε={args.epsilon:g}, δ={args.delta:g}"
    )
    print(header)
    for r in rows:
        print(
            f"{r['fact']:<16}{r['epsilon']:>6.2f}{r['items_shown_median']:>7.0f}"
            f"{r['mae_median']:>11.2f} {r['unit'][:2]:<2}{r['abs_error_p95']:>11.2f}"
            f"{r['stated_accuracy_95']:>12.2f}{r['ratio_p95_to_stated']:>12.2f}"
            f"{r['interval_coverage']:>10.1%}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"args": vars(args), "rows": rows}, indent=2) + "\n")
    print(f"wrote benchmarks/results/{RESULTS.name}")


if __name__ == "__main__":
    main()
