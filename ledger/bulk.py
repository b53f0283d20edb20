"""Set-based writes for thousands of vouchers and reconciliations.

On PostgreSQL rows go in with COPY (psycopg 3) and open items are updated with one `UPDATE … FROM`. On
SQLite (the embedded database for `make run`) the same work is done with `bulk_create` and an
`UPDATE … FROM (VALUES …)`. These functions are called by `ledger.services` inside its transaction, after it
has checked the input; they do not open transactions of their own.

The one-statement contract: all the lines of one voucher are written by one INSERT or COPY statement, because
the balance trigger checks the vouchers a statement touched when that statement ends (docs/ledger.md).
"""

import datetime
import threading
from collections import defaultdict
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection
from django.utils.translation import gettext, gettext_noop

from ledger import errors, models, rules, selectors
from ledger.money import ZERO
from ledger.specs import ReconciliationSpec, VoucherSpec

_VOUCHER_COLUMNS = "id, company_id, batch_id, series_id, number, date, description, posted_at, reverses_id"
_LINE_FIELDS = (
    "voucher_id",
    "company_id",
    "account_id",
    "amount",
    "currency",
    "description",
    "customer_id",
    "supplier_id",
)
_LINE_COLUMNS = ", ".join(_LINE_FIELDS)
_SQLITE_UPDATE_CHUNK = 500


def is_postgresql() -> bool:
    """Tell whether the default database is PostgreSQL (COPY and triggers) rather than SQLite."""
    return connection.vendor == "postgresql"


def ids_reserve(*, table: str, count: int) -> list[int]:
    """Take `count` ids from the id sequence of `table` (PostgreSQL), to name rows before COPY."""
    with connection.cursor() as cursor:
        # Resolve the sequence once: pg_get_serial_sequence per row costs six times the nextval itself.
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
        return [row[0] for row in cursor.fetchall()]


def vouchers_copy(
    *,
    company_id: int,
    series_id: int,
    batch_id: int | None,
    first_number: int,
    vouchers: Sequence[VoucherSpec],
    now: datetime.datetime,
) -> tuple[list[int], list[int]]:
    """Write checked vouchers and their lines with two COPY statements; return the voucher ids, in order,
    and the lines' ids, in the order of the vouchers and of each voucher's lines."""
    ids = ids_reserve(table="ledger_voucher", count=len(vouchers))
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY ledger_voucher ({_VOUCHER_COLUMNS}) FROM STDIN") as copy:
            write = copy.write_row
            for number, (voucher_id, spec) in enumerate(zip(ids, vouchers, strict=True), start=first_number):
                write(
                    (
                        voucher_id,
                        company_id,
                        batch_id,
                        series_id,
                        number,
                        spec.date,
                        spec.description,
                        now,
                        None,
                    )
                )
        # The lines are named before COPY, so that the reconciliation of this transaction's own new lines
        # can skip locking them (`_fresh_lines`).
        line_ids = ids_reserve(table="ledger_journalline", count=sum(len(spec.lines) for spec in vouchers))
        with cursor.copy(f"COPY ledger_journalline (id, {_LINE_COLUMNS}) FROM STDIN") as copy:
            write = copy.write_row
            for line_id, row in zip(
                line_ids, _line_rows(company_id=company_id, voucher_ids=ids, vouchers=vouchers), strict=True
            ):
                write((line_id, *row))
        cursor.execute("SELECT txid_current()")
        _fresh.lines = (connection.alias, cursor.fetchone()[0], set(line_ids))
    return ids, line_ids


# The journal lines the last `vouchers_copy` of this thread wrote, under the id of the transaction that wrote
# them. No other transaction can see them before it commits, so no other can reconcile or reverse them
# meanwhile, and reconciling them in the same transaction needs no lock on them. After a commit the next
# transaction has another id and the set is ignored; after a rollback the lines are gone (sequence values are
# never reused), and a reconciliation naming them is refused by its checks anyway.
_fresh = threading.local()


