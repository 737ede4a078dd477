"""Run by test_lease.py in its own gevent process: tick every 10 ms while another greenlet listens and a third waits
for a slow query; print the worst lateness of a tick (seconds) and the wake-up payload received.

With "pgwait" after the URL, psycopg waits through autocharge/pgwait.py (as the server does) instead of gevent's
patched select.poll()."""

from gevent import monkey

monkey.patch_all()

import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from autocharge import pgwait  # noqa: E402
from autocharge.csms import wakeup  # noqa: E402

if sys.argv[2:] == ["pgwait"]:
    pgwait.install()
    assert psycopg.waiting.wait is pgwait.wait

received: list[str] = []
wakeup.on("c", received.append)
conninfo = sa.make_url(sys.argv[1]).set(drivername="postgresql").render_as_string(hide_password=False)
listener = gevent.spawn(wakeup.listen_forever, conninfo)


def slow_query() -> None:
    """Wait 0.5 s for the database's answer, as a charger's frame waits for its statements."""
    with psycopg.connect(conninfo) as conn:
        conn.execute("SELECT pg_sleep(0.5)").fetchall()


query = gevent.spawn(slow_query)
worst = 0.0
for _ in range(150):  # 1.5 s, mostly spent with the listener waiting on its socket
    before = time.monotonic()
    gevent.sleep(0.01)
    worst = max(worst, time.monotonic() - before - 0.01)
with psycopg.connect(conninfo, autocommit=True) as conn:
    conn.execute("SELECT pg_notify(%s, %s)", (wakeup.CHANNEL, "c:hello"))
deadline = time.monotonic() + 5
while not [r for r in received if r != wakeup.MISSED] and time.monotonic() < deadline:
    gevent.sleep(0.01)
query.get(timeout=5)  # it finished, and raised nothing
listener.kill()
print(f"{worst:.4f} c:{[r for r in received if r != wakeup.MISSED][0]}")
