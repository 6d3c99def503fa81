"""Benchmark: `warroom impact` against hand-written baselines on the same request logs.

    python benchmarks/impact_bench.py [--rows 10000000,50000000] [--quick] [--repeat 3]

For each size it generates (once, cached in benchmarks/.data/) the demo-shaped request log
of examples/generate_demo.py, then times, in the same run, each as its own process from
start to exit (so every contender pays its own start-up, as a user would):

- warroom      the whole CLI command: ``warroom impact INC-2025-1108-001 --requests LOG
               --json`` on a scratch database holding the reference incident (its first
               run, which compiles the plan later runs reuse, is shown apart, and so are
               runs with WARROOM_PLAN_CACHE empty, which compile every time);
- (a) sql      the same computation as one hand-written DuckDB SQL query;
- (b) polars   Polars lazy ``scan_parquet ... collect(engine="streaming")``;
- (c) pandas   a straightforward pandas version (read the columns, filter, groupby), and
               (c') the same reading only the window's row groups (pyarrow filters);
- (d) floor    DuckDB decoding just the needed columns with a trivial aggregate.

`--spark` adds ``warroom impact --backend pyspark`` (Spark's start-up included).
Each contender runs `--repeat` times (pandas `--pandas-repeat` times); the median wall
time and the highest peak RSS (from wait4) are reported, with ratios to warroom. The
figures of every contender are checked to agree (and to match what the generator planted).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / ".data"
GENERATOR = ROOT / "examples" / "generate_demo.py"
INCIDENT = "INC-2025-1108-001"
START = datetime(2025, 11, 8, 14, 2, tzinfo=UTC)  # the reference incident's impact window
END = datetime(2025, 11, 8, 19, 49, tzinfo=UTC)
SEED = 1108
GIB = 1024**3


# -- the contenders, each run as `python impact_bench.py --contender NAME --log PATH` ------


def run_sql(path: str) -> dict[str, Any]:
    """(a) One hand-written DuckDB query, the way an analyst would write it."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    query = """
    WITH r AS (
        SELECT customer_id, user_id, txn_id, date_trunc('minute', ts) AS minute,
               (status >= 500 OR status = 0 OR status IS NULL) AS failed
        FROM read_parquet($path)
        WHERE ts >= $start AND ts < $end
    ),
    per_minute AS (
        SELECT customer_id, minute, count(*) AS requests,
               count(*) FILTER (WHERE failed) AS failed
        FROM r GROUP BY customer_id, minute
    ),
    per_customer AS (
        SELECT customer_id, sum(requests) AS requests, sum(failed) AS failed,
               count(*) FILTER (WHERE failed >= 1 AND failed >= 0.05 * requests) AS down
        FROM per_minute GROUP BY customer_id
    ),
    series AS (
        SELECT minute, sum(requests) AS requests, sum(failed) AS failed
        FROM per_minute GROUP BY minute
    ),
    reach AS (
        SELECT count(DISTINCT user_id) FILTER (WHERE failed) AS users,
               count(DISTINCT txn_id) FILTER (WHERE failed) AS transactions
        FROM r
    )
    SELECT (SELECT list(p ORDER BY p.customer_id) FROM per_customer p) AS per_customer,
           (SELECT list(s ORDER BY s.minute) FROM series s) AS series,
           reach.users, reach.transactions
    FROM reach
    """
    row = con.execute(query, {"path": path, "start": START, "end": END}).fetchone()
    assert row is not None
    per_customer, _series, users, transactions = row
    return summary(
        [(c["customer_id"], c["requests"], c["failed"], c["down"]) for c in per_customer],
        users,
        transactions,
    )


def run_polars(path: str) -> dict[str, Any]:
    """(b) Polars lazy, streaming engine; both aggregates collected in one go."""
    import polars as pl

    lf = (
        pl.scan_parquet(path)
        .filter((pl.col("ts") >= START) & (pl.col("ts") < END))
        .with_columns(
            minute=pl.col("ts").dt.truncate("1m"),
            failed=(pl.col("status") >= 500) | (pl.col("status") == 0) | pl.col("status").is_null(),
        )
    )
    per_minute = lf.group_by("customer_id", "minute").agg(
        requests=pl.len(), failed=pl.col("failed").sum()
    )
    # n_unique counts null as a value: drop nulls first
    reach = lf.filter(pl.col("failed")).select(
        users=pl.col("user_id").drop_nulls().n_unique(),
        transactions=pl.col("txn_id").drop_nulls().n_unique(),
    )
    minutes, hit = pl.collect_all([per_minute, reach], engine="streaming")
    per_customer = (
        minutes.with_columns(
            down=(pl.col("failed") >= 1) & (pl.col("failed") >= 0.05 * pl.col("requests"))
        )
        .group_by("customer_id")
        .agg(pl.col("requests").sum(), pl.col("failed").sum(), pl.col("down").sum())
        .sort("customer_id")
    )
    minutes.group_by("minute").agg(pl.col("requests").sum(), pl.col("failed").sum())
    return summary(per_customer.iter_rows(), hit["users"][0], hit["transactions"][0])


def run_pandas(path: str) -> dict[str, Any]:
    """(c) pandas, straightforwardly: read the needed columns, keep the window, groupby."""
    import pandas as pd

    df = pd.read_parquet(path, columns=["ts", "customer_id", "user_id", "status", "txn_id"])
    return _pandas_impact(df[(df["ts"] >= START) & (df["ts"] < END)])


def run_pandas_filtered(path: str) -> dict[str, Any]:
    """(c') pandas with pyarrow's row-group filters: only the window's rows are read."""
    import pandas as pd

    return _pandas_impact(
        pd.read_parquet(
            path,
            columns=["ts", "customer_id", "user_id", "status", "txn_id"],
            filters=[("ts", ">=", START), ("ts", "<", END)],
        )
    )


def _pandas_impact(df: Any) -> dict[str, Any]:
    failed = (df["status"] >= 500) | (df["status"] == 0) | df["status"].isna()
    df = df.assign(failed=failed, minute=df["ts"].dt.floor("min"))
    per_minute = (
        df.groupby(["customer_id", "minute"])
        .agg(requests=("failed", "size"), failed=("failed", "sum"))
        .reset_index()
    )
    per_minute["down"] = (per_minute["failed"] >= 1) & (
        per_minute["failed"] >= 0.05 * per_minute["requests"]
    )
    per_customer = per_minute.groupby("customer_id")[["requests", "failed", "down"]].sum()
    per_minute.groupby("minute")[["requests", "failed"]].sum()
    hit = df[df["failed"]]
    return summary(per_customer.itertuples(), hit["user_id"].nunique(), hit["txn_id"].nunique())


def run_floor(path: str) -> dict[str, Any]:
    """(d) The floor: decode the needed columns of the window, aggregate trivially."""
    import duckdb

    con = duckdb.connect()
    row = con.execute(
        "SELECT count(*), max(customer_id), max(user_id), max(status), max(txn_id) "
        "FROM read_parquet($path) WHERE ts >= $start AND ts < $end",
        {"path": path, "start": START, "end": END},
    ).fetchone()
    assert row is not None
    return {"rows": row[0]}


def run_warroom_api(path: str) -> dict[str, Any]:
    """warroom's compute_impact called directly (no CLI, no database): the engine alone."""
    from warroom.analytics.impact import compute_impact
    from warroom.domain.window import TimeWindow
    from warroom.settings import plan_cache_dir

    result = compute_impact(path, TimeWindow(START, END), plan_cache=plan_cache_dir())
    return summary(
        [(c.customer_id, c.requests, c.failed, c.down_minute_count) for c in result.per_customer],
        result.users_affected,
        result.transactions_affected,
    )


def summary(per_customer: Any, users: int, transactions: int | None) -> dict[str, Any]:
    rows = [tuple(int(x) if i else str(x) for i, x in enumerate(r)) for r in per_customer]
    digest = hashlib.sha256(json.dumps(sorted(rows)).encode()).hexdigest()[:16]
    return {
        "customers_affected": sum(1 for r in rows if r[2] > 0),
        "users_affected": int(users),
        "transactions_affected": int(transactions or 0),
        "requests_total": sum(r[1] for r in rows),
        "requests_failed": sum(r[2] for r in rows),
        "down_minutes": sum(r[3] for r in rows),
        "per_customer_digest": digest,
    }


CONTENDERS = {
    "sql": run_sql,
    "polars": run_polars,
    "pandas": run_pandas,
    "pandas-filtered": run_pandas_filtered,
    "floor": run_floor,
    "api": run_warroom_api,
}


# -- the harness ------------------------------------------------------------------------------


@dataclass
class Timing:
    name: str
    label: str
    seconds: list[float] = field(default_factory=list)
    peak_rss: int = 0
    figures: dict[str, Any] | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def run_process(command: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall time, peak RSS (bytes) and stdout of one process.

    The peak is the process's own high-water mark (VmHWM in /proc, polled until it exits;
    it only grows), or the most its process tree held at once (a JVM under PySpark).
    wait4's ru_maxrss would not do: Linux carries the parent's peak into a spawned child,
    so every contender would show this harness's memory.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=env, cwd=ROOT)
        peak = tree_peak = 0
        while process.poll() is None:
            peak = max(peak, _high_water(process.pid))
            tree_peak = max(tree_peak, _tree_rss(process.pid))
            time.sleep(0.01)
        peak = max(peak, tree_peak)  # Spark's JVM is a child process: count it too
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        text = out.read().decode()
        if process.returncode != 0:
            raise SystemExit(
                f"{' '.join(command)} failed ({process.returncode}):\n{err.read().decode()[-3000:]}"
            )
    return elapsed, peak, text


def _tree_rss(pid: int) -> int:
    """Resident memory of the process and its children now (psutil), 0 if unknown."""
    try:
        import psutil

        parent = psutil.Process(pid)
        return sum(p.memory_info().rss for p in [parent, *parent.children(recursive=True)])
    except Exception:  # gone, or psutil missing: the process's own peak still counts
        return 0


def _high_water(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("generate_demo", GENERATOR)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {GENERATOR}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate_demo"] = module
    spec.loader.exec_module(module)
    return module


def request_log(rows: int) -> tuple[Path, dict[str, Any]]:
    """The cached log of `rows` rows; regenerated when the generator changes."""
    version = hashlib.sha256(GENERATOR.read_bytes()).hexdigest()[:12]
    path = DATA / f"demo-requests-{rows}-seed{SEED}.parquet"
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("generator") == version:
            return path, meta
    print(f"generating {rows:,} rows into {path.relative_to(ROOT)} ...", flush=True)
    started = time.perf_counter()
    stats = load_generator().generate_requests(path, rows=rows, seed=SEED)
    meta = {"generator": version, "stats": stats, "seconds": time.perf_counter() - started}
    meta_path.write_text(json.dumps(meta, indent=2, default=_plain))
    return path, meta


def _plain(value: Any) -> Any:
    return value.tolist() if hasattr(value, "tolist") else str(value)


def prepare_warroom(workdir: Path) -> dict[str, str]:
    """A scratch database holding the reference incident; the env the CLI runs with."""
    env = {
        **os.environ,
        "WARROOM_DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "WARROOM_USER": "bench",
        "WARROOM_PLAN_CACHE": str(workdir / "plans"),
    }
    generator = load_generator()
    (workdir / "incident.yaml").write_text(generator.incident_yaml())
    warroom = warroom_command()
    for args in (["init"], ["incident", "import", str(workdir / "incident.yaml")]):
        subprocess.run([*warroom, *args], env=env, check=True, capture_output=True, cwd=ROOT)
    return env


def warroom_command() -> list[str]:
    script = Path(sys.executable).with_name("warroom")
    return [str(script)] if script.exists() else [sys.executable, "-m", "warroom.cli"]


def bench_size(
    rows: int, repeat: int, pandas_repeat: int, only: set[str] | None, spark: bool
) -> list[Timing]:
    path, meta = request_log(rows)
    workdir = Path(tempfile.mkdtemp(prefix="warroom-bench-"))
    try:
        env = prepare_warroom(workdir)
        me = [sys.executable, str(Path(__file__).resolve()), "--contender"]
        plan = [
            Timing("warroom", "warroom impact (whole CLI command)"),
            Timing("nocache", "  warroom impact, WARROOM_PLAN_CACHE empty (compiles every run)"),
            Timing("api", "  warroom compute_impact (python -c, no CLI)"),
            Timing("sql", "(a) DuckDB SQL, one hand-written query"),
            Timing("polars", "(b) Polars streaming"),
            Timing("pandas", "(c) pandas: read columns, filter, groupby"),
            Timing("pandas-filtered", "(c') pandas, pyarrow row-group filters"),
            Timing("floor", "(d) floor: DuckDB decoding the columns"),
        ]
        if spark:
            plan.insert(2, Timing("spark", "  warroom impact --backend pyspark (local[*])"))
        plan = [t for t in plan if only is None or t.name in only]
        cli = [*warroom_command(), "impact", INCIDENT, "--requests", str(path), "--json"]
        commands = {t.name: [*me, t.name, "--log", str(path)] for t in plan}
        commands["warroom"] = commands["nocache"] = cli
        envs = {"nocache": {**env, "WARROOM_PLAN_CACHE": ""}}
        commands["spark"] = [*cli, "--backend", "pyspark"]
        run_process(commands.get("floor", [*me, "floor", "--log", str(path)]), env)  # warm
        if only is None or "warroom" in only:  # a first run compiles the plan it then keeps
            cold = Timing("cold", "  warroom impact, first run (compiles its plan)")
            seconds, rss, out = run_process(cli, env)
            cold.seconds.append(seconds)
            cold.peak_rss, cold.figures = rss, figures_of("warroom", out)
            print(
                f"  {rows:>11,} rows  {'cold':<15} {seconds:7.2f} s  {rss / 2**20:7.0f} MiB",
                flush=True,
            )
        for round_ in range(max(repeat, pandas_repeat)):
            for timing in plan:
                times = pandas_repeat if timing.name.startswith("pandas") else repeat
                if round_ >= times:
                    continue
                seconds, rss, out = run_process(commands[timing.name], envs.get(timing.name, env))
                timing.seconds.append(seconds)
                timing.peak_rss = max(timing.peak_rss, rss)
                timing.figures = figures_of(timing.name, out)
                print(
                    f"  {rows:>11,} rows  {timing.name:<15} {seconds:7.2f} s  "
                    f"{rss / 2**20:7.0f} MiB",
                    flush=True,
                )
        if only is None or "warroom" in only:
            plan.insert(1, cold)
        check_agreement(plan, meta["stats"])
        return plan
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def figures_of(name: str, out: str) -> dict[str, Any]:
    data = json.loads(out)
    if name not in ("warroom", "nocache", "spark", "cold"):
        return dict(data)
    rows = [
        (c["customer_id"], c["requests"], c["failed"], c["down_minutes"])
        for c in data["per_customer"]
    ]
    return summary(rows, data["users_affected"], data["transactions_affected"])


def check_agreement(plan: list[Timing], stats: dict[str, Any]) -> None:
    """Every full contender reports the same figures, and those the generator planted."""
    full = [t for t in plan if t.name != "floor" and t.figures is not None]
    if not full:
        return
    reference = full[0].figures
    assert reference is not None
    for timing in full[1:]:
        if timing.figures != reference:
            raise SystemExit(
                f"{timing.name} disagrees with {full[0].name}:\n{timing.figures}\n{reference}"
            )
    planted = {
        "customers_affected": stats["affected_customers"],
        "users_affected": stats["affected_users"],
        "transactions_affected": stats["affected_transactions"],
        "down_minutes": sum(stats["down_minutes"]),
    }
    got = {k: reference[k] for k in planted}
    if got != planted:
        raise SystemExit(f"figures {got} differ from what the generator planted {planted}")
    print(f"  figures agree across {len(full)} contenders and with the generator: {got}")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GIB
    versions = []
    for module in ("duckdb", "ibis", "polars", "pandas", "pyarrow"):
        try:
            versions.append(f"{module} {__import__(module).__version__}")
        except ImportError:
            versions.append(f"{module} (not installed)")
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}; {', '.join(versions)}"
    )


