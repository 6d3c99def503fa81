"""Reading the routing rules file: the example, the defaults without a file, how routes fill
in from `defaults`, and a clear error with its line for each mistake."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from warroom.domain.alerts import AlertSource
from warroom.domain.errors import InvalidInput
from warroom.domain.routing import (
    DEFAULT_RULES,
    DEFAULT_SEVERITY_MAP,
    LabelChoice,
    RoutingRules,
    SeverityRule,
    TitleTemplate,
    parse_matcher,
    route,
)
from warroom.formats.routing_file import (
    MAX_ROUTING_BYTES,
    load_routing,
    read_routing_file,
    read_routing_text,
)
from warroom.ingest.alertmanager import parse_webhook
from warroom.ingest.pagerduty import parse_event

ROOT = Path(__file__).parent.parent.parent
EXAMPLE = ROOT / "examples" / "routing.yaml"
FIXTURES = ROOT / "tests" / "fixtures" / "alertmanager"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def problems(text: str) -> list[tuple[int | None, str, str]]:
    """(line, field, code) of every problem in a routing file's text."""
    with pytest.raises(InvalidInput) as caught:
        read_routing_text(text, source="routing.yaml")
    assert all(p.source == "routing.yaml" for p in caught.value.problems)
    return [(p.line, p.field, p.code) for p in caught.value.problems]


# -- the example and the defaults ----------------------------------------------------------------


def test_it_reads_the_example_file() -> None:
    rules = read_routing_file(EXAMPLE)
    assert rules.defaults.service == LabelChoice(("service", "app"))
    assert rules.defaults.region == LabelChoice(("region",), "eu-west-1")
    assert rules.defaults.severity.map == {**DEFAULT_SEVERITY_MAP, "page": "SEV-2"}
    assert rules.defaults.title == TitleTemplate("{name} - {summary}")
    assert [r.name for r in rules.routes] == [
        "not-production",
        "database",
        "pagerduty",
        "ops-regions",
        "capacity",
    ]
    database = rules.routes[1]
    assert database.matchers == (parse_matcher('service=~"db|postgres"'),)
    assert database.settings.severity == SeverityRule(fixed="SEV-1")
    assert database.settings.group_by == ("service", "region")
    assert rules.routes[2].sources == frozenset({AlertSource.PAGERDUTY})
    assert rules.routes[3].receivers == frozenset({"team.ops"})
    assert rules.routes[3].continue_matching is True
    # a route's service/region mapping fills what it leaves out from `defaults`
    assert rules.routes[3].settings.region == LabelChoice(("cluster_region", "region"), "eu-west-1")


def test_it_routes_the_real_alerts_with_the_example_as_documented() -> None:
    rules = read_routing_file(EXAMPLE)
    [checkout] = parse_webhook(fixture("alertmanager-0.25-webhook-firing-amtool.json"))
    decision = route(checkout, rules)
    assert (
        decision.routes,
        decision.service,
        decision.region,
        decision.severity,
        decision.declare,
    ) == ((), "checkout", "eu-west-1", "SEV-1", True)
    disk = parse_webhook(fixture("alertmanager-0.25-webhook-group-two-alerts.json"))[0]
    decision = route(disk, rules)
    assert (decision.routes, decision.severity, decision.declare) == (("database",), "SEV-1", True)
    assert decision.group_key == 'labels:database:[["region",""],["service","db"]]'
    page = parse_event(
        fixture("alertmanager-0.25-pagerduty-v2-trigger.json"),
        received_at=datetime(2026, 11, 26, tzinfo=UTC),
        new_dedup_key=lambda: "unused",
    )
    decision = route(page, rules)
    assert (decision.routes, decision.service, decision.severity, decision.declare) == (
        ("pagerduty",),
        "search",
        "SEV-3",
        False,
    )


def test_it_uses_the_defaults_without_a_file() -> None:
    assert load_routing(None) is DEFAULT_RULES


def test_it_reads_an_empty_mapping_as_the_defaults() -> None:
    assert read_routing_text("{}") == RoutingRules()
    assert read_routing_text("defaults: {}\nroutes: []\n") == RoutingRules()


def test_it_reads_json_too(tmp_path: Path) -> None:
    path = tmp_path / "routing.json"
    path.write_text(
        json.dumps({"routes": [{"name": "db", "matchers": ['service="db"'], "declare": True}]})
    )
    assert read_routing_file(path).routes[0].settings.declare is True
    path.write_text('{"routes": [\n  {"name": "db",\n   "declare": "sometimes"}]}')
    with pytest.raises(InvalidInput) as caught:
        read_routing_file(path)
    [problem] = caught.value.problems
    assert (problem.line, problem.field) == (3, "routes[0].declare")


# -- how a route fills in ------------------------------------------------------------------------


