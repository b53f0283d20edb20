"""Encryption at rest of the companies' signing keys.

The Fernet key is `settings.AUTOPAY_SIM_ENCRYPTION_KEY` when set (a urlsafe-base64 32-byte Fernet key);
otherwise it is derived from `settings.SECRET_KEY` with HKDF-SHA256 (info `autopay_sim signing keys`), so
that a plain `make run` works. Changing either setting makes stored keys unreadable: the companies must be
activated again.
"""

import base64

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _fernet() -> Fernet:
    configured = getattr(settings, "AUTOPAY_SIM_ENCRYPTION_KEY", "")
    if configured:
        return Fernet(configured)
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"autopay_sim signing keys").derive(
        settings.SECRET_KEY.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def encrypt(secret: bytes) -> str:
    """Return the Fernet token of a secret, as text for a TextField."""
    return _fernet().encrypt(secret).decode("ascii")


def decrypt(token: str) -> bytes:
    """Return the secret of a Fernet token.

    :raises cryptography.fernet.InvalidToken: the token was made with another key or altered.
    """
    return _fernet().decrypt(token.encode("ascii"))
