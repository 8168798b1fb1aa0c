"""The main job: a synthetic population becomes persons, scored against its ground truth."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from identity_graph.devtools import synthetic
from identity_graph.devtools.evaluation import PairwiseScore, pairwise_score
from identity_graph.errors import ConflictError
from identity_graph.graph.commit import BatchSummary
from identity_graph.matching.runner import MatchSummary
from identity_graph.service.identity import IdentityService
from identity_graph.service.ingest import Ingest, IngestObserver


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
    admin_key_name: str = ""
    admin_key: str = ""  # shown once: the store keeps only its digest
    sample_person: str = ""  # a person ID to try the API with


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
    reset: bool = False,
    observer: IngestObserver | None = None,
) -> DemoResult:
    """`fresh` empties the store first if it holds nothing but an earlier demo run's output,
    else raises StoreHoldsOtherData; `reset` empties it whatever it holds."""
    started = time.perf_counter()
    emptied = prepare_store(service, fresh=fresh, reset=reset)
    with console.status(f"generating {people:,} people (seed {seed}) into {data_dir}/ ..."):
        pop = synthetic.make_population(people=people, seed=seed)
        paths = synthetic.write_dataset(pop, data_dir, n_events=n_events)
    # The demo trains a model on all its records below: no incremental matching on the way.
    ingest = Ingest(service, match_new_records=False, observer=observer)
    ingest.file(paths.events)
    ingest.file(paths.crm, source="crm")
    ingest.file(paths.loyalty, source="loyalty")

    truth = synthetic.truth(pop)
    true_hubs = {k for k, v in truth.items() if v == synthetic.HUB}
    labelled = {k: v for k, v in truth.items() if v != synthetic.HUB}
    deterministic = pairwise_score(service.assignments(), labelled)
    matched = None
    if match:
        with console.status("probabilistic matching of CRM and loyalty records") as status:
            matched = service.match(retrain=True, on_progress=status.update)
    assignments = list(service.assignments())
    score = pairwise_score(assignments, labelled)
    stats = service.stats()
    flagged = service.hub_keys()
    result = DemoResult(
        summary=ingest.total.summary,
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
    # Before the marker: the key is part of the demo's output, so a re-run may empty it.
    result.admin_key_name, result.admin_key = admin_key(service)
    result.sample_person = str(assignments[0][1]) if assignments else ""
    if emptied:
        mark_demo_output(service)
    _report(result, assignments, out)
    return result


def admin_key(service: IdentityService) -> tuple[str, str]:
    """A fresh admin key for the person trying the demo: `demo-admin`, or the first
    `demo-admin-N` not taken (a run on a store that was not emptied)."""
    taken = {k.name for k in service.keys.list()}
    names = ("demo-admin" if i == 1 else f"demo-admin-{i}" for i in range(1, len(taken) + 2))
    name = next(n for n in names if n not in taken)
    _, key = service.keys.create(name, "admin", by="demo")
    return name, key


class StoreHoldsOtherData(ConflictError):
    """The demo would empty a store holding data that is not an earlier demo run's."""

    def __init__(self, counts: dict[str, int]) -> None:
        held = ", ".join(f"{n:,} {kind}" for kind, n in counts.items() if n)
        super().__init__(
            f"the store holds data that is not an earlier demo run's ({held}), and the demo "
            "empties its store first"
        )
        self.counts = counts


def prepare_store(service: IdentityService, *, fresh: bool, reset: bool) -> bool:
    """Empty the store for a fresh run if that loses nothing but an earlier demo run's
    output (or `reset` says so). True when the run starts from an empty store."""
    counts = service.row_counts()
    if not any(counts.values()):
        return True
    if not (fresh or reset):
        return False
    if not reset and not is_demo_output(service, counts):
        raise StoreHoldsOtherData(counts)
    service.reset_store()
    return True


# A demo run that started from an empty store leaves a marker: a message ID (stores keep
# ingested message IDs as opaque strings that no count, profile or API response shows, and
# `migrate` copies them) naming the row counts it left. The store is the demo's own output
# as long as the marker is there and the counts have not moved since. New events (each
# adds its message ID), new identifiers or records, a match or a steward decision all move
# them, and then the demo refuses to empty the store. Counts cannot see a record of the
# demo's re-ingested in place with other attributes; that is demo data edited, not lost.
_MARKER_PREFIX = "identity-graph-demo:"


def _marker(counts: dict[str, int]) -> str:
    text = json.dumps(counts, sort_keys=True)
    return _MARKER_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:32]


def mark_demo_output(service: IdentityService) -> None:
    service.record_message(_marker(service.row_counts()))


def is_demo_output(service: IdentityService, counts: dict[str, int] | None = None) -> bool:
    counts = dict(counts if counts is not None else service.row_counts())
    if counts.get("messages", 0) < 1:
        return False
    counts["messages"] -= 1  # the marker itself
    return service.has_message(_marker(counts))


def _report(r: DemoResult, assignments: Sequence[tuple[str, str]], out: Console) -> None:
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
