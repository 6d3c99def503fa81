"""Benchmark: warroom at the size of a large company (issue 13), against the demo's size.

    python benchmarks/scale_bench.py                      # 847, 100,000, 1,000,000 customers
    python benchmarks/scale_bench.py --sizes 847,100000 --repeat 3 --markdown
    python benchmarks/scale_bench.py --only history       # or registry
    python benchmarks/scale_bench.py --postgresql         # the registry part on PostgreSQL too

**Registries.** The demo (examples/generate_demo.py: the reference incident, its
3-million-row request log, its policy) with customer registries of 847 (the demo's own),
100,000 and 1,000,000 customers (`write_large_registry`: the demo's 847, then customers
the log never mentions), generated once and cached in benchmarks/.data/. A scratch
database holds the incident, its impact analysis and the reviewers; each run starts from
a copy of it. Timed, each as its own process from start to exit (as a user runs them):

- assess     ``warroom sla assess INC --customers REGISTRY.csv --policy POLICY``;
- report     one customer's notice: ``warroom report INC --audience customer --customer
             C0001 --format md``, on the assessed database;
- show       ``warroom sla show INC`` (totals and the first lines);
- export     ``warroom sla export-credits INC -o FILE``, once legal and finance approved,
             of an assessment where every customer is owed a credit: the incident assessed
             before its impact analysis (declared downtime reaches every customer), so the
             file holds as many credits as the registry has customers.

Each figure is the median of `--repeat` runs, with the CPU the process used (user and
system, every thread), its peak memory (VmHWM), and its ratio to the 847-customer run of
the same run; the load average before and after is printed, since on a machine shared
with other work the wall clock measures that work too. The targets (issue 13): assess at
100,000 ≤ 4x and at 1,000,000 ≤ 30x the 847 case, peak memory < 500 MiB at 1,000,000;
one customer's report ≤ 1.5x at both sizes; the export of all credits at 1,000,000
≤ 10 s.

**History.** 10,000 incidents of 50 timeline entries each (10 % confidential), written
straight into a scratch SQLite database; timed as processes: ``warroom incident list
--json`` (the first page) as an admin and as a viewer, ``warroom metrics --since`` a
year before the last incident, and one incident's internal report. Target: the list and
the metrics under 1 s each, end to end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the harness of impact_bench
sys.path.insert(0, str(HERE.parent / "tests"))  # the suite's PostgreSQL server helper

from impact_bench import (  # noqa: E402
    DATA,
    GENERATOR,
    INCIDENT,
    SEED,
    load_generator,
    machine,
    run_process,
    warroom_command,
)

MIB = 2**20
SIZES = (847, 100_000, 1_000_000)
TARGETS = {"assess": {100_000: 4.0, 1_000_000: 30.0}, "report": {100_000: 1.5, 1_000_000: 1.5}}
PEAK_TARGET_MIB = 500
EXPORT_TARGET_S = 10.0
HISTORY_TARGET_S = 1.0
ADMIN, LEGAL, FINANCE, VIEWER = "Bench Admin", "Lee Legal", "Fay Finance", "Val Viewer"


@dataclass
class Figure:
    """One command's runs at one size: wall seconds, CPU seconds (user + system, every
    thread) and the highest peak memory."""

    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak: int = 0

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def median_cpu(self) -> float:
        return statistics.median(self.cpu)

    def add(self, seconds: float, peak: int, cpu: float = 0.0) -> None:
        self.seconds.append(seconds)
        self.cpu.append(cpu)
        self.peak = max(self.peak, peak)


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int, str, float]:
    """`run_process` (wall seconds, peak memory, output) and the CPU the process used:
    on a machine shared with other work, the wall clock says as much about the others."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, peak, out = run_process(command, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, peak, out, cpu


# -- data -------------------------------------------------------------------------------------


