"""The steward's desk: decisions on the review queue of uncertain matches."""
