"""PostgreSQL array literals built in one pass, for `= ANY(%s::bigint[])` and `unnest(%s::text[], …)`.

psycopg formats a list parameter element by element through its dumpers (in Python, on a client-side
cursor); for the thousands of elements of a feed page that costs more than the statement it feeds. These
helpers build the literal's text (`{1,2,NULL}`, `{"a","b \\"c\\""}`) in one pass and the statement casts it.
"""

from collections.abc import Iterable


def ints(values: Iterable[int | None]) -> str:
    """The literal of an integer array (None is NULL)."""
    return "{" + ",".join("NULL" if value is None else str(int(value)) for value in values) + "}"


def texts(values: Iterable[object | None]) -> str:
    """The literal of an array of the values' text (str() of each; None is NULL), each quoted and escaped."""
    return (
        "{"
        + ",".join(
            "NULL" if value is None else '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
            for value in values
        )
        + "}"
    )
