"""Random postings, reconciliations (with overpayments), bulk runs, reversals and undos keep the invariants.

Each example runs in a savepoint that is rolled back, against the real PostgreSQL with its triggers. An oracle
in plain Python follows what each open item's remainder must be.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import errors, models, selectors, services
from tests.ledger.conftest import DAY, NOW, Book, book_create
from tests.ledger.factories import CustomerItemFactory

pytestmark = pytest.mark.django_db

cents = st.integers(min_value=1, max_value=500_000).map(lambda c: Decimal(c).scaleb(-2))
operations = st.lists(
    st.one_of(
        st.tuples(st.just("pay"), st.integers(0, 3), cents),
        st.tuples(st.just("bulk"), st.lists(st.tuples(st.integers(0, 3), cents), min_size=1, max_size=4)),
        st.tuples(st.just("undo"), st.integers(0, 50)),
        st.tuples(st.just("reverse"), cents),
    ),
    min_size=1,
    max_size=12,
)


class _Rollback(Exception):
    pass


def _payment_specs(book: Book, amounts: list[Decimal]) -> list[services.VoucherSpec]:
    return [services.VoucherSpec(date=DAY, lines=book.payment_lines(amount)) for amount in amounts]


def _invariants_check(book: Book, items: list[models.OpenItem], expected: dict[int, Decimal]) -> None:
    assert not selectors.vouchers_unbalanced(company=book.company).exists()
    assert not selectors.open_items_inconsistent(company=book.company).exists()
    for item in models.OpenItem.objects.filter(pk__in=[i.pk for i in items]):
        assert Decimal(0) <= item.remaining_amount <= item.amount
        assert item.remaining_amount == expected[item.pk]
    for credit in models.OpenItem.objects.filter(company=book.company, amount__lt=0):
        assert credit.amount <= credit.remaining_amount <= 0


def _run(book: Book, amounts: list[Decimal], steps: list[tuple]) -> None:
    items = [
        CustomerItemFactory.create(company=book.company, customer=book.customer, amount=a, remaining_amount=a)
        for a in amounts
    ]
    expected = {item.pk: item.amount for item in items}
    made: list[tuple[models.Reconciliation, Decimal]] = []
    for step in steps:
        if step[0] == "pay":
            item = items[step[1] % len(items)]
            voucher = book.payment_post(step[2])
            if expected[item.pk] == 0:
                with pytest.raises(errors.ReconciliationError):
                    services.reconciliation_create(
                        open_item=item, journal_line=book.receivables_line(voucher), amount=step[2], now=NOW
                    )
            else:
                reconciliation = services.reconciliation_create(
                    open_item=item, journal_line=book.receivables_line(voucher), amount=step[2], now=NOW
                )
                applied = min(step[2], expected[item.pk])
                assert reconciliation.amount == applied
                expected[item.pk] -= applied
                made.append((reconciliation, applied))
        elif step[0] == "bulk":
            pairs = []
            for index, amount in step[1]:
                pairs.append((items[index % len(items)], amount))
            ids = services.vouchers_post_bulk(
                company=book.company,
                series=book.series,
                batch=None,
                vouchers=_payment_specs(book, [amount for _, amount in pairs]),
                now=NOW,
            )
            lines = selectors.journal_lines_of_vouchers(voucher_ids=ids, account_id=book.receivables.pk)
            specs = [
                services.ReconciliationSpec(open_item_id=item.pk, journal_line_id=line.pk, amount=amount)
                for (item, amount), line in zip(pairs, lines, strict=True)
            ]
            # In input order: each pays what is left of its item, the one that goes beyond leaves a credit
            # item, and any after that one (its item settled) refuses the whole run.
            left = dict(expected)
            applied_of: list[Decimal] = []
            for item, amount in pairs:
                if left[item.pk] <= 0:
                    break
                applied_of.append(min(amount, left[item.pk]))
                left[item.pk] -= applied_of[-1]
            if len(applied_of) == len(pairs):
                assert services.reconciliations_create_bulk(
                    company=book.company, items=specs, now=NOW
                ) == len(specs)
                expected.update(left)
                made.extend(
                    (r, r.amount)
                    for r in models.Reconciliation.objects.filter(
                        journal_line_id__in=[s.journal_line_id for s in specs]
                    )
                )
            else:
                with pytest.raises(errors.ReconciliationError):
                    services.reconciliations_create_bulk(company=book.company, items=specs, now=NOW)
        elif step[0] == "undo" and made:
            reconciliation, applied = made.pop(step[1] % len(made))
            services.reconciliation_undo(reconciliation=reconciliation)
            expected[reconciliation.open_item_id] += applied
        elif step[0] == "reverse":
            voucher = book.payment_post(step[1])
            services.voucher_reverse(voucher=voucher, date=DAY + datetime.timedelta(days=1), now=NOW)
        _invariants_check(book, items, expected)


def _run_and_roll_back(amounts: list[Decimal], steps: list[tuple]) -> None:
    with transaction.atomic():
        _run(book_create(), amounts, steps)
        raise _Rollback


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(amounts=st.lists(cents, min_size=1, max_size=4), steps=operations)
def test_random_postings_and_reconciliations_keep_vouchers_balanced_and_remainders_in_range(
    db, amounts, steps
):
    with pytest.raises(_Rollback):
        _run_and_roll_back(amounts, steps)
