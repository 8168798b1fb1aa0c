"""`identity-graph erase`: erasure (GDPR Art. 17) of persons by ID or by identifier."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from identity_graph.cli.common import ConfigOpt, StoreOpt, fail, out, service_session
from identity_graph.ingest.limits import MAX_TEXT


def erase(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            help="Person IDs (an old merged ID resolves first) or TYPE:VALUE identifiers "
            "(normalized as ingest does): each one's whole person is erased",
            show_default=False,
        ),
    ] = None,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from-file",
            help="More targets, one per line (blank lines ignored)",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    by: Annotated[
        str, typer.Option("--by", help="Who erases, for the audit trail", show_default=False)
    ] = "",
    reason: Annotated[
        str,
        typer.Option(
            "--reason",
            help="Why (the request's reference), for the audit trail",
            show_default=False,
        ),
    ] = "",
    store: StoreOpt = None,
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Erase persons: identifiers, links, records, activity, consent, review pairs and
    unsent export rows are deleted; a salted hash of each identifier stays, so that a
    replayed or new event carrying one is dropped and counted. Targets are reported by
    their position (from 0: arguments first, then the file's non-blank lines), never by
    value."""
    if not by.strip() or not reason.strip():
        raise fail("--by and --reason are required (the audit trail says who and why)", 2)
    if len(reason) > MAX_TEXT or len(by) > MAX_TEXT:
        raise fail(f"--by and --reason take at most {MAX_TEXT} characters", 2)
    wanted = list(targets or [])
    if from_file is not None:
        lines = from_file.read_text(encoding="utf-8").splitlines()
        wanted.extend(line for line in lines if line.strip())
    if not wanted:
        raise fail("nothing to erase: give targets or --from-file", 2)
    with service_session(store, config) as service:
        report = service.erasure.erase(wanted, by=by, reason=reason)
    if as_json:
        out.print_json(report.model_dump_json())
        return
    table = Table(title="erasure", show_header=False)
    for label, value in [
        ("persons erased", len(report.erased)),
        ("old merged IDs erased", sum(len(e.merged_ids) for e in report.erased)),
        ("identifiers", sum(e.identifiers for e in report.erased)),
        ("links", sum(e.links for e in report.erased)),
        ("records", sum(e.records for e in report.erased)),
        ("activity rows", sum(e.activity for e in report.erased)),
        ("consent signals", sum(e.consent for e in report.erased)),
        ("tombstones", sum(e.tombstones for e in report.erased)),
        ("targets already erased", len(report.already_erased)),
        ("targets not found", len(report.not_found)),
    ]:
        table.add_row(label, f"{value:,}")
    out.print(table)
    if report.not_found:
        out.print(f"not found (positions): {_positions(report.not_found)}")
    if report.already_erased:
        out.print(f"already erased (positions): {_positions(report.already_erased)}")
    if not report.files_purged:
        out.print("store files not purged yet (a reader held an old snapshot): run again")


def _positions(items: list[int], limit: int = 50) -> str:
    text = ", ".join(str(i) for i in items[:limit])
    return text + (f" and {len(items) - limit} more" if len(items) > limit else "")
