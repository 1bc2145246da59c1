"""Benchmarks: does paypages stay fast as an owner's invoices pile up?

``make bench`` runs this script (a few minutes; ``BENCH_QUICK=1`` for a
smaller run). It prints a table and rewrites ``docs/benchmarks.md``.

The invoices already present are fixture data: rows inserted with
SQLAlchemy and content files written through ``site_gen``, pages built by
``Site.rebuild_all`` and uploaded by ``Site.publish_all``. What is measured
is the real thing: ``ledger.issue`` in an app context, ``paypages rebuild``
in a subprocess, plain ``pelican`` in a subprocess, the admin's views
through Flask's test client.
"""

import datetime as dt
import hashlib
import math
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
QUICK = os.environ.get("BENCH_QUICK") == "1"
SIZES = (100, 300, 1000) if QUICK else (100, 1000, 10_000)
ISSUE_RUNS = 15 if QUICK else 30
REQUEST_RUNS = 30 if QUICK else 100
REBUILD_RUNS = 2 if QUICK else 3
PELICAN_RUNS = 1 if QUICK else 2
# Runs left out of the figures: the first ones fill caches (templates, imports).
WARM_UP = 3
OWNER = "bench@example.com"
TARGETS = {
    "issue_median_ms": 100,
    "issue_growth": 1.2,
    "rebuild_ratio": 1 / 3,
    "rebuild_peak_mb": 300,
    "request_p95_ms": 50,
}

sys.path.insert(0, str(ROOT))
os.environ.update(
    AWS_ACCESS_KEY_ID="bench",
    AWS_SECRET_ACCESS_KEY="bench",  # noqa: S105 - moto's fake credentials
    AWS_DEFAULT_REGION="us-east-1",
)


@dataclass
class Figure:
    """One measured figure: a name, its samples, and how it is judged."""

    name: str
    samples: list[float]
    unit: str
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return p95(self.samples)


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        click.echo(f"  {figure.name}: {_value(figure.median, figure.unit)} median")
        return figure


