"""The simulator's own behaviour: approval, amendments, the bank day, incoming payments and the commands."""

import concurrent.futures
import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_otp.oath import TOTP

from autopay_sim import models, services, signing
from tests.autopay_sim import factories

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 22, 9, 0, tzinfo=datetime.UTC)
DAY = datetime.date(2026, 11, 23)


def _totp(device) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def _approver(company, *, with_device: bool = True):
    membership = factories.SimMembershipFactory.create(company=company)
    device = factories.TOTPDeviceFactory.create(user=membership.user) if with_device else None
    return membership.user, device


def _payment(
    *, approvers_required: int = 1, level: str = models.TwoFactorLevel.NONE, lines: int = 1, **line_kw
):
    agreement = factories.BankAgreementFactory.create(
        approvers_required=approvers_required, two_factor_level=level
    )
    payment = factories.PaymentFactory.create(agreement=agreement)
    for _ in range(lines):
        factories.PaymentLineFactory.create(payment=payment, **line_kw)
    return payment


# Approval -------------------------------------------------------------------------------------------------


def test_one_approver_makes_a_one_approver_payment_approved():
    payment = _payment()
    user, _ = _approver(payment.company)
    services.payment_approve(payment_id=payment.pk, user=user, now=NOW)
    assert models.Payment.objects.get(pk=payment.pk).status == models.AutoPayStatus.APPROVED


def test_first_of_two_approvers_leaves_the_payment_pending_signing():
    payment = _payment(approvers_required=2)
    user, _ = _approver(payment.company)
    services.payment_approve(payment_id=payment.pk, user=user, now=NOW)
    assert models.Payment.objects.get(pk=payment.pk).status == models.AutoPayStatus.PENDING_SIGNING


def test_second_distinct_approver_makes_the_payment_approved():
    payment = _payment(approvers_required=2)
    first, _ = _approver(payment.company)
    second, _ = _approver(payment.company)
    services.payment_approve(payment_id=payment.pk, user=first, now=NOW)
    services.payment_approve(payment_id=payment.pk, user=second, now=NOW)
    assert models.PaymentLine.objects.get(payment=payment).status == models.AutoPayStatus.APPROVED


def test_the_same_approver_cannot_sign_twice():
    payment = _payment(approvers_required=2)
    user, _ = _approver(payment.company)
    services.payment_approve(payment_id=payment.pk, user=user, now=NOW)
    with pytest.raises(services.ApprovalRefused, match="another approver must sign"):
        services.payment_approve(payment_id=payment.pk, user=user, now=NOW)


def test_a_user_without_the_approver_role_cannot_approve():
    payment = _payment()
    membership = factories.SimMembershipFactory.create(company=payment.company, role=models.SimRole.UPLOADER)
    factories.TOTPDeviceFactory.create(user=membership.user)
    with pytest.raises(services.RoleMissing, match="not an AutoPay Approver"):
        services.payment_approve(payment_id=payment.pk, user=membership.user, now=NOW)


def test_approval_without_a_code_is_refused_when_the_agreement_asks_for_one():
    payment = _payment(level=models.TwoFactorLevel.APPROVAL)
    user, _ = _approver(payment.company)
    with pytest.raises(services.ApprovalRefused, match="one-time code is required"):
        services.payment_approve(payment_id=payment.pk, user=user, now=NOW)


def test_approval_with_a_wrong_code_changes_nothing():
    payment = _payment(level=models.TwoFactorLevel.APPROVAL)
    user, device = _approver(payment.company)
    wrong = f"{(int(_totp(device)) + 1) % 10**6:06d}"
    with pytest.raises(services.ApprovalRefused):
        services.payment_approve(payment_id=payment.pk, user=user, now=NOW, otp_code=wrong)
    assert (models.Approval.objects.count(), models.Message.objects.count()) == (0, 0)


def test_approval_with_the_current_code_approves():
    payment = _payment(level=models.TwoFactorLevel.APPROVAL)
    user, device = _approver(payment.company)
    services.payment_approve(payment_id=payment.pk, user=user, now=NOW, otp_code=_totp(device))
    assert models.Payment.objects.get(pk=payment.pk).status == models.AutoPayStatus.APPROVED


def test_login_level_needs_a_session_verified_with_a_code():
    payment = _payment(level=models.TwoFactorLevel.LOGIN)
    user, _ = _approver(payment.company)
    with pytest.raises(services.ApprovalRefused, match="log in with a one-time code"):
        services.payment_approve(payment_id=payment.pk, user=user, now=NOW, session_verified=False)


