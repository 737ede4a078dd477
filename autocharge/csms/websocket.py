"""gevent-websocket's WebSocket with limits: a message's total size across fragments, and close codes with reasons."""

import contextlib
import socket
import struct
import time

from gevent import get_hub, getcurrent
from geventwebsocket.exceptions import FrameTooLargeException, ProtocolError, WebSocketError
from geventwebsocket.websocket import Header, WebSocket
from wsaccel.xormask import XorMaskerSimple

MAX_MESSAGE = 1024 * 1024  # bytes in one message, all its fragments together (the largest OCPP frames are ~100 KiB)
RECV_SIZE = 4096  # bytes asked of the kernel at once: most OCPP frames are far smaller
MAX_RECV = 256 * 1024  # the most asked at once for a long payload (recv allocates what it is asked for)
IDLE_TICKS = 4  # the idle timer's checks per idle timeout
DRAIN_SECONDS = 2.0  # how long a refused peer may take to read our close frame and hang up
TOO_BIG, PROTOCOL_ERROR, BAD_DATA, NORMAL = 1009, 1002, 1007, 1000


class MessageTooBig(WebSocketError):
    """A message (or the fragments received of it so far) exceeds the size limit."""


class OcppWebSocket(WebSocket):
    """A WebSocket that refuses oversize messages before buffering them and always closes with a code and reason.

    It reads the socket itself (gevent-websocket reads through a file object, a header field at a time), into
    `pending`: what arrived and is not read yet, nothing for an idle charger.
    """

    max_message = MAX_MESSAGE
    pending = b""  # bytes received and not read yet (the class's empty default until a socket has some)
    # Idle detection (watch_idle): the greenlet waiting for data, how many receives so far, and the timer's state.
    _reader = None
    _received = 0
    _timer = None
    _seen = 0
    _silent_ticks = 0

    def watch_idle(self, seconds: float) -> None:
        """Make the receive waiting for data raise TimeoutError once nothing arrived for `seconds` (to 1.25x that).

        One repeating timer per socket checks every quarter of it. The socket's own timeout would start and stop a
        Timeout at every wait for a frame: a measurable share of a frame's cost.
        """
        if seconds <= 0 or self._timer is not None:
            return
        self._timer = get_hub().loop.timer(seconds / IDLE_TICKS, seconds / IDLE_TICKS)
        self._timer.start(self._tick)

    def stop_watching_idle(self) -> None:
        """Stop the idle timer (the socket is done with)."""
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.close()

    def _tick(self) -> None:
        """The idle timer (a hub callback): after IDLE_TICKS ticks with nothing received, fail the waiting receive."""
        if self._received != self._seen:
            self._seen, self._silent_ticks = self._received, 0
            return
        self._silent_ticks += 1
        reader = self._reader
        if self._silent_ticks >= IDLE_TICKS and reader is not None:
            self._reader = None
            reader.throw(TimeoutError("Nothing received within the idle timeout."))

    def read_message(self):
        """Return the next text or binary message; raise MessageTooBig before reading a payload past the limit."""
        opcode, parts, size = None, [], 0
        while True:
            fin, flags, frame_opcode, length, mask = self._header()
            if flags:
                raise ProtocolError("Reserved bits set.")
            if size + length > self.max_message:
                raise MessageTooBig(f"Message larger than {self.max_message} bytes.")
            payload = self._take(length) if length else b""
            if mask is not None and payload:  # wsaccel's C masker (gevent-websocket's is a per-byte Python loop)
                payload = XorMaskerSimple(mask).process(payload)
            if frame_opcode in (self.OPCODE_TEXT, self.OPCODE_BINARY):
                if opcode:
                    raise ProtocolError("A new message started before the previous one ended.")
                opcode = frame_opcode
            elif frame_opcode == self.OPCODE_CONTINUATION:
                if not opcode:
                    raise ProtocolError("Continuation frame without a message.")
            elif frame_opcode == self.OPCODE_PING:
                self.handle_ping(None, payload)
                continue
            elif frame_opcode == self.OPCODE_PONG:
                continue
            elif frame_opcode == self.OPCODE_CLOSE:
                self.handle_close(Header(fin, frame_opcode, flags, length), payload)
                return None
            else:
                raise ProtocolError(f"Unknown opcode {frame_opcode}.")
            parts.append(payload)
            size += length
            if fin:
                break
        message = parts[0] if len(parts) == 1 else b"".join(parts)  # one frame, the usual case: no copy
        if opcode == self.OPCODE_TEXT:
            return message.decode()  # raises UnicodeError on invalid UTF-8: receive() closes with 1007
        return bytes(message)

    def _header(self) -> tuple[int, int, int, int, bytes | None]:
        """Read a frame's header: (FIN bit, reserved bits, opcode, payload length, mask or None)."""
        first, second = self._take(2)
        fin, flags, opcode, length = first & 0x80, first & 0x70, first & 0x0F, second & 0x7F
        if opcode > 0x07:
            if not fin:
                raise ProtocolError("Received fragmented control frame.")
            if length > 125:
                raise FrameTooLargeException("Control frame cannot be larger than 125 bytes.")
        if length == 126:
            length = int.from_bytes(self._take(2), "big")
        elif length == 127:
            length = int.from_bytes(self._take(8), "big")
        return fin, flags, opcode, length, self._take(4) if second & 0x80 else None

    def _take(self, size: int) -> bytes:
        """Return the next `size` bytes of the stream, waiting for them; raise WebSocketError if it ends first."""
        pending = self.pending
        if len(pending) < size:
            pending = self._receive(pending, size)
        self.pending = pending[size:]
        return pending[:size]

    def _receive(self, pending: bytes, size: int) -> bytes:
        """Receive until at least `size` bytes are pending (the socket's idle timeout applies); return them."""
        sock = self.handler.socket
        ready = getattr(sock, "_read_event", None)  # a gevent socket's (a plain one blocks in recv)
        chunks, have = ([pending] if pending else []), len(pending)
        while have < size:
            # Wait before asking: a charger speaks after our answer, so asking first would nearly always fail (a
            # system call and an exception per frame). gevent's own recv() waits the same way, after trying, but
            # with a Timeout per wait for the socket's timeout; the idle timer (watch_idle) replaces that here.
            if ready is not None:
                self._reader = getcurrent()
                try:
                    sock.hub.wait(ready)
                finally:
                    self._reader = None
            chunk = sock.recv(min(max(size - have, RECV_SIZE), MAX_RECV))
            if not chunk:
                raise WebSocketError("Unexpected end of stream.")
            self._received += 1
            chunks.append(chunk)
            have += len(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def send(self, message, binary=None):
        """Send a message in one frame (gevent-websocket's send, its header packed in one step, one system call)."""
        if self.closed:
            raise WebSocketError("Socket is already closed.")
        if isinstance(message, str) and not binary:
            data, first = message.encode(), 0x80 | self.OPCODE_TEXT
        else:
            data, first = bytes(message), 0x80 | self.OPCODE_BINARY
        size = len(data)
        if size < 126:
            header = bytes((first, size))
        elif size < 65536:
            header = struct.pack("!BBH", first, 126, size)
        else:
            header = struct.pack("!BBQ", first, 127, size)
        frame = header + data
        try:
            # One send() nearly always takes a whole frame; gevent's sendall would first ask the kernel for the
            # socket's buffer size (a system call per frame).
            sent = self.handler.socket.send(frame)
            if sent < len(frame):
                self.handler.socket.sendall(memoryview(frame)[sent:])
        except OSError:
            raise WebSocketError("Socket is dead.") from None

    def receive(self):
        """Return the next message, or None once the socket is closed (with a close code saying why)."""
        if self.closed:
            raise WebSocketError("Socket is already closed.")
        try:
            return self.read_message()
        except MessageTooBig as exc:
            self.refuse(TOO_BIG, str(exc))
        except UnicodeError:
            self.refuse(BAD_DATA, "Text message is not valid UTF-8.")
        except ProtocolError as exc:
            self.refuse(PROTOCOL_ERROR, str(exc) or "WebSocket protocol error.")
        except TimeoutError:  # the socket's idle timeout: a half-open connection or a charger gone silent
            self.close_with(NORMAL, "Nothing received within the idle timeout.")
        except (OSError, WebSocketError):
            self.close_with(NORMAL, "")
        return None

    def refuse(self, code: int, reason: str) -> None:
        """Close with `code` and `reason`, then read and discard what the peer still sends, for a moment.

        Closing a TCP socket with unread data makes the kernel send a reset, which can destroy our close
        frame before the peer reads it: the peer would never learn why.
        """
        self.close_with(code, reason)
        sock = getattr(self.handler, "socket", None)
        if sock is None:
            return
        budget, deadline = 2 * self.max_message, time.monotonic() + DRAIN_SECONDS
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_WR)  # the close frame, then our FIN: the peer closes its side
            while budget > 0 and time.monotonic() < deadline:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = sock.recv(65536)
                if not chunk:
                    break
                budget -= len(chunk)

    def close_with(self, code: int = NORMAL, reason: str = "") -> None:
        """Send a close frame with `code` and `reason` unless already closed, and mark the socket closed."""
        if self.closed:
            return
        # gevent-websocket's own close() drops the status code and mangles a bytes reason.
        with contextlib.suppress(OSError, AttributeError, WebSocketError):
            self.send_frame(struct.pack("!H", code) + reason.encode()[:123], self.OPCODE_CLOSE)
        self.closed = True
