"""The evaluation table on MovieLens: our models next to their peers, in the same run.

Run from the repository root::

    uv run python -m benchmarks.recommend.evaluation [--protocol stratified] [--data PATH]
    uv run python -m benchmarks.recommend.evaluation --data ml-100k --seeds 42 1 2

It reads ``../shared/data/movielens/ml-latest-small/ratings.csv`` (relative to the repository)
unless ``--data`` is given; ``--data ml-100k`` fetches MovieLens 100k from the package index
(:mod:`.datasets`: the data set of the published figures below). It runs
``bingewise.recommend.evaluation.evaluate`` with every candidate (peers: popularity, implicit ALS
and BPR, default and tuned on a validation split), prints the table with each row's NDCG@k as a
ratio to the best peer, and writes
``benchmarks/results/recommend_evaluation_<data>_<protocol>.json``.
With several ``--seeds`` (each seed draws its own split and validation split) it also prints the
mean and standard deviation of every row over the seeds.

``session-ease``, ``time-popular`` and ``session-blend`` also read times: those of the fit
interactions and of each member's own history (never of a held-out interaction). Interactions
are binary, as in Microsoft Recommenders' MovieLens benchmark, whose README gives for ml-100k
(stratified 75/25, k = 10): BiVAE P@10 0.412 NDCG@10 0.475; BPR 0.388 / 0.442; SAR 0.331 /
0.382. On ml-100k, stratified, those figures are printed as rows of the table (marked
"published"; not run here); elsewhere they are for scale only.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from benchmarks.recommend.datasets import ML_100K_PUBLISHED, ml_100k
from rich.console import Console
from rich.table import Table

from bingewise.recommend.evaluation import EvaluationReport, evaluate, read_movielens
from bingewise.recommend.evaluation.report import format_params

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "movielens" / "ml-latest-small" / "ratings.csv"
RESULTS = ROOT / "benchmarks" / "results"
COLUMNS = (
    "P@{k}",
    "R@{k}",
    "NDCG@{k} (95% CI)",
    "vs best peer",
    "MAP",
    "MAP@{k}",
    "coverage",
    "novelty",
)


def _best_peer(report: EvaluationReport) -> float:
    """NDCG@k of the run's best peer (0 when no peer ran)."""
    has_peer = any(r.kind == "peer" for r in report.rows)
    return report.best("peer").metrics.ndcg if has_peer else 0.0


def _table(report: EvaluationReport, title: str, published: bool) -> Table:
    k = report.k
    best_peer = _best_peer(report)

    def ratio(ndcg: float) -> str:
        return f"{ndcg / best_peer:.2f}×" if best_peer else "-"

    table = Table(title=title)
    table.add_column("model")
    table.add_column("kind")
    for col in COLUMNS:
        table.add_column(col.format(k=k))
    table.add_column("params")
    rows: list[tuple[float, list[str]]] = []
    for row in report.rows:
        m = row.metrics
        nd = f"{m.ndcg:.3f} ({m.ndcg_low:.3f}–{m.ndcg_high:.3f})"
        cells = [row.label, row.kind, f"{m.precision:.3f}", f"{m.recall:.3f}", nd,
                 ratio(m.ndcg), f"{m.map:.3f}", f"{m.map_at_k:.3f}", f"{m.coverage:.3f}",
                 f"{m.novelty:.2f}", format_params(row.params)]  # fmt: skip
        rows.append((m.ndcg, cells))
    if published and k == 10:
        for label, (p_at, ndcg) in ML_100K_PUBLISHED.items():
            rows.append((ndcg, [label, "published", f"{p_at:.3f}", "", f"{ndcg:.3f}", ratio(ndcg),
                                "", "", "", "", "Microsoft Recommenders README"]))  # fmt: skip
    for _, cells in sorted(rows, key=lambda r: -r[0]):
        table.add_row(*cells)
    return table


def _summary(reports: list[EvaluationReport], seeds: list[int]) -> Table:
    k = reports[0].k
    table = Table(title=f"mean ± standard deviation over seeds {', '.join(map(str, seeds))}")
    for col in ("model", "kind", f"P@{k}", f"NDCG@{k}", "NDCG vs best peer (per seed)"):
        table.add_column(col)
    best = [
        max((r.metrics.ndcg for r in rep.rows if r.kind == "peer"), default=0.0) for rep in reports
    ]
    lines = []
    for label in [r.label for r in reports[0].rows]:
        rows = [next(r for r in rep.rows if r.label == label) for rep in reports]
        nd = np.array([r.metrics.ndcg for r in rows])
        pr = np.array([r.metrics.precision for r in rows])
        ratio = nd / np.array(best) if all(best) else None
        spread = f"{ratio.min():.2f}–{ratio.max():.2f}×" if ratio is not None else "-"
        lines.append((nd.mean(), [label, rows[0].kind, f"{pr.mean():.3f} ± {pr.std(ddof=1):.3f}",
                                  f"{nd.mean():.3f} ± {nd.std(ddof=1):.3f}", spread]))  # fmt: skip
    for _, cells in sorted(lines, key=lambda r: -r[0]):
        table.add_row(*cells)
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="a path, or ml-100k")
    parser.add_argument("--protocol", default="stratified")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    parser.add_argument("--models", nargs="*", default=None)
    args = parser.parse_args()
    fetch = args.data == "ml-100k"
    published = fetch and args.protocol == "stratified"  # the published figures are stratified
    data = ml_100k() if fetch else Path(args.data)
    name = "ml-100k" if fetch else data.parent.name if data.is_file() else data.name
    log = read_movielens(data)
    console = Console(width=180)
    reports: list[EvaluationReport] = []
    runs = []
    for seed in args.seeds:
        start = time.perf_counter()
        report = evaluate(log, protocol=args.protocol, k=args.k, seed=seed, models=args.models)
        elapsed = time.perf_counter() - start
        title = f"{name}: {args.protocol}, k={args.k}, seed {seed} ({elapsed:.0f} s in all)"
        console.print(_table(report, title, published))
        vs = report.versus_best_peer()
        if vs is not None:
            console.print(
                f"{vs['ours']} against {vs['peer']}, member by member: NDCG@{args.k} "
                f"{vs['ndcg_difference']:+.3f} (95% CI {vs['low']:+.3f} to {vs['high']:+.3f}; "
                f"better for {vs['better_for_members']:,} of {vs['members']:,} members, "
                f"worse for {vs['worse_for_members']:,})"
            )
        console.print(report.data)
        console.print(report.fold)
        reports.append(report)
        runs.append({**report.as_dict(), "seconds": elapsed})
    if len(reports) > 1:
        console.print(_summary(reports, args.seeds))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"recommend_evaluation_{name}_{args.protocol}.json"
    payload = {
        "data": name,
        "protocol": args.protocol,
        "seeds": args.seeds,
        "runs": runs,
        "published": ML_100K_PUBLISHED if published else None,
    }
    out.write_text(json.dumps(payload, indent=2))
    console.print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
