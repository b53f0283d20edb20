"""The simulator's admin: payments, their events and the message feed are written by services only."""

import pytest
from django.urls import reverse
from django.utils import timezone

from autopay_sim import models
from tests.autopay_sim import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["payment", "message", "paymentevent"])
def test_admin_cannot_add_service_written_rows(admin_client, model):
    assert admin_client.get(reverse(f"admin:autopay_sim_{model}_add")).status_code == 403


def test_admin_shows_a_message_without_a_save_button(admin_client):
    company = factories.SimCompanyFactory.create()
    message = models.Message.objects.create(
        company=company,
        seq=1,
        type=models.MessageType.LINE_STATUS,
        payload={},
        created_at=timezone.now(),
    )
    page = admin_client.get(reverse("admin:autopay_sim_message_change", args=[message.pk])).content.decode()
    assert 'name="_save"' not in page


def test_admin_cannot_delete_a_payment(admin_client):
    payment = factories.PaymentFactory.create()
    admin_client.post(reverse("admin:autopay_sim_payment_delete", args=[payment.pk]), {"post": "yes"})
    assert models.Payment.objects.filter(pk=payment.pk).exists()
