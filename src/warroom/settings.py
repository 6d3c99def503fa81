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
from warroom.domain.permissions import DEFAULT_CONFIDENTIAL_ROLES, UserRole, parse_user_role


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
    Setting("WARROOM_CONFIDENTIAL_ROLES", "commander,legal,finance,admin",
            "Roles that read every confidential incident (comma-separated); everyone else "
            "reads a confidential incident only when named on it (a role, an entry, an "
            "action)."),
    Setting("WARROOM_ROUTING_FILE", None,
            "YAML routing rules for alerts: labels to service, region and severity, grouping, "
            "which severities open incidents (docs/intake.md; example in "
            "examples/routing.yaml). Without it, the built-in defaults."),
    Setting("WARROOM_CHANGE_LOOKBACK_MINUTES", "120",
            "How long before an incident's detection a change (deploy, configuration, "
            "maintenance) on its service or region is shown as a possible trigger."),
    Setting("WARROOM_AUTHENTICATED_APPROVALS", "false",
            "true: SLA approvals and change requests are accepted only from authenticated "
            "sessions (a web sign-in, an API token, or the CLI after the person's password); "
            "false: also from the CLI acting as WARROOM_USER."),
    Setting("WARROOM_SOURCES_FILE", None,
            "YAML file naming the request logs, customer registries and SLA policies that "
            "API requests may use by name (impact runs, SLA assessments); the server reads "
            "no other path a request could name."),
    Setting("WARROOM_MAX_BODY_BYTES", "1048576",
            "Largest request body the API accepts (bytes); larger ones answer 413 before "
            "they are read whole."),
    Setting("WARROOM_DB_POOL_SIZE", "5",
            "Database connections each server process keeps open (PostgreSQL); as many "
            "again may be opened under load."),
    Setting("WARROOM_LOG_FORMAT", "json",
            "How `warroom serve` and `warroom worker` log on standard error: json (one "
            "object per line) or text."),
    Setting("WARROOM_SESSION_HOURS", "12",
            "How long a web sign-in lasts at most (hours); then the person signs in again."),
    Setting("WARROOM_SESSION_IDLE_MINUTES", "60",
            "A web session unused for this many minutes expires."),
    Setting("WARROOM_SIGNIN_ATTEMPTS", "5",
            "Failed web sign-ins allowed per name within 15 minutes (per client address: four "
            "times as many); further tries are refused until the window passes."),
    Setting("WARROOM_TRUSTED_PROXY", "false",
            "true: warroom runs behind a reverse proxy that sets X-Forwarded-Proto and "
            "X-Forwarded-For, and those headers are believed (session cookies marked Secure "
            "when the proxy got HTTPS; rate limits per the client's address). false: they "
            "are ignored."),
    Setting("WARROOM_STATUS_CACHE_SECONDS", "5",
            "How long the public status page is served from memory before warroom checks "
            "whether public content changed (a cheap query); 0 checks on every request."),
    Setting("WARROOM_STATUS_TITLE", "Service status",
            "The title of the public status page (and its Atom feed)."),
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
    confidential_roles: frozenset[UserRole] = DEFAULT_CONFIDENTIAL_ROLES
    authenticated_approvals: bool = False
    routing_file: Path | None = None
    change_lookback_minutes: int = 120
    plan_cache: Path | None = None
    sources_file: Path | None = None
    max_body_bytes: int = 1024 * 1024
    db_pool_size: int = 5
    log_format: str = "json"
    session_hours: int = 12
    session_idle_minutes: int = 60
    signin_attempts: int = 5
    trusted_proxy: bool = False
    status_cache_seconds: int = 5
    status_title: str = "Service status"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        url = database_url(_read("WARROOM_DATABASE_URL", env) or "")
        user = _read("WARROOM_USER", env) or _login_name()
        severities = _read("WARROOM_SEVERITIES_FILE", env)
        return cls(
            database_url=url,
            user=user.strip(),
            severities_file=Path(severities) if severities else None,
            spark_master=_read("WARROOM_SPARK_MASTER", env) or DEFAULT_SPARK_MASTER,
            prepared_by=(_read("WARROOM_PREPARED_BY", env) or "").strip() or None,
            confidential_roles=_roles("WARROOM_CONFIDENTIAL_ROLES", env),
            authenticated_approvals=_bool("WARROOM_AUTHENTICATED_APPROVALS", env),
            routing_file=_path("WARROOM_ROUTING_FILE", env),
            change_lookback_minutes=_int("WARROOM_CHANGE_LOOKBACK_MINUTES", env,
                                         low=0, high=7 * 24 * 60),
            plan_cache=plan_cache_dir(env),
            sources_file=Path(sources) if (sources := _read("WARROOM_SOURCES_FILE", env))
            else None,
            max_body_bytes=_int("WARROOM_MAX_BODY_BYTES", env, low=1024, high=1024 ** 3),
            db_pool_size=_int("WARROOM_DB_POOL_SIZE", env, low=1, high=1000),
            log_format=_choice("WARROOM_LOG_FORMAT", env, ("json", "text")),
            session_hours=_int("WARROOM_SESSION_HOURS", env, low=1, high=24 * 30),
            session_idle_minutes=_int("WARROOM_SESSION_IDLE_MINUTES", env, low=1,
                                      high=24 * 60 * 30),
            signin_attempts=_int("WARROOM_SIGNIN_ATTEMPTS", env, low=1, high=1000),
            trusted_proxy=_bool("WARROOM_TRUSTED_PROXY", env),
            status_cache_seconds=_int("WARROOM_STATUS_CACHE_SECONDS", env, low=0, high=3600),
            status_title=" ".join((_read("WARROOM_STATUS_TITLE", env) or "").split())[:200]
            or "Service status",
        )


