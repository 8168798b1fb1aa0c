"""Segments: a boolean expression over persons (`ast`), its meaning (`reference`), why a
person is in or out (`why`), compiled for each store (`sql`, `cypher`), ready-made
exclusion lists (`library`) and named references expanded inline (`resolve`)."""
