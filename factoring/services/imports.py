"""Importing a bank file: streamed in chunks, interpreted, posted and reconciled in one transaction.

A file is imported whole or not at all: a ParseError (the control totals are checked when the file ends), a
refusal or a crash rolls everything back. Progress is written to the "progress" cache, which other processes
read while the transaction is still open (the import's row is not visible to them until it commits).
"""

import contextlib
import datetime
import hashlib
import queue
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Generator, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, connection, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from psycopg import errors as psycopg_errors

from company import models as company_models
from factoring import errors, models, parsers
from factoring.services import definitions as definitions_services
from factoring.services import posting
from ledger import collector, sqlarrays
from ledger import errors as ledger_errors
from ledger import services as ledger_services
from ledger.money import ZERO

CHUNK_SIZE = 20000
# SQLite binds each value of a lookup as its own parameter (at most 32 766 a statement): smaller chunks there.
SQLITE_CHUNK_SIZE = 2000
PROGRESS_CACHE = "progress"
PROGRESS_TIMEOUT = 24 * 3600
_HASH_BLOCK = 1 << 20

Progress = Callable[[dict[str, Any]], None]


def progress_key(import_id: int) -> str:
    return f"factoring:import-progress:{import_id}"


def import_progress(*, import_id: int) -> dict[str, Any] | None:
    """Return the last progress written by the run of an import (None if none was written)."""
    value = caches[PROGRESS_CACHE].get(progress_key(import_id))
    return value if isinstance(value, dict) else None


