"""The main job: a synthetic population becomes persons, scored against its ground truth."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from identity_graph.cli.progress import ingest_file
from identity_graph.devtools import synthetic
from identity_graph.devtools.evaluation import PairwiseScore, pairwise_score
from identity_graph.graph.commit import BatchSummary
from identity_graph.ingest.readers import csv_header
from identity_graph.ingest.records import RecordMapping
from identity_graph.matching.runner import MatchSummary
from identity_graph.service.identity import DEFAULT_BATCH_SIZE, IdentityService
from identity_graph.stores.contract import assignments


@dataclass
class DemoResult:
    summary: BatchSummary
    score: PairwiseScore
    deterministic_score: PairwiseScore
    matched: MatchSummary | None
    identifiers: int
    links: int
    persons: int
    true_people: int
    hubs_flagged: int
    true_hubs_flagged: int
    true_hubs: int
    refused_merges: int
    seconds: float


def run_demo(
    service: IdentityService,
    *,
    people: int,
    seed: int,
    n_events: int | None,
    data_dir: Path,
    fresh: bool,
    console: Console,
    out: Console,
    match: bool = True,
) -> DemoResult:
    started = time.perf_counter()
    with console.status(f"generating {people:,} people (seed {seed}) into {data_dir}/ ..."):
        pop = synthetic.make_population(people=people, seed=seed)
        paths = synthetic.write_dataset(pop, data_dir, n_events=n_events)
    if fresh:
        service.store.reset()
    summary = BatchSummary()
    summary.add(
        ingest_file(
            service, paths.events, service.event_parser(), console, batch_size=DEFAULT_BATCH_SIZE
        ).summary
    )
    for source, path in (("crm", paths.crm), ("loyalty", paths.loyalty)):
        mapping = RecordMapping.infer(csv_header(path), source, service.normalizer.types)
        parser = service.record_parser(mapping)
        summary.add(
            ingest_file(service, path, parser, console, batch_size=DEFAULT_BATCH_SIZE).summary
        )

    truth = synthetic.truth(pop)
    true_hubs = {k for k, v in truth.items() if v == synthetic.HUB}
    labelled = {k: v for k, v in truth.items() if v != synthetic.HUB}
    with service.store.reader() as r:
        deterministic = pairwise_score(assignments(r), labelled)
    matched = None
    if match:
        with console.status("probabilistic matching of CRM and loyalty records") as status:
            matched = service.match(retrain=True, on_progress=status.update)
    with service.store.reader() as r:
        assigned = list(assignments(r))
        flagged = {h.key for h in r.hubs(limit=100_000)}
    score = pairwise_score(assigned, labelled)
    stats = service.stats()
    result = DemoResult(
        summary=summary,
        score=score,
        deterministic_score=deterministic,
        matched=matched,
        identifiers=stats.identifiers,
        links=stats.links,
        persons=stats.persons,
        true_people=people,
        hubs_flagged=len(flagged),
        true_hubs_flagged=len(flagged & true_hubs),
        true_hubs=len(true_hubs),
        refused_merges=stats.refused_merges,
        seconds=time.perf_counter() - started,
    )
    _report(result, assigned, out)
    return result


def _report(r: DemoResult, assignments: list[tuple[str, str]], out: Console) -> None:
    sizes = Counter(pid for _, pid in assignments)
    per_person = sorted(sizes.values())
    median = per_person[len(per_person) // 2] if per_person else 0
    table = Table(title="identity graph demo", show_header=False)
    rows = [
        ("events and records ingested", f"{r.summary.items:,}"),
        ("placeholder values dropped", f"{r.summary.placeholders_dropped:,}"),
        ("identifiers", f"{r.identifiers:,}"),
        ("links", f"{r.links:,}"),
        ("persons resolved", f"{r.persons:,} (true people: {r.true_people:,})"),
        (
            "identifiers per person",
            f"mean {r.identifiers / max(r.persons, 1):.2f}, median {median}, "
            f"max {per_person[-1] if per_person else 0}",
        ),
        ("hubs flagged", f"{r.hubs_flagged:,} ({r.true_hubs_flagged} of {r.true_hubs} true hubs)"),
        ("merges refused by rules", f"{r.refused_merges:,}"),
        (
            "deterministic only: precision / recall",
            f"{r.deterministic_score.precision:.4f} / {r.deterministic_score.recall:.4f}",
        ),
    ]
    if r.matched is not None:
        rows += [
            (
                "probabilistic matching",
                f"{r.matched.linked:,} pairs linked (>= 0.96), {r.matched.queued:,} for review",
            ),
        ]
    rows += [
        ("pairwise precision", f"{r.score.precision:.4f}"),
        ("pairwise recall", f"{r.score.recall:.4f}"),
        ("pairwise F1", f"{r.score.f1:.4f}"),
        ("time", f"{r.seconds:.1f} s"),
    ]
    for label, value in rows:
        table.add_row(label, value)
    out.print(table)
    out.print(
        "Precision and recall count pairs of identifiers (hubs excluded) against the "
        "generator's ground truth."
    )
