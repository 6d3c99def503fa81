"""The documentation stays true: settings documented, CLI reference current."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from warroom.settings import SETTINGS

ROOT = Path(__file__).parent.parent


def test_it_documents_every_setting_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in readme]
    assert missing == []


def test_it_keeps_the_cli_reference_current(tmp_path: Path) -> None:
    out = tmp_path / "cli.md"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "cli_docs.py"), str(out)],
        check=True,
        capture_output=True,
    )
    assert out.read_text() == (ROOT / "docs" / "cli.md").read_text(), (
        "docs/cli.md is stale: run `make docs`"
    )


def test_it_keeps_the_readme_quick_start_to_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    assert "make run" in quick and "make test" in quick


def test_it_shows_the_permissions_table_the_code_uses() -> None:
    from warroom.domain.permissions import PERMISSIONS, UserRole

    page = (ROOT / "docs" / "security.md").read_text()
    header = "| action | " + " | ".join(r.value for r in UserRole) + " |"
    assert header in page
    shown = {}
    for line in page.splitlines():
        if line.startswith("| `") and line.count("|") == len(UserRole) + 2:
            cells = [c.strip() for c in line.strip("|").split("|")]
            shown[cells[0].strip("`")] = {
                r.value for r, c in zip(UserRole, cells[1:], strict=True) if c == "✓"
            }
    assert shown == {a.value: {r.value for r in roles} for a, roles in PERMISSIONS.items()}


def test_it_keeps_the_openapi_snapshot_current(tmp_path: Path) -> None:
    out = tmp_path / "openapi.json"
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "openapi.py"), str(out)],
        check=True,
        capture_output=True,
    )
    assert out.read_text() == (ROOT / "docs" / "openapi.json").read_text(), (
        "docs/openapi.json is stale: run `make docs` and review the API's changes"
    )
