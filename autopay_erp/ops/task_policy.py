"""The Celery task policy: which queue a task goes to and how long it may run, by its name, in one table.

A task's own `time_limit` / `soft_time_limit` (declared on its decorator) wins; otherwise the first pattern
its name matches gives them. Routes come from the same table, so a new task named by the convention
(`<app>.poll_<what>`, `<app>.import_<what>`) lands on its queue without a settings change:

| pattern | queue | soft limit | hard limit |
|---|---|---|---|
| `*.poll_*` | `poll` | 120 s | 180 s |
| `*.import_*`, `*.imports.*` | `imports` | 1500 s | 1800 s |
| anything else | `default` | 240 s | 300 s |

The broker's visibility timeout (Redis) is twice the longest hard limit: a task acknowledged late is given to
another worker only after its first worker must have stopped it, so no task runs twice at the same time.
"""

import fnmatch
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TaskPolicy:
    pattern: str
    queue: str
    soft_time_limit: int
    time_limit: int


POLICIES: tuple[TaskPolicy, ...] = (
    TaskPolicy("*.poll_*", "poll", 120, 180),
    TaskPolicy("*.import_*", "imports", 1500, 1800),
    TaskPolicy("*.imports.*", "imports", 1500, 1800),
    TaskPolicy("*", "default", 240, 300),
)
QUEUES: tuple[str, ...] = ("default", "poll", "imports")
DEFAULT_QUEUE = "default"
LONGEST_TIME_LIMIT = max(policy.time_limit for policy in POLICIES)
VISIBILITY_TIMEOUT = 2 * LONGEST_TIME_LIMIT


def policy_for(task_name: str) -> TaskPolicy:
    """Return the first policy whose pattern the task name matches (the last one matches every name)."""
    return next(policy for policy in POLICIES if fnmatch.fnmatchcase(task_name, policy.pattern))


def task_routes() -> dict[str, dict[str, str]]:
    """Return `task_routes`: a glob pattern per queue, in the table's order (Celery keeps the order)."""
    return {policy.pattern: {"queue": policy.queue} for policy in POLICIES if policy.pattern != "*"}


class TimeLimitAnnotation:
    """`task_annotations` entry: give each task the time limits of its policy unless it declares its own."""

    def annotate(self, task: Any) -> dict[str, int]:
        policy = policy_for(task.name)
        limits: dict[str, int] = {}
        if task.time_limit is None:
            limits["time_limit"] = policy.time_limit
        if task.soft_time_limit is None and task.time_limit is None:
            limits["soft_time_limit"] = policy.soft_time_limit
        return limits

    def annotate_any(self) -> dict[str, int]:
        return {}
