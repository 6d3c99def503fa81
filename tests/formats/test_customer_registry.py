"""Reading the customer registry CSV: customers, and a clear error naming line and column."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from warroom.domain.customers import Customer
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.sla import Bracket, SlaPolicy, Tier
from warroom.formats import customer_registry
from warroom.formats.customer_registry import read_registry_file, read_registry_text

D = Decimal
HEADER = "customer_id,name,tier,monthly_fee,currency,regions\n"
POLICY = SlaPolicy(
    currency="USD",
    tiers=(
        Tier("enterprise", D("99.95"), (Bracket(D("99.95"), D(10)),)),
        Tier("business", D("99.9"), (Bracket(D("99.9"), D(5)),)),
    ),
)


def problems(text: str, policy: SlaPolicy | None = POLICY) -> list[Problem]:
    with pytest.raises(InvalidInput) as caught:
        read_registry_text(text, source="customers.csv", policy=policy)
    return caught.value.problems


def only_problem(text: str, policy: SlaPolicy | None = POLICY) -> Problem:
    [problem] = problems(text, policy)
    assert problem.source == "customers.csv"
    return problem


def test_it_reads_customers() -> None:
    text = HEADER + (
        "ACME,Acme Corp,enterprise,12000.50,USD,eu-west;us-east\n"
        'GLBX,"Globex, Inc",business,800,USD,\n'
    )
    assert read_registry_text(text, policy=POLICY) == (
        Customer("ACME", "Acme Corp", "enterprise", D("12000.50"), "USD", ("eu-west", "us-east")),
        Customer("GLBX", "Globex, Inc", "business", D("800"), "USD", ()),
    )


def test_it_reads_a_registry_file(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + "ACME,Acme,enterprise,1,USD,\n")
    assert [c.customer_id for c in read_registry_file(path, policy=POLICY)] == ["ACME"]


def test_it_tidies_spaces_duplicates_and_a_byte_order_mark() -> None:
    text = (
        "\ufeff Customer_ID , name,tier,monthly_fee,currency,regions\n"
        "  ACME , Acme ,enterprise, 10 ,USD, eu ; us;eu ;\n"
    )
    [acme] = read_registry_text(text)
    assert (acme.customer_id, acme.name, acme.monthly_fee, acme.regions) == (
        "ACME",
        "Acme",
        D(10),
        ("eu", "us"),
    )


def test_it_ignores_extra_columns_and_blank_lines() -> None:
    text = (
        "notes,customer_id,name,tier,monthly_fee,currency,regions\n\n"
        "vip,ACME,Acme,enterprise,1,USD,\n\n"
    )
    assert read_registry_text(text)[0].customer_id == "ACME"


def test_it_refuses_a_registry_without_customers() -> None:
    # an assessment over no customers would report a liability of 0.00 as if it were true
    with pytest.raises(InvalidInput, match="header but no customers"):
        read_registry_text(HEADER)


def test_it_refuses_a_fee_beyond_belief() -> None:
    with pytest.raises(InvalidInput, match="not a plausible monthly fee") as caught:
        read_registry_text(HEADER + "C1,Acme,enterprise,1e100,USD,\n", source="c.csv")
    assert (caught.value.problems[0].line, caught.value.problems[0].field) == (2, "monthly_fee")


def test_it_accepts_a_tier_without_sla() -> None:
    [free] = read_registry_text(HEADER + "F1,Freebie,free,0,USD,\n", policy=POLICY)
    assert free.tier == "free"


def test_it_names_a_missing_column_and_what_it_found() -> None:
    problem = only_problem("customer_id,name,tier,fee,currency,regions\nA,A,free,1,USD,\n")
    assert (problem.field, problem.line, problem.code) == ("monthly_fee", 1, "missing_column")
    assert "'fee'" in problem.message  # what was found
    assert "is 'fee' meant to be 'monthly_fee'?" in problem.message


def test_it_names_every_missing_column() -> None:
    found = problems("customer_id,nme\n")
    assert [p.field for p in found] == ["name", "tier", "monthly_fee", "currency", "regions"]


def test_it_refuses_a_column_given_twice() -> None:
    problem = only_problem("customer_id,name,tier,tier,monthly_fee,currency,regions\n")
    assert problem.code == "duplicate_column"


def test_it_refuses_an_empty_file() -> None:
    assert "expected a header row" in only_problem("").message


def test_it_names_both_lines_of_a_duplicate_customer_id() -> None:
    text = HEADER + "A,A,enterprise,1,USD,\nB,B,enterprise,1,USD,\nA,Again,enterprise,1,USD,\n"
    problem = only_problem(text)
    assert (problem.field, problem.line) == ("customer_id", 4)
    assert "also on line 2" in problem.message


@pytest.mark.parametrize(
    ("fee", "expected"),
    [
        ("-5", "negative"),
        ("abc", "not a number"),
        ("", "empty"),
        ("NaN", "not a number"),
        ('"1,000"', "comma"),
        ("inf", "not a number"),
    ],
)
def test_it_refuses_a_bad_fee(fee: str, expected: str) -> None:
    problem = only_problem(HEADER + f"A,A,enterprise,{fee},USD,\n")
    assert (problem.field, problem.line) == ("monthly_fee", 2)
    assert expected in problem.message


def test_it_keeps_fractions_of_a_cent_in_fees() -> None:
    [customer] = read_registry_text(HEADER + "A,A,enterprise,1234.565,USD,\n")
    assert customer.monthly_fee == D("1234.565")


def test_it_refuses_an_unknown_currency() -> None:
    problem = only_problem(HEADER + "A,A,enterprise,1,USX,\n", policy=None)
    assert (problem.field, problem.code) == ("currency", "unknown_currency")


def test_it_refuses_a_currency_other_than_the_policys() -> None:
    problem = only_problem(HEADER + "A,A,enterprise,1,EUR,\n")
    assert problem.code == "currency_mismatch"
    assert "USD" in problem.message


def test_it_takes_any_known_currency_without_a_policy() -> None:
    assert read_registry_text(HEADER + "A,A,gold,1,EUR,\n")[0].currency == "EUR"


@pytest.mark.parametrize(
    ("tier", "meant"),
    [("enterprize", "enterprise"), ("Business", "business"), ("busines", "business")],
)
def test_it_refuses_a_tier_that_looks_like_a_typo(tier: str, meant: str) -> None:
    problem = only_problem(HEADER + f"A,A,{tier},1,USD,\n")
    assert (problem.field, problem.line) == ("tier", 2)
    assert problem.message == f"unknown tier {tier!r} (did you mean {meant!r}?)"


def test_it_refuses_empty_required_fields() -> None:
    found = problems(HEADER + ",,,1,USD,\n")
    assert [p.field for p in found] == ["customer_id", "name", "tier"]


def test_it_refuses_a_row_with_the_wrong_number_of_fields() -> None:
    problem = only_problem(HEADER + "A,A,enterprise,1,USD\n")
    assert problem.line == 2
    assert "expected 6 fields" in problem.message


def test_it_counts_lines_across_quoted_line_breaks() -> None:
    text = HEADER + 'A,"Acme\nEurope",enterprise,1,USD,\nB,B,enterprise,-1,USD,\n'
    assert only_problem(text).line == 4


def test_it_refuses_broken_csv() -> None:
    problem = only_problem(HEADER + 'A,"Acme,enterprise,1,USD,\n')
    assert "not valid CSV" in problem.message


def test_it_reports_every_problem_at_once() -> None:
    text = HEADER + "A,A,enterprize,1,USD,\nB,B,enterprise,-1,EUR,\n"
    assert [(p.line, p.field) for p in problems(text)] == [
        (2, "tier"),
        (3, "monthly_fee"),
        (3, "currency"),
    ]


def test_it_stops_after_a_hundred_problems() -> None:
    text = HEADER + "".join(f"C{i},N,enterprise,-1,USD,\n" for i in range(500))
    found = problems(text)
    assert len(found) == customer_registry.MAX_PROBLEMS + 1
    assert found[-1].code == "too_many_problems"


def test_it_refuses_a_file_over_the_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(customer_registry, "MAX_REGISTRY_BYTES", 100)
    path = tmp_path / "customers.csv"
    path.write_text(HEADER + "A,A,enterprise,1,USD,\n" * 10)
    with pytest.raises(InvalidInput, match="limit"):
        read_registry_file(path)
    with pytest.raises(InvalidInput, match="limit"):
        read_registry_text(path.read_text())


# -- contact columns -------------------------------------------------------------------------

CONTACT_HEADER = "customer_id,name,tier,monthly_fee,currency,regions,contact_email,webhook_url\n"


def test_it_reads_the_optional_contact_columns() -> None:
    from warroom.domain.contacts import Contact
    from warroom.formats.customer_registry import read_contacts_text

    text = CONTACT_HEADER + (
        "ACME,Acme,enterprise,1,USD,,ops@acme.example; cfo@acme.example,"
        "https://hooks.acme.example/warroom\n"
        "GLBX,Globex,business,1,USD,,,\n"
    )
    assert read_contacts_text(text) == (
        Contact(
            "ACME", ("ops@acme.example", "cfo@acme.example"), "https://hooks.acme.example/warroom"
        ),
        Contact("GLBX"),
    )
    assert [c.customer_id for c in read_registry_text(text, policy=POLICY)] == ["ACME", "GLBX"]


def test_contacts_are_checked_with_line_and_column() -> None:
    from warroom.formats.customer_registry import read_contacts_text

    text = CONTACT_HEADER + (
        "ACME,Acme,enterprise,1,USD,,ops@acme.example,\n"
        "GLBX,Globex,business,1,USD,,ops@globex; it@globex.example,\n"
        "INIT,Initech,business,1,USD,,,ftp://initech.example/\n"
    )
    with pytest.raises(InvalidInput) as caught:
        read_contacts_text(text, source="customers.csv")
    found = caught.value.problems
    assert [(p.line, p.field, p.code) for p in found] == [
        (3, "contact_email", "bad_email"),
        (4, "webhook_url", "bad_url"),
    ]
    assert "'ops@globex'" in found[0].message and "http(s)" in found[1].message


def test_an_assessment_reads_the_registry_without_its_contacts() -> None:
    """A bad address holds up no credit: the figures' reading leaves contacts alone."""
    text = CONTACT_HEADER + "ACME,Acme,enterprise,1,USD,,not an address,ftp://x/\n"
    assert [c.customer_id for c in read_registry_text(text, policy=POLICY)] == ["ACME"]


def test_a_registry_without_contact_columns_names_no_contacts() -> None:
    from warroom.formats.customer_registry import read_contacts_text

    with pytest.raises(InvalidInput, match="neither a contact_email nor a webhook_url"):
        read_contacts_text(HEADER + "ACME,Acme,enterprise,1,USD,\n")
