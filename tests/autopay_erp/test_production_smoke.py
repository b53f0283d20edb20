"""The production stack as an operator runs it: gunicorn with the production settings, a Celery worker and
beat, the simulator as a service of its own (its own settings and database), against PostgreSQL and Redis,
with the HTTPS redirect on. Everything runs as separate processes; the test talks to them over HTTP only.
"""

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from django.conf import settings

from autopay_erp import tasks

pytestmark = pytest.mark.broker

BIN = Path(sys.executable).parent
ERP_SECRET = "a-production-secret-key-that-is-long-and-random-enough-0123456789abcdef"
SIM_SECRET = "another-secret-key-of-the-simulator-alone-long-and-random-9876543210fedcba"
SIM_ENCRYPTION_KEY = "l3NvYyyt0kOSu5KxUQiu8pJLnY5aUQiTfJbUefedkLY="
ORG_NO = "988077917"
ACCOUNT = "15030000002"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url(name: str) -> str:
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    return base.rsplit("/", 1)[0] + f"/{name}"


def _databases_recreate(*names: str) -> None:
    config = settings.DATABASES["default"]
    with psycopg.connect(
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    ) as connection:
        for name in names:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')


@dataclass
class Stack:
    tmp: Path
    erp_env: dict[str, str]
    sim_env: dict[str, str]
    erp_url: str
    sim_url: str
    broken_broker_url: str
    worker_metrics_url: str
    heartbeat: Path
    readyz_before_migrate: tuple[int, dict[str, object]] = (0, {})
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, args: list[str], env: dict[str, str]) -> None:
        out = (self.tmp / f"{name}.out").open("wb")
        err = (self.tmp / f"{name}.err").open("wb")
        self.processes[name] = subprocess.Popen(args, env=env, cwd=settings.BASE_DIR, stdout=out, stderr=err)

    def manage(self, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            env=env,
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def output(self, name: str) -> str:
        return (self.tmp / f"{name}.out").read_text()


def _wait_answering(url: str, *, process: subprocess.Popen[bytes], seconds: float = 40) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the process serving {url} exited"
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def _wait_ready(url: str, *, process: subprocess.Popen[bytes], seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if _wait_answering(url, process=process, seconds=seconds).status_code == 200:
            return
        time.sleep(0.3)
    raise AssertionError(f"{url} not ready within {seconds} s")


def _base_env() -> dict[str, str]:
    prefixes = (
        "DJANGO_",
        "FIELD_",
        "DATABASE_",
        "CELERY_",
        "AUTOPAY_",
        "PROMETHEUS_",
        "GUNICORN_",
        "SENTRY_",
    )
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("production")
    # Each pytest-xdist worker runs the module's stack of its own.
    prefix = os.environ.get("TEST_DB_NAME", "test_autopay_erp") + os.environ.get("PYTEST_XDIST_WORKER", "")
    erp_db, sim_db = f"{prefix}_smoke", f"{prefix}_smoke_sim"
    _databases_recreate(erp_db, sim_db)
    erp_port, sim_port, bad_port, metrics_port = (_free_port() for _ in range(4))
    heartbeat = tmp / "beat-heartbeat"
    erp_env = {
        **_base_env(),
        "DJANGO_SETTINGS_MODULE": "autopay_erp.settings.production",
        "DJANGO_SECRET_KEY": ERP_SECRET,
        "FIELD_ENCRYPTION_KEYS": "g71cXZyElmgm5K7Kgu0qiJ2MDkxIGB1RaD1RTdpZsNw=",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "true",
        "DATABASE_URL": _database_url(erp_db),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "AUTOPAY_BASE_URL": f"http://127.0.0.1:{sim_port}/autopay",
        "AUTOPAY_BEAT_HEARTBEAT": str(heartbeat),
        "AUTOPAY_VAR_DIR": str(tmp / "var"),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp / "prometheus-web"),
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "4",
    }
    sim_env = {
        **_base_env(),
        "DJANGO_SETTINGS_MODULE": "autopay_sim.site.settings",
        "AUTOPAY_SIM_SECRET_KEY": SIM_SECRET,
        "AUTOPAY_SIM_ENCRYPTION_KEY": SIM_ENCRYPTION_KEY,
        "AUTOPAY_SIM_DATABASE_URL": _database_url(sim_db),
        "AUTOPAY_SIM_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "GUNICORN_WORKERS": "1",
        "GUNICORN_BIND": f"127.0.0.1:{sim_port}",
    }
    running = Stack(
        tmp=tmp,
        erp_env=erp_env,
        sim_env=sim_env,
        erp_url=f"http://127.0.0.1:{erp_port}",
        sim_url=f"http://127.0.0.1:{sim_port}",
        broken_broker_url=f"http://127.0.0.1:{bad_port}",
        worker_metrics_url=f"http://127.0.0.1:{metrics_port}/metrics",
        heartbeat=heartbeat,
    )
    gunicorn = [str(BIN / "gunicorn"), "-c", "python:autopay_erp.ops.gunicorn_conf"]
    celery = [str(BIN / "celery"), "-A", "autopay_erp", "--quiet"]
    try:
        sim_migrate = subprocess.Popen(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            env=sim_env,
            cwd=settings.BASE_DIR,
        )
        running.start(
            "web",
            [*gunicorn, "autopay_erp.wsgi:application"],
            {**erp_env, "GUNICORN_BIND": f"127.0.0.1:{erp_port}"},
        )
        # The same release with a broker that is not there: a port nothing listens on.
        closed = _free_port()
        running.start(
            "web-no-broker",
            [*gunicorn, "autopay_erp.wsgi:application"],
            {
                **erp_env,
                "GUNICORN_BIND": f"127.0.0.1:{bad_port}",
                "CELERY_BROKER_URL": f"redis://127.0.0.1:{closed}/0",
                "PROMETHEUS_MULTIPROC_DIR": str(tmp / "prometheus-web-2"),
            },
        )
        before = _wait_answering(f"{running.erp_url}/readyz", process=running.processes["web"])
        running.readyz_before_migrate = (before.status_code, before.json())
        migrated = running.manage("migrate", "--noinput", "-v", "0", env=erp_env)
        assert migrated.returncode == 0, migrated.stderr
        running.start(
            "worker",
            [*celery, "worker", "--pool=solo", "--loglevel=INFO", "-Q", "default,poll,imports"],
            # No PROMETHEUS_MULTIPROC_DIR at all: even an empty one makes prometheus_client write its files
            # into the working directory.
            {
                **{k: v for k, v in erp_env.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
                "CELERY_METRICS_PORT": str(metrics_port),
            },
        )
        running.start("beat", [*celery, "beat", "--loglevel=INFO", "--pidfile="], erp_env)
        assert sim_migrate.wait(timeout=120) == 0
        running.start("sim", [*gunicorn, "autopay_sim.site.wsgi:application"], sim_env)
        _wait_ready(f"{running.erp_url}/readyz", process=running.processes["web"])
        _wait_ready(f"{running.sim_url}/readyz", process=running.processes["sim"])
        yield running
    finally:
        for process in running.processes.values():
            process.terminate()
        for process in running.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def test_readyz_is_503_naming_the_migrations_before_they_are_applied(stack):
    status, body = stack.readyz_before_migrate
    assert status == 503
    assert body["checks"]["migrations"]["ok"] is False


def test_readyz_is_200_with_the_database_migrations_and_broker_up(stack):
    response = httpx.get(f"{stack.erp_url}/readyz", timeout=5)
    assert response.status_code == 200, response.text
    assert {name for name, check in response.json()["checks"].items() if check["ok"]} == {
        "database",
        "migrations",
        "broker",
    }


def test_readyz_is_503_naming_the_broker_when_it_is_unreachable(stack):
    response = _wait_answering(f"{stack.broken_broker_url}/readyz", process=stack.processes["web-no-broker"])
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True


def test_plain_http_is_redirected_to_https(stack):
    response = httpx.get(f"{stack.erp_url}/login/", timeout=5)
    assert response.status_code == 301
    assert response.headers["Location"].startswith("https://")


def test_the_erp_does_not_serve_the_simulator(stack):
    response = httpx.get(f"{stack.erp_url}/autopay/", headers={"X-Forwarded-Proto": "https"}, timeout=5)
    assert response.status_code == 404


def test_the_simulator_keeps_its_own_session_cookies_under_its_own_path(stack):
    response = httpx.get(f"{stack.sim_url}/autopay/login/", headers={"X-Forwarded-Proto": "https"}, timeout=5)
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("autopay_sim_csrftoken=")
    assert "Path=/autopay/" in cookie
    assert "Secure" in cookie


def test_an_autopay_activation_works_with_the_https_redirect_on(stack):
    registered = stack.manage(
        "autopay_sim_company",
        "--org-no",
        ORG_NO,
        "--name",
        "Smoke AS",
        "--account",
        ACCOUNT,
        env=stack.sim_env,
    )
    assert registered.stdout.startswith("activation_code: "), registered.stderr
    created = stack.manage(
        "shell",
        "--no-imports",
        "-c",
        f"from company.models import Company; Company.objects.create(name='Smoke AS', org_no='{ORG_NO}')",
        env=stack.erp_env,
    )
    assert created.returncode == 0, created.stderr
    code = registered.stdout.strip().removeprefix("activation_code: ")
    activated = stack.manage("autopay_activate", "--org-no", ORG_NO, "--code", code, env=stack.erp_env)
    assert f"activated: {ORG_NO} (key id {ORG_NO})" in activated.stdout.splitlines(), activated.stderr


def test_the_worker_runs_a_task_and_counts_it_on_its_metrics_port(stack):
    tasks.ping.delay()
    sample = 'autopay_celery_tasks_total{state="success",task="autopay_erp.ping"}'
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if sample in httpx.get(stack.worker_metrics_url, timeout=5).text:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{sample} not on the worker's metrics port")


def test_the_web_metrics_count_requests_across_its_workers(stack):
    httpx.get(f"{stack.erp_url}/login/", headers={"X-Forwarded-Proto": "https"}, timeout=5)
    text = httpx.get(f"{stack.erp_url}/metrics", timeout=5).text
    assert 'autopay_http_requests_total{method="GET",status="200",view="login"}' in text


def test_beats_health_check_passes_while_it_schedules(stack):
    deadline = time.monotonic() + 30
    while not stack.heartbeat.exists() and time.monotonic() < deadline:
        time.sleep(0.3)
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "autopay_erp.ops.heartbeat",
            "--file",
            str(stack.heartbeat),
            "--max-age",
            "30",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr


def test_every_line_the_processes_write_to_stdout_is_json_with_a_utc_timestamp(stack):
    httpx.get(f"{stack.erp_url}/login/", headers={"X-Forwarded-Proto": "https"}, timeout=5)
    lines = [
        (name, line)
        for name in ("web", "worker", "beat", "sim")
        for line in stack.output(name).splitlines()
        if line.strip()
    ]
    assert {name for name, _ in lines} == {"web", "worker", "beat", "sim"}
    for name, line in lines:
        record = json.loads(line)
        assert record["timestamp"].endswith("+00:00"), (name, line)


def test_production_settings_pass_the_deployment_checks_with_the_simulator_apart(stack):
    checked = stack.manage("check", "--deploy", "--fail-level", "WARNING", env=stack.erp_env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
