"""Package data: the Neo4j schema and every named query (`NAME.cypher`), loaded by
`identity_graph.stores.cypher_files`. A package (not a plain folder) so that
`importlib.resources` finds the files in every kind of install."""
