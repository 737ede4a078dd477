"""Server time of every GET screen, export throughput and memory, at 100k users / 10k chargers / 1M transactions.

    .venv/bin/python bench/web_pages.py                 # build /tmp/autocharge-bench/demo-100k-1m.sqlite, measure
    .venv/bin/python bench/web_pages.py --reuse         # measure the database built before
    .venv/bin/python bench/web_pages.py --db /tmp/x.sqlite --users 10000 --transactions 100000
    .venv/bin/python bench/web_pages.py --reuse --try-indexes    # also time the SQL with CANDIDATE_INDEXES
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/bench .venv/bin/python bench/web_pages.py

Server time is measured in-process with Flask's test client and a logged-in admin (no network, no
browser): median and p95 of RUNS requests after a warm-up. Exports run in a child process each, so its
peak RSS (ru_maxrss) is the export's own. It prints figures; it asserts nothing. Targets (issue 4):
every page < 150 ms (issue 5: every GET screen bounded by its page); exports >= 50k rows/s with < 150 MiB peak RSS.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402
import web_queries  # noqa: E402

RUNS = 20
PAGE_TARGET_MS = 150
EXPORT_TARGET_ROWS_S = 50_000
EXPORT_TARGET_MIB = 150
DEFAULT_DB = Path("/tmp/autocharge-bench/demo-100k-1m.sqlite")

HX = {"HX-Request": "true"}  # what htmx sends: the partial, not the page
ROWS_POLL = {**HX, "HX-Target": "charger-rows"}  # the Chargers list's 2 s refresh of its rows

# The pages to time. The query parameter names are what issue 4 is expected to use: edit here if they differ.
# {name} is filled from the data (web_queries.context): the busiest charger, the heaviest user, the last page...
PAGES = (
    ("users: first page", "/users/"),
    ("users: filtered (blocked)", "/users/?status=blocked"),
    ("users: sorted by email desc", "/users/?sort=email&dir=desc"),
    ("users: sorted by created", "/users/?sort=created&dir=desc"),
    ("users: last page", "/users/?page={users_pages}"),
    ("users: search", "/users/?q=schmidt"),
    ("transactions: first page", "/transactions/"),
    ("transactions: filtered by origin", "/transactions/?origin=autocharge"),
    ("transactions: filtered by charger", "/transactions/?charger={charger_id}"),
    ("transactions: filtered by user", "/transactions/?user={user_id}"),
    ("transactions: active", "/transactions/?status=active"),
    ("transactions: last 30 days", "/transactions/?from={month_ago:%Y-%m-%d}&to={until:%Y-%m-%d}"),
    ("transactions: sorted by energy", "/transactions/?sort=energy&dir=desc"),
    ("transactions: sorted by user", "/transactions/?sort=user"),
    ("transactions: sorted by charger", "/transactions/?sort=charger&dir=desc"),
    ("transactions: origin, sorted by energy", "/transactions/?origin=rfid&sort=energy&dir=desc"),
    ("transactions: origin, sorted by user", "/transactions/?origin=rfid&sort=user"),
    ("transactions: completed, by stop time", "/transactions/?status=completed&sort=stop&dir=desc"),
    ("transactions: middle page", "/transactions/?page={tx_middle}"),
    ("transactions: last page", "/transactions/?page={tx_pages}"),
    ("transactions: search", "/transactions/?q=schmidt"),
    ("transaction detail (chart)", "/transactions/{sampled_tx}"),
    ("chargers: first page", "/chargers/"),
    ("chargers: filtered (faulted)", "/chargers/?status=faulted"),
    ("chargers: filtered (pending)", "/chargers/?status=pending"),
    ("chargers: filtered (charging)", "/chargers/?status=charging"),
    ("chargers: offline, Auto Charge unknown", "/chargers/?connection=offline&autocharge=unknown"),
    ("chargers: searched", "/chargers/?q=alpitronic"),
    ("chargers: last page", "/chargers/?page={chargers_pages}"),
    ("chargers: htmx row refresh", "/chargers/?page={chargers_pages}&status=accepted", ROWS_POLL),
    ("charger detail", "/chargers/{charger_id}"),
    ("charger detail: status poll", "/chargers/{charger_id}", HX),
    ("charger detail: local list poll", "/chargers/{charger_id}/local-list", HX),
    ("charger events", "/chargers/{charger_id}/events"),
    ("charger events: older page (htmx)", "/chargers/{charger_id}/events?page=5", HX),
    ("charger device model", "/chargers/{charger_id}/device-model"),
    ("charger device model: search (htmx)", "/chargers/{charger_id}/device-model?q=ctrlr", HX),
    ("charger detail: user search", "/chargers/{charger_id}/start-users?user_q=schmidt", HX),
    ("charger detail: user search (no JS)", "/chargers/{charger_id}?user_q=schmidt"),
    ("charger new", "/chargers/new"),
    ("pair screen", "/users/{vehicle_user}/vehicles/{vehicle_id}/pair"),
    ("pair screen: search", "/users/{vehicle_user}/vehicles/{vehicle_id}/pair?q=00042", HX),
    ("vehicles of a user", "/users/{vehicle_user}/vehicles/"),
    ("vehicle edit", "/users/{vehicle_user}/vehicles/{vehicle_id}/edit"),
    ("user edit", "/users/{user_id}/edit"),
    ("user new", "/users/new"),
    ("unknown identifiers", "/unknown-identifiers/"),
    ("unknown identifiers: RFID tags", "/unknown-identifiers/?kind=rfid"),
    ("unknown identifier: pair, user search", "/unknown-identifiers/{unknown_id}/pair?q=schmidt"),
    ("home", "/"),
    ("home: figures poll", "/", HX),
    ("admins", "/admins/"),
    ("my account", "/account"),
    ("audit: first page", "/audit/"),
    ("audit: by action", "/audit/?action=user.created"),
    ("audit: by actor and dates", "/audit/?actor=system&from={month_ago:%Y-%m-%d}&to={until:%Y-%m-%d}"),
    ("audit: one record", "/audit/?type=user&subject={user_id}"),
    ("audit: last page", "/audit/?page=100000"),
)

EXPORTS = (
    ("users export", "/users/export.csv"),
    ("transactions export", "/transactions/export.csv"),
    ("transactions export, origin filter", "/transactions/export.csv?origin=autocharge"),
    ("audit export", "/audit/export.csv"),
)


def make_app(url: str):
    """Return the app on the bench database."""
    from autocharge import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})


def logged_in_client(app):
    """Return a test client with an admin logged in (created when the database has none)."""
    from autocharge.extensions import db
    from autocharge.models import Admin
    from autocharge.services import admin_sessions, admins
    from autocharge.web.auth import SESSION_TOKEN

    with app.app_context():
        admin_id = db.session.scalar(sa.select(Admin.id).where(Admin.role == "admin").order_by(Admin.id).limit(1))
        if admin_id is None:
            admin_id = admins.create_admin("bench@localhost", os.urandom(12).hex()).id
        token = admin_sessions.start(admin_id, "127.0.0.1", "bench")  # a login session, as the login form opens
    client = app.test_client()
    with client.session_transaction() as session:  # what a login leaves in the session cookie
        session["_user_id"] = str(admin_id)
        session["_fresh"] = True
        session[SESSION_TOKEN] = token
    return client


def run(cmd: list[str], url: str) -> float:
    """Run a command on the bench database; return its wall time in seconds."""
    start = time.monotonic()
    subprocess.run(cmd, cwd=ROOT, env={**os.environ, "DATABASE_URL": url}, check=True)
    return time.monotonic() - start


def prepare(args) -> tuple[str, str]:
    """Return the database URL, built with demo-data unless reused, and a line saying what happened."""
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{args.db}"
    if url.startswith("sqlite") and not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{args.db}{suffix}").unlink(missing_ok=True)
        args.db.parent.mkdir(parents=True, exist_ok=True)
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    run([*flask, "db", "upgrade"], url)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        existing = conn.scalar(sa.text('SELECT count(*) FROM "transaction"'))
    engine.dispose()
    if existing and args.reuse:
        return url, f"reused the database ({existing} transactions)"
    if existing:
        sys.exit(f"{url} already has data: pass --reuse to measure it, or point DATABASE_URL at an empty database.")
    sizes = ["--users", str(args.users), "--transactions", str(args.transactions), "--chargers", str(args.chargers)]
    seconds = run([*flask, "demo-data", *sizes, "--seed", "1"], url)
    return url, f"demo-data {' '.join(sizes)} took {seconds:.0f} s"


def screen_context(conn: sa.Connection) -> dict:
    """Return what the other screens' URLs need: the chargers' last page, a user with vehicles, a refused identifier."""
    chargers = conn.scalar(sa.text("SELECT count(*) FROM charger"))
    owner = "SELECT user_id FROM vehicle GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 1"
    vehicle_user = conn.scalar(sa.text(owner))
    return {
        "chargers_pages": max(1, -(-chargers // web_queries.PER_PAGE)),
        "vehicle_user": vehicle_user,
        "vehicle_id": conn.scalar(sa.text("SELECT max(id) FROM vehicle WHERE user_id = :u"), {"u": vehicle_user}),
        "unknown_id": conn.scalar(sa.text("SELECT max(id) FROM unknown_identifier WHERE kind = 'vehicle'")),
    }


def time_pages(client, ctx: dict, runs: int) -> list[tuple]:
    """Return (name, url, status, median ms, p95 ms) of every page."""
    results = []
    for name, template, *headers in PAGES:
        url, headers = template.format(**ctx), headers[0] if headers else {}
        start = time.perf_counter()
        response = client.get(url, headers=headers)  # also the warm-up: templates compiled, database pages cached
        probe = time.perf_counter() - start
        if response.status_code != 200:
            results.append((name, url, response.status_code, None, None))
            continue
        timings = []
        # A page that takes seconds is far off target: a couple of runs say so without taking an hour.
        for _ in range(runs if probe < 1 else 1 if probe > 10 else 3):
            start = time.perf_counter()
            response = client.get(url, headers=headers)
            response.get_data()
            timings.append((time.perf_counter() - start) * 1000)
        median, p95 = statistics.median(timings), web_queries.percentile(timings, 95)
        results.append((name, url, response.status_code, median, p95))
    return results


def export_child(url: str, path: str) -> None:
    """Stream one export in this (fresh) process and print its figures as JSON."""
    app = make_app(url)
    client = logged_in_client(app)
    baseline = _rss_mib()
    start = time.perf_counter()
    response = client.get(path, buffered=False)
    result = {"status": response.status_code, "rows": 0, "bytes": 0, "first_byte_s": None}
    if response.status_code == 200:
        lines = 0
        for chunk in response.response:
            if result["first_byte_s"] is None:
                result["first_byte_s"] = time.perf_counter() - start
            data = chunk.encode() if isinstance(chunk, str) else chunk
            lines += data.count(b"\n")
            result["bytes"] += len(data)
        result["rows"] = max(0, lines - 1)  # the header line
    response.close()
    result["seconds"] = time.perf_counter() - start
    result["baseline_mib"], result["peak_mib"] = baseline, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _rss_mib() -> float:
    """Return the current resident set size in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def time_exports(url: str) -> list[tuple]:
    """Return (name, path, figures) of every export, each streamed in a child process."""
    results = []
    for name, path in EXPORTS:
        out = subprocess.run(
            [sys.executable, __file__, "--export-child", path],
            cwd=ROOT,
            check=True,
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
        )
        results.append((name, path, json.loads(out.stdout.strip().splitlines()[-1])))
    return results


