"""The security audit log: what it records, that nobody can change or delete it (raw SQL against the
database's triggers, on PostgreSQL and on SQLite), that no secret gets in, and who may read it."""

import datetime
import io
import os
import sqlite3
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from company import audit, models
from tests.company import factories
from tests.company.twofactor_helpers import confirmed_device_for, current_code
from tests.ledger.factories import SupplierFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 22, 9, 30, tzinfo=datetime.UTC)


def record(**overrides) -> models.AuditEvent:
    values = {"event": models.AuditEventKind.LOGIN, "user": None, "details": {}, "now": NOW, **overrides}
    return audit.audit_event_record(**values)


# What a row holds


def test_a_record_holds_who_when_where_and_what():
    user = factories.UserFactory.create(username="kari")
    company = factories.CompanyFactory.create()
    event = record(user=user, company=company, ip="192.0.2.1", details={"path": "/login/"})
    stored = models.AuditEvent.objects.get(pk=event.pk)
    assert (stored.username, stored.user_id, stored.company_id, stored.at, stored.ip, stored.details) == (
        "kari",
        user.pk,
        company.pk,
        NOW,
        "192.0.2.1",
        {"path": "/login/"},
    )


def test_an_unknown_event_is_refused():
    with pytest.raises(ValueError, match="Unknown audit event"):
        record(event="coffee_made")


def test_details_naming_a_secret_are_redacted():
    event = record(details={"password": "hunter2", "otp": "123456", "nested": {"signing_key": "c2VjcmV0"}})
    assert event.details == {
        "password": "[redacted]",
        "otp": "[redacted]",
        "nested": {"signing_key": "[redacted]"},
    }


# Append-only, enforced by the database


def raw(sql: str, params=()) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_database_refuses_an_update():
    event = record()
    with pytest.raises(DatabaseError, match="append-only"):
        raw("UPDATE company_auditevent SET username = 'mallory' WHERE id = %s", [event.pk])


def test_the_database_refuses_a_delete():
    event = record()
    with pytest.raises(DatabaseError, match="append-only"):
        raw("DELETE FROM company_auditevent WHERE id = %s", [event.pk])


def test_the_database_refuses_a_truncate():
    record()
    with pytest.raises(DatabaseError, match="append-only"):
        raw("TRUNCATE company_auditevent")


def test_the_orm_cannot_delete_either():
    event = record()
    with pytest.raises(DatabaseError), transaction.atomic():
        models.AuditEvent.objects.filter(pk=event.pk).delete()


def test_sqlite_refuses_update_and_delete_too(tmp_path):
    database = tmp_path / "audit.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env |= {"DJANGO_SETTINGS_MODULE": "autopay_erp.settings.local", "DATABASE_URL": f"sqlite:///{database}"}
    env["AUTOPAY_VAR_DIR"] = str(tmp_path / "var")
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "company"],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrated.returncode == 0, migrated.stderr
    db = sqlite3.connect(database)
    db.execute(
        "INSERT INTO company_auditevent (at, event, username, details)"
        " VALUES ('2026-11-22', 'login', 'kari', '{}')"
    )
    db.commit()
    refused = []
    for sql in ("UPDATE company_auditevent SET username = 'mallory'", "DELETE FROM company_auditevent"):
        try:
            db.execute(sql)
        except sqlite3.DatabaseError as exc:
            refused.append("append-only" in str(exc))
    assert refused == [True, True]


# No secret ever in it


def everything_stored() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM company_auditevent")
        return repr(cursor.fetchall())


def test_no_password_or_otp_code_or_token_ever_reaches_the_log(client, settings):
    settings.AUTOPAY_BASE_URL = "http://127.0.0.1:9/autopay"  # nothing listens: the activation fails fast
    user = factories.UserFactory.create(username="kari")
    company = factories.CompanyFactory.create(two_factor_required=True)
    factories.MembershipFactory.create(user=user, company=company, role=models.Role.ADMINISTRATOR)
    client.post(reverse("login"), {"username": "kari", "password": "Wrong-Password-42"})
    client.post(reverse("login"), {"username": "kari", "password": "correct horse battery staple"})
    token = (
        APIClient()
        .post(
            reverse("api-token"),
            {"username": "kari", "password": "correct horse battery staple"},
            format="json",
        )
        .json()["token"]
    )
    device = confirmed_device_for(user)
    code = current_code(device)
    # Refused (no AutoPay here), but only after the code was checked and spent.
    client.post(
        reverse("company-activate-autopay", args=[company.pk]), {"activation_code": "K7P2", "otp": code}
    )
    stored = everything_stored()
    leaked = [s for s in ("Wrong-Password-42", "correct horse battery staple", token, code) if s in stored]
    assert (leaked, models.AuditEvent.objects.filter(username="kari").count() >= 3) == ([], True)