def demo_files() -> Path:
    """The demo's files (incident, registry, policy, 3 M-row log), cached by generator."""
    version = hashlib.sha256(GENERATOR.read_bytes()).hexdigest()[:12]
    folder = DATA / f"scale-demo-{version}"
    if not (folder / "requests.parquet").exists():
        print(f"generating the demo into {folder.relative_to(HERE.parent)} ...", flush=True)
        load_generator().generate_demo(folder, SEED)
    return folder


def registry(demo: Path, size: int) -> Path:
    if size == 847:
        return demo / "customers.csv"
    path = demo / f"customers-{size}.csv"
    if not path.exists():
        print(f"writing a registry of {size:,} customers ...", flush=True)
        load_generator().write_large_registry(path, size, seed=SEED)
    return path


def run(env: dict[str, str], *args: str, person: str = ADMIN) -> str:
    done = subprocess.run(
        [*warroom_command(), "--as", person, *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=HERE.parent,
    )
    if done.returncode != 0:
        raise SystemExit(f"warroom {' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def base_database(folder: Path, demo: Path, url: str, *, analysed: bool) -> dict[str, str]:
    """The incident, its reviewers and (with `analysed`) its impact analysis."""
    env = {
        **os.environ,
        "WARROOM_DATABASE_URL": url,
        "WARROOM_USER": ADMIN,
        "WARROOM_PLAN_CACHE": str(folder / "plans"),
    }
    run(env, "init")
    run(env, "user", "add", LEGAL, "--role", "legal")
    run(env, "user", "add", FINANCE, "--role", "finance")
    run(env, "incident", "import", str(demo / "incident.yaml"))
    if analysed:
        run(env, "impact", INCIDENT, "--requests", str(demo / "requests.parquet"))
    return env


class Scratch:
    """Fresh copies of a base database: SQLite files copied, PostgreSQL databases cloned
    from a template."""

    def __init__(self, folder: Path, name: str, server: Any = None) -> None:
        self.folder, self.name, self.server = folder, name, server

    @property
    def base_url(self) -> str:
        if self.server is None:
            return f"sqlite:///{self.folder / (self.name + '-base.db')}"
        return str(self.server.url(f"{self.name}_base"))

    def create_base(self) -> None:
        if self.server is not None:
            self._admin(f"CREATE DATABASE {self.name}_base")

    def copy(self) -> str:
        if self.server is None:
            base = self.folder / f"{self.name}-base.db"
            target = self.folder / f"{self.name}-run.db"
            for suffix in ("", "-wal", "-shm"):  # the database is its file and its WAL
                Path(str(target) + suffix).unlink(missing_ok=True)
                if Path(str(base) + suffix).exists():
                    shutil.copyfile(str(base) + suffix, str(target) + suffix)
            return f"sqlite:///{target}"
        self._admin(f"DROP DATABASE IF EXISTS {self.name}_run")
        self._admin(f"CREATE DATABASE {self.name}_run TEMPLATE {self.name}_base")
        return str(self.server.url(f"{self.name}_run"))

    def _admin(self, statement: str) -> None:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.server.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(statement))
        engine.dispose()


def approve(env: dict[str, str]) -> None:
    run(env, "sla", "submit", INCIDENT)
    run(env, "sla", "approve", INCIDENT, "--role", "legal", person=LEGAL)
    run(env, "sla", "approve", INCIDENT, "--role", "finance", person=FINANCE)


# -- the registry part ------------------------------------------------------------------------


def bench_registries(
    sizes: list[int], repeat: int, folder: Path, demo: Path, server: Any = None
) -> dict[str, dict[int, Figure]]:
    label = "postgresql" if server is not None else "sqlite"
    measured = Scratch(folder, f"{label}_measured", server)
    declared = Scratch(folder, f"{label}_declared", server)
    policy = str(demo / "sla-policy.yaml")
    for scratch, analysed in ((measured, True), (declared, False)):
        scratch.create_base()
        base_database(folder, demo, scratch.base_url, analysed=analysed)
    figures: dict[str, dict[int, Figure]] = {k: {} for k in ("assess", "report", "show", "export")}
    # a first run warms the disk cache and Python's compiled modules; it is not counted
    warm = {**os.environ, "WARROOM_DATABASE_URL": measured.copy(), "WARROOM_USER": ADMIN}
    run_process(
        [
            *warroom_command(),
            "sla",
            "assess",
            INCIDENT,
            "--customers",
            str(registry(demo, sizes[0])),
            "--policy",
            policy,
        ],
        warm,
    )
    for size in sizes:
        customers = str(registry(demo, size))
        for key in figures:
            figures[key][size] = Figure()
        for _ in range(repeat):
            env = {**os.environ, "WARROOM_DATABASE_URL": measured.copy(), "WARROOM_USER": ADMIN}
            assess = [
                *warroom_command(),
                "sla",
                "assess",
                INCIDENT,
                "--customers",
                customers,
                "--policy",
                policy,
            ]
            seconds, peak, _, cpu = timed(assess, env)
            figures["assess"][size].add(seconds, peak, cpu)
            for key, command in (
                (
                    "report",
                    [
                        "report",
                        INCIDENT,
                        "--audience",
                        "customer",
                        "--customer",
                        "C0001",
                        "--format",
                        "md",
                    ],
                ),
                ("show", ["sla", "show", INCIDENT]),
            ):
                seconds, peak, _, cpu = timed([*warroom_command(), *command], env)
                figures[key][size].add(seconds, peak, cpu)
            last = {key: figures[key][size].seconds[-1] for key in ("assess", "report", "show")}
            print(
                f"  {label} {size:>9,} customers: assess {last['assess']:6.2f} s "
                f"({figures['assess'][size].peak / MIB:,.0f} MiB), report "
                f"{last['report']:5.2f} s, show {last['show']:5.2f} s",
                flush=True,
            )
        # the export: every customer owed (declared downtime), approved by both
        env = {**os.environ, "WARROOM_DATABASE_URL": declared.copy(), "WARROOM_USER": ADMIN}
        run(env, "sla", "assess", INCIDENT, "--customers", customers, "--policy", policy)
        approve(env)
        out = folder / "credits.csv"
        for _ in range(repeat):
            command = [
                *warroom_command(),
                "sla",
                "export-credits",
                INCIDENT,
                "-o",
                str(out),
                "--force",
            ]
            seconds, peak, text, cpu = timed(command, env)
            figures["export"][size].add(seconds, peak, cpu)
            print(
                f"  {label} {size:>9,} customers: export {seconds:6.2f} s ({peak / MIB:,.0f}"
                f" MiB): {text.strip()}",
                flush=True,
            )
        lines = sum(1 for _ in out.open()) - 1
        if lines != size:
            raise SystemExit(f"the export holds {lines:,} credits, not {size:,}")
    return figures


def report_registries(label: str, figures: dict[str, dict[int, Figure]], markdown: bool) -> None:
    sizes = sorted(figures["assess"])
    base = sizes[0]
    print()
    print(f"Registries ({label}): median wall seconds, peak RSS, ratio to {base:,} customers")
    header = (
        "customers",
        "assess s",
        "vs base",
        "cpu s",
        "peak",
        "report s",
        "vs base",
        "cpu s",
        "show s",
        "export s",
        "cpu s",
        "export peak",
    )
    rows = []
    for size in sizes:
        a, r, s, e = (figures[k][size] for k in ("assess", "report", "show", "export"))
        rows.append(
            (
                f"{size:,}",
                f"{a.median:.2f}",
                f"{a.median / figures['assess'][base].median:.1f}x",
                f"{a.median_cpu:.2f}",
                f"{a.peak / MIB:,.0f} MiB",
                f"{r.median:.2f}",
                f"{r.median / figures['report'][base].median:.2f}x",
                f"{r.median_cpu:.2f}",
                f"{s.median:.2f}",
                f"{e.median:.2f}",
                f"{e.median_cpu:.2f}",
                f"{e.peak / MIB:,.0f} MiB",
            )
        )
    table(header, rows, markdown)
    for size in sizes[1:]:
        for key, limits in TARGETS.items():
            if size in limits:
                ratio = figures[key][size].median / figures[key][base].median
                print(
                    f"  {key} at {size:,}: {ratio:.2f}x the {base:,} case (target <= "
                    f"{limits[size]}x): {'ok' if ratio <= limits[size] else 'MISSED'}"
                )
    if 1_000_000 in figures["assess"]:
        peak = figures["assess"][1_000_000].peak / MIB
        print(
            f"  assess peak at 1,000,000: {peak:,.0f} MiB (target < {PEAK_TARGET_MIB} MiB): "
            f"{'ok' if peak < PEAK_TARGET_MIB else 'MISSED'}"
        )
        export = figures["export"][1_000_000].median
        print(
            f"  export of 1,000,000 credits: {export:.2f} s (target <= {EXPORT_TARGET_S} s on "
            f"{os.cpu_count()} cores): {'ok' if export <= EXPORT_TARGET_S else 'MISSED'}"
        )


# -- the history part -------------------------------------------------------------------------

KINDS = ("trigger", "detected", "declared", "identified", "mitigated", "resolved")


def fill_history(url: str, count: int, per: int) -> date:
    """`count` incidents of `per` timeline entries written straight into the tables (a
    fixture: no audit); returns the day the last one was detected."""
    from sqlalchemy import insert

    from warroom.store import users
    from warroom.store.database import Database
    from warroom.store.tables import incidents, timeline_entries

    db = Database(url)
    db.migrate()
    start = datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
    now = datetime.now(UTC)
    per_day: dict[date, int] = {}
    rows: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    last = start.date()
    with db.transaction() as conn:
        for n in range(count):
            detected = start + timedelta(minutes=97 * n)
            last = day = detected.date()
            per_day[day] = per_day.get(day, 0) + 1
            incident_id = f"INC-{day:%Y-%m%d}-{per_day[day]:03d}"
            rows.append(
                {
                    "id": incident_id,
                    "detected_on": day,
                    "sequence": per_day[day],
                    "title": f"Incident {n}: elevated error rates",
                    "severity": f"SEV-{1 + n % 4}",
                    "status": "closed",
                    "classification": "confidential" if n % 10 == 0 else "internal",
                    "roles": {"commander": ADMIN},
                    "scope_regions": None,
                    "scope_services": None,
                    "contributing_factors": [],
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            )
            offsets = (-10, 0, 6, 20, 40 + n % 60, 45 + n % 300)
            for kind, minutes in zip(KINDS, offsets, strict=True):
                entries.append(
                    {
                        "incident_id": incident_id,
                        "at": detected + timedelta(minutes=minutes),
                        "kind": kind,
                        "text": f"{kind} {n}",
                        "author": ADMIN,
                        "audience": "internal",
                    }
                )
            for k in range(per - len(KINDS)):
                entries.append(
                    {
                        "incident_id": incident_id,
                        "at": detected + timedelta(minutes=1 + k),
                        "kind": "update" if k % 3 else "note",
                        "text": f"update {k} of incident {n}: the team is on it",
                        "author": "Riley Responder",
                        "audience": "internal",
                    }
                )
            if len(entries) >= 50_000:
                conn.execute(insert(incidents), rows)
                conn.execute(insert(timeline_entries), entries)
                rows, entries = [], []
        if rows:
            conn.execute(insert(incidents), rows)
            conn.execute(insert(timeline_entries), entries)
        users.add(conn, ADMIN, ("admin",), now=now)
        users.add(conn, VIEWER, ("viewer",), now=now)
    db.dispose()
    return last


def bench_history(count: int, per: int, repeat: int, folder: Path) -> dict[str, Figure]:
    url = f"sqlite:///{folder / 'history.db'}"
    started = time.perf_counter()
    last = fill_history(url, count, per)
    print(
        f"  {count:,} incidents x {per} entries written in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    env = {**os.environ, "WARROOM_DATABASE_URL": url, "WARROOM_USER": ADMIN}
    year = (last - timedelta(days=365)).isoformat()
    one = f"INC-{last:%Y-%m%d}-001"
    commands = {
        "incident list --json (first page), admin": ["incident", "list", "--json"],
        "incident list --json (first page), viewer": ["--as", VIEWER, "incident", "list", "--json"],
        f"metrics --since {year} (a year), admin": ["metrics", "--since", year, "--json"],
        f"metrics --since {year} (a year), viewer": [
            "--as",
            VIEWER,
            "metrics",
            "--since",
            year,
            "--json",
        ],
        f"report {one} --audience internal": [
            "report",
            one,
            "--audience",
            "internal",
            "--format",
            "md",
        ],
    }
    figures = {name: Figure() for name in commands}
    run_process([*warroom_command(), "incident", "list", "--json"], env)  # warm the cache
    for _ in range(repeat):
        for name, args in commands.items():
            seconds, peak, _, cpu = timed([*warroom_command(), *args], env)
            figures[name].add(seconds, peak, cpu)
    return figures


def report_history(count: int, per: int, figures: dict[str, Figure], markdown: bool) -> None:
    print()
    print(
        f"History: {count:,} incidents x {per} timeline entries (SQLite), median wall "
        f"seconds, whole command"
    )
    rows = []
    for name, figure in figures.items():
        target = (
            "-"
            if name.startswith("report")
            else ("meets" if figure.median < HISTORY_TARGET_S else "MISSES")
        )
        rows.append(
            (
                name,
                f"{figure.median:.2f}",
                f"{figure.median_cpu:.2f}",
                f"{figure.peak / MIB:,.0f} MiB",
                f"{target} (< {HISTORY_TARGET_S:.0f} s)" if target != "-" else "-",
            )
        )
    table(("command", "seconds", "cpu s", "peak", "target"), rows, markdown)


def table(header: tuple[str, ...], rows: list[tuple[str, ...]], markdown: bool) -> None:
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("| " + " | ".join("---" if i == 0 else "---:" for i in range(len(header))) + " |")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print("  " + "  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    for row in rows:
        print("  " + "  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in SIZES),
        help="registry sizes, the first is the baseline (default 847,100000,1000000)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=50, help="timeline entries each")
    parser.add_argument("--only", choices=("registry", "history"))
    parser.add_argument(
        "--postgresql", action="store_true", help="the registry part on a PostgreSQL server too"
    )
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    DATA.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="warroom-scale-bench-"))
    results: dict[str, Any] = {
        "machine": machine(),
        "at": datetime.now(UTC).isoformat(),
        "load_before": os.getloadavg(),
    }
    try:
        registries: dict[str, dict[str, dict[int, Figure]]] = {}
        if args.only in (None, "registry"):
            demo = demo_files()
            registries["sqlite"] = bench_registries(sizes, args.repeat, folder, demo)
            if args.postgresql:
                from support.pg_server import PostgresServer

                server = PostgresServer().start()
                try:
                    registries["postgresql"] = bench_registries(
                        sizes, args.repeat, folder, demo, server
                    )
                finally:
                    server.stop()
        history = None
        if args.only in (None, "history"):
            history = bench_history(args.incidents, args.entries, args.repeat, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    results["load_after"] = os.getloadavg()
    print()
    print(results["machine"])
    print(
        "load average (1, 5, 15 min) before: {:.1f} {:.1f} {:.1f}, after: {:.1f} {:.1f} "
        "{:.1f}".format(*results["load_before"], *results["load_after"])
    )
    for label, figures in registries.items():
        report_registries(label, figures, args.markdown)
        results[label] = {
            key: {
                str(size): {"seconds": f.seconds, "cpu": f.cpu, "peak": f.peak}
                for size, f in by_size.items()
            }
            for key, by_size in figures.items()
        }
    if history is not None:
        report_history(args.incidents, args.entries, history, args.markdown)
        results["history"] = {
            name: {"seconds": f.seconds, "cpu": f.cpu, "peak": f.peak}
            for name, f in history.items()
        }
    (DATA / "last-scale-results.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
