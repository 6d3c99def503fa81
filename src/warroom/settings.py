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
    Setting(
        "WARROOM_DATABASE_URL",
        "sqlite:///warroom.db",
        "SQLAlchemy URL of the database. SQLite (a file in the working directory) by default; "
        "PostgreSQL in production, e.g. postgresql+psycopg://user@host/warroom.",
    ),
    Setting(
        "WARROOM_USER",
        None,
        "Name of the person the CLI acts as (timeline authors, audit log, approvals). "
        "Defaults to the login name.",
    ),
    Setting(
        "WARROOM_SEVERITIES_FILE",
        None,
        "YAML file with the organisation's own severity definitions: "
        "{SEV-1: {label: ..., description: ...}, ...}.",
    ),
    Setting(
        "WARROOM_SPARK_MASTER",
        DEFAULT_SPARK_MASTER,
        "Spark master URL used by `--backend pyspark` (e.g. spark://host:7077).",
    ),
    Setting(
        "WARROOM_PLAN_CACHE",
        "~/.cache/warroom/plans",
        "Folder where `warroom impact` keeps the SQL it compiles for each shape of request "
        "log, so that later runs skip compiling; empty keeps nothing. Safe to delete.",
    ),
    Setting(
        "WARROOM_PREPARED_BY",
        None,
        'Who staff reports say prepared them, e.g. "Engineering Operations Team". '
        "Defaults to the incident's commander.",
    ),
    Setting(
        "WARROOM_CONFIDENTIAL_ROLES",
        "commander,legal,finance,admin",
        "Roles that read every confidential incident (comma-separated); everyone else "
        "reads a confidential incident only when named on it (a role, an entry, an "
        "action).",
    ),
    Setting(
        "WARROOM_ROUTING_FILE",
        None,
        "YAML routing rules for alerts: labels to service, region and severity, grouping, "
        "which severities open incidents (docs/intake.md; example in "
        "examples/routing.yaml). Without it, the built-in defaults.",
    ),
    Setting(
        "WARROOM_CHANGE_LOOKBACK_MINUTES",
        "120",
        "How long before an incident's detection a change (deploy, configuration, "
        "maintenance) on its service or region is shown as a possible trigger.",
    ),
    Setting(
        "WARROOM_AUTHENTICATED_APPROVALS",
        "false",
        "true: SLA approvals and change requests are accepted only from authenticated "
        "sessions (a web sign-in, an API token, or the CLI after the person's password); "
        "false: also from the CLI acting as WARROOM_USER.",
    ),
    Setting(
        "WARROOM_SOURCES_FILE",
        None,
        "YAML file naming the request logs, customer registries and SLA policies that "
        "API requests may use by name (impact runs, SLA assessments); the server reads "
        "no other path a request could name.",
    ),
    Setting(
        "WARROOM_MAX_BODY_BYTES",
        "1048576",
        "Largest request body the API accepts (bytes); larger ones answer 413 before "
        "they are read whole.",
    ),
    Setting(
        "WARROOM_MAX_INTAKE_BODY_BYTES",
        "16777216",
        "Largest body the intake routes accept (bytes): an Alertmanager group of "
        "max_alerts alerts must fit, since a sender does not retry a 413 and the alerts "
        "would be lost.",
    ),
    Setting(
        "WARROOM_DB_POOL_SIZE",
        "5",
        "Database connections each server process keeps open (PostgreSQL); as many "
        "again may be opened under load.",
    ),
    Setting(
        "WARROOM_LOG_FORMAT",
        "json",
        "How `warroom serve` and `warroom worker` log on standard error: json (one "
        "object per line) or text.",
    ),
    Setting(
        "WARROOM_SESSION_HOURS",
        "12",
        "How long a web sign-in lasts at most (hours); then the person signs in again.",
    ),
    Setting(
        "WARROOM_SESSION_IDLE_MINUTES", "60", "A web session unused for this many minutes expires."
    ),
    Setting(
        "WARROOM_SIGNIN_ATTEMPTS",
        "5",
        "Failed web sign-ins allowed per name within 15 minutes (per client address: four "
        "times as many); further tries are refused until the window passes.",
    ),
    Setting(
        "WARROOM_TRUSTED_PROXY",
        "false",
        "true: warroom runs behind a reverse proxy that sets X-Forwarded-Proto and "
        "X-Forwarded-For, and those headers are believed (session cookies marked Secure "
        "when the proxy got HTTPS; rate limits per the client's address). false: they "
        "are ignored.",
    ),
    Setting(
        "WARROOM_STATUS_CACHE_SECONDS",
        "5",
        "How long the public status page is served from memory before warroom checks "
        "whether public content changed (a cheap query); 0 checks on every request.",
    ),
    Setting(
        "WARROOM_STATUS_TITLE",
        "Service status",
        "The title of the public status page (and its Atom feed).",
    ),
    Setting(
        "WARROOM_SMTP_URL",
        None,
        "The mail server notices and subscriber emails go through: smtp://[user@]host"
        "[:port] (STARTTLS, required except to the loopback) or smtps://... (TLS from "
        "the start). Unset: emails wait in the outbox until it is set.",
    ),
    Setting(
        "WARROOM_SMTP_PASSWORD",
        None,
        "The SMTP user's password (or WARROOM_SMTP_PASSWORD_FILE); sent only over TLS "
        "or to the loopback.",
    ),
    Setting(
        "WARROOM_MAIL_FROM",
        None,
        "The sender of every email warroom sends, e.g. status@example.com.",
    ),
    Setting(
        "WARROOM_PUBLIC_URL",
        "http://127.0.0.1:8000",
        "Where people reach this warroom: the start of the confirm and unsubscribe "
        "links in subscriber emails, e.g. https://status.example.com.",
    ),
    Setting(
        "WARROOM_NOTIFY_MAX_ATTEMPTS",
        "8",
        "Tries of one message (email or webhook) before it is marked failed; temporary "
        "failures are retried with a growing pause in between.",
    ),
    Setting(
        "WARROOM_NOTIFY_BACKOFF_SECONDS",
        "60",
        "The pause before a message's second try; it doubles with every further try "
        "(at most 6 hours).",
    ),
    Setting(
        "WARROOM_NOTIFY_TIMEOUT_SECONDS",
        "30",
        "How long a connection to the mail server or a webhook may stay silent before "
        "the try counts as failed.",
    ),
    Setting(
        "WARROOM_WEBHOOK_ALLOW_PRIVATE",
        "false",
        "true: status-page subscribers' webhooks may point to private, loopback and "
        "link-local addresses; false: only to public ones (customers' webhooks, from "
        "the registry, may point anywhere).",
    ),
    Setting(
        "WARROOM_SUBSCRIBE_LIMIT",
        "10",
        "Status-page subscribe requests accepted per client address per hour (and a "
        "third as many per email address or URL).",
    ),
    Setting(
        "WARROOM_BENCH_EMPTY_ROUTE",
        "false",
        "true: the server also answers POST /bench/empty with an empty handler, the "
        "ceiling benchmarks/intake_bench.py measures intake against. For benchmarks "
        "only.",
    ),
)


