"""The poll of a company's AutoPay feed: fetch pages, hand each message to its app, take effect exactly once.

Exclusive per company across hosts, without a transaction open across HTTP:

1. a lease on the company's cursor row, taken with one conditional UPDATE (free, or expired);
2. for each page, fetched outside any transaction (the next page is fetched while this one is applied): one
   transaction that locks the cursor row, checks the lease is still ours and the cursor is where this poll
   left it, skips messages already applied, hands the rest to the apps, records every message id under a
   unique constraint and advances the cursor;
3. the lease is given back.

A malformed message, or one an app refuses (an unknown line, a backwards status, an incoming payment the
factoring app cannot take), is recorded as an anomaly and the feed goes on. A failure to reach AutoPay ends
the poll; the next poll starts where the cursor stands, so nothing is lost and nothing applied twice
(docs/outgoing.md, "The poll").
"""

import concurrent.futures
import contextlib
import dataclasses
import datetime
import json
import logging
import secrets
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, connections, transaction
from django.db.models import F, Q
from django.utils.translation import gettext
from psycopg import errors as psycopg_errors

from autopay_client import errors as autopay_errors
from autopay_client import messages as autopay_messages
from autopay_erp import models
from company import autopay as company_autopay
from company import models as company_models
from factoring import services as factoring_services
from ledger import collector
from payments.services import errors as payment_errors
from payments.services import status as payment_status

logger = logging.getLogger(__name__)

Anomalies = list[tuple[uuid.UUID, str]]
Clock = Callable[[], datetime.datetime]
Handler = Callable[..., Anomalies]


# Who applies each type of message, in the transaction of its page: (company, messages, now) -> anomalies.
HANDLERS: dict[str, Handler] = {
    autopay_messages.LineStatusMessage.type: payment_status.line_status_messages_apply,
    autopay_messages.IncomingPaymentMessage.type: factoring_services.incoming_payment_messages_apply,
}
# What a handler can work out before the page's transaction, in the thread that fetches the page while the
# page before is applied: (messages, company=, before=, read_ahead=) -> what the handler takes as `prepared`
# with those very messages. `before`: what this preparer made of the page before in this poll (None when that
# page had none of these messages, or this is the poll's first page); `read_ahead`: the preparer may read the
# database in this thread's own connection (PostgreSQL), which does not see the page before until it commits.
PREPARERS: dict[str, Callable[..., object]] = {
    autopay_messages.LineStatusMessage.type: payment_status.line_status_messages_prepare,
}


class PollBusy(Exception):
    """Another poll holds this company's lease."""


class PollLeaseLost(Exception):
    """This poll's lease was taken over, or the cursor moved under it: it stops and changes nothing more."""


@dataclasses.dataclass
class PollResult:
    company_id: int
    after: int
    last_seq: int = 0
    pages: int = 0
    messages_seen: int = 0
    messages_applied: int = 0
    already_applied: int = 0
    anomalies: int = 0
    error: str = ""
    # Why the poll stopped (models.PollErrorKind), when `error` is set.
    error_kind: str = ""
    # Time spent waiting for AutoPay's next page while nothing was left to apply.
    wait_seconds: float = 0.0
    by_type: dict[str, int] = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.error


def _lease_take(*, company: company_models.Company, owner: str, now: datetime.datetime) -> models.PollCursor:
    models.PollCursor.objects.get_or_create(company=company)
    until = now + datetime.timedelta(seconds=settings.AUTOPAY_POLL_LEASE_SECONDS)
    taken = (
        models.PollCursor.objects.filter(company=company)
        .filter(Q(lease_owner="") | Q(lease_until__lt=now) | Q(lease_until__isnull=True))
        .update(lease_owner=owner, lease_until=until)
    )
    if not taken:
        raise PollBusy(f"another poll of {company.org_no} holds the lease")
    return models.PollCursor.objects.get(company=company)


def _lease_give_back(
    *, company: company_models.Company, owner: str, result: PollResult, now: datetime.datetime
) -> None:
    # Stored in the language active when polling (the installation's in a worker), as the sync page shows it.
    summary = gettext("applied: %(applied)d, already applied: %(already)d, anomalies: %(anomalies)d") % {
        "applied": result.messages_applied,
        "already": result.already_applied,
        "anomalies": result.anomalies,
    }
    models.PollCursor.objects.filter(company=company, lease_owner=owner).update(
        lease_owner="",
        lease_until=None,
        last_poll_at=now,
        last_poll_ok=result.ok,
        last_poll_result=(f"{result.error} ({summary})" if result.error else summary)[:500],
        last_poll_applied=result.messages_applied,
        last_poll_already_applied=result.already_applied,
        last_poll_anomalies=result.anomalies,
        last_poll_error=result.error[:500],
        last_poll_error_kind=(result.error_kind or models.PollErrorKind.FAILED) if result.error else "",
    )


