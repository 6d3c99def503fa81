"""The database tables. Migrations (store/migrations) create them; code reads them from here."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from warroom.store.types import ExactDecimal, UTCDateTime

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
    Column(
        "incident_id", String(32), ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False
    ),
    Column("at", UTCDateTime, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("author", String(200), nullable=True),
    Column("audience", String(16), nullable=False),
    # an incident's entries, and the first entry of each kind (metrics, impact windows)
    # read from the index alone
    Index("ix_timeline_entries_milestones", "incident_id", "kind", "at"),
)

corrective_actions = Table(
    "corrective_actions",
    metadata,
    Column(
        "incident_id", String(32), ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    ),
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
    Column("entity_id", String(300), nullable=False, index=True),  # "alertmanager:KEY"
    Column("changes", JSON, nullable=False),  # {"field": {"before": ..., "after": ...}}
    Column("channel", String(16), nullable=False, server_default="cli"),  # services.Channel
    Column("os_login", String(200), nullable=True),  # who ran a CLI command on the database
    Column("token_id", String(64), nullable=True),  # the API or intake token used
)

users = Table(
    "users",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("name_key", String(200), nullable=False),  # store.users.name_key; unique
    Column("roles", JSON, nullable=False),  # ["legal", "finance", ...]
    Column("created_at", UTCDateTime, nullable=False),
    Column("password_hash", String(200), nullable=True),  # argon2; None = no password
    UniqueConstraint("name_key", name="uq_users_name_key"),
)

# One row per analysis; the newest of an incident is the one in force.
impact_analyses = Table(
    "impact_analyses",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "incident_id",
        String(32),
        ForeignKey("incidents.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("computed_at", UTCDateTime, nullable=False),
    Column("computed_by", String(200), nullable=False),
    Column("source", Text, nullable=False),
    Column("engine", String(32), nullable=False),
    Column("definition_hash", String(64), nullable=False),
    Column("customers_total", Integer, nullable=True),  # from the registry, when given
    Column("result", JSON, nullable=False),  # ImpactResult.to_json()
)

# The SLA assessment of an incident, stored in the format `store.assessments` owns
# (`format_version`): this header holds its inputs (the policy as read, where the policy
# and registry came from), the digests its fingerprint is made of, the review, and the
# totals; `sla_tier_totals` the totals by tier; `sla_credit_lines` one row per registry
# customer. Money is ExactDecimal everywhere; nothing here is the API's JSON.
sla_assessments = Table(
    "sla_assessments",
    metadata,
    Column(
        "incident_id", String(32), ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("format_version", Integer, nullable=False),
    Column("month", String(7), nullable=False, index=True),  # "2025-11"
    Column("state", String(24), nullable=False),
    Column("approvals", JSON, nullable=False),  # [{"role", "by", "fingerprint"}]
    Column("fingerprint", String(64), nullable=False),  # of every input: what approvals cover
    Column("policy", JSON, nullable=False),  # the policy file as read (formats.sla_policy)
    Column("policy_source", Text, nullable=False),
    Column("customers_source", Text, nullable=False),
    Column("policy_digest", String(64), nullable=True),  # the fingerprint's parts (format 2)
    Column("registry_digest", String(64), nullable=True),
    Column("impact_digest", String(64), nullable=True),
    Column("credited_by", JSON, nullable=False),  # [[incident_id, fingerprint]]: credits taken off
    Column("currency", String(3), nullable=True),
    Column("liability_low", ExactDecimal, nullable=False),
    Column("liability_high", ExactDecimal, nullable=False),
    Column("customers_total", Integer, nullable=False),  # the registry's size
    Column("customers_in_scope", Integer, nullable=False),
    Column("customers_no_sla", Integer, nullable=False),
    Column("logs_analysed", Boolean, nullable=False),
    Column("incidents_in_month", Integer, nullable=False),
    Column("incidents_without_logs", Integer, nullable=False),
    Column("measured_outside_window", Integer, nullable=False),
    Column("claim_deadline", Date, nullable=True),
    Column("exclusions", JSON, nullable=False),  # maintenance windows judged: times and flags
    Column("unregistered_customers", JSON, nullable=False),  # measured IDs not in the registry
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

sla_tier_totals = Table(
    "sla_tier_totals",
    metadata,
    Column(
        "incident_id", String(32), ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("position", Integer, primary_key=True),  # the policy's order
    Column("tier", String(200), nullable=False),
    Column("customers", Integer, nullable=False),
    Column("low", ExactDecimal, nullable=False),
    Column("high", ExactDecimal, nullable=False),
    Column("percents", JSON, nullable=False),  # the distinct non-zero percents, as text
)

# One row per customer of the registry an assessment was computed from (so it can be
# computed again), in registry order (`position`), with its credit line where the
# incident's scope reaches it (`in_scope`; the figures are null elsewhere).
sla_credit_lines = Table(
    "sla_credit_lines",
    metadata,
    Column(
        "incident_id", String(32), ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("customer_id", String(200), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("tier", String(200), nullable=False),
    Column("monthly_fee", ExactDecimal, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("regions", Text, nullable=False),  # ";"-separated, empty = every region
    Column("in_scope", Boolean, nullable=False),
    Column("has_sla", Boolean, nullable=False),
    Column("incident_minutes_measured", Integer, nullable=True),
    Column("incident_minutes_declared", Integer, nullable=True),
    Column("down_minutes_measured", Integer, nullable=True),
    Column("down_minutes_declared", Integer, nullable=True),
    Column("uptime_measured", ExactDecimal, nullable=True),
    Column("uptime_declared", ExactDecimal, nullable=True),
    Column("credit_percent_low", ExactDecimal, nullable=True),
    Column("credit_percent_high", ExactDecimal, nullable=True),
    Column("credit_low", ExactDecimal, nullable=True),
    Column("credit_high", ExactDecimal, nullable=True),
    Column("already_credited", ExactDecimal, nullable=True),
    Column("credit", ExactDecimal, nullable=True),  # what the customer is offered
    Column("owed", Boolean, nullable=False),  # has an SLA and a credit above 0
    # the lines of an assessment in registry order (pages, exports, recomputing)
    Index("ix_sla_credit_lines_order", "incident_id", "in_scope", "position"),
)

report_revisions = Table(
    "report_revisions",
    metadata,
    Column(
        "incident_id", String(32), ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("number", Integer, primary_key=True),
    Column("audience", String(16), nullable=False),
    Column("customer_id", String(200), nullable=True),
    Column("published_at", UTCDateTime, nullable=False),
    Column("published_by", String(200), nullable=False),
    Column("data", JSON, nullable=False),  # the report's JSON
    Column("markdown", Text, nullable=False),
)

# Alerts as monitoring systems delivered them; one row per (source, key), however many
# times it was delivered. `incident_id` is the incident it opened or joined, if any.
alerts = Table(
    "alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(16), nullable=False),
    Column("key", String(255), nullable=False),
    Column("fingerprint", String(255), nullable=False),
    Column("status", String(16), nullable=False),  # firing, acknowledged, resolved
    Column("name", String(255), nullable=False),
    Column("summary", Text, nullable=True),
    Column("severity", String(64), nullable=True),  # as the source said it
    Column("labels", JSON, nullable=False),
    Column("annotations", JSON, nullable=False),
    Column("starts_at", UTCDateTime, nullable=False),
    Column("ends_at", UTCDateTime, nullable=True),
    Column("last_event_at", UTCDateTime, nullable=False),  # the newest event applied
    Column("generator_url", Text, nullable=True),
    Column("receiver", String(255), nullable=True),
    Column("group_key", String(255), nullable=False, index=True),  # the routing's grouping
    Column("routed_severity", String(16), nullable=False),
    Column("service", String(200), nullable=True),
    Column("region", String(200), nullable=True),
    Column(
        "incident_id",
        String(32),
        ForeignKey("incidents.id", ondelete="SET NULL"),
        nullable=True,
        index=True,
    ),
    Column("first_received_at", UTCDateTime, nullable=False),
    Column("last_received_at", UTCDateTime, nullable=False),
    Column("deliveries", Integer, nullable=False),
    UniqueConstraint("source", "key", name="uq_alerts_source_key"),
)

# Changes to production reported by deploy tools and maintenance schedulers.
change_events = Table(
    "change_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(255), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("summary", Text, nullable=False),
    Column("service", String(200), nullable=True),
    Column("region", String(200), nullable=True),
    Column("source", String(200), nullable=True),
    Column("url", Text, nullable=True),
    Column("author", String(200), nullable=True),
    Column("received_at", UTCDateTime, nullable=False),
    Column("received_by", String(200), nullable=False),
)

# Which changes are shown on which incident's timeline (each once).
incident_changes = Table(
    "incident_changes",
    metadata,
    Column(
        "incident_id", String(32), ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    ),
    Column(
        "change_id", Integer, ForeignKey("change_events.id", ondelete="CASCADE"), primary_key=True
    ),
)

# API and intake tokens: only a SHA-256 of the secret is kept (tokens are random and long,
# so a slow hash buys nothing); `name` is the person an api token acts as, or the label of
# the monitoring system an intake token stands for.
api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(32), primary_key=True),  # the public part of the token
    Column("name", String(200), nullable=False),
    Column("name_key", String(200), nullable=False, index=True),  # store.users.name_key
    Column("scope", String(16), nullable=False),  # api | intake
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),  # None = never
    Column("last_used_at", UTCDateTime, nullable=True),
    Column("revoked_at", UTCDateTime, nullable=True),
    Column("revoked_by", String(200), nullable=True),
)

# Background work (impact runs; messages go through the outbox): claimed by one worker at a time
# under a lease that the worker renews; a lease that runs out means the worker died.
jobs = Table(
    "jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(64), nullable=False),  # services.jobs.JOB_KINDS
    Column("params", JSON, nullable=False),
    Column("state", String(16), nullable=False),  # queued | running | succeeded | failed
    Column("incident_id", String(32), nullable=True, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),  # the job runs as this person
    Column("channel", String(16), nullable=False),
    Column("token_id", String(64), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("worker", String(200), nullable=True),
    Column("progress", Float, nullable=False),  # 0.0 .. 1.0
    Column("started_at", UTCDateTime, nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("error", Text, nullable=True),
    Column("result", JSON, nullable=True),
    Index("ix_jobs_state_created", "state", "created_at"),
)

# Signed-in browser sessions: only a SHA-256 of the random session id is kept (the cookie
# holds the id); `csrf_secret` is the token every form of the session must send back.
sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("name", String(200), nullable=False),  # the person, as registered
    Column("name_key", String(200), nullable=False, index=True),  # store.users.name_key
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),  # absolute expiry
    Column("csrf_secret", String(64), nullable=False),
)

# Failed sign-ins, for the rate limits per name and per client address (shared by every
# server process through the database); rows older than the limit's window are pruned.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("name_key", String(200), nullable=False, index=True),
    Column("client", String(64), nullable=False, index=True),
)

# -- telling people (migration 0008) -------------------------------------------------------

# Where each customer's notices go, as its registry's contact columns said when loaded
# (`warroom contacts import`), and the secret its webhook deliveries are signed with.
customer_contacts = Table(
    "customer_contacts",
    metadata,
    Column("customer_id", String(200), primary_key=True),
    Column("emails", JSON, nullable=False),  # ["ops@acme.example", ...]; [] = none
    Column("webhook_url", Text, nullable=True),
    Column("webhook_secret", String(100), nullable=True),  # whsec_...; kept with the URL
    Column("source", Text, nullable=False),  # the registry it was loaded from
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
)

# Every message warroom sends, stored in the transaction that decided to send it and
# delivered by a worker (services.outbox). `key` makes the same message impossible to
# queue twice; `state` says where its delivery stands (store.outbox).
outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(300), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),  # customer_notice, status_update, ...
    Column("channel", String(16), nullable=False),  # email | webhook
    Column("recipient", Text, nullable=False),  # addresses (";"-separated) or the URL
    Column("incident_id", String(32), nullable=True, index=True),
    Column("customer_id", String(200), nullable=True),
    Column("subscriber_id", String(32), nullable=True, index=True),
    Column("revision", String(64), nullable=True),  # notices: the approved fingerprint
    Column("subject", Text, nullable=True),
    Column("body", Text, nullable=False),  # email: the text part; webhook: the JSON body
    Column("body_html", Text, nullable=True),
    Column("message_id", String(255), nullable=False),  # Message-ID / Warroom-Delivery
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_until", UTCDateTime, nullable=True),
    Column("worker", String(200), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("sent_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Index("ix_outbox_state_next", "state", "next_attempt_at"),
)

# People and systems that follow the status page: by email (after confirming) or by
# webhook, for some services and regions (null = all).
subscribers = Table(
    "subscribers",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("channel", String(16), nullable=False),  # email | webhook
    Column("address", Text, nullable=False),
    Column("address_key", String(300), nullable=False, index=True),  # lower-cased
    Column("services", JSON, nullable=True),
    Column("regions", JSON, nullable=True),
    Column("state", String(16), nullable=False),  # pending | active | unsubscribed
    Column("webhook_secret", String(100), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("confirmed_at", UTCDateTime, nullable=True),
    Column("unsubscribed_at", UTCDateTime, nullable=True),
    Index("ix_subscribers_state", "state"),
)

# Confirmation and unsubscribe links: only a SHA-256 of each random token is kept.
subscription_tokens = Table(
    "subscription_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "subscriber_id",
        String(32),
        ForeignKey("subscribers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("purpose", String(16), nullable=False),  # confirm | unsubscribe
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=True),
)

# Subscribe requests, for their rate limits (per client address and per address).
subscribe_attempts = Table(
    "subscribe_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("client", String(64), nullable=False, index=True),
    Column("address_key", String(300), nullable=False, index=True),
)

# Scheduled maintenance: the window, what it touches, and when it was announced (the
# fact that decides whether it excuses downtime under an SLA's notice rule).
maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("title", String(500), nullable=False),
    Column("description", Text, nullable=True),
    Column("starts_at", UTCDateTime, nullable=False, index=True),
    Column("ends_at", UTCDateTime, nullable=False),
    Column("services", JSON, nullable=True),  # null = all
    Column("regions", JSON, nullable=True),  # null = all
    Column("announced_at", UTCDateTime, nullable=True),
    Column("announced_by", String(200), nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("cancelled_at", UTCDateTime, nullable=True),
    Column("cancelled_by", String(200), nullable=True),
)
