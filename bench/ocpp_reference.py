"""The yardstick of issue 7's CPU target: the `ocpp` package's own asyncio central system, persisting nothing.

    .venv/bin/python bench/ocpp_reference.py --port 5820            # serve until Ctrl-C
    .venv/bin/python bench/ocpp_load.py --max --chargers 100 --seconds 10 \\
        --url ws://127.0.0.1:5820/ocpp --server-pid PID               # the same load as against the back office

The pattern of the `ocpp` package's documentation: one `ocpp.v16.ChargePoint` per socket on the `websockets`
server, an `@on` handler per action of bench/ocpp_load.py's 1.6 mix, each answering at once (transaction ids from a
counter; nothing stored), every message checked against its JSON schema by the package. CPU seconds depend on the
machine's hour (this VM's speed drifted by 30-50% within a day): the back office's CPU per message is compared with
this server's, measured alternately on the same machine, as a ratio. Issue 7 set 0.12 ms against this pattern's
0.30 ms: a ratio of 0.4.
"""

import argparse
import asyncio
import contextlib
import itertools
import logging
from datetime import UTC, datetime

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus

_transaction_ids = itertools.count(1)


def _now() -> str:
    """Return the current UTC time as OCPP writes it."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Reference(ChargePoint):
    """Answers the 1.6 mix of bench/ocpp_load.py, accepting every charger and tag."""

    @on(Action.boot_notification)
    def on_boot_notification(self, **kwargs):
        return call_result.BootNotification(current_time=_now(), interval=300, status=RegistrationStatus.accepted)

    @on(Action.heartbeat)
    def on_heartbeat(self, **kwargs):
        return call_result.Heartbeat(current_time=_now())

    @on(Action.status_notification)
    def on_status_notification(self, **kwargs):
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, **kwargs):
        return call_result.Authorize(id_tag_info=IdTagInfo(status=AuthorizationStatus.accepted))

    @on(Action.start_transaction)
    def on_start_transaction(self, **kwargs):
        return call_result.StartTransaction(
            transaction_id=next(_transaction_ids), id_tag_info=IdTagInfo(status=AuthorizationStatus.accepted)
        )

    @on(Action.meter_values)
    def on_meter_values(self, **kwargs):
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    def on_stop_transaction(self, **kwargs):
        return call_result.StopTransaction(id_tag_info=IdTagInfo(status=AuthorizationStatus.accepted))


async def _serve_charger(connection) -> None:
    """Run one charger's socket: its charge box id is the last part of the path."""
    charger = Reference(connection.request.path.rstrip("/").rsplit("/", 1)[-1], connection)
    with contextlib.suppress(websockets.ConnectionClosed):
        await charger.start()


async def _main(host: str, port: int) -> None:
    """Serve until cancelled."""
    async with websockets.serve(_serve_charger, host, port, subprotocols=["ocpp1.6"], max_size=2**20):
        print(f"reference central system: ws://{host}:{port}/ocpp/<charge_box_id>", flush=True)
        await asyncio.get_running_loop().create_future()


def main() -> None:
    """Parse --host/--port and serve."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5820)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args.host, args.port))


if __name__ == "__main__":
    main()
