from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from pytest_django.fixtures import Settings

from opora.core import crypto


def test_it_round_trips_and_never_stores_the_plain_text() -> None:
    token = crypto.encrypt("пароль от хостинга")

    assert "пароль" not in token
    assert crypto.decrypt(token) == "пароль от хостинга"


def test_a_rotated_key_still_decrypts_old_values_and_rotate_moves_them_to_the_new_key(
    settings: Settings,
) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.OPORA_ENCRYPTION_KEYS = [old_key]
    old_token = crypto.encrypt("secret")

    settings.OPORA_ENCRYPTION_KEYS = [new_key, old_key]
    assert crypto.decrypt(old_token) == "secret"
    rotated = crypto.rotate(old_token)

    settings.OPORA_ENCRYPTION_KEYS = [new_key]
    assert crypto.decrypt(rotated) == "secret"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(old_token)


def test_a_tampered_value_is_refused() -> None:
    token = crypto.encrypt("secret")
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered)
