import base64
import datetime
import logging
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.views import debug as views_debug

from company import crypto, models, selectors, services
from tests.company.factories import CompanyFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 21, 12, 0, tzinfo=datetime.UTC)
SIGNING_KEY = bytes(range(32))
NEW_FIRST_KEY = "Fo6n2QmSvB3RbvYk3pzr0n6uWZ0bQ0L3Cnh7jSeWbgo="


def _raw_ciphertext(company: models.Company) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT ap_sig_key_ciphertext FROM company_company WHERE id = %s", [company.pk])
        return cursor.fetchone()[0]


def _activated_company() -> models.Company:
    company = CompanyFactory.create()
    return services.company_signing_key_set(
        company=company, signing_key=SIGNING_KEY, key_id=company.org_no, now=NOW
    )


def test_signing_key_reads_back_after_it_is_set():
    company = _activated_company()
    assert selectors.company_signing_key(company=models.Company.objects.get(pk=company.pk)) == SIGNING_KEY


def test_setting_the_signing_key_marks_the_company_activated_at_now():
    company = _activated_company()
    company.refresh_from_db()
    assert (company.autopay_activated_at, company.autopay_key_id) == (NOW, company.org_no)


def test_database_column_holds_no_form_of_the_plain_key():
    company = _activated_company()
    stored = _raw_ciphertext(company)
    plain_forms = [SIGNING_KEY.hex(), base64.b64encode(SIGNING_KEY).decode(), SIGNING_KEY.decode("latin-1")]
    assert not any(form in stored for form in plain_forms)


def test_database_column_holds_a_fernet_token_under_the_first_key():
    company = _activated_company()
    assert crypto._multi_fernet().decrypt(_raw_ciphertext(company).encode()) == SIGNING_KEY


def test_history_does_not_record_the_ciphertext():
    company = _activated_company()
    historical_fields = {f.name for f in company.history.model._meta.get_fields()}
    assert "ap_sig_key_ciphertext" not in historical_fields


def test_setting_the_signing_key_logs_nothing_of_it(caplog):
    caplog.set_level(logging.DEBUG)
    company = _activated_company()
    selectors.company_signing_key(company=company)
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    forms = [SIGNING_KEY.hex(), base64.b64encode(SIGNING_KEY).decode(), _raw_ciphertext(company)]
    assert not any(form in text for form in forms)


def test_signing_key_of_a_company_not_activated_is_refused():
    with pytest.raises(selectors.CompanyNotActivated):
        selectors.company_signing_key(company=CompanyFactory.create())


def test_empty_signing_key_is_refused():
    with pytest.raises(services.InvalidSigningKey):
        services.company_signing_key_set(
            company=CompanyFactory.create(), signing_key=b"", key_id="x", now=NOW
        )


def test_encryption_without_keys_is_improperly_configured(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt(b"secret")


def test_rotation_under_a_new_first_key_keeps_the_key_readable(settings):
    company = _activated_company()
    settings.FIELD_ENCRYPTION_KEYS = [NEW_FIRST_KEY, *settings.FIELD_ENCRYPTION_KEYS]
    services.encryption_keys_rotate()
    settings.FIELD_ENCRYPTION_KEYS = [NEW_FIRST_KEY]
    assert selectors.company_signing_key(company=models.Company.objects.get(pk=company.pk)) == SIGNING_KEY


def test_rotation_under_a_new_first_key_changes_the_ciphertext(settings):
    company = _activated_company()
    before = _raw_ciphertext(company)
    settings.FIELD_ENCRYPTION_KEYS = [NEW_FIRST_KEY, *settings.FIELD_ENCRYPTION_KEYS]
    services.encryption_keys_rotate()
    assert _raw_ciphertext(company) != before


def test_rotation_counts_only_companies_with_a_key():
    _activated_company()
    _activated_company()
    CompanyFactory.create()
    assert services.encryption_keys_rotate() == 2


def test_rotation_with_an_undecryptable_value_changes_nothing(settings):
    first = _activated_company()
    second = _activated_company()
    before = _raw_ciphertext(first)
    models.Company.objects.filter(pk=second.pk).update(ap_sig_key_ciphertext="not-a-token")
    settings.FIELD_ENCRYPTION_KEYS = [NEW_FIRST_KEY, *settings.FIELD_ENCRYPTION_KEYS]
    with pytest.raises(crypto.DecryptionError):
        services.encryption_keys_rotate()
    assert _raw_ciphertext(first) == before


def test_rotate_encryption_keys_command_reports_how_many(capsys):
    _activated_company()
    call_command("rotate_encryption_keys")
    assert "Re-encrypted 1 signing key" in capsys.readouterr().out


def test_error_report_of_a_failed_key_store_hides_the_key(settings, rf):
    settings.FIELD_ENCRYPTION_KEYS = []
    company = CompanyFactory.create()
    try:
        services.company_signing_key_set(company=company, signing_key=SIGNING_KEY, key_id="k", now=NOW)
    except ImproperlyConfigured:
        report = views_debug.ExceptionReporter(rf.get("/"), *sys.exc_info()).get_traceback_html()
    assert repr(SIGNING_KEY)[2:30] not in report
