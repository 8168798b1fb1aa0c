"""Probabilistic matching over the store: train, score, and fill the steward's queue.

Records (CRM, loyalty, ...) hang off their own identifier; a scored pair joins two such
identifiers. At or above `merge_threshold` a probabilistic LINKED edge is written (weight =
match probability, evidence = per-field contributions) and clusters like any strong link;
from `review_threshold` up to it the pair waits in the review queue; below, it is dropped.
What stewards decide on the queue is `identity_graph.review`: a decided pair stays out of
the queue until either record changes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from identity_graph.config import Settings
from identity_graph.graph.commit import BatchSummary, Evidence, commit_changes
from identity_graph.graph.links import LinkEvidence
from identity_graph.ids import IdentifierKey, ordered_pair
from identity_graph.ingest.observations import Observation, utc_now
from identity_graph.matching import (
    BlockingIndex,
    BlockingReport,
    MatchModel,
    RecordTable,
    ScoredPair,
    ScoredPairs,
    Standardizer,
    default_settings,
    predict,
    score_pairs,
    train,
)
from identity_graph.stores.contract import GraphStore, StoreTx, source_records
from identity_graph.stores.rows import ChangeSet, ModelRow, ReviewRow
from identity_graph.views import SourceRecord

# Pairs decided per transaction in a batch run: bounded memory and lock time.
_DECISION_CHUNK = 5_000
MATCH_SOURCE = "match"


@dataclass
class MatchSummary:
    records: int = 0
    pairs_scored: int = 0
    linked: int = 0
    queued: int = 0
    dropped: int = 0
    skipped_decided: int = 0
    changed_later: int = 0
    candidate_pairs: int = 0
    pairs_by_rule: dict[str, int] = field(default_factory=dict)
    skipped_blocks: list[tuple[str, int]] = field(default_factory=list)  # (rule, size)
    model_version: str = ""
    trained: bool = False
    clustering: BatchSummary = field(default_factory=BatchSummary)


class Matcher:
    """Match records of one store, with the settings' thresholds."""

    def __init__(self, store: GraphStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self._standardizer = Standardizer(date_order=settings.date_order, invalid_dates="null")

    # -- models ------------------------------------------------------------------------

    def model(self) -> MatchModel | None:
        with self.store.reader() as r:
            latest = r.latest_model()
        return None if latest is None else MatchModel.from_json(latest[1])

    def table(self, records: Iterable[SourceRecord]) -> tuple[RecordTable, dict[str, str]]:
        """Records as a match table keyed by their identifier, and a content fingerprint each."""
        rows: dict[str, dict[str, object]] = {}
        prints: dict[str, str] = {}
        for r in records:
            rows[r.identifier] = {"record_id": r.identifier, **r.attributes}
            prints[r.identifier] = _fingerprint(r)
        table = RecordTable.from_dicts(rows.values(), standardizer=self._standardizer)
        return table, prints

    def train(self, table: RecordTable) -> MatchModel:
        """Train on every record; steward decisions so far refine m and u."""
        with self.store.reader() as reader:
            decided = [
                (r.a, r.b, r.status == "approved")
                for status in ("approved", "rejected")
                for r in reader.reviews(status, limit=1_000_000)
            ]
        known = set(table.ids)
        labels = [d for d in decided if d[0] in known and d[1] in known]
        model = train(table, default_settings(), labels=labels)
        with self.store.unit_of_work() as tx:
            row = ModelRow(model.version, utc_now(), model.to_json())
            tx.apply(ChangeSet(at=row.created_at, models=[row]))
        return model

    # -- batch run ---------------------------------------------------------------------

    def match_all(
        self, retrain: bool = False, on_progress: Callable[[str], None] | None = None
    ) -> MatchSummary:
        """Score every candidate pair of the store's records and decide each."""
        say = on_progress or (lambda _: None)
        summary = MatchSummary()
        say("reading records")
        with self.store.reader() as r:
            table, prints = self.table(source_records(r))
        summary.records = len(table.ids)
        if summary.records < 2:
            return summary
        model = self.model()
        if model is None or retrain:
            say(f"training on {summary.records:,} records")
            model = self.train(table)
            summary.trained = True
        summary.model_version = model.version
        say("scoring candidate pairs")
        report = BlockingReport([])
        scored = predict(
            model,
            table,
            min_probability=self.settings.review_threshold,
            population=summary.records,
            report=report,
        )
        summary.pairs_by_rule = report.pairs_by_rule()
        summary.candidate_pairs = report.total_pairs
        summary.skipped_blocks = [(b.rule, b.size) for b in report.skipped_blocks]
        summary.pairs_scored = len(scored)
        say(f"deciding {len(scored):,} pairs")
        self._decide(scored, table, prints, model.version, summary)
        return summary

    # -- incremental, on ingest of records ---------------------------------------------

    def incremental(self) -> IncrementalMatcher | None:
        model = self.model()
        if model is None:
            return None
        with self.store.reader() as r:
            table, prints = self.table(source_records(r))
        return IncrementalMatcher(self, model, table, prints)

    # -- decisions ---------------------------------------------------------------------

    def _decide(
        self,
        scored: ScoredPairs,
        table: RecordTable,
        prints: dict[str, str],
        version: str,
        summary: MatchSummary,
    ) -> None:
        pairs = list(scored)
        for start in range(0, len(pairs), _DECISION_CHUNK):
            chunk = pairs[start : start + _DECISION_CHUNK]
            with self.store.unit_of_work() as tx:
                changes = self._changes(tx, chunk, table, prints, version, summary)
                if not changes.is_empty():
                    commit_changes(
                        tx,
                        self.settings,
                        changes,
                        summary.clustering,
                        # Every pair the matcher links is two records: duplicates.
                        duplicates=frozenset((lk.a, lk.b) for lk in changes.links),
                    )

    def _changes(
        self,
        tx: StoreTx,
        pairs: Sequence[ScoredPair],
        table: RecordTable,
        prints: dict[str, str],
        version: str,
        summary: MatchSummary,
    ) -> Evidence:
        at = utc_now()
        ordered = [ordered_pair(IdentifierKey(p.a), IdentifierKey(p.b)) for p in pairs]
        existing = tx.pair_links(ordered)
        reviews = tx.review_pairs(ordered)
        states = tx.identifiers(sorted({k for pair in ordered for k in pair}))
        changes = Evidence(at=at)
        for pair, (a, b) in zip(pairs, ordered, strict=True):
            if (a, b) in existing or a not in states or b not in states:
                summary.skipped_decided += 1  # linked already, or a steward said no
                continue
            evidence = _evidence(pair, table, version)
            if pair.probability >= self.settings.merge_threshold:
                changes.links.append(
                    LinkEvidence(
                        a, b, pair.probability, "probabilistic", MATCH_SOURCE, 1, at, at, evidence
                    )
                )
                summary.linked += 1
            elif pair.probability >= self.settings.review_threshold:
                if states[a].person_id == states[b].person_id:
                    summary.skipped_decided += 1
                    continue
                fingerprint = f"{prints.get(a, '')}:{prints.get(b, '')}"
                prior = reviews.get((a, b))
                if prior is not None and (
                    prior.status == "approved"
                    or (prior.status == "rejected" and prior.fingerprint == fingerprint)
                ):
                    summary.skipped_decided += 1
                    continue
                created = prior.created_at if prior is not None else at
                changes.reviews.append(
                    ReviewRow(a, b, pair.probability, evidence, fingerprint, "pending", created)
                )
                if prior is not None and prior.status == "pending":
                    summary.skipped_decided += 1  # already waiting: refreshed, not new
                else:
                    summary.queued += 1
            else:
                summary.dropped += 1
        return changes


class IncrementalMatcher:
    """Compares each new batch of records with existing records in its blocks only."""

    def __init__(
        self, matcher: Matcher, model: MatchModel, table: RecordTable, prints: dict[str, str]
    ) -> None:
        self._m = matcher
        self._model = model
        self._prints = prints
        self._index = BlockingIndex.build(
            model.settings.blocking_rules, table, max_block_size=model.settings.max_block_size
        )
        self._known = table
        self.summary = MatchSummary(model_version=model.version, records=len(table.ids))

    def add_observations(self, batch: list[Observation]) -> None:
        self.add(records_of(batch))

    def add(self, records: Sequence[SourceRecord]) -> None:
        fresh = [r for r in records if r.identifier not in self._prints]
        # A record already indexed that changed is rescored by the next batch run
        # (`identity-graph match`): the index cannot drop a record. Replays are no change.
        self.summary.changed_later += sum(
            1
            for r in records
            if r.identifier in self._prints and self._prints[r.identifier] != _fingerprint(r)
        )
        if not fresh:
            return
        new, prints = self._m.table(fresh)
        cands = self._index.candidates(new)
        both = RecordTable.concat([self._known, new], relabel_sources=False)
        population = len(both.ids)
        scored = score_pairs(self._model, both, cands, population=population)
        scored = scored.at_least(self._m.settings.review_threshold)
        self._prints.update(prints)
        self.summary.records += len(new.ids)
        self.summary.pairs_scored += len(scored)
        self._m._decide(scored, both, self._prints, self._model.version, self.summary)
        self._index.add(new)
        self._known = both


def _fingerprint(record: SourceRecord) -> str:
    return hashlib.sha1(json.dumps(record.attributes, sort_keys=True).encode()).hexdigest()[:16]


def records_of(observations: Iterable[Observation]) -> list[SourceRecord]:
    """The source records a committed ingest batch carried."""
    out = []
    for obs in observations:
        if obs.record is not None:
            source, record_id, key, attributes = obs.record
            # `at` is ISO text: validated as the model's datetime field parses it.
            out.append(
                SourceRecord.model_validate(
                    {
                        "source": source,
                        "record_id": record_id,
                        "identifier": key,
                        "attributes": json.loads(attributes),
                        "observed_at": obs.at,
                    }
                )
            )
    return out


def _evidence(pair: ScoredPair, table: RecordTable, version: str) -> str:
    return json.dumps(
        {
            "model_version": version,
            "probability": round(pair.probability, 6),
            "match_weight": round(pair.match_weight, 4),
            "prior_weight": round(pair.prior_weight, 4),
            "contributions": {k: round(v, 4) for k, v in pair.contributions.items()},
            "levels": pair.levels,
            "values": {"a": _values(table, pair.a), "b": _values(table, pair.b)},
        },
        sort_keys=True,
    )


def _values(table: RecordTable, record_id: str) -> dict[str, str]:
    i = table.position(record_id)
    return {
        name: value for name, column in table.columns.items() if (value := column[i]) is not None
    }
