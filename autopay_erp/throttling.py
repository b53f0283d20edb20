"""DRF throttles of the whole API, with their rates read from settings.API_THROTTLE_RATES at each request.

DRF's own classes copy the rates once at import, so a changed setting (an operator's reload, a test) would not
take effect; these read them when asked.
"""

from django.conf import settings
from rest_framework import throttling


class AnonThrottle(throttling.AnonRateThrottle):
    """Anonymous requests, counted per client address."""

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope or "")


class UserThrottle(throttling.UserRateThrottle):
    """Authenticated requests, counted per user."""

    def get_rate(self) -> str | None:
        return settings.API_THROTTLE_RATES.get(self.scope or "")
