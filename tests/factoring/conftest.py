"""Fixtures of the incoming-payments tests (defined in books.py)."""

from tests.factoring.books import book, user  # noqa: F401
