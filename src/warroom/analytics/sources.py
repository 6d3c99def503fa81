"""Where request logs come from: files, globs, folders and database tables, and opening them.

Source syntax (one string, as typed after ``--requests``):

==================================================  =======================================
``logs/requests.parquet``                           a Parquet file
``logs/2025-11-*.parquet``, ``logs/**/*.parquet``   every Parquet file the glob matches
``logs/``                                           every ``*.parquet`` file under a folder
                                                    (or every ``*.csv`` when it has no Parquet)
``logs/requests.csv``, ``.csv.gz``, ``.tsv``        CSV with a header row (numbers sniffed;
                                                    times read as text, which must carry
                                                    a UTC offset, e.g. ``...T14:02:00Z``)
``parquet:PATH``, ``csv:PATH``                      force the format whatever the name
``duckdb:///abs/path/logs.db#requests``             table ``requests`` of a DuckDB file
``duckdb://relative/logs.db#analytics.requests``    (``schema.table`` works too;
                                                    ``?table=NAME`` is accepted for ``#NAME``)
``postgresql://user:pw@host:5432/db#requests``      a PostgreSQL table (any libpq URL;
                                                    ``#schema.table``; password may come from
                                                    ``PGPASSWORD`` or ``~/.pgpass``)
==================================================  =======================================

Files run on either engine, opened as the engine's view `SOURCE`. DuckDB files and
PostgreSQL tables run on DuckDB: a PostgreSQL table is read through the window (the filter
runs in PostgreSQL) and staged into DuckDB in Arrow batches, never whole in Python.

Smaller tables kept the same ways (the customer registry) are read row by row with
`read_rows`, in batches, each row numbered within its file or table.
"""

# Ibis ships without type information: its types are Any to mypy.
from __future__ import annotations

import glob
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from warroom.analytics.engines import SOURCE, DuckDBEngine, Engine
from warroom.domain.errors import WarroomError

if TYPE_CHECKING:
    import ibis.expr.types as ir

SourceKind = Literal["parquet", "csv", "duckdb", "postgresql"]

PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.zst", ".tsv", ".tsv.gz", ".txt")
DUCKDB_SUFFIXES = (".duckdb", ".ddb", ".db")
_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2")
_CSV_TYPES = ("BOOLEAN", "BIGINT", "DOUBLE", "VARCHAR")


class UnreadableSource(WarroomError):
    """The request log cannot be found or read; nothing was computed."""

    code = "unreadable_source"


@dataclass(frozen=True)
class Source:
    """A parsed ``--requests`` value. `text` is what the user wrote (minus any password)."""

    text: str
    kind: SourceKind
    location: str  # path, glob or connection URL (without the table)
    table: str | None = None  # for database sources: "name" or "schema.name"

    @property
    def is_database(self) -> bool:
        return self.kind in ("duckdb", "postgresql")


def parse_source(text: str | Path) -> Source:
    """Understand a ``--requests`` value; refuse what cannot be a request log, naming why."""
    raw = str(text).strip()
    if not raw:
        raise UnreadableSource("no request log given: pass --requests PATH or URL")
    scheme = raw.split("://", 1)[0].lower() if "://" in raw else ""
    if scheme in _POSTGRES_SCHEMES:
        return _parse_postgres(raw)
    if scheme == "duckdb":
        return _parse_duckdb(raw)
    if scheme:
        raise UnreadableSource(
            f"{raw}: unsupported source scheme {scheme!r}; use a Parquet or CSV path, "
            "duckdb:///path/file.db#table or postgresql://user@host/db#table"
        )
    forced: SourceKind | None = None
    for prefix in ("parquet:", "csv:"):
        if raw.lower().startswith(prefix):
            forced = "parquet" if prefix == "parquet:" else "csv"
            raw = raw[len(prefix) :]
    return _parse_path(raw, forced)


