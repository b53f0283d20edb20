"""Any bytes at all: either payments or a ParseError, never another exception, quickly and in flat memory."""

from __future__ import annotations

import io
import pathlib
import random
import subprocess
import sys
import time
import tracemalloc
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from factoring.parsers import ParseError, detect_format, open_file
from factoring.parsers.ocr_giro import OcrGiroFile
from tests.factoring.builders import Detail, Entry, camt054_bytes, camt054_chunks
from tests.factoring.ocr_files import mixed_payments, ocr_bytes

OCR = ocr_bytes(mixed_payments(14))
CAMT = camt054_bytes(
    "camt.054.001.08",
    [
        Entry(
            Decimal("3.00"),
            details=(Detail(Decimal("1.00"), kid="2345676"), Detail(Decimal("2.00"), message="x")),
        ),
        Entry(Decimal("1.00"), direction="DBIT", reversal=True),
    ],
)
CAMT_HEAD = CAMT[: CAMT.index(b"<GrpHdr>")]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_or_refuse(data: bytes) -> int | None:
    """Return the number of payments read, or None for a ParseError; any other exception fails the test."""
    try:
        parsed = open_file(io.BytesIO(data))
        count = sum(len(chunk) for chunk in parsed.chunks(3))
    except ParseError as error:
        str(error)  # the message renders
        return None
    assert parsed.summary.payment_count == count
    return count


@FUZZ
@given(st.binary(max_size=2000))
@example(b"")
@example(b"NY000010")
@example(b"<")
@example(b"\xef\xbb\xbf")
def test_any_bytes_give_payments_or_a_parse_error(data):
    read_or_refuse(data)


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes_after_an_ocr_start_give_payments_or_a_parse_error(data):
    read_or_refuse(OCR[:81] + data)


@FUZZ
@given(st.binary(max_size=400))
def test_any_bytes_after_a_camt054_head_give_payments_or_a_parse_error(data):
    read_or_refuse(CAMT_HEAD + data)


def _mutate(base: bytes, positions: list[int], values: list[int]) -> bytes:
    data = bytearray(base)
    for position, value in zip(positions, values, strict=False):
        data[position % len(data)] = value
    return bytes(data)


@FUZZ
@given(
    st.lists(st.integers(min_value=0), min_size=1, max_size=4),
    st.lists(st.integers(0, 255), min_size=1, max_size=4),
)
def test_valid_ocr_file_with_changed_bytes_gives_payments_or_a_parse_error(positions, values):
    read_or_refuse(_mutate(OCR, positions, values))


@FUZZ
@given(
    st.lists(st.integers(min_value=0), min_size=1, max_size=4),
    st.lists(st.integers(0, 255), min_size=1, max_size=4),
)
def test_valid_camt054_file_with_changed_bytes_gives_payments_or_a_parse_error(positions, values):
    read_or_refuse(_mutate(CAMT, positions, values))


@FUZZ
@given(st.integers(min_value=0, max_value=len(OCR)))
def test_ocr_file_cut_anywhere_gives_its_payments_only_if_whole(cut):
    count = read_or_refuse(OCR[:cut])
    assert count is None or (count == 14 and OCR[:cut].rstrip(b"\n") == OCR.rstrip(b"\n"))


@FUZZ
@given(st.integers(min_value=0, max_value=len(CAMT)))
def test_camt054_file_cut_anywhere_gives_its_payments_only_if_whole(cut):
    count = read_or_refuse(CAMT[:cut])
    assert count is None or (count == 3 and CAMT[:cut].rstrip() == CAMT.rstrip())


def _garbage(prefix: bytes) -> bytes:
    return prefix + random.Random(20261117).randbytes(10 * 1024 * 1024)


@pytest.mark.parametrize("prefix", [b"", b"NY000010", OCR[:81], CAMT_HEAD])
def test_ten_megabytes_of_garbage_are_refused_at_once_in_little_memory(prefix):
    data = _garbage(prefix)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ParseError):
            read_or_refuse_strict(data)
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert (elapsed < 2, peak < 8 * 1024 * 1024) == (True, True)


def read_or_refuse_strict(data: bytes) -> None:
    parsed = open_file(io.BytesIO(data))
    for _ in parsed.chunks():
        pass


def test_detect_format_refuses_other_files():
    with pytest.raises(ParseError, match="neither"):
        detect_format(b"%PDF-1.7\n")


def _peak_while_reading(data: bytes, *, ocr_block_size: int | None = None) -> int:
    stream = io.BytesIO(data)
    tracemalloc.start()
    try:
        parsed = (
            open_file(stream) if ocr_block_size is None else OcrGiroFile(stream, block_size=ocr_block_size)
        )
        for _ in parsed.chunks(500):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_ocr_memory_does_not_grow_with_the_file():
    # Read blocks smaller than the files, so that both files are read block by block.
    small = _peak_while_reading(ocr_bytes(mixed_payments(3_000)), ocr_block_size=64 * 1024)
    large = _peak_while_reading(ocr_bytes(mixed_payments(12_000)), ocr_block_size=64 * 1024)
    assert large < small * 1.5


_PEAK_RSS = """
import os, pathlib, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autopay_erp.settings.test")
django.setup()
from factoring.parsers import open_file

def rss(field):
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) * 1024

before = rss("VmRSS")
with open(sys.argv[1], "rb") as stream:
    for _ in open_file(stream).chunks(500):
        pass
print(rss("VmHWM") - before)
"""


def _peak_rss_while_reading(path: pathlib.Path) -> int:
    root = pathlib.Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", _PEAK_RSS, str(path)], cwd=root, check=True, capture_output=True, text=True
    )
    return int(result.stdout.split()[-1])


def test_camt054_memory_does_not_grow_with_the_file(tmp_path):
    # lxml's tree lives outside Python's allocator, so the process's peak RSS is what tells a tree kept whole:
    # 40 000 entries kept would take some 100 MiB more than 4 000.
    def write(n: int) -> pathlib.Path:
        path = tmp_path / f"camt-{n}.xml"
        entries = (
            Entry(Decimal("1.00"), details=(Detail(Decimal("1.00"), kid=f"{i:08d}", message="m"),))
            for i in range(n)
        )
        with path.open("wb") as stream:
            for piece in camt054_chunks("camt.054.001.08", entries):
                stream.write(piece)
        return path

    small = _peak_rss_while_reading(write(4_000))
    large = _peak_rss_while_reading(write(40_000))
    assert large < small + 20 * 1024 * 1024
