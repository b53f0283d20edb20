"""Writes of the company app."""

import datetime

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from company import crypto, models


class InvalidSigningKey(ValueError):
    """The signing key offered is empty or not bytes."""


# Error reports (the DEBUG page, mailed tracebacks) hide this frame's variables: it holds the plain key.
@sensitive_variables()
def company_signing_key_set(
    *, company: models.Company, signing_key: bytes, key_id: str, now: datetime.datetime
) -> models.Company:
    """Store the company's AutoPay signing key encrypted, and mark AutoPay as activated at `now`.

    The plain key is never written to the database, the history or a log.

    :raises InvalidSigningKey: when the key is empty or not bytes.
    :raises django.core.exceptions.ImproperlyConfigured: when no encryption key is configured.
    """
    if not isinstance(signing_key, bytes) or not signing_key:
        raise InvalidSigningKey("The signing key must be non-empty bytes.")
    ciphertext = crypto.encrypt(signing_key)
    with transaction.atomic():
        locked = models.Company.objects.select_for_update().get(pk=company.pk)
        locked.ap_sig_key_ciphertext = ciphertext
        locked.autopay_key_id = key_id
        locked.autopay_activated_at = now
        locked.save(update_fields=["ap_sig_key_ciphertext", "autopay_key_id", "autopay_activated_at"])
    company.ap_sig_key_ciphertext = locked.ap_sig_key_ciphertext
    company.autopay_key_id = locked.autopay_key_id
    company.autopay_activated_at = locked.autopay_activated_at
    return company


@sensitive_variables()
def encryption_keys_rotate() -> int:
    """Re-encrypt every stored signing key under the first key of FIELD_ENCRYPTION_KEYS; return how many.

    All or nothing: one transaction, rows locked while they are rewritten.

    :raises company.crypto.DecryptionError: when a stored value cannot be decrypted with any configured key.
    :raises django.core.exceptions.ImproperlyConfigured: when no encryption key is configured.
    """
    with transaction.atomic():
        rows = list(
            models.Company.objects.select_for_update()
            .exclude(ap_sig_key_ciphertext="")
            .only("pk", "ap_sig_key_ciphertext")
            .order_by("pk")
        )
        for row in rows:
            row.ap_sig_key_ciphertext = crypto.rotate(row.ap_sig_key_ciphertext)
        # One UPDATE for all rows; save() would also write a history row per company for nothing.
        models.Company.objects.bulk_update(rows, ["ap_sig_key_ciphertext"], batch_size=500)
    return len(rows)
