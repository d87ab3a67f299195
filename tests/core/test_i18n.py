"""Russian and English are complete, compiled, and Russian is the default."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.test import Client

from opora.accounts.models import User

LOCALE = Path(__file__).resolve().parents[2] / "opora" / "locale"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_string_is_translated(language: str) -> None:
    catalog = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))

    missing = [entry.msgid for entry in catalog if not entry.translated() and not entry.obsolete]
    fuzzy = [entry.msgid for entry in catalog if "fuzzy" in entry.flags]
    assert missing == []
    assert fuzzy == []


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_compiled_catalog_matches_the_source(language: str) -> None:
    source = polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))
    compiled = polib.mofile(str(LOCALE / language / "LC_MESSAGES" / "django.mo"))

    def as_pairs(catalog: polib._BaseFile) -> set[tuple[str | None, str, str]]:
        return {
            (e.msgctxt, e.msgid, e.msgstr or str(e.msgstr_plural))
            for e in catalog
            if e.msgid and (e.msgstr or e.msgstr_plural)
        }

    assert as_pairs(source) == as_pairs(compiled)


@pytest.mark.django_db
def test_the_login_page_is_russian_whatever_the_browser_asks(client: Client) -> None:
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    body = response.content.decode()
    assert 'lang="ru"' in body
    assert "Войти" in body
    assert response["Content-Language"] == "ru"


@pytest.mark.django_db
def test_the_switcher_sets_the_cookie_for_visitors(client: Client) -> None:
    response = client.post("/language/", {"language": "en", "next": "/login/"})

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.cookies["opora_language"].value == "en"
    assert 'lang="en"' in client.get("/login/").content.decode()


@pytest.mark.django_db
def test_the_switcher_saves_the_choice_on_the_user(operator_client: Client, operator: User) -> None:
    assert operator.language == "ru"

    operator_client.post("/language/", {"language": "en", "next": "/"})

    operator.refresh_from_db()
    assert operator.language == "en"


@pytest.mark.django_db
def test_the_switcher_ignores_unknown_languages_and_foreign_redirects(client: Client) -> None:
    response = client.post("/language/", {"language": "xx", "next": "https://evil.example/"})

    assert response["Location"] == "/"
    assert "opora_language" not in response.cookies
