"""Streaming parsers for incoming bank files: Nets OCR Giro and ISO 20022 camt.054.

Pure Python, no models: a file is read in chunks of ``ParsedPayment`` with its ``FileSummary``; anything
wrong with it is a ``ParseError`` with a translatable message.
"""

from factoring.parsers.detect import detect_format, open_file
from factoring.parsers.types import FileSummary, ParsedFile, ParsedPayment, ParseError

__all__ = ["FileSummary", "ParseError", "ParsedFile", "ParsedPayment", "detect_format", "open_file"]