def _read(name: str, env: Mapping[str, str]) -> str | None:
    """A setting's value; `NAME_FILE` (a path) is read instead when set, for secrets."""
    file_var = f"{name}_FILE"
    if file_var in env:
        path = Path(env[file_var])
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(
                f"{file_var} points to {path}, which cannot be read: {exc.strerror or exc}"
            ) from None
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
    max_intake_body_bytes: int = 16 * 1024 * 1024
    db_pool_size: int = 5
    log_format: str = "json"
    session_hours: int = 12
    session_idle_minutes: int = 60
    signin_attempts: int = 5
    trusted_proxy: bool = False
    status_cache_seconds: int = 5
    status_title: str = "Service status"
    smtp_url: str | None = None
    smtp_password: str | None = None
    mail_from: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    notify_max_attempts: int = 8
    notify_backoff_seconds: int = 60
    notify_timeout_seconds: int = 30
    webhook_allow_private: bool = False
    subscribe_limit: int = 10
    bench_empty_route: bool = False

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
            change_lookback_minutes=_int(
                "WARROOM_CHANGE_LOOKBACK_MINUTES", env, low=0, high=7 * 24 * 60
            ),
            plan_cache=plan_cache_dir(env),
            sources_file=Path(sources) if (sources := _read("WARROOM_SOURCES_FILE", env)) else None,
            max_body_bytes=_int("WARROOM_MAX_BODY_BYTES", env, low=1024, high=1024**3),
            max_intake_body_bytes=_int(
                "WARROOM_MAX_INTAKE_BODY_BYTES", env, low=1024, high=1024**3
            ),
            db_pool_size=_int("WARROOM_DB_POOL_SIZE", env, low=1, high=1000),
            log_format=_choice("WARROOM_LOG_FORMAT", env, ("json", "text")),
            session_hours=_int("WARROOM_SESSION_HOURS", env, low=1, high=24 * 30),
            session_idle_minutes=_int(
                "WARROOM_SESSION_IDLE_MINUTES", env, low=1, high=24 * 60 * 30
            ),
            signin_attempts=_int("WARROOM_SIGNIN_ATTEMPTS", env, low=1, high=1000),
            trusted_proxy=_bool("WARROOM_TRUSTED_PROXY", env),
            status_cache_seconds=_int("WARROOM_STATUS_CACHE_SECONDS", env, low=0, high=3600),
            status_title=" ".join((_read("WARROOM_STATUS_TITLE", env) or "").split())[:200]
            or "Service status",
            smtp_url=_smtp_url(env),
            smtp_password=_read("WARROOM_SMTP_PASSWORD", env) or None,
            mail_from=_mail_from(env),
            public_url=_public_url(env),
            notify_max_attempts=_int("WARROOM_NOTIFY_MAX_ATTEMPTS", env, low=1, high=100),
            notify_backoff_seconds=_int(
                "WARROOM_NOTIFY_BACKOFF_SECONDS", env, low=0, high=24 * 3600
            ),
            notify_timeout_seconds=_int("WARROOM_NOTIFY_TIMEOUT_SECONDS", env, low=1, high=600),
            webhook_allow_private=_bool("WARROOM_WEBHOOK_ALLOW_PRIVATE", env),
            subscribe_limit=_int("WARROOM_SUBSCRIBE_LIMIT", env, low=1, high=100_000),
            bench_empty_route=_bool("WARROOM_BENCH_EMPTY_ROUTE", env),
        )


