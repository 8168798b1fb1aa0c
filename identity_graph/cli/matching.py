"""`identity-graph match`, `model show` and `resolve`: probabilistic matching."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from identity_graph.cli.common import (
    ConfigOpt,
    StoreOpt,
    console,
    fail,
    out,
    service_session,
    store_and_config,
)
from identity_graph.errors import IdentityGraphError
from identity_graph.matching.runner import MatchSummary

model_app = typer.Typer(help="The probabilistic match model.", no_args_is_help=True)


def match(
    store: StoreOpt = None,
    config: ConfigOpt = None,
    retrain: Annotated[
        bool, typer.Option(help="Train a new model even if the store has one")
    ] = False,
) -> None:
    """Probabilistic matching of every record in the store (CRM, loyalty, ...).

    Trains a Fellegi-Sunter model on the records (first run, or --retrain; steward
    decisions refine it), scores candidate pairs, links those at or above the merge
    threshold and queues those from the review threshold up for a steward.
    """
    with service_session(store, config) as service, console.status("matching") as status:
        summary = service.match(retrain=retrain, on_progress=status.update)
    _print_match(summary)


def _print_match(summary: MatchSummary) -> None:
    table = Table(title="match summary", show_header=False)
    for label, value in [
        ("records", f"{summary.records:,}"),
        ("model", f"{summary.model_version}{' (trained now)' if summary.trained else ''}"),
        ("pairs scored >= review threshold", f"{summary.pairs_scored:,}"),
        ("linked (>= merge threshold)", f"{summary.linked:,}"),
        ("queued for review", f"{summary.queued:,}"),
        ("skipped (linked or decided before)", f"{summary.skipped_decided:,}"),
        ("merges", f"{summary.clustering.merges:,}"),
        ("merges refused by rules", f"{summary.clustering.merges_refused:,}"),
        ("duplicate records merged past type limits", f"{summary.clustering.duplicates_merged:,}"),
    ]:
        table.add_row(label, value)
    out.print(table)
    rules = Table(title=f"blocking: {summary.candidate_pairs:,} candidate pairs")
    rules.add_column("rule")
    rules.add_column("pairs", justify="right")
    for rule, pairs in summary.pairs_by_rule.items():
        rules.add_row(rule, f"{pairs:,}")
    out.print(rules)
    if summary.skipped_blocks:
        biggest = sorted(summary.skipped_blocks, key=lambda b: -b[1])[:5]
        console.print(
            f"[yellow]{len(summary.skipped_blocks)} block(s) over the size cap were skipped[/] "
            "(largest: " + ", ".join(f"{r} x{n:,}" for r, n in biggest) + ")"
        )


@model_app.command("show")
def model_show(store: StoreOpt = None, config: ConfigOpt = None) -> None:
    """Show the newest match model: version, blocking rules, levels, m/u, prior."""
    with service_session(store, config) as service:
        model = service.match_model()
    if model is None:
        raise fail("no match model in this store yet: run `identity-graph match` first")
    out.print(model.describe(), highlight=False, soft_wrap=True)


def resolve(
    input: Annotated[Path, typer.Argument(help="CSV of person records, one per row")],
    id_column: Annotated[str, typer.Option(help="Column with each row's unique ID")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write ID,person_id")],
    mapping: Annotated[
        Path | None,
        typer.Option(help="Column mapping (YAML/JSON); inferred from headers if absent"),
    ] = None,
    date_order: Annotated[
        str | None, typer.Option(help="Read slashed dates day first (dmy) or month first (mdy)")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Resolve the rows of a CSV file to persons: deterministic (email, phone) and
    probabilistic (names, birth date, address) matching in a temporary store.

    Writes one row per input row, `ID,person_id`, in input order.
    """
    from identity_graph.service.resolve_file import resolve_file

    if not input.is_file():
        raise fail(f"{input}: no such file")
    if date_order not in (None, "dmy", "mdy"):
        raise fail(f"--date-order must be dmy or mdy, got {date_order!r}")
    try:
        with console.status("resolving") as status:
            result = resolve_file(
                input,
                id_column,
                output,
                mapping=mapping,
                date_order=date_order,
                config=store_and_config(None, config)[1],
                on_progress=status.update,
            )
    except IdentityGraphError as exc:
        raise fail(str(exc)) from None
    out.print(
        f"{result.rows:,} rows -> {result.persons:,} persons "
        f"({result.linked:,} probabilistic links, {result.review:,} pairs in the review band "
        f"left unmerged, {result.invalid_values:,} invalid values ignored); wrote {output}"
    )
