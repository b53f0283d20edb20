"""Telling a bank file's format from its first bytes, and opening it as a stream of payments."""

from __future__ import annotations

import re
from typing import BinaryIO

from factoring.parsers import messages as m
from factoring.parsers.types import ParsedFile, ParseError

OCR_GIRO = "ocr_giro"
CAMT054 = "camt054"
#: How much of a file is read to tell its format (an XML prolog with comments can be long).
HEAD_SIZE = 64 * 1024

_BOMS = (b"\xef\xbb\xbf",)
_CAMT054_NAMESPACE = re.compile(rb"urn:iso:std:iso:20022:tech:xsd:camt\.054\.001\.\d\d")
_ANY_NAMESPACE = re.compile(rb"xmlns(?::\w+)?\s*=\s*[\"']([^\"']{1,200})[\"']")


def _strip_bom(head: bytes) -> bytes:
    for bom in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :]
    return head


def detect_format(head: bytes) -> str:
    """Return ``"ocr_giro"`` or ``"camt054"`` for a file starting with ``head``.

    :raises ParseError: the bytes are neither format.
    """
    body = _strip_bom(head)
    if not body.strip():
        raise ParseError(m.EMPTY_FILE)
    if body.startswith(b"NY000010"):
        return OCR_GIRO
    if body.lstrip().startswith(b"<"):
        if _CAMT054_NAMESPACE.search(body):
            return CAMT054
        other = _ANY_NAMESPACE.search(body)
        namespace = other[1].decode("ascii", "replace") if other else "-"
        raise ParseError(m.XML_NOT_CAMT054, params={"namespace": namespace})
    raise ParseError(m.UNKNOWN_FORMAT, params={"start": repr(body[:16])[1:]})


class PrefixedStream:
    """A binary stream whose first bytes were already read: they are given back first."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = head
        self._stream = stream

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size is None or size < 0:
                data, self._head = self._head + self._stream.read(), b""
                return data
            data, self._head = self._head[:size], self._head[size:]
            if len(data) < size:
                data += self._stream.read(size - len(data))
            return data
        return self._stream.read(size)


def open_file(stream: BinaryIO) -> ParsedFile:
    """Tell the format of the file in ``stream`` from its first bytes and return it, ready to be read.

    :raises ParseError: the file is neither an OCR Giro file nor a camt.054 notification, or its version is
        not supported.
    """
    from factoring.parsers import camt054, ocr_giro

    head = stream.read(HEAD_SIZE)
    fmt = detect_format(head)
    whole = PrefixedStream(head, stream)
    if fmt == OCR_GIRO:
        return ocr_giro.OcrGiroFile(whole)  # type: ignore[arg-type]
    return camt054.Camt054File(whole, head=head)  # type: ignore[arg-type]
