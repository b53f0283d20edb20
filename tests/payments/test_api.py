"""The payments API: proposals, payments and lines, edits, overrides, upload selection, tenancy."""

import datetime
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from payments import models
from payments.services import proposal
from tests.company import factories as company_factories
from tests.payments import factories
from tests.payments.factories import NOW

pytestmark = pytest.mark.django_db

LINE_FIELDS = {
    "id",
    "open_item",
    "supplier",
    "amount",
    "amount_paid",
    "status",
    "kid",
    "creditor_account",
    "value_date",
    "bank_reference",
    "reason",
    "flags",
}
PAYMENT_FIELDS = {
    "id",
    "number",
    "company",
    "bank_partner",
    "status",
    "payment_date",
    "currency",
    "total",
    "autopay_reference",
    "lines",
}


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api(accountant):
    return api_for(accountant)


@pytest.fixture
def payment(company, bank_partner):
    factories.PayableItemFactory.create(company=company, amount=Decimal("1000.00"))
    factories.PayableItemFactory.create(company=company, amount=Decimal("250.00"))
    return proposal.payment_proposal_create(
        company=company,
        bank_partner=bank_partner,
        due_date_to=datetime.date(2026, 12, 31),
        actor=None,
        now=NOW,
    ).payments[0]


def proposal_body(company, bank_partner, **extra):
    return {"company": company.pk, "bank_partner": bank_partner.pk, "due_date_to": "2026-12-31", **extra}


@pytest.fixture(autouse=True)
def _frozen_today(time_machine):
    time_machine.move_to(NOW, tick=False)


def test_proposal_answers_the_payments_made_and_the_items_left_out(api, company, bank_partner):
    factories.PayableItemFactory.create(company=company)
    note = factories.CreditNoteFactory.create(company=company)
    answer = api.post("/api/payment-proposals/", proposal_body(company, bank_partner), format="json")
    body = answer.json()
    assert (answer.status_code, len(body["payments"]), body["left_out"]) == (
        201,
        1,
        [{"open_item": note.pk, "reason": "Credit note", "reason_code": "credit_note"}],
    )


def test_proposal_preview_makes_nothing(api, company, bank_partner):
    factories.PayableItemFactory.create(company=company, amount=Decimal("99.90"))
    answer = api.post(
        "/api/payment-proposals/", proposal_body(company, bank_partner, preview=True), format="json"
    )
    assert (answer.status_code, answer.json()["payments"][0]["total"], models.Payment.objects.count()) == (
        200,
        "99.90",
        0,
    )


def test_proposal_for_another_company_is_refused(api, bank_partner):
    other = company_factories.BankPartnerFactory.create()
    answer = api.post("/api/payment-proposals/", proposal_body(other.company, other), format="json")
    assert set(answer.json()) == {"company", "bank_partner"}


def test_proposal_with_a_date_in_the_past_is_a_clear_400(api, company, bank_partner):
    factories.PayableItemFactory.create(company=company)
    answer = api.post(
        "/api/payment-proposals/",
        proposal_body(company, bank_partner, payment_date="2026-01-01"),
        format="json",
    )
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_proposal")


def test_proposal_with_a_malformed_date_is_a_400(api, company, bank_partner):
    answer = api.post("/api/payment-proposals/", proposal_body(company, bank_partner, due_date_to="soon"))
    assert answer.status_code == 400


def test_payment_detail_has_the_contract_fields(api, payment):
    body = api.get(f"/api/payments/{payment.pk}/").json()
    assert (set(body), set(body["lines"][0])) == (
        PAYMENT_FIELDS | set(),
        LINE_FIELDS | {"payment", "currency", "message", "end_to_end_id"},
    )


def test_payment_status_is_the_integer_code(api, payment):
    assert api.get(f"/api/payments/{payment.pk}/").json()["status"] == 1


def test_payments_filter_by_status(api, payment):
    assert (
        api.get("/api/payments/?status=1").json()["count"],
        api.get("/api/payments/?status=2").json()["count"],
    ) == (1, 0)


def test_payments_filter_by_payment_date(api, payment):
    assert (
        api.get("/api/payments/?payment_date_after=2026-11-30&payment_date_before=2026-11-30").json()[
            "count"
        ],
        api.get("/api/payments/?payment_date_after=2026-12-01").json()["count"],
    ) == (1, 0)


def test_payments_company_filter_offers_only_the_users_companies(api, payment):
    other = company_factories.CompanyFactory.create()
    assert api.get(f"/api/payments/?company={other.pk}").status_code == 400


def test_another_companys_payment_is_a_404(payment):
    stranger = company_factories.MembershipFactory.create().user
    assert api_for(stranger).get(f"/api/payments/{payment.pk}/").status_code == 404


def test_another_companys_payment_cannot_be_uploaded(payment):
    stranger = company_factories.MembershipFactory.create().user
    assert api_for(stranger).post(f"/api/payments/{payment.pk}/upload/").status_code == 404


def test_patch_moves_the_payment_date(api, payment):
    answer = api.patch(f"/api/payments/{payment.pk}/", {"payment_date": "2026-12-04"}, format="json")
    assert (answer.status_code, answer.json()["payment_date"]) == (200, "2026-12-04")


