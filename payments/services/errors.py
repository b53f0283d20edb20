"""Errors the payment services share."""


class LinesChangedMeanwhile(Exception):
    """A line changed between reading and writing it (another transaction): nothing was written; try again."""
