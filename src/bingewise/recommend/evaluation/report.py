"""The evaluation table, as Rich renders it in the terminal."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from bingewise.recommend.evaluation.runner import EvaluationReport

__all__ = ["format_params", "render_table"]


def format_params(params: dict[str, object]) -> str:
    """``a=1, b=2`` for a row's hyper-parameters (seed and threads left out)."""
    return ", ".join(f"{k}={v}" for k, v in params.items() if k not in ("seed", "threads"))


def render_table(report: EvaluationReport) -> Group:
    """A table of every candidate's metrics, best NDCG first, with the split described."""
    k = report.k
    table = Table(title=f"{report.protocol} protocol, k={k}, seed={report.seed}")
    for col in ("model", "kind", f"P@{k}", f"R@{k}", f"NDCG@{k} (95% CI)", "MAP", f"MAP@{k}"):
        table.add_column(col, justify="left" if col in ("model", "kind") else "right")
    table.add_column("coverage", justify="right")
    table.add_column("novelty", justify="right")
    table.add_column("fit s", justify="right")
    table.add_column("params")
    best = report.best().label if report.rows else None
    for row in sorted(report.rows, key=lambda r: -r.metrics.ndcg):
        m = row.metrics
        style = "bold" if row.label == best else None
        table.add_row(
            row.label,
            row.kind,
            f"{m.precision:.3f}",
            f"{m.recall:.3f}",
            f"{m.ndcg:.3f} ({m.ndcg_low:.3f}–{m.ndcg_high:.3f})",
            f"{m.map:.3f}",
            f"{m.map_at_k:.3f}",
            f"{m.coverage:.3f}",
            f"{m.novelty:.2f}",
            f"{row.fit_seconds:.1f}",
            format_params(row.params),
            style=style,
        )
    skipped = "".join(f"not run: {label}: {why}\n" for label, why in report.not_run)
    vs = report.versus_best_peer()
    if vs is not None:
        skipped += (
            f"{vs['ours']} against {vs['peer']}, member by member: NDCG@{k} "
            f"{vs['ndcg_difference']:+.3f} (95% CI {vs['low']:+.3f} to {vs['high']:+.3f}, "
            f"bootstrap over {vs['members']:,} members; better for {vs['better_for_members']:,}, "
            f"worse for {vs['worse_for_members']:,})\n"
        )
    notes = Text(
        f"{skipped}{report.data}\n{report.fold}\nvalidation (tuning only): {report.validation}\n"
        "Interactions are binary (every rating counts), as in Microsoft Recommenders' MovieLens "
        "benchmark. MAP divides by |relevant| (Recommenders' `map`), MAP@k by min(|relevant|, k).",
        style="dim",
    )
    return Group(table, notes)