def test_company_requiring_two_factor_refuses_an_approver_without_a_device():
    payment = _payment()
    user, _ = _approver(payment.company, with_device=False)
    with pytest.raises(services.ApprovalRefused, match="requires two-factor"):
        services.payment_approve(payment_id=payment.pk, user=user, now=NOW)


def test_approval_emits_one_line_status_message_per_line():
    payment = _payment(lines=3)
    user, _ = _approver(payment.company)
    services.payment_approve(payment_id=payment.pk, user=user, now=NOW)
    statuses = list(models.Message.objects.order_by("seq").values_list("payload__autopay_status", flat=True))
    assert statuses == ["approved"] * 3


def test_approval_records_who_and_when_as_events():
    payment = _payment()
    user, _ = _approver(payment.company)
    services.payment_approve(payment_id=payment.pk, user=user, now=NOW)
    event = models.PaymentEvent.objects.get(payment=payment, kind="status")
    assert (event.actor, event.at, event.from_status, event.to_status) == (
        user.username,
        NOW,
        "new",
        "approved",
    )


# Amendments and cancel ------------------------------------------------------------------------------------


def test_reducing_an_amount_before_approval_is_recorded_as_an_event():
    payment = _payment()
    line = payment.lines.get()
    user, _ = _approver(payment.company)
    services.payment_line_amount_reduce(line_id=line.pk, amount=Decimal("0.50"), user=user, now=NOW)
    event = models.PaymentEvent.objects.get(kind="amount_reduced")
    assert event.details == f"{line.end_to_end_id}: {line.amount} → 0.50"


def test_an_amount_cannot_be_raised():
    payment = _payment()
    line = payment.lines.get()
    user, _ = _approver(payment.company)
    with pytest.raises(services.AmendRefused):
        services.payment_line_amount_reduce(line_id=line.pk, amount=line.amount + 1, user=user, now=NOW)


def test_an_approved_payment_cannot_change_date():
    payment = _payment()
    user, _ = _approver(payment.company)
    services.payment_approve(payment_id=payment.pk, user=user, now=NOW)
    with pytest.raises(services.AmendRefused):
        services.payment_date_change(payment_id=payment.pk, requested_date=DAY, user=user, now=NOW)


def test_changing_the_date_moves_the_payment():
    payment = _payment()
    user, _ = _approver(payment.company)
    services.payment_date_change(
        payment_id=payment.pk, requested_date=DAY.replace(day=30), user=user, now=NOW
    )
    assert models.Payment.objects.get(pk=payment.pk).requested_date == DAY.replace(day=30)


def test_an_amount_with_more_than_two_decimals_is_refused():
    payment = _payment(amount=Decimal("100.00"))
    user, _ = _approver(payment.company)
    with pytest.raises(services.AmendRefused):
        services.payment_line_amount_reduce(
            line_id=payment.lines.get().pk, amount=Decimal("1.234"), user=user, now=NOW
        )


def _uploader(company):
    return factories.SimMembershipFactory.create(company=company, role=models.SimRole.UPLOADER).user


def test_a_user_without_the_approver_role_cannot_reduce_an_amount():
    payment = _payment(amount=Decimal("100.00"))
    with pytest.raises(services.RoleMissing):
        services.payment_line_amount_reduce(
            line_id=payment.lines.get().pk, amount=Decimal("50.00"), user=_uploader(payment.company), now=NOW
        )


def test_a_user_without_the_approver_role_cannot_change_the_date():
    payment = _payment()
    with pytest.raises(services.RoleMissing):
        services.payment_date_change(
            payment_id=payment.pk, requested_date=DAY, user=_uploader(payment.company), now=NOW
        )


def test_a_user_without_the_approver_role_cannot_cancel():
    payment = _payment()
    user = _uploader(payment.company)
    with pytest.raises(services.RoleMissing):
        services.payment_cancel(payment_id=payment.pk, actor=user.username, user=user, now=NOW)


def test_after_the_first_of_two_approvals_an_amend_is_refused():
    payment = _payment(approvers_required=2)
    user, _ = _approver(payment.company)
    services.payment_approve(payment_id=payment.pk, user=user, now=NOW)
    with pytest.raises(services.AmendRefused):
        services.payment_date_change(payment_id=payment.pk, requested_date=DAY, user=user, now=NOW)


def test_the_past_is_judged_on_the_local_date():
    payment = _payment()
    user, _ = _approver(payment.company)
    just_after_local_midnight = datetime.datetime(2026, 11, 22, 23, 30, tzinfo=datetime.UTC)  # 00:30 in Oslo
    with pytest.raises(services.AmendRefused, match="past"):
        services.payment_date_change(
            payment_id=payment.pk,
            requested_date=datetime.date(2026, 11, 22),
            user=user,
            now=just_after_local_midnight,
        )


