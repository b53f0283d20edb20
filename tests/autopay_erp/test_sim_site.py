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