class _CountingReader:
    """A binary stream that counts and hashes what is read through it."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.bytes_read = 0
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.bytes_read += len(data)
        self.digest.update(data)
        return data


def _content_hash(stream: BinaryIO) -> tuple[str, int] | None:
    """Hash a seekable stream from its start and rewind it; None when it cannot seek."""
    try:
        if not stream.seekable():
            return None
        stream.seek(0)
    except (AttributeError, OSError):
        return None
    digest = hashlib.sha256()
    size = 0
    while block := stream.read(_HASH_BLOCK):
        digest.update(block)
        size += len(block)
    stream.seek(0)
    return digest.hexdigest(), size


def _duplicate_check(
    *, company: company_models.Company, content_hash: str, exclude: int | None = None
) -> None:
    earlier = (
        models.IncomingImport.objects.filter(
            company=company, content_hash=content_hash, status=models.ImportStatus.DONE
        )
        .exclude(pk=exclude or 0)
        .first()
    )
    if earlier is not None:
        raise errors.DuplicateFile(
            _("This file was imported before: import %(id)s (%(name)s, %(when)s). Nothing was imported.")
            % {
                "id": earlier.pk,
                "name": earlier.filename,
                "when": formats.date_format(timezone.localtime(earlier.created_at), "SHORT_DATETIME_FORMAT"),
            },
            earlier_id=earlier.pk,
        )


def incoming_file_queue(
    *, company: company_models.Company, stream: BinaryIO, filename: str, user: Any, now: datetime.datetime
) -> models.IncomingImport:
    """Store an uploaded file and record its import as queued, for the "imports" worker to run.

    :raises errors.DuplicateFile: the same file was imported for the company before.
    """
    folder = Path(settings.MEDIA_ROOT) / "incoming"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.dat"
    digest = hashlib.sha256()
    size = 0
    with path.open("wb") as out:
        while block := stream.read(_HASH_BLOCK):
            digest.update(block)
            size += len(block)
            out.write(block)
    try:
        _duplicate_check(company=company, content_hash=digest.hexdigest())
    except errors.DuplicateFile:
        path.unlink(missing_ok=True)
        raise
    with transaction.atomic():
        file_import = models.IncomingImport.objects.create(
            company=company,
            filename=filename[:255],
            content_hash=digest.hexdigest(),
            size=size,
            created_by=user if getattr(user, "is_authenticated", False) else None,
            created_at=now,
            stored_path=str(path),
        )
    caches[PROGRESS_CACHE].set(
        progress_key(file_import.pk),
        {"state": "queued", "bytes_read": 0, "size": size, "payments_read": 0},
        PROGRESS_TIMEOUT,
    )
    return file_import


def incoming_import_fail(*, file_import: models.IncomingImport, reason: str, now: datetime.datetime) -> None:
    """Record that a queued import was refused (its work was rolled back)."""
    with transaction.atomic():
        row = models.IncomingImport.objects.select_for_update().get(pk=file_import.pk)
        if not row.can_run():
            return
        row.status = models.ImportStatus.FAILED
        row.error = reason[:2000]
        row.finished_at = now
        row.save(update_fields=["status", "error", "finished_at"])
    caches[PROGRESS_CACHE].set(
        progress_key(file_import.pk), {"state": "failed", "error": reason}, PROGRESS_TIMEOUT
    )


def incoming_file_import(
    *,
    company: company_models.Company,
    stream: BinaryIO,
    filename: str,
    user: Any,
    now: datetime.datetime,
    progress: Progress | None = None,
    file_import: models.IncomingImport | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> models.IncomingImport:
    """Import a Nets OCR Giro or camt.054 file for `company`: all of it, or (on any refusal) none of it.

    Payments another import or AutoPay already took (same credited account, archive reference, date, amount)
    are skipped and listed with the payment that took them. `file_import` is a queued import to run (the
    upload path); without it the import's row is made here.

    :raises errors.DuplicateFile: the same file was imported for the company before.
    :raises errors.FileRefused: the file is unreadable, its control totals disagree, a credited account has no
        KID definition, or the ledger refuses the posting.
    """
    try:
        try:
            return _import(
                company=company,
                stream=stream,
                filename=filename,
                user=user,
                now=now,
                progress=progress,
                file_import=file_import,
                chunk_size=chunk_size,
            )
        except (IntegrityError, psycopg_errors.UniqueViolation) as exc:
            # Another import took some of the same bank lines while this one ran (the same file uploaded
            # twice at once): the database refused them twice (psycopg's own error from a COPY), and this
            # whole import is rolled back.
            if "incomingpayment_unique_bank_identity" not in str(exc):
                raise
            raise errors.FileRefused(
                _(
                    "Another import took some of these payments while this one ran (the same file at the "
                    "same time?). Nothing was imported: import the file again to see what was taken and by "
                    "which import."
                )
            ) from exc
    except errors.IncomingError as exc:
        if file_import is not None:
            incoming_import_fail(file_import=file_import, reason=str(exc), now=now)
        raise


def _import(
    *,
    company: company_models.Company,
    stream: BinaryIO,
    filename: str,
    user: Any,
    now: datetime.datetime,
    progress: Progress | None,
    file_import: models.IncomingImport | None,
    chunk_size: int,
) -> models.IncomingImport:
    if connection.vendor != "postgresql":
        chunk_size = min(chunk_size, SQLITE_CHUNK_SIZE)
    hashed = _content_hash(stream)
    if hashed is not None:
        _duplicate_check(
            company=company, content_hash=hashed[0], exclude=file_import.pk if file_import else None
        )
    reader = _CountingReader(stream)
    size = hashed[1] if hashed is not None else (file_import.size if file_import is not None else 0)
    cache = caches[PROGRESS_CACHE]
    try:
        with transaction.atomic():
            if file_import is not None:
                row = models.IncomingImport.objects.select_for_update().get(pk=file_import.pk)
                if not row.can_run():
                    raise errors.FileRefused(
                        _("Import %(id)s has already run (%(status)s).")
                        % {"id": row.pk, "status": row.get_status_display()}
                    )
            else:
                row = models.IncomingImport.objects.create(
                    company=company,
                    filename=filename[:255],
                    content_hash=hashed[0] if hashed is not None else "",
                    size=size,
                    created_by=user if getattr(user, "is_authenticated", False) else None,
                    created_at=now,
                )
            definitions = {
                definition.bank_account: definition
                for definition in models.FactoringCompany.objects.filter(company=company).select_related(
                    "gl_account", "voucher_series"
                )
            }
            ledger_accounts = posting.accounts_of(company=company)
            batch = ledger_services.batch_create(
                company=company,
                description=(_("Incoming file %(name)s") % {"name": filename})[:200],
                source="incoming",
                now=now,
            )
            parsed = parsers.open_file(reader)  # type: ignore[arg-type]
            counts = {"read": 0, "imported": 0, "skipped": 0}
            skipped_amount = ZERO

            # The bytes read up to the end of the chunk being posted (the parser reads ahead of it).
            posted = {"bytes": 0}

            def report(state: str) -> None:
                value = {
                    "state": state,
                    "bytes_read": reader.bytes_read if state == "done" else posted["bytes"],
                    "size": size,
                    "payments_read": counts["read"],
                    "imported": counts["imported"],
                    "skipped": counts["skipped"],
                }
                cache.set(progress_key(row.pk), value, PROGRESS_TIMEOUT)
                if progress is not None:
                    progress(value)

            report("running")
            chunks = _read_ahead(parsed.chunks(chunk_size), position=lambda: reader.bytes_read)
            with contextlib.closing(chunks):  # a refusal stops the parser now, not when collected
                for chunk, at in chunks:
                    posted["bytes"] = at
                    counts["read"] += len(chunk)
                    new, skipped_here = _chunk_split(row=row, chunk=chunk)
                    counts["skipped"] += skipped_here[0]
                    skipped_amount += skipped_here[1]
                    if new:
                        keys = [definitions_services.account_key(payment.credited_account) for payment in new]
                        for payment, key in zip(new, keys, strict=True):
                            if key not in definitions:
                                raise errors.FileRefused(
                                    _(
                                        "Line %(line)s: %(company)s has no KID definition for bank account "
                                        "%(account)s; add one in the Factoring company table. "
                                        "Nothing was imported."
                                    )
                                    % {
                                        "line": payment.line_no,
                                        "company": company,
                                        "account": payment.credited_account,
                                    }
                                )
                        with collector.collector_paused():  # the chunk's objects, freed after it
                            posting.payments_take(
                                company=company,
                                definitions=definitions,
                                payments=new,
                                accounts=keys,
                                ledger_accounts=ledger_accounts,
                                batch=batch,
                                file_import=row,
                                message_ids=None,
                                now=now,
                            )
                        counts["imported"] += len(new)
                    report("running")
            summary = parsed.summary
            if hashed is None:
                row.content_hash = reader.digest.hexdigest()
                row.size = reader.bytes_read
                _duplicate_check(company=company, content_hash=row.content_hash, exclude=row.pk)
            row.format = summary.format
            row.version = summary.version[:20]
            row.file_reference = summary.file_reference[:100]
            row.file_payment_count = summary.payment_count
            row.file_total_amount = summary.total_amount
            row.payments_read = counts["read"]
            row.imported_count = counts["imported"]
            row.skipped_count = counts["skipped"]
            row.skipped_amount = skipped_amount
            row.status = models.ImportStatus.DONE
            row.finished_at = now
            row.error = ""
            row.save()
            report("done")
    except parsers.ParseError as exc:
        raise errors.FileRefused(
            _("The file cannot be imported: %(reason)s Nothing was imported.")
            % {"reason": str(exc).rstrip(".") + "."}
        ) from exc
    except ledger_errors.LedgerError as exc:
        raise errors.FileRefused(
            _("The ledger refused the posting: %(reason)s Nothing was imported.") % {"reason": exc}
        ) from exc
    except IntegrityError as exc:
        if getattr(exc.__cause__, "sqlstate", None) == "23503":
            raise errors.FileRefused(
                _(
                    "Something these payments refer to (a customer, an open item, the KID definition) was "
                    "deleted or changed at the same time; nothing was imported. Import the file again. "
                    "(%(error)s)"
                )
                % {"error": str(exc).splitlines()[0]}
            ) from exc
        raise errors.FileRefused(
            _(
                "Another import took some of these payments at the same time; import the file again. "
                "(%(error)s)"
            )
            % {"error": str(exc).splitlines()[0]}
        ) from exc
    return row


_READ_AHEAD = 2


def _read_ahead(
    chunks: Iterator[list[parsers.ParsedPayment]], *, position: Callable[[], int]
) -> Generator[tuple[list[parsers.ParsedPayment], int]]:
    """Yield `chunks`, parsed by a thread of their own up to two chunks ahead, each with `position()` (the
    bytes read) as it was when the chunk was complete.

    Parsing is Python work and posting mostly waits for PostgreSQL: the next chunk is read while the database
    works on this one. An error of the parser is raised here, in the order the chunks came; when the import
    stops early (a refusal, an error), the parser stops too.
    """
    box: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=_READ_AHEAD)
    stop = threading.Event()

    def put(item: tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                box.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def parse() -> None:
        try:
            for chunk in chunks:
                if not put(("chunk", (chunk, position()))):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the importing thread, which raises it
            put(("error", exc))

    parser = threading.Thread(target=parse, name="incoming-parse", daemon=True)
    parser.start()
    try:
        while True:
            kind, value = box.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        parser.join()


def _chunk_split(
    *, row: models.IncomingImport, chunk: list[parsers.ParsedPayment]
) -> tuple[list[parsers.ParsedPayment], tuple[int, Decimal]]:
    """Split a chunk into the payments not taken before and record the others as skipped."""
    keys = [definitions_services.account_key(payment.credited_account) for payment in chunk]
    taken = taken_payments(
        company_id=row.company_id,
        pairs={(key, p.archive_reference) for key, p in zip(keys, chunk, strict=True) if p.archive_reference},
    )
    new: list[parsers.ParsedPayment] = []
    skipped: list[models.SkippedPayment] = []
    seen: set[tuple[Any, ...]] = set()
    amount = ZERO
    for payment, key in zip(chunk, keys, strict=True):
        if not payment.archive_reference:
            new.append(payment)
            continue
        identity = (
            key,
            payment.archive_reference,
            payment.value_date,
            payment.amount,
            payment.is_reversal,
        )
        earlier = taken.get(identity)
        if earlier is None and identity in seen:
            raise errors.FileRefused(
                _("Line %(line)s repeats a payment of the same file (archive reference %(ref)s).")
                % {"line": payment.line_no, "ref": payment.archive_reference}
            )
        if earlier is not None:
            skipped.append(
                models.SkippedPayment(
                    file_import=row,
                    line_no=payment.line_no,
                    archive_reference=payment.archive_reference,
                    amount=payment.amount,
                    value_date=payment.value_date,
                    earlier_id=earlier,
                )
            )
            amount += payment.amount
            continue
        seen.add(identity)
        new.append(payment)
    if skipped:
        models.SkippedPayment.objects.bulk_create(skipped)
    return new, (len(skipped), amount)


# How many payments of other references a range may hold before the pairs are probed one by one instead.
TAKEN_RANGE_SLACK = 100

_TAKEN_COLUMNS = "q.id, q.credited_account, q.archive_reference, q.value_date, q.amount, q.is_reversal"
# The account's payments whose archive reference lies between the least and the greatest of the chunk's (as
# the database orders text, so no ordering is assumed here): one range scan of the bank identity's unique
# index. A bank numbers its archive references in order, so for a new file the range holds nothing, and for
# an overlapping one little more than the payments it repeats.
_TAKEN_RANGE_SQL = (
    "SELECT " + _TAKEN_COLUMNS + " FROM factoring_incomingpayment q "  # noqa: S608
    "WHERE q.credited_account = %(account)s AND q.archive_reference <> '' AND q.company_id = %(company)s "
    "AND q.archive_reference >= (SELECT min(r) FROM unnest(%(references)s::text[]) AS r) "
    "AND q.archive_reference <= (SELECT max(r) FROM unnest(%(references)s::text[]) AS r) "
    "ORDER BY q.archive_reference LIMIT %(limit)s"
)
# The range scan must walk the index in order, so that its LIMIT stops it early when the range holds many
# others: PostgreSQL cannot see the bounds when it plans, and a bitmap or sequential scan would read the whole
# range (or table) before the LIMIT. Set for that one statement and restored after it.
_SCANS_SAVE_SQL = "SELECT current_setting('enable_bitmapscan'), current_setting('enable_seqscan')"
_SCANS_SET_SQL = "SELECT set_config('enable_bitmapscan', %s, true), set_config('enable_seqscan', %s, true)"
# Each reference probes the same index (one array parameter, not 10 000). The LATERAL with OFFSET 0 keeps it a
# probe: as a join, the stale statistics of a table that grows by whole files made PostgreSQL sort the whole
# table instead (0.4 s per chunk at 200 000 rows).
_TAKEN_PROBE_SQL = (
    "SELECT p.* FROM unnest(%(references)s::text[]) AS t(reference) CROSS JOIN LATERAL (SELECT "  # noqa: S608
    + _TAKEN_COLUMNS
    + " FROM factoring_incomingpayment q "
    "WHERE q.credited_account = %(account)s AND q.archive_reference = t.reference "
    "AND q.archive_reference <> '' AND q.company_id = %(company)s OFFSET 0) AS p"
)


def _taken_of_account(
    cursor: Any, *, company_id: int, account: str, references: list[str]
) -> list[tuple[Any, ...]]:
    """The company's payments to `account` with one of `references` (PostgreSQL): by range, else by probes."""
    params: dict[str, Any] = {
        "company": company_id,
        "account": account,
        "references": sqlarrays.texts(references),
    }
    limit = len(references) + TAKEN_RANGE_SLACK
    cursor.execute(_SCANS_SAVE_SQL)
    saved = list(cursor.fetchone())
    cursor.execute(_SCANS_SET_SQL, ["off", "off"])
    cursor.execute(_TAKEN_RANGE_SQL, {**params, "limit": limit + 1})
    found = cursor.fetchall()
    cursor.execute(_SCANS_SET_SQL, saved)  # (on an error the transaction's rollback restores them)
    if len(found) > limit:
        # The references interleave with many others' (not a bank's running numbers): probe them.
        cursor.execute(_TAKEN_PROBE_SQL, params)
        return list(cursor.fetchall())
    wanted = set(references)
    return [row for row in found if row[2] in wanted]