def company_poll(
    *,
    company: company_models.Company,
    clock: Clock,
    after: int | None = None,
    max_pages: int | None = None,
    page_size: int | None = None,
    client_factory: Callable[..., Any] | None = None,
) -> PollResult:
    """Poll the company's feed to its end (or `max_pages`); return what was applied.

    `after` re-reads from an earlier point: messages already applied change nothing, and the cursor never
    moves back. AutoPay failures end the poll with `error` set (the cursor stays where the last page left it).

    :raises PollBusy: another poll of this company holds the lease.
    :raises company.selectors.CompanyNotActivated: AutoPay is not activated for the company.
    """
    owner = secrets.token_hex(16)
    cursor = _lease_take(company=company, owner=owner, now=clock())
    expected = cursor.last_seq
    start = cursor.last_seq if after is None else max(0, after)
    result = PollResult(company_id=company.pk, after=start, last_seq=cursor.last_seq)
    factory = client_factory or company_autopay.autopay_client_for
    try:
        with (
            factory(company=company) as client,
            _switching_often(),
            concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool,
        ):
            limit = page_size or settings.AUTOPAY_POLL_PAGE_SIZE

            def fetch(position: int, before: _Prepared | None) -> _Prepared:
                # Split and formatted here, in the thread that fetches, while the page before is applied.
                return _prepared(
                    page=client.messages_tolerant(after=position, limit=limit),
                    company=company,
                    ahead=ahead,
                    read_ahead=read_ahead,
                    before=before,
                )

            # On SQLite the next page is fetched after the commit, not during: the simulator served by this
            # project writes to the same file, which the page's transaction holds.
            ahead = connection.vendor != "sqlite"
            # Inside a caller's transaction the pages' commits are savepoints another connection cannot see.
            read_ahead = ahead and not connection.in_atomic_block

            def submit(position: int, before: _Prepared | None) -> concurrent.futures.Future[_Prepared]:
                if ahead:
                    return pool.submit(fetch, position, before)
                later: concurrent.futures.Future[_Prepared] = concurrent.futures.Future()
                try:
                    later.set_result(fetch(position, before))
                except autopay_errors.AutoPayError as exc:
                    later.set_exception(exc)
                return later

            try:
                _pages_poll(
                    company=company,
                    owner=owner,
                    start=start,
                    expected=expected,
                    max_pages=max_pages,
                    submit=submit,
                    result=result,
                    clock=clock,
                )
            finally:
                if ahead:
                    # The fetching thread's own database connection, if a preparer opened one.
                    try:
                        pool.submit(connections.close_all).result()
                    except Exception:
                        logger.warning("closing the fetching thread's connection failed", exc_info=True)
    except (PollLeaseLost, payment_errors.LinesChangedMeanwhile) as exc:
        # The page was rolled back; the next poll applies it again from where the cursor stands.
        result.error = str(exc)
        result.error_kind = (
            models.PollErrorKind.LEASE_LOST
            if isinstance(exc, PollLeaseLost)
            else models.PollErrorKind.LINES_CHANGED
        )
    except BaseException as exc:
        # Anything else (the company's key unreadable, a time limit, the database) ends the poll as failed, on
        # the cursor as in the caller's record, and goes on up. The cursor, which the company's members see,
        # names only the kind of failure (a database error's text may name its host and user): the log has it.
        result.error = result.error or type(exc).__name__
        result.error_kind = result.error_kind or models.PollErrorKind.FAILED
        logger.warning("poll of %s failed", company.org_no, exc_info=True)
        raise
    finally:
        try:
            # A connection the failure left broken is opened anew for the record (not inside a caller's
            # transaction, which only the caller ends).
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()
            _lease_give_back(company=company, owner=owner, result=result, now=clock())
        except DatabaseError:
            # The database itself is away: the lease runs out on its own, and the failure that brought this
            # about (raised on, not replaced) is the one to tell.
            logger.warning("poll of %s could not give its lease back", company.org_no, exc_info=True)
    return result


