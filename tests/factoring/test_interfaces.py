"""The incoming-payments API, pages and command, and their tenancy."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from rest_framework.test import APIClient

from factoring import models, tasks
from ledger import models as ledger_models
from tests.company.factories import MembershipFactory
from tests.factoring.books import Book, book_create, ocr, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(book: Book):
    membership = MembershipFactory.create(company=book.company)
    client = APIClient()
    client.force_authenticate(membership.user)
    return client, membership.user


def _upload(client, book, data: bytes, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            "/api/incoming-files/",
            {"company": book.company.pk, "file": io.BytesIO(data)},
            format="multipart",
        )
    return response


def test_post_of_a_file_answers_the_import_id_and_its_status_url(
    member, book, django_capture_on_commit_callbacks
):
    client, _ = member
    response = _upload(client, book, ocr([pay("100.00", "", 1)]), django_capture_on_commit_callbacks)
    assert (response.status_code, response.json()["status_url"]) == (
        202,
        f"/api/incoming-files/{response.json()['id']}/",
    )


def test_the_status_url_gives_the_summary_once_the_task_has_run(
    member, book, django_capture_on_commit_callbacks
):
    client, _ = member
    item = book.item(0, 1001, "100.00")
    import_id = _upload(
        client, book, ocr([pay("100.00", item.kid, 1)]), django_capture_on_commit_callbacks
    ).json()["id"]
    tasks.incoming_file_import_run(import_id=import_id)
    body = client.get(f"/api/incoming-files/{import_id}/").json()
    assert (body["status"], body["summary"]["total_amount"], body["progress"]["state"]) == (
        "done",
        "100.00",
        "done",
    )


def test_an_upload_of_a_malformed_file_ends_failed_with_the_reason(
    member, book, django_capture_on_commit_callbacks
):
    client, _ = member
    import_id = _upload(client, book, b"NY000010garbage\n", django_capture_on_commit_callbacks).json()["id"]
    tasks.incoming_file_import_run(import_id=import_id)
    body = client.get(f"/api/incoming-files/{import_id}/").json()
    assert (body["status"], "Nothing was imported" in body["error"]) == ("failed", True)


def test_the_same_file_uploaded_again_is_refused_with_400(member, book, django_capture_on_commit_callbacks):
    client, _ = member
    data = ocr([pay("100.00", "", 1)])
    import_id = _upload(client, book, data, django_capture_on_commit_callbacks).json()["id"]
    tasks.incoming_file_import_run(import_id=import_id)
    response = _upload(client, book, data, django_capture_on_commit_callbacks)
    assert (response.status_code, f"import {import_id}" in response.json()["detail"]) == (400, True)


def test_another_companys_import_answers_404(member, django_capture_on_commit_callbacks):
    client, _ = member
    other = book_create(account="12345678903")
    file_import = other.import_file(ocr([pay("10.00", "", 1)], account="12345678903"))
    assert client.get(f"/api/incoming-files/{file_import.pk}/").status_code == 404


def test_filtering_by_another_companys_import_is_a_400_as_by_its_customer(member):
    client, _ = member
    other = book_create(account="12345678903")
    file_import = other.import_file(ocr([pay("10.00", "", 1)], account="12345678903"))
    answer = client.get("/api/incoming-payments/", {"file_import": file_import.pk})
    assert (answer.status_code, list(answer.json())) == (400, ["file_import"])


def test_incoming_payments_filter_by_result(member, book):
    client, _ = member
    item = book.item(0, 1001, "100.00")
    book.import_file(ocr([pay("100.00", item.kid, 1), pay("5.00", "", 2)]))
    body = client.get("/api/incoming-payments/", {"result": "unmatched", "company": book.company.pk}).json()
    assert [row["amount"] for row in body["results"]] == ["5.00"]


def test_allocating_an_unmatched_payment_to_an_invoice_settles_it_and_empties_suspense(member, book):
    client, _ = member
    item = book.item(1, 1002, "80.00")
    book.import_file(ocr([pay("80.00", "", 1)]))
    payment = models.IncomingPayment.objects.get(company=book.company)
    response = client.post(
        f"/api/incoming-payments/{payment.pk}/allocate/",
        {"allocations": [{"open_item": item.pk, "amount": "80.00"}]},
        format="json",
    )
    item.refresh_from_db()
    suspense = sum(
        ledger_models.JournalLine.objects.filter(account=book.suspense).values_list("amount", flat=True)
    )
    assert (response.status_code, item.status, suspense) == (200, "settled", Decimal("0.00"))


def test_allocating_more_than_the_payment_is_refused_with_400(member, book):
    client, _ = member
    item = book.item(1, 1002, "800.00")
    book.import_file(ocr([pay("80.00", "", 1)]))
    payment = models.IncomingPayment.objects.get(company=book.company)
    response = client.post(
        f"/api/incoming-payments/{payment.pk}/allocate/",
        {"allocations": [{"open_item": item.pk, "amount": "90.00"}]},
        format="json",
    )
    assert response.status_code == 400


def test_allocating_a_payment_twice_is_refused(member, book):
    client, _ = member
    book.import_file(ocr([pay("80.00", "", 1)]))
    payment = models.IncomingPayment.objects.get(company=book.company)
    url = f"/api/incoming-payments/{payment.pk}/allocate/"
    client.post(url, {"customer": book.customers[0].pk}, format="json")
    assert client.post(url, {"customer": book.customers[0].pk}, format="json").status_code == 400


def test_factoring_companies_api_refuses_a_second_definition_for_the_same_bank_account(member, book):
    client, _ = member
    response = client.post(
        "/api/factoring-companies/",
        {
            "company": book.company.pk,
            "number": 2,
            "factoring_id": "0;0",
            "bank_account": book.definition.bank_account,
            "gl_account": book.bank.pk,
            "voucher_series": book.series.pk,
        },
        format="json",
    )
    assert (response.status_code, "bank_account" in response.json()) == (400, True)


def test_factoring_companies_api_refuses_positions_beyond_a_kid(member, book):
    client, _ = member
    response = client.patch(
        f"/api/factoring-companies/{book.definition.pk}/", {"factoring_id": "21;1"}, format="json"
    )
    assert (response.status_code, "kid_customer_digits" in response.json()) == (400, True)
    # Each refused field with a list of reasons, as every refusal of the API.
    assert all(isinstance(reasons, list) for reasons in response.json().values())


def test_factoring_companies_api_lists_the_bank_account(member, book):
    client, _ = member
    body = client.get("/api/factoring-companies/").json()
    assert [row["bank_account"] for row in body["results"]] == [book.definition.bank_account]


@pytest.mark.parametrize("spelled", ["86011117947", "8601.11.17947", "NO93 8601 1117 947", "9999.99.99999"])
def test_factoring_companies_api_finds_a_definition_by_its_account_however_spelled(member, book, spelled):
    client, _ = member
    body = client.get("/api/factoring-companies/", {"bank_account": spelled}).json()
    expected = [] if spelled.startswith("9999") else [book.definition.pk]
    assert [row["id"] for row in body["results"]] == expected


def test_the_command_imports_a_file_and_reports_it(book, tmp_path):
    path = tmp_path / "ocr.txt"
    path.write_bytes(ocr([pay("100.00", "", 1)]))
    out = io.StringIO()
    call_command("import_incoming", str(path), "--company", book.company.org_no, stdout=out)
    assert "1 payments imported" in out.getvalue()


def test_the_command_lists_what_an_overlapping_file_skipped_with_the_import_that_took_it(book, tmp_path):
    first = book.import_file(ocr([pay("10.00", "", 1)]), filename="a.txt")
    path = tmp_path / "b.txt"
    path.write_bytes(ocr([pay("10.00", "", 1), pay("20.00", "", 2)]))
    out = io.StringIO()
    call_command("import_incoming", str(path), "--company", book.company.org_no, stdout=out)
    taken = models.IncomingPayment.objects.get(file_import=first)
    expected = f"skipped line 1 (archive reference 000000001, 10.00): taken by payment {taken.pk}"
    assert f"{expected} of import {first.pk}" in out.getvalue()


def test_the_command_refuses_the_same_file_again_with_the_reason(book, tmp_path):
    path = tmp_path / "ocr.txt"
    path.write_bytes(ocr([pay("100.00", "", 1)]))
    call_command("import_incoming", str(path), "--company", book.company.org_no, stdout=io.StringIO())
    with pytest.raises(CommandError, match="imported before"):
        call_command("import_incoming", str(path), "--company", book.company.org_no, stdout=io.StringIO())


def _page_client(book):
    membership = MembershipFactory.create(company=book.company)
    client = Client()
    client.force_login(membership.user)
    return client


def test_the_work_list_page_lists_an_unmatched_payment(book):
    book.import_file(ocr([pay("80.00", "", 1)]))
    payment = models.IncomingPayment.objects.get(company=book.company)
    assert f'id="payment-{payment.pk}"' in _page_client(book).get("/incoming/work-list/").content.decode()


def test_the_work_list_page_reaches_every_payment_a_page_at_a_time_with_their_count(book):
    book.import_file(ocr([pay("80.00", "", line) for line in range(1, 61)]))
    ids = list(models.IncomingPayment.objects.filter(company=book.company).order_by("value_date", "id"))
    client = _page_client(book)
    first = client.get("/incoming/work-list/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    second = client.get("/incoming/work-list/", {"page": 2}, HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert first.count('<tr id="payment-') == 50
    assert second.count('<tr id="payment-') == 10
    assert f'id="payment-{ids[-1].pk}"' in second
    assert "60" in first[first.index('class="pager"') :]
    assert '<td class="num">80,00</td>' in first


def test_the_import_page_shows_the_summary_with_the_files_own_total(book):
    file_import = book.import_file(ocr([pay("80.00", "", 1), pay("20.00", "", 2)]))
    page = _page_client(book).get(f"/incoming/imports/{file_import.pk}/").content.decode()
    assert 'id="import-summary"' in page


def test_the_factoring_company_page_lists_the_definitions_bank_account(book):
    page = _page_client(book).get("/incoming/factoring-companies/").content.decode()
    assert book.definition.bank_account in page


def test_the_incoming_pages_label_their_button_and_column_as_norwegian_does(book):
    client = _page_client(book)
    upload = client.get("/incoming/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert '<button type="submit">Importer</button>' in upload
    assert "<th>Import</th>" in upload  # the column of imports: a noun
    companies = client.get("/incoming/factoring-companies/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert ">Avskrivningsgrense</th>" in companies
    assert "<label>Avskrivningsgrense " in companies


def test_the_definition_columns_read_in_norwegian_as_visma_business_names_them():
    from django.utils import translation

    with translation.override("nb"):
        names = [
            str(getattr(models.FactoringCompany._meta.get_field(f), "verbose_name", ""))
            for f in ("number", "gl_account")
        ]
    assert names == ["Fact.selsk.nr/KID-def.", "OCR bankkontonr."]


def test_an_allocation_writes_an_event_naming_who_and_the_voucher(member, book):
    client, user = member
    book.import_file(ocr([pay("80.00", "", 1)]))
    payment = models.IncomingPayment.objects.get(company=book.company)
    client.post(
        f"/api/incoming-payments/{payment.pk}/allocate/", {"customer": book.customers[0].pk}, format="json"
    )
    event = payment.events.get()
    assert (event.kind, event.user_id, bool(event.details["voucher"])) == ("allocated", user.pk, True)


def test_the_admin_keeps_a_definition_with_its_company(book, admin_client):
    from tests.company.factories import CompanyFactory

    other = CompanyFactory.create()
    url = f"/admin/factoring/factoringcompany/{book.definition.pk}/change/"
    page = admin_client.get(url)
    form = {
        "company": other.pk,
        "number": book.definition.number,
        "name": "Changed",
        "processing": book.definition.processing,
        "factoring_id": book.definition.factoring_id,
        "payment_processing": 0,
        "kid_customer_digits": book.definition.kid_customer_digits,
        "kid_reference_digits": book.definition.kid_reference_digits,
        "bank_account": book.definition.bank_account,
        "gl_account": book.bank.pk,
        "voucher_series": book.series.pk,
        "write_off_tolerance": "1.00",
    }
    answer = admin_client.post(url, form)

    book.definition.refresh_from_db()
    assert page.status_code == 200
    assert answer.status_code == 302
    assert (book.definition.company_id, book.definition.name) == (book.company.pk, "Changed")


def test_the_demo_file_command_makes_the_folder_it_writes_into(book, tmp_path):
    target = tmp_path / "not" / "there" / "demo.ocr"
    out = io.StringIO()
    call_command("incoming_demo_file", str(target), "--company", book.company.org_no, stdout=out)
    assert target.exists()
    assert "Wrote" in out.getvalue()


def test_allocating_on_the_page_a_payment_allocated_meanwhile_tells_so_on_the_work_list(book):
    book.import_file(ocr([pay("80.00", "", 1)]))
    payment = models.IncomingPayment.objects.get(company=book.company)
    client = _page_client(book)
    url = f"/incoming/payments/{payment.pk}/allocate/"
    client.post(url, {"customer": book.customers[0].pk})
    again = client.post(url, {"customer": book.customers[0].pk}, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert again.status_code == 200
    assert f"Payment {payment.pk} is no longer on the work list" in again.content.decode()
