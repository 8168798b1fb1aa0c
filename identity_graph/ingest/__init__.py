"""Ingest: read files and HTTP bodies, normalize identifiers, parse Segment events and
source records into observations, and cut them into batches of one transaction each."""
