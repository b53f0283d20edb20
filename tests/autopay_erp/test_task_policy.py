from django.conf import settings

from autopay_erp import tasks
from autopay_erp.celery import app
from autopay_erp.ops import task_policy


def _queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_a_poll_task_goes_to_the_poll_queue():
    assert _queue_of("autopay_erp.poll_autopay") == "poll"


def test_a_file_import_task_goes_to_the_imports_queue():
    assert _queue_of("factoring.import_file") == "imports"


def test_any_other_task_goes_to_the_default_queue():
    assert _queue_of("autopay_erp.ping") == "default"


def test_a_worker_without_queue_options_consumes_all_three_queues():
    assert {queue.name for queue in app.conf.task_queues} == {"default", "poll", "imports"}


def test_a_task_is_delivered_to_its_own_queue_only():
    bindings = [(queue.exchange.name, queue.routing_key) for queue in app.amqp.queues.values()]
    assert len(set(bindings)) == len(bindings) == 3


def test_a_task_without_its_own_limits_gets_those_of_its_queue():
    @app.task(name="tests.task_policy.poll_example", shared=False)
    def poll_example() -> None:
        return None

    assert (poll_example.soft_time_limit, poll_example.time_limit) == (120, 180)


def test_a_task_declaring_its_own_limit_keeps_it():
    assert (tasks.ping.time_limit, tasks.ping.soft_time_limit) == (10, None)


def test_every_task_stops_before_the_broker_would_give_it_to_another_worker():
    app.loader.import_default_modules()
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    limits = {name: task.time_limit for name, task in app.tasks.items()}
    assert limits
    assert all(limit and limit < visibility for limit in limits.values()), limits
    assert task_policy.VISIBILITY_TIMEOUT > task_policy.LONGEST_TIME_LIMIT
