"""One charger cannot take the process from the others: flooding is paced, oversize messages refused (issue 7)."""

import http.cookiejar
import json
import re
import struct
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import websocket
from websocket import ABNF

from autocharge.services import chargers

from .support import RawCharger


def _open(server, box: str) -> RawCharger:
    """Open a raw 1.6 socket to `server` as `box`."""
    ws = websocket.create_connection(f"{server.ws_url}/{box}", subprotocols=["ocpp1.6"], timeout=30)
    return RawCharger(ws)


class Flood:
    """A charger that pipelines frames as fast as TCP takes them, then garbage; answers are read in a thread.

    With a count it sends that many frames at once; without, it sends until stop(), keeping the server a backlog
    ahead (so the flood lasts as long as the test needs, on a fast machine or a loaded one). Frames are encoded ahead
    of sending, a chunk at a time: a Python loop of send() calls would be the bottleneck, not the server.
    """

    CHUNK = 2_000
    AHEAD = 5_000  # unanswered frames at most, sending until stop(): about 0.5-1.5 s of the server's work

    def __init__(self, client: RawCharger, count: int | None = None):
        self.client, self.count, self.answers = client, count, []
        self.total: int | None = None  # how many frames were sent before the garbage, once known
        self.stopping = threading.Event()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.sender = threading.Thread(target=self._send, daemon=True)

    def start(self) -> "Flood":
        """Start sending and reading."""
        self.reader.start()
        self.sender.start()
        return self

    def stop(self) -> None:
        """Send no more frames after the current chunk (then the garbage)."""
        self.stopping.set()

    @staticmethod
    def _encoded(first: int, n: int) -> bytes:
        """Return frames f<first>... f<first+n-1>: Heartbeats, every third with an extra field (a schema error)."""
        texts = [
            json.dumps([2, f"f{i}", "Heartbeat", {}] if i % 3 else [2, f"f{i}", "Heartbeat", {"junk": i}])
            for i in range(first, first + n)
        ]
        return b"".join(ABNF.create_frame(text, ABNF.OPCODE_TEXT).format() for text in texts)

    def _send(self) -> None:
        sock, sent = self.client.ws.sock, 0
        if self.count is not None:
            sock.sendall(self._encoded(0, self.count))
            sent = self.count
        else:
            while not self.stopping.is_set():
                if sent - len(self.answers) > self.AHEAD:  # busy enough: a deeper backlog only drains longer
                    time.sleep(0.001)
                    continue
                sock.sendall(self._encoded(sent, self.CHUNK))
                sent += self.CHUNK
        self.total = sent  # before the garbage goes: the reader stops once it is answered
        sock.sendall(ABNF.create_frame("not json at all", ABNF.OPCODE_TEXT).format())

    def _read(self) -> None:
        while self.total is None or len(self.answers) <= self.total:
            self.answers.append(self.client.recv(timeout=60))


def _heartbeat_times(client: RawCharger, seconds: float) -> list[float]:
    """Send Heartbeats one after the other for `seconds`; return each one's answer time."""
    times, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        client.result("Heartbeat", {})
        times.append(time.monotonic() - started)
        time.sleep(0.02)
    return times


# Unpaced, the flood lasts until the healthy charger's 2 s of Heartbeats are over (then the server drains its backlog).
@pytest.mark.parametrize(("rate", "count"), [(0, None), (300, 1_500)], ids=["unpaced", "paced"])
def test_a_flooding_charger_leaves_the_others_answered_and_gets_every_answer_in_order(
    live_server_factory, database_url, in_db, rate, count
):
    in_db(lambda: [chargers.add_charger(box) for box in ("CP-1", "CP-2")])
    server = live_server_factory(database_url, AUTOCHARGE_CHARGER_RATE=rate, AUTOCHARGE_CHARGER_BURST=100)
    healthy, flooder = _open(server, "CP-2"), _open(server, "CP-1")
    try:
        started = time.monotonic()
        flood = Flood(flooder, count).start()
        times = _heartbeat_times(healthy, 2.0)
        flood.stop()
        answered = len(flood.answers)
        flood.reader.join(60)
        took = time.monotonic() - started
        count = flood.total
        # Issue 7's 1 s is bench/noisy_neighbour.py's target on a quiet machine; a loaded test run has shown 1.06 s.
        # A server that served the flood first fails by far: the flood only stops after these Heartbeats, so the
        # first one would wait until its socket timed out.
        assert max(times) < 3.0, f"the healthy charger waited {max(times):.2f} s"
        assert answered < count, "the server kept up with the flood: it was no flood"
        assert [answer[1] for answer in flood.answers[:count]] == [f"f{n}" for n in range(count)]
        codes = {answer[0] if answer[0] == 3 else answer[2] for answer in flood.answers[:count]}
        assert codes == {3, "FormationViolation"}
        assert flood.answers[count][:3] == [4, "-1", "FormationViolation"]  # the garbage at the end, answered too
        if rate:  # paced: after the burst, no faster than the rate (back-pressure, nothing dropped)
            assert took >= (count - 100) / rate * 0.9
    finally:
        healthy.close()
        flooder.close()


