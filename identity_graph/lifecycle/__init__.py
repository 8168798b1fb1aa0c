"""The graph's lifecycle: taking evidence back (`remove`), a steward's merge and split
(`steward`), hub decisions (`hubs`), and erasure (`erase`). Every operation is
audited (`audit`), re-clusters what it touched (`graph.split.recluster`) and keeps
must-links and cannot-links holding (`graph.clustering`)."""