def _fresh_lines() -> set[int]:
    """The lines the current transaction wrote in its last `vouchers_copy`, or an empty set."""
    noted = getattr(_fresh, "lines", None)
    if noted is None or noted[0] != connection.alias or not connection.in_atomic_block:
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT txid_current()")
        if cursor.fetchone()[0] != noted[1]:
            _fresh.lines = None
            return set()
    return noted[2]


def vouchers_insert(
    *,
    company_id: int,
    series_id: int,
    batch_id: int | None,
    first_number: int,
    vouchers: Sequence[VoucherSpec],
    now: datetime.datetime,
) -> tuple[list[int], list[int]]:
    """Write checked vouchers and their lines with `bulk_create` (any database); return the voucher ids and
    the lines' ids, as `vouchers_copy`."""
    created = models.Voucher.objects.bulk_create(
        [
            models.Voucher(
                company_id=company_id,
                batch_id=batch_id,
                series_id=series_id,
                number=number,
                date=spec.date,
                description=spec.description,
                posted_at=now,
            )
            for number, spec in enumerate(vouchers, start=first_number)
        ]
    )
    ids = [voucher.pk for voucher in created]
    return ids, journal_lines_insert(company_id=company_id, voucher_ids=ids, vouchers=vouchers)


def journal_lines_insert(
    *, company_id: int, voucher_ids: Sequence[int], vouchers: Sequence[VoucherSpec]
) -> list[int]:
    """Write the lines of written vouchers (`voucher_ids[i]` is `vouchers[i]`'s id) with one INSERT; return
    their ids, in the order written."""
    created = models.JournalLine.objects.bulk_create(
        [
            models.JournalLine(**dict(zip(_LINE_FIELDS, row, strict=True)))
            for row in _line_rows(company_id=company_id, voucher_ids=voucher_ids, vouchers=vouchers)
        ]
    )
    return [line.pk for line in created]


def _line_rows(
    *, company_id: int, voucher_ids: Sequence[int], vouchers: Sequence[VoucherSpec]
) -> Iterator[tuple[Any, ...]]:
    """Yield each line of the vouchers as the values of `_LINE_FIELDS`."""
    for voucher_id, spec in zip(voucher_ids, vouchers, strict=True):
        for line in spec.lines:
            yield (
                voucher_id,
                company_id,
                line.account_id,
                line.amount,
                line.currency,
                line.description,
                line.customer_id,
                line.supplier_id,
            )


# --- the lock a reconciliation takes before it checks (PostgreSQL) ---

# A reconciliation checks two things another session may be changing: how much of each line earlier
# reconciliations use, and whether the line's voucher is reversed. So it first locks its lines FOR NO KEY
# UPDATE, in id order (two runs over the same lines cannot deadlock): two reconciliations of one line take
# turns, and `voucher_reverse`, which locks the voucher's lines the same way before it checks, waits for a
# reconciliation under way and makes a new one wait. Locking the lines' vouchers as well (FOR SHARE) would do
# the same for reversals at about twice the cost (docs/benchmarks.md). A SELECT fires no UPDATE trigger, so
# the lines' immutability trigger does not mind.
_LINES_LOCK_SQL = "SELECT 1 FROM ledger_journalline WHERE id {lines} ORDER BY id FOR NO KEY UPDATE"
_LINES_LOCK_LIST_SQL = _LINES_LOCK_SQL.format(lines="= ANY(%s)")
_LINES_LOCK_RECON_IN_SQL = _LINES_LOCK_SQL.format(lines="IN (SELECT journal_line_id FROM ledger_recon_in)")


def journal_lines_lock(*, journal_line_ids: Sequence[int]) -> None:
    """Lock these journal lines until commit, before reconciling them (PostgreSQL only)."""
    if not is_postgresql() or not journal_line_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(_LINES_LOCK_LIST_SQL, [sorted(set(journal_line_ids))])


# --- reconciliations on PostgreSQL ---