def _close_code(client: RawCharger) -> int:
    """Read frames until the server's close frame; return its status code."""
    while True:
        opcode, data = client.ws.recv_data(control_frame=True)
        if opcode == ABNF.OPCODE_CLOSE:
            return struct.unpack("!H", data[:2])[0]


def test_a_message_too_big_across_fragments_is_refused_before_it_is_buffered(
    live_server_factory, database_url, in_db, fetch
):
    in_db(lambda: [chargers.add_charger(box) for box in ("CP-1", "CP-2")])
    server = live_server_factory(database_url, AUTOCHARGE_MAX_MESSAGE=64 * 1024)
    bystander, client = _open(server, "CP-2"), _open(server, "CP-1")
    try:
        # Small fragments are read as one message and answered...
        head = json.dumps([2, "ok", "DataTransfer", {"vendorId": "acme", "data": "x" * 30_000}])
        client.ws.send_frame(ABNF.create_frame(head[:10_000], ABNF.OPCODE_TEXT, fin=0))
        client.ws.send_frame(ABNF.create_frame(head[10_000:20_000], ABNF.OPCODE_CONT, fin=0))
        client.ws.send_frame(ABNF.create_frame(head[20_000:], ABNF.OPCODE_CONT, fin=1))
        assert client.recv()[:2] == [3, "ok"]
        # ...but fragments that together pass the limit close the socket with 1009 at the fragment that does.
        client.ws.send_frame(ABNF.create_frame("[" + " " * 40_000, ABNF.OPCODE_TEXT, fin=0))
        client.ws.send_frame(ABNF.create_frame(" " * 40_000, ABNF.OPCODE_CONT, fin=0))
        assert _close_code(client) == 1009
        assert bystander.result("Heartbeat", {})["currentTime"]
    finally:
        bystander.close()
        client.close()


def test_a_frame_header_claiming_too_much_is_refused_with_1009_before_its_payload(connect, charger):
    client = connect()
    # Only the header of a 2 MiB text frame (FIN, masked, 64-bit length, mask key): the payload never comes.
    client.ws.sock.sendall(bytes([0x81, 0x80 | 127]) + struct.pack("!Q", 2 * 1024 * 1024) + b"mask")
    assert _close_code(client) == 1009


def _rss_mib(pid: int, field: str = "VmRSS") -> float:
    """Return a process's resident memory (VmRSS), or its peak so far (VmHWM), in MiB."""
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":")) / 1024


def _failed_login(base_url: str, email: str) -> int:
    """Post a wrong password for `email` with a real session and CSRF token; return the status code."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base_url}/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": "wrong password"}).encode()
    try:
        return opener.open(f"{base_url}/login", data=form, timeout=30).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_login_flood_keeps_memory_flat_and_chargers_answered(live_server, charger):
    client = _open(live_server, "CP-1")
    try:
        client.result("Heartbeat", {})
        _failed_login(live_server.url, "warm@example.com")  # the dummy hash and the pool exist from here on
        before = _rss_mib(live_server.proc.pid)
        logins = [
            threading.Thread(target=_failed_login, args=(live_server.url, f"guess{n}@example.com")) for n in range(20)
        ]
        for login in logins:
            login.start()
        times = _heartbeat_times(client, 1.5)
        for login in logins:
            login.join(60)
        grown = _rss_mib(live_server.proc.pid, "VmHWM") - before
        assert max(times) < 1.0, f"a charger waited {max(times):.2f} s during the login flood"
        # Two scrypt checks at a time (~32 MiB each); the hub's own pool of ten took ~320 MiB.
        assert grown < 120, f"peak RSS grew by {grown:.0f} MiB"
    finally:
        client.close()
