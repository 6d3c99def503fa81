"""The demo data of examples/generate_demo.py, as the tests load and share it."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "examples" / "generate_demo.py"
MODULE = "warroom_examples_generate_demo"


def generator() -> ModuleType:
    """examples/generate_demo.py as a module (it is a script, not part of the package)."""
    if MODULE in sys.modules:
        return sys.modules[MODULE]
    spec = importlib.util.spec_from_file_location(MODULE, GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class DemoData:
    folder: Path  # incident.yaml, customers.csv, sla-policy.yaml, requests.parquet
    summary: dict[str, Any]  # what generate_demo returned: the figures it planted


def maintenance_args() -> list[str]:
    """`warroom maintenance schedule ...` recording the demo's maintenance window, as
    `make run` does before the SLA assessment."""
    args: list[str] = generator().maintenance_args()
    return args
