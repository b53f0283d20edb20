"""The simulator's pages in Norwegian (Bokmål), as a bank's web bank shows them: 17.11.2026 and 32 071,33.

Only what differs from Django's own nb formats (which spell dates out and group digits with a no-break space).
"""

DATE_FORMAT = "d.m.Y"
SHORT_DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = "d.m.Y H:i"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = " "
NUMBER_GROUPING = 3
