"""The OCPP WebSocket endpoint: decide on auth and subprotocol before the 101, then run the socket."""

import base64
import contextlib
import hashlib
import io
import logging

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, request
from gevent.pywsgi import WSGIHandler
from geventwebsocket.handler import WebSocketHandler

from ..extensions import db
from ..services import chargers
from .websocket import OcppWebSocket

bp = Blueprint("ocpp", __name__)
log = logging.getLogger("autocharge.ocpp")

SUBPROTOCOLS = {"ocpp2.0.1": "2.0.1", "ocpp1.6": "1.6"}  # in order of preference
ACCEPT_KEY = "autocharge.accept_websocket"
SERVE_KEY = "autocharge.serve_websocket"
RETRY_AFTER = 10  # seconds a charger is asked to wait when the database is unavailable


class OcppHandler(WebSocketHandler):
    """gevent-websocket handler that lets the Flask view answer 400/401 or pick the subprotocol."""

    def run_application(self):
        """Run the app; for upgrade requests, hand it a callable that performs the handshake."""
        if self.environ.get("HTTP_UPGRADE", "").lower() != "websocket":
            return WSGIHandler.run_application(self)
        self.upgraded = False
        self.environ[ACCEPT_KEY] = self.accept

        def start_response(status, headers, exc_info=None):
            if self.upgraded:  # the socket ran inside the view; its HTTP response has no place left
                return lambda data: None
            return self.start_response(status, headers, exc_info)

        self.result = self.application(self.environ, start_response)
        if self.upgraded:
            if hasattr(self.result, "close"):
                self.result.close()
            self.result = None
            self.close_connection = True
            self._serve()
            return None
        self.process_result()
        return None

    def _serve(self) -> None:
        """Serve the accepted socket, after the view returned.

        The view only decides; the socket's hours-long loop runs here, outside Flask's request
        context, so each idle charger holds no request, session or view frames (memory per socket).
        """
        from .connection import serve_connection

        serve = self.environ.pop(SERVE_KEY, None)
        # The request's headers are done with; an idle socket should not keep them for hours.
        for key in [k for k in self.environ if k.startswith("HTTP_") or k.startswith("werkzeug.")]:
            del self.environ[key]
        self.headers = None
        if serve is not None and self.websocket is not None:
            serve_connection(serve[0], self.websocket, *serve[1:])

    def accept(self, subprotocol: str) -> OcppWebSocket | None:
        """Send the 101 with `subprotocol` and return the socket, or None if the handshake is invalid."""
        version = self.environ.get("HTTP_SEC_WEBSOCKET_VERSION")
        key = self.environ.get("HTTP_SEC_WEBSOCKET_KEY", "").strip()
        try:
            valid_key = len(base64.b64decode(key)) == 16
        except ValueError:
            valid_key = False
        if version not in self.SUPPORTED_VERSIONS or not valid_key:
            return None
        accept = base64.b64encode(hashlib.sha1((key + self.GUID).encode("latin-1")).digest()).decode()
        self.websocket = OcppWebSocket(self.environ, self._stream(), self)
        self.websocket.pending = self._take_read_buffer()
        self.environ["wsgi.websocket"] = self.websocket
        self.start_response(
            "101 Switching Protocols",
            [
                ("Upgrade", "websocket"),
                ("Connection", "Upgrade"),
                ("Sec-WebSocket-Accept", accept),
                ("Sec-WebSocket-Protocol", subprotocol),
            ],
        )
        self.write(b"")
        self.upgraded = True
        return self.websocket

    def _stream(self):
        """Return gevent-websocket's stream (for its writes: OcppWebSocket reads the socket itself)."""
        from geventwebsocket.handler import Stream

        return Stream(self)

    def _take_read_buffer(self) -> bytes:
        """Return what pywsgi's request read buffer holds past the request, and free that buffer (8 KiB: idle
        chargers number in the thousands). A client sends nothing before our 101 (RFC 6455 4.1); one may anyway.
        """
        sock = self.socket
        timeout = sock.gettimeout()
        sock.settimeout(0.0)
        try:
            pending = self.rfile.peek(0)  # with a zero timeout: only bytes already here, never a wait
        except OSError:  # only a read from the socket raises: the buffer was empty
            pending = b""
        finally:
            sock.settimeout(timeout)
        pending = self.rfile.read(len(pending)) if pending else b""
        self.rfile.close()
        self.rfile = io.BytesIO()
        return pending


def negotiate(header: str) -> str | None:
    """Return the subprotocol we prefer among those the charger offered, or None."""
    offered = {p.strip().lower() for p in header.split(",") if p.strip()}
    return next((p for p in SUBPROTOCOLS if p in offered), None)


@bp.route("/ocpp/<charge_box_id>", websocket=True)
def endpoint(charge_box_id: str):
    """Authenticate the charger, negotiate the subprotocol and accept the upgrade (the handler then serves it)."""
    accept = request.environ.get(ACCEPT_KEY)
    subprotocol = negotiate(request.headers.get("Sec-WebSocket-Protocol", ""))
    if accept is None or subprotocol is None:
        return Response("No supported OCPP subprotocol (ocpp2.0.1, ocpp1.6).\n", 400)
    try:
        decision = chargers.admit(charge_box_id, request.authorization, request.remote_addr or "")
    except sa.exc.SQLAlchemyError:  # refused or dropped connections, an exhausted pool: the charger retries
        log.exception("%s: database unavailable at connect", charge_box_id)
        with contextlib.suppress(sa.exc.SQLAlchemyError):
            db.session.rollback()
        return Response("Database unavailable; try again later.\n", 503, {"Retry-After": str(RETRY_AFTER)})
    if not decision.allowed:
        headers = {"WWW-Authenticate": 'Basic realm="OCPP"'} if decision.status == 401 else {}
        if decision.retry_after:
            headers["Retry-After"] = str(decision.retry_after)
        return Response(decision.reason + "\n", decision.status, headers)
    ws = accept(subprotocol)
    if ws is None:
        return Response("Invalid WebSocket handshake.\n", 400)
    # The handler serves the socket once this view has returned (OcppHandler._serve).
    request.environ[SERVE_KEY] = (
        current_app._get_current_object(),
        decision.charger_id,
        charge_box_id,
        SUBPROTOCOLS[subprotocol],
    )
    return Response(status=204)
