import time

from autopay_erp.ops import heartbeat


def test_a_fresh_heartbeat_passes_the_health_check(tmp_path):
    path = tmp_path / "beat-heartbeat"
    heartbeat.heartbeat_write(path=path, now=time.time())
    assert heartbeat.main(["--file", str(path), "--max-age", "60"]) == 0


def test_a_heartbeat_older_than_the_limit_fails_the_health_check(tmp_path):
    path = tmp_path / "beat-heartbeat"
    heartbeat.heartbeat_write(path=path, now=time.time() - 120)
    assert heartbeat.main(["--file", str(path), "--max-age", "60"]) == 1


def test_no_heartbeat_at_all_fails_the_health_check(tmp_path):
    assert heartbeat.main(["--file", str(tmp_path / "missing"), "--max-age", "60"]) == 1
