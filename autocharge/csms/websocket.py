"""gevent-websocket's WebSocket with limits: a message's total size across fragments, and close codes with reasons."""

import contextlib
import socket
import struct
import time

from geventwebsocket.exceptions import ProtocolError, WebSocketError
from geventwebsocket.websocket import Header, WebSocket
from wsaccel.xormask import XorMaskerSimple

MAX_MESSAGE = 1024 * 1024  # bytes in one message, all its fragments together (the largest OCPP frames are ~100 KiB)
DRAIN_SECONDS = 2.0  # how long a refused peer may take to read our close frame and hang up
TOO_BIG, PROTOCOL_ERROR, BAD_DATA, NORMAL = 1009, 1002, 1007, 1000


def _mask(self, payload):
    """Unmask a frame with wsaccel's C masker instead of gevent-websocket's per-byte Python loop."""
    return XorMaskerSimple(self.mask).process(payload)


Header.mask_payload = _mask
Header.unmask_payload = _mask


class MessageTooBig(WebSocketError):
    """A message (or the fragments received of it so far) exceeds the size limit."""


class OcppWebSocket(WebSocket):
    """A WebSocket that refuses oversize messages before buffering them and always closes with a code and reason."""

    max_message = MAX_MESSAGE

    def read_message(self):
        """Return the next text or binary message; raise MessageTooBig before reading a payload past the limit."""
        opcode, parts, size = None, [], 0
        while True:
            header = Header.decode_header(self.stream)
            if header.flags:
                raise ProtocolError("Reserved bits set.")
            # decode_header has already refused oversize or fragmented control frames.
            if size + header.length > self.max_message:
                raise MessageTooBig(f"Message larger than {self.max_message} bytes.")
            payload = self._payload(header)
            if header.opcode in (self.OPCODE_TEXT, self.OPCODE_BINARY):
                if opcode:
                    raise ProtocolError("A new message started before the previous one ended.")
                opcode = header.opcode
            elif header.opcode == self.OPCODE_CONTINUATION:
                if not opcode:
                    raise ProtocolError("Continuation frame without a message.")
            elif header.opcode == self.OPCODE_PING:
                self.handle_ping(header, payload)
                continue
            elif header.opcode == self.OPCODE_PONG:
                continue
            elif header.opcode == self.OPCODE_CLOSE:
                self.handle_close(header, payload)
                return None
            else:
                raise ProtocolError(f"Unknown opcode {header.opcode}.")
            parts.append(payload)
            size += header.length
            if header.fin:
                break
        message = parts[0] if len(parts) == 1 else b"".join(parts)  # one frame, the usual case: no copy
        if opcode == self.OPCODE_TEXT:
            return self._decode_bytes(message)  # raises UnicodeError on invalid UTF-8
        return bytes(message)

    def _payload(self, header: Header) -> bytes:
        """Read and unmask one frame's payload; raise WebSocketError when the peer hangs up midway."""
        if not header.length:
            return b""
        payload = self.raw_read(header.length)
        if len(payload) != header.length:
            raise WebSocketError("Unexpected end of stream inside a frame.")
        return header.unmask_payload(payload) if header.mask else payload

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
