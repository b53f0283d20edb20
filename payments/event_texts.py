"""A payment's history as its page shows it: each event's details in the user's language and formats.

The stored details stay what the services wrote (and what `/api/payments/<id>/events/` answers); only the
page puts them in words. A kind or a detail this module does not know is shown as `key: value`: nothing is
hidden.
"""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext, gettext_lazy, ngettext

from autopay_client.statuses import AutoPayStatus
from ledger import models as ledger_models
from payments import models

# AutoPay's statuses as a line's history names them.
AUTOPAY_STATUS_LABELS = {
    AutoPayStatus.NEW: gettext_lazy("new"),
    AutoPayStatus.PENDING_SIGNING: gettext_lazy("pending signing"),
    AutoPayStatus.APPROVED: gettext_lazy("approved"),
    AutoPayStatus.SENT_TO_BANK: gettext_lazy("sent to bank"),
    AutoPayStatus.ACCEPTED_BY_BANK: gettext_lazy("accepted by bank"),
    AutoPayStatus.REJECTED_IN_BANK: gettext_lazy("rejected in bank"),
    AutoPayStatus.CANCELLED: gettext_lazy("cancelled"),
    AutoPayStatus.CANCELLED_IN_BANK: gettext_lazy("cancelled in bank"),
    AutoPayStatus.PAID: gettext_lazy("paid"),
    AutoPayStatus.ERROR: gettext_lazy("error"),
}


def events_shown(
    events: Iterable[models.PaymentEvent], *, company_id: int
) -> list[tuple[models.PaymentEvent, str]]:
    """Each of the company's events with its summary; the vouchers its postings name, and the items its
    removed lines paid, are looked up in one query each, among the company's."""
    events = list(events)
    voucher_ids = {
        voucher
        for event in events
        if event.kind == models.PaymentEventKind.POSTED
        and isinstance(event.details, dict)
        and isinstance(voucher := event.details.get("voucher"), int)
    }
    vouchers = {
        voucher.pk: f"{voucher.series.code}-{voucher.number}"
        for voucher in ledger_models.Voucher.objects.filter(
            company_id=company_id, pk__in=voucher_ids
        ).select_related("series")
    }
    item_ids = {
        item
        for event in events
        if event.kind == models.PaymentEventKind.LINE_REMOVED
        and isinstance(event.details, dict)
        and isinstance(item := event.details.get("open_item"), int)
    }
    items = {
        item.pk: (item.invoice_no, item.supplier.name if item.supplier is not None else "")
        for item in ledger_models.OpenItem.objects.filter(
            company_id=company_id, pk__in=item_ids
        ).select_related("supplier")
    }
    return [(event, event_summary(event, vouchers=vouchers, items=items)) for event in events]


def event_summary(
    event: models.PaymentEvent,
    *,
    vouchers: Mapping[int, str] | None = None,
    items: Mapping[int, tuple[str, str]] | None = None,
) -> str:
    """What the event's details say, in the active language; `key: value` for what is not known here."""
    if not isinstance(event.details, dict):
        return "" if event.details in (None, "") else str(event.details)
    details = event.details
    try:
        text = _summary(event, details, vouchers or {}, items or {})
    except (KeyError, TypeError, ValueError, ArithmeticError):
        text = None
    if text is None:
        return " ".join(f"{key}: {value}" for key, value in details.items())
    line = event.line.end_to_end_id if event.line_id is not None and event.line is not None else ""
    return f"{line}: {text}" if line and text else text


def _summary(
    event: models.PaymentEvent,
    d: dict[str, Any],
    vouchers: Mapping[int, str],
    items: Mapping[int, tuple[str, str]],
) -> str | None:
    kind = event.kind
    kinds = models.PaymentEventKind
    if kind == kinds.PROPOSED:
        parts = [
            ngettext("%(lines)d line, %(total)s in all", "%(lines)d lines, %(total)s in all", int(d["lines"]))
            % {"lines": int(d["lines"]), "total": _amount(d["total"])}
        ]
        if d.get("due_date_from"):
            parts.append(
                gettext("due %(start)s to %(end)s")
                % {"start": _date(d["due_date_from"]), "end": _date(d["due_date_to"])}
            )
        else:
            parts.append(gettext("due up to %(end)s") % {"end": _date(d["due_date_to"])})
        if d.get("left_out"):
            count = int(d["left_out"])
            parts.append(
                ngettext("%(count)d item left out", "%(count)d items left out", count) % {"count": count}
            )
        if d.get("flagged"):
            parts.append(gettext("flagged lines to override"))
        return ", ".join(parts)
    if kind == kinds.LINE_REMOVED:
        item = int(d["open_item"])
        if item in items:
            invoice_no, supplier = items[item]
            return gettext("a line of %(amount)s to %(supplier)s removed (invoice %(invoice)s)") % {
                "amount": _amount(d["amount"]),
                "supplier": supplier,
                "invoice": invoice_no,
            }
        return gettext("a line of %(amount)s removed (open item %(item)s)") % {
            "amount": _amount(d["amount"]),
            "item": item,
        }
    if kind == kinds.AMOUNT_REDUCED:
        return f"{_amount(d['from'])} → {_amount(d['to'])}"
    if kind == kinds.DATE_CHANGED:
        return f"{_date(d['from'])} → {_date(d['to'])}"
    if kind == kinds.FLAG_OVERRIDDEN:
        return gettext("%(flag)s overridden: %(reason)s") % {
            "flag": str(models.FlagKind(d["kind"]).label),
            "reason": d["reason"],
        }
    if kind == kinds.UPLOAD_STARTED:
        return gettext("document %(sha256)s…") % {"sha256": str(d["sha256"])[:12]}
    if kind == kinds.UPLOADED:
        return gettext("AutoPay reference %(reference)s, %(status)s at AutoPay") % {
            "reference": d["autopay_reference"],
            "status": _autopay_status(d["autopay_status"]),
        }
    if kind == kinds.UPLOAD_REFUSED:
        text = str(d.get("reason") or d.get("error") or "")
        return gettext("%(reason)s (can be tried again)") % {"reason": text} if d.get("retryable") else text
    if kind == kinds.STATUS_CHANGED:
        steps = ", ".join(
            _autopay_status(step["autopay_status"]) + (f" ({step['reason']})" if step.get("reason") else "")
            # Events written before a page's statuses were listed hold one status, as their own details.
            for step in d.get("statuses", [d] if "autopay_status" in d else [])
        )
        moved = f"{_line_status(d['from'])} → {_line_status(d['to'])}"
        return f"{moved}: {steps}" if steps else moved
    if kind == kinds.POSTED:
        voucher = d["voucher"]
        return gettext("%(amount)s posted on voucher %(voucher)s (batch %(batch)s)") % {
            "amount": _amount(d["amount"]),
            "voucher": vouchers.get(voucher, voucher),
            "batch": int(d["batch"]),
        }
    return None


def _amount(value: object) -> str:
    if not isinstance(value, str | int):
        raise TypeError(value)
    return formats.number_format(Decimal(value), 2, use_l10n=True, force_grouping=True)


def _date(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return formats.date_format(datetime.date.fromisoformat(value), "SHORT_DATE_FORMAT")


def _line_status(value: object) -> str:
    return str(models.LineStatus(int(value)).label)  # type: ignore[call-overload]


def _autopay_status(value: object) -> str:
    try:
        return str(AUTOPAY_STATUS_LABELS[AutoPayStatus(str(value))])
    except ValueError:
        return str(value)
