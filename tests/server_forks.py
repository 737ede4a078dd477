"""A warm parent of the tests' live servers and commands: it imports the app once, then forks a process per request.

`python app.py` spends ~1.5 s importing gevent, Flask, SQLAlchemy and the app before it listens (several seconds on a
busy machine), and some 500 tests start one; `flask --app app simulate ...` costs as much before it connects (~2 s of
CPU per simulator CLI test). This process (one per test worker, tests/conftest.py starts it) has made those imports;
for each request, a JSON line on stdin naming a Python script with its arguments (app.py, .venv/bin/flask), the
environment, working directory and the files for stdin, stdout and stderr, it forks a child that runs the script as
`python SCRIPT ARGS` would: its own process, environment, settings, database, PROCESS_ID and exit status. Nothing is
shared between two of them but the imported code.

The child is forked twice, so that it becomes a child of the test worker (a child subreaper): the worker waits for it,
signals it and reads its exit status as with subprocess. The pid goes back on stdout, one line per request.
"""

from gevent import monkey

monkey.patch_all()  # as app.py does first: everything imported below sees the patched modules

import json  # noqa: E402
import os  # noqa: E402
import runpy  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # the path of `python app.py` (its folder first), not this script's folder tests/
sys.path.append(str(ROOT / "tests"))  # for tests/warm.py, after the app's own modules

# What app.py and a server's start import, so the children need not: the app and its lazy imports, both dialects.
import flask  # noqa: E402
import flask.cli  # noqa: E402, F401
import psycopg  # noqa: E402, F401
import sqlalchemy.dialects.postgresql.psycopg  # noqa: E402, F401
import sqlalchemy.dialects.sqlite.pysqlite  # noqa: E402, F401
from warm import CompiledRouteBuilders, CompiledTemplates  # noqa: E402  (tests/warm.py)

import autocharge  # noqa: E402, F401
from autocharge import cli, health, models, schema, server  # noqa: E402, F401
from autocharge.csms import (  # noqa: E402, F401
    background,
    last_seen,
    lease,
    link,
    local_lists,
    outbox,
    registry,
    remote,
    transport,
    wakeup,
)
from autocharge.simulator import cli as simulator_cli  # noqa: E402, F401
from autocharge.web import register_blueprints  # noqa: E402, F401


def warm_up() -> None:
    """Compile every template and URL builder once here, for all the servers forked from this process.

    Each server's app otherwise compiled its ~70 URL rules' builders at start and each template on its first render
    (a browser test renders a dozen). The servers' apps take the same compiled code from these caches, the templates
    checked against their source; nothing else of this app goes to the children.
    """
    CompiledRouteBuilders().install()
    templates = CompiledTemplates()
    flask.Flask.jinja_options = {**flask.Flask.jinja_options, "bytecode_cache": templates}
    settings = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "warm-up", "AUTOCHARGE_CHECK_ONE_WRITER": False}
    app = autocharge.create_app(settings)
    for name in app.jinja_env.list_templates():
        app.jinja_env.get_template(name)


def redirect(request: dict) -> None:
    """Give this process the request's stdin, stdout and stderr (files, or FIFOs the test holds the other end of)."""
    append = os.O_WRONLY | os.O_APPEND | os.O_CREAT
    stdin = os.open(request["stdin"] or os.devnull, os.O_RDONLY)  # a FIFO waits here for the test's writer
    stdout = os.open(request["stdout"], append, 0o644)
    stderr = stdout if request["stderr"] == request["stdout"] else os.open(request["stderr"], append, 0o644)
    for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
        os.dup2(fd, target)
    for fd in {stdin, stdout, stderr}:
        os.close(fd)
    sys.stdin = os.fdopen(0, closefd=False)  # not this parent's request pipe, whatever it had read ahead


def serve(request: dict) -> None:
    """Become the process the request describes (in the grandchild); never return."""
    code = 0
    try:
        os.chdir(request["cwd"])
        redirect(request)
        os.environ.clear()
        os.environ.update(request["env"])
        registry.PROCESS_ID = uuid.uuid4().hex[:12]  # made at import, in this parent: each process has its own
        sys.argv = list(request["argv"])
        runpy.run_path(sys.argv[0], run_name="__main__")
    except SystemExit as exc:  # as the interpreter does with sys.exit(): a message goes to stderr, status 1
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


# The unpatched fork and waitpid: gevent's would start a hub and a SIGCHLD watcher here, which would reap the middle
# child behind our back; this parent never runs a hub, so each server starts its own as a fresh process does.
_fork = monkey.get_original("os", "fork")
_waitpid = monkey.get_original("os", "waitpid")


def fork(request: dict) -> int:
    """Start the server of `request` as a grandchild that leaves this process; return its pid."""
    read, write = os.pipe()
    middle = _fork()
    if middle == 0:
        os.close(read)
        pid = _fork()
        if pid == 0:
            os.close(write)
            serve(request)
        os.write(write, f"{pid}\n".encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        pid = int(pipe.readline())
    _waitpid(middle, 0)  # once the middle child is gone, the grandchild belongs to the subreaper
    return pid


def main() -> None:
    """Answer each request line with the pid of the server it started, until stdin closes."""
    warm_up()
    for line in sys.stdin:
        sys.stdout.write(f"{fork(json.loads(line))}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
