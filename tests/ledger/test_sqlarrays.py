"""The array literals of ledger.sqlarrays read back as the values they were built from."""

import pytest
from django.db import connection

from ledger import sqlarrays

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL array literals")
def test_texts_read_back_as_they_were():
    values = [
        "",
        "plain",
        'a "quoted" word',
        "back\\slash",
        "{braces}, commas",
        "tab\tnew\nline",
        "NULL",
        "ø æ å",
        None,
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::text[]", [sqlarrays.texts(values)])
        assert cursor.fetchone()[0] == values


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL array literals")
def test_ints_read_back_as_they_were():
    values = [1, -2, 9_007_199_254_740_993, None]
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::bigint[]", [sqlarrays.ints(values)])
        assert cursor.fetchone()[0] == values


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL array literals")
def test_empty_arrays():
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::bigint[], %s::text[]", [sqlarrays.ints([]), sqlarrays.texts([])])
        assert cursor.fetchone() == ([], [])
