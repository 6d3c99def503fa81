"""`warroom ...` on one SQLite database, in-process (fast) or as a real process (the
worker that delivers the outbox, so that a test can kill it)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from warroom.cli.app import run


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)


@dataclass(frozen=True)
class Warroom:
    """`warroom ...` acting as `user` (WARROOM_USER) with `env` set."""

    database: Path
    user: str = "Jane Doe"
    env: dict[str, str] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        return {
            "WARROOM_DATABASE_URL": f"sqlite:///{self.database}",
            "WARROOM_USER": self.user,
            "WARROOM_LOG_FORMAT": "text",
            **self.env,
        }

    def __call__(self, *args: object) -> Result:
        out, err = io.BytesIO(), io.BytesIO()
        stdout = io.TextIOWrapper(out, encoding="utf-8", write_through=True)
        stderr = io.TextIOWrapper(err, encoding="utf-8", write_through=True)
        with pytest.MonkeyPatch.context() as patch:
            for name, value in self.environment().items():
                patch.setenv(name, value)
            patch.delenv("WARROOM_SEVERITIES_FILE", raising=False)
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                code = run([str(arg) for arg in args])
                stdout.flush()
                stderr.flush()
        return Result(code, out.getvalue().decode("utf-8"), err.getvalue().decode("utf-8"))

    def ok(self, *args: object) -> str:
        result = self(*args)
        assert result.code == 0, f"warroom {' '.join(map(str, args))}: {result.err}"
        return result.out

    def process(self, *args: object, **env: str) -> subprocess.Popen[str]:
        """`python -m warroom ARGS` as its own process (stderr captured)."""
        environment = {**os.environ, **self.environment(), **env}
        return subprocess.Popen(
            [sys.executable, "-m", "warroom", *map(str, args)],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def worker(self, timeout: float = 300, **env: str) -> str:
        """`warroom worker --until-idle` as its own process; its standard error."""
        done = self.process("worker", "--until-idle", "--poll", "0.1", **env)
        _out, err = done.communicate(timeout=timeout)
        assert done.returncode == 0, err
        return err

    def copy(self, target: Path, **changes: Any) -> Warroom:
        """The same person on a consistent copy of the database."""
        with (
            contextlib.closing(sqlite3.connect(self.database)) as src,
            contextlib.closing(sqlite3.connect(target)) as dst,
        ):
            src.backup(dst)
        values = {"database": target, "user": self.user, "env": dict(self.env), **changes}
        return Warroom(**values)
