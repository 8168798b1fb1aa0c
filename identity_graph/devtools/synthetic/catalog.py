"""The time window events fall in, the campaigns running on each day, the product catalog.

All fixed (not per seed), so that ids mean the same thing in every generated dataset.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from random import Random

from identity_graph.devtools.synthetic import _data as data

WINDOW_START = datetime(2025, 1, 1, tzinfo=UTC)
WINDOW_END = datetime(2026, 11, 1, tzinfo=UTC)  # exclusive: the last day is 2026-10-31

# Timestamps are formatted from these tables: datetime.isoformat per event would cost a
# sizeable share of the event budget.
SPAN = int((WINDOW_END - WINDOW_START).total_seconds())
DAYS = [(WINDOW_START + timedelta(days=d)).strftime("%Y-%m-%d") for d in range(SPAN // 86400)]
HOUR_MINUTE = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]


def _campaigns_by_day() -> list[tuple[str, str]]:
    by_day = []
    for d in range(len(DAYS)):
        day = WINDOW_START + timedelta(days=d)
        seasonal = f"CMP-{day:%Y%m}-{data.CAMPAIGN_THEMES[day.month - 1]}"
        loyalty = f"CMP-{day.year}Q{(day.month - 1) // 3 + 1}-LOYALTY-2X"
        by_day.append((seasonal, loyalty))
    return by_day


CAMPAIGNS = _campaigns_by_day()


def _catalog() -> tuple[tuple[str, float], ...]:
    rng = Random("identity-graph:catalog")
    prices = data.PRICE_POINTS_CENTS
    return tuple(
        (f"SKU-{10_000 + i * 7}", prices[int(rng.random() ** 1.5 * len(prices))] / 100)
        for i in range(600)
    )


PRODUCTS = _catalog()