# One pass over the input checks every rule; the first broken one is reported. Earlier reconciliations of a
# line are looked up per line through its index, so the cost does not grow with the size of the table.
# The fixed problems the SQL below names, as msgids: told in the user's language when raised
# (`_cannot_reconcile`); those of `rules.reconciliation_problem` are msgids too.
_NOT_THE_COMPANYS_ITEM = gettext_noop("the open item is not one of this company's")
_NOT_THE_COMPANYS_LINE = gettext_noop("the journal line is not one of this company's")
_REVERSED = gettext_noop("its voucher has been reversed")
_SETTLED = gettext_noop("the item is already settled")


def _cannot_reconcile(line_id: object, item_id: object, problem: str) -> str:
    """Why a journal line cannot reconcile an item, in the language active (`problem`: a msgid, or told)."""
    return gettext("Cannot reconcile journal line %(line)s against open item %(item)s: %(problem)s.") % {
        "line": line_id,
        "item": item_id,
        "problem": gettext(problem),
    }


_RECON_PROBLEM_SQL = """
SELECT open_item_id, journal_line_id, problem FROM (
    SELECT t.open_item_id, t.journal_line_id,
           CASE
             WHEN o.id IS NULL OR o.company_id <> %(company)s
               THEN 'the open item is not one of this company''s'
             WHEN l.id IS NULL OR l.company_id <> %(company)s
               THEN 'the journal line is not one of this company''s'
             WHEN sign(t.amount) <> sign(o.amount) THEN 'the amount must have the sign of the item''s amount'
             WHEN sign(l.amount) <> sign(o.amount) * (CASE WHEN o.kind = 'customer' THEN -1 ELSE 1 END)
               THEN 'the journal line is on the wrong side (debit/credit) to pay this item'
             WHEN o.kind = 'customer' AND l.customer_id IS NOT NULL AND l.customer_id <> o.customer_id
               THEN 'the journal line is for another customer'
             WHEN o.kind = 'supplier' AND l.supplier_id IS NOT NULL AND l.supplier_id <> o.supplier_id
               THEN 'the journal line is for another supplier'
             WHEN l.currency <> o.currency THEN 'the journal line and the item have different currencies'
             WHEN reversal.id IS NOT NULL THEN 'its voucher has been reversed'
             WHEN o.remaining_amount = 0 THEN 'the item is already settled'
             WHEN abs(t.before) >= abs(o.remaining_amount)
               THEN format('the item has %%s remaining, which reconciliations before this one in the same '
                           'run already pay', o.remaining_amount)
             WHEN t.line_total + e.used > abs(l.amount)
               THEN format('the line of %%s would be reconciled for %%s in all',
                           l.amount, t.line_total + e.used)
           END AS problem
      FROM (
            SELECT open_item_id, journal_line_id, amount, before,
                   SUM(abs(amount)) OVER (PARTITION BY journal_line_id) AS line_total
              FROM ledger_recon_in
           ) AS t
      -- Joined by primary key only (the company is checked above): a company condition in the join lets stale
      -- statistics on a freshly loaded table turn the join into a loop over all the company's rows.
      LEFT JOIN ledger_openitem AS o ON o.id = t.open_item_id
      LEFT JOIN ledger_journalline AS l ON l.id = t.journal_line_id
      LEFT JOIN LATERAL (
            SELECT rv.id FROM ledger_voucher AS rv WHERE rv.reverses_id = l.voucher_id LIMIT 1
           ) AS reversal ON true
      CROSS JOIN LATERAL (
            SELECT COALESCE(SUM(abs(r.amount) + COALESCE(abs(c.amount), 0)), 0) AS used
              FROM ledger_reconciliation AS r
              LEFT JOIN ledger_openitem AS c ON c.id = r.overpayment_item_id
             WHERE r.journal_line_id = t.journal_line_id
           ) AS e
) AS checked
WHERE problem IS NOT NULL
LIMIT 1
"""