def test_patch_of_a_transferred_payment_is_a_409(api, payment):
    models.Payment.objects.filter(pk=payment.pk).update(
        status=models.PaymentStatus.TRANSFERRED, transferred_at=NOW
    )
    answer = api.patch(f"/api/payments/{payment.pk}/", {"payment_date": "2026-12-04"}, format="json")
    assert (answer.status_code, answer.json()["error"]) == (409, "not_a_proposal")


def test_delete_removes_a_proposal(api, payment):
    assert (api.delete(f"/api/payments/{payment.pk}/").status_code, models.Payment.objects.count()) == (
        204,
        0,
    )


def test_upload_of_a_transferred_payment_is_a_409_with_a_clear_error(api, payment):
    models.Payment.objects.filter(pk=payment.pk).update(
        status=models.PaymentStatus.TRANSFERRED, transferred_at=NOW
    )
    answer = api.post(f"/api/payments/{payment.pk}/upload/")
    assert (answer.status_code, answer.json()["error"]) == (409, "not_a_proposal")


def test_events_list_the_history(api, payment):
    assert [e["kind"] for e in api.get(f"/api/payments/{payment.pk}/events/").json()] == ["proposed"]


def test_line_reduce(api, payment):
    line = payment.lines.get(amount=Decimal("1000.00"))
    answer = api.post(f"/api/payment-lines/{line.pk}/reduce/", {"amount": "600.00"}, format="json")
    assert (answer.status_code, answer.json()["amount"]) == (200, "600.00")


def test_line_reduce_above_the_remainder_is_a_400(api, payment):
    line = payment.lines.get(amount=Decimal("250.00"))
    answer = api.post(f"/api/payment-lines/{line.pk}/reduce/", {"amount": "250.01"}, format="json")
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_edit")


def test_line_delete_removes_it_from_the_proposal(api, payment):
    line = payment.lines.first()
    assert (api.delete(f"/api/payment-lines/{line.pk}/").status_code, payment.lines.count()) == (204, 1)


def test_lines_filter_by_payment(api, payment):
    assert api.get(f"/api/payment-lines/?payment={payment.pk}").json()["count"] == 2


def flagged_line(company, bank_partner):
    item = factories.PayableItemFactory.create(company=company, due_date=datetime.date(2026, 12, 20))
    factories.bank_account_change(item.supplier, at=NOW, number=88_888)
    return (
        proposal.payment_proposal_create(
            company=company,
            bank_partner=bank_partner,
            due_date_to=datetime.date(2026, 12, 31),
            actor=None,
            now=NOW,
        )
        .payments[0]
        .lines.get()
    )


def test_flag_override_by_an_accountant_is_a_403(api, company, bank_partner):
    flag = flagged_line(company, bank_partner).flags.get()
    answer = api.post(f"/api/payment-line-flags/{flag.pk}/override/", {"reason": "ok"}, format="json")
    assert (answer.status_code, answer.json()["error"]) == (403, "not_approver")


def test_flag_override_by_an_approver(approver, company, bank_partner):
    flag = flagged_line(company, bank_partner).flags.get()
    answer = api_for(approver).post(f"/api/payment-line-flags/{flag.pk}/override/", {"reason": "Called them"})
    assert (answer.status_code, answer.json()["override_reason"]) == (200, "Called them")


def test_upload_selection_refuses_a_flagged_payment_with_its_reason(api, company, bank_partner):
    line = flagged_line(company, bank_partner)
    answer = api.post("/api/payments/upload/", {"payments": [line.payment_id]}, format="json")
    refused = answer.json()["refused"]
    assert (
        answer.json()["uploaded"],
        refused[0]["payment"],
        "bank account changed" in refused[0]["reason"],
    ) == (
        [],
        line.payment_id,
        True,
    )


def test_upload_selection_names_an_unknown_payment_as_refused(api):
    answer = api.post("/api/payments/upload/", {"payments": [999999]}, format="json")
    assert answer.json() == {
        "uploaded": [],
        "refused": [{"payment": 999999, "number": None, "reason": "No such payment."}],
    }


def test_upload_selection_without_ids_is_a_400(api):
    assert api.post("/api/payments/upload/", {"payments": []}, format="json").status_code == 400


def test_open_item_payment_block_through_the_api(api, company):
    item = factories.PayableItemFactory.create(company=company)
    answer = api.post(
        f"/api/open-items/{item.pk}/payment-block/",
        {"payment_blocked": True, "payment_block_reason": "Disputed"},
        format="json",
    )
    assert (answer.json()["payment_blocked"], answer.json()["payment_block_reason"]) == (True, "Disputed")


def test_open_item_payment_block_without_a_reason_is_a_400(api, company):
    item = factories.PayableItemFactory.create(company=company)
    answer = api.post(f"/api/open-items/{item.pk}/payment-block/", {"payment_blocked": True}, format="json")
    assert answer.status_code == 400


def test_schema_documents_the_payment_endpoints(api):
    schema = api.get("/api/schema/").content.decode()
    assert all(
        path in schema
        for path in ["/api/payment-proposals/", "/api/payments/upload/", "/api/payments/{id}/events/"]
    )
