"""Settings: each defined once (name, default, help), read strictly from the environment.

Every setting here must be documented in README.md's configuration table (a test checks).
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from warroom.domain.errors import WarroomError


class SettingsError(WarroomError):
    code = "bad_setting"


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    help: str


DEFAULT_SPARK_MASTER = "local[*]"

SETTINGS = (
    Setting("WARROOM_DATABASE_URL", "sqlite:///warroom.db",
            "SQLAlchemy URL of the database. SQLite (a file in the working directory) by default; "
            "PostgreSQL in production, e.g. postgresql+psycopg://user@host/warroom."),
    Setting("WARROOM_USER", None,
            "Name of the person the CLI acts as (timeline authors, audit log, approvals). "
            "Defaults to the login name."),
    Setting("WARROOM_SEVERITIES_FILE", None,
            "YAML file with the organisation's own severity definitions: "
            "{SEV-1: {label: ..., description: ...}, ...}."),
    Setting("WARROOM_SPARK_MASTER", DEFAULT_SPARK_MASTER,
            "Spark master URL used by `--backend pyspark` (e.g. spark://host:7077)."),
    Setting("WARROOM_PLAN_CACHE", "~/.cache/warroom/plans",
            "Folder where `warroom impact` keeps the SQL it compiles for each shape of request "
            "log, so that later runs skip compiling; empty keeps nothing. Safe to delete."),
    Setting("WARROOM_PREPARED_BY", None,
            "Who staff reports say prepared them, e.g. \"Engineering Operations Team\". "
            "Defaults to the incident's commander."),
)


def _read(name: str, env: Mapping[str, str]) -> str | None:
    """A setting's value; `NAME_FILE` (a path) is read instead when set, for secrets."""
    file_var = f"{name}_FILE"
    if file_var in env:
        path = Path(env[file_var])
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(f"{file_var} points to {path}, which cannot be read: "
                                f"{exc.strerror or exc}") from None
    value = env.get(name)
    if value is None:
        default = next(s.default for s in SETTINGS if s.name == name)
        return default
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str
    user: str
    severities_file: Path | None
    spark_master: str
    prepared_by: str | None = None
    plan_cache: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        url = _read("WARROOM_DATABASE_URL", env) or ""
        if "://" not in url:
            raise SettingsError(
                f"WARROOM_DATABASE_URL={url!r} is not a database URL; expected e.g. "
                "sqlite:///warroom.db or postgresql+psycopg://user@host/warroom")
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            # psycopg 3 is the driver warroom ships with
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        user = _read("WARROOM_USER", env) or _login_name()
        severities = _read("WARROOM_SEVERITIES_FILE", env)
        return cls(
            database_url=url,
            user=user.strip(),
            severities_file=Path(severities) if severities else None,
            spark_master=_read("WARROOM_SPARK_MASTER", env) or DEFAULT_SPARK_MASTER,
            prepared_by=(_read("WARROOM_PREPARED_BY", env) or "").strip() or None,
            plan_cache=plan_cache_dir(env),
        )


def plan_cache_dir(env: Mapping[str, str] | None = None) -> Path | None:
    """WARROOM_PLAN_CACHE as a folder, or None when it is set empty (nothing is kept)."""
    value = (_read("WARROOM_PLAN_CACHE", os.environ if env is None else env) or "").strip()
    return Path(value).expanduser() if value else None


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "warroom"
