"""Start-up a scribe feels: how long the commands a responder types during an incident
take from start to exit, against bare Python started the same way.

Each command runs as its own process on a scratch SQLite database holding one incident
with a 50-entry timeline, as a user runs it (the `warroom` script of this environment).
The commands do no computing, so their time is Python's start, the imports the command
needs and a few queries. Timed: `incident show`, `incident list`, `event add` (a note)
and `incident status` (between identified and monitoring, back and forth); each figure
is the median of `--repeat` runs, with the CPU the process used, and the ratio to
`python -c pass`. The target (issue 14): each under 0.3 s.

    python benchmarks/startup_bench.py             # 15 runs of each
    python benchmarks/startup_bench.py --repeat 30 --markdown
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the harness of impact_bench

from impact_bench import warroom_command  # noqa: E402

TARGET_S = 0.3
INCIDENT_ENTRIES = 50


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one process, which must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def prepare(folder: Path) -> tuple[dict[str, str], str]:
    """A database with its first admin and one incident of `INCIDENT_ENTRIES` entries
    (the timeline a busy incident has after an hour)."""
    env = {
        **os.environ,
        "WARROOM_DATABASE_URL": f"sqlite:///{folder / 'warroom.db'}",
        "WARROOM_USER": "Bench Admin",
        "NO_COLOR": "1",
        "COLUMNS": "120",
    }
    warroom = warroom_command()
    subprocess.run([*warroom, "init"], env=env, check=True, capture_output=True)
    declared = subprocess.run(
        [
            *warroom,
            "incident",
            "declare",
            "Checkout errors",
            "--severity",
            "SEV-2",
            "--detected-at",
            "2025-11-08T14:02:00Z",
            "-q",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    incident = declared.stdout.strip()
    for n in range(INCIDENT_ENTRIES - 2):
        subprocess.run(
            [*warroom, "event", "add", incident, f"note {n} from the scribe", "--kind", "note"],
            env=env,
            check=True,
            capture_output=True,
        )
    subprocess.run(
        [*warroom, "incident", "status", incident, "identified"],
        env=env,
        check=True,
        capture_output=True,
    )
    return env, incident


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="warroom-startup-bench-"))
    try:
        env, incident = prepare(folder)
        warroom = warroom_command()
        commands: dict[str, list[str]] = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "incident show": [*warroom, "incident", "show", incident],
            "incident list": [*warroom, "incident", "list"],
            "event add": [*warroom, "event", "add", incident, "still looking", "--kind", "note"],
        }
        figures: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        figures["incident status"] = []
        load_before = os.getloadavg()
        for turn in range(args.repeat):
            for name, command in commands.items():
                figures[name].append(timed(command, env))
            target = "monitoring" if turn % 2 == 0 else "identified"
            figures["incident status"].append(
                timed([*warroom, "incident", "status", incident, target], env)
            )
        load_after = os.getloadavg()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    bare = statistics.median(wall for wall, _ in figures["python -c pass"])
    rows = []
    for name, runs in figures.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        verdict = "-" if name.startswith("python") else ("meets" if wall < TARGET_S else "MISSES")
        rows.append((name, f"{wall:.3f}", f"{cpu:.3f}", f"{wall / bare:.1f}x", verdict))
    header = (
        "command",
        "median wall s",
        "median cpu s",
        "vs python -c pass",
        f"target < {TARGET_S} s",
    )
    print(
        f"load average before: {load_before[0]:.1f}, after: {load_after[0]:.1f} "
        f"({os.cpu_count()} CPUs); {args.repeat} runs each"
    )
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
