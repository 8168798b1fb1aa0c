"""The HTTP API: thin FastAPI routes over `identity_graph.service.identity`."""

from identity_graph.api.main import create_app

__all__ = ["create_app"]
