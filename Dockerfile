FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DJANGO_SETTINGS_MODULE=autopay_erp.settings.production
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 curl && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md LICENSE ./
COPY autopay_erp autopay_erp
COPY company company
COPY ledger ledger
COPY payments payments
COPY factoring factoring
COPY autopay_client autopay_client
COPY autopay_sim autopay_sim
COPY templates templates
COPY static static
COPY manage.py ./
RUN pip install --no-cache-dir -e . \
 && DJANGO_SECRET_KEY=build FIELD_ENCRYPTION_KEYS=g71cXZyElmgm5K7Kgu0qiJ2MDkxIGB1RaD1RTdpZsNw= \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 CELERY_BROKER_URL=redis://build python manage.py collectstatic --noinput
RUN useradd --create-home app && mkdir -p /app/var && chown app /app/var
USER app
EXPOSE 8000
CMD ["gunicorn", "autopay_erp.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4"]
