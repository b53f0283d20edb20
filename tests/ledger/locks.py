"""Whether a session of the test database waits for a lock: seen in PostgreSQL, not guessed from a timer."""

import threading
import time

from django.db import connection

WAIT_SECONDS = 10.0


def waits_for_lock(thread: threading.Thread) -> bool:
    """Tell whether another session of this database waits for a lock before `thread` ends."""
    deadline = time.monotonic() + WAIT_SECONDS
    while thread.is_alive() and time.monotonic() < deadline:
        with connection.cursor() as cursor:
            # pg_stat_activity is read once per transaction unless the snapshot is cleared.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            row = cursor.fetchone()
            if row is not None and row[0]:
                return True
        time.sleep(0.02)
    return False