def test_an_approved_payment_can_still_be_cancelled():
    payment = _payment()
    user, _ = _approver(payment.company)
    services.payment_approve(payment_id=payment.pk, user=user, now=NOW)
    services.payment_cancel(payment_id=payment.pk, actor="test", now=NOW)
    assert models.PaymentLine.objects.get(payment=payment).status == models.AutoPayStatus.CANCELLED


# The bank -------------------------------------------------------------------------------------------------


def _approved(payment):
    user, _ = _approver(payment.company)
    services.payment_approve(payment_id=payment.pk, user=user, now=NOW)
    return payment


def test_bank_day_pays_approved_lines_in_full_on_the_day():
    payment = _approved(_payment())
    services.bank_day_run(day=DAY, now=NOW, seed=1)
    line = models.PaymentLine.objects.get(payment=payment)
    assert (line.status, line.amount_paid, line.value_date, line.bank_reference) == (
        models.AutoPayStatus.PAID,
        line.amount,
        DAY,
        f"BR20261123{line.pk:08d}",
    )


def test_bank_day_rejects_a_line_to_a_closed_account():
    closed = factories.ClosedAccountFactory.create()
    payment = _approved(_payment(creditor_account=closed.account))
    services.bank_day_run(day=DAY, now=NOW)
    line = models.PaymentLine.objects.get(payment=payment)
    assert (line.status, line.reason) == (models.AutoPayStatus.REJECTED_IN_BANK, "closed account")


def test_bank_day_rejects_a_kid_longer_than_the_bank_takes():
    payment = _approved(_payment(kid=factories.kid(7, length=26)))
    services.bank_day_run(day=DAY, now=NOW)
    line = models.PaymentLine.objects.get(payment=payment)
    assert (line.status, line.reason) == (models.AutoPayStatus.REJECTED_IN_BANK, "invalid KID")


def test_bank_day_with_reject_share_one_rejects_every_line():
    _approved(_payment(lines=4))
    result = services.bank_day_run(day=DAY, now=NOW, seed=7, reject_share=1.0)
    assert (result.paid, result.rejected) == (0, 4)


def test_bank_day_random_rejections_repeat_with_the_same_seed():
    outcomes = []
    for _ in range(2):
        payment = _approved(_payment(lines=10))
        services.bank_day_run(day=DAY, now=NOW, seed=42, reject_share=0.5)
        outcomes.append(list(payment.lines.order_by("id").values_list("status", flat=True)))
    assert outcomes[0] == outcomes[1]


def test_bank_day_leaves_payments_due_later_alone():
    payment = _approved(_payment())
    services.bank_day_run(day=payment.requested_date - datetime.timedelta(days=1), now=NOW)
    assert models.Payment.objects.get(pk=payment.pk).status == models.AutoPayStatus.APPROVED


def test_bank_day_emits_every_line_status_change_as_a_message():
    payment = _approved(_payment())
    services.bank_day_run(day=DAY, now=NOW)
    statuses = list(
        models.Message.objects.filter(company=payment.company)
        .order_by("seq")
        .values_list("payload__autopay_status", flat=True)
    )
    assert statuses == ["approved", "sent_to_bank", "accepted_by_bank", "paid"]


def test_paid_message_carries_amount_value_date_and_bank_reference():
    payment = _approved(_payment())
    services.bank_day_run(day=DAY, now=NOW)
    line = payment.lines.get()
    payload = models.Message.objects.filter(company=payment.company).latest("seq").payload
    expected = (str(line.amount), "2026-11-23", line.bank_reference, 5)
    assert (
        payload["amount_paid"],
        payload["value_date"],
        payload["bank_reference"],
        payload["erp_status"],
    ) == expected


def test_bank_day_command_reports_paid_and_rejected_lines():
    closed = factories.ClosedAccountFactory.create()
    _approved(_payment(lines=2))
    _approved(_payment(creditor_account=closed.account))
    out = io.StringIO()
    call_command("autopay_sim_bank", "--run-day", "--date", "2026-11-23", "--seed", "3", stdout=out)
    assert out.getvalue().strip() == (
        "bank day 2026-11-23: 2 payments, 2 lines paid, 1 rejected, 0 cancelled in bank"
    )


def test_bank_day_refuses_a_reject_share_above_one():
    with pytest.raises(services.SimError, match="reject_share"):
        services.bank_day_run(day=DAY, now=NOW, reject_share=1.5)