# How often a thread holding Python's interpreter lock is made to hand it over while another waits for it,
# during a poll (Python's default is 5 ms). The polling thread spends a poll in many short statements; each
# time one returns, it needs the lock back from the thread that is fetching and preparing the next page.
# With the default, waiting for it took about a seventh of a poll of 10 000 lines (docs/benchmarks.md).
_POLL_SWITCH_INTERVAL = 0.0005
_switching = threading.Lock()
_switching_polls = [0, 0.0]  # polls under way in this process, and the interval to go back to


@contextlib.contextmanager
def _switching_often() -> Iterator[None]:
    """Shorten the interpreter's switch interval while polls run in this process; restore it after."""
    entered = False
    try:
        with _switching:
            # Counted before it is shortened, so that an exception in between leaves nothing short behind.
            if _switching_polls[0] == 0:
                _switching_polls[1] = sys.getswitchinterval()
            _switching_polls[0] += 1
            entered = True
            if _switching_polls[0] == 1:
                sys.setswitchinterval(min(_POLL_SWITCH_INTERVAL, _switching_polls[1]))
        yield
    finally:
        # Restored before the count goes down, so that an exception raised in between (a task's time limit,
        # from a signal) leaves the count up rather than the interval short.
        with _switching:
            if entered:
                if _switching_polls[0] == 1:
                    sys.setswitchinterval(_switching_polls[1])
                _switching_polls[0] -= 1


def _pages_poll(
    *,
    company: company_models.Company,
    owner: str,
    start: int,
    expected: int,
    max_pages: int | None,
    submit: Callable[[int, "_Prepared | None"], concurrent.futures.Future["_Prepared"]],
    result: PollResult,
    clock: Clock,
) -> None:
    """Apply page after page from `start`, each fetched (by `submit`) while the page before is applied."""
    pending = submit(start, None)
    position = start
    while True:
        waiting = time.perf_counter()
        try:
            prepared = pending.result()
        except autopay_errors.AutoPayError as exc:
            result.error = f"AutoPay: {exc}"
            result.error_kind = models.PollErrorKind.AUTOPAY
            logger.warning("poll of %s stopped at %s: %s", company.org_no, position, exc)
            break
        finally:
            result.wait_seconds += time.perf_counter() - waiting
        page = prepared.page
        if not page.messages and not page.malformed:
            break
        # A page that does not move past `position` (only messages seen before) is applied, then the
        # poll ends: asking again would bring the same page.
        more = page.next_after > position and (max_pages is None or result.pages + 1 < max_pages)
        if more:
            pending = submit(page.next_after, prepared)
        with collector.collector_paused():
            expected = _page_apply(
                company=company,
                owner=owner,
                expected=expected,
                prepared=prepared,
                result=result,
                now=clock(),
            )
        result.last_seq = expected
        position = max(position, page.next_after)
        if not more:
            break


