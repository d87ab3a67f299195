"""Encryption of secrets at rest (Fernet, keys from OPORA_ENCRYPTION_KEY).

Several comma-separated keys may be configured: the first encrypts, every
one decrypts, so keys rotate by prepending a new one and re-encrypting
(`rotate`). Plain text never reaches logs or the audit trail.
"""

from __future__ import annotations

import base64
import hashlib
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionError(Exception):
    """The value was not encrypted with any configured key, or was tampered with."""


def _fernet_key(raw: str) -> bytes:
    """Accept a proper Fernet key, or derive one from any other passphrase."""
    try:
        if len(base64.urlsafe_b64decode(raw.encode())) == 32:
            return raw.encode()
    except ValueError:
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(raw.encode()).digest())


@cache
def _multi(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_fernet_key(k)) for k in keys])


def _cipher() -> MultiFernet:
    return _multi(tuple(settings.OPORA_ENCRYPTION_KEYS))


def encrypt(plain: str) -> str:
    return _cipher().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _cipher().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("cannot decrypt: wrong key or tampered value") from exc


def rotate(token: str) -> str:
    """Re-encrypt `token` with the current first key."""
    try:
        return _cipher().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("cannot decrypt: wrong key or tampered value") from exc
