"""The evaluation table on MovieLens ``ml-latest-small``: our models next to their peers.

Run from the repository root::

    uv run python -m benchmarks.recommend.evaluation [--protocol stratified] [--data PATH]

It reads ``../shared/data/movielens/ml-latest-small/ratings.csv`` (relative to the repository)
unless ``--data`` is given, runs ``bingewise.recommend.evaluation.evaluate`` with every candidate
(peers: popularity, implicit ALS and BPR, default and tuned on a validation split), prints the
table with each row's NDCG@k as a ratio to the best peer, and writes
``benchmarks/results/recommend_evaluation_<protocol>.json``. ``session-ease``, ``time-popular``
and ``session-blend`` also read times: those of the fit interactions and of each member's own
history (never of a held-out interaction). Interactions are binary, as in Microsoft
Recommenders' MovieLens benchmark (whose README gives, for ml-100k: BiVAE P@10 0.412 NDCG@10
0.475; BPR 0.388 / 0.442; SAR 0.331 / 0.382 — another data set, quoted for scale
only).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bingewise.recommend.evaluation import evaluate, read_movielens

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "movielens" / "ml-latest-small" / "ratings.csv"
RESULTS = ROOT / "benchmarks" / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--protocol", default="stratified")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--models", nargs="*", default=None)
    args = parser.parse_args()
    log = read_movielens(args.data)
    start = time.perf_counter()
    report = evaluate(log, protocol=args.protocol, k=args.k, seed=args.seed, models=args.models)
    elapsed = time.perf_counter() - start
    best_peer = (
        report.best("peer").metrics.ndcg if any(r.kind == "peer" for r in report.rows) else 0
    )
    k = args.k
    table = Table(title=f"{args.data.name}: {args.protocol}, k={k} ({elapsed:.0f} s in all)")
    for col in ("model", "kind", f"P@{k}", f"R@{k}", f"NDCG@{k}", "vs best peer", "MAP",
                f"MAP@{k}", "coverage", "novelty", "params"):  # fmt: skip
        table.add_column(col)
    for row in sorted(report.rows, key=lambda r: -r.metrics.ndcg):
        m = row.metrics
        ratio = f"{m.ndcg / best_peer:.2f}×" if best_peer else "-"
        params = ", ".join(
            f"{a}={b}" for a, b in row.params.items() if a not in ("seed", "threads")
        )
        table.add_row(row.label, row.kind, f"{m.precision:.3f}", f"{m.recall:.3f}",
                      f"{m.ndcg:.3f}", ratio, f"{m.map:.3f}", f"{m.map_at_k:.3f}",
                      f"{m.coverage:.3f}", f"{m.novelty:.2f}", params)  # fmt: skip
    console = Console(width=180)
    console.print(table)
    console.print(report.data)
    console.print(report.fold)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"recommend_evaluation_{args.protocol}.json"
    out.write_text(json.dumps({**report.as_dict(), "seconds": elapsed}, indent=2))
    console.print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