# An overpayment: the reconciliation that takes an item past its remainder pays the remainder, and the excess
# becomes a credit item (negative amount) for the same party, dated as the paying line's voucher, as
# `services.reconciliation_create` does one at a time. Only the last reconciliation of an item in a run can
# be one (the check above refuses any after it). The voucher's date is looked up for those rows alone (a
# join for every row of the run cost 70 ms per 20 000 reconciliations, nearly all of them not overpaid).
_RECON_OVER_SQL = """
CREATE TEMPORARY TABLE ledger_recon_over ON COMMIT DROP AS
SELECT t.ord, nextval(%(sequence)s::regclass) AS credit_item_id,
       t.amount - (o.remaining_amount - t.before) AS excess,
       o.kind, o.customer_id, o.supplier_id, o.currency,
       (SELECT v.date FROM ledger_journalline AS l JOIN ledger_voucher AS v ON v.id = l.voucher_id
         WHERE l.id = t.journal_line_id) AS date
  FROM ledger_recon_in AS t
  JOIN ledger_openitem AS o ON o.id = t.open_item_id
 WHERE abs(t.amount + t.before) > abs(o.remaining_amount)
"""

_CREDIT_ITEMS_INSERT_SQL = """
INSERT INTO ledger_openitem (id, company_id, kind, customer_id, supplier_id, invoice_no, kid, currency,
                             amount, remaining_amount, invoice_date, due_date, status, created_at)
SELECT credit_item_id, %(company)s, kind, customer_id, supplier_id, '', '', currency, -excess, -excess,
       date, date, 'open', %(now)s
  FROM ledger_recon_over
"""

_RECON_INSERT_SQL = """
INSERT INTO ledger_reconciliation (company_id, open_item_id, journal_line_id, amount, created_at,
                                   overpayment_item_id)
SELECT %(company)s, t.open_item_id, t.journal_line_id, t.amount - COALESCE(ov.excess, 0), %(now)s,
       ov.credit_item_id
  FROM ledger_recon_in AS t LEFT JOIN ledger_recon_over AS ov ON ov.ord = t.ord
"""

_OPEN_ITEMS_UPDATE_SQL = """
UPDATE ledger_openitem AS o
   SET remaining_amount = CASE WHEN abs(t.total) >= abs(o.remaining_amount) THEN 0
                               ELSE o.remaining_amount - t.total END,
       status = CASE
                  WHEN abs(t.total) >= abs(o.remaining_amount) THEN 'settled'
                  WHEN o.remaining_amount - t.total = o.amount THEN 'open'
                  ELSE 'partially_open'
                END
  FROM (SELECT open_item_id, SUM(amount) AS total FROM ledger_recon_in GROUP BY open_item_id) AS t
 WHERE o.id = t.open_item_id
"""


_PLANNER_SAVE_SQL = "SELECT current_setting('work_mem'), current_setting('random_page_cost')"
_PLANNER_SET_SQL = "SELECT set_config('work_mem', %s, true), set_config('random_page_cost', %s, true)"


