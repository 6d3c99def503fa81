"""Real parallel processes running warroom commands at the same moment.

A pool of spawned processes (each its own Python, its own database connections) runs
`warroom` commands through the CLI's own entry point. Every command of a round waits for
one start time, then a random pause of up to `jitter` seconds, so the commands overlap
as they would when people type at the same moment.
"""

from __future__ import annotations

import contextlib
import io
import multiprocessing
import random
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    argv: tuple[str, ...]
    code: int
    out: str
    err: str


def _run_at(start: float, jitter: float, seed: int, argv: tuple[str, ...]) -> Outcome:
    from warroom.cli.app import run

    random.seed(seed)
    time.sleep(max(0.0, start - time.time()) + random.uniform(0, jitter))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run(list(argv))
    return Outcome(argv, code, out.getvalue(), err.getvalue())


def _warm_up() -> None:
    import warroom.cli.app  # noqa: F401  (imports paid before the first round)


class Crowd:
    """`processes` people at their terminals; `round` has them all type at once."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))
        list(self._pool.map(_warm_up_any, range(processes)))

    def round(
        self, commands: Sequence[Sequence[str]], *, jitter: float = 0.05, seed: int = 0
    ) -> list[Outcome]:
        start = time.time() + 0.3
        futures = [
            self._pool.submit(_run_at, start, jitter, seed * 1000 + i, tuple(argv))
            for i, argv in enumerate(commands)
        ]
        return [f.result(timeout=120) for f in futures]

    def close(self) -> None:
        self._pool.shutdown(cancel_futures=True)


def _warm_up_any(_: int) -> None:
    _warm_up()


@contextlib.contextmanager
def crowd(processes: int) -> Iterator[Crowd]:
    people = Crowd(processes)
    try:
        yield people
    finally:
        people.close()
