"""The domain gauges: each one is a selector of an app, read at every scrape of /metrics.

A gauge is registered here when its selector exists; a capability that is not built yet simply has no gauge.
A selector for a gauge takes keyword-only arguments (`now` when it declares it) and returns a QuerySet of
`values_list(<label>, …, <value>)` rows, one per label combination (or, for a count, any QuerySet). So an app
adds a gauge by writing the selector under the name below, or by adding a line to DOMAIN_GAUGES.
"""

import importlib
import inspect
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from autopay_erp.ops import metrics

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GaugeSpec:
    name: str
    documentation: str
    labels: tuple[str, ...]
    selector: str  # "module:function"
    count: bool = False  # the gauge is the number of rows of the QuerySet (no labels)


DOMAIN_GAUGES: tuple[GaugeSpec, ...] = (
    GaugeSpec(
        "autopay_companies_activated",
        "Companies with AutoPay activated.",
        (),
        "company.selectors:companies_autopay_activated",
        count=True,
    ),
    GaugeSpec(
        "autopay_messages_applied",
        "AutoPay messages applied, per company.",
        ("company",),
        "autopay_erp.selectors:messages_applied_by_company",
    ),
    GaugeSpec(
        "autopay_poll_lag_seconds",
        "Seconds since the last successful poll of AutoPay, per company.",
        ("company",),
        "autopay_erp.selectors:poll_lag_seconds_by_company",
    ),
    GaugeSpec(
        "autopay_anomalies_open",
        "Payment anomalies awaiting manual handling, per company.",
        ("company",),
        "payments.selectors:anomalies_open_by_company",
    ),
    GaugeSpec(
        "autopay_incoming_unmatched_open",
        "Incoming payments on the suspense account awaiting manual handling, per company.",
        ("company",),
        "factoring.selectors:incoming_unmatched_open_by_company",
    ),
    GaugeSpec(
        "autopay_imports_running",
        "File imports in progress, per company.",
        ("company",),
        "factoring.selectors:imports_running_by_company",
    ),
)


def _selector(path: str) -> Callable[..., Any] | None:
    module_name, _, function_name = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError:
        return None
    found = getattr(module, function_name, None)
    return found if callable(found) else None


def collector_for(spec: GaugeSpec, selector: Callable[..., Any]) -> Callable[[], Iterable[metrics.Sample]]:
    """Return the collector of a gauge: call its selector (with `now` if it takes one), read its rows."""
    wants_now = "now" in inspect.signature(selector).parameters

    def collect() -> list[metrics.Sample]:
        rows = selector(now=timezone.now()) if wants_now else selector()
        if spec.count:
            return [((), float(rows.count()))]
        return [(tuple(str(label) for label in row[:-1]), float(row[-1])) for row in rows]

    return collect


def gauges_register() -> list[str]:
    """Register every domain gauge whose selector exists; return their names."""
    registered = []
    for spec in DOMAIN_GAUGES:
        selector = _selector(spec.selector)
        if selector is None:
            logger.debug("gauge_selector_missing", extra={"gauge": spec.name, "selector": spec.selector})
            continue
        metrics.gauge_register(
            name=spec.name,
            documentation=spec.documentation,
            labels=spec.labels,
            collect=collector_for(spec, selector),
        )
        registered.append(spec.name)
    return registered