def p95(samples: list[float]) -> float:
    """Return the nearest-rank 95th percentile (the maximum below 20 samples)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _value(number: float, unit: str) -> str:
    if unit == "ms":
        return f"{number:.1f} ms"
    if unit == "s":
        return f"{number:.1f} s"
    if unit == "MB":
        return f"{number:.0f} MB"
    if unit == "×":
        return f"{number:.2f}×"
    return f"{number:g} {unit}".strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def moto_server():
    """Run moto's ThreadedMotoServer in its own process; yield its URL.

    Its own process, so that the server's work does not share the GIL with
    the measured code, as a real bucket would not.
    """
    port = free_port()
    code = (
        "import sys\n"
        "from moto.server import ThreadedMotoServer\n"
        f"server = ThreadedMotoServer(ip_address='127.0.0.1', port={port})\n"
        "server.start()\n"
        "sys.stdin.read()\n"
        "server.stop()\n"
    )
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield url
    finally:
        process.stdin.close()
        process.wait(timeout=10)


def make_apps(work: Path, s3_url: str):
    """Return two admins over one database and content: local and S3 targets."""
    from flask_migrate import upgrade

    from admin import create_app

    shared = {
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{work / 'paypages.sqlite'}",
        "CONTENT_DIR": str(work / "content"),
        "OUTPUT_DIR": str(work / "output"),
        "PUBLIC_BASE_URL": "http://pages.test",
        "PASSWORD_HASH": "scrypt:1024:8:1",
    }
    local = create_app(
        {
            **shared,
            "INSTANCE_PATH": work / "local",
            "PUBLISH_URL": (work / "public").as_uri(),
        }
    )
    s3 = create_app(
        {
            **shared,
            "INSTANCE_PATH": work / "s3",
            "PUBLISH_URL": "s3://bench-pages/site",
            "S3_ENDPOINT_URL": s3_url,
        }
    )
    with local.app_context():
        upgrade()
    with s3.app_context():
        s3_client(s3).create_bucket(Bucket="bench-pages")

    return local, s3


def s3_client(app):
    from admin import publishing

    return publishing.site().target.client


class Fixture:
    """Invoices already present: rows, content files, built and published pages."""

    def __init__(self, local, s3) -> None:
        from admin.auth import create_owner
        from admin.db import db

        self.local, self.s3 = local, s3
        self.rng = random.Random(2026)  # noqa: S311 - fixture data
        self.today = dt.date.today()
        with local.app_context():
            owner = create_owner(OWNER, "bench password, not secret")
            owner.display_name = "Bench Studio"
            db.session.commit()
            self.owner_id = owner.id
        self.count = 0

    def grow(self, size: int) -> None:
        """Insert invoices and write their content until the owner has size."""
        from admin.db import db

        missing = size - self.count
        started = time.perf_counter()
        with self.local.app_context():
            self._insert(missing)
            db.session.remove()
        self.count = size
        click.echo(
            f"  fixture: {size:,} invoices recorded "
            f"({time.perf_counter() - started:.0f} s to add {missing:,})"
        )

    def publish(self, *, build: bool) -> None:
        """Build every page (unless built already) and sync both targets."""
        from admin import publishing

        started = time.perf_counter()
        with self.local.app_context():
            if build:
                publishing.site().rebuild_all()
            publishing.site().publish_all()
        with self.s3.app_context():
            upload_missing(publishing.site())
        click.echo(
            f"  fixture: pages built and published "
            f"({time.perf_counter() - started:.0f} s)"
        )

    def _insert(self, count: int) -> None:
        from admin import ledger, publishing
        from admin.db import db
        from admin.demo import plan
        from admin.models import Invoice, InvoiceCounter, InvoiceLine, Owner

        owner = db.session.get(Owner, self.owner_id)
        counters = {
            row.year: row
            for row in db.session.scalars(
                db.select(InvoiceCounter).where(InvoiceCounter.owner_id == owner.id)
            )
        }
        site = publishing.site()
        for item in plan(count, self.today, self.rng, 8):
            values = item.values
            invoice = Invoice(
                owner=owner,
                status="draft",
                client_name=values["client"]["name"],
                client_email=values["client"]["email"],
                client_language=values["client"]["language"],
                client_address=values["client"]["address"],
                currency=values["currency"],
                issue_date=item.issue_date,
                due_date=values["due_date"],
                notes=values["notes"],
                email_client=False,
                pay_link=values["payment"]["link"],
                lines=[
                    InvoiceLine(
                        position=position,
                        description=line["description"],
                        quantity=_decimal(line["quantity"]),
                        unit_price=_decimal(line["unit_price"]),
                        discount_percent=_decimal(line["discount_percent"]),
                        tax_percent=_decimal(line["tax_percent"]),
                    )
                    for position, line in enumerate(values["lines"])
                ],
            )
            ledger._compute_totals(invoice)
            db.session.add(invoice)
            if item.state == "draft":
                continue
            year = item.issue_date.year
            counter = counters.get(year)
            if counter is None:
                counter = counters[year] = InvoiceCounter(
                    owner_id=owner.id, year=year, last=0
                )
                db.session.add(counter)
            counter.last += 1
            invoice.number = f"INV-{year}-{counter.last:04d}"
            invoice.token = ledger.new_token()
            invoice.status = {"overdue": "open"}.get(item.state, item.state)
            invoice.paid_on = item.paid_on
            invoice.publish_state = "published"
            invoice.published_at = invoice.issued_at = dt.datetime(
                year, item.issue_date.month, item.issue_date.day
            )
            site.write(publishing.page_for(invoice))
        db.session.commit()


def upload_missing(site) -> None:
    """Upload the output files the manifest lacks, eight at a time.

    What ``Site.publish_all`` does, minus its listing and one upload at a
    time: fixture set-up, not a measured figure.
    """
    known = site.manifest.all()
    files = {
        key: safe_bytes(site, key) for key in site.output_files() if key not in known
    }
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda item: site.target.put(*item), files.items()))
    # One transaction for the lot: Manifest.record commits each key alone.
    with site.manifest._connect() as db:
        db.executemany(
            "INSERT INTO objects (target, key, sha256) VALUES (?, ?, ?)",
            [
                (site.manifest.target, key, hashlib.sha256(data).hexdigest())
                for key, data in files.items()
            ],
        )


def safe_bytes(site, key: str) -> bytes:
    from site_gen.build import safe_join

    return safe_join(site.output_dir, key).read_bytes()


def _decimal(text: str):
    from decimal import Decimal

    return Decimal(text or "0")


def draft(app, owner_id: int, today: dt.date) -> int:
    """Record a fresh draft through the ledger and return its id."""
    from admin import ledger
    from admin.db import db
    from admin.demo import build_form
    from admin.models import Owner

    owner = db.session.get(Owner, owner_id)
    values = {
        "client": {"name": "ACME Widgets", "language": "en", "address": ""},
        "currency": "EUR",
        "issue_date": today,
        "due_date": today + dt.timedelta(days=14),
        "lines": [{"description": "Design work", "quantity": "3", "unit_price": "60"}],
        "notes": "Thank you!",
        "email_client": False,
        "payment": {"link": "https://pay.example/bench"},
    }

    return ledger.create_draft(owner, build_form(owner, values)).id


def issue_to_live(app, owner_id: int, runs: int) -> list[float]:
    """Time ledger.issue, which returns once the page object is in the target."""
    from admin import ledger, publishing
    from admin.db import db
    from admin.models import Owner

    samples = []
    with app.app_context():
        site = publishing.site()
        for run in range(WARM_UP + runs):
            invoice_id = draft(app, owner_id, dt.date.today())
            owner = db.session.get(Owner, owner_id)
            started = time.perf_counter()
            ledger.issue(ledger.get_owned(owner, invoice_id, lock=True))
            if run >= WARM_UP:
                samples.append((time.perf_counter() - started) * 1000)
            invoice = ledger.get_owned(owner, invoice_id)
            assert invoice.publish_state == "published", invoice.publish_error
            assert _exists(site, invoice.token)
            db.session.remove()

    return samples


def _exists(site, token: str) -> bool:
    target, key = site.target, site.page_key(token)
    if target.client is None:
        return (target.root / key).is_file()
    target.client.head_object(Bucket=target.bucket, Key=target._key(key))
    return True


def measure_issue(report: Report, fixture: Fixture, size: int) -> None:
    for name, app in (("local folder", fixture.local), ("S3 (moto)", fixture.s3)):
        samples = issue_to_live(app, fixture.owner_id, ISSUE_RUNS)
        fixture.count += WARM_UP + ISSUE_RUNS
        report.add(Figure(f"issue-to-live, {name}, {size:,} invoices", samples, "ms"))


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    max_process_mb: float
    tree_peak_mb: float


# Runs a command and prints its rusage. A process started by fork and exec
# keeps the peak RSS of the process it was forked from, so a command started
# straight from this (large) process would report this process's size as its
# own peak; started from this small launcher, it reports its own.
LAUNCHER = """
import os, subprocess, sys
child = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(child.pid, 0)
code = os.waitstatus_to_exitcode(status)
cpu = usage.ru_utime + usage.ru_stime
sys.stderr.write(f"{os.linesep}{code} {usage.ru_maxrss} {cpu}{os.linesep}")
"""


def run_measured(command: list[str], env: dict) -> Run:
    """Run a command; time it and take its memory peaks (see docs/benchmarks.md)."""
    started = time.perf_counter()
    launcher = subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", LAUNCHER, *command],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = TreeSampler(launcher.pid)
    sampler.start()
    _, errors = launcher.communicate()
    seconds = time.perf_counter() - started
    sampler.stop()
    code, max_rss_kb, cpu = errors.strip().splitlines()[-1].split()
    if launcher.returncode or int(code):
        raise click.ClickException(f"{command[0]} failed: {errors[-2000:]}")

    return Run(seconds, float(cpu), int(max_rss_kb) / 1024, sampler.peak / 1024)


class TreeSampler(threading.Thread):
    """Sum the RSS of a process and its descendants every 20 ms; keep the peak."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.02):
            # The launcher itself is left out: it is not part of the command.
            rss = sum(_rss_kb(pid) for pid in _tree(self.pid)[1:])
            self.peak = max(self.peak, rss)

    def stop(self) -> None:
        self._done.set()
        self.join()


