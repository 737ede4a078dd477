"""Prometheus metrics of this process: OCPP frames and answer times, chargers, commands, database pool, logins.

Counters live in memory and cost about a microsecond per frame; what needs the database or the pool is read only
when /metrics is scraped. Each process serves its own figures, so Prometheus scrapes every process, not the proxy.
"""

import bisect
import hmac
import json

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily

from .extensions import db
from .hotpath import runner as hotpath

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)  # CPU seconds and memory of this process
ANSWER_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class FrameFigures:
    """Frames by action, CallErrors by code and answer times, kept as plain numbers and read at scrape time.

    prometheus_client's own counters take a lock per update, and under gevent that lock is Python code: three of
    them were a few percent of a frame's cost. Only the server's loop thread counts frames, so no lock is needed.
    """

    def __init__(self):
        self.frames: dict[str, int] = {}
        self.errors: dict[str, int] = {}
        self.buckets = [0] * (len(ANSWER_BUCKETS) + 1)  # the last one: past the largest bound
        self.seconds = 0.0

    def collect(self):
        """Yield the figures as Prometheus metric families (called by the registry at scrape time)."""
        frames = CounterMetricFamily(
            "autocharge_ocpp_frames", "OCPP frames received from chargers, by action", labels=["action"]
        )
        for action, count in list(self.frames.items()):
            frames.add_metric([action], count)
        yield frames
        errors = CounterMetricFamily(
            "autocharge_ocpp_call_errors", "CallErrors answered to chargers, by code", labels=["code"]
        )
        for code, count in list(self.errors.items()):
            errors.add_metric([code], count)
        yield errors
        cumulative, buckets = 0, []
        for bound, count in zip((*ANSWER_BUCKETS, float("inf")), self.buckets, strict=True):
            cumulative += count
            buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
        yield HistogramMetricFamily(
            "autocharge_ocpp_answer_seconds",
            "Seconds from a charger's frame being read to its answer being ready",
            buckets=buckets,
            sum_value=self.seconds,
        )


FIGURES = FrameFigures()
REGISTRY.register(FIGURES)
# Kept by the OCPP side as sockets open and close (inc/dec).
CONNECTED = Gauge("autocharge_chargers_connected", "Charger sockets this process holds", registry=REGISTRY)
PENDING = Gauge(
    "autocharge_commands_pending",
    "Commands in the outbox not yet sent to their charger (all processes)",
    registry=REGISTRY,
)
POOL_CHECKED_OUT = Gauge("autocharge_db_pool_checked_out", "Database connections in use", registry=REGISTRY)
POOL_SIZE = Gauge(
    "autocharge_db_pool_size", "Database connections the pool keeps (overflow comes on top)", registry=REGISTRY
)
LOGINS_FAILED = Counter(
    "autocharge_logins_failed", "Refused admin logins: wrong credentials or throttled", ["reason"], registry=REGISTRY
)

bp = Blueprint("metrics", __name__)


def frame(name: str, reply: str | None, seconds: float) -> None:
    """Count one frame from a charger under `name` (what dispatcher.handle_named says it counts as), its answer's
    CallError code if any, and how long the answer took."""
    figures = FIGURES
    figures.frames[name] = figures.frames.get(name, 0) + 1
    figures.buckets[bisect.bisect_left(ANSWER_BUCKETS, seconds)] += 1
    figures.seconds += seconds
    if reply is not None and reply.startswith("[4,"):
        code = str(json.loads(reply)[2])
        figures.errors[code] = figures.errors.get(code, 0) + 1


def login_failed(reason: str) -> None:
    """Count a refused admin login ("wrong" credentials or "throttled")."""
    LOGINS_FAILED.labels(reason).inc()


@bp.route("/metrics")
def scrape():
    """Serve the metrics in Prometheus' text format to a scraper with the token (404 while no token is set)."""
    token = current_app.config["AUTOCHARGE_METRICS_TOKEN"]
    if not token:
        abort(404)
    given = request.headers.get("Authorization", "").encode()
    if not hmac.compare_digest(given, f"Bearer {token}".encode()):
        return Response("A Bearer token is required.\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'})
    _read_gauges()
    return Response(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


def _read_gauges() -> None:
    """Set the gauges that are read at scrape time: the outbox and the pool."""
    from .models import ChargerCommand
    from .models.statuses import CommandState

    pending = sa.select(sa.func.count()).select_from(ChargerCommand).where(ChargerCommand.state == CommandState.PENDING)
    PENDING.set(db.session.scalar(pending))
    pool = db.engine.pool
    in_use = pool.checkedout() - hotpath.parked(db.engine) if hasattr(pool, "checkedout") else 0
    POOL_CHECKED_OUT.set(in_use)  # the connections the hot path keeps idle between statements are not in use
    POOL_SIZE.set(pool.size() if hasattr(pool, "size") else 0)
