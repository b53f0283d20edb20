"""Measure the bank file parsers: payments per second and peak memory, for OCR Giro and camt.054 files.

Usage: .venv/bin/python scripts/bench_parsers.py [N ...]   (default 100000 1000000; files go to a temp dir)
Times are CPU seconds of the parsing process (the machine is shared; wall time varies with its load).
Each file is parsed in a fresh process, so that its peak RSS (VmHWM) is its own; the netsgiro record
parser is timed on the smallest OCR file as the reference the hot path is compared with.
"""

from __future__ import annotations

import json
import os
import pathlib
import random
import subprocess
import sys
import tempfile
import time
from decimal import Decimal

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "autopay_erp.settings.test")


def _rss(field: str) -> int:
    for line in pathlib.Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) * 1024
    return 0


def write_ocr(path: pathlib.Path, n: int) -> None:
    from factoring.parsers.ocr_writer import OcrPayment, ocr_giro_write

    rnd = random.Random(n)

    def payments():
        for i in range(n):
            tx_type = (10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21)[i % 12] if i % 20 == 0 else 10
            yield OcrPayment(
                amount=Decimal(rnd.randint(100, 5_000_000)).scaleb(-2),
                kid="" if tx_type in (20, 21) else f"{i:09d}",
                transaction_type=tx_type,
                payer_account="12345678903" if tx_type < 18 else "",
                archive_reference=f"{i % 10**9:09d}",
                text="Kjøp på terminal" if tx_type in (20, 21) else "",
            )

    with path.open("wb") as stream:
        ocr_giro_write(stream, payments=payments())


def write_camt(path: pathlib.Path, n: int) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.factoring.builders import Detail, Entry, camt054_chunks

    def entries():
        for i in range(0, n, 2):  # half single payments, half batches of two details
            if i % 4 == 0:
                yield Entry(
                    Decimal("150.00"), details=(Detail(Decimal("150.00"), kid=f"{i:09d}", payer_name="Ola"),)
                )
                yield Entry(Decimal("99.50"), details=(Detail(Decimal("99.50"), message=f"Faktura {i}"),))
            else:
                yield Entry(
                    Decimal("300.00"),
                    details=(
                        Detail(Decimal("100.00"), kid=f"{i:09d}"),
                        Detail(Decimal("200.00"), kid=f"{i + 1:09d}"),
                    ),
                    batch_count=2,
                )

    with path.open("wb") as stream:
        for piece in camt054_chunks("camt.054.001.08", entries()):
            stream.write(piece)


def parse_one(path: str) -> None:
    import django

    django.setup()
    from factoring.parsers import open_file

    before = _rss("VmRSS")
    started = time.process_time()
    with open(path, "rb") as stream:
        parsed = open_file(stream)
        count = sum(len(chunk) for chunk in parsed.chunks(5000))
    elapsed = time.process_time() - started
    print(
        json.dumps({"count": count, "seconds": elapsed, "peak_extra_mib": (_rss("VmHWM") - before) / 2**20})
    )


def netsgiro_records(path: str) -> None:
    import netsgiro.records

    started = time.process_time()
    records: list[object] = netsgiro.records.parse(pathlib.Path(path).read_text("latin-1"))
    print(json.dumps({"records": len(records), "seconds": time.process_time() - started}))


def run(*args: str) -> dict:
    command = [sys.executable, __file__, *args]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout  # noqa: S603 - our own script
    return json.loads(out.strip().splitlines()[-1])


def main(sizes: list[int]) -> None:
    import django

    django.setup()
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            ocr = pathlib.Path(folder) / f"ocr-{n}.txt"
            write_ocr(ocr, n)
            result = run("--parse", str(ocr))
            size = ocr.stat().st_size / 2**20
            print(
                f"OCR Giro {n:>9,} payments ({size:,.0f} MiB): {result['seconds']:.2f} s, "
                f"{result['count'] / result['seconds']:,.0f} payments/s, "
                f"peak RSS +{result['peak_extra_mib']:.0f} MiB"
            )
            if n == min(sizes):
                reference = run("--netsgiro", str(ocr))
                print(
                    f"  netsgiro.records.parse on the same file: {reference['seconds']:.2f} s "
                    f"({reference['seconds'] / result['seconds']:.1f}x the parser's time)"
                )
            ocr.unlink()
        n = min(sizes)
        camt = pathlib.Path(folder) / f"camt-{n}.xml"
        write_camt(camt, n)
        result = run("--parse", str(camt))
        size = camt.stat().st_size / 2**20
        print(
            f"camt.054   {result['count']:>9,} payments ({size:,.0f} MiB): {result['seconds']:.2f} s, "
            f"{result['count'] / result['seconds']:,.0f} payments/s, "
            f"peak RSS +{result['peak_extra_mib']:.0f} MiB"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--parse"]:
        parse_one(sys.argv[2])
    elif sys.argv[1:2] == ["--netsgiro"]:
        netsgiro_records(sys.argv[2])
    else:
        main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
