"""The graph: change sets, the link fold, clustering under merge rules, splits, lineage and
explanations. It decides; a store (`identity_graph.stores`) applies what it decided."""