def _parse_path(raw: str, forced: SourceKind | None) -> Source:
    path = Path(raw).expanduser()
    shown = raw
    if glob.has_magic(raw):
        matches = sorted(p for p in glob.glob(str(path), recursive=True) if Path(p).is_file())
        if not matches:
            raise UnreadableSource(f"{shown}: no file matches this pattern")
        kind = forced or _kind_of(Path(matches[0]), shown)
        return Source(shown, kind, str(path))
    if path.is_dir():
        if forced != "csv":
            parquet = [p for p in path.rglob("*") if p.suffix.lower() in PARQUET_SUFFIXES]
            if parquet:
                return Source(shown, "parquet", str(path / "**" / f"*{parquet[0].suffix}"))
        csv = sorted(p for p in path.rglob("*") if _has_suffix(p, CSV_SUFFIXES))
        if csv and forced != "parquet":
            return Source(shown, "csv", str(path / "**" / f"*{_suffix(csv[0], CSV_SUFFIXES)}"))
        raise UnreadableSource(f"{shown}: the folder holds no Parquet or CSV files")
    if not path.exists():
        raise UnreadableSource(f"{shown}: no such file or folder")
    try:
        with path.open("rb") as handle:
            magic = handle.read(16)
    except OSError as exc:
        raise UnreadableSource(f"{shown}: cannot be read ({exc.strerror or exc})") from None
    if forced:
        return Source(shown, forced, str(path))
    if magic.startswith(b"SQLite format 3"):
        raise UnreadableSource(f"{shown}: is an SQLite database; export the table to Parquet")
    if magic[8:12] == b"DUCK":
        raise UnreadableSource(
            f"{shown}: is a DuckDB database; name the table: duckdb://{raw}#TABLE"
        )
    return Source(shown, _kind_of(path, shown, magic), str(path))


def _kind_of(path: Path, shown: str, magic: bytes | None = None) -> SourceKind:
    if path.suffix.lower() in PARQUET_SUFFIXES or (magic or b"").startswith(b"PAR1"):
        return "parquet"
    if _has_suffix(path, CSV_SUFFIXES):
        return "csv"
    if path.suffix.lower() in DUCKDB_SUFFIXES:
        raise UnreadableSource(
            f"{shown}: looks like a database file; name the table: duckdb://{path}#TABLE"
        )
    raise UnreadableSource(
        f"{shown}: unknown format (expected .parquet or .csv; prefix parquet: or csv: to say which)"
    )


def _has_suffix(path: Path, suffixes: tuple[str, ...]) -> bool:
    return _suffix(path, suffixes) is not None


def _suffix(path: Path, suffixes: tuple[str, ...]) -> str | None:
    name = path.name.lower()
    return next((s for s in sorted(suffixes, key=len, reverse=True) if name.endswith(s)), None)


def _parse_duckdb(raw: str) -> Source:
    rest = raw.split("://", 1)[1]
    rest, _, fragment = rest.partition("#")
    rest, _, query = rest.partition("?")
    table = fragment or dict(parse_qsl(query)).get("table")
    if not rest:
        raise UnreadableSource(f"{raw}: no database file; e.g. duckdb:///data/logs.db#requests")
    if not table:
        raise UnreadableSource(f"{raw}: which table? add it after '#': duckdb://{rest}#requests")
    path = Path(rest).expanduser()
    if not path.is_file():
        raise UnreadableSource(f"{raw}: no such DuckDB database file {path}")
    return Source(f"duckdb://{rest}#{table}", "duckdb", str(path), table)


# libpq parameters that carry secrets: never echoed, stored or written to the audit log
_SECRET_PARAMETERS = frozenset({"password", "sslpassword", "passfile", "sslkey"})


def _parse_postgres(raw: str) -> Source:
    try:
        parts = urlsplit(raw)
        password = parts.password
    except ValueError as exc:
        raise UnreadableSource(
            f"the PostgreSQL URL is malformed ({exc}); expected e.g. "
            "postgresql://user@host:5432/db#requests"
        ) from None
    table = parts.fragment
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "table"]
    table = table or dict(parse_qsl(parts.query)).get("table", "")
    scheme = "postgresql"
    location = urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), ""))
    shown_netloc = parts.netloc
    if password is not None:  # never echo or store a password
        shown_netloc = shown_netloc.replace(f":{password}@", ":***@", 1)
    shown_query = [(k, "***" if k.lower() in _SECRET_PARAMETERS else v) for k, v in query]
    shown = urlunsplit((scheme, shown_netloc, parts.path, urlencode(shown_query), table))
    if not table:
        raise UnreadableSource(f"{shown}: which table? add it after '#': {shown}#requests")
    return Source(shown, "postgresql", location, table)


# -- opening ----------------------------------------------------------------------------------