def test_a_signing_key_set_by_rotation_never_reaches_the_log():
    from company import selectors, services

    company = factories.CompanyFactory.create()
    key = b"a-signing-key-of-thirty-two-byte"
    services.company_signing_key_set(company=company, signing_key=key, key_id="k1", now=NOW)
    call_command("rotate_encryption_keys", stdout=io.StringIO())
    stored = everything_stored()
    plain = selectors.company_signing_key(company=models.Company.objects.get(pk=company.pk))
    assert (plain == key, key.decode() in stored, "keys_rotated" in stored) == (True, False, True)


# The address


def test_the_address_is_remote_addr_when_no_proxy_is_trusted(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert audit.client_ip(request) == "10.0.0.5"


def test_behind_one_trusted_proxy_the_address_is_the_one_it_saw(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.1")
    assert audit.client_ip(request) == "203.0.113.1"


def test_a_forged_forwarded_address_that_is_not_an_address_falls_back(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="<script>")
    assert audit.client_ip(request) == "10.0.0.5"


# The events the other interfaces write


def test_a_role_granted_in_the_admin_is_audited(client):
    boss = factories.UserFactory.create(username="boss", is_staff=True, is_superuser=True)
    member = factories.UserFactory.create(username="ola")
    company = factories.CompanyFactory.create()
    client.force_login(boss)
    client.post(
        reverse("admin:company_membership_add"),
        {"user": member.pk, "company": company.pk, "role": models.Role.APPROVER},
    )
    event = models.AuditEvent.objects.get(event=models.AuditEventKind.ROLE_GRANTED, company_id=company.pk)
    assert (event.username, event.details) == ("boss", {"member": "ola", "role": "approver"})


def test_a_role_revoked_in_the_admin_is_audited(client):
    boss = factories.UserFactory.create(username="boss", is_staff=True, is_superuser=True)
    membership = factories.MembershipFactory.create()
    client.force_login(boss)
    client.post(reverse("admin:company_membership_delete", args=[membership.pk]), {"post": "yes"})
    assert models.AuditEvent.objects.filter(
        event=models.AuditEventKind.ROLE_REVOKED, company_id=membership.company_id
    ).exists()


def test_a_supplier_bank_account_changed_through_the_api_is_audited():
    membership = factories.MembershipFactory.create(role=models.Role.ACCOUNTANT)
    supplier = SupplierFactory.create(company=membership.company, bank_account="15038765431")
    api = APIClient()
    api.force_authenticate(membership.user)
    api.patch(reverse("supplier-detail", args=[supplier.pk]), {"bank_account": "15031234566"}, format="json")
    event = models.AuditEvent.objects.get(event=models.AuditEventKind.SUPPLIER_BANK_ACCOUNT_CHANGED)
    assert (event.details["previous_bank_account"], event.details["bank_account"]) == (
        "15038765431",
        "15031234566",
    )


def test_a_supplier_saved_in_the_admin_without_a_new_account_is_not_audited(client):
    boss = factories.UserFactory.create(is_staff=True, is_superuser=True)
    supplier = SupplierFactory.create(bank_account="15038765431")
    client.force_login(boss)
    client.post(
        reverse("admin:ledger_supplier_change", args=[supplier.pk]),
        {
            "company": supplier.company_id,
            "number": supplier.number,
            "name": "Renamed AS",
            "org_no": supplier.org_no,
            "bank_account": supplier.bank_account,
        },
    )
    renamed = type(supplier).objects.get(pk=supplier.pk).name
    audited = models.AuditEvent.objects.filter(
        event=models.AuditEventKind.SUPPLIER_BANK_ACCOUNT_CHANGED
    ).exists()
    assert (renamed, audited) == ("Renamed AS", False)


# Who reads it


def test_a_company_administrator_reads_the_companys_log(client):
    admin_membership = factories.MembershipFactory.create(role=models.Role.ADMINISTRATOR)
    record(company=admin_membership.company, details={"path": "/x/"}, username="someone-of-this-company")
    client.force_login(admin_membership.user)
    response = client.get(reverse("company-audit", args=[admin_membership.company_id]))
    assert "someone-of-this-company" in response.content.decode()


def test_an_accountant_may_not_read_the_log(client):
    membership = factories.MembershipFactory.create(role=models.Role.ACCOUNTANT)
    client.force_login(membership.user)
    assert client.get(reverse("company-audit", args=[membership.company_id])).status_code == 404


def test_an_administrator_of_another_company_may_not_read_the_log(client):
    ours = factories.MembershipFactory.create(role=models.Role.ADMINISTRATOR)
    theirs = factories.CompanyFactory.create()
    client.force_login(ours.user)
    assert client.get(reverse("company-audit", args=[theirs.pk])).status_code == 404


def test_the_admin_shows_the_log_but_offers_no_change_or_delete(client):
    boss = factories.UserFactory.create(is_staff=True, is_superuser=True)
    event = record(username="seen-in-admin")
    client.force_login(boss)
    listing = client.get(reverse("admin:company_auditevent_changelist")).content.decode()
    delete = client.post(reverse("admin:company_auditevent_delete", args=[event.pk]), {"post": "yes"})
    assert (
        "seen-in-admin" in listing,
        delete.status_code,
        models.AuditEvent.objects.filter(pk=event.pk).exists(),
    ) == (
        True,
        403,
        True,
    )
