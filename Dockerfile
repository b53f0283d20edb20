# One image for every service of docker-compose.yml: the ERP (web, worker, beat, migrate) and the simulator.
FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=autopay_erp.settings.production
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 curl && rm -rf /var/lib/apt/lists/*

# Every dependency, pinned and hashed (`make lock` writes the file from pyproject.toml), in a layer of its own:
# a change of the source does not reinstall them.
COPY requirements/production.txt /tmp/requirements.txt
RUN pip install --no-cache-dir --require-hashes --only-binary=:all: -r /tmp/requirements.txt

# The project itself, not editable, without fetching anything (its dependencies are all there).
COPY pyproject.toml README.md LICENSE manage.py ./
COPY autopay_erp autopay_erp
COPY company company
COPY ledger ledger
COPY payments payments
COPY factoring factoring
COPY autopay_client autopay_client
COPY autopay_sim autopay_sim
COPY templates templates
COPY static static
RUN pip install --no-cache-dir --no-deps --no-build-isolation --no-index . \
 && rm -rf build ./*.egg-info \
 && DJANGO_SECRET_KEY=build FIELD_ENCRYPTION_KEYS=g71cXZyElmgm5K7Kgu0qiJ2MDkxIGB1RaD1RTdpZsNw= \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 CELERY_BROKER_URL=redis://build AUTOPAY_VAR_DIR=/app/var \
    python manage.py collectstatic --noinput -v 0 \
 && rm -f /tmp/build.sqlite3

# /app/var/media (MEDIA_ROOT): uploaded incoming files, a volume the web and the worker containers share.
RUN useradd --create-home app && mkdir -p /app/var/media && chown -R app /app/var
USER app
EXPOSE 8000
CMD ["gunicorn", "-c", "python:autopay_erp.ops.gunicorn_conf", "autopay_erp.wsgi:application"]