def reconciliations_copy(
    *, company_id: int, items: Sequence[ReconciliationSpec], now: datetime.datetime
) -> int:
    """Check and write reconciliations through a COPY-filled temporary table; return how many were written.

    An item paid beyond its remainder is settled and the excess becomes a credit item (as
    `services.reconciliation_create` does); only the last reconciliation of an item in `items` may do that.

    :raises errors.ReconciliationError: an item or line of another company, a wrong sign or side, a settled
        item, a reconciliation after the one that settles its item, or a line used beyond its amount.
    """
    with connection.cursor() as cursor:
        # Dropped at the end; ON COMMIT DROP covers a run that stops halfway (its savepoint is rolled back).
        cursor.execute(
            "CREATE TEMPORARY TABLE ledger_recon_in "
            "(ord integer NOT NULL, open_item_id bigint NOT NULL, journal_line_id bigint NOT NULL, "
            "amount numeric(18, 2) NOT NULL, before numeric(18, 2) NOT NULL) ON COMMIT DROP"
        )
        # `before`: what the run's earlier reconciliations of the same item pay, counted here in input order.
        before: dict[int, Decimal] = {}
        with cursor.copy(
            "COPY ledger_recon_in (ord, open_item_id, journal_line_id, amount, before) FROM STDIN"
        ) as copy:
            write = copy.write_row
            for ord_, spec in enumerate(items):
                earlier = before.get(spec.open_item_id, ZERO)
                write((ord_, spec.open_item_id, spec.journal_line_id, spec.amount, earlier))
                before[spec.open_item_id] = earlier + spec.amount
        del before
        cursor.execute("ANALYZE ledger_recon_in")
        # For this work only: room for hashing tens of thousands of rows, and index probes priced as the
        # cached reads they are, so that a small run probes a large table by id instead of scanning it whole.
        cursor.execute(_PLANNER_SAVE_SQL)
        saved_settings = cursor.fetchone()
        cursor.execute(_PLANNER_SET_SQL, ["64MB", "1.1"])
        fresh = _fresh_lines()
        if not fresh or any(spec.journal_line_id not in fresh for spec in items):
            cursor.execute(_LINES_LOCK_RECON_IN_SQL)
        params: dict[str, int | datetime.datetime] = {"company": company_id, "now": now}
        cursor.execute(_RECON_PROBLEM_SQL, params)
        problem = cursor.fetchone()
        if problem is not None:
            raise errors.ReconciliationError(_cannot_reconcile(problem[1], problem[0], problem[2]))
        cursor.execute("SELECT pg_get_serial_sequence('ledger_openitem', 'id')")
        over_params = {**params, "sequence": cursor.fetchone()[0]}
        cursor.execute(_RECON_OVER_SQL, over_params)
        if cursor.rowcount:
            cursor.execute(_CREDIT_ITEMS_INSERT_SQL, params)
        cursor.execute(_RECON_INSERT_SQL, params)
        written = cursor.rowcount
        cursor.execute(_OPEN_ITEMS_UPDATE_SQL)
        cursor.execute("DROP TABLE pg_temp.ledger_recon_in, pg_temp.ledger_recon_over")
        cursor.execute(_PLANNER_SET_SQL, list(saved_settings))
    return written


# --- reconciliations on any database (the SQLite fallback) ---


