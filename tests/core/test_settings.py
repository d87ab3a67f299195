"""Start-up configuration is checked in a fresh interpreter, as a server would start."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

STRONG_KEY = "k" * 50


def start(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPORA_", "SECRET_KEY", "DATABASE_URL"))
    }
    clean.update(
        {
            "DJANGO_SETTINGS_MODULE": "opora.settings",
            "OPORA_DATA_DIR": "/tmp/opora-settings-test",
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_development_mode_starts_with_the_demo_secrets() -> None:
    result = start()

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_production_refuses_the_demo_secret_key() -> None:
    result = start(OPORA_ENV="production", ALLOWED_HOSTS="help.example.com")

    assert result.returncode != 0
    assert "needs its own SECRET_KEY" in result.stderr


def test_production_refuses_the_demo_encryption_key() -> None:
    result = start(OPORA_ENV="production", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="help.example.com")

    assert result.returncode != 0
    assert "needs its own OPORA_ENCRYPTION_KEY" in result.stderr


def test_production_refuses_debug() -> None:
    result = start(
        OPORA_ENV="production",
        SECRET_KEY=STRONG_KEY,
        OPORA_ENCRYPTION_KEY="another-long-production-passphrase",
        ALLOWED_HOSTS="help.example.com",
        OPORA_DEBUG="1",
    )

    assert result.returncode != 0
    assert "OPORA_DEBUG must be off" in result.stderr


def test_production_starts_with_its_own_secrets(tmp_path: pytest.TempPathFactory) -> None:
    secret_file = f"{tmp_path}/secret"
    with open(secret_file, "w") as handle:
        handle.write(STRONG_KEY + "\n")

    result = start(
        OPORA_ENV="production",
        SECRET_KEY_FILE=secret_file,
        OPORA_ENCRYPTION_KEY="another-long-production-passphrase",
        ALLOWED_HOSTS="help.example.com",
    )

    assert result.returncode == 0, result.stderr


def test_an_unknown_mode_fails_loudly() -> None:
    result = start(OPORA_ENV="staging")

    assert result.returncode != 0
    assert "OPORA_ENV must be" in result.stderr