def database_url(url: str) -> str:
    """A database URL warroom can open, the PostgreSQL driver made explicit."""
    if "://" not in url:
        raise SettingsError(
            f"WARROOM_DATABASE_URL={url!r} is not a database URL; expected e.g. "
            "sqlite:///warroom.db or postgresql+psycopg://user@host/warroom")
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        # psycopg 3 is the driver warroom ships with
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    scheme = url.split("://", 1)[0]
    if scheme not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise SettingsError(
            f"the database URL uses {scheme}://, which warroom does not support; "
            "expected sqlite:///FILE or postgresql://user@host/db")
    return url


def _path(name: str, env: Mapping[str, str]) -> Path | None:
    value = (_read(name, env) or "").strip()
    return Path(value) if value else None


def _int(name: str, env: Mapping[str, str], *, low: int, high: int) -> int:
    """A whole number within bounds, written plainly (no sign games, no units)."""
    value = (_read(name, env) or "").strip()
    if not value.isdigit() or not low <= int(value) <= high:
        raise SettingsError(f"{name}={value!r}: expected a whole number from {low} to {high}")
    return int(value)


def _bool(name: str, env: Mapping[str, str]) -> bool:
    """Exactly true or false: a typo must not silently mean the default."""
    value = (_read(name, env) or "").strip().lower()
    if value not in ("true", "false"):
        raise SettingsError(f"{name}={value!r}: expected true or false")
    return value == "true"


def _choice(name: str, env: Mapping[str, str], choices: tuple[str, ...]) -> str:
    value = (_read(name, env) or "").strip().lower()
    if value not in choices:
        raise SettingsError(f"{name}={value!r}: expected {' or '.join(choices)}")
    return value


def _roles(name: str, env: Mapping[str, str]) -> frozenset[UserRole]:
    value = _read(name, env) or ""
    try:
        return frozenset(parse_user_role(r) for r in value.split(",") if r.strip())
    except WarroomError as error:
        raise SettingsError(f"{name}: {error.message}") from None


def plan_cache_dir(env: Mapping[str, str] | None = None) -> Path | None:
    """WARROOM_PLAN_CACHE as a folder, or None when it is set empty (nothing is kept)."""
    value = (_read("WARROOM_PLAN_CACHE", os.environ if env is None else env) or "").strip()
    return Path(value).expanduser() if value else None


def _login_name() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "warroom"
