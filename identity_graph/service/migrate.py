"""The `identity-graph migrate` use case: one whole graph copied into another store."""

from __future__ import annotations

from typing import Literal

from identity_graph.errors import IdentityGraphError
from identity_graph.stores import open_store
from identity_graph.stores.migrate import MigrationError, MigrationReport, Progress, migrate

__all__ = ["EndpointError", "MigrationError", "MigrationReport", "StoreCopy"]


class EndpointError(IdentityGraphError):
    """One of the two stores cannot be opened; `side` says which."""

    def __init__(self, side: Literal["from", "to"], cause: IdentityGraphError) -> None:
        super().__init__(str(cause))
        self.side = side


class StoreCopy:
    """Both stores, open: show their URLs, `run()` the copy, `close()` them.

    Raises EndpointError when a store cannot be opened."""

    def __init__(
        self, source_url: str, target_url: str, *, neo4j_auth: tuple[str, str] | None
    ) -> None:
        try:
            self._source = open_store(source_url, neo4j_auth=neo4j_auth)
        except IdentityGraphError as exc:
            raise EndpointError("from", exc) from None
        try:
            self._target = open_store(target_url, neo4j_auth=neo4j_auth)
        except IdentityGraphError as exc:
            self._source.close()
            raise EndpointError("to", exc) from None

    @property
    def source_url(self) -> str:
        return self._source.url

    @property
    def target_url(self) -> str:
        return self._target.url

    def run(self, *, batch_size: int, on_progress: Progress | None = None) -> MigrationReport:
        """Raises MigrationError if the row counts differ afterwards."""
        return migrate(self._source, self._target, batch_size=batch_size, on_progress=on_progress)

    def close(self) -> None:
        self._source.close()
        self._target.close()
