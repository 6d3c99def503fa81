"""The database tables. Migrations (store/migrations) create them; code reads them from here."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from warroom.store.types import UTCDateTime

metadata = MetaData()

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("detected_on", Date, nullable=False),  # the date in the ID, for the day's sequence
    Column("sequence", Integer, nullable=False),
    Column("title", String(500), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("classification", String(16), nullable=False),
    Column("roles", JSON, nullable=False),  # {"commander": "Jane Doe", ...}
    Column("scope_regions", JSON, nullable=True),  # null = all
    Column("scope_services", JSON, nullable=True),  # null = all
    Column("data_loss", Text, nullable=True),
    Column("summary", Text, nullable=True),
    Column("public_summary", Text, nullable=True),
    Column("root_cause", Text, nullable=True),
    Column("public_root_cause", Text, nullable=True),
    Column("contributing_factors", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("version", Integer, nullable=False),  # bumped on every save: optimistic locking
    UniqueConstraint("detected_on", "sequence", name="uq_incidents_day_sequence"),
)

timeline_entries = Table(
    "timeline_entries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", String(32), ForeignKey("incidents.id", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("author", String(200), nullable=True),
    Column("audience", String(16), nullable=False),
)

corrective_actions = Table(
    "corrective_actions",
    metadata,
    Column("incident_id", String(32), ForeignKey("incidents.id", ondelete="CASCADE"),
           primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("title", Text, nullable=False),
    Column("owner", String(200), nullable=True),
    Column("due", Date, nullable=True),
    Column("status", String(16), nullable=False),
    Column("link", Text, nullable=True),
    Column("audience", String(16), nullable=False),
)

# Append-only: the migration installs triggers that refuse UPDATE and DELETE.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),  # "incident.declare", "sla.approve", ...
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", String(64), nullable=False, index=True),
    Column("changes", JSON, nullable=False),  # {"field": {"before": ..., "after": ...}}
)
