"""Exports: audiences leave the graph in the formats of the places that take them."""
