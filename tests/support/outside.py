"""Outside programs the tests drive (PostgreSQL, Chromium, pdftotext, Alertmanager, Java)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"


def need(what: str, reason: str) -> None:
    """A missing outside program skips locally but fails under CI=true (where `make test`
    has installed it: a missing one there is a broken set-up, never a skip)."""
    if IN_CI:
        pytest.fail(f"{what} is required under CI=true: {reason}")
    pytest.skip(f"{what} unavailable: {reason}")


def artifacts_folder(name: str) -> Path:
    """Where tests keep what people review afterwards (screenshots, rendered pages):
    $WARROOM_TEST_ARTIFACTS/NAME, else warroom-test-artifacts/NAME in the temporary
    directory; never inside the source tree."""
    root = os.environ.get("WARROOM_TEST_ARTIFACTS") or os.path.join(
        tempfile.gettempdir(), "warroom-test-artifacts"
    )
    folder = Path(root) / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder
