"""Norwegian Bokmål is the default language, English is available, and amounts and dates follow the locale."""

import datetime
import gettext
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from autopay_erp.settings import base


def test_the_products_default_language_is_norwegian_bokmal():
    assert base.LANGUAGE_CODE == "nb"
    assert [code for code, _ in base.LANGUAGES] == ["nb", "en"]


def test_local_settings_serve_norwegian_by_default():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_"))}
    env["DJANGO_SETTINGS_MODULE"] = "autopay_erp.settings.local"
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.LANGUAGE_CODE)",
        ],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip().splitlines()[-1] == "nb", result.stderr


def _render(source: str, language: str, **context: object) -> str:
    with translation.override(language):
        return Template("{% load l10n i18n %}" + source).render(Context(context))


@pytest.mark.parametrize(("language", "expected"), [("nb", "32 071,33"), ("en", "32,071.33")])
def test_amounts_follow_the_locale(language, expected):
    assert _render("{{ amount|floatformat:'2g' }}", language, amount=Decimal("32071.33")) == expected


@pytest.mark.parametrize(("language", "expected"), [("nb", "17.11.2026"), ("en", "2026-11-17")])
def test_dates_follow_the_locale(language, expected):
    day = datetime.date(2026, 11, 17)
    assert _render("{{ day|date:'SHORT_DATE_FORMAT' }}", language, day=day) == expected
    assert _render("{{ day|date }}", language, day=day) == expected


def test_the_login_page_speaks_norwegian_to_a_norwegian_browser(client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="nb")
    assert response.status_code == 200
    assert "Logg inn" in response.content.decode()
    assert '<html lang="nb">' in response.content.decode()


def test_the_login_page_speaks_english_to_an_english_browser(client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Log in" in response.content.decode()
    assert '<html lang="en">' in response.content.decode()


@pytest.mark.django_db
def test_the_language_switcher_keeps_the_choice(client):
    response = client.post("/i18n/setlang/", {"language": "nb", "next": "/login/"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    assert "Logg inn" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_every_nb_catalogue_is_compiled_and_current(tmp_path):
    """A .mo that differs from its .po would serve stale translations: `make messages` compiles them."""
    catalogues = sorted(settings.BASE_DIR.glob("*/locale/nb/LC_MESSAGES/django.po")) + sorted(
        settings.BASE_DIR.glob("locale/nb/LC_MESSAGES/django.po")
    )
    assert catalogues
    for po in catalogues:
        mo = po.with_suffix(".mo")
        assert mo.exists(), f"{mo} is missing: run make messages"
        fresh = tmp_path / "fresh.mo"
        subprocess.run(["msgfmt", "--check-format", "-o", str(fresh), str(po)], timeout=60, check=True)
        with fresh.open("rb") as a, mo.open("rb") as b:
            assert gettext.GNUTranslations(a)._catalog == gettext.GNUTranslations(b)._catalog, (  # type: ignore[attr-defined]
                f"{mo} is not the compiled {po.name}: run make messages"
            )


def test_every_entry_of_every_nb_catalogue_is_translated_and_none_is_fuzzy():
    """An empty or fuzzy entry is served in English to a Norwegian user."""
    catalogues = sorted(settings.BASE_DIR.glob("*/locale/nb/LC_MESSAGES/django.po")) + sorted(
        settings.BASE_DIR.glob("locale/nb/LC_MESSAGES/django.po")
    )
    assert catalogues
    left: dict[str, list[str]] = {}
    for po in catalogues:
        for flag in ("--untranslated", "--only-fuzzy"):
            shown = subprocess.run(
                ["msgattrib", flag, "--no-location", str(po)],
                timeout=60,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            # Every entry but the header (whose msgid is empty).
            entries = [e for e in shown.split("\n\n") if "msgid " in e and 'msgid ""\nmsgstr ""\n"' not in e]
            if entries:
                left[f"{po.relative_to(settings.BASE_DIR)} {flag}"] = entries
    assert left == {}