def _page_apply(
    *,
    company: company_models.Company,
    owner: str,
    expected: int,
    prepared: "_Prepared",
    result: PollResult,
    now: datetime.datetime,
) -> int:
    """Apply one page in one transaction and advance the cursor; return the cursor's new position."""
    page = prepared.page
    with transaction.atomic():
        cursor = models.PollCursor.objects.select_for_update().get(company=company)
        if cursor.lease_owner != owner or cursor.last_seq != expected:
            raise PollLeaseLost(
                f"the poll of {company.org_no} lost its lease "
                f"(cursor at {cursor.last_seq}, expected {expected})"
            )
        fresh, malformed, rows = prepared.fresh, prepared.malformed, prepared.rows
        repeated = prepared.repeated
        # Optimistic on PostgreSQL: the ids go in first, in a savepoint, and only when the unique constraint
        # refuses one (a message applied before: a re-read, a redelivery) are the applied ones looked up and
        # left out. That spares a lookup of every id of every page.
        if not _applied_messages_insert_new(prepared=prepared, now=now):
            done = applied_message_ids(
                ids=[m.id for m in page.messages] + [m.id for m in page.malformed if m.id is not None]
            )
            by_type, ready = prepared.by_type, prepared.ready
            if done:
                fresh, malformed, rows, repeated = _page_fresh(page=page, done=done)
                by_type, ready = _by_type(fresh), {}
            applied_messages_insert(company_id=company.pk, rows=rows, now=now)
        else:
            by_type, ready = prepared.by_type, prepared.ready
        result.already_applied += repeated
        anomalies: dict[uuid.UUID, str] = {}
        for kind, batch in by_type.items():
            handler = HANDLERS.get(kind)
            if handler is None:
                continue
            if kind in ready:
                anomalies.update(handler(company=company, messages=batch, now=now, prepared=ready[kind]))
            else:
                anomalies.update(handler(company=company, messages=batch, now=now))
        anomaly_rows = [
            models.Anomaly(
                company=company,
                message_id=m.id,
                seq=m.seq,
                type=m.type,
                raw=_payload(m),
                reason=reason[:1000],
                created_at=now,
            )
            for m in fresh
            if (reason := anomalies.get(m.id))
        ] + [
            models.Anomaly(
                company=company,
                message_id=m.id,
                seq=m.seq,
                type=m.type or models.MessageType.MALFORMED,
                raw=_json_safe(m.raw),
                reason=f"malformed: {m.reason}"[:1000],
                created_at=now,
            )
            for m in malformed
        ]
        # A malformed entry without id or seq cannot be told apart from its redelivery: kept each time seen.
        models.Anomaly.objects.bulk_create(anomaly_rows, batch_size=1_000)
        new_seq = max(cursor.last_seq, page.next_after)
        applied = len(fresh) - sum(1 for m in fresh if m.id in anomalies)
        models.PollCursor.objects.filter(pk=cursor.pk).update(
            last_seq=new_seq,
            messages_applied=F("messages_applied") + len(rows),
            lease_until=now + datetime.timedelta(seconds=settings.AUTOPAY_POLL_LEASE_SECONDS),
        )
    result.pages += 1
    result.messages_seen += len(page.messages) + len(page.malformed)
    result.messages_applied += applied
    result.anomalies += len(anomaly_rows)
    for m in fresh:
        result.by_type[m.type] = result.by_type.get(m.type, 0) + 1
    return new_seq


Row = tuple[uuid.UUID, int, str, dict[str, Any] | None]


def _by_type(messages: Sequence[autopay_messages.Message]) -> dict[str, list[autopay_messages.Message]]:
    by_type: dict[str, list[autopay_messages.Message]] = {}
    for message in messages:
        by_type.setdefault(message.type, []).append(message)
    return by_type


def _page_fresh(
    *, page: autopay_messages.TolerantMessagePage, done: set[uuid.UUID]
) -> tuple[list[autopay_messages.Message], list[autopay_messages.MalformedMessage], list[Row], int]:
    """Split the page into what is not in `done` (nor earlier in the page): messages, malformed entries, the
    applied-message rows to record for them, and how many were left out."""
    seen = set(done)
    repeated = 0
    fresh: list[autopay_messages.Message] = []
    for message in page.messages:
        if message.id in seen:
            repeated += 1
        else:
            seen.add(message.id)  # a message twice in one page takes effect once
            fresh.append(message)
    malformed = []
    for entry in page.malformed:
        if entry.id is not None and entry.id in seen:
            repeated += 1
            continue
        if entry.id is not None:
            seen.add(entry.id)
        malformed.append(entry)
    rows: list[Row] = [
        (
            m.id,
            m.seq,
            m.type,
            _payload(m) if m.type == autopay_messages.ApprovalTokenMessage.type else None,
        )
        for m in fresh
    ] + [(m.id, m.seq or 0, models.MessageType.MALFORMED, None) for m in malformed if m.id is not None]
    return fresh, malformed, rows, repeated


def _payload(message: autopay_messages.Message) -> dict[str, Any]:
    payload: dict[str, Any] = _json_safe(dataclasses.asdict(message))
    return payload


def _json_safe(value: object) -> Any:
    return json.loads(json.dumps(value, default=str))


def applied_message_ids(*, ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    """Return which of the message ids have been applied already."""
    if not ids:
        return set()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT message_id FROM autopay_erp_appliedmessage WHERE message_id = ANY(%s::uuid[])",
                [list(ids)],
            )
            return {row[0] for row in cursor.fetchall()}
    return set(models.AppliedMessage.objects.filter(message_id__in=ids).values_list("message_id", flat=True))