def open_source(spec: Source, engine: Engine) -> ir.Table | None:
    """Open the request log as the view `SOURCE` on `engine` (files, DuckDB files), or, for
    PostgreSQL, return the table where it lives for `stage` to bring over."""
    if spec.is_database and engine.name != "duckdb":
        what = "PostgreSQL tables" if spec.kind == "postgresql" else "DuckDB database files"
        raise UnreadableSource(
            f"{spec.text}: {what} are read with the DuckDB backend (--backend duckdb); "
            "for Spark, export the table to Parquet first"
        )
    if spec.kind == "postgresql":
        return _open_postgres(spec)
    try:
        if isinstance(engine, DuckDBEngine):
            if spec.kind == "duckdb":
                _open_duckdb_file(spec, engine)
            elif spec.kind == "parquet":
                union = ", union_by_name = true" if glob.has_magic(spec.location) else ""
                if union:
                    check_same_columns(spec)
                engine.view(SOURCE, f"SELECT * FROM read_parquet({_literal(spec.location)}{union})")
            else:
                types = ", ".join(_literal(t) for t in _CSV_TYPES)
                # times stay text, so that their offsets can be checked before they are cast
                engine.view(
                    SOURCE,
                    f"SELECT * FROM read_csv({_literal(spec.location)}, "
                    f"auto_type_candidates = [{types}])",
                )
        else:
            if spec.kind == "parquet" and glob.has_magic(spec.location):
                check_same_columns(spec)
            reader = engine.session.read
            path = _spark_path(spec.location)
            # a pattern no time matches keeps times as text, so that their offsets are
            # checked before they are cast (Spark would read "14:02" as UTC without asking)
            engine.register(
                SOURCE,
                reader.parquet(path)
                if spec.kind == "parquet"
                else reader.csv(path, header=True, inferSchema=True, timestampFormat="'text'"),
            )
        return None
    except WarroomError:
        raise
    except Exception as exc:  # the engine's own words say what is wrong with the file
        raise UnreadableSource(
            f"{spec.text}: cannot be read as {spec.kind.upper()}: {engine_message(exc)}"
        ) from None


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _spark_path(location: str) -> str:
    # Spark reads folders itself and does not know `**`: give it the folder instead
    if "/**/" in location:
        return location.split("/**/", 1)[0]
    return location


def _open_duckdb_file(spec: Source, engine: DuckDBEngine) -> None:
    alias = "warroom_source_db"
    try:
        engine.con.execute(f"ATTACH {_literal(spec.location)} AS {alias} (READ_ONLY)")
    except Exception as exc:
        raise UnreadableSource(
            f"{spec.text}: cannot open the DuckDB database: {engine_message(exc)}"
        ) from None
    schema, _, table = (spec.table or "").rpartition(".")
    schema = schema or "main"
    tables = [
        row[0]
        for row in engine.con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = ? AND table_schema = ? ORDER BY 1",
            [alias, schema],
        ).fetchall()
    ]
    if table not in tables:
        found = ", ".join(tables) or "none"
        raise UnreadableSource(
            f"{spec.text}: no table {spec.table!r} in {spec.location} (tables in schema "
            f"{schema}: {found})"
        )
    engine.view(SOURCE, f'SELECT * FROM {alias}."{schema}"."{table}"')


def _open_postgres(spec: Source) -> ir.Table:
    import ibis
    import psycopg

    try:
        connection = psycopg.connect(spec.location, autocommit=True)
    except Exception as exc:
        raise UnreadableSource(
            f"{spec.text}: cannot connect to PostgreSQL: {engine_message(exc)}"
        ) from None
    schema, _, table = (spec.table or "").rpartition(".")
    schema = schema or "public"
    tables = [
        row[0]
        for row in connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1",
            [schema],
        ).fetchall()
    ]
    if table not in tables:
        found = ", ".join(tables) or "none"
        connection.close()
        raise UnreadableSource(
            f"{spec.text}: no table {spec.table!r} (tables in schema {schema}: {found})"
        )
    return ibis.postgres.from_connection(connection).table(table, database=schema)


def stage(table: ir.Table, engine: DuckDBEngine, *, batch_rows: int = 100_000) -> None:
    """Copy `table` (a table elsewhere, already cut to the window and the needed columns so
    that the filter runs where the data lives) into the DuckDB temporary table `SOURCE`,
    one Arrow batch at a time."""
    try:
        reader = table.to_pyarrow_batches(chunk_size=batch_rows)
        engine.con.register("warroom_staging", reader)
        engine.con.execute(f'CREATE TEMP TABLE "{SOURCE}" AS SELECT * FROM warroom_staging')
        engine.con.unregister("warroom_staging")
    except Exception as exc:
        raise UnreadableSource(f"cannot read the request log: {engine_message(exc)}") from None


