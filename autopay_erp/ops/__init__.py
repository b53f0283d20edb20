"""Operations: request ids, JSON logs, health and readiness, Prometheus metrics, the Celery task policy.

Nothing here is domain logic; the apps never import it, except through the gauge registry (`metrics.gauges`),
where autopay_erp registers a collector per domain gauge that reads through the apps' selectors.
"""
