"""Content-Security-Policy and Permissions-Policy on every kind of page; no inline script in a template."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.company import factories

pytestmark = pytest.mark.django_db

PAGES = ["/login/", "/", "/open-items/", "/vouchers/", "/api/docs/", "/admin/", "/autopay/login/"]


@pytest.fixture
def signed_in(client):
    user = factories.UserFactory.create(is_staff=True, is_superuser=True)
    factories.MembershipFactory.create(user=user)
    client.force_login(user)
    return client


@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_a_policy_without_inline_script(signed_in, path):
    policy = signed_in.get(path)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if " " in d.strip())
    assert (directives["script-src"], directives["object-src"], "unsafe-inline" in policy) == (
        "'self'",
        "'none'",
        False,
    )


@pytest.mark.parametrize("path", PAGES)
def test_every_page_switches_off_the_camera_and_friends(signed_in, path):
    header = signed_in.get(path)["Permissions-Policy"]
    assert {"camera=()", "microphone=()", "geolocation=()", "payment=()"} <= set(header.split(", "))


def test_an_api_response_carries_the_headers_too(signed_in):
    response = signed_in.get(reverse("company-list"))
    assert ("Content-Security-Policy" in response, "Permissions-Policy" in response) == (True, True)


def test_swagger_ui_initializer_is_a_script_file(client):
    page = client.get(reverse("api-docs")).content.decode()
    script = client.get(reverse("api-docs") + "?script=")
    assert ("?script=" in page, script["Content-Type"].startswith("application/javascript")) == (True, True)


TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates", Path(settings.BASE_DIR) / "autopay_sim" / "templates"]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style|\sstyle\s*=", re.IGNORECASE)


def template_files() -> list[Path]:
    return sorted(p for d in TEMPLATE_DIRS for p in d.rglob("*.html"))


def test_no_template_has_an_inline_script_handler_or_style():
    offending = [
        str(p.relative_to(settings.BASE_DIR))
        for p in template_files()
        if INLINE_SCRIPT.search(p.read_text())
        or INLINE_HANDLER.search(p.read_text())
        or INLINE_STYLE.search(p.read_text())
    ]
    assert (len(template_files()) > 10, offending) == (True, [])
