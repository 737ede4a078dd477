"""The process entry point: `python app.py [--host H] [--port P]`, and `flask --app app ...`."""

from gevent import monkey

# Before anything else imports socket, threading or ssl: the whole process runs on gevent.
monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402

from autocharge import create_app  # noqa: E402

app = create_app()


def main() -> None:
    """Parse --host/--port (or HOST/PORT) and serve the web UI and OCPP on one gevent server."""
    from autocharge.server import serve

    parser = argparse.ArgumentParser(description="Run the autocharge back office.")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    args = parser.parse_args()
    serve(app, args.host, args.port)


if __name__ == "__main__":
    main()
