"""The embedded SQLite store: `store` (connections, schema, transactions), `reads`
(`StoreReader`), `writes` (`apply`, `import_rows`); the SQL itself is in `stores.sql`."""

from identity_graph.stores.sqlite.store import SCHEMA_VERSION, SQLiteStore, path_from_url

__all__ = ["SCHEMA_VERSION", "SQLiteStore", "path_from_url"]
