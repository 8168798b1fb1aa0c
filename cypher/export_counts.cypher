// Rows of each kind `export_*` yields (migrate compares them across stores); node and
// relationship counts by label/type come from the count store.
RETURN COUNT { MATCH (:Message) } AS messages,
       COUNT { MATCH (:Person) } AS persons,
       COUNT { MATCH (:Identifier) } AS identifiers,
       COUNT { MATCH ()-[:LINKED]->() } AS links,
       COUNT { MATCH ()-[:MERGED_INTO]->() } + COUNT { MATCH ()-[:SPLIT_FROM]->() } AS lineage,
       COUNT { MATCH ()-[:PURCHASED]->() } + COUNT { MATCH ()-[:VIEWED]->() }
         + COUNT { MATCH ()-[:EXPOSED_TO]->() } + COUNT { MATCH ()-[:OPENED_CASE]->() }
         + COUNT { MATCH ()-[:CLOSED_CASE]->() } AS activity,
       COUNT { MATCH (:Record) } AS records,
       COUNT { MATCH ()-[:CONSENT]->() } AS consent,
       COUNT { MATCH (:RefusedMerge) } AS refused_merges,
       COUNT { MATCH (:Review) } AS reviews,
       COUNT { MATCH (:Audit) } AS audit,
       COUNT { MATCH (:MatchModel) } AS models,
       COUNT { MATCH (:Tombstone) } AS tombstones,
       COUNT { MATCH (:Segment) } AS segments,
       COUNT { MATCH (:Destination) } AS destinations,
       COUNT { MATCH (:LedgerRow) } AS ledger,
       COUNT { MATCH (:ApiKey) } AS api_keys,
       COUNT { MATCH (:Provenance) } AS provenance,
       COUNT { MATCH (:HubState) } AS hub_states
