"""The `identity-graph` command line: the only place that reads the environment."""

from identity_graph.cli.commands import app

__all__ = ["app"]
