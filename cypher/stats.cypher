// Counts; node and relationship counts by label/type come from the count store.
RETURN COUNT { MATCH (:Identifier) } AS identifiers,
       COUNT { MATCH ()-[:LINKED]->() } AS links,
       COUNT { MATCH (p:Person) WHERE EXISTS { (p)<-[:BELONGS_TO]-() } } AS persons,
       COUNT { MATCH (i:Identifier) WHERE i.is_hub = true } AS hubs,
       COUNT { MATCH (:RefusedMerge) } AS refused_merges,
       COUNT { MATCH ()-[:PURCHASED]->() } + COUNT { MATCH ()-[:VIEWED]->() }
         + COUNT { MATCH ()-[:EXPOSED_TO]->() } + COUNT { MATCH ()-[:OPENED_CASE]->() }
         + COUNT { MATCH ()-[:CLOSED_CASE]->() } AS activities,
       COUNT { MATCH (:Record) } AS records,
       COUNT { MATCH ()-[:CONSENT]->() } AS consent
