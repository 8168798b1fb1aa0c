"""What a segment is evaluated against besides the graph: the time and the settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from identity_graph.config import Settings

__all__ = ["EvalContext"]


@dataclass(frozen=True, slots=True)
class EvalContext:
    """`as_of` fixes the windows (`within_days`), so one evaluation is repeatable: pass it
    explicitly rather than reading the clock inside an evaluation (a naive datetime is UTC)."""

    as_of: datetime
    settings: Settings

    def since(self, days: int) -> str:
        """The first UTC day (YYYY-MM-DD) of a window of `days` days ending at `as_of`: a
        row of day D is in the window when `D >= since(days)`."""
        at = self.as_of if self.as_of.tzinfo is not None else self.as_of.replace(tzinfo=UTC)
        return (at.astimezone(UTC).date() - timedelta(days=days)).isoformat()