def _tree(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with suppress(OSError):
                queue += [int(child) for child in task.read_text().split()]

    return found


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass

    return 0


def measure_rebuild(report: Report, fixture: Fixture, work: Path) -> None:
    from admin import publishing
    from site_gen import write_pelicanconf

    with fixture.local.app_context():
        site = publishing.site()
        pages = len(site.tokens())
    env = {
        **os.environ,
        "PAYPAGES_INSTANCE_PATH": str(work / "local"),
        "PAYPAGES_DATABASE_URL": f"sqlite:///{work / 'paypages.sqlite'}",
        "PAYPAGES_CONTENT_DIR": str(site.content_dir),
        "PAYPAGES_OUTPUT_DIR": str(site.output_dir),
        "PAYPAGES_PUBLISH_URL": (work / "public").as_uri(),
        "PYTHONPATH": str(ROOT),
    }
    ours = [
        run_measured([str(BIN / "paypages"), "rebuild"], env)
        for _ in range(REBUILD_RUNS)
    ]
    plain_dir = work / "plain"
    shutil.copytree(site.output_dir, plain_dir, dirs_exist_ok=True)
    conf = write_pelicanconf(work / "pelicanconf.py", site.content_dir, plain_dir)
    plain = [
        run_measured([str(BIN / "pelican"), "-s", str(conf), "-q"], env)
        for _ in range(PELICAN_RUNS)
    ]
    ours_s = [run.seconds for run in ours]
    plain_s = [run.seconds for run in plain]
    report.add(Figure(f"paypages rebuild, {pages:,} pages", ours_s, "s"))
    report.add(Figure(f"plain pelican, {pages:,} pages", plain_s, "s"))
    for name, runs in (("paypages rebuild", ours), ("plain pelican", plain)):
        cpu = [run.cpu_seconds for run in runs]
        report.add(Figure(f"{name}, CPU time (user + sys, all processes)", cpu, "s"))
    ratio = statistics.median(ours_s) / statistics.median(plain_s)
    report.add(
        Figure(
            "rebuild time ÷ plain pelican time (medians)",
            [ratio],
            "×",
            "< 0.33",
            ratio < TARGETS["rebuild_ratio"],
        )
    )
    tree = [run.tree_peak_mb for run in ours]
    biggest = [run.max_process_mb for run in ours]
    report.add(
        Figure(
            "rebuild peak RSS, parent + workers (sampled sum)",
            tree,
            "MB",
            "< 300 MB",
            p95(tree) < TARGETS["rebuild_peak_mb"],
        )
    )
    report.add(Figure("rebuild peak RSS, largest one process (wait4)", biggest, "MB"))
    report.add(
        Figure(
            "plain pelican peak RSS (sampled)", [r.tree_peak_mb for r in plain], "MB"
        )
    )


def measure_requests(report: Report, fixture: Fixture) -> None:
    from admin import tokens
    from admin.db import db
    from admin.models import Invoice, Owner

    app = fixture.local
    with app.app_context():
        owner = db.session.get(Owner, fixture.owner_id)
        session_id = owner.get_id()
        _, secret = tokens.create(owner, "bench")
        paid = db.session.scalar(
            db.select(db.func.count())
            .select_from(Invoice)
            .where(Invoice.owner_id == owner.id, Invoice.status == "paid")
        )
        per_page = int(app.config["INVOICES_PER_PAGE"])
        middle = max(1, -(-paid // per_page) // 2)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    bearer = {"Authorization": f"Bearer {secret}"}
    for label, path, headers in (
        ("GET /", "/", {}),
        (f"GET /?status=paid&page={middle}", f"/?status=paid&page={middle}", {}),
        ("GET /api/v1/invoices", "/api/v1/invoices", bearer),
    ):
        samples = []
        for _ in range(WARM_UP + REQUEST_RUNS):
            started = time.perf_counter()
            response = client.get(path, headers=headers)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        samples = samples[WARM_UP:]
        report.add(
            Figure(
                f"{label}, {fixture.count:,} invoices",
                samples,
                "ms",
                "p95 < 50 ms",
                p95(samples) < TARGETS["request_p95_ms"],
            )
        )


def measure_s3_requests(report: Report, fixture: Fixture) -> None:
    from admin import ledger, publishing
    from admin.db import db
    from admin.models import Invoice, Owner

    with fixture.s3.app_context():
        client = publishing.site().target.client
        calls: list[str] = []

        def record(model, **_):
            calls.append(model.name)

        owner = db.session.get(Owner, fixture.owner_id)
        invoice_id = db.session.scalar(
            db.select(Invoice.id)
            .where(Invoice.owner_id == owner.id, Invoice.status == "open")
            .limit(1)
        )
        objects = _count_objects(client)
        client.meta.events.register("before-call.s3", record)
        ledger.mark_paid(
            ledger.get_owned(owner, invoice_id, lock=True), dt.date.today()
        )
        client.meta.events.unregister("before-call.s3", record)
    listed = [name for name in calls if name.startswith("List")]
    report.add(
        Figure(
            f"S3 requests to mark one invoice paid, {objects:,} objects in the bucket",
            [len(calls)],
            "",
            "only that page, no LIST",
            not listed and calls == ["PutObject"],
            ", ".join(calls),
        )
    )


def _count_objects(client) -> int:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket="bench-pages")
    return sum(page.get("KeyCount", 0) for page in pages)


def judge_issue(report: Report) -> None:
    """Mark the issue figures against the targets."""
    for where in ("local folder", "S3 (moto)"):
        rows = [
            f for f in report.figures if f.name.startswith(f"issue-to-live, {where}")
        ]
        first, last = rows[0], rows[-1]
        growth = last.median / first.median
        for figure in rows:
            if where == "local folder":
                figure.target = "median < 100 ms"
                figure.met = figure.median < TARGETS["issue_median_ms"]
        report.add(
            Figure(
                f"issue-to-live growth, {where}: largest ÷ smallest (medians)",
                [growth],
                "×",
                "≤ 1.2",
                growth <= TARGETS["issue_growth"],
            )
        )


def machine() -> dict[str, str]:
    """Return what the figures were measured on."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "unknown"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory = f"{int(line.split()[1]) / 1024**2:.1f} GiB"

    return {
        "load average at the end (1, 5, 15 min)": " ".join(
            f"{load:.2f}" for load in os.getloadavg()
        ),
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": memory,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Pelican": version("pelican"),
        "SQLite": __import__("sqlite3").sqlite_version,
        "moto": version("moto"),
    }


def table(report: Report) -> str:
    """Return the figures as a Markdown table."""
    rows = [
        "| figure | median | p95 | runs | target | met |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for figure in report.figures:
        met = {True: "yes", False: "**no**", None: ""}[figure.met]
        note = f" ({figure.note})" if figure.note else ""
        rows.append(
            f"| {figure.name}{note} | {_value(figure.median, figure.unit)} "
            f"| {_value(figure.p95, figure.unit)} | {len(figure.samples)} "
            f"| {figure.target} | {met} |"
        )

    return "\n".join(rows)


def write_doc(report: Report, seconds: float) -> Path:
    """Rewrite the figures section of docs/benchmarks.md, keeping the prose."""
    path = ROOT / "docs" / "benchmarks.md"
    start, end = "<!-- figures: start -->", "<!-- figures: end -->"
    text = path.read_text(encoding="utf-8") if path.exists() else f"{start}\n{end}\n"
    before, _, rest = text.partition(start)
    _, _, after = rest.partition(end)
    info = "\n".join(f"| {key} | {value} |" for key, value in machine().items())
    mode = "quick (`BENCH_QUICK=1`)" if QUICK else "full"
    body = (
        f"{start}\n"
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {mode} run, "
        f"{seconds / 60:.1f} minutes in all.\n\n"
        "| machine | |\n| --- | --- |\n"
        f"{info}\n\n{table(report)}\n{end}"
    )
    path.write_text(before + body + after, encoding="utf-8")

    return path


def main() -> None:
    """Run every benchmark, print the table and rewrite docs/benchmarks.md."""
    started = time.perf_counter()
    report = Report()
    with (
        tempfile.TemporaryDirectory(prefix="paypages-bench-") as tmp,
        moto_server() as s3_url,
    ):
        work = Path(tmp)
        local, s3 = make_apps(work, s3_url)
        fixture = Fixture(local, s3)
        for size in SIZES:
            fixture.grow(size)
            if size == SIZES[-1]:
                # The measured rebuilds build the largest fixture's pages.
                measure_rebuild(report, fixture, work)
            fixture.publish(build=size != SIZES[-1])
            # Flush the set-up's thousands of files first, so that the disk's
            # writeback of the fixture is not charged to the measured issues.
            os.sync()
            measure_issue(report, fixture, size)
        judge_issue(report)
        measure_s3_requests(report, fixture)
        measure_requests(report, fixture)
    seconds = time.perf_counter() - started
    click.echo(table(report))
    click.echo(f"Wrote {write_doc(report, seconds).relative_to(ROOT)}.")


if __name__ == "__main__":
    main()