def time_sql(url: str, ctx: dict, runs: int, plans: bool) -> dict[str, tuple]:
    """Return {query name: (median ms, p95 ms, rows, plan)} for the SQL behind the pages."""
    engine = sa.create_engine(url)
    results = {}
    with engine.connect() as conn:
        for name, sql in web_queries.queries():
            median, p95, rows = web_queries.time_query(conn, sql, ctx, 1 if "export" in name else runs)
            plan = web_queries.explain(conn, sql, ctx) if plans else ""
            results[name] = (median, p95, rows, plan)
    engine.dispose()
    return results


def with_indexes(url: str, keep: bool):
    """Create the candidate indexes not there yet; return a function that drops them again unless `keep`."""
    engine = sa.create_engine(url)
    inspector = sa.inspect(engine)
    there = {i["name"] for table in ("transaction", "user") for i in inspector.get_indexes(table)}
    made = [d for d in web_queries.CANDIDATE_INDEXES if web_queries.index_name(d) not in there]
    with engine.begin() as conn:
        for definition in made:
            conn.execute(sa.text(definition))
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("ANALYZE"))  # autovacuum would do it soon; the plans need it now

    def drop() -> None:
        if not keep:
            with engine.begin() as conn:
                for definition in made:
                    conn.execute(sa.text(f"DROP INDEX {web_queries.index_name(definition)}"))
        engine.dispose()

    return drop


