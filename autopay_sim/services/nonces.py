"""The replay guard of the signed API."""

import datetime

from django.db import IntegrityError, transaction

from autopay_sim import models, signing
from autopay_sim.services.errors import NonceReplayed

# A nonce must be remembered as long as a request carrying it can be within the ±MAX_SKEW_SECONDS window.
NONCE_RETENTION = datetime.timedelta(seconds=2 * signing.MAX_SKEW_SECONDS)


def nonce_record(*, key_id: str, nonce: str, now: datetime.datetime) -> models.SeenNonce:
    """Remember a request nonce; forget those older than NONCE_RETENTION.

    :raises NonceReplayed: the nonce was seen before under this key id.
    """
    try:
        with transaction.atomic():
            models.SeenNonce.objects.filter(seen_at__lt=now - NONCE_RETENTION).delete()
            return models.SeenNonce.objects.create(key_id=key_id, nonce=nonce, seen_at=now)
    except IntegrityError as exc:
        raise NonceReplayed("this nonce was already used") from exc
