"""The HTTP API: thin FastAPI routes over `identity_graph.service`."""

from api.main import create_app

__all__ = ["create_app"]