def _applied_messages_insert_new(*, prepared: "_Prepared", now: datetime.datetime) -> bool:
    """On PostgreSQL, record the page's rows unless one of their ids is recorded already; False: nothing
    written."""
    if connection.vendor != "postgresql":
        return False
    if not prepared.rows:
        return True
    try:
        with transaction.atomic():
            # Prepared only where the page was fetched ahead (PostgreSQL); otherwise written now.
            text = prepared.copy_text or _applied_copy_text(
                company_id=prepared.company_id, rows=prepared.rows, at=_AT
            )
            _applied_copy(text.replace(_AT, now.isoformat()))
    except (IntegrityError, psycopg_errors.UniqueViolation) as exc:
        cause = exc if isinstance(exc, psycopg_errors.UniqueViolation) else exc.__cause__
        if getattr(getattr(cause, "diag", None), "constraint_name", None) != _APPLIED_UNIQUE:
            raise
        return False
    return True


# The primary key of AppliedMessage, its message id (autopay_erp migration 0003).
_APPLIED_UNIQUE = "autopay_erp_appliedmessage_pkey"


def applied_messages_insert(
    *,
    company_id: int,
    rows: Sequence[tuple[uuid.UUID, int, str, Mapping[str, Any] | None]],
    now: datetime.datetime,
) -> None:
    """Record applied message ids (COPY on PostgreSQL); a duplicate id breaks the unique constraint."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        _applied_copy(_applied_copy_text(company_id=company_id, rows=rows, at=now.isoformat()))
        return
    models.AppliedMessage.objects.bulk_create(
        [
            models.AppliedMessage(
                message_id=message_id,
                company_id=company_id,
                seq=seq,
                type=kind,
                applied_at=now,
                payload=payload,
            )
            for message_id, seq, kind, payload in rows
        ],
        batch_size=500,
    )


def _applied_copy_text(
    *, company_id: int, rows: Sequence[tuple[uuid.UUID, int, str, Mapping[str, Any] | None]], at: str
) -> str:
    """The rows in COPY's text format, written here (uuids, integers, a type from a fixed set, ISO time; JSON
    with its backslashes escaped) rather than row by row through psycopg's dumpers."""
    tail = f"\t{at}\t"
    return "".join(
        f"{message_id}\t{company_id:d}\t{seq:d}\t{kind}"
        + tail
        + ("\\N" if payload is None else json.dumps(payload).replace("\\", "\\\\"))
        + "\n"
        for message_id, seq, kind, payload in rows
    )


def _applied_copy(text: str) -> None:
    with (
        connection.cursor() as cursor,
        cursor.copy(
            "COPY autopay_erp_appliedmessage (message_id, company_id, seq, type, applied_at, payload) "
            "FROM STDIN"
        ) as copy,
    ):
        copy.write(text)


# Stands for the time of applying in a page's COPY text prepared before it is applied: a control character,
# which neither a uuid, an integer, a message type nor JSON text (json.dumps escapes them) can hold.
_AT = "\x01"


@dataclasses.dataclass(frozen=True)
class _Prepared:
    """A page as fetched, split into what is new within it (`_page_fresh` with nothing applied before), and
    the applied-message rows of those in COPY's text format with `_AT` for the time of applying."""

    page: autopay_messages.TolerantMessagePage
    company_id: int
    fresh: list[autopay_messages.Message]
    malformed: list[autopay_messages.MalformedMessage]
    rows: list[Row]
    repeated: int
    copy_text: str
    # The fresh messages by type, and what `PREPARERS` made of them.
    by_type: dict[str, list[autopay_messages.Message]]
    ready: dict[str, object]


def _prepared(
    *,
    page: autopay_messages.TolerantMessagePage,
    company: company_models.Company,
    ahead: bool,
    read_ahead: bool = False,
    before: _Prepared | None = None,
) -> _Prepared:
    """Prepare the page; `ahead`: with its COPY text (PostgreSQL); `read_ahead`: the preparers may read."""
    fresh, malformed, rows, repeated = _page_fresh(page=page, done=set())
    by_type = _by_type(fresh)
    return _Prepared(
        company_id=company.pk,
        by_type=by_type,
        ready={
            kind: PREPARERS[kind](
                batch,
                company=company,
                before=before.ready.get(kind) if before else None,
                read_ahead=read_ahead,
            )
            for kind, batch in by_type.items()
            if kind in PREPARERS
        },
        page=page,
        fresh=fresh,
        malformed=malformed,
        rows=rows,
        repeated=repeated,
        copy_text=_applied_copy_text(company_id=company.pk, rows=rows, at=_AT) if ahead else "",
    )
