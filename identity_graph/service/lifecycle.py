"""Use cases of the graph's lifecycle (the steward's desk): provenance, removal of
evidence, merge and split, hubs. Thin: decisions live in `identity_graph.lifecycle`; this
turns their results into the view models the API returns and the CLI prints."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from identity_graph.config import Settings
from identity_graph.errors import InvalidField, InvalidValue
from identity_graph.graph.split import Reclustered
from identity_graph.ids import IdentifierKey, identifier_key
from identity_graph.ingest.normalize import Normalizer
from identity_graph.lifecycle import hubs, remove, steward
from identity_graph.stores.contract import GraphStore
from identity_graph.stores.rows import LineageRow

# Persons listed per kind in a response; counts are always complete.
MAX_LISTED = 1000


class BatchItem(BaseModel):
    batch_id: str
    at: str = Field(description="when its earliest evidence was written")
    sources: list[str]
    links: int = Field(description="pairs it gave link evidence for")
    link_evidence: int = Field(description="observations of those links, summed")
    records: int
    activity: int = Field(description="activity events, summed")
    amount: float
    consent: int
    identifiers: int = Field(description="identifiers it created")


class CreatedPerson(BaseModel):
    person_id: str
    split_from: str


class PersonsOutcome(BaseModel):
    kept: list[str] = Field(description="persons that kept their ID (identifiers left)")
    created: list[CreatedPerson] = Field(description="new persons split from a kept one")
    deleted: list[str] = Field(
        description="persons left without identifiers (their ID answers 410 with lineage)"
    )
    truncated: int = Field(0, description=f"persons left out of the lists (over {MAX_LISTED})")


class Removed(BaseModel):
    links_deleted: int
    links_updated: int = Field(description="links that kept other evidence, counts lowered")
    records_deleted: int
    activity_subtracted: int = Field(description="activity rows subtracted from")
    consent_deleted: int
    identifiers_deleted: int
    provenance_removed: int


class RemovalResult(BaseModel):
    removed: Removed
    persons: PersonsOutcome


class LineageItem(BaseModel):
    from_id: str
    to_id: str
    kind: str
    at: str
    reason: str


class MergeResult(BaseModel):
    person_id: str = Field(description="the surviving person")
    merged: list[str]
    link: list[str] = Field(description="the steward must-link written (two identifier keys)")
    lineage: list[LineageItem]
    lifted_cannot_links: int = Field(
        0, description="cannot-links between the two persons made active links again"
    )


class SplitGroupOut(BaseModel):
    identifiers: int
    persons: list[str] = Field(description="where its identifiers are now")
    fell_apart: bool = Field(description="its own links did not hold it together")


class SplitResult(BaseModel):
    person_id: str
    cannot_links: int = Field(description="stitching links between groups made cannot-links")
    groups: list[SplitGroupOut]
    persons: PersonsOutcome


class HubItem(BaseModel):
    key: str
    type: str
    status: str = Field(description="flagged | confirmed")
    reason: str = Field(description="how many persons it touches now, and the limit")
    stored_reason: str | None = Field(description="the hub rule's reason when it flagged it")
    person_id: str
    persons: list[str] = Field(description="persons it touches (current IDs), its own first")


class HubDecision(BaseModel):
    key: str
    status: str
    merges: int = 0
    merges_refused: int = 0
    hubs_flagged: int = 0
    persons: PersonsOutcome | None = None
    lineage: list[LineageItem] = Field(default_factory=list)


def persons_outcome(
    kept: Sequence[str], created: Sequence[tuple[str, str]], deleted: Sequence[str]
) -> PersonsOutcome:
    left_out = sum(max(len(x) - MAX_LISTED, 0) for x in (kept, created, deleted))
    return PersonsOutcome(
        kept=list(kept[:MAX_LISTED]),
        created=[CreatedPerson(person_id=p, split_from=f) for p, f in created[:MAX_LISTED]],
        deleted=list(deleted[:MAX_LISTED]),
        truncated=left_out,
    )


def _reclustered(r: Reclustered) -> PersonsOutcome:
    gone = set(r.deleted)
    return persons_outcome(
        [p for p in dict.fromkeys(r.kept) if p not in gone],
        list(dict.fromkeys(r.created)),
        list(dict.fromkeys(r.deleted)),
    )


def _lineage(rows: Sequence[LineageRow]) -> list[LineageItem]:
    return [
        LineageItem(from_id=r.from_id, to_id=r.to_id, kind=r.kind, at=r.at, reason=r.reason)
        for r in rows
    ]


def _removal(out: remove.Removal) -> RemovalResult:
    kept, created, deleted = out.final_persons()
    return RemovalResult(
        removed=Removed(
            links_deleted=out.links_deleted,
            links_updated=out.links_updated,
            records_deleted=out.records_deleted,
            activity_subtracted=out.activity_subtracted,
            consent_deleted=out.consent_deleted,
            identifiers_deleted=out.identifiers_deleted,
            provenance_removed=out.provenance_removed,
        ),
        persons=persons_outcome(kept, created, deleted),
    )


class Lifecycle:
    def __init__(self, store: GraphStore, settings: Settings, normalizer: Normalizer) -> None:
        self.store = store
        self.settings = settings
        self.normalizer = normalizer

    def key(self, raw: str, field: str) -> IdentifierKey:
        """`type:value` as the caller wrote it -> the stored key: normalized as ingest
        normalizes it, or as given when it does not normalize (a key copied from a
        response is already normalized)."""
        type_, sep, value = raw.partition(":")
        if not sep or not type_ or not value:
            raise InvalidField(field, "expected an identifier key, type:value")
        try:
            normalized = self.normalizer.normalize(type_, value)
        except InvalidValue:
            normalized = None
        return identifier_key(type_, normalized) if normalized else IdentifierKey(raw)

    # -- provenance --------------------------------------------------------------------

    def batches(self, source: str | None, limit: int) -> list[BatchItem]:
        with self.store.reader() as r:
            return [
                BatchItem.model_validate(b, from_attributes=True) for b in r.batches(source, limit)
            ]

    # -- removal -----------------------------------------------------------------------

    def remove(
        self,
        *,
        link: Sequence[str] | None = None,
        identifier: str | None = None,
        source: str | None = None,
        batch: str | None = None,
        by: str,
        reason: str,
    ) -> RemovalResult:
        given = [
            n
            for n, v in (
                ("link", link),
                ("identifier", identifier),
                ("source", source),
                ("batch", batch),
            )
            if v is not None
        ]
        if len(given) != 1:
            raise InvalidField("body", "give exactly one of link, identifier, source, batch")
        if link is not None:
            if len(link) != 2:
                raise InvalidField("link", "name exactly two identifier keys")
            a, b = self.key(link[0], "link[0]"), self.key(link[1], "link[1]")
            if a == b:
                raise InvalidField("link", "the two identifier keys are the same")
            out = remove.remove_link(self.store, self.settings, a, b, by, reason)
        elif identifier is not None:
            key = self.key(identifier, "identifier")
            out = remove.remove_identifier(self.store, self.settings, key, by, reason)
        elif source is not None:
            out = remove.remove_source(self.store, self.settings, source, by, reason)
        else:
            assert batch is not None
            out = remove.remove_batch(self.store, self.settings, batch, by, reason)
        return _removal(out)

    # -- merge and split ---------------------------------------------------------------

    def merge(
        self, persons: Sequence[str], by: str, reason: str, *, lift_cannot_links: bool = False
    ) -> MergeResult:
        m = steward.merge_persons(
            self.store, self.settings, persons, by, reason, lift_cannot_links=lift_cannot_links
        )
        return MergeResult(
            person_id=m.person_id,
            merged=list(map(str, m.merged)),
            link=list(m.link),
            lineage=_lineage(m.lineage),
            lifted_cannot_links=m.lifted,
        )

    def split(
        self, person_id: str, groups: Sequence[Sequence[str]], by: str, reason: str
    ) -> SplitResult:
        keyed = [
            [self.key(k, f"groups[{i}][{j}]") for j, k in enumerate(g)]
            for i, g in enumerate(groups)
        ]
        s = steward.split_person(self.store, self.settings, person_id, keyed, by, reason)
        return SplitResult(
            person_id=s.person_id,
            cannot_links=s.cannot_links,
            groups=[
                SplitGroupOut(
                    identifiers=g.keys,
                    persons=list(map(str, g.persons)),
                    fell_apart=len(g.persons) > 1,
                )
                for g in s.groups
            ],
            persons=_reclustered(s.persons),
        )

    # -- hubs --------------------------------------------------------------------------

    def hubs(self, limit: int) -> list[HubItem]:
        with self.store.reader() as r:
            return [
                HubItem.model_validate(h, from_attributes=True)
                for h in hubs.list_hubs(r, self.settings, limit)
            ]

    def confirm_hub(self, key: str, by: str, reason: str) -> HubDecision:
        k = self.key(key, "key")
        hubs.confirm_hub(self.store, k, by, reason)
        return HubDecision(key=k, status="confirmed")

    def release_hub(self, key: str, by: str, reason: str) -> HubDecision:
        k = self.key(key, "key")
        r = hubs.release_hub(self.store, self.settings, k, by, reason)
        return HubDecision(
            key=k,
            status="released",
            merges=r.merges,
            merges_refused=r.refused,
            hubs_flagged=len(r.hubs_flagged),
            persons=_reclustered(r.persons),
            lineage=_lineage(r.lineage),
        )