def taken_payments(*, company_id: int, pairs: set[tuple[str, str]]) -> dict[tuple[Any, ...], int]:
    """The company's payments already taken with one of (account key, archive reference) `pairs`, by bank
    identity.

    The identity is (account key, archive reference, value date, amount, reversal), as in the unique
    constraint; the value is the payment's id. Another company's payments are not told: its lines are not
    this company's to skip (a line of an account the company has no definition for is refused as such).
    """
    taken: dict[tuple[Any, ...], int] = {}
    if not pairs:
        return taken
    if connection.vendor == "postgresql":
        by_account: dict[str, list[str]] = defaultdict(list)
        for account, reference in pairs:
            by_account[account].append(reference)
        rows = []
        with connection.cursor() as cursor:
            for account, references in by_account.items():
                rows.extend(
                    _taken_of_account(cursor, company_id=company_id, account=account, references=references)
                )
    else:
        rows = list(
            models.IncomingPayment.objects.filter(
                company_id=company_id,
                archive_reference__in={reference for _, reference in pairs},
                credited_account__in={account for account, _ in pairs},
            ).values_list(
                "pk", "credited_account", "archive_reference", "value_date", "amount", "is_reversal"
            )
        )
    for pk, account, reference, date, amount, reversal in rows:
        taken[(account, reference, date, amount, reversal)] = pk
    return taken