def test_it_adds_a_routes_severity_map_to_the_defaults() -> None:
    rules = read_routing_text("""\
defaults:
  severity: {map: {page: SEV-2}, default: SEV-4}
routes:
  - name: ops
    severity: {map: {ticket: SEV-4, page: SEV-1}}
""")
    assert rules.defaults.severity == SeverityRule(
        map={**DEFAULT_SEVERITY_MAP, "page": "SEV-2"}, default="SEV-4"
    )
    assert rules.routes[0].settings.severity == SeverityRule(
        map={**DEFAULT_SEVERITY_MAP, "page": "SEV-1", "ticket": "SEV-4"}, default="SEV-4"
    )


def test_it_reads_short_forms() -> None:
    rules = read_routing_text("""\
routes:
  - matchers: ['team="db"']
    service: postgres
    severity: sev2
    declare: SEV-3
    group_by: cluster
    source: alertmanager
    receiver: team.db
""")
    settings = rules.routes[0].settings
    assert rules.routes[0].name == "routes[0]"
    assert settings.service == LabelChoice((), "postgres")  # a fixed name
    assert settings.severity == SeverityRule(fixed="SEV-2")
    assert settings.declare == frozenset({"SEV-3"})
    assert settings.group_by == ("cluster",)
    assert rules.routes[0].sources == frozenset({AlertSource.ALERTMANAGER})
    assert rules.routes[0].receivers == frozenset({"team.db"})


def test_it_clears_a_default_when_a_route_says_null() -> None:
    rules = read_routing_text("""\
defaults:
  region: {label: region, default: eu-west-1}
routes:
  - name: global
    region: {default: null}
""")
    assert rules.routes[0].settings.region == LabelChoice(("region",), None)


# -- every mistake, with its line ----------------------------------------------------------------


def test_it_names_the_line_of_every_mistake() -> None:
    text = """\
defaults:
  servce: {label: service}
  severity: {map: {page: SEV-7}}
routes:
  - name: db
    matchers: ['service=="db"']
    severity: SEV-9
    declare: [SEV-1, sometimes]
    group_by: 3
    title: "{nam} down"
  - name: other
    source: nagios
    continue: maybe
"""
    assert problems(text) == [
        (2, "defaults.servce", "extra_forbidden"),
        (3, "defaults.severity.map.page", "bad_severity"),
        (6, "routes[0].matchers[0]", "bad_matcher"),
        (7, "routes[0].severity", "bad_severity"),
        (8, "routes[0].declare", "bad_severity"),
        (9, "routes[0].group_by", "bad_group_by"),
        (10, "routes[0].title", "bad_template"),
        (12, "routes[1].source[0]", "literal_error"),
        (13, "routes[1].continue", "bool_parsing"),
    ]


def test_it_says_which_fields_it_knows() -> None:
    with pytest.raises(InvalidInput) as caught:
        read_routing_text("routes:\n  - name: a\n    matcher: ['a=\"b\"']\n")
    assert str(caught.value) == (
        "<input>, line 3, routes[0].matcher: unknown field 'matcher'; expected one of "
        "service, region, severity, declare, group_by, resolve_incident, title, name, "
        "matchers, source, receiver, continue"
    )


def test_it_refuses_two_routes_of_one_name() -> None:
    assert problems("routes:\n  - {name: db}\n  - {name: web}\n  - {name: db}\n") == [
        (4, "routes[2].name", "duplicate_name")
    ]
    assert problems("routes:\n  - {name: defaults}\n") == [(2, "routes[0].name", "reserved_name")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[]\n", [(1, "", "malformed")]),
        ("routes: {db: {}}\n", [(1, "routes", "list_type")]),
        ("routes:\n  - service: [a, b]\n", [(2, "routes[0].service", "bad_choice")]),
        ("routes:\n  - severity: 2.5\n", [(2, "routes[0].severity", "bad_severity")]),
        ("routes:\n  - group_by: []\n", [(2, "routes[0].group_by", "bad_group_by")]),
        ("routes:\n  - matchers: [3]\n", [(2, "routes[0].matchers[0]", "bad_matcher")]),
        ("routes:\n  - title: 3\n", [(2, "routes[0].title", "bad_template")]),
        (
            "defaults:\n  service: {label: ''}\n",
            [(2, "defaults.service.label[0]", "string_too_short")],
        ),
    ],
)
def test_it_refuses_each_wrong_shape(text: str, expected: list[tuple[int, str, str]]) -> None:
    assert problems(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("routes: [\n", "malformed"),
        ("a: &x 1\nb: *x\n", "malformed"),
        ("routes: !!python/object:os.system []\n", "bad_tag"),
    ],
)
def test_it_refuses_what_is_not_safe_plain_yaml(text: str, code: str) -> None:
    [(_line, _field, found)] = problems(text)
    assert found == code


def test_it_refuses_a_missing_or_huge_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as caught:
        read_routing_file(tmp_path / "nowhere.yaml")
    assert caught.value.problems[0].code == "unreadable"
    with pytest.raises(InvalidInput) as caught:
        read_routing_text("#" * (MAX_ROUTING_BYTES + 1))
    assert caught.value.problems[0].code == "too_large"
