"""Use cases: what the CLI and the API call. Thin callers above, decisions here and below."""

from identity_graph.service.identity import IdentityService

__all__ = ["IdentityService"]