def reconciliations_insert(
    *, company_id: int, items: Sequence[ReconciliationSpec], now: datetime.datetime
) -> int:
    """Check and write reconciliations with `bulk_create` and `UPDATE … FROM (VALUES …)`; return how many.

    :raises errors.ReconciliationError: as `reconciliations_copy`.
    """
    journal_lines_lock(journal_line_ids=[spec.journal_line_id for spec in items])
    item_rows = {
        row[0]: row
        for row in models.OpenItem.objects.filter(
            company_id=company_id, pk__in={spec.open_item_id for spec in items}
        ).values_list("id", "kind", "customer_id", "supplier_id", "currency", "amount", "remaining_amount")
    }
    line_rows = {
        row[0]: row
        for row in models.JournalLine.objects.filter(
            company_id=company_id, pk__in={spec.journal_line_id for spec in items}
        ).values_list("id", "customer_id", "supplier_id", "currency", "amount")
    }
    reversed_lines = set(
        models.JournalLine.objects.filter(
            pk__in=line_rows.keys(), voucher__reversed_by__isnull=False
        ).values_list("pk", flat=True)
    )
    totals: dict[int, Decimal] = defaultdict(lambda: ZERO)
    line_use: dict[int, Decimal] = defaultdict(lambda: ZERO)
    excess: dict[int, Decimal] = {}  # index in `items` -> the part beyond the item's remainder
    for index, spec in enumerate(items):
        item = item_rows.get(spec.open_item_id)
        line = line_rows.get(spec.journal_line_id)
        if item is None:
            raise errors.ReconciliationError(
                _cannot_reconcile(spec.journal_line_id, spec.open_item_id, _NOT_THE_COMPANYS_ITEM)
            )
        if line is None:
            raise errors.ReconciliationError(
                _cannot_reconcile(spec.journal_line_id, spec.open_item_id, _NOT_THE_COMPANYS_LINE)
            )
        problem = rules.reconciliation_problem(
            kind=item[1],
            item_customer_id=item[2],
            item_supplier_id=item[3],
            item_currency=item[4],
            item_amount=item[5],
            line_customer_id=line[1],
            line_supplier_id=line[2],
            line_currency=line[3],
            line_amount=line[4],
            amount=spec.amount,
        )
        if not problem and spec.journal_line_id in reversed_lines:
            problem = _REVERSED
        remaining = item[6]
        if not problem and remaining == 0:
            problem = _SETTLED
        if not problem and abs(totals[spec.open_item_id]) >= abs(remaining):
            problem = gettext(
                "the item has %(remaining)s remaining, which reconciliations before this one in the same run "
                "already pay"
            ) % {"remaining": remaining}
        if problem:
            raise errors.ReconciliationError(
                _cannot_reconcile(spec.journal_line_id, spec.open_item_id, problem)
            )
        totals[spec.open_item_id] += spec.amount
        line_use[spec.journal_line_id] += abs(spec.amount)
        if abs(totals[spec.open_item_id]) > abs(remaining):
            excess[index] = totals[spec.open_item_id] - remaining
    earlier_use = dict(selectors.journal_lines_used(journal_line_ids=line_use.keys()))
    for line_id, used in line_use.items():
        earlier = earlier_use.get(line_id, ZERO)
        if used + earlier > abs(line_rows[line_id][4]):
            raise errors.ReconciliationError(
                gettext("Journal line %(line)s of %(amount)s would be reconciled for %(total)s in all.")
                % {"line": line_id, "amount": line_rows[line_id][4], "total": used + earlier}
            )
    credit_items = _credit_items_create(
        company_id=company_id, items=items, excess=excess, item_rows=item_rows, now=now
    )
    models.Reconciliation.objects.bulk_create(
        [
            models.Reconciliation(
                company_id=company_id,
                open_item_id=spec.open_item_id,
                journal_line_id=spec.journal_line_id,
                amount=spec.amount - excess.get(index, ZERO),
                created_at=now,
                overpayment_item_id=credit_items.get(index),
            )
            for index, spec in enumerate(items)
        ]
    )
    updates = []
    for item_id, total in totals.items():
        amount, remaining = item_rows[item_id][5], item_rows[item_id][6] - total
        if abs(total) >= abs(item_rows[item_id][6]):
            remaining = ZERO
        updates.append((item_id, str(remaining), rules.open_item_status(amount=amount, remaining=remaining)))
    with connection.cursor() as cursor:
        for start in range(0, len(updates), _SQLITE_UPDATE_CHUNK):
            chunk = updates[start : start + _SQLITE_UPDATE_CHUNK]
            # Only placeholders are formatted into the SQL; the values go as parameters.
            values = ", ".join(["(%s, %s, %s)"] * len(chunk))
            sql = (
                "UPDATE ledger_openitem SET remaining_amount = v.remaining, status = v.status FROM "  # noqa: S608
                "(SELECT column1 AS id, column2 AS remaining, column3 AS status "
                f"FROM (VALUES {values})) AS v WHERE ledger_openitem.id = v.id"
            )
            cursor.execute(
                sql,
                [value for row in chunk for value in row],
            )
    return len(items)


def _credit_items_create(
    *,
    company_id: int,
    items: Sequence[ReconciliationSpec],
    excess: dict[int, Decimal],
    item_rows: dict[int, tuple[Any, ...]],
    now: datetime.datetime,
) -> dict[int, int]:
    """Make the credit items of overpayments (`excess`, by index in `items`); return index -> new item id."""
    if not excess:
        return {}
    line_dates = dict(
        models.JournalLine.objects.filter(
            pk__in={items[index].journal_line_id for index in excess}
        ).values_list("pk", "voucher__date")
    )
    indexes = sorted(excess)
    created = models.OpenItem.objects.bulk_create(
        [
            models.OpenItem(
                company_id=company_id,
                kind=item_rows[items[index].open_item_id][1],
                customer_id=item_rows[items[index].open_item_id][2],
                supplier_id=item_rows[items[index].open_item_id][3],
                currency=item_rows[items[index].open_item_id][4],
                amount=-excess[index],
                remaining_amount=-excess[index],
                status=models.OpenItemStatus.OPEN,
                invoice_date=line_dates[items[index].journal_line_id],
                due_date=line_dates[items[index].journal_line_id],
            )
            for index in indexes
        ]
    )
    return {index: item.pk for index, item in zip(indexes, created, strict=True)}