# Incoming payments, approval tokens -----------------------------------------------------------------------


def test_incoming_generation_emits_given_unknown_and_kidless_payments():
    agreement = factories.BankAgreementFactory.create()
    spec = services.IncomingSpec(
        kid_amounts=[("0044555258", Decimal("1250.00"))], unknown_kids=2, without_kid=1
    )
    services.incoming_payments_generate(company_id=agreement.company_id, spec=spec, day=DAY, now=NOW, seed=5)
    payloads = [m.payload for m in models.Message.objects.order_by("seq")]
    summary = [(p["kid"] is not None, p["credited_account"] == agreement.debtor_account) for p in payloads]
    assert (payloads[0]["kid"], payloads[0]["amount"], summary) == (
        "0044555258",
        "1250.00",
        [(True, True), (True, True), (True, True), (False, True)],
    )


def test_incoming_command_takes_kids_with_amounts():
    agreement = factories.BankAgreementFactory.create()
    out = io.StringIO()
    call_command(
        "autopay_sim_bank", "--incoming", "--org-no", agreement.company.org_no, "--kid", "0044555258:99.50",
        "--without-kid", "2", "--date", "2026-11-23", stdout=out,
    )  # fmt: skip
    assert models.Message.objects.filter(type=models.MessageType.INCOMING_PAYMENT).count() == 3


def test_approval_token_needs_the_invoice_approvers_code():
    company = factories.SimCompanyFactory.create(allow_pre_approval=True)
    membership = factories.SimMembershipFactory.create(company=company, role=models.SimRole.INVOICE_APPROVER)
    device = factories.TOTPDeviceFactory.create(user=membership.user)
    message = services.approval_token_issue(
        company_id=company.pk, user=membership.user, invoice_no="F-1", supplier_account="86011117947",
        amount=Decimal("10.00"), currency="NOK", otp_code=_totp(device), now=NOW,
    )  # fmt: skip
    assert (message.type, message.payload["invoice_no"], len(message.payload["token"]) >= 32) == (
        "approval_token",
        "F-1",
        True,
    )


# The company command --------------------------------------------------------------------------------------


def _register(org_no: str) -> str:
    out = io.StringIO()
    call_command(
        "autopay_sim_company", "--org-no", org_no, "--name", "Kommando AS", "--account",
        factories.account_no(3, prefix="1505"), stdout=out,
    )  # fmt: skip
    return out.getvalue().strip()


def test_company_command_prints_an_activation_code():
    assert _register(factories.org_no(91000)).startswith("activation_code: ")


def test_company_command_again_issues_a_new_code_and_the_old_one_stops_working():
    org_no = factories.org_no(91001)
    old = _register(org_no).removeprefix("activation_code: ")
    _register(org_no)
    with pytest.raises(services.ActivationInvalid):
        services.company_activate(org_no=org_no, activation_code=old, now=timezone.now())


def test_company_command_on_an_activated_company_says_so():
    org_no = factories.org_no(91002)
    code = _register(org_no).removeprefix("activation_code: ")
    services.company_activate(org_no=org_no, activation_code=code, now=timezone.now())
    assert _register(org_no) == "already activated"


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_get_gap_free_message_seqs():
    agreement = factories.BankAgreementFactory.create()
    spec = services.IncomingSpec(kid_amounts=[], without_kid=3)

    def emit(seed: int) -> None:
        services.incoming_payments_generate(
            company_id=agreement.company_id, spec=spec, day=DAY, now=NOW, seed=seed
        )
        connection.close()

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(emit, range(8)))
    seqs = list(models.Message.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 25))


# One-time codes and nonces --------------------------------------------------------------------------------


def test_the_current_code_verifies_the_users_device():
    device = factories.TOTPDeviceFactory.create()
    assert services.totp_device_verify(user=device.user, code=_totp(device)) == device


def test_a_blank_code_verifies_no_device():
    device = factories.TOTPDeviceFactory.create()
    assert services.totp_device_verify(user=device.user, code=" ") is None


def test_a_nonce_is_refused_again_until_the_retention_has_passed():
    services.nonce_record(key_id="988077917", nonce="n" * 16, now=NOW)
    almost = NOW + services.NONCE_RETENTION - datetime.timedelta(seconds=1)
    with pytest.raises(services.NonceReplayed):
        services.nonce_record(key_id="988077917", nonce="n" * 16, now=almost)


