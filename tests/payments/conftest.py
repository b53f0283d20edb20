import datetime

import pytest
from django.utils import timezone


@pytest.fixture
def autopay_url(live_server, settings) -> str:
    settings.AUTOPAY_BASE_URL = f"{live_server.url}/autopay"
    return settings.AUTOPAY_BASE_URL


@pytest.fixture
def now() -> datetime.datetime:
    return timezone.now()


@pytest.fixture
def today(now) -> datetime.date:
    return timezone.localdate(now)
