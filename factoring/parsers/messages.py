"""The parsers' user-facing messages, in one place so that each is written (and translated) once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _


def _amount_text(value: Decimal) -> str:
    return number_format(value, 2, use_l10n=True, force_grouping=True)


#: An amount rendered in the active locale when the message is shown (32 071,33 in nb).
amount = lazy(_amount_text, str)


def cents(value: int) -> Any:
    return amount(Decimal(value).scaleb(-2))


# Any format
EMPTY_FILE = _("The file is empty.")
UNKNOWN_FORMAT = _(
    "The file is neither a Nets OCR Giro file nor an ISO 20022 camt.054 notification "
    "(it starts with %(start)s)."
)
XML_NOT_CAMT054 = _("The file is XML but not an ISO 20022 camt.054 notification (namespace %(namespace)s).")
ALREADY_READ = _("The file has already been read.")
CHUNK_SIZE = _("The chunk size must be at least 1.")

# OCR Giro
OCR_LINE_LENGTH = _(
    "Line %(line)s is %(length)s characters long; OCR Giro lines have 80 (wrong file or wrong encoding?)."
)
OCR_LINE_TOO_LONG = _(
    "Line %(line)s is longer than an OCR Giro line of 80 characters (not an OCR Giro file?)."
)
OCR_NOT_NY = _("Line %(line)s does not start with the format code NY.")
OCR_UNKNOWN_RECORD = _("Line %(line)s has the unknown record type %(record_type)s.")
OCR_BAD_RECORD = _("Line %(line)s is not a valid %(record)s record.")
OCR_UNEXPECTED_RECORD = _("Line %(line)s: a %(found)s record where %(expected)s was expected.")
OCR_AVTALEGIRO = _(
    "Line %(line)s starts an AvtaleGiro assignment (service code 21); "
    "only OCR Giro payments (service code 09) can be imported."
)
OCR_TRUNCATED = _("The file ends at line %(line)s before %(expected)s: it is incomplete.")
OCR_AFTER_END = _("Line %(line)s comes after the transmission end record.")
OCR_ITEM_MISMATCH = _(
    "Line %(line)s: the %(record)s does not belong to transaction %(number)s of type %(type)s above it."
)
OCR_SEQUENCE = _(
    "Line %(line)s: transaction number %(number)s does not follow transaction number %(previous)s."
)
OCR_ASSIGNMENT_SEQUENCE = _(
    "Line %(line)s: assignment number %(number)s does not follow assignment number %(previous)s."
)
OCR_ZERO_AMOUNT = _("Line %(line)s: transaction %(number)s has the amount zero.")
OCR_BAD_DATE = _("Line %(line)s: %(value)s is not a date (DDMMYY).")
OCR_ASSIGNMENT_TOTAL = _(
    "Line %(line)s: the end record of assignment %(assignment)s states %(stated)s %(what)s, "
    "but the assignment has %(counted)s."
)
OCR_TRANSMISSION_TOTAL = _(
    "Line %(line)s: the transmission end record states %(stated)s %(what)s, but the file has %(counted)s."
)
WHAT_TRANSACTIONS = _("transactions")
WHAT_RECORDS = _("records")
WHAT_AMOUNT = _("as the total amount")

# OCR Giro record names
RECORD_NAMES = {
    "10": _("transmission start"),
    "20": _("assignment start"),
    "30": _("amount item 1"),
    "31": _("amount item 2"),
    "32": _("amount item 3"),
    "88": _("assignment end"),
    "89": _("transmission end"),
}
EXPECT_ASSIGNMENT_OR_END = _("an assignment start or the transmission end")
EXPECT_TRANSACTION_OR_END = _("a transaction or the assignment end")

# camt.054
XML_SYNTAX = _("The XML is not well-formed at line %(line)s: %(detail)s")
XML_TRUNCATED = _("The file ends before its camt.054 document does: it is incomplete.")
XML_INVALID = _("The file does not follow the %(version)s schema: %(detail)s")
XML_DTD = _(
    "The file declares a document type (DTD), which camt.054 notifications never do; it is refused "
    "because such declarations can expand entities or read other files."
)
XML_ENTITY = _("Line %(line)s uses an XML entity, which camt.054 notifications never do.")
XML_UNSUPPORTED_VERSION = _(
    "camt.054 version %(version)s is not supported; versions camt.054.001.02 to camt.054.001.08 are."
)
XML_WRONG_ROOT = _("The document element is %(element)s, not a camt.054 Document.")
CAMT_MISSING = _("Line %(line)s: the %(element)s element is missing.")
CAMT_BAD_VALUE = _("Line %(line)s: %(value)s is not a valid %(element)s.")
CAMT_BAD_AMOUNT = _("Line %(line)s: the amount %(value)s is not a positive amount with at most two decimals.")
CAMT_NO_ACCOUNT = _("Line %(line)s: the notification names no account (Acct/Id).")
CAMT_NO_DATE = _("Line %(line)s: the entry has neither a booking date nor a value date.")
CAMT_DETAIL_AMOUNT_MISSING = _(
    "Line %(line)s: the entry has %(count)s transaction details but not all of them state their amount."
)
CAMT_DETAILS_SUM = _(
    "Line %(line)s: the transaction details add up to %(counted)s, but the entry's amount is %(stated)s."
)
CAMT_DETAIL_CURRENCY = _(
    "Line %(line)s: a transaction detail is in %(found)s, but the entry is in %(expected)s."
)
CAMT_BATCH_COUNT = _(
    "Line %(line)s: the batch states %(stated)s transactions, "
    "but the entry has %(counted)s transaction details."
)
CAMT_SUMMARY = _(
    "Line %(line)s: the notification's transaction summary (%(element)s) states %(stated)s, "
    "but the notification has %(counted)s."
)