def report(results: dict[int, list[Timing]], markdown: bool) -> None:
    print()
    print(machine())
    for rows, plan in results.items():
        base = next((t for t in plan if t.name == "warroom"), plan[0])
        print()
        if markdown:
            print(f"| {rows:,} rows | median s | vs warroom | peak RSS |")
            print("| --- | ---: | ---: | ---: |")
        else:
            print(f"{rows:,} rows (window {START:%H:%M}-{END:%H:%M} UTC)")
        for t in plan:
            ratio = t.median / base.median
            line = (
                t.label.strip(),
                f"{t.median:.2f}",
                f"{ratio:.2f}x",
                f"{t.peak_rss / 2**20:,.0f} MiB",
            )
            if markdown:
                print("| " + " | ".join(line) + " |")
            else:
                print(f"  {line[0]:<46} {line[1]:>7} s  {line[2]:>7}  {line[3]:>10}")
        verdicts(plan, rows)


def verdicts(plan: list[Timing], rows: int) -> None:
    by = {t.name: t for t in plan}
    if "warroom" not in by:
        return
    w = by["warroom"]
    if "sql" in by:
        ratio = w.median / by["sql"].median
        print(
            f"  warroom / DuckDB SQL = {ratio:.2f} (target <= 1.3, aim < 1): "
            f"{'ok' if ratio <= 1.3 else 'MISSED'}"
        )
    if "pandas" in by:
        speedup = by["pandas"].median / w.median
        print(
            f"  pandas / warroom = {speedup:.1f}x (target >= 10x): "
            f"{'ok' if speedup >= 10 else 'MISSED'}"
        )
    if "pandas-filtered" in by:
        print(
            f"  pandas with row-group filters / warroom = "
            f"{by['pandas-filtered'].median / w.median:.1f}x"
        )
    if "floor" in by:
        print(f"  warroom / floor = {w.median / by['floor'].median:.2f}")
    if "polars" in by:
        print(f"  warroom / Polars = {w.median / by['polars'].median:.2f}")
    print(
        f"  warroom peak RSS {w.peak_rss / GIB:.2f} GiB (target < 2 GiB at 50 M rows): "
        f"{'ok' if w.peak_rss < 2 * GIB else 'MISSED'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rows",
        default="10000000,50000000",
        help="comma-separated log sizes (default 10000000,50000000)",
    )
    parser.add_argument("--quick", action="store_true", help="one log of 1,000,000 rows")
    parser.add_argument("--repeat", type=int, default=3, help="runs per contender (median)")
    parser.add_argument("--pandas-repeat", type=int, default=1, help="runs of pandas")
    parser.add_argument(
        "--only",
        help="comma-separated contenders: warroom,nocache,api,spark,"
        "sql,polars,pandas,pandas-filtered,floor",
    )
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument(
        "--spark",
        action="store_true",
        help="also time warroom impact --backend pyspark (WARROOM_SPARK_MASTER)",
    )
    parser.add_argument("--contender", choices=sorted(CONTENDERS), help=argparse.SUPPRESS)
    parser.add_argument("--log", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.contender:
        print(json.dumps(CONTENDERS[args.contender](args.log)))
        return 0
    sizes = [1_000_000] if args.quick else [int(r) for r in args.rows.split(",") if r.strip()]
    only = set(args.only.split(",")) if args.only else None
    DATA.mkdir(parents=True, exist_ok=True)
    results = {
        rows: bench_size(rows, args.repeat, args.pandas_repeat, only, args.spark) for rows in sizes
    }
    report(results, args.markdown)
    (DATA / "last-results.json").write_text(
        json.dumps(
            {
                "machine": machine(),
                "at": datetime.now(UTC).isoformat(),
                "results": {
                    str(rows): [
                        {
                            "name": t.name,
                            "seconds": t.seconds,
                            "peak_rss": t.peak_rss,
                            "figures": t.figures,
                        }
                        for t in plan
                    ]
                    for rows, plan in results.items()
                },
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
