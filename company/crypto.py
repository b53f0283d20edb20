"""Encryption at rest for secrets a company holds (the AutoPay signing key).

MultiFernet over settings.FIELD_ENCRYPTION_KEYS: the first key encrypts, every key decrypts. A new key goes
first; `manage.py rotate_encryption_keys` then re-encrypts every value under it, and old keys can be dropped.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.views.decorators.debug import sensitive_variables


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


@sensitive_variables()
def _multi_fernet() -> MultiFernet:
    """Build the MultiFernet from the configured keys, first key first.

    :raises ImproperlyConfigured: when no key is configured or a key is not a valid Fernet key.
    """
    keys = list(getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or [])
    if not keys:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS is empty: set it to one or more comma-separated Fernet keys "
            "(cryptography.fernet.Fernet.generate_key())."
        )
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as exc:
        # Never echo the key itself.
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key.") from exc


@sensitive_variables()
def encrypt(plaintext: bytes) -> str:
    """Encrypt bytes under the first configured key and return the token as text.

    :raises ImproperlyConfigured: when no usable key is configured.
    """
    return _multi_fernet().encrypt(plaintext).decode("ascii")


@sensitive_variables()
def decrypt(token: str) -> bytes:
    """Decrypt a token written by `encrypt` with any configured key.

    :raises ImproperlyConfigured: when no usable key is configured.
    :raises DecryptionError: when no configured key decrypts the token.
    """
    try:
        return _multi_fernet().decrypt(token.encode("ascii"))
    except InvalidToken as exc:
        raise DecryptionError(
            "The stored value cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS."
        ) from exc


@sensitive_variables()
def rotate(token: str) -> str:
    """Re-encrypt a token under the first configured key.

    :raises ImproperlyConfigured: when no usable key is configured.
    :raises DecryptionError: when no configured key decrypts the token.
    """
    try:
        return _multi_fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise DecryptionError(
            "The stored value cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS."
        ) from exc
