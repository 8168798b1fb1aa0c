"""The Neo4j store: `store` (driver, schema, transactions), `reads` (`StoreReader`),
`writes` (`apply`, `import_rows`), `url` and `errors`; the Cypher is in `identity_graph/cypher/`."""

from identity_graph.stores.neo4j.store import SCHEMA_VERSION, Neo4jStore
from identity_graph.stores.neo4j.url import SCHEMES, Neo4jTarget, parse_url
from identity_graph.stores.neo4j.writes import type_label

__all__ = ["SCHEMA_VERSION", "SCHEMES", "Neo4jStore", "Neo4jTarget", "parse_url", "type_label"]