def test_a_nonce_is_forgotten_once_the_retention_has_passed():
    services.nonce_record(key_id="988077917", nonce="n" * 16, now=NOW)
    later = NOW + services.NONCE_RETENTION + datetime.timedelta(seconds=1)
    services.nonce_record(key_id="988077917", nonce="n" * 16, now=later)
    assert list(models.SeenNonce.objects.values_list("seen_at", flat=True)) == [later]


def test_the_retention_is_twice_the_signing_window():
    assert datetime.timedelta(seconds=2 * signing.MAX_SKEW_SECONDS) == services.NONCE_RETENTION


# Bank day outcomes, approve command, demo setup ----------------------------------------------------------


def test_bank_day_cancels_a_line_to_a_stopped_account_in_bank():
    payment = _payment()
    line = payment.lines.get()
    models.StoppedAccount.objects.create(account=line.creditor_account)
    payment.status = models.AutoPayStatus.APPROVED
    payment.save(update_fields=["status"])
    payment.lines.update(status=models.AutoPayStatus.APPROVED)
    services.bank_day_run(day=DAY, now=NOW)
    assert models.PaymentLine.objects.get(pk=line.pk).status == models.AutoPayStatus.CANCELLED_IN_BANK


def test_a_line_reduced_before_approval_is_paid_the_reduced_amount():
    payment = _payment(amount=Decimal("100.00"))
    user, _ = _approver(payment.company)
    line = payment.lines.get()
    services.payment_line_amount_reduce(line_id=line.pk, amount=Decimal("80.00"), user=user, now=NOW)
    services.payment_approve(payment_id=payment.pk, user=user, now=NOW)
    services.bank_day_run(day=DAY, now=NOW)
    paid = models.Message.objects.filter(payload__autopay_status="paid").get()
    assert paid.payload["amount_paid"] == "80.00"


def test_approve_command_approves_every_payment_awaiting_the_user():
    payment = _payment()
    other = factories.PaymentFactory.create(agreement=payment.agreement)
    factories.PaymentLineFactory.create(payment=other)
    user, _ = _approver(payment.company)
    call_command(
        "autopay_sim_approve", "--org-no", payment.company.org_no, "--user", user.username, "--all",
        stdout=io.StringIO(),
    )  # fmt: skip
    statuses = set(models.Payment.objects.values_list("status", flat=True))
    assert statuses == {models.AutoPayStatus.APPROVED}


def test_approve_command_refuses_without_the_code_the_agreement_asks_for():
    payment = _payment(level=models.TwoFactorLevel.APPROVAL)
    user, _ = _approver(payment.company)
    with pytest.raises(CommandError, match="one-time code is required"):
        call_command(
            "autopay_sim_approve", "--org-no", payment.company.org_no, "--user", user.username,
            "--reference", payment.reference,
        )  # fmt: skip


def test_approve_command_with_the_current_code_approves_one_payment():
    payment = _payment(level=models.TwoFactorLevel.APPROVAL)
    user, device = _approver(payment.company)
    call_command(
        "autopay_sim_approve", "--org-no", payment.company.org_no, "--user", user.username,
        "--reference", payment.reference, "--otp", _totp(device), stdout=io.StringIO(),
    )  # fmt: skip
    assert models.Payment.objects.get(pk=payment.pk).status == models.AutoPayStatus.APPROVED


def test_approve_command_leaves_a_two_approver_payment_to_a_second_user():
    payment = _payment(approvers_required=2)
    user, _ = _approver(payment.company)
    args = ["--org-no", payment.company.org_no, "--user", user.username, "--reference", payment.reference]
    call_command("autopay_sim_approve", *args, stdout=io.StringIO())
    with pytest.raises(CommandError, match="another approver must sign"):
        call_command("autopay_sim_approve", *args)


def test_demo_setup_lets_an_approver_without_a_device_approve_without_a_code():
    user = factories.UserFactory.create(username="demo")
    org_no = factories.org_no(77)
    account = factories.account_no(77)
    for _ in range(2):  # a second `make run` ends the same
        call_command(
            "autopay_sim_company", "--org-no", org_no, "--name", "Demo AS", "--account", account,
            "--approvers", "1", "--two-factor", "login", "--two-factor-required", "no", stdout=io.StringIO(),
        )  # fmt: skip
        call_command("autopay_sim_member", "--org-no", org_no, "--user", "demo", stdout=io.StringIO())
    agreement = models.BankAgreement.objects.get(company__org_no=org_no)
    payment = factories.PaymentFactory.create(agreement=agreement)
    factories.PaymentLineFactory.create(payment=payment)
    services.payment_approve(payment_id=payment.pk, user=user, now=NOW)
    assert models.Payment.objects.get(pk=payment.pk).status == models.AutoPayStatus.APPROVED
