"""The graph's lifecycle: evidence removal, steward merge and split, erasure."""
