"""The rows of one person's profile as a store reads them in one query (Neo4j's
`profile.cypher`): what `profiles.build` otherwise reads query by query."""

from __future__ import annotations

from dataclasses import dataclass, field

from identity_graph.ids import PersonId
from identity_graph.stores.rows import LineageRow, Person, StoredIdentifier
from identity_graph.views import ActivityItem, ConsentSignal, SourceRecord


@dataclass(slots=True)
class ProfileRows:
    """`chain`: the person named, then each MERGED_INTO step's target; the last is its
    person now. `merges`: the MERGED_INTO edges leaving the chain's persons, toward their
    `merged_into`; `lineage`: every edge touching the last; `pieces`: each SPLIT_FROM piece
    of the last, and the person it is now. The rest are the last's own rows. `complete` is
    false when some MERGED_INTO chain could not be followed in the query: read the profile
    query by query then."""

    chain: list[Person]
    complete: bool = True
    merges: list[LineageRow] = field(default_factory=list)
    lineage: list[LineageRow] = field(default_factory=list)
    pieces: dict[PersonId, PersonId] = field(default_factory=dict)
    members: list[StoredIdentifier] = field(default_factory=list)
    records: list[SourceRecord] = field(default_factory=list)
    activity: list[ActivityItem] = field(default_factory=list)
    consent: list[ConsentSignal] = field(default_factory=list)
