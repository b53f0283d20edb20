"""The suite runs on PostgreSQL; the tests marked `sqlite` also run on SQLite, the default of `make run`.

`make test` runs pytest twice: once on PostgreSQL (every test), once with
`DJANGO_SETTINGS_MODULE=autopay_erp.settings.test_sqlite` (only the tests marked `sqlite`). To have a flow a
newcomer walks on `make run` checked on SQLite too, mark its tests:

    pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]        # a whole module
    @pytest.mark.sqlite                                              # one test

and mark `postgresql_only` a test of such a module that needs PostgreSQL (row locks between threads, triggers,
COPY). Run the SQLite part alone with:

    DJANGO_SETTINGS_MODULE=autopay_erp.settings.test_sqlite .venv/bin/pytest -m sqlite
"""

import pytest
from django.conf import settings as django_settings


def _on_sqlite() -> bool:
    return django_settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On SQLite, keep only the tests marked `sqlite` and not `postgresql_only`."""
    if not _on_sqlite():
        return
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        wanted = item.get_closest_marker("sqlite") and not item.get_closest_marker("postgresql_only")
        (kept if wanted else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(autouse=True)
def _media_and_var(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _language_of_the_settings():
    """Each test starts in the settings' language: a page a test asked for in another language leaves that
    language active in the thread (LocaleMiddleware activates it and does not deactivate it)."""
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)
