"""Prometheus metrics of this process: OCPP frames and answer times, chargers, commands, database pool, logins.

Counters live in memory and cost about a microsecond per frame; what needs the database or the pool is read only
when /metrics is scraped. Each process serves its own figures, so Prometheus scrapes every process, not the proxy.
"""

import hmac
import json
import re

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

from .extensions import db

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)  # CPU seconds and memory of this process
FRAMES = Counter(
    "autocharge_ocpp_frames", "OCPP frames received from chargers, by action", ["action"], registry=REGISTRY
)
CALL_ERRORS = Counter(
    "autocharge_ocpp_call_errors", "CallErrors answered to chargers, by code", ["code"], registry=REGISTRY
)
ANSWER_SECONDS = Histogram(
    "autocharge_ocpp_answer_seconds",
    "Seconds from a charger's frame being read to its answer being ready",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
    registry=REGISTRY,
)
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

# The head of an OCPP-J frame: message type, then (for a Call) the action. Frames are read no further.
_HEAD = re.compile(r'\s*\[\s*([234])\s*,\s*"[^"]{0,36}"\s*(?:,\s*"([A-Za-z0-9]{1,60})")?')
_ANSWERS = {"3": "CallResult", "4": "CallError"}
# (the protocol's actions, action) -> its counter, so a frame costs one dict lookup and an increment
_frames: dict[tuple[frozenset, str], object] = {}

bp = Blueprint("metrics", __name__)


def frame(actions: frozenset[str], text: str | bytes, reply: str | None, seconds: float) -> None:
    """Count one frame from a charger, its answer's CallError code if any, and how long the answer took.

    `actions` are the protocol's action names (the OCPP side knows them): only those become labels.
    """
    head = text[:120] if isinstance(text, str) else bytes(text[:120]).decode("utf-8", "replace")
    match = _HEAD.match(head)
    name = "invalid" if match is None else _ANSWERS.get(match.group(1)) or match.group(2) or "invalid"
    counter = _frames.get((actions, name))
    if counter is None:
        counter = _counter(actions, name)
    counter.inc()
    ANSWER_SECONDS.observe(seconds)
    if reply is not None and reply.startswith("[4,"):
        CALL_ERRORS.labels(str(json.loads(reply)[2])).inc()


def _counter(actions: frozenset[str], name: str):
    """Return the counter for a frame named `name`; a name outside the protocol counts as "other".

    Only protocol names are remembered, so a charger inventing actions adds neither label values nor memory.
    """
    if name in _ANSWERS.values() or name == "invalid" or name in actions:
        counter = _frames[actions, name] = FRAMES.labels(name)
        return counter
    return FRAMES.labels("other")


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
    POOL_CHECKED_OUT.set(pool.checkedout() if hasattr(pool, "checkedout") else 0)
    POOL_SIZE.set(pool.size() if hasattr(pool, "size") else 0)