def report_pages(pages: list[tuple], runs: int) -> None:
    """Print the page timings."""
    print(f"\nPages (server time, {runs} runs (fewer when > 1 s), target < {PAGE_TARGET_MS} ms)")
    print(f"{'page':36} {'status':>7} {'median':>9} {'p95':>9}  verdict   url")
    for name, url, status, median, p95 in pages:
        if median is None:
            verdict = "missing" if status == 404 else f"HTTP {status}"
            print(f"{name:36} {status:>7} {'-':>9} {'-':>9}  {verdict:8}  {url}")
        else:
            verdict = "ok" if p95 < PAGE_TARGET_MS else "SLOW"
            print(f"{name:36} {status:>7} {median:>7.1f}ms {p95:>7.1f}ms  {verdict:8}  {url}")


def report_exports(exports: list[tuple]) -> None:
    """Print the export figures."""
    print(f"\nExports (streamed; target >= {EXPORT_TARGET_ROWS_S} rows/s and peak RSS < {EXPORT_TARGET_MIB} MiB)")
    for name, path, r in exports:
        if r["status"] != 200:
            print(f"{name:36} {'missing' if r['status'] == 404 else 'HTTP ' + str(r['status'])}  {path}")
            continue
        rate = r["rows"] / r["seconds"] if r["seconds"] else 0
        ok = rate >= EXPORT_TARGET_ROWS_S and r["peak_mib"] < EXPORT_TARGET_MIB
        first = f"{r['first_byte_s'] * 1000:.0f} ms" if r["first_byte_s"] is not None else "-"
        print(
            f"{name:36} {r['rows']:>8} rows in {r['seconds']:6.1f} s = {rate:>8.0f} rows/s; first byte {first}; "
            f"RSS {r['baseline_mib']:.0f} -> peak {r['peak_mib']:.0f} MiB  {'ok' if ok else 'SHORT'}  {path}"
        )


