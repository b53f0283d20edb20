"""The deployment files, read as an operator (or docker compose) would: no Docker engine runs the tests."""

import re
import tomllib
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_only_the_proxy_publishes_ports():
    published = {name for name, service in _compose()["services"].items() if service.get("ports")}
    assert published == {"proxy"}


def test_every_service_of_the_project_runs_one_image():
    images = {
        service["image"]
        for service in _compose()["services"].values()
        if "build" in service or "AUTOPAY_IMAGE" in str(service.get("image"))
    }
    assert images == {"${AUTOPAY_IMAGE:-autopay-erp:latest}"}


def test_web_and_simulator_health_checks_ask_readyz_and_want_200():
    services = _compose()["services"]
    for name in ("web", "autopay"):
        check = " ".join(services[name]["healthcheck"]["test"])
        assert "/readyz" in check, name
        assert "= 200" in check, name


def test_beats_health_check_reads_its_heartbeat():
    assert "autopay_erp.ops.heartbeat" in _compose()["services"]["beat"]["healthcheck"]["test"]


def test_the_erp_trusts_forwarded_headers_from_the_proxys_address_only():
    services = _compose()["services"]
    proxy_ip = services["proxy"]["networks"]["backend"]["ipv4_address"]
    assert services["web"]["environment"]["DJANGO_TRUSTED_PROXIES"] == proxy_ip


def test_the_simulator_gets_none_of_the_erps_secrets():
    environment = _compose()["services"]["autopay"]["environment"]
    assert not {"DJANGO_SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "DATABASE_URL"} & set(environment)
    assert "sim-postgres" in environment["AUTOPAY_SIM_DATABASE_URL"]


def test_the_proxy_keeps_metrics_and_health_to_the_internal_network():
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    matcher = re.search(r"@internal path ([^\n]+)", caddyfile)
    assert matcher is not None
    assert "/metrics" in matcher[1].split()
    assert "respond @internal 404" in caddyfile


def test_the_lock_file_pins_every_direct_dependency_at_its_pyproject_version_with_hashes():
    lock = (ROOT / "requirements" / "production.txt").read_text()
    pinned = dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==(\S+) \\$", lock, re.MULTILINE))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"]:
        name, version = requirement.split("==")
        name = re.sub(r"\[.*\]", "", name).lower().replace("_", "-")
        assert pinned.get(name) == version, f"{name}: run `make lock`"
    blocks = re.split(r"\n(?=[a-z0-9])", lock.split("\n", 2)[2])
    assert all("--hash=sha256:" in block for block in blocks if "==" in block)


def test_the_image_installs_the_lock_before_copying_the_source():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.index("--require-hashes") < dockerfile.index("COPY autopay_erp")
    assert "pip install -e" not in dockerfile


def test_the_build_context_leaves_out_the_virtualenv_and_the_git_history():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", "var", ".env"} <= set(ignored)


def test_the_web_and_the_worker_share_the_folder_of_uploaded_files():
    # The web stores an uploaded incoming file; the worker that imports it runs in another container.
    services = _compose()["services"]
    mounts = {name: set(services[name].get("volumes", [])) for name in ("web", "worker")}
    assert "media:/app/var/media" in mounts["web"] & mounts["worker"]
    assert "media" in _compose()["volumes"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "mkdir -p /app/var/media && chown -R app /app/var" in dockerfile


def test_uploaded_files_go_to_an_absolute_folder_under_var_not_the_working_directory():
    from autopay_erp.settings import base

    assert base.MEDIA_ROOT.is_absolute()
    assert (base.VAR_DIR / "media").resolve() == base.MEDIA_ROOT
