"""Routing rules: hand-checked decisions for real alerts, the defaults without a file,
matchers with Alertmanager's meaning, first match and `continue`, grouping and titles."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from warroom.domain.alerts import AlertIn, AlertSource, AlertStatus
from warroom.domain.routing import (
    DEFAULT_RULES,
    Defaults,
    LabelChoice,
    Matcher,
    MatchOp,
    Route,
    RouteDecision,
    RouteSettings,
    RoutingRules,
    SeverityRule,
    TitleTemplate,
    parse_matcher,
    route,
)
from warroom.domain.scope import Scope
from warroom.ingest.alertmanager import parse_webhook
from warroom.ingest.pagerduty import parse_event

FIXTURES = Path(__file__).parent.parent / "fixtures" / "alertmanager"
AT = datetime(2026, 11, 26, 19, 23, tzinfo=UTC)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def alert(
    source: AlertSource = AlertSource.ALERTMANAGER,
    *,
    name: str = "HighErrorRate",
    summary: str | None = "Checkout 5xx ratio above 5%",
    severity: str | None = None,
    group_key: str = '{}:{alertname="HighErrorRate"}',
    fingerprint: str = "69c2e62f",
    receiver: str | None = "incident-webhook",
    annotations: dict[str, str] | None = None,
    **labels: str,
) -> AlertIn:
    return AlertIn(
        source=source,
        key=f"{fingerprint}@x",
        fingerprint=fingerprint,
        status=AlertStatus.FIRING,
        name=name,
        at=AT,
        starts_at=AT,
        group_key=group_key,
        summary=summary,
        severity=severity if severity is not None else labels.get("severity"),
        labels={"alertname": name, **labels},
        annotations=annotations or {},
        receiver=receiver,
    )


def rules(*routes: Route, defaults: Defaults | None = None) -> RoutingRules:
    return RoutingRules(defaults=defaults or Defaults(), routes=routes)


# -- the defaults, on real alerts ----------------------------------------------------------------


def test_it_declares_the_real_critical_alert_by_default() -> None:
    [firing] = parse_webhook(fixture("alertmanager-0.25-webhook-firing-amtool.json"))
    assert route(firing) == RouteDecision(
        routes=(),
        service="checkout",
        region=None,
        severity="SEV-1",
        group_key='alertmanager:{}:{alertname="HighErrorRate", service="checkout"}',
        declare=True,
        resolve_incident=False,
        title="HighErrorRate - Checkout 5xx ratio above 5%",
    )


def test_it_stores_but_does_not_declare_the_real_warnings_by_default() -> None:
    decisions = [
        route(a) for a in parse_webhook(fixture("alertmanager-0.25-webhook-group-two-alerts.json"))
    ]
    assert [(d.severity, d.declare, d.service) for d in decisions] == [
        ("SEV-3", False, "db"),
        ("SEV-3", False, "db"),
    ]
    assert decisions[0].group_key == decisions[1].group_key  # one group, one incident
    assert [d.title for d in decisions] == [
        "DiskFull - Disk > 90% on db-1",
        "DiskFull - Disk > 90% on db-2",
    ]


def test_it_routes_a_pagerduty_event_by_its_payload_severity() -> None:
    event = parse_event(
        fixture("alertmanager-0.25-pagerduty-v2-trigger.json"),
        received_at=AT,
        new_dedup_key=lambda: "unused",
    )
    decision = route(event)
    assert (decision.severity, decision.declare, decision.service) == ("SEV-3", False, None)
    assert decision.group_key == f"pagerduty:{event.key}"
    assert decision.title == "HighLatency - [FIRING:1] HighLatency search (warning)"


@pytest.mark.parametrize(
    ("raw", "severity"),
    [
        ("critical", "SEV-1"),
        ("error", "SEV-2"),
        ("warning", "SEV-3"),
        ("info", "SEV-4"),
        ("CRITICAL", "SEV-1"),
        (" Warning ", "SEV-3"),
        ("SEV-2", "SEV-2"),
        ("sev4", "SEV-4"),
        ("page", "SEV-3"),
        ("P1", "SEV-3"),
        (None, "SEV-3"),
        ("", "SEV-3"),
    ],
)
def test_it_maps_source_severities_to_warroom_severities(raw: str | None, severity: str) -> None:
    decision = route(alert(severity=raw or ""))
    assert decision.severity == severity
    assert decision.declare is (severity in ("SEV-1", "SEV-2"))


def test_it_has_the_documented_defaults() -> None:
    assert DEFAULT_RULES.routes == ()
    defaults = DEFAULT_RULES.defaults
    assert defaults.service == LabelChoice(labels=("service",))
    assert defaults.region == LabelChoice(labels=("region",))
    assert defaults.declare == frozenset({"SEV-1", "SEV-2"})
    assert (defaults.group_by, defaults.resolve_incident) == ("group_key", False)


def test_it_gives_the_scope_of_an_incident_it_would_open() -> None:
    decision = route(alert(service="checkout", region="eu-west-1"))
    assert decision.scope == Scope(regions=("eu-west-1",), services=("checkout",))
    assert route(alert()).scope == Scope.everything()


# -- matchers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "op", "value"),
    [
        ('service="db"', "service", MatchOp.EQUAL, "db"),
        ("service=db", "service", MatchOp.EQUAL, "db"),
        (' env != "prod" ', "env", MatchOp.NOT_EQUAL, "prod"),
        ('instance=~"db-[0-9]+"', "instance", MatchOp.REGEX, "db-[0-9]+"),
        ('team!~"web|mobile"', "team", MatchOp.NOT_REGEX, "web|mobile"),
        ('team=""', "team", MatchOp.EQUAL, ""),
        ('say="a \\"quoted\\" word"', "say", MatchOp.EQUAL, 'a "quoted" word'),
    ],
)
def test_it_reads_alertmanager_matchers(text: str, name: str, op: MatchOp, value: str) -> None:
    assert parse_matcher(text) == Matcher(name=name, op=op, value=value)


@pytest.mark.parametrize(
    "text",
    [
        "service",
        '="db"',
        'service=="db"',
        'a="b",c="d"',
        'a="b" c',
        'x=~"("',
        "1x=y",
        "",
    ],
)
def test_it_refuses_what_is_not_one_matcher(text: str) -> None:
    with pytest.raises(ValueError):
        parse_matcher(text)


@pytest.mark.parametrize(
    ("text", "labels", "expected"),
    [
        ('service="db"', {"service": "db"}, True),
        ('service="db"', {"service": "db-2"}, False),
        ('service!="db"', {}, True),
        ('team=""', {}, True),  # a missing label reads as ""
        ('team!=""', {}, False),
        ('instance=~"db-.*"', {"instance": "db-1:9100"}, True),
        ('instance=~"db"', {"instance": "db-1"}, False),  # the whole value must match
        ('instance!~"db-.*"', {"instance": "web-1"}, True),
        ('instance=~".*"', {}, True),
    ],
)
def test_it_matches_labels_as_alertmanager_does(
    text: str, labels: dict[str, str], expected: bool
) -> None:
    assert parse_matcher(text).matches(labels) is expected


# -- routes ------------------------------------------------------------------------------------

DATABASE = Route(
    name="database",
    matchers=(parse_matcher('service=~"db|postgres"'),),
    settings=RouteSettings(severity=SeverityRule(fixed="SEV-1"), group_by=("service", "region")),
)
STAGING = Route(
    name="staging",
    matchers=(parse_matcher('env="staging"'),),
    settings=RouteSettings(declare=False),
)


def test_it_stops_at_the_first_matching_route() -> None:
    decision = route(alert(service="db", env="staging"), rules(DATABASE, STAGING))
    assert decision.routes == ("database",)
    assert (decision.severity, decision.declare) == ("SEV-1", True)
    decision = route(alert(service="db", env="staging"), rules(STAGING, DATABASE))
    assert decision.routes == ("staging",)
    assert (decision.severity, decision.declare) == ("SEV-3", False)


def test_it_layers_routes_that_continue() -> None:
    regions = Route(
        name="regions",
        continue_matching=True,
        settings=RouteSettings(region=LabelChoice(("cluster_region",), "eu"), declare=True),
    )
    decision = route(
        alert(service="db", cluster_region="us-east-1", severity="info"),
        rules(regions, STAGING, DATABASE),
    )
    assert decision.routes == ("regions", "database")
    assert decision.region == "us-east-1"
    assert decision.severity == "SEV-1"  # from database: regions did not set it
    assert decision.declare is True  # from regions: the first route to set it wins


def test_it_leaves_unmatched_alerts_to_the_defaults() -> None:
    decision = route(alert(service="web", severity="critical"), rules(DATABASE, STAGING))
    assert decision.routes == ()
    assert (decision.severity, decision.declare) == ("SEV-1", True)


def test_it_matches_by_source_and_receiver() -> None:
    pd_only = Route(
        name="pd", sources=frozenset({AlertSource.PAGERDUTY}), settings=RouteSettings(declare=False)
    )
    ops = Route(
        name="ops", receivers=frozenset({"team.ops"}), settings=RouteSettings(declare=False)
    )
    critical = {"severity": "critical"}
    assert route(alert(**critical), rules(pd_only)).routes == ()
    assert route(
        alert(AlertSource.PAGERDUTY, receiver=None, **critical), rules(pd_only)
    ).routes == ("pd",)
    assert route(alert(**critical), rules(ops)).routes == ()
    assert route(alert(receiver="team.ops", **critical), rules(ops)).routes == ("ops",)


def test_it_reads_service_and_region_from_labels_with_defaults() -> None:
    defaults = Defaults(
        service=LabelChoice(("service", "app")), region=LabelChoice(("region",), "eu-west-1")
    )
    decision = route(alert(app="search", region=""), rules(defaults=defaults))
    assert (decision.service, decision.region) == ("search", "eu-west-1")
    fixed = Route(name="fixed", settings=RouteSettings(service=LabelChoice((), "payments")))
    assert route(alert(service="checkout"), rules(fixed)).service == "payments"


def test_it_maps_the_severity_of_another_label() -> None:
    priority = Defaults(
        severity=SeverityRule(label="priority", map={"P1": "SEV-1"}, default="SEV-4")
    )
    assert (
        route(alert(priority="p1", severity="info"), rules(defaults=priority)).severity == "SEV-1"
    )
    assert route(alert(severity="critical"), rules(defaults=priority)).severity == "SEV-4"


@pytest.mark.parametrize(
    ("declare", "expected"),
    [
        (True, True),
        (False, False),
        (frozenset({"SEV-4"}), True),
        (frozenset(), False),
    ],
)
def test_it_declares_as_told(declare: bool | frozenset[str], expected: bool) -> None:
    told = Route(name="told", settings=RouteSettings(declare=declare))
    assert route(alert(severity="info"), rules(told)).declare is expected


def test_it_resolves_incidents_only_when_a_rule_says_so() -> None:
    assert route(alert()).resolve_incident is False
    capacity = Route(name="capacity", settings=RouteSettings(resolve_incident=True))
    assert route(alert(), rules(capacity)).resolve_incident is True


# -- grouping ----------------------------------------------------------------------------------


def test_it_groups_by_labels_across_source_groups_within_a_route() -> None:
    one = alert(service="db", region="eu", group_key='{}:{alertname="A"}', fingerprint="a1")
    two = alert(service="db", region="eu", group_key='{}:{alertname="B"}', fingerprint="b2")
    other_region = alert(service="db", region="us", fingerprint="c3")
    keys = [route(a, rules(DATABASE)).group_key for a in (one, two, other_region)]
    assert keys[0] == keys[1] == 'labels:database:[["region","eu"],["service","db"]]'
    assert keys[2] != keys[0]
    by_defaults = rules(defaults=Defaults(group_by=("service", "region")))
    assert route(one, by_defaults).group_key == 'labels:defaults:[["region","eu"],["service","db"]]'


def test_it_groups_every_alert_alone_when_told() -> None:
    alone = rules(defaults=Defaults(group_by="alert"))
    assert route(alert(fingerprint="a1"), alone).group_key == "alertmanager:alert:a1"
    assert route(alert(fingerprint="b2"), alone).group_key == "alertmanager:alert:b2"


def test_it_hashes_group_keys_too_long_for_a_column() -> None:
    key = route(alert(group_key="{}:{" + "x" * 400 + "}")).group_key
    assert key.startswith("sha256:") and len(key) == 71
    assert route(alert(group_key="{}:{" + "x" * 400 + "}")).group_key == key


# -- titles ------------------------------------------------------------------------------------


def titled(template: str, **kwargs: Any) -> str:
    return route(alert(**kwargs), rules(defaults=Defaults(title=TitleTemplate(template)))).title


def test_it_fills_title_placeholders() -> None:
    assert (
        titled(
            "{severity} {name} on {service}/{region} ({source}): {summary}",
            service="db",
            region="eu",
            severity="critical",
        )
        == "SEV-1 HighErrorRate on db/eu (alertmanager): Checkout 5xx ratio above 5%"
    )
    assert (
        titled(
            "Database {labels.cluster}: {annotations.what}",
            cluster="main",
            annotations={"what": "replication lag"},
        )
        == "Database main: replication lag"
    )
    assert titled("{{literal}} {name}") == "{literal} HighErrorRate"


def test_it_leaves_missing_values_empty_and_folds_space() -> None:
    assert titled("{name}  {labels.nothing}  on {service}") == "HighErrorRate on"


def test_it_falls_back_to_the_default_title_when_a_template_gives_nothing() -> None:
    assert titled("{labels.nothing}") == "HighErrorRate - Checkout 5xx ratio above 5%"
    assert route(alert(summary=None)).title == "HighErrorRate"


def test_it_cuts_long_titles() -> None:
    title = route(alert(summary="s" * 500)).title
    assert len(title) == 200 and title.endswith("…")


@pytest.mark.parametrize("text", ["{nam}", "{labels.}", "a { b", "a } b", "{labels}"])
def test_it_refuses_unknown_placeholders_and_lone_braces(text: str) -> None:
    with pytest.raises(ValueError):
        TitleTemplate(text)