def report_sql(before: dict, after: dict | None, runs: int) -> None:
    """Print the SQL timings (and with the candidate indexes, when tried)."""
    print(f"\nSQL behind the pages (median / p95 ms, {runs} runs; exports: one full scan)")
    header = f"{'query':36} {'rows':>8} {'median':>9} {'p95':>9}"
    print(header + (f" {'+indexes':>9} {'p95':>9}" if after else ""))
    for name, (median, p95, rows, plan) in before.items():
        line = f"{name:36} {rows:>8} {median:>9.1f} {p95:>9.1f}"
        if after:
            line += f" {after[name][0]:>9.1f} {after[name][1]:>9.1f}"
        print(line + (f"   {plan}" if plan else ""))


def main() -> None:
    """Build or reuse the database, then print page, export and SQL figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="SQLite file (ignored when DATABASE_URL is set)")
    parser.add_argument("--reuse", action="store_true", help="measure the existing data instead of rebuilding")
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--chargers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--plans", action="store_true", help="print each query's plan")
    parser.add_argument("--try-indexes", action="store_true", help="time the SQL again with CANDIDATE_INDEXES")
    parser.add_argument("--keep-indexes", action="store_true", help="leave the candidate indexes in place")
    parser.add_argument("--skip", choices=("pages", "exports", "sql"), action="append", default=[])
    parser.add_argument("--export-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        return export_child(os.environ["DATABASE_URL"], args.export_child)
    url, built = prepare(args)
    print(f"Database: {sa.make_url(url).render_as_string(hide_password=True)}; {built}")
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        ctx = {**web_queries.context(conn), **screen_context(conn)}
    engine.dispose()
    print(f"{ctx['users']} users, {ctx['transactions']} transactions")
    if "pages" not in args.skip:
        app = make_app(url)
        report_pages(time_pages(logged_in_client(app), ctx, args.runs), args.runs)
    if "exports" not in args.skip:
        report_exports(time_exports(url))
    if "sql" not in args.skip:
        before = time_sql(url, ctx, args.runs, args.plans)
        after = None
        if args.try_indexes:
            drop = with_indexes(url, args.keep_indexes)
            after = time_sql(url, ctx, args.runs, False)
            drop()
        report_sql(before, after, args.runs)


if __name__ == "__main__":
    main()
