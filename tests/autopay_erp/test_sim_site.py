"""The simulator's own settings (autopay_sim.site.settings), checked as its service starts them."""

import os
import subprocess
import sys

from django.conf import settings

SIM_ENV = {
    "DJANGO_SETTINGS_MODULE": "autopay_sim.site.settings",
    "AUTOPAY_SIM_SECRET_KEY": "another-secret-key-of-the-simulator-alone-long-and-random-9876543210fedcba",
    "AUTOPAY_SIM_ENCRYPTION_KEY": "l3NvYyyt0kOSu5KxUQiu8pJLnY5aUQiTfJbUefedkLY=",
    "AUTOPAY_SIM_DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
}


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AUTOPAY_", "DATABASE_"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        env={**base, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_simulators_settings_pass_the_deployment_checks():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=SIM_ENV)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_simulator_refuses_to_start_without_its_own_encryption_key():
    env = {k: v for k, v in SIM_ENV.items() if k != "AUTOPAY_SIM_ENCRYPTION_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "AUTOPAY_SIM_ENCRYPTION_KEY must be set" in result.stderr


_LOGIN_PAGE = """
import django
django.setup()
from django.test import Client
for language in ("", "en"):
    headers = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
    page = Client(HTTP_HOST="localhost").get("/autopay/login/", secure=True, **headers)
    print(page.status_code, "Logg inn" in page.text, "Log in" in page.text, page.headers["Content-Language"])
"""


def test_the_simulator_service_speaks_norwegian_first_and_english_on_request():
    result = _manage("shell", "--no-imports", "-c", _LOGIN_PAGE, env=SIM_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split("\n")[:2] == ["200 True False nb", "200 False True en"], result.stdout


def test_the_simulator_service_formats_dates_and_amounts_in_the_language():
    script = (
        "import django, datetime, decimal\n"
        "django.setup()\n"
        "from django.template import Template, Context\n"
        "from django.utils import translation\n"
        't = Template(\'{{ d|date:"SHORT_DATE_FORMAT" }} {{ a|floatformat:"2g" }}\')\n'
        "for language in ('nb', 'en'):\n"
        "    with translation.override(language):\n"
        "        values = {'d': datetime.date(2026, 11, 17), 'a': decimal.Decimal('32071.33')}\n"
        "        print(t.render(Context(values)))\n"
    )
    result = _manage("shell", "--no-imports", "-c", script, env=SIM_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split("\n")[:2] == ["17.11.2026 32 071,33", "2026-11-17 32,071.33"], result.stdout
