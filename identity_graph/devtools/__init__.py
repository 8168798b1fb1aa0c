"""Tools for developers and evaluation: the synthetic population, the demo, scoring against
ground truth. Not used by the service itself."""