def database_url(url: str) -> str:
    """A database URL warroom can open, the PostgreSQL driver made explicit."""
    if "://" not in url:
        raise SettingsError(
            f"WARROOM_DATABASE_URL={url!r} is not a database URL; expected e.g. "
            "sqlite:///warroom.db or postgresql+psycopg://user@host/warroom"
        )
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        # psycopg 3 is the driver warroom ships with
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    scheme = url.split("://", 1)[0]
    if scheme not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        raise SettingsError(
            f"the database URL uses {scheme}://, which warroom does not support; "
            "expected sqlite:///FILE or postgresql://user@host/db"
        )
    return url


def _smtp_url(env: Mapping[str, str]) -> str | None:
    value = (_read("WARROOM_SMTP_URL", env) or "").strip()
    if not value:
        return None
    from warroom.notify.email import parse_smtp_url  # smtplib: only when mail is set up

    try:
        parse_smtp_url(value)
    except ValueError as error:
        raise SettingsError(f"WARROOM_SMTP_URL: {error}") from None
    return value


def _mail_from(env: Mapping[str, str]) -> str | None:
    from warroom.domain.contacts import email_problem

    value = (_read("WARROOM_MAIL_FROM", env) or "").strip()
    if value and (problem := email_problem(value)):
        raise SettingsError(f"WARROOM_MAIL_FROM: {problem}")
    return value or None


def _public_url(env: Mapping[str, str]) -> str:
    from warroom.domain.contacts import webhook_url_problem

    value = (_read("WARROOM_PUBLIC_URL", env) or "").strip().rstrip("/")
    if (problem := webhook_url_problem(value)) is not None or "?" in value:
        raise SettingsError(
            f"WARROOM_PUBLIC_URL={value!r}: "
            f"{problem or 'has a query'}; expected e.g. "
            "https://status.example.com"
        )
    return value


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
