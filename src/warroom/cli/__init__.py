"""The `warroom` command: the same use cases as the web app, from a terminal (Typer + Rich)."""

from __future__ import annotations

import sys

from warroom.cli.app import app, run

__all__ = ["app", "main"]


def main() -> None:
    sys.exit(run(sys.argv[1:]))
