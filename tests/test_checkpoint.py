"""SQLite checkpoints from a native thread (autocharge/checkpoint.py), on a real database file."""

import sqlite3
import time

from autocharge import checkpoint


def test_the_log_reaches_the_database_file_without_any_commit_checkpointing(tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint, "running", False)
    path = tmp_path / "wal.sqlite"
    writer = sqlite3.connect(path)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")  # the writer never copies its log itself
    writer.execute("CREATE TABLE blob (data TEXT)")
    with writer:
        writer.executemany("INSERT INTO blob VALUES (?)", [("x" * 1000,) for _ in range(2000)])
    assert path.stat().st_size < 100_000  # two megabytes written, all of them still in the log

    stop = checkpoint.start(str(path), every=0.05)
    try:
        deadline = time.monotonic() + 10
        while path.stat().st_size < 2_000_000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size >= 2_000_000  # copied into the database file by the thread
        assert checkpoint.running
    finally:
        stop()
        writer.close()
    reader = sqlite3.connect(path)
    assert reader.execute("SELECT count(*) FROM blob").fetchone() == (2000,)
    reader.close()
