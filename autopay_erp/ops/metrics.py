"""Prometheus metrics: HTTP requests, database queries, Celery tasks, and the domain gauges.

With several processes (gunicorn workers, a prefork Celery pool) set `PROMETHEUS_MULTIPROC_DIR` to an empty
folder of their own, shared by the processes of one server: each process writes its samples there and a
scrape adds them up (prometheus-client's multiprocess mode). Without it, each process reports only its own.

Domain gauges are read from the database when scraped, by collector functions registered here with
`gauge_register` (see `autopay_erp.ops.gauges` and docs/deploy.md, "Metrics"). A collector that fails is
logged and counted in `autopay_gauge_errors`, and the other gauges are still reported.
"""

import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

HTTP_REQUESTS = Counter(
    "autopay_http_requests",
    "HTTP requests answered, by method, view and status.",
    ["method", "view", "status"],
)
HTTP_DURATION = Histogram(
    "autopay_http_request_duration_seconds", "Time to answer an HTTP request.", ["method", "view"]
)
DB_QUERIES = Counter("autopay_db_queries", "Database queries run, by outcome.", ["alias", "outcome"])
DB_DURATION = Histogram(
    "autopay_db_query_duration_seconds",
    "Time of one database query.",
    ["alias"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CELERY_TASKS = Counter("autopay_celery_tasks", "Celery tasks finished, by task and state.", ["task", "state"])
CELERY_DURATION = Histogram(
    "autopay_celery_task_duration_seconds",
    "Run time of a Celery task.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 1800.0),
)

Sample = tuple[Sequence[str], float]


@dataclass(frozen=True)
class DomainGauge:
    name: str
    documentation: str
    labels: tuple[str, ...]
    collect: Callable[[], Iterable[Sample]]


_gauges: dict[str, DomainGauge] = {}


def gauge_register(
    *, name: str, documentation: str, labels: Sequence[str] = (), collect: Callable[[], Iterable[Sample]]
) -> DomainGauge:
    """Register (or replace) a domain gauge: `collect()` returns (label values, value) pairs when scraped.

    The collector reads through the owning app's selectors; it is called at every scrape, so it must be one or
    two aggregate queries, never a query per row.
    """
    gauge = DomainGauge(name=name, documentation=documentation, labels=tuple(labels), collect=collect)
    _gauges[name] = gauge
    return gauge


def gauge_unregister(*, name: str) -> None:
    """Remove a domain gauge (tests, or a capability switched off)."""
    _gauges.pop(name, None)


def gauges_registered() -> list[DomainGauge]:
    return list(_gauges.values())


class DomainGaugeCollector(Collector):
    """Read every registered domain gauge at scrape time."""

    def collect(self) -> Iterator[Metric]:
        failed = GaugeMetricFamily(
            "autopay_gauge_errors",
            "1 when a domain gauge could not be read at this scrape.",
            labels=["gauge"],
        )
        for gauge in gauges_registered():
            family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=list(gauge.labels))
            try:
                for labels, value in gauge.collect():
                    family.add_metric([str(label) for label in labels], float(value))
            except Exception:
                logger.exception("gauge_collect_failed", extra={"gauge": gauge.name})
                failed.add_metric([gauge.name], 1.0)
                continue
            yield family
        yield failed


def _process_registry() -> CollectorRegistry:
    """The registry of this process's own metrics, added up over processes in multiprocess mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def worker_registry() -> CollectorRegistry:
    """The registry a worker serves on its metrics port: its processes' metrics, without domain gauges."""
    return _process_registry()


def exposition(*, with_domain_gauges: bool = True) -> tuple[bytes, str]:
    """Return the text exposition of every metric and its content type."""
    registry = _process_registry()
    if with_domain_gauges:
        scrape = CollectorRegistry()
        scrape.register(_RegistryCollector(registry))
        scrape.register(DomainGaugeCollector())
        registry = scrape
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _RegistryCollector(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self._registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self._registry.collect()


def query_observer(alias: str) -> Callable[..., Any]:
    """Return a database execute wrapper that times and counts each query of the connection `alias`."""

    def observe(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        outcome = "error"
        try:
            result = execute(sql, params, many, context)
            outcome = "ok"
            return result
        finally:
            DB_DURATION.labels(alias).observe(time.perf_counter() - started)
            DB_QUERIES.labels(alias, outcome).inc()

    observe.autopay_metrics = True  # type: ignore[attr-defined]
    return observe


def connection_observe(*, sender: Any, connection: Any, **kwargs: Any) -> None:
    """`connection_created` receiver: time every query of each new database connection."""
    if not any(getattr(wrapper, "autopay_metrics", False) for wrapper in connection.execute_wrappers):
        connection.execute_wrappers.append(query_observer(connection.alias))