def check_same_columns(spec: Source) -> None:
    """Refuse a set of Parquet files whose columns differ: read together, a file lacking a
    column (or holding times without a zone) would lose its rows without a word."""
    import duckdb

    rows = (
        duckdb.connect()
        .execute(
            "SELECT file_name, name, coalesce(logical_type, '') FROM parquet_schema(?) "
            "WHERE coalesce(num_children, 0) = 0 ORDER BY file_name",
            [spec.location],
        )
        .fetchall()
    )
    columns: dict[str, dict[str, str]] = {}
    for file_name, name, logical in rows:
        zone = (
            "with time zone"
            if "isAdjustedToUTC=1" in logical
            else "without time zone"
            if "isAdjustedToUTC=0" in logical
            else ""
        )
        columns.setdefault(file_name, {})[name] = zone
    files = list(columns)
    first = columns[files[0]] if files else {}
    for other in files[1:]:
        found = columns[other]
        missing = sorted(set(first) - set(found))
        extra = sorted(set(found) - set(first))
        zones = sorted(n for n in set(first) & set(found) if first[n] != found[n])
        if missing or extra or zones:
            parts = (
                ([f"lacks {', '.join(missing)}"] if missing else [])
                + ([f"has {', '.join(extra)}"] if extra else [])
                + [f"holds {n} {found[n] or 'as another type'}" for n in zones]
            )
            raise UnreadableSource(
                f"{spec.text}: the files do not share their columns: {other} "
                f"{', '.join(parts)}, unlike {files[0]}; analyse them separately or make "
                "their columns agree"
            )


def engine_message(exc: BaseException) -> str:
    """The first meaningful line of an engine's error, without its stack or hints."""
    text = str(exc).strip() or type(exc).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else text
    return first[:500]


# -- reading rows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RowBatch:
    """Rows of a table-like source as plain Python values, column by column, with where
    each row comes from: its file (or the table) and its 1-based number there."""

    columns: dict[str, list[Any]]
    sources: list[str]
    rows: list[int]

    def __len__(self) -> int:
        return len(self.rows)


def read_rows(spec: Source, *, batch_rows: int = 10_000) -> Iterator[RowBatch]:
    """Every row of a Parquet file set, a DuckDB table, a PostgreSQL table or a CSV file
    DuckDB reads (compressed ones; every value as text), in batches: never the whole
    source in memory. Raises UnreadableSource when it cannot be read."""
    if spec.kind == "postgresql":
        yield from _postgres_rows(spec, batch_rows)
        return
    import duckdb

    con = duckdb.connect()
    try:
        if spec.kind == "duckdb":
            engine = DuckDBEngine(con)
            _open_duckdb_file(spec, engine)
            query = f'SELECT * FROM "{SOURCE}"'
            named = False
        elif spec.kind == "parquet":
            if glob.has_magic(spec.location):
                check_same_columns(spec)
            query = (
                f"SELECT * FROM read_parquet({_literal(spec.location)}, filename = true, "
                "file_row_number = true)"
            )
            named = True
        else:
            query = (
                f"SELECT * FROM read_csv({_literal(spec.location)}, all_varchar = true, "
                "filename = true)"
            )
            named = False
        try:
            relation: Any = con.sql(query)
            # DuckDB 2 calls it to_arrow_reader, 1.x fetch_arrow_reader
            batches = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
            reader = batches(batch_rows)
        except WarroomError:
            raise
        except Exception as exc:
            raise UnreadableSource(
                f"{spec.text}: cannot be read as {spec.kind.upper()}: {engine_message(exc)}"
            ) from None
        counts: dict[str, int] = {}  # rows seen so far in each file
        for batch in reader:
            columns = batch.to_pydict()
            if named:
                sources = [str(name) for name in columns.pop("filename")]
                rows = [number + 1 for number in columns.pop("file_row_number")]
            else:
                files = columns.pop("filename", None) or [spec.text] * batch.num_rows
                sources = [str(name) for name in files]
                rows = []
                for name in sources:
                    counts[name] = counts.get(name, 0) + 1
                    rows.append(counts[name])
            yield RowBatch(columns, sources, rows)
    finally:
        con.close()


def _postgres_rows(spec: Source, batch_rows: int) -> Iterator[RowBatch]:
    table = _open_postgres(spec)
    try:
        try:
            reader = table.to_pyarrow_batches(chunk_size=batch_rows)
        except Exception as exc:
            raise UnreadableSource(f"{spec.text}: cannot be read: {engine_message(exc)}") from None
        count = 0
        for batch in reader:
            size = batch.num_rows
            yield RowBatch(
                batch.to_pydict(), [spec.text] * size, list(range(count + 1, count + size + 1))
            )
            count += size
    finally:
        table._find_backend().disconnect()
