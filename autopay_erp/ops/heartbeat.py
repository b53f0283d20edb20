"""Beat's heartbeat: beat writes the time of its last scheduling pass to a file; a health check reads it.

`python -m autopay_erp.ops.heartbeat [--file PATH] [--max-age SECONDS]` exits 0 when the heartbeat is fresh,
1 when it is stale or missing (it needs no database and no Django set-up, so it is cheap to run often).
The file is `AUTOPAY_BEAT_HEARTBEAT` (default `var/beat-heartbeat`).
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_MAX_AGE_SECONDS = 60.0


def heartbeat_path() -> Path:
    return Path(os.environ.get("AUTOPAY_BEAT_HEARTBEAT", "var/beat-heartbeat"))


def heartbeat_write(*, path: Path, now: float) -> None:
    """Record `now` (epoch seconds) atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".beat-heartbeat.")
    with os.fdopen(fd, "w") as handle:
        handle.write(f"{now:.3f}\n")
    os.replace(temporary, path)


def heartbeat_age(*, path: Path, now: float) -> float | None:
    """Return the heartbeat's age in seconds, or None when there is none (or it cannot be read)."""
    try:
        return now - float(path.read_text().strip())
    except (OSError, ValueError):
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Is Celery beat still scheduling?")
    parser.add_argument("--file", type=Path, default=heartbeat_path())
    parser.add_argument("--max-age", type=float, default=DEFAULT_MAX_AGE_SECONDS)
    args = parser.parse_args(argv)
    age = heartbeat_age(path=args.file, now=time.time())
    if age is None:
        print(f"beat: no heartbeat at {args.file}", file=sys.stderr)
        return 1
    if age > args.max_age:
        print(f"beat: last scheduling pass {age:.0f} s ago (more than {args.max_age:.0f} s)", file=sys.stderr)
        return 1
    print(f"beat: last scheduling pass {age:.1f} s ago")
    return 0


if __name__ == "__main__":
    sys.exit(main())
