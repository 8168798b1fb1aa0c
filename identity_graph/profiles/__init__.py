"""Person profiles: attributes by survivorship and a summary of activity across every
identifier of a person."""

from identity_graph.profiles.build import build_profile, resolve_person_id, summarize, survive

__all__ = ["build_profile", "resolve_person_id", "summarize", "survive"]
